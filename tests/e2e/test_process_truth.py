"""Process truth (issue 16): who created an object is known from what
happened when it happened, for the creators real leaks come from: processes
that live a millisecond, that a shell forks and execs, that are zombies, and
recorders that are killed.  The leaker workload (plain -O2, no frame
pointers) creates from named functions that use the result after the call,
so the stack must name make_leaky_* and main."""
import json
import os
import shutil
import signal
import subprocess
import time

from conftest import IPCSCOPE, needs_root, workload

pytestmark = needs_root

MAKERS = {"shm": "make_leaky_segment", "sem": "make_leaky_semaphore",
          "msg": "make_leaky_queue"}


def created(text):
    return [json.loads(l) for l in text.splitlines() if l.startswith('{"kind"')]


def funcs(leak):
    return [f["func"] for f in leak["creator"]["stack"]]


def check_named(report, made, exe=None):
    """Every object made is a candidate whose stack names its maker and main."""
    by_id = {(l["kind"], l["id"]): l for l in report["leaks"]}
    assert made, "the workload made nothing"
    for c in made:
        leak = by_id.get((c["kind"], c["id"]))
        assert leak, f"{c} not reported: {report['leaks']}"
        cr = leak["creator"]
        assert cr["known"] and cr["pid"] == c["pid"], cr
        fs = funcs(leak)
        assert MAKERS[c["kind"]] in fs and "main" in fs, fs
        if exe:
            assert cr["exe"] == exe, cr


def wait_recording(path, proc, deadline=30):
    """The recorder has written its header and first chunk."""
    end = time.time() + deadline
    while time.time() < end:
        if os.path.exists(path) and os.path.getsize(path) > 64:
            return
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else proc.returncode
        time.sleep(0.05)
    raise AssertionError("the recorder never wrote")


def report_leaks(path):
    r = subprocess.run([IPCSCOPE, "report", path, "leaks", "--json"], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout), r.stderr


def test_creator_that_exits_at_once_through_a_shell(ipcns, tmp_path):
    """`sh -c 'short; sleep'`: forked and exec'd by a shell, gone at once."""
    leaker = workload("leaker")
    out = tmp_path / "leaks.json"
    r = ipcns.run([IPCSCOPE, "leaks", "--json", "-o", str(out), "--",
                   "sh", "-c", f"{leaker} direct; sleep 0.3"], timeout=60)
    assert r.returncode == 0, r.stderr
    check_named(json.loads(out.read_text()), created(r.stdout),
                exe=os.path.realpath(leaker))


def test_systemwide_recording_of_a_shell_spawned_creator(ipcns, tmp_path):
    leaker = workload("leaker")
    rec = str(tmp_path / "sys.ipcs")
    recorder = subprocess.Popen([IPCSCOPE, "record", "-o", rec, "--ipcns", str(ipcns.pid)],
                                stderr=subprocess.PIPE, text=True)
    try:
        wait_recording(rec, recorder)
        time.sleep(0.5)       # attached before the header's first flush
        r = ipcns.run(["bash", "-c", f"{leaker} direct; true"], check=True)
        made = created(r.stdout)
    finally:
        recorder.send_signal(signal.SIGINT)
        assert recorder.wait(timeout=60) == 0, recorder.stderr.read()
    report, _ = report_leaks(rec)
    check_named(report, made, exe=os.path.realpath(leaker))


def test_recording_names_functions_without_the_binary(ipcns, tmp_path):
    app = tmp_path / "app"
    shutil.copy(workload("leaker"), app)
    rec = str(tmp_path / "moved.ipcs")
    r = ipcns.run([IPCSCOPE, "record", "-o", rec, "--", str(app), "direct"], timeout=60)
    assert r.returncode == 0, r.stderr
    made = created(r.stdout)
    app.rename(tmp_path / "app.elsewhere")   # the post-mortem machine has no ./app
    report, _ = report_leaks(rec)
    check_named(report, made)


def test_killed_recorder_still_tells_leaks(ipcns, tmp_path):
    rec = str(tmp_path / "killed.ipcs")
    recorder = ipcns.popen([IPCSCOPE, "record", "-o", rec], stderr=subprocess.PIPE, text=True)
    wait_recording(rec, recorder)
    time.sleep(0.5)
    r = ipcns.run([workload("leaker"), "fork"], check=True)
    made = created(r.stdout)
    time.sleep(2.5)           # at least one flush after the creations
    recorder.send_signal(signal.SIGKILL)
    recorder.wait(timeout=30)
    report, err = report_leaks(rec)
    assert "ended early" in err, err
    check_named(report, made)
    assert len(report["leaks"]) == 3, report["leaks"]


def test_zombie_creator_has_exited(ipcns):
    p = ipcns.popen([workload("leaker"), "zombie"], stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE, text=True)
    try:
        seg = json.loads(p.stdout.readline())
        zombie = json.loads(p.stdout.readline())["zombie"]
        end = time.time() + 10
        while True:
            with open(f"/proc/{zombie}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    break
            assert time.time() < end, "the child never became a zombie"
            time.sleep(0.02)
        audit = ipcns.json([IPCSCOPE, "audit", "--json"], ok=(1,))
        assert any(f["rule"] == "orphaned-shm" and f["id"] == seg["id"]
                   for f in audit["findings"]), audit
        clean = ipcns.json([IPCSCOPE, "clean", "--json"])
        assert [(o["kind"], o["id"], o["action"]) for o in clean["objects"]] == \
            [("shm", seg["id"], "would-remove")], clean
        snap = ipcns.json([IPCSCOPE, "snapshot", "--json"])
        shm = [s for s in snap["shm"] if s["id"] == seg["id"]][0]
        assert shm["creator"]["pid"] == zombie and shm["creator"]["exited"], shm
    finally:
        p.stdin.close()
        p.wait(timeout=10)


def test_other_ipcscope_processes_are_not_traced(ipcns, tmp_path):
    """A recording shows the workload's calls, not another ipcscope's reads."""
    rec = str(tmp_path / "two.ipcs")
    recorder = subprocess.Popen([IPCSCOPE, "record", "-o", rec, "--ipcns", str(ipcns.pid)],
                                stderr=subprocess.PIPE, text=True)
    try:
        wait_recording(rec, recorder)
        time.sleep(0.5)
        made = created(ipcns.run([workload("leaker"), "direct"], check=True).stdout)
        for cmd in (["snapshot", "--json"], ["audit", "--json"], ["snapshot", "-i", "0"]):
            r = ipcns.run([IPCSCOPE] + cmd)
            assert r.returncode in (0, 1), r.stderr
    finally:
        recorder.send_signal(signal.SIGINT)
        assert recorder.wait(timeout=60) == 0, recorder.stderr.read()
    r = subprocess.run([IPCSCOPE, "report", rec, "trace", "--json"], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    events = [json.loads(l) for l in r.stdout.splitlines() if l.startswith("{")]
    comms = {e.get("comm") for e in events if "call" in e}
    assert "leaker" in comms, comms
    assert "ipcscope" not in comms, [e for e in events if e.get("comm") == "ipcscope"][:3]
    assert len(made) == 3


def test_creator_that_execs_after_creating(ipcns, tmp_path):
    """Created, then exec'd another program: unwound against the first image."""
    leaker = workload("leaker")
    out = tmp_path / "leaks.json"
    r = ipcns.run([IPCSCOPE, "leaks", "--json", "-o", str(out), "--", leaker, "thenexec"],
                  timeout=60)
    assert r.returncode == 0, r.stderr
    made = created(r.stdout)
    check_named(json.loads(out.read_text()), made)
    rec = str(tmp_path / "exec.ipcs")
    r = ipcns.run([IPCSCOPE, "record", "-o", rec, "--", leaker, "thenexec"], timeout=60)
    assert r.returncode == 0, r.stderr
    report, _ = report_leaks(rec)
    check_named(report, created(r.stdout))


def test_report_symfs_names_a_stripped_creator(ipcns, tmp_path):
    """Recorded stripped, re-symbolized later from the unstripped file by build-id."""
    leaker = workload("leaker")
    app = tmp_path / "app"
    shutil.copy(leaker, app)
    subprocess.run(["strip", "-s", str(app)], check=True)
    rec = str(tmp_path / "stripped.ipcs")
    r = ipcns.run([IPCSCOPE, "record", "-o", rec, "--", str(app), "direct"], timeout=60)
    assert r.returncode == 0, r.stderr
    made = created(r.stdout)
    report, _ = report_leaks(rec)
    assert not any("make_leaky_segment" in funcs(l) for l in report["leaks"]), report
    note = subprocess.run(["readelf", "-n", leaker], capture_output=True, text=True).stdout
    bid = note.split("Build ID:")[1].split()[0]
    dbg = tmp_path / "sym" / ".build-id" / bid[:2]
    dbg.mkdir(parents=True)
    shutil.copy(leaker, dbg / (bid[2:] + ".debug"))
    r = subprocess.run([IPCSCOPE, "report", rec, "leaks", "--json", "--symfs",
                        str(tmp_path / "sym")], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    check_named(json.loads(r.stdout), made)


def test_killed_recorder_still_shows_a_deadlock(ipcns, tmp_path):
    """The recorder writes calls blocked for a while as they stand: killed
    during a deadlock, its file still holds the cycle."""
    rec = str(tmp_path / "deadlock.ipcs")
    recorder = ipcns.popen([IPCSCOPE, "record", "-o", rec], stderr=subprocess.PIPE, text=True)
    wait_recording(rec, recorder)
    time.sleep(0.5)
    abba = ipcns.popen([workload("abba"), "-t", "6"], stdout=subprocess.PIPE, text=True)
    info = json.loads(abba.stdout.readline())
    time.sleep(2.5)           # blocked well past the recorder's 100 ms, and flushed
    recorder.send_signal(signal.SIGKILL)
    recorder.wait(timeout=30)
    abba.kill()
    abba.wait(timeout=10)
    r = subprocess.run([IPCSCOPE, "report", rec, "blocked", "--json"], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode in (0, 1), r.stderr
    assert "ended early" in r.stderr, r.stderr
    dls = json.loads(r.stdout)["deadlocks"]
    pids = [{n["pid"] for n in d["cycle"]} for d in dls]
    assert {info["a"], info["b"]} in pids, dls
