"""`-- CMD` when -d ends first: the user's command is left running, said once
on stderr, and ipcscope exits as it would without `--` (not 128)."""
import os
import re
import signal
import subprocess

from conftest import IPCSCOPE, needs_root

pytestmark = needs_root


def test_duration_ends_before_command(ipcns, tmp_path):
    out = tmp_path / "t.json"
    err = tmp_path / "stderr"
    # Files, not pipes: the command outlives ipcscope and would hold a pipe open.
    with open(err, "w") as e:
        r = ipcns.run([IPCSCOPE, "trace", "--json", "-o", str(out), "-d", "1",
                       "--", "sleep", "30"], timeout=60, capture_output=False,
                      stdout=subprocess.DEVNULL, stderr=e)
    r.stderr = err.read_text()
    m = re.search(r"'sleep' \(pid (\d+)\) exited: it is still running", r.stderr)
    assert m, r.stderr
    pid = int(m.group(1))
    try:
        assert r.returncode == 0, r.stderr
        assert [l for l in r.stderr.splitlines() if l.startswith("ipcscope:")] \
            == [l for l in r.stderr.splitlines() if "still running" in l], r.stderr
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            assert f.read().split(b"\0")[0] == b"sleep"
    finally:
        try:
            os.kill(pid, signal.SIGKILL)   # ours: started by this test's ipcscope
        except ProcessLookupError:
            pass
