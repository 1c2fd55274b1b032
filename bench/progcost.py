#!/usr/bin/python3
"""Our own programs' cost per call, per hook mode, from kernel.bpf_stats_enabled.

For each configuration (empty programs = the floor, `latency`, `trace`, each
with the per-syscall tracepoints and with the raw sys_enter/sys_exit hooks;
the lower bound of any latency tool, bench/floor -c, and its two parts; the
same histogram in bpftrace, bench/bpftrace/hist.bt, where installed)
the uncontended semop loop (bench/wl_semop) runs 3 s under it; bpftool's
run_time_ns of the configuration's two programs is read 1 s apart in the
middle, and divided by the calls the loop made in that second (its rate).
The raw hooks' programs also run for every other syscall of the machine,
which this charges to the semop calls: an upper bound.  Issue 19's target:
`latency`'s programs at most 100 ns per call over the floor of the same mode,
and what they add over it at most 15 % of bpftrace's histogram (here: of its
programs' run time per call, the same measure).

Turns the run-time stats on with BPF_ENABLE_STATS for the run (or, where
that is refused, sets kernel.bpf_stats_enabled and puts back the value it
found).  `latency`'s sched_switch program (the off-CPU split, and moving the
start of a call whose task is switched out from the CPU's slot to task
storage) is not counted: it runs per context switch, not per call.
`make bench-progcost` prints the table; bench.py adds it to the report.
"""
import ctypes
import json
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# key, label, argv prefix (relative to the build), env, program names
CONFIGS = [
    ("floor-tp", "empty programs, tracepoints", ["bench/floor", "-s", "--"], {},
     {"floor_enter_semtimedop", "floor_exit_semtimedop"}),
    ("floor-raw", "empty programs, raw hooks", ["bench/floor", "-s", "-r", "--"], {},
     {"floor_raw_enter", "floor_raw_exit"}),
    ("lower-tp", "lower bound, tracepoints", ["bench/floor", "-s", "-c", "--"], {},
     {"lb_enter_semtimedop", "lb_exit_semtimedop"}),
    ("lower-raw", "lower bound, raw hooks", ["bench/floor", "-s", "-r", "-c", "--"], {},
     {"lb_raw_enter", "lb_raw_exit"}),
    ("clock-tp", "lower bound's two clock reads only, tracepoints",
     ["bench/floor", "-s", "-c", "-C", "--"], {}, {"lb_enter_semtimedop", "lb_exit_semtimedop"}),
    ("clock-raw", "lower bound's two clock reads only, raw hooks",
     ["bench/floor", "-s", "-r", "-c", "-C", "--"], {}, {"lb_raw_enter", "lb_raw_exit"}),
    ("slot-tp", "lower bound's slot and sum only, tracepoints",
     ["bench/floor", "-s", "-c", "-M", "--"], {}, {"lb_enter_semtimedop", "lb_exit_semtimedop"}),
    ("slot-raw", "lower bound's slot and sum only, raw hooks",
     ["bench/floor", "-s", "-r", "-c", "-M", "--"], {}, {"lb_raw_enter", "lb_raw_exit"}),
    ("latency-tp", "`latency`, tracepoints", ["ipcscope", "latency", "--"],
     {"IPCSCOPE_HOOKS": "tracepoint"}, {"lat_enter_semtimedop", "lat_exit_semtimedop"}),
    ("latency-raw", "`latency`, raw hooks", ["ipcscope", "latency", "--"],
     {"IPCSCOPE_HOOKS": "raw"}, {"lat_raw_enter", "lat_raw_exit"}),
    ("latency-raw-nooff", "`latency --no-offcpu`, raw hooks", ["ipcscope", "latency", "--no-offcpu", "--"],
     {"IPCSCOPE_HOOKS": "raw"}, {"lat_raw_enter", "lat_raw_exit"}),
    ("bpftrace-hist", "bpftrace hist (bench/bpftrace/hist.bt)", ["bpftrace"], {},
     {"sys_enter_semti", "sys_exit_semtim"}),
    ("trace-tp", "`trace -o /dev/null`, tracepoints", ["ipcscope", "trace", "-o", "/dev/null", "--"],
     {"IPCSCOPE_HOOKS": "tracepoint"}, {"enter_semtimedop", "exit_semtimedop"}),
    ("trace-raw", "`trace -o /dev/null`, raw hooks", ["ipcscope", "trace", "-o", "/dev/null", "--"],
     {"IPCSCOPE_HOOKS": "raw"}, {"raw_enter", "raw_exit"}),
]
FLOOR = {"bpftrace-hist": "floor-tp", "clock-tp": "floor-tp", "clock-raw": "floor-raw", "slot-tp": "floor-tp",
         "slot-raw": "floor-raw", "lower-tp": "floor-tp", "lower-raw": "floor-raw", "latency-tp": "floor-tp", "latency-raw": "floor-raw", "latency-raw-nooff": "floor-raw",
         "trace-tp": "floor-tp", "trace-raw": "floor-raw"}


def progs():
    r = subprocess.run(["bpftool", "prog", "show", "-j"], capture_output=True, text=True)
    return {p["id"]: p for p in json.loads(r.stdout or "[]")}


def one(build, prefix, env, names):
    """(ns per semop call, ns per program run summed over the programs)."""
    wl = [os.path.join(build, "bench", "wl_semop"), "-d", "3"]
    if prefix[0] == "bpftrace":
        # bpftrace names a program by its tracepoint, cut to 15 characters
        argv = ["unshare", "--ipc", "bpftrace", "-q", os.path.join(HERE, "bpftrace", "hist.bt"),
                "wl_semop", "-c", " ".join(wl)]
    else:
        argv = ["unshare", "--ipc", os.path.join(build, prefix[0])] + prefix[1:] + wl
    p = subprocess.Popen(argv, env=dict(os.environ, **env), stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
    time.sleep(1.2)
    a, t0 = progs(), time.monotonic()
    time.sleep(1.0)
    b, t1 = progs(), time.monotonic()
    out = p.communicate(timeout=60)[0]
    m = re.search(r"rate=([\d.]+)", out)
    calls = float(m.group(1)) * (t1 - t0) if m else 0
    ns = per_run = 0
    for i, pb in b.items():
        if pb.get("name") in names and i in a:
            dt = pb.get("run_time_ns", 0) - a[i].get("run_time_ns", 0)
            dn = pb.get("run_cnt", 0) - a[i].get("run_cnt", 0)
            ns += dt
            per_run += dt / dn if dn else 0
    return (ns / calls if calls else None), (per_run or None)


def enable_stats():
    """Run-time stats on while the returned fd is open (BPF_ENABLE_STATS):
    unlike the sysctl, another run that sets it back to 0 meanwhile (the
    machine is shared) does not turn them off under us.  -1 if refused."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        attr = ctypes.create_string_buffer(16)        # .enable_stats.type = BPF_STATS_RUN_TIME
        nr = {"x86_64": 321, "aarch64": 280}.get(os.uname().machine, -1)
        return libc.syscall(nr, 32, attr, 16) if nr > 0 else -1   # 32: BPF_ENABLE_STATS
    except OSError:
        return -1


def selected():
    """CONFIGS, or those named in PROGCOST_CONFIGS (comma-separated keys);
    bpftrace's only where it is installed."""
    want = [k for k in os.environ.get("PROGCOST_CONFIGS", "").split(",") if k]
    return [c for c in CONFIGS if (not want or c[0] in want) and
            (c[2][0] != "bpftrace" or shutil.which("bpftrace"))]


def run(build, rounds, log=print):
    configs = selected()
    path = "/proc/sys/kernel/bpf_stats_enabled"
    with open(path) as f:
        was = f.read().strip()
    res = {k: {"label": lbl, "ns": [], "run_ns": []} for k, lbl, _, _, _ in configs}
    fd = enable_stats()
    try:
        if fd < 0:
            with open(path, "w") as f:
                f.write("1")
        for rnd in range(rounds):
            for key, _, prefix, env, names in configs:
                v, r = one(build, prefix, env, names)
                if v is not None:
                    res[key]["ns"].append(v)
                if r is not None:
                    res[key]["run_ns"].append(r)
            log(f"progcost: round {rnd + 1}/{rounds}: " +
                " ".join(f"{k}={res[k]['ns'][-1]:.0f}" for k in res if res[k]["ns"]))
    finally:
        if fd >= 0:
            os.close(fd)
        else:
            with open(path, "w") as f:
                f.write(was)
    for v in res.values():
        if v["ns"]:
            v["median"] = sorted(v["ns"])[len(v["ns"]) // 2]
        if v["run_ns"]:
            v["run_median"] = sorted(v["run_ns"])[len(v["run_ns"]) // 2]
    return res


def render(res, rounds):
    lines = [f"Our programs' run time per semop call (`bpf_stats`, median of {rounds}): per "
             "call = run time over the calls the loop made in the sampled second (raw-hook "
             "rows include the other syscalls of the machine that ran them meanwhile); per "
             "run = the enter and exit programs' run_time/run_cnt added (robust to the "
             "loop's rate changing under load; for raw hooks it averages in the other "
             "syscalls' early exits). Targets (issue 19): `latency` at most 100 ns over "
             "the floor of the same mode, and what it adds over the floor at most 15 % of "
             "what bpftrace's histogram costs (last column: of bpftrace's programs' run "
             "time per call). The lower bound (`bench/floor -c`) is the least any latency "
             "histogram does: the clock read at the entry into a per-CPU slot, read again "
             "at the exit, the difference added to a per-CPU sum, for the workload's "
             "process only (a pid test, as any tool on a shared machine needs); no other "
             "filter, no histogram slots.", "",
             "| programs | ns per call | over the floor | ns per run (enter+exit) | over the floor "
             "| over the floor / bpftrace hist |",
             "|---|---:|---:|---:|---:|---:|"]
    bt = res.get("bpftrace-hist", {}).get("median")
    for key, v in res.items():
        fl = res.get(FLOOR.get(key, ""), {})
        cells = []
        for m in ("median", "run_median"):
            if m not in v:
                cells += ["failed", ""]
                continue
            over = f"{v[m] - fl[m]:.0f}" if m in fl else ""
            cells += [f"{v[m]:.0f}", over]
        share = ""
        if bt and key.startswith(("lower", "clock", "slot", "latency")) and "median" in v \
                and "median" in fl:
            share = f"{100 * (v['median'] - fl['median']) / bt:.0f} %"
        lines.append(f"| {v['label']} | " + " | ".join(cells) + f" | {share} |")
    lines += ["", *verdict(res, bt)]
    return "\n".join(lines) + "\n"


def verdict(res, bt):
    """What the lower bound says of the targets, from this run's numbers."""
    out = []
    for mode, label in (("tp", "tracepoints"), ("raw", "raw hooks")):
        lo, fl = res.get(f"lower-{mode}", {}), res.get(f"floor-{mode}", {})
        lat, clk = res.get(f"latency-{mode}", {}), res.get(f"clock-{mode}", {})
        if "median" not in lo or "median" not in fl:
            continue
        over = lo["median"] - fl["median"]
        line = f"- {label}: the lower bound is {over:.0f} ns over the floor"
        if "median" in clk:
            line += f" (its two clock reads alone {clk['median'] - fl['median']:.0f})"
        if bt:
            line += f", {100 * over / bt:.0f} % of bpftrace's histogram"
        if "median" in lat:
            line += f"; `latency` adds {lat['median'] - lo['median']:.0f} ns to it"
        line += (": 100 ns over the floor is below what timing a call costs on this machine."
                 if over > 100 else ": 100 ns over the floor is within reach.")
        out.append(line)
    return out


def main():
    build = os.environ.get("BENCH_BUILD", os.path.join(ROOT, "build"))
    rounds = int(os.environ.get("BENCH_RUNS", "0")) or 3
    if os.geteuid() != 0:
        sys.exit("progcost: needs root (BPF, sysctl): run it as root")
    res = run(build, rounds, log=lambda m: print(m, file=sys.stderr))
    print(render(res, rounds))


if __name__ == "__main__":
    main()
