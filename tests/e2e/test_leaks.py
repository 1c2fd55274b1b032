"""End-to-end tests of `ipcscope leaks`, `clean` and `restore`: the leaker
workload (tests/workloads/leaker.c, plain -O2, no frame pointers) creates
objects in a private IPC namespace and prints one JSON line per creation;
the tests check that ipcscope names the right creator (pid, tid, comm,
cmdline) and a stack with the function that called shmget/semget/msgget and
its caller, and that clean/restore move bytes and messages exactly."""
import json
import os
import signal
import subprocess

import pytest

from conftest import IPCSCOPE, needs_root, workload

pytestmark = needs_root

MAKERS = {"shm": "make_leaky_segment", "sem": "make_leaky_semaphore",
          "msg": "make_leaky_queue"}


def lines(text):
    return [json.loads(l) for l in text.splitlines() if l.startswith("{")]


def leaks_cmd(ipcns, tmp_path, cmd, extra=(), timeout=60):
    out = tmp_path / "leaks.json"
    r = ipcns.run([IPCSCOPE, "leaks", "--json", "-o", str(out)] + list(extra) +
                  ["--"] + cmd, timeout=timeout)
    assert r.returncode == 0, f"exit {r.returncode}\n{r.stderr}"
    report = json.loads(out.read_text())
    assert report["lost_events"] == 0
    return lines(r.stdout), report


def funcs(creator):
    return [f["func"] for f in creator["stack"]]


def check_stack(creator, callee, caller):
    """callee is on the stack, directly called by caller."""
    fs = funcs(creator)
    assert callee in fs, f"{callee} not in stack {fs}"
    i = fs.index(callee)
    assert fs[i + 1:i + 2] == [caller], f"{caller} does not call {callee}: {fs}"
    assert creator["stack_method"] == "dwarf", creator


def check_created(ipcns, report, created, pid, tid, comm, cmdline, caller):
    """Every object the workload created is reported once, attributed."""
    by_id = {(l["kind"], l["id"]): l for l in report["leaks"]}
    assert len(report["leaks"]) == len(created), report["leaks"]
    for c in created:
        k = by_id[(c["kind"], c["id"])]
        cr = k["creator"]
        assert cr["known"] and cr["exited"], cr
        assert cr["pid"] == pid and cr["tid"] == tid, cr
        assert cr["comm"] == comm and cr["cmdline"] == cmdline, cr
        assert cr["exe"] == os.path.realpath(workload("leaker")), cr
        assert cr["ipcns"] == ipcns.inode, cr
        check_stack(cr, MAKERS[c["kind"]], caller)
        assert k["age_s"] >= 0
        if c["kind"] == "shm":
            assert k["bytes"] == 8192 and k["reason"] == "never-attached"
        elif c["kind"] == "sem":
            assert k["sems"] == 3 and k["reason"] == "creator-exited"
        else:
            assert k["bytes"] == 0 and k["messages"] == 0
    return by_id


def test_forked_child_leaks_one_of_each(ipcns, tmp_path):
    leaker = workload("leaker")
    created, report = leaks_cmd(ipcns, tmp_path, [leaker, "fork"])
    assert sorted(c["kind"] for c in created) == ["msg", "sem", "shm"]
    child = created[0]["pid"]
    assert all(c["pid"] == child for c in created)
    check_created(ipcns, report, created, child, child, "leaker", f"{leaker} fork",
                  "leak_everything")
    # grouped by command line + stack: three call sites, three groups
    groups = report["by_creator"]
    assert len(groups) == 3 and all(g["count"] == 1 for g in groups)
    assert sum(g["bytes"] for g in groups) == 8192
    assert {funcs(g["creator"])[1] for g in groups} == set(MAKERS.values())


def test_exec_then_leak(ipcns, tmp_path):
    leaker = workload("leaker")
    out, report = leaks_cmd(ipcns, tmp_path,
                            [workload("exec_leaker"), leaker, "direct", "--from-exec"])
    pid = out[0]["exec_pid"]
    created = out[1:]
    assert len(created) == 3 and all(c["pid"] == pid for c in created)
    check_created(ipcns, report, created, pid, pid, "leaker",
                  f"{leaker} direct --from-exec", "leak_everything")


def test_threaded_creator(ipcns, tmp_path):
    leaker = workload("leaker")
    created, report = leaks_cmd(ipcns, tmp_path, [leaker, "threads"])
    pid, tid = created[0]["pid"], created[0]["tid"]
    assert tid != pid
    by_id = check_created(ipcns, report, created, pid, tid, "leaker", f"{leaker} threads",
                          "leak_everything")
    for k in by_id.values():
        check_stack(k["creator"], "leak_everything", "thread_main")


def test_recording_reports_the_same(ipcns, tmp_path):
    """record, then `report FILE leaks` offline: same creators, same stacks."""
    leaker = workload("leaker")
    rec = tmp_path / "run.ipcs"
    r = ipcns.run([IPCSCOPE, "record", "-o", str(rec), "--", leaker, "fork"], check=True)
    created = lines(r.stdout)
    child = created[0]["pid"]
    r = ipcns.run([IPCSCOPE, "report", "--json", str(rec), "leaks"], check=True)
    report = json.loads(r.stdout)
    check_created(ipcns, report, created, child, child, "leaker", f"{leaker} fork",
                  "leak_everything")


def test_well_behaved_reports_nothing(ipcns, tmp_path):
    created, report = leaks_cmd(ipcns, tmp_path, [workload("leaker"), "good"])
    assert len(created) == 3            # it did create (and remove) objects
    assert report["leaks"] == [] and report["by_creator"] == []


def test_attached_segment_is_not_a_leak(ipcns, tmp_path):
    """A child creates a segment and exits; the parent keeps it attached.
    Reported only once nothing has it attached any more."""
    out = tmp_path / "leaks.json"
    p = ipcns.popen([IPCSCOPE, "leaks", "--json", "-o", str(out), "--",
                     workload("leaker"), "attach"],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    created = json.loads(p.stdout.readline())
    assert p.stdout.readline().strip() == "ready"
    # the creator has exited, a live process holds the segment: report now
    p.send_signal(signal.SIGINT)
    p.wait(timeout=30)
    report = json.loads(out.read_text())
    assert report["leaks"] == [], report
    # let the holder go; the segment is now left behind
    p.stdin.close()
    r = ipcns.run(["sh", "-c", "while [ -n \"$(awk 'NR>1 && $7>0' /proc/sysvipc/shm)\" ];"
                   " do sleep 0.05; done"], timeout=30)
    assert r.returncode == 0
    report = ipcns.json([IPCSCOPE, "leaks", "--json", "-d", "0.2"])
    ks = [k for k in report["leaks"] if k["kind"] == "shm"]
    assert [k["id"] for k in ks] == [created["id"]]
    assert ks[0]["creator"]["known"] is False           # predates this run
    assert ks[0]["creator"]["pid"] == created["pid"]    # from the shm cpid


def test_interval_reports(ipcns, tmp_path):
    """With an interval, a report every interval and one at the end."""
    made = fill(ipcns)                   # leaked before tracing began
    out = tmp_path / "leaks.jsonl"
    ipcns.run([IPCSCOPE, "leaks", "--json", "-o", str(out), "-d", "1.8", "0.5"], check=True)
    reports = [json.loads(l) for l in out.read_text().splitlines()]
    assert len(reports) >= 3, reports    # at 0.5, 1.0, 1.5 s and the end: slack for slow (ASan) scans
    for rep in reports:
        ids = {(k["kind"], k["id"]) for k in rep["leaks"]}
        assert ids == {("shm", made["shm"]), ("msg", made["msg"])}
        msg = [k for k in rep["leaks"] if k["kind"] == "msg"][0]
        assert msg["creator"]["known"] is False
        assert msg["creator"]["note"] == "creator unknown (predates tracing)"
        assert msg["messages"] == 3 and msg["bytes"] == 600


def sysvipc(ipcns):
    r = ipcns.run(["sh", "-c", "cat /proc/sysvipc/shm /proc/sysvipc/sem /proc/sysvipc/msg"],
                  check=True)
    return r.stdout


def fill(ipcns):
    r = ipcns.run([workload("leaker"), "fill"], check=True)
    made = {c["kind"]: c["id"] for c in lines(r.stdout)}
    return made


def dump(ipcns, kind, ident):
    return ipcns.run([workload("leaker"), "dump", kind, str(ident)], check=True).stdout


def test_clean_dry_run_changes_nothing(ipcns):
    made = fill(ipcns)
    before = sysvipc(ipcns)
    r = ipcns.run([IPCSCOPE, "clean"], check=True)
    assert f"ipcrm -m {made['shm']}" in r.stdout
    assert f"ipcrm -q {made['msg']}" in r.stdout
    assert "dry run" in r.stdout
    rj = ipcns.json([IPCSCOPE, "clean", "--json", "--dry-run", "--yes"])
    assert rj["dry_run"] is True and rj["removed"] == 0
    assert {(o["kind"], o["id"], o["action"]) for o in rj["objects"]} == {
        ("shm", made["shm"], "would-remove"), ("msg", made["msg"], "would-remove")}
    # --older-than: these are seconds old, not an hour
    r = ipcns.run([IPCSCOPE, "clean", "--older-than", "1h", "--yes"], check=True)
    assert "ipcrm" not in r.stdout and "removed" in r.stdout
    assert sysvipc(ipcns) == before


def test_clean_save_restore_round_trip(ipcns, tmp_path):
    made = fill(ipcns)
    shm_bytes = dump(ipcns, "shm", made["shm"])
    msgs = dump(ipcns, "msg", made["msg"])
    assert len(shm_bytes.strip()) == 20000 and len(msgs.splitlines()) == 3
    save = tmp_path / "save"
    rj = ipcns.json([IPCSCOPE, "clean", "--json", "--yes", "--save", str(save)])
    assert rj["removed"] == 2 and rj["skipped"] == 0, rj
    assert "0x" not in ipcns.run(["ipcs"], check=True).stdout     # both gone
    manifest = json.loads((save / "manifest.json").read_text())
    assert sorted(o["kind"] for o in manifest["objects"]) == ["msg", "shm"]
    # restore: new ids, same bytes, same messages in the same order
    rr = ipcns.json([IPCSCOPE, "restore", "--json", str(save)])
    assert rr["failed"] == 0
    new = {o["kind"]: o["new_id"] for o in rr["restored"]}
    assert dump(ipcns, "shm", new["shm"]) == shm_bytes
    assert dump(ipcns, "msg", new["msg"]) == msgs


def test_clean_refuses_attached_segment(ipcns):
    p = ipcns.popen([workload("leaker"), "attach"], stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE, text=True)
    seg = json.loads(p.stdout.readline())["id"]
    assert p.stdout.readline().strip() == "ready"
    r = ipcns.run([IPCSCOPE, "clean", "--yes", "--id", str(seg)])
    assert r.returncode == 1, r.stdout + r.stderr
    assert "attached" in r.stdout
    assert f"removed" not in r.stdout.replace("0 removed", "")
    # still there
    assert str(seg) in ipcns.run(["ipcs", "-m"], check=True).stdout
    p.stdin.close()
    p.wait(timeout=30)


def test_clean_refuses_semaphore_with_waiter(ipcns):
    p = ipcns.popen([workload("leaker"), "semwait"], stdout=subprocess.PIPE, text=True)
    sem = json.loads(p.stdout.readline())["id"]
    assert p.stdout.readline().strip() == "ready"
    # wait until the semop is really asleep on it (semncnt 1)
    r = ipcns.run(["sh", "-c", f"until ipcs -s -i {sem} | grep -Eq '^0 +0 +1 '; do sleep 0.05; done"],
                  timeout=30)
    assert r.returncode == 0
    assert ipcns.json([IPCSCOPE, "leaks", "--json", "-d", "0.2"])["leaks"] == []
    r = ipcns.run([IPCSCOPE, "clean", "--yes", "--json", "--id", str(sem)])
    assert r.returncode == 1, r.stderr
    out = json.loads(r.stdout)
    assert out["removed"] == 0
    assert out["objects"] == [{"id": sem, "action": "refused",
                               "why": f"sem {sem} is in use (waiters, or a process that "
                                      "used it is still running)"}]
    assert str(sem) in ipcns.run(["ipcs", "-s"], check=True).stdout
