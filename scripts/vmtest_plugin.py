"""pytest plugin for the suite in `make vmtest`'s guest (scripts/vmtest.sh).

The guest's watchdog (a shell loop in its /init, outside the test chroot)
reads which test runs from VMTEST_PROGRESS; a test that stays there too long
has hung, and SIGUSR1 then writes every Python thread's stack to
VMTEST_PYSTACKS for the watchdog to print.  Loaded with `-p vmtest_plugin`
only in the guest; the host's suite never sees it.
"""
import faulthandler
import os
import signal

PROGRESS = os.environ.get("VMTEST_PROGRESS", "/run/vmtest-progress")
PYSTACKS = os.environ.get("VMTEST_PYSTACKS", "/run/vmtest-pystacks")

_started = 0
_stacks = None


def _write(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)   # the watchdog never reads half a line


def pytest_configure(config):
    global _stacks
    _stacks = open(PYSTACKS, "w")
    faulthandler.register(signal.SIGUSR1, file=_stacks, all_threads=True)
    _write(PROGRESS, f"0 {os.getpid()} collecting\n")


def pytest_runtest_logstart(nodeid, location):
    # a count, so that the same test run twice still reads as progress
    global _started
    _started += 1
    _write(PROGRESS, f"{_started} {os.getpid()} {nodeid}\n")
