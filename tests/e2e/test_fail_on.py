"""`--fail-on` for CI: `blocked --fail-on deadlock -- CMD` and `leaks
--fail-on leak -- CMD` exit 1 on a finding when CMD succeeded, CMD's own
status when it failed, and 0 when there is nothing to report."""
import json

from conftest import IPCSCOPE, needs_root, workload

pytestmark = needs_root


def run(ipcns, args, timeout=90):
    return ipcns.run([IPCSCOPE] + args, timeout=timeout)


def test_blocked_fail_on_deadlock(ipcns):
    # abba deadlocks for 2 s (semtimedop timeouts end it), then exits 0
    r = run(ipcns, ["blocked", "--json", "--fail-on", "deadlock", "--", workload("abba"), "-t", "2"])
    # abba's own lines come first on stdout; blocked's object is the last line
    assert json.loads(r.stdout.splitlines()[-1])["deadlocks"], r.stdout
    assert r.returncode == 1, r.stderr
    # the same without --fail-on: CMD's status, as documented
    r = run(ipcns, ["blocked", "--json", "--", workload("abba"), "-t", "2"])
    assert r.returncode == 0, r.stderr
    # CMD failed: its status, whatever was found
    r = run(ipcns, ["blocked", "--fail-on", "deadlock", "--", "sh", "-c",
                    workload("abba") + " -t 2 >/dev/null; exit 5"])
    assert r.returncode == 5, r.stderr
    # nothing found, CMD fine: 0
    r = run(ipcns, ["blocked", "--fail-on", "deadlock", "--", "true"])
    assert r.returncode == 0, r.stderr


def test_leaks_fail_on_leak(ipcns):
    leak = "ipcmk -Q >/dev/null"
    r = run(ipcns, ["leaks", "--fail-on", "leak", "--", "sh", "-c", leak])
    assert r.returncode == 1, r.stderr
    assert "creator-exited" in r.stdout
    r = run(ipcns, ["leaks", "--", "sh", "-c", leak])
    assert r.returncode == 0, r.stderr
    r = run(ipcns, ["leaks", "--fail-on", "leak", "--", "sh", "-c", leak + "; exit 4"])
    assert r.returncode == 4, r.stderr
    r = run(ipcns, ["leaks", "--", "sh", "-c", "exit 4"])
    assert r.returncode == 4, r.stderr
    r = run(ipcns, ["leaks", "--fail-on", "leak", "--", "true"])
    assert r.returncode == 0, r.stderr


def test_fail_on_bad_value(ipcns):
    r = run(ipcns, ["blocked", "--fail-on", "leak", "--", "true"])
    assert r.returncode == 64 and "fails on 'deadlock'" in r.stderr
    r = run(ipcns, ["leaks", "--fail-on", "deadlock", "--", "true"])
    assert r.returncode == 64 and "fails on 'leak'" in r.stderr
