"""Commands that run no command refuse `-- CMD` (issue 15): silently ignoring
it (`top --batch -n1 -- /bin/echo HELLO` used to exit 0 without running echo)
hides a mistake.  The usage line is the declaration: only the commands whose
usage says `-- CMD` run one."""
import pytest

from conftest import IPCSCOPE, run_ipcscope

NO_CMD = [["top", "--batch", "-n1"], ["metrics", "--once"], ["audit"], ["limits"],
          ["snapshot"], ["clean"], ["doctor"], ["report", "x.ipcs"], ["export", "x.ipcs"],
          ["restore", "dir"]]


@pytest.mark.parametrize("args", NO_CMD, ids=lambda a: a[0])
def test_refuses_a_command(args, tmp_path):
    marker = tmp_path / "ran"
    r = run_ipcscope(args + ["--", "/bin/touch", str(marker)], timeout=30)
    assert r.returncode == 64, (r.returncode, r.stdout, r.stderr)
    assert r.stderr.count("\n") == 1 and "runs no command" in r.stderr, r.stderr
    assert not marker.exists()


@pytest.mark.parametrize("cmd", ["trace", "latency", "leaks", "blocked", "record"])
def test_commands_that_run_one_say_so(cmd):
    r = run_ipcscope([cmd, "--help"])
    assert r.returncode == 0 and "-- CMD" in r.stdout, r.stdout[:300]
