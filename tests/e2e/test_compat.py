"""32-bit callers (issue 19): an i386 program's IPC calls, through the i386
syscalls and through ipc(2), are reported once each with the arguments,
results and errnos it logged, by the raw sys_enter/sys_exit hooks.

Runs where i386 programs execute (the 6.1 guest of `make vmtest`; this
host's kernel refuses them): elsewhere the tests skip, in the guest they
must run."""
import json
import os
import subprocess

import pytest

from conftest import BUILD, IPCSCOPE, needs_root
from test_trace import calls, check_call_by_call, summary, trace_cmd

pytestmark = needs_root

IPC32 = os.path.join(BUILD, "tests", "workloads32", "ipc32")
CALLS = {"shmget", "shmat", "shmdt", "shmctl", "semget", "semop", "semtimedop", "semctl",
         "msgget", "msgsnd", "msgrcv", "msgctl"}


def need_i386():
    why = None
    if not os.path.exists(IPC32):
        why = "tests/workloads32/ipc32 not built (no gcc -m32: install gcc-multilib)"
    else:
        try:
            subprocess.run([IPC32, "none"], check=True, timeout=30)
        except OSError as e:
            why = f"this kernel does not run i386 programs ({e.strerror})"
    if why:
        if os.environ.get("IPCSCOPE_VMTEST"):
            pytest.fail(why)
        pytest.skip(why)
    if os.environ.get("IPCSCOPE_HOOKS") in ("tracepoint", "fentry"):
        pytest.skip(f"IPCSCOPE_HOOKS={os.environ['IPCSCOPE_HOOKS']}: the x86_64 syscall "
                    "tracepoints and functions never see 32-bit calls (doctor says so)")


@pytest.mark.parametrize("how", ["direct", "ipc"])
def test_compat_calls_exactly_once(ipcns, tmp_path, how):
    need_i386()
    r, expected, events = trace_cmd(ipcns, tmp_path, [], [IPC32, how], timeout=120)
    assert r.returncode == 0, r.stderr
    assert {x["call"] for x in expected} >= (
        {"semget", "semctl", "semtimedop", "shmget", "shmat", "shmdt", "shmctl", "msgget",
         "msgsnd", "msgrcv", "msgctl"} | ({"semop"} if how == "ipc" else set()))
    check_call_by_call(expected, events)
    for e in calls(events):
        assert e["comm"] == "ipc32" and e["ipcns"] == ipcns.inode
    dt = [e for e in calls(events) if e["call"] == "shmdt" and e["ret"] == 0]
    assert dt and dt[0]["id_from_addr"] is True
    assert summary(events)["lost_events"] == 0


def test_compat_latency_counts(ipcns):
    """latency counts a 32-bit program's calls: where 32-bit programs run it
    does not choose fentry (blind to them) by itself."""
    need_i386()
    r = ipcns.run([IPCSCOPE, "latency", "-v", "--json", "--", IPC32], timeout=120)
    assert r.returncode == 0, r.stderr
    assert "syscalls hooked by fentry" not in r.stderr, r.stderr
    made = {}
    for line in r.stdout.splitlines():
        if line.startswith("{") and '"call"' in line and '"histograms"' not in line:
            c = json.loads(line)["call"]
            made[c] = made.get(c, 0) + 1
    rep = [json.loads(l) for l in r.stdout.splitlines() if '"histograms"' in l][0]
    got = {h["call"]: h["count"] for h in rep["histograms"]}
    assert made and got == made, (got, made)


def test_doctor_says_32bit_callers_are_covered():
    r = subprocess.run([IPCSCOPE, "doctor", "--json"], capture_output=True, text=True,
                       timeout=120)
    d = json.loads(r.stdout)
    ia32 = {c["name"]: c for c in d["checks"]}["ia32"]
    if d["hooks"] == "raw":
        assert ia32["status"] in ("ok", "info"), ia32
    else:
        assert ia32["status"] in ("warn", "info"), ia32
