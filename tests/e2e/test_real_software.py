"""Real software's System V IPC, not our workloads: Perl's core IPC::SysV
modules (IPC::Semaphore, IPC::Msg, shmwrite/shmread) and python3-sysv-ipc.
`trace` must decode every call as strace does (the oracle), and a segment
such a program leaves behind must be attributed to it by `leaks`: its pid,
its command line and the interpreter's stack down to shmget."""
import json
import os
import re
import subprocess
import time

import pytest

from conftest import IPCSCOPE, needs_root
from test_trace_strace import compare, run_both

pytestmark = needs_root

HERE = os.path.dirname(os.path.abspath(__file__))
PERL = ["perl", os.path.join(HERE, "..", "real", "ipc_sysv.pl")]
PYTHON = ["/usr/bin/python3", os.path.join(HERE, "..", "real", "sysv_ipc_demo.py")]


def have_sysv_ipc():
    r = subprocess.run(["/usr/bin/python3", "-c", "import sysv_ipc"], capture_output=True)
    return r.returncode == 0


needs_sysv_ipc = pytest.mark.skipif(not have_sysv_ipc(),
                                    reason="python3-sysv-ipc not installed "
                                           "(scripts/install-deps.sh installs it)")


def calls_of(ours):
    return [c for v in ours.values() for c, _, _ in v]


def test_perl_ipc_sysv_as_strace_shows_it(ipcns, tmp_path):
    text, ours, theirs = run_both(ipcns, tmp_path, PERL)
    n = compare(ours, theirs)
    calls = calls_of(ours)
    # IPC::Semaphore's op() is semop (glibc: semtimedop with no timeout),
    # shmwrite/shmread attach and detach around the copy
    for c in ("semget", "semctl", "msgget", "msgsnd", "msgrcv", "msgctl", "shmget",
              "shmat", "shmdt", "shmctl"):
        assert c in calls, (c, calls)
    assert calls.count("shmat") == 2 and calls.count("shmdt") == 2, calls
    assert n >= 14
    # two sembufs in one call, SEM_UNDO decoded; the queue's mtype
    assert re.search(r"\[\{sem_num=0, sem_op=-1, sem_flg=SEM_UNDO\}, "
                     r"\{sem_num=1, sem_op=1, sem_flg=0\}\], 2", text), text
    assert re.search(r"msgsnd\(\d+, \{mtype=7, \.\.\.\}, 12, 0\) = 0", text), text


@needs_sysv_ipc
def test_python_sysv_ipc_as_strace_shows_it(ipcns, tmp_path):
    text, ours, theirs = run_both(ipcns, tmp_path, PYTHON)
    compare(ours, theirs)
    calls = calls_of(ours)
    for c in ("semget", "semctl", "semtimedop", "msgget", "msgsnd", "msgrcv", "msgctl",
              "shmget", "shmat", "shmdt", "shmctl"):
        assert c in calls, (c, calls)
    # acquire(timeout=0.5): the timeout decoded as strace shows it
    assert re.search(r"semtimedop\(\d+, \[\{sem_num=0, sem_op=-1, sem_flg=0\}\], 1, "
                     r"\{tv_sec=0, tv_nsec=500000000\}\) = 0", text), text


def leaks_of(ipcns, cmd):
    r = ipcns.run([IPCSCOPE, "leaks", "--json", "--", *cmd, "leak"], timeout=120)
    assert r.returncode in (0, 1), r.stderr
    made = json.loads(r.stdout.splitlines()[0])
    doc = json.loads(r.stdout.splitlines()[-1])
    return made, doc


def check_leak(made, doc, interpreter, script, binding):
    shm = [l for l in doc["leaks"] if l["kind"] == "shm" and l["id"] == made["shm"]]
    assert len(shm) == 1, doc
    cr = shm[0]["creator"]
    assert cr["exited"] is True, cr
    assert interpreter in cr["exe"] and script in cr["cmdline"], cr
    funcs = [f.get("func") or "" for f in cr["stack"]]
    assert funcs and funcs[0] in ("shmget", "__shmget"), funcs
    # unwound through the interpreter without frame pointers (.eh_frame):
    # the binding's function that called shmget is named
    assert funcs[1] == binding, funcs
    # only the segment was left: the set and the queue were removed
    assert {(l["kind"], l["id"]) for l in doc["leaks"]} == {("shm", made["shm"])}, doc


def test_perl_leak_is_attributed(ipcns):
    made, doc = leaks_of(ipcns, PERL)
    # perl implements shmget, semget and msgget in one op, pp_semget
    check_leak(made, doc, "perl", "ipc_sysv.pl", "Perl_pp_semget")


@needs_sysv_ipc
def test_python_leak_is_attributed(ipcns):
    made, doc = leaks_of(ipcns, PYTHON)
    check_leak(made, doc, "python3", "sysv_ipc_demo.py", "SharedMemory_init")


def test_perl_abba_deadlock_is_found(ipcns):
    """Two perl processes each hold one semaphore of a set (SEM_UNDO) and
    wait for the other's: `blocked` names the cycle, both pids, the
    semaphores and the SEM_UNDO evidence."""
    import select
    import signal
    p = ipcns.popen(["perl", os.path.join(HERE, "..", "real", "abba.pl")],
                    stdout=subprocess.PIPE, text=True)
    info = None
    try:
        r, _, _ = select.select([p.stdout], [], [], 20)
        assert r, "abba.pl printed nothing"
        info = json.loads(p.stdout.readline())
        deadline, doc = time.monotonic() + 10, None
        while time.monotonic() < deadline:
            r = ipcns.run([IPCSCOPE, "blocked", "--json", "-d", "1"], timeout=60)
            assert r.returncode in (0, 1), r.stderr
            doc = json.loads([l for l in r.stdout.splitlines() if l.strip()][-1])
            if doc.get("deadlocks"):
                break
        assert doc and doc.get("deadlocks"), doc
        cyc = doc["deadlocks"][0]["cycle"]
        by_pid = {n["pid"]: n for n in cyc}
        assert set(by_pid) == {info["a"], info["b"]}, cyc
        assert by_pid[info["a"]]["semnum"] == 1 and by_pid[info["a"]]["waits_for_pid"] == info["b"]
        assert by_pid[info["b"]]["semnum"] == 0 and by_pid[info["b"]]["waits_for_pid"] == info["a"]
        assert all(n["semid"] == info["semid"] and n["comm"] == "perl" for n in cyc), cyc
        assert all(n["evidence"] == "undo" for n in cyc), cyc
    finally:
        # the children block until killed: end them, by pid, then the parent
        for pid in ((info["a"], info["b"]) if info else ()):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        p.wait(timeout=10)
