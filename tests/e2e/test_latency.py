"""latency: in-kernel histograms against workloads that count their own calls."""
import json
import re
import os
import subprocess

import pytest

from conftest import IPCSCOPE, workload


def run(ns, args, timeout=120):
    r = ns.run([IPCSCOPE, "latency", "--json"] + args, timeout=timeout)
    assert r.returncode == 0, r.stderr
    lines = [l for l in r.stdout.splitlines() if l.startswith("{")]
    wl = [json.loads(l) for l in lines if '"histograms"' not in l]
    reports = [json.loads(l) for l in lines if '"histograms"' in l]
    return reports, wl


def hist(rep, call):
    h = [x for x in rep["histograms"] if x["call"] == call]
    assert len(h) == 1, rep["histograms"]
    return h[0]


def test_pingpong_histogram_counts_every_call(ipcns):
    reports, wl = run(ipcns, ["--", workload("pingpong"), "-n", "5000"])
    assert len(reports) == 1 and len(wl) == 1
    rep, made = reports[0], wl[0]
    st = hist(rep, "semtimedop")
    assert st["count"] == made["semtimedop"] == 20000
    assert sum(b["count"] for b in st["buckets"]) == st["count"]
    assert hist(rep, "semget")["count"] == 1
    assert hist(rep, "semctl")["count"] == 1
    assert rep["total_calls"] == 20002
    assert st["errors"] == 0
    assert 0 < st["p50_ns"] <= st["p90_ns"] <= st["p99_ns"] <= st["max_ns"]
    # blocked time is split out: ping-pong blocks on about every other call
    assert rep["offcpu"] is True
    blocked = sum(b["count"] for b in st["offcpu_buckets"] if b["ge_ns"] > 0)
    assert blocked > 1000
    assert 0 < st["offcpu_sum_ns"] <= st["sum_ns"]
    # calls that went to sleep (not merely preempted) are a subset of those
    assert 1000 < st["waited"] <= blocked
    assert rep["lost_events"] == 0


def test_no_offcpu_counts_every_blocking_call(ipcns):
    """Without the split (no sched_switch program, so no per-CPU slot: the
    start of every call is in task storage) every blocking call of the
    ping-pong is counted, as with it (test_pingpong_histogram_counts_every_call,
    where sched_switch moves the start of a call whose task is switched out
    from the CPU's slot to task storage)."""
    reports, wl = run(ipcns, ["--no-offcpu", "--", workload("pingpong"), "-n", "5000"])
    rep, made = reports[0], wl[0]
    st = hist(rep, "semtimedop")
    assert rep["offcpu"] is False
    assert st["count"] == made["semtimedop"] == 20000
    assert sum(b["count"] for b in st["buckets"]) == st["count"]
    # a blocked call lasts at least its partner's turn: some take > 1 us
    assert sum(b["count"] for b in st["buckets"] if b["ge_ns"] >= 1024) > 1000


def test_uncontended_calls_never_wait(ipcns):
    """An uncontended semop never sleeps: preemption alone is not a wait."""
    reports, _ = run(ipcns, ["--", workload("semloop"), "20000"])
    st = hist(reports[0], "semtimedop")
    assert st["count"] == 40000
    assert st["waited"] == 0


def test_queue_consumer_cannot_keep_up(ipcns):
    # Long enough (~0.5 s) for several 250 ms fill samples: at most one can
    # land on the few ms in which the queue drains at the end.
    n = 1500
    reports, wl = run(ipcns, ["-q", "--", workload("msgpc"), "-n", str(n)])
    rep, made = reports[0], wl[0]
    assert hist(rep, "msgsnd")["count"] == n
    assert hist(rep, "msgrcv")["count"] == n
    assert {h["call"] for h in rep["histograms"]} == {"msgget", "msgsnd", "msgrcv", "msgctl"}
    q = [x for x in rep["queues"] if x["id"] == made["msqid"]]
    assert len(q) == 1
    q = q[0]
    assert q["sends"] == n and q["recvs"] == n
    assert q["send_bytes"] == q["recv_bytes"] == n * 64
    assert q["send_blocked_ns"] > 0          # the producer waited on a full queue
    # a sender sleeps only when the queue is full: exact, unlike the sampled peak
    assert 0 < q["send_waits"] < n
    assert q["fill_peak_pct"] is None or q["fill_peak_pct"] > 50


def test_per_object_and_kind_filter(ipcns):
    reports, _ = run(ipcns, ["--per-object", "-s", "--", workload("pingpong"), "-n", "100"])
    rep = reports[0]
    assert all(h["kind"] == "sem" for h in rep["histograms"])
    ids = {h["id"] for h in rep["histograms"] if h["call"] == "semtimedop"}
    assert len(ids) == 1 and min(ids) >= 0


def test_interval_and_count(ipcns):
    # only the test's own namespace: other programs run on this machine
    r = ipcns.run([IPCSCOPE, "latency", "--json", "--ipcns", str(ipcns.pid), "0.3", "2"],
                  timeout=30)
    assert r.returncode == 0, r.stderr
    lines = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
    assert len(lines) == 2
    assert all(0.2 < l["interval_s"] < 1.5 for l in lines)
    assert all(l["total_calls"] == 0 for l in lines)   # nothing runs in it


def test_text_output(ipcns):
    r = ipcns.run([IPCSCOPE, "latency", "--", workload("pingpong"), "-n", "200"], timeout=60)
    assert r.returncode == 0, r.stderr
    assert "semtimedop: count 800" in r.stdout
    assert "distribution" in r.stdout and "p99" in r.stdout
    assert re.search(r"of 800 calls \d+ waited, \d+ were only preempted, \d+ never blocked",
                     r.stdout), r.stdout


def test_bad_input():
    import subprocess
    for args in (["latency", "x"], ["latency", "1", "0"], ["latency", "1", "2", "3"]):
        r = subprocess.run([IPCSCOPE] + args, capture_output=True, text=True, timeout=30)
        assert r.returncode == 64, (args, r.stderr)
        assert r.stderr.startswith("ipcscope")


def doctor_latency_hooks():
    """("fentry" | "raw" | "tracepoint", the "latency fentry" check's detail) from
    `ipcscope doctor --json`."""
    r = subprocess.run([IPCSCOPE, "doctor", "--json"], capture_output=True, text=True,
                       timeout=300)
    doc = json.loads(r.stdout)
    checks = {c["name"]: c["detail"] for c in doc["checks"]}
    return doc["latency_hooks"], checks.get("latency fentry", "?")


def test_fentry_where_allowed(ipcns):
    """On a kernel that allows fentry (the Debian kernel of `make vmtest`), latency
    hooks the syscall functions with fentry/fexit (its default unless 32-bit
    programs run there) and still counts exactly the workload's calls."""
    hooks, why = doctor_latency_hooks()
    if not why.endswith("loads and attaches"):
        if os.environ.get("IPCSCOPE_VMTEST"):
            pytest.fail(f"fentry unavailable in the test VM: {why}")
        pytest.skip(f"kernel refuses fentry ({why})")
    # where 32-bit programs run, fentry (blind to them) is not the default: force it
    env = dict(os.environ, IPCSCOPE_HOOKS="fentry")
    r = ipcns.run([IPCSCOPE, "latency", "-v", "--json", "--", workload("pingpong"), "-n", "300"],
                  timeout=300, env=env)
    assert r.returncode == 0, r.stderr
    assert "syscalls hooked by fentry" in r.stderr, r.stderr
    lines = [json.loads(l) for l in r.stdout.splitlines() if l.startswith("{")]
    made = [l for l in lines if "histograms" not in l][0]
    rep = [l for l in lines if "histograms" in l][0]
    assert hist(rep, "semtimedop")["count"] == made["semtimedop"] == 1200
    assert hist(rep, "semget")["count"] == 1 and hist(rep, "semctl")["count"] == 1
    assert rep["offcpu"] is True


@pytest.mark.parametrize("mode", ["tracepoint", "raw"])
def test_hooks_forced(ipcns, mode):
    """IPCSCOPE_HOOKS=tracepoint|raw forces one way to hook the calls (-v says
    so, counts are exact); =fentry on a kernel that refuses it is a one-line
    error.  IPCSCOPE_LATENCY_HOOKS is the older name of the same switch."""
    for var in ("IPCSCOPE_HOOKS", "IPCSCOPE_LATENCY_HOOKS"):
        env = dict(os.environ)
        env.pop("IPCSCOPE_HOOKS", None)
        env[var] = mode
        r = ipcns.run([IPCSCOPE, "latency", "-v", "--json", "--", workload("pingpong"),
                       "-n", "100"], timeout=300, env=env)
        assert r.returncode == 0, r.stderr
        assert f"syscalls hooked by {mode}" in r.stderr, r.stderr
        rep = [json.loads(l) for l in r.stdout.splitlines() if '"histograms"' in l][0]
        assert hist(rep, "semtimedop")["count"] == 400
    _, why = doctor_latency_hooks()
    if not why.endswith("loads and attaches"):       # fentry refused here
        env["IPCSCOPE_HOOKS"] = "fentry"
        r = ipcns.run([IPCSCOPE, "latency", "--", workload("pingpong"), "-n", "10"],
                      timeout=300, env=env)
        assert r.returncode in (69, 77), r.stderr
        err = [l for l in r.stderr.splitlines() if l.startswith("ipcscope:")]
        assert len(err) == 1 and "latency BPF programs" in err[0], r.stderr
