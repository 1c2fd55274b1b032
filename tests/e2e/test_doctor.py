"""`ipcscope doctor`: real test loads of every hook, reported per hook."""
import json
import os
import subprocess

from conftest import IPCSCOPE, needs_root

pytestmark = needs_root

CALLS = ["shmget", "shmat", "shmdt", "shmctl", "semget", "semop", "semtimedop", "semctl",
         "msgget", "msgsnd", "msgrcv", "msgctl"]


def test_doctor_json_lists_every_hook():
    r = subprocess.run([IPCSCOPE, "doctor", "--json"], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    checks = {c["name"]: c for c in d["checks"]}
    for call in CALLS:
        for side in ("enter", "exit"):
            c = checks[f"syscalls/sys_{side}_{call}"]
            assert c["status"] == "ok", c
    assert d["hooks"] in ("raw", "tracepoint") and d["hooks_why"]
    for hook in ("tp_btf/sys_enter", "tp_btf/sys_exit", "tp_btf/sched_process_fork", "tp_btf/sched_process_exit",
                 "tp_btf/sched_process_exec", "ringbuf", "btf", "privileges", "iter/task"):
        assert checks[hook]["status"] == "ok", checks[hook]
    # extras and ia32 are reported either way; anything missing says what it costs
    for name in ("fentry", "kprobes", "ia32", "clock"):
        assert checks[name]["status"] in ("ok", "missing", "warn", "info")
    # the clocksource every timed call reads twice
    with open("/sys/devices/system/clocksource/clocksource0/current_clocksource") as f:
        cs = f.read().strip()
    assert f"clocksource {cs}" in checks["clock"]["detail"], checks["clock"]
    for c in d["checks"]:
        if c["status"] in ("missing", "warn"):
            assert c.get("cost"), c
    assert d["usable"] is True
    assert d["kernel"]["release"] == subprocess.run(["uname", "-r"], capture_output=True,
                                                    text=True).stdout.strip()


def test_doctor_text():
    r = subprocess.run([IPCSCOPE, "doctor"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    forced = os.environ.get("IPCSCOPE_HOOKS")
    want = "syscall tracepoints" if forced == "tracepoint" else "raw sys_enter/sys_exit"
    assert f"Will use: {want} for the twelve IPC calls" in r.stdout, r.stdout
    assert "syscalls/sys_enter_semtimedop" in r.stdout


def test_doctor_rejects_arguments():
    r = subprocess.run([IPCSCOPE, "doctor", "extra"], capture_output=True, text=True)
    assert r.returncode == 64
