"""latency runs `-- CMD` and stops through the session every live command
uses (issue 15): CMD's exit status (or 128 + signal) is latency's, exec
failures are 127/126 with one line, SIGINT ends the run with its final
report, and -d or the count ending first leaves CMD running, said once."""
import json
import os
import re
import signal
import subprocess

from conftest import IPCSCOPE, needs_root, workload

pytestmark = needs_root


def reports(text):
    return [json.loads(l) for l in text.splitlines() if '"histograms"' in l]


def one_error_line(stderr):
    lines = [l for l in stderr.splitlines() if l.startswith("ipcscope:")]
    assert len(lines) == 1, stderr
    return lines[0]


def kill_ours(pid):
    """CMD left running by the test's own ipcscope: ours to end."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def test_exit_status_is_the_commands(ipcns):
    r = ipcns.run([IPCSCOPE, "latency", "--json", "--", workload("pingpong"), "-n", "50"],
                  timeout=60)
    assert r.returncode == 0, r.stderr
    r = ipcns.run([IPCSCOPE, "latency", "--json", "--", "sh", "-c", "exit 7"], timeout=60)
    assert r.returncode == 7, r.stderr
    assert len(reports(r.stdout)) == 1, r.stdout        # the final report, as always
    r = ipcns.run([IPCSCOPE, "latency", "--json", "--", "sh", "-c", "kill -TERM $$"],
                  timeout=60)
    assert r.returncode == 128 + signal.SIGTERM, r.stderr
    assert len(reports(r.stdout)) == 1, r.stdout


def test_exec_failure(ipcns, tmp_path):
    r = ipcns.run([IPCSCOPE, "latency", "--", str(tmp_path / "missing")], timeout=60)
    assert r.returncode == 127, r.stderr
    assert "cannot execute" in one_error_line(r.stderr) and not r.stdout
    plain = tmp_path / "not-executable"
    plain.write_text("#!/bin/sh\n")
    plain.chmod(0o644)
    r = ipcns.run([IPCSCOPE, "latency", "--", str(plain)], timeout=60)
    assert r.returncode == 126, r.stderr
    assert "cannot execute" in one_error_line(r.stderr) and not r.stdout


def test_sigint_while_the_command_runs(ipcns, tmp_path):
    """CMD only execs once the hooks are attached: its first line says so.
    SIGINT then ends latency with its report and 128 + SIGINT; CMD, the
    user's, is not killed."""
    fifo = tmp_path / "started"
    os.mkfifo(fifo)
    out, err = tmp_path / "out", tmp_path / "err"
    # Files, not pipes: CMD outlives ipcscope and would hold a pipe open.
    with open(out, "w") as o, open(err, "w") as e:
        p = ipcns.popen([IPCSCOPE, "latency", "--json", "--", "sh", "-c",
                         f"echo $$ > {fifo}; exec sleep 60"], stdout=o, stderr=e)
        with open(fifo) as f:
            pid = int(f.read())
        try:
            p.send_signal(signal.SIGINT)
            assert p.wait(timeout=30) == 128 + signal.SIGINT, err.read_text()
            # alive (it may still be exec'ing sleep: its pid was written before)
            with open(f"/proc/{pid}/stat") as st:
                assert st.read().rsplit(")", 1)[1].split()[0] != "Z"
        finally:
            kill_ours(pid)
    assert len(reports(out.read_text())) == 1, out.read_text()
    assert not [l for l in err.read_text().splitlines() if l.startswith("ipcscope:")]


def test_sigint_right_after_the_readiness_line(ipcns):
    """Without CMD, Ctrl-C as soon as the readiness line is out ends the run
    cleanly (status 0) with the final report: the handler is in place."""
    for _ in range(3):
        p = subprocess.Popen([IPCSCOPE, "latency", "--ipcns", str(ipcns.inode)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = p.stderr.readline()
        assert "Tracing System V IPC latency" in line, line
        p.send_signal(signal.SIGINT)
        stdout, stderr = p.communicate(timeout=30)
        assert p.returncode == 0, stderr
        assert stdout.strip(), "the final report"


def test_duration_or_count_ends_before_the_command(ipcns, tmp_path):
    """As for every live command: CMD is left running, said once on stderr,
    and latency exits as without `--` (0)."""
    for args, why in ((["-d", "0.5"], "-d ended"), (["0.3", "1"], "the count was reached")):
        out, err = tmp_path / "out", tmp_path / "err"
        # Files, not pipes: CMD outlives ipcscope and would hold a pipe open.
        with open(out, "w") as o, open(err, "w") as e:
            r = ipcns.run([IPCSCOPE, "latency", "--json"] + args + ["--", "sleep", "30"],
                          timeout=60, capture_output=False, stdout=o, stderr=e)
        stderr = err.read_text()
        m = re.search(r"^ipcscope: warning: (.*) before 'sleep' \(pid (\d+)\) exited: "
                      r"it is still running, untraced$", stderr, re.M)
        assert m, stderr
        pid = int(m.group(2))
        try:
            assert m.group(1) == why
            assert r.returncode == 0, stderr
            assert one_error_line(stderr) == m.group(0)
            assert len(reports(out.read_text())) == 1, out.read_text()
            with open(f"/proc/{pid}/cmdline", "rb") as c:
                assert c.read().split(b"\0")[0] == b"sleep"
        finally:
            kill_ours(pid)
