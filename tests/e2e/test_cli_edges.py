"""What a new user trips over (issue 18): empty exports say why, report
refuses what is not a recording at once, clean and --ipcns name the real
problem, keys have one format."""
import json
import os
import re
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


MKKEYS = ("import ctypes; c = ctypes.CDLL(None); "
          "assert c.msgget(ctypes.c_int(0x8cc76df9 - (1 << 32)), 0o1600) >= 0; "
          "assert c.semget(0x10ef, 1, 0o1600) >= 0")


@needs_root
def test_keys_one_text_format_and_unsigned_json(ipcns, tmp_path):
    """0x%08x in text, a non-negative number in JSON: snapshot, trace, leaks,
    clean, top."""
    out = tmp_path / "t.txt"
    r = ipcns.run([IPCSCOPE, "trace", "-o", str(out), "--", "python3", "-c", MKKEYS])
    assert r.returncode == 0, r.stderr
    text = out.read_text()
    assert "msgget(0x8cc76df9, IPC_CREAT|0600)" in text
    assert "semget(0x000010ef, 1, IPC_CREAT|0600)" in text
    snap = ipcns.json([IPCSCOPE, "snapshot", "--json"])
    assert {o["key"] for o in snap["msg"]} == {0x8cc76df9}
    assert {o["key"] for o in snap["sem"]} == {0x10ef}
    s = ipcns.run([IPCSCOPE, "snapshot"], check=True).stdout
    assert "0x8cc76df9" in s and "0x000010ef" in s
    # python3 has exited: both are leak candidates for leaks and clean
    lk = ipcns.json([IPCSCOPE, "leaks", "--json", "-d", "0.1"])
    assert {k["key"] for k in lk["leaks"]} == {0x8cc76df9, 0x10ef}
    cl = ipcns.json([IPCSCOPE, "clean", "--json"])
    assert {k["key"] for k in cl["objects"]} == {0x8cc76df9, 0x10ef}
    top = ipcns.run([IPCSCOPE, "top", "-b", "-n", "1", "--json", "--no-trace"], check=True)
    rows = json.loads(top.stdout.splitlines()[-1])["rows"]
    assert {r["key"] for r in rows} == {0x8cc76df9, 0x10ef}
    assert all("creator_comm" in r for r in rows)


@needs_root
def test_changed_is_not_age(ipcns, tmp_path):
    """The kernel's ctime is reset by SETVAL/IPC_SET: snapshot and clean
    call it CHANGED; leaks says AGE only where it saw the creation."""
    setval = ("import ctypes; c = ctypes.CDLL(None); i = c.semget(0, 1, 0o1600); "
              "assert c.semctl(i, 0, 16, 1) == 0")       # IPC_PRIVATE, SETVAL
    r = ipcns.run([IPCSCOPE, "leaks", "--json", "-o", str(tmp_path / "l.json"), "--",
                   "python3", "-c", setval])
    assert r.returncode == 0, r.stderr
    traced = json.loads((tmp_path / "l.json").read_text())["leaks"]
    assert len(traced) == 1 and traced[0]["age_from"] == "creation"
    assert traced[0]["changed_s"] >= 0
    # not seen created (it predates this run): CHANGED, from the kernel's ctime
    untraced = ipcns.json([IPCSCOPE, "leaks", "--json", "-d", "0.1"])["leaks"]
    assert untraced[0]["age_from"] == "ctime"
    t = ipcns.run([IPCSCOPE, "leaks", "-d", "0.1"], check=True).stdout
    assert " CHANGED " in t.splitlines()[0] and " AGE " not in t.splitlines()[0]
    s = ipcns.run([IPCSCOPE, "snapshot", "-s"], check=True).stdout
    assert "CHANGED" in s and " AGE" not in s
    assert "changed_s" in ipcns.json([IPCSCOPE, "snapshot", "--json"])["sem"][0]
    c = ipcns.run([IPCSCOPE, "clean"]).stdout
    assert re.search(r"would remove sem \d+ \(key 0x00000000, 1 sems, never-used, "
                     r"changed \d+s ago\)", c), c
    cj = ipcns.json([IPCSCOPE, "clean", "--json"])["objects"][0]
    assert "changed_s" in cj and "age_s" not in cj


@needs_root
def test_leaks_says_which_last_user(ipcns, tmp_path):
    """The last traced call and the kernel's last pid are labelled as such."""
    r = ipcns.run([IPCSCOPE, "leaks", "--", "sh", "-c",
                   "ipcmk -Q >/dev/null"])
    assert r.returncode == 0, r.stderr
    assert "last traced call: " in r.stdout and " in msgget" in r.stdout
    assert "last used by" not in r.stdout
    lk = ipcns.json([IPCSCOPE, "leaks", "--json", "-d", "0.1"])["leaks"]
    # untraced now: the queue was never sent to, so the kernel has no pid
    assert lk[0]["last_user"] is None and lk[0]["kernel_last_pid"] == 0


@needs_root
def test_top_names_creator_and_counts_whole_calls(ipcns):
    ipcns.run(["python3", "-c", MKKEYS], check=True)
    r = ipcns.run([IPCSCOPE, "top", "-b", "-n", "2", "-D", "0.2"], check=True)
    assert re.search(r"calls/s \d+  ", r.stdout), r.stdout
    assert not re.search(r"calls/s \d+\.\d", r.stdout), r.stdout
    assert re.search(r"FILL/ATT CREATOR", r.stdout), r.stdout
