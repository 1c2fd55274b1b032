"""What a new user trips over (issue 18): empty exports say why, report
refuses what is not a recording at once, clean and --ipcns name the real
problem, keys have one format."""
import json
import os
import stat
import subprocess

from conftest import IPCSCOPE, needs_root, run_ipcscope, workload


@needs_root
def test_folded_export_without_blocked_time_says_why(ipcns, tmp_path):
    path = tmp_path / "quiet.ipcs"
    r = ipcns.run([IPCSCOPE, "record", "-o", str(path), "--", "sh", "-c",
                   "ipcmk -M 4096 >/dev/null"])
    assert r.returncode == 0, r.stderr
    r = run_ipcscope(["export", str(path), "--format", "folded"])
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    err = r.stderr.strip().splitlines()
    assert len(err) == 1 and "no blocked time" in err[0], r.stderr
