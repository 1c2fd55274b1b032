"""Shared fixtures for the ipcscope test suite.

Every test that touches the kernel's IPC tables does so inside a private IPC
namespace created for it (`unshare --ipc`), so it only ever sees and removes
objects it created; the namespace (and anything left in it) disappears when
the test's processes end.
"""
import json
import os
import signal
import subprocess
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("IPCSCOPE_BUILD", os.path.join(ROOT, "build"))
# IPCSCOPE_BIN picks another binary, e.g. build/ipcscope-static (make test
# STATIC=1, make vmtest).
IPCSCOPE = os.environ.get("IPCSCOPE_BIN") or os.path.join(BUILD, "ipcscope")
WORKLOADS = os.path.join(BUILD, "tests", "workloads")


def workload(name):
    path = os.path.join(WORKLOADS, name)
    if not os.path.exists(path):
        pytest.fail(f"workload {name} not built: run `make tests-build`")
    return path


def is_root():
    return os.geteuid() == 0


needs_root = pytest.mark.skipif(not is_root(), reason="needs root (IPC namespaces, BPF)")


class IpcNamespace:
    """A private IPC namespace kept alive by a holder process."""

    def __init__(self):
        # `sleep` as the holder: it never touches IPC.
        self.holder = subprocess.Popen(["unshare", "--ipc", "--", "sleep", "3600"])
        self.pid = self.holder.pid
        self.procs = []
        deadline = time.time() + 5
        while True:
            try:
                mine = os.stat("/proc/self/ns/ipc").st_ino
                theirs = os.stat(f"/proc/{self.pid}/ns/ipc").st_ino
                if theirs != mine:
                    self.inode = theirs
                    break
            except FileNotFoundError:
                pass
            if time.time() > deadline:
                raise RuntimeError("unshare --ipc did not create a namespace")
            time.sleep(0.01)

    def argv(self, cmd):
        return ["nsenter", "--ipc", f"--target={self.pid}", "--"] + list(cmd)

    def run(self, cmd, check=False, timeout=60, **kw):
        kw.setdefault("capture_output", True)
        kw.setdefault("text", True)
        r = subprocess.run(self.argv(cmd), timeout=timeout, **kw)
        if check and r.returncode != 0:
            raise AssertionError(
                f"{cmd} exited {r.returncode}\nstdout:\n{r.stdout}\nstderr:\n{r.stderr}")
        return r

    def popen(self, cmd, **kw):
        p = subprocess.Popen(self.argv(cmd), **kw)
        self.procs.append(p)
        return p

    def json(self, cmd, ok=(0,), timeout=60):
        r = self.run(cmd, timeout=timeout)
        assert r.returncode in ok, f"{cmd} exited {r.returncode}: {r.stderr}"
        return json.loads(r.stdout)

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        self.holder.send_signal(signal.SIGKILL)
        self.holder.wait(timeout=10)


@pytest.fixture
def ipcns():
    if not is_root():
        pytest.skip("needs root to create an IPC namespace")
    ns = IpcNamespace()
    try:
        yield ns
    finally:
        ns.close()


@pytest.fixture
def ipcscope():
    if not os.path.exists(IPCSCOPE):
        pytest.fail(f"{IPCSCOPE} not built: run `make` (or `make static`)")
    return IPCSCOPE


def run_ipcscope(args, timeout=60, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    return subprocess.run([IPCSCOPE] + list(args), timeout=timeout, **kw)
