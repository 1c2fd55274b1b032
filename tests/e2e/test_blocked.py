"""blocked: waiters, holders and deadlock cycles from real blocked processes."""
import json
import os
import re
import select
import signal
import subprocess
import time

from conftest import IPCSCOPE, workload


def ready_line(proc, timeout=10):
    """The workload's first stdout line (it prints it just before blocking)."""
    r, _, _ = select.select([proc.stdout], [], [], timeout)
    assert r, "workload printed nothing"
    return json.loads(proc.stdout.readline())


def run_json(ns, args, timeout=60):
    r = ns.run([IPCSCOPE, "blocked", "--json"] + args, timeout=timeout)
    assert r.returncode in (0, 1), r.stderr
    lines = [l for l in r.stdout.splitlines() if l.strip()]
    return json.loads(lines[-1]), r


def check_abba_cycle(dl, info, evidence):
    cyc = dl["cycle"]
    assert len(cyc) == 2
    assert {n["pid"] for n in cyc} == {info["a"], info["b"]}
    assert all(n["semid"] == info["semid"] for n in cyc)
    by_pid = {n["pid"]: n for n in cyc}
    # A holds sem 0 and waits for sem 1 held by B; B the other way round
    assert by_pid[info["a"]]["semnum"] == 1 and by_pid[info["a"]]["waits_for_pid"] == info["b"]
    assert by_pid[info["b"]]["semnum"] == 0 and by_pid[info["b"]]["waits_for_pid"] == info["a"]
    assert all(n["sem_op"] == -1 for n in cyc)
    assert all(n["evidence"] in evidence for n in cyc), cyc
    assert all(n["comm"] == "abba" for n in cyc)


def test_abba_reported_within_a_second(ipcns):
    mon = ipcns.popen([IPCSCOPE, "blocked", "0.2"], stdout=subprocess.PIPE,
                      stderr=subprocess.PIPE, text=True)
    try:
        # ipcscope says it is watching once its probes are attached
        r, _, _ = select.select([mon.stderr], [], [], 20)
        assert r and "Watching" in mon.stderr.readline()
        abba = ipcns.popen([workload("abba"), "-t", "4"], stdout=subprocess.PIPE, text=True)
        info = ready_line(abba)
        formed = time.monotonic()
        lines = []
        while time.monotonic() - formed < 3:
            r, _, _ = select.select([mon.stdout], [], [], 0.5)
            if r:
                line = mon.stdout.readline()
                lines.append(line)
                if line.startswith("DEADLOCK"):
                    seen = time.monotonic()
                    lines.append(mon.stdout.readline())
                    lines.append(mon.stdout.readline())
                    break
        else:
            raise AssertionError("no DEADLOCK line:\n" + "".join(lines))
        assert seen - formed < 1.0, f"reported after {seen - formed:.2f}s"
        chain = "".join(lines[-2:])
        assert f"pid {info['a']} (abba) waits for sem {info['semid']}[1]" in chain
        assert f"held by pid {info['b']} [undo]" in chain
        assert f"pid {info['b']} (abba) waits for sem {info['semid']}[0]" in chain
        abba.wait(timeout=10)
    finally:
        mon.send_signal(signal.SIGINT)
        mon.wait(timeout=10)


def test_abba_under_command_json(ipcns):
    """With -- CMD: the cycle, when it formed and how long it lasted (the 2 s timeout)."""
    rep, r = run_json(ipcns, ["--", workload("abba"), "-t", "2"])
    info = json.loads(r.stdout.splitlines()[0])
    assert len(rep["deadlocks"]) == 1, rep
    dl = rep["deadlocks"][0]
    check_abba_cycle(dl, info, {"undo"})
    assert 1.4e9 < dl["duration_ns"] < 2.6e9, dl["duration_ns"]
    assert dl["still_deadlocked"] is False
    assert abs(dl["formed_at"] - time.time()) < 60
    assert rep["lost_events"] == 0
    waits = [w for w in rep["waits"] if w["pid"] in (info["a"], info["b"])]
    assert len(waits) == 2 and all(w["call"] == "semtimedop" for w in waits)
    assert all(w["wait_ns"] > 1.4e9 for w in waits)


def test_abba_without_undo_named_by_observed_calls(ipcns):
    rep, r = run_json(ipcns, ["--", workload("abba"), "-n", "-t", "1.5"])
    info = json.loads(r.stdout.splitlines()[0])
    assert len(rep["deadlocks"]) == 1, rep
    check_abba_cycle(rep["deadlocks"][0], info, {"observed"})


def test_deadlock_that_predates_ipcscope_is_shown_at_once(ipcns):
    abba = ipcns.popen([workload("abba"), "-t", "60"], stdout=subprocess.PIPE, text=True)
    try:
        info = ready_line(abba)
        time.sleep(1.3)
        # -d 0.3: present since tracing began, confirmed 100 ms after it (one
        # rule for every cycle; it was "at once" for SEM_UNDO evidence before)
        rep, _ = run_json(ipcns, ["-d", "0.3"])
        assert len(rep["deadlocks"]) == 1, rep
        check_abba_cycle(rep["deadlocks"][0], info, {"undo"})
        waits = {w["pid"]: w for w in rep["waits"]}
        assert waits[info["a"]]["predates_tracing"] is True
        assert waits[info["a"]]["sops"] == [{"num": 1, "op": -1, "flg": 0x1000}]
    finally:
        abba.send_signal(signal.SIGKILL)
        abba.wait(timeout=10)


def test_blocked_msgsnd_and_msgrcv(ipcns):
    full = ipcns.popen([workload("msgblock"), "full"], stdout=subprocess.PIPE, text=True)
    empty = ipcns.popen([workload("msgblock"), "empty"], stdout=subprocess.PIPE, text=True)
    try:
        f = ready_line(full)
        t_full = time.monotonic()
        e = ready_line(empty)
        time.sleep(0.6)   # not synchronisation: lets wait time accumulate
        rep, _ = run_json(ipcns, ["-d", "0.3"])
        elapsed_full = time.monotonic() - t_full
        waits = {w["pid"]: w for w in rep["waits"]}
        assert waits[f["pid"]]["call"] == "msgsnd"
        assert waits[f["pid"]]["id"] == f["msqid"]
        assert waits[f["pid"]]["size"] == 64
        assert waits[e["pid"]]["call"] == "msgrcv"
        assert waits[e["pid"]]["id"] == e["msqid"]
        assert waits[e["pid"]]["mtype"] == 7
        for w in (waits[f["pid"]], waits[e["pid"]]):
            assert w["kind"] == "msg" and w["still_blocked"] is True
            assert w["predates_tracing"] is True
            assert w["wait_ns"] >= 0.2e9
        # the wait started after the workload's ready line (clock granularity: 10 ms)
        assert waits[f["pid"]]["wait_ns"] <= (elapsed_full + 0.05) * 1e9
        assert rep["deadlocks"] == []
        # the text table names both queues
        r = ipcns.run([IPCSCOPE, "blocked", "-d", "0.3"])
        assert f"msg {f['msqid']}" in r.stdout and f"msg {e['msqid']}" in r.stdout
        assert "send 64B" in r.stdout and "recv type 7" in r.stdout
    finally:
        for p in (full, empty):
            p.send_signal(signal.SIGKILL)
            p.wait(timeout=10)


def test_pingpong_is_not_a_deadlock(ipcns):
    rep, r = run_json(ipcns, ["--", workload("pingpong"), "-n", "30000"], timeout=120)
    assert rep["deadlocks"] == [], rep["deadlocks"]
    assert r.returncode == 0


def test_bad_input():
    for args, needle in ((["blocked", "abc"], "invalid interval"),
                         (["blocked", "--ipcns", "999999"], "names no IPC namespace"),
                         (["blocked", "--", "/nonexistent/cmd"], "cannot execute")):
        r = subprocess.run([IPCSCOPE] + args, capture_output=True, text=True, timeout=30)
        assert r.returncode != 0
        assert needle in r.stderr, r.stderr


def test_report_finds_the_same_deadlock_in_a_recording(ipcns, tmp_path):
    rec = str(tmp_path / "abba.rec")
    r = ipcns.run([IPCSCOPE, "record", "-o", rec, "--", workload("abba"), "-t", "1.5"],
                  timeout=60)
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout.splitlines()[0])
    # no root, no BPF needed to read it
    r = subprocess.run([IPCSCOPE, "report", rec, "blocked", "--json"], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout.splitlines()[-1])
    assert len(rep["deadlocks"]) == 1, rep
    dl = rep["deadlocks"][0]
    check_abba_cycle(dl, info, {"observed"})
    assert 1.3e9 < dl["duration_ns"] < 1.7e9
    r = subprocess.run([IPCSCOPE, "report", rec, "--json"], capture_output=True, text=True,
                       timeout=60)
    assert json.loads(r.stdout)["deadlocks"] == 1


def test_pid_filter_keeps_one_process_tree(ipcns):
    one = ipcns.popen([workload("abba"), "-t", "60"], stdout=subprocess.PIPE, text=True)
    # holders with SEM_UNDO: a deadlock that predates ipcscope is certain at once
    two = ipcns.popen([workload("abba"), "-t", "60"], stdout=subprocess.PIPE, text=True)
    try:
        a, b = ready_line(one), ready_line(two)
        time.sleep(1.3)
        rep, _ = run_json(ipcns, ["-d", "0.3"])
        assert len(rep["deadlocks"]) == 2
        rep, r = run_json(ipcns, ["-d", "0.3", "-p", str(a["a"])])
        assert len(rep["deadlocks"]) == 1, (a, b, r.stdout, r.stderr)
        check_abba_cycle(rep["deadlocks"][0], a, {"undo"})
        assert {w["pid"] for w in rep["waits"]} == {a["a"], a["b"]}
    finally:
        for p in (one, two):
            p.send_signal(signal.SIGKILL)
            p.wait(timeout=10)


def test_live_and_recorded_agree_on_one_run(ipcns, tmp_path):
    """One ABBA, watched live by `blocked` and recorded at the same time:
    `report FILE blocked` names the same cycle, formed at the same moment
    (the last member's wait began) and lasting as long."""
    out, rec = tmp_path / "live.json", tmp_path / "abba.ipcs"
    r = ipcns.run([IPCSCOPE, "blocked", "--json", "-o", str(out), "--",
                   IPCSCOPE, "record", "-o", str(rec), "--", workload("abba"), "-t", "1.5"],
                  timeout=90)
    assert r.returncode in (0, 1), r.stderr
    info = json.loads(r.stdout.splitlines()[0])
    live = json.loads(out.read_text())
    r = subprocess.run([IPCSCOPE, "report", str(rec), "blocked", "--json"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout.splitlines()[-1])
    assert len(live["deadlocks"]) == 1 and len(rep["deadlocks"]) == 1, (live, rep)
    lv, rc = live["deadlocks"][0], rep["deadlocks"][0]
    # SEM_UNDO is read live only; the recording names holders by their calls
    check_abba_cycle(lv, info, {"undo"})
    check_abba_cycle(rc, info, {"observed"})
    # two tracers' hooks on one syscall entry: microseconds apart
    assert abs(lv["formed_at_mono_ns"] - rc["formed_at_mono_ns"]) < 2_000_000, (lv, rc)
    assert abs(lv["duration_ns"] - rc["duration_ns"]) < 5_000_000, (lv, rc)
    assert lv["formed_before_trace"] is False and rc["formed_before_trace"] is False
    assert 1.3e9 < rc["duration_ns"] < 1.6e9
    # the text views say the same, to the printed precision
    text = ipcns.run([IPCSCOPE, "report", str(rec), "blocked"]).stdout
    assert f"lasting {rc['duration_ns'] / 1e9:.1f}s" in text, text


def test_deadlock_older_than_tracing_says_so(ipcns):
    """A cycle whose waits all began before ipcscope: never "formed" when
    ipcscope started, but before that moment, lasting at least so long."""
    abba = ipcns.popen([workload("abba"), "-t", "60"], stdout=subprocess.PIPE, text=True)
    try:
        info = ready_line(abba)
        time.sleep(0.5)   # not synchronisation: the cycle is older than the tracer
        rep, _ = run_json(ipcns, ["-d", "0.4"])
        assert len(rep["deadlocks"]) == 1, rep
        dl = rep["deadlocks"][0]
        check_abba_cycle(dl, info, {"undo"})
        assert dl["formed_before_trace"] is True
        assert dl["still_deadlocked"] is True
        assert 0.3e9 <= dl["duration_ns"] < 5e9   # at least the traced time
        assert abs(dl["formed_at"] - time.time()) < 10
        r = ipcns.run([IPCSCOPE, "blocked", "-d", "0.4"])
        assert re.search(r"DEADLOCK formed before \d\d:\d\d:\d\d\.\d+ \(when tracing "
                         r"began\), lasting at least \d+\.\ds:", r.stdout), r.stdout
    finally:
        abba.send_signal(signal.SIGKILL)
        abba.wait(timeout=10)


def test_many_idle_processes_do_not_change_the_answer(ipcns):
    """1000 idle processes in the namespace: blocked still finds the one
    deadlock and only its waits (it no longer reads /proc for every thread
    at every scan: a task iterator, and semctl on the waited-on sets)."""
    idle = ipcns.popen([workload("idlers"), "1000"], stdin=subprocess.PIPE,
                       stdout=subprocess.PIPE, text=True)
    abba = None
    try:
        assert idle.stdout.readline().split() == ["ready", "1000"]
        abba = ipcns.popen([workload("abba"), "-t", "60"], stdout=subprocess.PIPE, text=True)
        info = ready_line(abba)
        rep, r = run_json(ipcns, ["-v", "-d", "0.5"])
        assert "found by the task iterator" in r.stderr, r.stderr
        assert len(rep["deadlocks"]) == 1, rep
        check_abba_cycle(rep["deadlocks"][0], info, {"undo"})
        assert {w["pid"] for w in rep["waits"]} == {info["a"], info["b"]}
    finally:
        if abba:
            abba.send_signal(signal.SIGKILL)
            abba.wait(timeout=10)
        idle.stdin.close()
        assert idle.wait(timeout=60) == 0
