"""End-to-end tests of `ipcscope trace`: workloads make known IPC calls inside a
private IPC namespace and print one JSON line per call; the tests check, call by
call, that ipcscope reported each exactly once with the right arguments, ids,
results and errnos."""
import json
import os
import signal
import subprocess

import pytest

from conftest import IPCSCOPE, IpcNamespace, needs_root, workload

pytestmark = needs_root


def parse_lines(text):
    return [json.loads(l) for l in text.splitlines() if l.startswith("{")]


def trace_cmd(ipcns, tmp_path, args, cmd, timeout=60):
    """ipcscope trace --json -o FILE ARGS -- CMD, run inside the namespace so
    CMD's children are in it too.  Returns (result, workload lines, events)."""
    out = tmp_path / "trace.jsonl"
    r = ipcns.run([IPCSCOPE, "trace", "--json", "-o", str(out)] + args + ["--"] + cmd,
                  timeout=timeout)
    events = parse_lines(out.read_text()) if out.exists() else []
    return r, parse_lines(r.stdout), events


def calls(events):
    return [e for e in events if e.get("event") == "call"]


def summary(events):
    assert events, "no output"
    last = events[-1]
    assert "summary" in last, f"last line is not the summary: {last}"
    return last["summary"]


def check_call(exp, got):
    """Compare one workload line with one reported call."""
    where = f"expected {exp}\n     got {got}"
    assert got["call"] == exp["call"], where
    assert got["ret"] == exp["ret"], where
    assert got["errno"] == (0 if exp["errno"] == "0" else exp["errno"]), where
    assert got["pid"] == exp["pid"] and got["tid"] == exp["tid"], where
    if "id" in exp:
        assert got["id"] == exp["id"], where
    if "key" in exp:
        assert got["key"] == exp["key"], where
    for k in ("size", "flags", "mtype", "cmd", "nsops", "nsems", "semnum", "addr",
              "timeout_ns", "sops_truncated"):
        if k in exp:
            assert got.get(k) == exp[k], f"{k}: {where}"
    if "sops" in exp:
        assert [[s["num"], s["op"], s["flg"]] for s in got["sops"]] == exp["sops"], where
    assert got["lat_ns"] >= 0 and got["ts_ns"] > 0, where


def check_call_by_call(expected, events):
    """Per thread, the reported calls are exactly the workload's, in order."""
    by_tid = {}
    for e in calls(events):
        by_tid.setdefault(e["tid"], []).append(e)
    exp_by_tid = {}
    for x in expected:
        exp_by_tid.setdefault(x["tid"], []).append(x)
    assert set(by_tid) == set(exp_by_tid), \
        f"threads reported {sorted(by_tid)} != threads that called {sorted(exp_by_tid)}"
    for tid, exp in exp_by_tid.items():
        got = by_tid[tid]
        assert len(got) == len(exp), \
            f"tid {tid}: {len(got)} calls reported, {len(exp)} made:\n" + \
            "\n".join(f"  {g['call']} ret={g['ret']}" for g in got)
        for x, g in zip(exp, got):
            check_call(x, g)


def test_every_call_exactly_once(ipcns, tmp_path):
    r, expected, events = trace_cmd(ipcns, tmp_path, [], [workload("allcalls")])
    assert r.returncode == 0, r.stderr
    assert len(expected) >= 30
    assert {x["call"] for x in expected} == {
        "shmget", "shmat", "shmdt", "shmctl", "semget", "semop", "semtimedop", "semctl",
        "msgget", "msgsnd", "msgrcv", "msgctl"}
    check_call_by_call(expected, events)
    errnos = {x["errno"] for x in expected}
    assert {"EIDRM", "EINVAL", "ENOENT", "EEXIST", "EAGAIN", "ENOMSG"} <= errnos
    for e in calls(events):
        assert e["ipcns"] == ipcns.inode
        assert e["comm"] == "allcalls"
        assert e["kind"] == {"shm": "shm", "sem": "sem", "msg": "msg"}[e["call"][:3]]
    # shmdt named its segment from the shmat address
    dt = [e for e in calls(events) if e["call"] == "shmdt" and e["ret"] == 0]
    assert dt and dt[0]["id_from_addr"] is True
    s = summary(events)
    assert s["lost_events"] == 0
    assert s["calls"] == len(expected)
    assert s["errors"] == sum(1 for x in expected if x["errno"] != "0")


def test_follows_children_threads_and_grandchildren(ipcns, tmp_path):
    r, expected, events = trace_cmd(ipcns, tmp_path, ["--proc"], [workload("forker")])
    assert r.returncode == 0, r.stderr
    check_call_by_call(expected, events)
    pids = {x["pid"] for x in expected}
    assert len(pids) == 3, "parent, child and grandchild"
    assert len({x["tid"] for x in expected}) == 4, "and a thread of the parent"
    parent = expected[0]["pid"]
    child = next(x["pid"] for x in expected if x.get("who") == 2)
    grandchild = next(x["pid"] for x in expected if x.get("who") == 3)
    ppid = {e["pid"]: e["ppid"] for e in calls(events)}
    assert ppid[child] == parent and ppid[grandchild] == child
    forks = {(e["pid"], e["child_pid"]) for e in events if e.get("event") == "fork"}
    assert (parent, child) in forks and (child, grandchild) in forks
    exits = {e["pid"] for e in events if e.get("event") == "exit"}
    assert {parent, child, grandchild} <= exits
    assert summary(events)["lost_events"] == 0


def test_exit_status_is_the_commands(ipcns, tmp_path):
    r = ipcns.run([IPCSCOPE, "trace", "-o", str(tmp_path / "t.txt"), "--", "sh", "-c", "exit 7"])
    assert r.returncode == 7, r.stderr


def test_process_outside_the_filter_is_not_traced(ipcns, tmp_path):
    # A busy semop loop in the same namespace, started separately.
    outsider = ipcns.popen([workload("semloop"), "100000000", "wait"],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert outsider.stdout.readline().startswith("ready")
    outsider.stdin.write("go\n")
    outsider.stdin.flush()
    r, expected, events = trace_cmd(ipcns, tmp_path, [], [workload("semloop"), "2000"])
    assert outsider.poll() is None, "the outsider ran during the whole trace"
    assert r.returncode == 0, r.stderr
    traced = {e["pid"] for e in calls(events)}
    assert outsider.pid not in traced
    assert len(traced) == 1
    # semget, 2000 up/down pairs and the final IPC_RMID
    assert len(calls(events)) == 2 * 2000 + 2
    assert summary(events)["lost_events"] == 0


def wait_ready(proc):
    """Wait for trace's readiness line on stderr (printed once attached)."""
    line = proc.stderr.readline()
    assert "Tracing" in line, f"no readiness line: {line!r}"


def test_ipcns_filter(ipcns, tmp_path):
    other = IpcNamespace()
    try:
        out = tmp_path / "ns.jsonl"
        tracer = subprocess.Popen([IPCSCOPE, "trace", "--ipcns", str(ipcns.inode), "--json",
                                   "-o", str(out)], stderr=subprocess.PIPE, text=True)
        try:
            wait_ready(tracer)
            mine = ipcns.run([workload("allcalls")], check=True)
            theirs = other.run([workload("allcalls")], check=True)
        finally:
            tracer.send_signal(signal.SIGINT)
            tracer.wait(timeout=30)
        assert tracer.returncode == 0
        events = parse_lines(out.read_text())
        assert all(e["ipcns"] == ipcns.inode for e in calls(events))
        their_pids = {x["pid"] for x in parse_lines(theirs.stdout)}
        assert not their_pids & {e["pid"] for e in calls(events)}
        check_call_by_call(parse_lines(mine.stdout), events)
        assert summary(events)["lost_events"] == 0
    finally:
        other.close()


def test_pid_filter_and_kind_filter(ipcns, tmp_path):
    target = ipcns.popen([workload("semloop"), "500", "wait"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert target.stdout.readline().startswith("ready")
    out = tmp_path / "pid.jsonl"
    tracer = subprocess.Popen([IPCSCOPE, "trace", "-p", str(target.pid), "-t", "sem", "--json",
                               "-o", str(out)], stderr=subprocess.PIPE, text=True)
    try:
        wait_ready(tracer)
        target.stdin.write("go\n")
        target.stdin.flush()
        assert target.wait(timeout=60) == 0
    finally:
        tracer.send_signal(signal.SIGINT)
        tracer.wait(timeout=30)
    events = parse_lines(out.read_text())
    got = calls(events)
    assert {e["pid"] for e in got} == {target.pid}
    assert len(got) == 2 * 500 + 1          # the loop and its final IPC_RMID
    assert sum(1 for e in got if e["call"] == "semtimedop") == 1000
    assert summary(events)["lost_events"] == 0


def test_sigint_right_after_the_readiness_line(ipcns, tmp_path):
    """Ctrl-C as soon as tracing is announced ends the trace cleanly, with its
    summary: the handler is in place before the readiness line."""
    out = tmp_path / "sig.jsonl"
    for _ in range(5):   # the race it guards against lost about one run in six
        tracer = subprocess.Popen([IPCSCOPE, "trace", "--ipcns", str(ipcns.inode), "--json",
                                   "-o", str(out)], stderr=subprocess.PIPE, text=True)
        wait_ready(tracer)
        tracer.send_signal(signal.SIGINT)
        assert tracer.wait(timeout=30) == 0, tracer.stderr.read()
        assert summary(parse_lines(out.read_text()))["calls"] == 0


def test_type_and_errors_filters(ipcns, tmp_path):
    r, expected, events = trace_cmd(ipcns, tmp_path, ["-t", "msg", "--errors"],
                                    [workload("allcalls")])
    assert r.returncode == 0, r.stderr
    want = [x for x in expected if x["call"].startswith("msg") and x["errno"] != "0"]
    assert len(want) == 3
    check_call_by_call(want, events)


def test_text_output(ipcns, tmp_path):
    out = tmp_path / "trace.txt"
    r = ipcns.run([IPCSCOPE, "trace", "-o", str(out), "--", workload("allcalls")])
    assert r.returncode == 0, r.stderr
    text = out.read_text()
    assert "semget(IPC_PRIVATE, 2, IPC_CREAT|0600) = " in text
    assert "= -1 EIDRM (Identifier removed) <" in text
    assert "[{sem_num=0, sem_op=-1, sem_flg=SEM_UNDO}], 1, NULL) = 0 <" in text
    assert "msgsnd(" in text and "{mtype=7, ...}, 5, 0) = 0 <" in text
    assert text.rstrip().endswith("lost events ---")
    assert " 0 lost events" in text.splitlines()[-1]


def test_creation_context(ipcns, tmp_path):
    """--creators: the user context captured at a creating *get is what an
    unwinder needs: rip inside libc's wrapper, a stack copy from sp that
    holds the caller's frame, the command line."""
    r, lines, events = trace_cmd(ipcns, tmp_path, ["--creators"],
                                 [workload("creator"), "arg1"])
    assert r.returncode == 0, r.stderr
    wrappers = {l["wrapper"]: l for l in lines if "wrapper" in l}
    assert set(wrappers) == {"shmget", "semget", "msgget"}
    local = next(l["stack_local"] for l in lines if "stack_local" in l)
    made = [(l["call"], l["id"], l["key"]) for l in lines if "call" in l]
    creates = [e for e in events if e.get("event") == "create"]
    assert [(c["call"], c["id"], c["key"]) for c in creates] == made
    for c in creates:
        w = wrappers[c["call"]]
        assert w["start"] <= c["rip"] < w["start"] + w["size"], \
            f"rip {c['rip']:#x} outside {c['call']} [{w['start']:#x}, +{w['size']}]"
        assert c["stack_len"] >= 256
        assert c["sp"] <= local < c["sp"] + c["stack_len"], "caller's frame is in the copy"
        assert c["cmdline"] == [workload("creator"), "arg1"]
        assert c["ipcns"] == ipcns.inode
        # the kernel's frame-pointer walk only when %rbp can be a frame
        # pointer: in code built without them it faults for nothing
        if c["sp"] <= c["rbp"] < c["sp"] + (8 << 20):
            assert c["stack_id"] >= 0
        else:
            assert "stack_id" not in c


def test_lost_events_are_counted(ipcns, tmp_path):
    """A ring buffer too small for a burst: what did not fit is counted, and
    reported calls + lost events account for every call made."""
    r, _, events = trace_cmd(ipcns, tmp_path, ["--buffer-size", "4K"],
                             [workload("semloop"), "20000"])
    assert r.returncode == 0, r.stderr
    s = summary(events)
    assert s["lost_events"] > 0
    assert s["calls"] + s["lost_events"] == 2 * 20000 + 2
    assert len(calls(events)) == s["calls"]
    assert f"{s['lost_events']} events were lost" in r.stderr


def test_offcpu(ipcns, tmp_path):
    """--offcpu: the semop that blocked until IPC_RMID spent its time switched out."""
    r, expected, events = trace_cmd(ipcns, tmp_path, ["--offcpu"], [workload("allcalls")])
    assert r.returncode == 0, r.stderr
    check_call_by_call(expected, events)
    eidrm = [e for e in calls(events) if e["errno"] == "EIDRM"]
    assert len(eidrm) == 1
    e = eidrm[0]
    assert 0 < e["offcpu_ns"] <= e["lat_ns"]
    assert e["offcpu_ns"] > e["lat_ns"] / 2, "it slept most of the call"
    assert e.get("waited") is True, e
    # calls that never left the CPU did not wait
    assert not any(c.get("waited") for c in calls(events) if "offcpu_ns" not in c)


def test_duration_ends_the_trace(ipcns, tmp_path):
    out = tmp_path / "d.jsonl"
    r = subprocess.run([IPCSCOPE, "trace", "-d", "0.5", "--ipcns", str(ipcns.inode), "--json",
                        "-o", str(out)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    events = parse_lines(out.read_text())
    assert summary(events)["lost_events"] == 0
    assert all(e["ipcns"] == ipcns.inode for e in calls(events))


def test_not_root_is_one_clear_line(tmp_path):
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                        "--inh-caps=-all", "--bounding-set=-all", IPCSCOPE, "trace", "-d", "1"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 77
    assert r.stderr == ("ipcscope: needs root (CAP_BPF and CAP_PERFMON) to load its BPF "
                        "programs: run it with sudo\n")


def test_bad_buffer_size():
    r = subprocess.run([IPCSCOPE, "trace", "--buffer-size", "2G"], capture_output=True, text=True)
    assert r.returncode == 64
    assert "invalid --buffer-size" in r.stderr


# ------------------------------------------------------------------ negative


def test_unknown_option():
    r = subprocess.run([IPCSCOPE, "trace", "--no-such-option"], capture_output=True, text=True)
    assert r.returncode == 64
    assert "unrecognized option" in r.stderr


def test_pid_that_does_not_exist():
    r = subprocess.run([IPCSCOPE, "trace", "-p", "999999999"], capture_output=True, text=True)
    assert r.returncode == 64
    assert r.stderr.startswith("ipcscope: no process with PID 999999999")
    assert len(r.stderr.strip().splitlines()) == 1


def test_command_that_cannot_be_executed(ipcns, tmp_path):
    r = ipcns.run([IPCSCOPE, "trace", "-o", str(tmp_path / "t"), "--", "/nonexistent"])
    assert r.returncode == 127
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("ipcscope: cannot execute '/nonexistent': No such file")


def test_command_not_executable(ipcns, tmp_path):
    f = tmp_path / "notexec"
    f.write_text("#!/bin/sh\n")
    os.chmod(f, 0o644)
    r = ipcns.run([IPCSCOPE, "trace", "-o", str(tmp_path / "t"), "--", str(f)])
    assert r.returncode == 126
    assert "cannot execute" in r.stderr and "Permission denied" in r.stderr


def test_nothing_after_double_dash():
    r = subprocess.run([IPCSCOPE, "trace", "--"], capture_output=True, text=True)
    assert r.returncode == 64
    assert "nothing after `--`" in r.stderr


def test_command_output_and_trace_never_mix(ipcns):
    """-- CMD without -o: CMD keeps stdout, the trace goes to stderr (as
    strace's does), whole lines; `-o -` asks for stdout."""
    r = ipcns.run([IPCSCOPE, "trace", "--", workload("allcalls")])
    assert r.returncode == 0, r.stderr
    expected = parse_lines(r.stdout)
    assert len(expected) >= 30
    assert len(expected) == len(r.stdout.splitlines()), "only CMD's lines on stdout"
    traced = [l for l in r.stderr.splitlines() if "] sem" in l or "] shm" in l or "] msg" in l]
    assert len(traced) == len(expected)
    assert all(l.endswith(">") for l in traced), "whole trace lines"
    assert r.stderr.rstrip().endswith("lost events ---")
    r = ipcns.run([IPCSCOPE, "trace", "-o", "-", "--", workload("allcalls")])
    assert r.returncode == 0, r.stderr
    assert "lost events ---" in r.stdout
