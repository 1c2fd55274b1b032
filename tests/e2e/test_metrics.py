"""`ipcscope metrics` against real servers from Debian's packages.

A workload in a private IPC namespace creates a known set of objects; the
metrics endpoint runs in the same namespace; a real Prometheus server
(scraping over loopback) and node_exporter's textfile collector must report
exactly what the workload created.
"""
import collections
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from conftest import IPCSCOPE, workload

PROMETHEUS = shutil.which("prometheus")
NODE_EXPORTER = shutil.which("prometheus-node-exporter")
PROMTOOL = shutil.which("promtool")

NSHM, NMSG = 5, 3


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.headers.get("Content-Type", ""), r.read().decode()


def wait_for(what, fn, timeout=30.0, step=0.2):
    """Poll fn() until it returns a truthy value (servers have no readiness pipe)."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            last = fn()
            if last:
                return last
        except (OSError, urllib.error.URLError, ValueError) as e:
            last = e
        time.sleep(step)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


def start_workload(ipcns, nshm=NSHM, nmsg=NMSG, rate=0):
    p = ipcns.popen([workload("ops_load"), str(nshm), str(nmsg), str(rate)],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    assert line.startswith("ready "), f"workload did not start: {line!r}"
    return p


def readiness(proc, pattern):
    """Read stderr lines until one matches (the command's readiness line)."""
    lines = []
    for line in proc.stderr:
        lines.append(line)
        m = re.search(pattern, line)
        if m:
            return m
    raise AssertionError(f"no readiness line; stderr: {''.join(lines)}")


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def parse_exposition(text):
    """{(name, frozenset(labels)): value} from Prometheus text format."""
    out = {}
    pat = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = pat.match(line)
        assert m, f"not an exposition line: {line!r}"
        labels = frozenset(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def test_metrics_once_counts_and_promtool(ipcns):
    """--once prints the exposition; promtool (Prometheus's own linter) accepts it."""
    wl = start_workload(ipcns)
    r = ipcns.run([IPCSCOPE, "metrics", "--once"], check=True)
    m = parse_exposition(r.stdout)
    ns = str(ipcns.inode)
    assert m[("ipcscope_objects", frozenset({("kind", "shm"), ("ipcns", ns)}))] == NSHM
    assert m[("ipcscope_objects", frozenset({("kind", "msg"), ("ipcns", ns)}))] == NMSG
    assert m[("ipcscope_objects", frozenset({("kind", "sem"), ("ipcns", ns)}))] == 1
    # Segment i is i+1 pages.
    page = os.sysconf("SC_PAGE_SIZE")
    assert m[("ipcscope_bytes", frozenset({("kind", "shm"), ("ipcns", ns)}))] == \
        page * NSHM * (NSHM + 1) // 2
    # The workload's waiter thread is blocked on semaphore 1.
    assert m[("ipcscope_blocked_waiters", frozenset({("kind", "sem")}))] == 1
    # Queue 2 is filled to 20 %, queue 1 to 10 % (64-byte messages, rounded down).
    fills = {dict(k[1])["key"]: v for k, v in m.items() if k[0] == "ipcscope_msg_queue_fill_ratio"}
    assert set(fills) == {"0x6f710000", "0x6f710001", "0x6f710002"}
    assert 0.19 < fills["0x6f710002"] <= 0.20 and 0.09 < fills["0x6f710001"] <= 0.10
    shmmni = [v for k, v in m.items()
              if k[0] == "ipcscope_limit_usage" and ("limit", "shmmni") in k[1]]
    assert shmmni == [NSHM]
    if PROMTOOL:
        lint = subprocess.run([PROMTOOL, "check", "metrics"], input=r.stdout,
                              capture_output=True, text=True, timeout=30)
        assert lint.returncode == 0, lint.stdout + lint.stderr
    wl.stdin.close()
    assert wl.wait(timeout=10) == 0


def test_metrics_top_n_cap(ipcns):
    wl = start_workload(ipcns, nshm=0, nmsg=8)
    r = ipcns.run([IPCSCOPE, "metrics", "--once", "--top", "3"], check=True)
    m = parse_exposition(r.stdout)
    fills = sorted(((v, dict(k[1])["key"]) for k, v in m.items()
                    if k[0] == "ipcscope_msg_queue_fill_ratio"), reverse=True)
    # The three fullest of eight queues (filled 70 %, 60 %, 50 %) and no others.
    assert [k for _, k in fills] == ["0x6f710007", "0x6f710006", "0x6f710005"]
    omitted = [v for k, v in m.items() if k[0] == "ipcscope_msg_queue_series_omitted"]
    assert omitted == [5]
    wl.stdin.close()
    wl.wait(timeout=10)


def test_metrics_json(ipcns):
    wl = start_workload(ipcns)
    doc = ipcns.json([IPCSCOPE, "metrics", "--once", "--json"])
    fams = {f["name"]: f for f in doc["metrics"]}
    shm = [s for s in fams["ipcscope_objects"]["samples"] if s["labels"]["kind"] == "shm"]
    assert shm[0]["value"] == NSHM and shm[0]["labels"]["ipcns"] == str(ipcns.inode)
    assert fams["ipcscope_objects"]["type"] == "gauge"
    wl.stdin.close()
    wl.wait(timeout=10)


def test_metrics_usage_errors(ipcscope):
    for args, msg in ((["--listen", "nonsense"], "invalid --listen"),
                      (["--json"], "--json needs --once"),
                      (["--once", "--listen", "127.0.0.1:0"], "conflict"),
                      (["--top", "0"], "invalid --top")):
        r = subprocess.run([ipcscope, "metrics"] + args, capture_output=True, text=True,
                           timeout=10)
        assert r.returncode == 64, (args, r.stderr)
        assert msg in r.stderr and r.stderr.startswith("ipcscope"), r.stderr
    # A busy port is a clear one-line error.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        r = subprocess.run([ipcscope, "metrics", "--listen", f"127.0.0.1:{port}"],
                           capture_output=True, text=True, timeout=10)
    assert r.returncode == 69 and "Address already in use" in r.stderr, r.stderr


@pytest.mark.skipif(not PROMETHEUS, reason="prometheus not installed (scripts/deps.d/ops.list)")
def test_prometheus_scrapes_segment_count(ipcns, tmp_path):
    wl = start_workload(ipcns)
    agent = ipcns.popen([IPCSCOPE, "metrics", "--listen", "127.0.0.1:0"],
                        stderr=subprocess.PIPE, text=True)
    prom = None
    try:
        addr = readiness(agent, r"serving metrics at http://([0-9.]+:\d+)/metrics").group(1)
        status, ctype, body = http_get(f"http://{addr}/metrics")
        assert status == 200 and ctype.startswith("text/plain; version=0.0.4")

        prom_port = free_port()
        (tmp_path / "prometheus.yml").write_text(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
            "scrape_configs:\n  - job_name: ipcscope\n"
            f"    static_configs:\n      - targets: ['{addr}']\n")
        prom = subprocess.Popen(
            [PROMETHEUS, f"--config.file={tmp_path / 'prometheus.yml'}",
             f"--storage.tsdb.path={tmp_path / 'data'}",
             f"--web.listen-address=127.0.0.1:{prom_port}",
             "--log.level=warn"],
            stdout=subprocess.DEVNULL, stderr=open(tmp_path / "prometheus.log", "w"))
        base = f"http://127.0.0.1:{prom_port}"
        wait_for("prometheus ready", lambda: http_get(f"{base}/-/ready")[0] == 200)

        def query(q):
            url = f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": q})
            data = json.loads(http_get(url)[2])
            assert data["status"] == "success", data
            return data["data"]["result"]

        q = f'ipcscope_objects{{job="ipcscope",kind="shm",ipcns="{ipcns.inode}"}}'
        result = wait_for("a scraped sample", lambda: query(q))
        assert len(result) == 1
        assert float(result[0]["value"][1]) == NSHM
        assert float(query('up{job="ipcscope"}')[0]["value"][1]) == 1
        # A PromQL expression over the limit metrics evaluates too.
        ratio = query('max(ipcscope_limit_usage_ratio{limit="shmmni"})')
        assert 0 < float(ratio[0]["value"][1]) < 1
    finally:
        if prom:
            stop(prom)
        assert stop(agent) == 0
        wl.stdin.close()
        wl.wait(timeout=10)


@pytest.mark.skipif(not NODE_EXPORTER, reason="prometheus-node-exporter not installed")
def test_node_exporter_textfile(ipcns, tmp_path):
    wl = start_workload(ipcns)
    textdir = tmp_path / "textfile"
    textdir.mkdir()
    path = textdir / "ipcscope.prom"
    agent = ipcns.popen([IPCSCOPE, "metrics", "--textfile", str(path), "--interval", "0.5"],
                        stderr=subprocess.PIPE, text=True)
    ne = None
    try:
        readiness(agent, r"wrote .*ipcscope\.prom")
        # Atomic replacement: no temporary file is left beside it.
        assert sorted(os.listdir(textdir)) == ["ipcscope.prom"]
        port = free_port()
        ne = subprocess.Popen(
            [NODE_EXPORTER, f"--web.listen-address=127.0.0.1:{port}",
             "--collector.disable-defaults", "--collector.textfile",
             f"--collector.textfile.directory={textdir}", "--log.level=warn"],
            stdout=subprocess.DEVNULL, stderr=open(tmp_path / "node_exporter.log", "w"))
        url = f"http://127.0.0.1:{port}/metrics"

        def objects(kind):
            m = parse_exposition(http_get(url)[2])
            return m.get(("ipcscope_objects",
                          frozenset({("kind", kind), ("ipcns", str(ipcns.inode))})))

        assert wait_for("node_exporter serving the textfile",
                        lambda: objects("shm") is not None) is not None
        assert objects("shm") == NSHM
        m = parse_exposition(http_get(url)[2])
        assert m[("node_textfile_scrape_error", frozenset())] == 0
        # The file is rewritten every interval: once the workload removes its
        # objects, node_exporter serves zero.
        wl.stdin.close()
        assert wl.wait(timeout=10) == 0
        wait_for("the textfile to be rewritten", lambda: objects("shm") == 0, timeout=15)
    finally:
        if ne:
            stop(ne)
        assert stop(agent) == 0
    assert sorted(os.listdir(textdir)) == ["ipcscope.prom"]


def test_metrics_tracing_counts_calls(ipcns):
    """With tracing, syscall counters and histograms count exactly the calls made.

    Counting starts when the syscall programs attach, before the readiness
    line (and, with --once -d, before the -d window: the tables and the
    SEM_UNDO iterator are loaded after the attach, which takes seconds under
    emulation), so a workload running all along would be counted for an
    unknown time.  Here the workloads run only after the readiness line and
    log every call they make: the counts must equal their logs."""
    agent = ipcns.popen([IPCSCOPE, "metrics", "--listen", "127.0.0.1:0"],
                        stderr=subprocess.PIPE, text=True)
    try:
        addr = readiness(agent, r"serving metrics at http://([0-9.]+:\d+)/metrics").group(1)

        def scrape():
            return parse_exposition(http_get(f"http://{addr}/metrics")[2])

        def calls(m):
            return {dict(k[1])["syscall"]: v for k, v in m.items()
                    if k[0] == "ipcscope_syscalls_total"}

        m = scrape()
        if m[("ipcscope_tracing", frozenset())] == 0:
            pytest.skip("BPF tracing unavailable here (ipcscope_tracing 0)")
        # Nothing else in the namespace makes IPC calls (the holder is
        # `sleep`), and ipcscope's own semctl reads of the tables are not
        # counted: all zero before the workloads.
        assert set(calls(m).values()) == {0}, calls(m)
        # allcalls: each of the twelve calls, failing ones too, one JSON line
        # per call; semloop 100: semget, 200 semop (glibc: semtimedop), semctl.
        made = collections.Counter(json.loads(line)["call"] for line in
                                   ipcns.run([workload("allcalls")], check=True).stdout.splitlines())
        ipcns.run([workload("semloop"), "100"], check=True)
        made.update(semget=1, semtimedop=200, semctl=1)
        want = {sc: float(made[sc]) for sc in calls(m)}
        assert set(made) <= set(want), made

        # Events reach the counters asynchronously: poll, then demand equality.
        deadline = time.time() + 10
        m = scrape()
        while calls(m) != want and time.time() < deadline:
            time.sleep(0.1)
            m = scrape()
        assert calls(m) == want
        for sc, n in want.items():
            count = m[("ipcscope_syscall_duration_seconds_count", frozenset({("syscall", sc)}))]
            buckets = sorted((float(dict(k[1])["le"]), v) for k, v in m.items()
                             if k[0] == "ipcscope_syscall_duration_seconds_bucket"
                             and ("syscall", sc) in k[1])
            assert count == buckets[-1][1] == n and buckets[-1][0] == float("inf"), (sc, buckets)
            assert all(b[1] <= c[1] for b, c in zip(buckets, buckets[1:])), "cumulative"
        assert m[("ipcscope_lost_events_total", frozenset())] == 0
        # Scrapes read the tables again: still nothing more counted.
        assert calls(scrape()) == want
    finally:
        assert stop(agent) == 0


def test_metrics_histograms_count_every_call(ipcns):
    """The per-syscall histograms (in-kernel aggregation) count exactly the calls a
    workload made: a scrape before and after `semloop 1500` differ by its 3000
    semops (semtimedop in glibc), one semget and one semctl."""
    agent = ipcns.popen([IPCSCOPE, "metrics", "--listen", "127.0.0.1:0"],
                        stderr=subprocess.PIPE, text=True)
    try:
        addr = readiness(agent, r"serving metrics at http://([0-9.]+:\d+)/metrics").group(1)

        def scrape():
            return parse_exposition(http_get(f"http://{addr}/metrics")[2])

        before = scrape()
        if before[("ipcscope_tracing", frozenset())] == 0:
            pytest.skip("BPF tracing unavailable here")

        def get(m, name, sc, le=None):
            # A syscall's histogram series appear with its first call.
            labels = {("syscall", sc)} | ({("le", le)} if le else set())
            return m[(name, frozenset(labels))] if m is after else \
                m.get((name, frozenset(labels)), 0)

        r = ipcns.run([workload("semloop"), "1500"], check=True)
        assert "ops 3000" in r.stdout
        after = scrape()
        for sc, n in (("semtimedop", 3000), ("semget", 1), ("semctl", 1)):
            for name, le in (("ipcscope_syscalls_total", None),
                             ("ipcscope_syscall_duration_seconds_count", None),
                             ("ipcscope_syscall_duration_seconds_bucket", "+Inf")):
                assert get(after, name, sc, le) - get(before, name, sc, le) == n, (sc, name)
        assert get(after, "ipcscope_syscall_errors_total", "semtimedop") == \
            get(before, "ipcscope_syscall_errors_total", "semtimedop")
        assert get(after, "ipcscope_syscall_duration_seconds_sum", "semtimedop") > \
            get(before, "ipcscope_syscall_duration_seconds_sum", "semtimedop")
    finally:
        assert stop(agent) == 0


def test_metrics_ipcns_from_outside(ipcns):
    """--ipcns PID reads (and traces) another namespace from the host's."""
    wl = start_workload(ipcns, rate=50)
    r = subprocess.run([IPCSCOPE, "metrics", "--once", "--ipcns", str(ipcns.pid), "-d", "1"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    m = parse_exposition(r.stdout)
    ns = str(ipcns.inode)
    assert m[("ipcscope_objects", frozenset({("kind", "shm"), ("ipcns", ns)}))] == NSHM
    if m[("ipcscope_tracing", frozenset())] == 1:
        assert m[("ipcscope_syscalls_total", frozenset({("syscall", "msgsnd")}))] >= 20
    r = subprocess.run([IPCSCOPE, "metrics", "--once", "--ipcns", "999999999"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 64 and "cannot enter the IPC namespace" in r.stderr, r.stderr
    wl.stdin.close()
    wl.wait(timeout=10)


def test_metrics_deadlock_and_waiters(ipcns):
    agent = ipcns.popen([IPCSCOPE, "metrics", "--listen", "127.0.0.1:0"],
                        stderr=subprocess.PIPE, text=True)
    try:
        addr = readiness(agent, r"serving metrics at http://([0-9.]+:\d+)/metrics").group(1)
        m = parse_exposition(http_get(f"http://{addr}/metrics")[2])
        assert m[("ipcscope_deadlock_cycles", frozenset())] == 0
        dl = ipcns.popen([workload("ops_deadlock")], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
        assert dl.stdout.readline().startswith("ready ")
        # A cycle is a deadlock once present for 100 ms of event time, judged
        # over successive scrapes (a scrape never waits): scrape until it is.
        deadline = time.monotonic() + 10
        while True:
            m = parse_exposition(http_get(f"http://{addr}/metrics")[2])
            if m[("ipcscope_deadlock_cycles", frozenset())] == 1 or time.monotonic() > deadline:
                break
            time.sleep(0.05)   # not synchronisation: the next scrape
        assert m[("ipcscope_deadlock_cycles", frozenset())] == 1
        assert m[("ipcscope_blocked_waiters", frozenset({("kind", "sem")}))] == 2
        dl.stdin.close()
        assert dl.wait(timeout=10) == 0
        m = parse_exposition(http_get(f"http://{addr}/metrics")[2])
        assert m[("ipcscope_deadlock_cycles", frozenset())] == 0
        assert m[("ipcscope_blocked_waiters", frozenset({("kind", "sem")}))] == 0
    finally:
        assert stop(agent) == 0


def test_metrics_deadlock_older_than_agent(ipcns):
    """Waiters come from /proc: a deadlock formed before ipcscope started counts, no BPF needed."""
    dl = ipcns.popen([workload("ops_deadlock")], stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE, text=True)
    assert dl.stdout.readline().startswith("ready ")
    m = parse_exposition(ipcns.run([IPCSCOPE, "metrics", "--once", "--no-trace"],
                                   check=True).stdout)
    assert m[("ipcscope_deadlock_cycles", frozenset())] == 1
    assert m[("ipcscope_blocked_waiters", frozenset({("kind", "sem")}))] == 2
    dl.stdin.close()
    assert dl.wait(timeout=10) == 0


def test_metrics_all_namespaces(ipcns):
    """--all-namespaces from the host's namespace sees the test's namespace."""
    wl = start_workload(ipcns, rate=50)
    # Other namespaces on the host have queues too: no cap on the series here.
    r = subprocess.run([IPCSCOPE, "metrics", "--once", "--all-namespaces", "-d", "1",
                        "--top", "100000"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    m = parse_exposition(r.stdout)
    ns, own = str(ipcns.inode), str(os.stat("/proc/self/ns/ipc").st_ino)
    assert m[("ipcscope_objects", frozenset({("kind", "shm"), ("ipcns", ns)}))] == NSHM
    assert m[("ipcscope_objects", frozenset({("kind", "msg"), ("ipcns", ns)}))] == NMSG
    assert ("ipcscope_objects", frozenset({("kind", "shm"), ("ipcns", own)})) in m
    fills = [dict(k[1]) for k in m if k[0] == "ipcscope_msg_queue_fill_ratio"]
    assert {f["key"] for f in fills if f["ipcns"] == ns} == {"0x6f710000", "0x6f710001",
                                                            "0x6f710002"}
    if m[("ipcscope_tracing", frozenset())] == 1:
        # Every namespace is traced: the workload's calls count.
        assert m[("ipcscope_syscalls_total", frozenset({("syscall", "msgsnd")}))] >= 20
        assert ("ipcscope_deadlock_cycles", frozenset()) not in m
    r = subprocess.run([IPCSCOPE, "metrics", "--once", "--all-namespaces", "--ipcns", "1"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 64 and "exclusive" in r.stderr
    wl.stdin.close()
    wl.wait(timeout=10)
