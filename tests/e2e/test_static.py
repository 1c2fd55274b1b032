"""The statically linked build (`make static`, build/ipcscope-static): no
shared library is ever loaded, and libdw never reaches dlopen for its
debuginfod client.  These tests run when the binary under test is static
(`make test STATIC=1`, `make vmtest`, or IPCSCOPE_BIN=...); the rest of the
suite then proves that it behaves like the dynamic build.  In the vmtest
guest the host's /usr is mounted, so every shared library the binary could
want is there: only the binary's own maps show that it wants none.
"""
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import urllib.request

import pytest

from conftest import BUILD, IPCSCOPE, needs_root, workload

PT_INTERP, PT_DYNAMIC = 3, 2


def program_headers(path):
    """p_type of every ELF64 program header."""
    with open(path, "rb") as f:
        hdr = f.read(64)
        if hdr[:4] != b"\x7fELF" or hdr[4] != 2:
            return []
        phoff, = struct.unpack_from("<Q", hdr, 32)
        phentsize, phnum = struct.unpack_from("<HH", hdr, 54)
        types = []
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            types.append(struct.unpack("<I", f.read(4))[0])
        return types


def is_static(path):
    return os.path.exists(path) and not {PT_INTERP, PT_DYNAMIC} & set(program_headers(path))


pytestmark = [
    needs_root,
    pytest.mark.skipif(not is_static(IPCSCOPE),
                       reason=f"{IPCSCOPE} is not the static build: run `make test STATIC=1` "
                              "or `make vmtest` (or set IPCSCOPE_BIN=build/ipcscope-static)"),
]


def mapped_files(pid):
    """Paths of the file-backed mappings in /proc/PID/maps, less the shared
    anonymous ones (shown as /dev/zero)."""
    out = set()
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            parts = line.split(None, 5)
            if len(parts) == 6 and parts[5].startswith("/") and \
                    not parts[5].startswith("/dev/zero"):
                out.add(parts[5].strip().removesuffix(" (deleted)"))
    return out


def test_ldd_says_not_dynamic():
    r = subprocess.run(["ldd", IPCSCOPE], capture_output=True, text=True)
    assert "not a dynamic executable" in r.stdout + r.stderr, r


def test_running_binary_maps_no_shared_library(ipcns):
    """metrics with BPF tracing attached and one scrape served: the process
    maps its own executable and nothing else from a file."""
    wl = ipcns.popen([workload("ops_load"), "2", "1", "0"],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert wl.stdout.readline().startswith("ready ")
    p = ipcns.popen([IPCSCOPE, "metrics", "--listen", "127.0.0.1:0"],
                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        url = None
        for line in p.stderr:
            m = re.search(r"serving metrics at (http://\S+/metrics)", line)
            if m:
                url = m.group(1)
                break
        assert url, "metrics printed no readiness line"
        with urllib.request.urlopen(url, timeout=30) as r:
            body = r.read().decode()
        assert 'ipcscope_objects{kind="shm"' in body
        assert "ipcscope_tracing 1" in body
        files = mapped_files(p.pid)
        assert files == {os.path.realpath(IPCSCOPE)}, files
        assert not [f for f in files if re.search(r"\.so(\.|$)", f)], files
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=20)
        wl.stdin.close()
        wl.wait(timeout=10)
    assert p.returncode == 0


def test_debuginfod_client_is_never_loaded(ipcns, tmp_path):
    """A stripped creator has no symbols: libdw's standard find_debuginfo
    then asks its debuginfod client, which dlopen()s libdebuginfod.so.1 and
    queries DEBUGINFOD_URLS (the dynamic build does, below).  The static
    build's dlopen is refused (static/stubs.c): no open, no connect.  Live
    `leaks` symbolizes with libdw (a recording stores resolved frames, so
    `report` would not reach libdw at all)."""
    strace = shutil.which("strace")
    strip = shutil.which("strip")
    if not strace or not strip:
        pytest.skip("needs strace and strip (binutils)")
    leaker = tmp_path / "leaker"
    subprocess.run([strip, "-o", str(leaker), workload("leaker")], check=True)
    env = dict(os.environ, DEBUGINFOD_URLS="http://127.0.0.1:1/",
               DEBUGINFOD_CACHE_PATH=str(tmp_path / "cache"), DEBUGINFOD_TIMEOUT="1")

    def traced(binary, log):
        out = tmp_path / (log.name + ".json")
        r = subprocess.run(ipcns.argv([strace, "-f", "-qq", "-e", "trace=open,openat,connect",
                                       "-o", str(log), binary, "leaks", "--json", "-o", str(out),
                                       "--", str(leaker), "fork"]),
                           capture_output=True, text=True, env=env, timeout=180)
        assert r.returncode == 0, r.stderr
        return json.loads(out.read_text()), log.read_text()

    report, log = traced(IPCSCOPE, tmp_path / "static.strace")
    stack = [f["func"] for f in report["leaks"][0]["creator"]["stack"]]
    assert "shmget" in stack, stack          # libc's symbols: libdw did run
    assert "libdebuginfod" not in log, log
    assert "connect(" not in log, log
    # The control: the dynamic build, where libdebuginfod is installed,
    # takes the path that the static one refuses.
    dynamic = os.path.join(BUILD, "ipcscope")
    if os.path.exists(dynamic) and not is_static(dynamic) and \
            os.path.exists("/usr/lib/x86_64-linux-gnu/libdebuginfod.so.1"):
        _, log = traced(dynamic, tmp_path / "dynamic.strace")
        assert "libdebuginfod.so.1" in log, "the control never reached debuginfod"


def test_names_come_from_passwd_without_nss(ipcns):
    """A uid in /etc/passwd is shown by name, one that is not by number, and
    no NSS module is loaded for either (maps above; no warning here)."""
    names = {}
    with open("/etc/passwd") as f:
        for line in f:
            fs = line.split(":")
            if len(fs) > 2 and fs[2].isdigit():
                names.setdefault(int(fs[2]), fs[0])
    known = 1 if 1 in names else next(iter(sorted(u for u in names if u)))
    unknown = next(u for u in range(54321, 60000) if u not in names)
    mk = ipcns.popen([workload("mkobjs"), "-m", "1", "-s", "0", "-q", "0", "-u", str(known)],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    mk2 = ipcns.popen([workload("mkobjs"), "-m", "1", "-s", "0", "-q", "0", "-k", "0x5151",
                       "-u", str(unknown)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                      text=True)
    try:
        mk.stdout.readline()
        mk2.stdout.readline()
        r = ipcns.run([IPCSCOPE, "snapshot"], check=True)
        assert r.stderr == "", r.stderr
        assert re.search(rf"\b{re.escape(names[known])}\b", r.stdout), r.stdout
        assert re.search(rf"\b{unknown}\b", r.stdout), r.stdout
    finally:
        for p in (mk, mk2):
            p.stdin.close()
            p.wait(timeout=10)
