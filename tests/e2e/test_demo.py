"""`make demo` keeps working: the scenario runs in its own IPC namespace and
every section shows what it is there to show."""
import os
import re
import subprocess

import pytest

from conftest import BUILD, ROOT, is_root


def test_demo_finds_what_it_stages():
    if os.environ.get("IPCSCOPE_VMTEST"):
        pytest.skip("the demo is a host script (bash, coreutils); the guest runs its parts "
                    "through the other tests")
    if not is_root():
        pytest.skip("the demo needs root")
    r = subprocess.run(["bash", os.path.join(ROOT, "scripts", "demo.sh")],
                       env=dict(os.environ, IPCSCOPE_BUILD=BUILD),
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    out = re.sub(r"\x1b\[[0-9;]*m", "", r.stdout)
    for n in range(1, 13):
        assert re.search(rf"^== {n}\. ", out, re.M), f"section {n} missing"

    # 1: leaks attributed to their creators, with no lost events
    assert re.search(r"^\d+ leak candidates; lost events: 0$", out, re.M), out
    # 2-4: the backed-up queue is found by the audit
    assert re.search(r"queue-backlog\s+msg \d+\s+9\d% full", out), out
    # 6: the ABBA deadlock, both sides named
    dl = re.findall(r"pid (\d+) \(abba\) waits for sem \d+\[\d\] \(sem_op -1\), held by pid (\d+)",
                    out)
    assert dl and {a for a, _ in dl} == {b for _, b in dl}, dl
    # 7: ping-pong calls that waited, told apart from preemption
    assert re.search(r"of 80000 calls [1-9]\d* waited", out), out
    # 8: the producer had to wait for room
    m = re.search(r"SEND-WAITS FILL-PEAK\n\s+\d+(?:\s+\S+){4}\s+(\d+)\s", out)
    assert m and int(m.group(1)) > 0, out
    # 9: the recording and its report
    assert "Lost events: 0" in out and "Deadlocks: 1" in out
    # 10: the killed recording, reported without the binary: functions named
    sec10 = out.split("== 10.")[1].split("== 11.")[0]
    assert "ended early" in sec10, sec10
    assert "make_leaky_segment" in sec10 and "(exited)" in sec10, sec10
    # 11: the zombie's segment is an orphan
    sec11 = out.split("== 11.")[1].split("== 12.")[0]
    assert re.search(r"orphaned-shm\s+shm \d+", sec11), sec11
    # 12: top under full load: the set's calls counted, nothing lost or uncounted
    sec12 = out.split("== 12.")[1]
    assert re.search(r"calls/s [1-9]\d*  lost events 0  uncounted calls 0", sec12), sec12
    assert re.search(r"^sem\s+\d+\s+0x00000000\s+\S+\s+[1-9]\d*\s", sec12, re.M), sec12
    assert "everything it created is gone with it" in out
