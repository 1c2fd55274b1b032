"""Smoke run of the benchmark harness (`make bench-smoke`, issue 7).

One short iteration of every configuration on two workloads plus a small
inventory: checks that the report is produced, that every configuration that
exists (ipcscope commands listed by `ipcscope --help`, bpftrace if installed)
has a numeric ratio, that the others say "n/a (not built)", and that the
streaming path delivered every call without loss.  The full benchmark
(`make bench`) is not part of the test suite.
"""
import json
import os
import re
import shutil
import subprocess

from conftest import BUILD, IPCSCOPE, ROOT, needs_root

BENCH = os.path.join(ROOT, "bench", "bench.py")
WORKLOADS = ["semop", "pingpong"]
IPCSCOPE_CONFIGS = {"latency": "latency", "trace": "trace", "record": "record",
                    "blocked": "blocked", "leaks": "leaks"}
COLUMNS = ["`latency`", "`trace --json -o`", "`record`", "`blocked`", "`leaks`",
           "bpftrace hist", "bpftrace printf"]
CONFIG_OF = dict(zip(COLUMNS, ["latency", "trace", "record", "blocked", "leaks",
                               "bpftrace-hist", "bpftrace-stream"]))


def built_commands():
    r = subprocess.run([IPCSCOPE, "--help"], capture_output=True, text=True, timeout=30)
    cmds, inside = set(), False
    for line in r.stdout.splitlines():
        if line.startswith("Commands:"):
            inside = True
        elif inside and re.match(r"^\s+[a-z]", line):
            cmds.add(line.split()[0])
        elif inside and not line.strip():
            inside = False
    return cmds


def table(md, first_header):
    """Rows (lists of cells) of the markdown table whose header starts so."""
    lines = md.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith(f"| {first_header} |"))
    header = [c.strip() for c in lines[start].strip("|").split("|")]
    rows = []
    for ln in lines[start + 2:]:
        if not ln.startswith("|"):
            break
        rows.append(dict(zip(header, [c.strip() for c in ln.strip("|").split("|")])))
    return rows


@needs_root
def test_bench_smoke(tmp_path):
    for w in WORKLOADS + ["ipc_populate", "runstat"]:
        name = f"wl_{w}" if w in WORKLOADS else w
        assert os.path.exists(os.path.join(BUILD, "bench", name)), \
            f"{name} not built: run `make tests-build`"
    out, js = tmp_path / "perf.md", tmp_path / "results.json"
    env = dict(os.environ, BENCH_QUICK="1", BENCH_BUILD=BUILD)
    r = subprocess.run(["/usr/bin/python3", BENCH, "--workloads", ",".join(WORKLOADS),
                        "--out", str(out), "--json", str(js)],
                       capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, f"bench failed:\n{r.stdout}\n{r.stderr}"
    md = out.read_text()
    assert "Quick smoke run" in md
    cmds = built_commands()
    have_bpftrace = shutil.which("bpftrace") is not None

    rows = {row["workload"]: row for row in table(md, "workload")}
    assert set(rows) == set(WORKLOADS)
    for wl, row in rows.items():
        assert re.match(r"^[\d.]+ [kM]? ?\(±", row["untraced calls/s"]), row
        for col in COLUMNS:
            cfg = CONFIG_OF[col]
            exists = (IPCSCOPE_CONFIGS[cfg] in cmds if cfg in IPCSCOPE_CONFIGS
                      else have_bpftrace)
            cell = row[col]
            if exists:
                m = re.match(r"^(\d+\.\d\d)\b", cell)
                assert m, f"{wl}/{cfg}: expected a ratio, got {cell!r}"
                assert float(m.group(1)) > 0
            else:
                assert cell.startswith("n/a"), f"{wl}/{cfg}: {cell!r}"

    data = json.loads(js.read_text())
    for wl in WORKLOADS:
        base = data["cells"][wl]["untraced"]
        assert base["rate"] > 0 and base["ratio"] == 1.0
        c = data["cells"][wl]["trace"]
        if "ratio" in c:
            # Every call of the timed loop was delivered, and loss was counted.
            assert c["lost_max"] == 0, f"{wl}: lost {c['lost_max']}"
            run = data["runs"][wl]["trace"][0]
            assert run["events"] >= run["ops"], f"{wl}: {run}"

    inv = {row["command"]: row for row in table(md, "command")}
    for tool in ("`lsipc`", "`ipcs -a`", "`cat /proc/sysvipc/*`"):
        assert re.match(r"^\d+\.\d$", inv[tool]["median ms"]), inv[tool]
    snap = inv["`ipcscope snapshot --json`"]["median ms"]
    if "snapshot" in cmds:
        assert re.match(r"^\d+\.\d$", snap), snap
        assert data["inventory"]["tools"]["ipcscope snapshot --json"]["objects"] == 700
    else:
        assert snap == "n/a (not built)"

    # our programs' cost per call: the floor, the lower bound of any latency
    # histogram and latency itself measured in both hook modes, the lower
    # bound's verdict on issue 19's 100 ns computed from them
    cost = {row["programs"]: row for row in table(md, "programs")}
    for mode in ("tracepoints", "raw hooks"):
        for what in ("empty programs", "lower bound", "`latency`"):
            cell = cost[f"{what}, {mode}"]["ns per call"]
            assert re.match(r"^\d+$", cell) and int(cell) > 0, (what, mode, cell)
        assert re.search(rf"^- {mode}: the lower bound is -?\d+ ns over the floor", md, re.M), mode

    # blocked/top/metrics with and without idle processes: a number each
    idle = data["meta"]["idle"]
    assert "error" not in idle, idle
    assert len(idle["cpu_s"]) == 4
    for name, v in idle["cpu_s"].items():
        for count in map(str, idle["counts"]):
            assert isinstance(v[count], float) and v[count] > 0, (name, v)
    assert "### Idle processes" in md
