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


@needs_root
def test_report_on_a_recording_still_growing(ipcns, tmp_path):
    """A file the recorder is still writing is read up to where it is now:
    report returns at once with what is there and says it is cut short."""
    import time
    path = tmp_path / "live.ipcs"
    rec = ipcns.popen([IPCSCOPE, "record", "-o", str(path), "--", "sh", "-c",
                       "ipcmk -Q >/dev/null; echo ready; read x; ipcrm --all=msg"],
                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert rec.stdout.readline().strip() == "ready"
        # the recorder flushes its chunks at least once a second: wait for them
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            r = run_ipcscope(["report", str(path), "trace"], timeout=20)
            if "msgget(" in r.stdout:
                break
            time.sleep(0.2)
        assert r.returncode == 0, r.stderr
        assert "msgget(" in r.stdout
        assert "truncated" in r.stderr and "still running" in r.stderr
    finally:
        rec.stdin.close()
        rec.wait(timeout=30)
    assert rec.returncode == 0


@needs_root
def test_clean_unknown_id_is_missing_input(ipcns):
    r = ipcns.run([IPCSCOPE, "clean", "--id", "99999"])
    assert r.returncode == 66, r.stderr
    assert r.stderr.strip() == ("ipcscope: no object with id 99999: list the ids with "
                                "`ipcscope snapshot`")
    assert "refusing" not in r.stdout
    r = ipcns.run([IPCSCOPE, "clean", "--json", "--yes", "--id", "99999"])
    assert r.returncode == 66, r.stderr
    assert json.loads(r.stdout)["objects"] == [
        {"id": 99999, "action": "missing", "why": "no object with id 99999"}]


NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


@needs_root
def test_ipcns_unreadable_says_permission(tmp_path):
    """/proc/1/ns/ipc is root's: an unprivileged user is told the real
    cause (EACCES), not that pid 1 has no namespace."""
    for args in (["clean", "--ipcns", "1"], ["trace", "--ipcns", "1", "-d", "0.1"],
                 ["leaks", "--ipcns", "1", "-d", "0.1"]):
        r = subprocess.run(NOBODY + [IPCSCOPE] + args, capture_output=True, text=True,
                           timeout=30, cwd=tmp_path)
        assert r.returncode == 77, (args, r.stderr)
        line = r.stderr.strip()
        assert "\n" not in line and "Permission denied" in line, (args, line)
        assert "names no IPC namespace" not in line
    # a pid that does not exist still says so
    r = subprocess.run([IPCSCOPE, "trace", "--ipcns", "4000000", "-d", "0.1"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 64 and "names no IPC namespace" in r.stderr
