"""End-to-end tests of `ipcscope record`, `report` and `export`.

The recmix workload does known things inside a private IPC namespace: it
leaks a 4096-byte segment and a semaphore set, bounces a message ROUNDS
times between two processes, and makes two children wait on each other's
semaphore until their semtimedop times out (HOLD_MS).  The tests record it,
then check that the analyses of the recording agree with the workload and
with the live commands run on the same workload, that a recorder killed
with SIGKILL leaves a readable file, that a damaged chunk is skipped, and
that the exports are what other tools expect.
"""
import json
import os
import shutil
import signal
import stat
import struct
import subprocess
import time
import zlib

import pytest

from conftest import IPCSCOPE, IpcNamespace, needs_root, run_ipcscope, workload

pytestmark = needs_root

ROUNDS = 20
HOLD_MS = 150
HDR_LEN = 320
CHUNK_HDR = 24
EVENTS = 2


def lines(text):
    return [json.loads(l) for l in text.splitlines() if l.startswith("{")]


def record(ns, path, extra=(), rounds=ROUNDS, hold=HOLD_MS):
    r = ns.run([IPCSCOPE, "record", "-o", str(path)] + list(extra) +
               ["--", workload("recmix"), str(rounds), str(hold)])
    assert r.returncode == 0, r.stderr
    phases = {p["phase"]: p for p in lines(r.stdout) if "phase" in p}
    assert set(phases) == {"leak", "pingpong", "deadlock"}, r.stdout
    if "--json" in extra:
        done = [p for p in lines(r.stdout) if "file" in p]
        assert len(done) == 1, r.stdout
        phases["record"] = done[0]
    return phases


def report_json(path, analysis="summary", ok=(0,)):
    r = run_ipcscope(["report", str(path), analysis, "--json"])
    assert r.returncode in ok, r.stderr
    return r, lines(r.stdout)


def chunks(data):
    """(offset, type, clen) of every chunk of a recording, from the format doc."""
    off, out = HDR_LEN, []
    while off + CHUNK_HDR <= len(data):
        magic, typ, _flags, clen, rlen, seq, crc = struct.unpack_from("<4sHHIIII", data, off)
        assert magic == b"CHNK"
        payload = data[off + CHUNK_HDR:off + CHUNK_HDR + clen]
        assert zlib.crc32(data[off:off + 20] + payload) == crc
        assert len(zlib.decompress(payload)) == rlen
        out.append((off, typ, clen, seq))
        off += CHUNK_HDR + clen
    assert off == len(data)
    return out


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    """One recording of recmix, shared by the read-only tests."""
    if os.geteuid() != 0:
        pytest.skip("needs root")
    ns = IpcNamespace()
    try:
        path = tmp_path_factory.mktemp("rec") / "recmix.ipcs"
        path.write_text("an older file, world-readable")
        os.chmod(path, 0o644)
        phases = record(ns, path, ["--json"])
        yield path, phases
    finally:
        ns.close()


def expected_counts(rounds=ROUNDS):
    # glibc's semop() is semtimedop on x86_64: 2 takes + 2 timed waits
    return {"shmget": 1, "semget": 2, "msgget": 1, "msgsnd": 2 * rounds,
            "msgrcv": 2 * rounds, "msgctl": 1, "semctl": 2, "semtimedop": 4}


def test_file_is_a_documented_recording(recording):
    path, _ = recording
    data = path.read_bytes()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, "recordings hold command lines"
    done = recording[1]["record"]
    assert done["file"] == str(path) and done["complete"] is True
    assert done["bytes"] == len(data) and done["lost_events"] == 0
    assert data[:12] == b"\x89IPCSREC\r\n\x1a\n"
    version, hlen = struct.unpack_from("<HH", data, 12)
    assert (version, hlen) == (1, HDR_LEN)
    assert zlib.crc32(data[:316]) == struct.unpack_from("<I", data, 316)[0]
    assert data[64:128].rstrip(b"\0").decode() == os.uname().release
    cs = chunks(data)
    assert [c[3] for c in cs] == list(range(len(cs))), "sequence numbers"
    assert cs[-1][1] == 7, "ends with the end marker"
    assert any(c[1] == EVENTS for c in cs)


def test_summary_counts_match_the_workload(recording):
    path, phases = recording
    r, out = report_json(path)
    s = out[-1]
    assert s["events"] == phases["record"]["events"], "every recorded event is replayed"
    got = {k: v["count"] for k, v in s["calls"].items()}
    assert got == expected_counts()
    assert s["calls"]["semtimedop"]["errors"] == 2, "both timed waits end in EAGAIN"
    assert s["lost_events"] == 0
    assert s["recording"]["truncated"] is False and s["recording"]["corrupt_chunks"] == 0
    # the deadlocked set is the object with the most blocked time, both waits
    top = s["top_by_blocked"][0]
    assert (top["kind"], top["id"]) == ("sem", phases["deadlock"]["sem"])
    # the two timed waits; a take preempted while switching counts too
    assert 2 <= top["blocked_calls"] <= 4
    assert top["blocked_ns"] >= 2 * HOLD_MS * 1_000_000
    busiest = s["top_by_calls"][0]
    assert (busiest["kind"], busiest["id"]) == ("msg", phases["pingpong"]["msq"])
    assert busiest["calls"] == 4 * ROUNDS + 2
    assert s["duration_ns"] >= 2 * HOLD_MS * 1_000_000 // 2
    if s["leaks"] is not None:
        assert s["leaks"] == 2
    assert s["deadlocks"] == 1, "the two lockers waited on each other" 


def test_report_trace_matches_live_trace(recording, tmp_path):
    path, _ = recording
    _, rep = report_json(path, "trace")
    ns = IpcNamespace()
    try:
        out = tmp_path / "live.jsonl"
        r = ns.run([IPCSCOPE, "trace", "--json", "-o", str(out), "--",
                    workload("recmix"), str(ROUNDS), str(HOLD_MS)])
        assert r.returncode == 0, r.stderr
        live = lines(out.read_text())
    finally:
        ns.close()

    def calls(evs):
        # pids differ between runs; what each call did does not
        return sorted((e["call"], e["id"], e["ret"] if e["call"] != "shmat" else 0,
                       str(e["errno"])) for e in evs if e.get("event") == "call")

    assert calls(rep) == calls(live)
    assert rep[-1]["summary"]["calls"] == live[-1]["summary"]["calls"] == \
        sum(expected_counts().values())


def test_report_leaks_matches_live_leaks(recording, tmp_path):
    path, phases = recording
    r = run_ipcscope(["report", str(path), "leaks", "--json"])
    if r.returncode == 69 or "no IPC tables" in r.stderr or "cannot read the IPC tables" in r.stderr:
        pytest.skip("this build has no IPC table reader (snapshots): " + r.stderr.strip())
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    ns = IpcNamespace()
    try:
        out = tmp_path / "live.json"
        r = ns.run([IPCSCOPE, "leaks", "--json", "-o", str(out), "--", workload("recmix"),
                    str(ROUNDS), str(HOLD_MS)])
        assert r.returncode == 0, r.stderr
        live = json.loads(out.read_text())
    finally:
        ns.close()

    def key(doc):
        out = []
        for l in doc["leaks"]:
            c = l["creator"]
            funcs = [f.get("func") for f in c.get("stack", [])]
            out.append((l["kind"], l["id"], l["bytes"], l["reason"], c["comm"], c["cmdline"],
                        tuple(funcs)))
        return sorted(out)

    assert key(rep) == key(live)
    ids = {(l["kind"], l["id"]) for l in rep["leaks"]}
    assert ids == {("shm", phases["leak"]["shm"]), ("sem", phases["leak"]["sem"])}
    assert rep["lost_events"] == 0


def test_report_works_without_root(recording):
    """As nobody, reading the recording from a pipe (`report -`)."""
    path, _ = recording
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                        IPCSCOPE, "report", "-", "--json"],
                       input=path.read_bytes(), capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr.decode()
    assert lines(r.stdout.decode())[-1]["calls_total"] == sum(expected_counts().values())


def test_sigkill_leaves_a_readable_truncated_file(ipcns, tmp_path):
    path = tmp_path / "killed.ipcs"
    rec = ipcns.popen([IPCSCOPE, "record", "-o", str(path), "--",
                       workload("recmix"), str(ROUNDS), "20", "pause"],
                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                      text=True)
    seen = []
    for line in rec.stdout:
        seen.append(line)
        if line.strip() == "paused":
            break
    assert seen and seen[-1].strip() == "paused", seen
    # The recorder flushes every second: wait until the ping-pong is on disk.
    want = 4 * ROUNDS
    deadline = time.time() + 15
    while True:
        r = run_ipcscope(["report", str(path), "--json"])
        out = lines(r.stdout)
        if r.returncode == 0 and out and \
                out[-1]["calls"].get("msgsnd", {}).get("count", 0) + \
                out[-1]["calls"].get("msgrcv", {}).get("count", 0) >= want:
            break
        assert time.time() < deadline, f"ping-pong never reached the file: {r.stderr}"
        time.sleep(0.2)
    rec.send_signal(signal.SIGKILL)
    rec.wait(timeout=10)
    rec.stdin.write("go\n")      # let the orphaned workload finish
    rec.stdin.close()

    r = run_ipcscope(["report", str(path), "--json"])
    assert r.returncode == 0, r.stderr
    assert "truncated" in r.stderr and "offset" in r.stderr, r.stderr
    assert len([l for l in r.stderr.splitlines() if "truncated" in l]) == 1
    s = lines(r.stdout)[-1]
    assert s["recording"]["truncated"] is True
    assert s["calls"]["msgsnd"]["count"] == 2 * ROUNDS
    assert s["calls"]["msgrcv"]["count"] == 2 * ROUNDS
    assert s["calls"]["shmget"]["count"] == 1
    assert "semctl" not in s["calls"], "the deadlock phase came after the kill"


def test_flipped_byte_is_reported_and_skipped(recording, tmp_path):
    path, _ = recording
    data = bytearray(path.read_bytes())
    cs = chunks(bytes(data))
    off, typ, clen, seq = max((c for c in cs if c[1] == EVENTS), key=lambda c: c[2])
    data[off + CHUNK_HDR + clen // 2] ^= 0x55
    bad = tmp_path / "flipped.ipcs"
    bad.write_bytes(bytes(data))

    r, out = report_json(bad)
    err = [l for l in r.stderr.splitlines() if "corrupt" in l]
    assert len(err) == 1, r.stderr
    assert f"chunk {seq} (events) at offset {off}" in err[0] and "CRC mismatch" in err[0]
    s = out[-1]
    full = sum(expected_counts().values())
    assert s["calls_total"] < full
    if sum(1 for c in cs if c[1] == EVENTS) > 1:
        assert s["calls_total"] > 0, "the other event chunks were read"
    assert s["recording"]["chunks"] == len(cs) - 1, "every other chunk was read"
    assert s["recording"]["corrupt_chunks"] == 1
    assert s["recording"]["truncated"] is False, "the end marker after the damage was found"


def test_not_a_recording_and_newer_version(recording, tmp_path):
    path, _ = recording
    text = tmp_path / "notes.txt"
    text.write_text("key      shmid perms\n")
    r = run_ipcscope(["report", str(text)])
    assert r.returncode == 65
    assert r.stderr.count("\n") == 1 and "is not an ipcscope recording" in r.stderr

    data = bytearray(path.read_bytes())
    struct.pack_into("<H", data, 12, 9)
    newer = tmp_path / "newer.ipcs"
    newer.write_bytes(bytes(data))
    r = run_ipcscope(["report", str(newer)])
    assert r.returncode == 65
    assert "format version 9, newer than this ipcscope reads (1)" in r.stderr

    r = run_ipcscope(["report", str(tmp_path / "missing.ipcs")])
    assert r.returncode == 66 and "cannot open" in r.stderr

    head = tmp_path / "headonly.ipcs"
    head.write_bytes(path.read_bytes()[:HDR_LEN + 10])
    r = run_ipcscope(["report", str(head)])
    assert r.returncode == 65, "nothing readable: non-zero"
    assert "no readable chunk" in r.stderr


def test_export_perfetto(recording, tmp_path):
    path, phases = recording
    out = tmp_path / "trace.json"
    r = run_ipcscope(["export", str(path), "--format", "perfetto", "-o", str(out)])
    assert r.returncode == 0, r.stderr
    doc = json.loads(out.read_text())
    evs = doc["traceEvents"]
    timed = [e for e in evs if e["ph"] != "M"]
    assert [e["ts"] for e in timed] == sorted(e["ts"] for e in timed), "sorted by time"
    slices = [e for e in evs if e["ph"] == "X"]
    assert len(slices) == sum(expected_counts().values()), "one slice per call"
    pids = {e["pid"] for e in slices}
    named = {e["pid"] for e in evs if e["ph"] == "M" and e["name"] == "process_name"}
    assert pids <= named, "every process track has a name"
    assert all(e["name"] == "thread_name" or e["name"] == "process_name"
               for e in evs if e["ph"] == "M")
    waits = [e for e in slices if e["args"]["call"] == "semtimedop"
             and e["args"]["errno"] == "EAGAIN"]
    assert len(waits) == 2
    for w in waits:
        assert w["name"] == f"semtimedop sem {phases['deadlock']['sem']}"
        assert w["dur"] >= HOLD_MS * 1000 * 0.9, "blocked calls are long slices"
        assert "blocked" in w["cat"]
    pp = [e for e in slices if e["name"] == f"msgsnd msg {phases['pingpong']['msq']}"]
    assert len(pp) == 2 * ROUNDS
    dl = [e for e in evs if e["ph"] == "i" and e["name"].startswith("deadlock")]
    assert len(dl) == 1 and dl[0]["s"] == "g", dl
    assert sorted(int(p) for p in dl[0]["name"].split(":")[1].split()) == \
        sorted(phases["deadlock"]["pids"])
    # it formed while both waits were in progress
    assert all(w["ts"] <= dl[0]["ts"] <= w["ts"] + w["dur"] for w in waits)


def test_export_folded_weights_add_up(recording, tmp_path):
    path, _ = recording
    r = run_ipcscope(["export", str(path), "--format", "folded"])
    assert r.returncode == 0, r.stderr
    total = 0
    for line in r.stdout.splitlines():
        stack, w = line.rsplit(" ", 1)
        frames = stack.split(";")
        assert len(frames) >= 3 and frames[0] in ("recmix",), line
        assert frames[-1] in ("semtimedop", "msgrcv", "msgsnd", "semop"), line
        total += int(w)
    _, out = report_json(path)
    blocked = sum(c["blocked_ns"] for c in out[-1]["calls"].values())
    assert total == blocked > 2 * HOLD_MS * 1_000_000

    r = run_ipcscope(["export", str(path), "--format", "folded", "--leaks"])
    if r.returncode == 65 and "no IPC tables" in r.stderr:
        pytest.skip("this build has no IPC table reader (snapshots)")
    assert r.returncode == 0, r.stderr
    weights = [int(l.rsplit(" ", 1)[1]) for l in r.stdout.splitlines()]
    assert sum(weights) == 4096, "the leaked segment; the semaphore set has no bytes"
    assert r.stdout.splitlines()[0].split(";")[-1].split(" ")[0] == "shmget"


def test_export_jsonl_is_trace_json(recording):
    path, _ = recording
    r = run_ipcscope(["export", str(path), "--format", "jsonl"])
    assert r.returncode == 0, r.stderr
    _, trace = report_json(path, "trace")
    assert lines(r.stdout) == trace[:-1], "the events of trace --json, without its summary"


def test_record_refuses_a_terminal_and_needs_output(tmp_path):
    r = run_ipcscope(["record", "-d", "1"])
    assert r.returncode == 64 and "-o FILE" in r.stderr


def test_unknown_analysis_and_unavailable_ones(recording):
    path, _ = recording
    r = run_ipcscope(["report", str(path), "bogus"])
    assert r.returncode == 64 and "unknown analysis 'bogus'" in r.stderr
    for name in ("blocked", "latency"):
        r = run_ipcscope(["report", str(path), name, "--json"])
        if r.returncode == 69:      # not built in, or the analysis cannot replay yet
            assert "not available in this build" in r.stderr
            assert r.stderr.count("\n") == 1
        else:
            assert r.returncode == 0, r.stderr


def test_stacks_option_records_call_stacks(ipcns, tmp_path):
    """--stacks: blocked calls get their frame-pointer stack (at least the
    libc wrapper that made the syscall); without it they have none."""
    path = tmp_path / "stacks.ipcs"
    record(ipcns, path, ["--stacks"], rounds=5, hold=50)
    r = run_ipcscope(["export", str(path), "--format", "folded"])
    assert r.returncode == 0, r.stderr
    waits = [l for l in r.stdout.splitlines() if l.split(" ")[0].endswith(";semtimedop")]
    assert waits and all(l.split(";")[1] != "[no stack]" for l in waits), r.stdout
    assert any("semtimedop" in l.split(";")[1] for l in waits), r.stdout


def test_without_stacks_blocked_calls_have_none(recording):
    path, _ = recording
    r = run_ipcscope(["export", str(path), "--format", "folded"])
    assert r.returncode == 0, r.stderr
    assert all(l.split(";")[1] == "[no stack]" for l in r.stdout.splitlines()), r.stdout


def test_record_to_a_pipe(ipcns):
    """-o -: the recording is stdout; CMD's own output goes to stderr."""
    r = ipcns.run([IPCSCOPE, "record", "-o", "-", "--json", "--",
                   workload("recmix"), "3", "10"], text=False)
    assert r.returncode == 0, r.stderr
    err = r.stderr.decode()
    assert '"phase": "deadlock"' in err and '"complete":true' in err
    rep = subprocess.run([IPCSCOPE, "report", "-", "--json"], input=r.stdout,
                         capture_output=True, timeout=60)
    assert rep.returncode == 0 and rep.stderr == b"", rep.stderr
    assert lines(rep.stdout.decode())[-1]["calls"]["msgsnd"]["count"] == 6


def test_report_latency_matches_live_latency(recording, tmp_path):
    path, _ = recording
    r = run_ipcscope(["report", str(path), "latency"])
    assert r.returncode == 0, r.stderr
    assert "msgrcv" in r.stdout and "Message queues" in r.stdout
    _, out = report_json(path, "latency")
    rep = {h["call"]: h for h in out[-1]["histograms"]}

    # Same data: every bucket agrees with the recorded calls' latencies.
    _, trace = report_json(path, "trace")
    for call, h in rep.items():
        lats = [e["lat_ns"] for e in trace if e.get("event") == "call" and e["call"] == call]
        assert h["count"] == len(lats)
        for b in h["buckets"]:
            assert b["count"] == sum(1 for l in lats if b["ge_ns"] <= l < b["lt_ns"]), (call, b)
        # calls that went to sleep: the histogram counts the events' flags
        assert h["waited"] == sum(1 for e in trace if e.get("event") == "call"
                                  and e["call"] == call and e.get("waited")), call

    # Same workload live: the same calls, errors and long waits.
    ns = IpcNamespace()
    try:
        live_out = tmp_path / "live.json"
        r = ns.run([IPCSCOPE, "latency", "--json", "-o", str(live_out), "--",
                    workload("recmix"), str(ROUNDS), str(HOLD_MS)])
        assert r.returncode == 0, r.stderr
        live = {h["call"]: h for h in json.loads(live_out.read_text())["histograms"]}
    finally:
        ns.close()
    assert {c: (h["count"], h["errors"]) for c, h in rep.items()} == \
        {c: (h["count"], h["errors"]) for c, h in live.items()}

    def long_waits(h):
        return sum(b["count"] for b in h["buckets"] if b["ge_ns"] >= HOLD_MS * 1_000_000 // 2)

    assert long_waits(rep["semtimedop"]) == long_waits(live["semtimedop"]) == 2
    # the two long holds were waits (slept), recorded and live alike
    assert rep["semtimedop"]["waited"] >= 2 and live["semtimedop"]["waited"] >= 2


def test_report_blocked_matches_live_blocked(ipcns, tmp_path):
    """The deadlock cycle found in a recording is the one the live command
    finds on the same workload (a long hold: live scans periodically)."""
    path = tmp_path / "dl.ipcs"
    phases = record(ipcns, path, rounds=3, hold=1500)
    rep = json.loads(run_ipcscope(["report", str(path), "blocked", "--json"]).stdout)
    ns = IpcNamespace()
    try:
        out = tmp_path / "live.json"
        r = ns.run([IPCSCOPE, "blocked", "--json", "-o", str(out), "--",
                    workload("recmix"), "3", "1500"])
        assert r.returncode in (0, 1), r.stderr
        live = json.loads(out.read_text())
    finally:
        ns.close()

    def cycles(doc):
        return sorted(tuple(sorted((n["semid"], n["semnum"], n["sem_op"], n["evidence"])
                                   for n in c["cycle"])) for c in doc["deadlocks"])

    assert cycles(rep) == cycles(live) and len(cycles(rep)) == 1
    pids = {n["pid"] for n in rep["deadlocks"][0]["cycle"]}
    assert pids == set(phases["deadlock"]["pids"])
    assert {n["waits_for_pid"] for n in rep["deadlocks"][0]["cycle"]} == pids
