#!/usr/bin/python3
"""CPU of the watching commands (`blocked`, `top`, `top --all-namespaces`,
`metrics`) on a host with many idle processes, against none (issue 19: their cost must not grow with
the thread count).  Run by bench.py inside a private IPC namespace
(`unshare --ipc`); starts N sleeping processes there (`sleep`, ended by pid
afterwards) and one semaphore set, runs each command for --seconds under
bench/runstat and prints one JSON object:
{"seconds": S, "counts": [0, N], "cpu_s": {command: {"0": s, "N": s}}}.
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys

RUNSTAT = re.compile(r"rc=(-?\d+) wall_s=([\d.]+) cpu_s=([\d.]+) maxrss_kb=(\d+)")


def commands(ipcscope, seconds, tmp, anchor):
    n = max(1, int(seconds / 0.2))
    return {
        f"blocked -d {seconds:g}": [ipcscope, "blocked", "-d", f"{seconds:g}"],
        f"top -b -D 0.2 -n {n}": [ipcscope, "top", "-b", "-D", "0.2", "-n", str(n)],
        # every namespace's tables, tracing filtered to one process of ours
        f"top --all-namespaces -b -D 0.2 -n {n}":
            [ipcscope, "top", "--all-namespaces", "-p", str(anchor), "-b", "-D", "0.2",
             "-n", str(n)],
        f"metrics --textfile -i 0.2 -d {seconds:g}":
            [ipcscope, "metrics", "--textfile", os.path.join(tmp, "idle.prom"),
             "-i", "0.2", "-d", f"{seconds:g}"],
    }


def cpu_of(argv, runstat, tmp):
    stat = os.path.join(tmp, "idle.runstat")
    with open(os.devnull, "w") as null:
        r = subprocess.run([runstat, stat] + argv, stdout=null, stderr=subprocess.PIPE,
                           text=True)
    with open(stat) as f:
        m = RUNSTAT.search(f.read())
    if r.returncode not in (0, 1) or not m:
        return {"error": f"exit {r.returncode}: {r.stderr.strip()[-200:]}"}
    return float(m.group(3))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ipcscope", required=True)
    ap.add_argument("--runstat", required=True)
    ap.add_argument("--tmp", required=True)
    ap.add_argument("--idle", type=int, default=3000)
    ap.add_argument("--seconds", type=float, default=5)
    a = ap.parse_args()
    os.makedirs(a.tmp, exist_ok=True)
    subprocess.run(["ipcmk", "-S", "4"], check=True, capture_output=True)
    out = {"seconds": a.seconds, "counts": [0, a.idle], "cpu_s": {}}
    anchor = subprocess.Popen(["sleep", "3600"])
    cmds = commands(a.ipcscope, a.seconds, a.tmp, anchor.pid)
    for name in cmds:
        out["cpu_s"][name] = {}
    kids = [anchor]
    try:
        for count in (0, a.idle):
            while len(kids) < count + 1:
                kids.append(subprocess.Popen(["sleep", "3600"]))
            for name, argv in cmds.items():
                out["cpu_s"][name][str(count)] = cpu_of(argv, a.runstat, a.tmp)
    finally:
        for k in kids:
            k.send_signal(signal.SIGKILL)
        for k in kids:
            k.wait()
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
