#!/usr/bin/python3
"""Time the IPC inventory commands in the current (private, populated) IPC
namespace.  Run by bench.py as `ipc_populate ... -- inventory.py`, which
creates the namespace and the objects and removes them afterwards.

Each command is run `--reps` times, interleaved, stdout to /dev/null; prints
one JSON object: {"reps": N, "tools": {name: {median_ms, min_ms, maxrss_kb}}}.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys


def tools(ipcscope, snapshot):
    t = {}
    if snapshot:
        t["ipcscope snapshot --json"] = [ipcscope, "snapshot", "--json"]
    t["lsipc"] = ["lsipc"]
    t["lsipc -s; lsipc -q; lsipc -m"] = ["sh", "-c", "lsipc -s; lsipc -q; lsipc -m"]
    t["ipcs -a"] = ["ipcs", "-a"]
    t["cat /proc/sysvipc/*"] = ["cat", "/proc/sysvipc/msg", "/proc/sysvipc/sem",
                                "/proc/sysvipc/shm"]
    return t


def timed(argv, runstat, tmp):
    """(wall ms, peak RSS kB, exit status, stderr tail) of one run, measured by
    bench/runstat (a small C parent, so RSS is the command's own)."""
    stat = os.path.join(tmp, "inventory.runstat")
    with open(os.devnull, "w") as null:
        r = subprocess.run([runstat, stat] + argv, stdout=null, stderr=subprocess.PIPE)
    err = r.stderr.decode(errors="replace").strip()[-200:]
    try:
        with open(stat) as f:
            m = re.search(r"rc=(-?\d+) wall_s=([\d.]+) cpu_s=([\d.]+) maxrss_kb=(\d+)",
                          f.read())
    except OSError:
        m = None
    if not m:
        return 0, 0, r.returncode or 126, err or "no runstat line"
    return float(m.group(2)) * 1e3, int(m.group(4)), int(m.group(1)), err


def count_objects(doc):
    """Objects in a snapshot's JSON: dicts carrying an "id" (shape-agnostic)."""
    n = 0
    stack = [doc]
    while stack:
        x = stack.pop()
        if isinstance(x, dict):
            if "id" in x and ("key" in x or "kind" in x or "perms" in x or "mode" in x):
                n += 1
                continue
            stack.extend(x.values())
        elif isinstance(x, list):
            stack.extend(x)
    return n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--ipcscope", required=True)
    ap.add_argument("--expect", type=int, default=0)
    ap.add_argument("--no-snapshot", action="store_true")
    ap.add_argument("--runstat", required=True)
    ap.add_argument("--tmp", required=True)
    a = ap.parse_args()
    ts = tools(a.ipcscope, not a.no_snapshot)
    res = {name: {"ms": [], "rss": []} for name in ts}
    for _ in range(a.reps):
        for name, argv in ts.items():
            if "error" in res[name]:
                continue
            ms, rss, rc, err = timed(argv, a.runstat, a.tmp)
            if rc != 0:
                res[name]["error"] = f"exit {rc}: {err}"
                continue
            res[name]["ms"].append(ms)
            res[name]["rss"].append(rss)
    out = {}
    for name, r in res.items():
        if "error" in r:
            out[name] = {"error": r["error"]}
            continue
        out[name] = {"median_ms": statistics.median(r["ms"]), "min_ms": min(r["ms"]),
                     "maxrss_kb": max(r["rss"])}
    if a.no_snapshot:
        out = {"ipcscope snapshot --json": {"na": "n/a (not built)"}, **out}
    elif "error" not in res["ipcscope snapshot --json"]:
        # Check that the fast answer is also a complete one.
        r = subprocess.run(ts["ipcscope snapshot --json"], capture_output=True, text=True)
        try:
            n = count_objects(json.loads(r.stdout))
        except ValueError:
            n = None
        out["ipcscope snapshot --json"]["objects"] = n
    json.dump({"reps": a.reps, "expect": a.expect, "tools": out}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
