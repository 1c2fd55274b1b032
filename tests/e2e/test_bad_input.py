"""Bad command lines and bad input, for every command: one line on stderr,
`ipcscope: <problem>: <what to do>`, a documented non-zero exit status, and
never a crash (no signal, no sanitizer report).

Every case here fails before ipcscope touches an IPC object or loads BPF;
the cases that name ids run in a private IPC namespace.
"""
import os
import re
import shutil
import subprocess

import pytest

from conftest import IPCSCOPE, ROOT, is_root, needs_root

COMMANDS = ["snapshot", "limits", "audit", "trace", "doctor", "blocked", "latency",
            "leaks", "clean", "restore", "record", "report", "export", "top", "metrics"]
TRACERS = ["trace", "blocked", "latency", "leaks", "record", "top"]

# The exit statuses docs/ipcscope.1 (EXIT STATUS) and `ipcscope --help` document.
EX_USAGE, EX_DATAERR, EX_NOINPUT, EX_NOPERM = 64, 65, 66, 77


def run(args, **kw):
    return subprocess.run([IPCSCOPE] + args, capture_output=True, text=True, timeout=30,
                          stdin=subprocess.DEVNULL, **kw)


def one_line(r, status):
    """r failed with `status` and said so in one `ipcscope: x: y` line."""
    assert r.returncode >= 0, f"killed by signal {-r.returncode}: {r.stderr}"
    assert "Sanitizer" not in r.stderr and "runtime error" not in r.stderr, r.stderr
    assert r.returncode == status, (r.returncode, r.stderr)
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert re.match(r"ipcscope: \S.*: \S", lines[0]), lines[0]
    return lines[0]


def test_exit_statuses_are_documented():
    man = open(os.path.join(ROOT, "docs", "ipcscope.1")).read()
    section = man.split(".SH EXIT STATUS", 1)[1].split(".SH", 1)[0]
    helptext = run(["--help"]).stdout
    for status in (EX_USAGE, EX_DATAERR, EX_NOINPUT, EX_NOPERM, 73):
        assert f".B {status}\n" in section
        assert f"{status} " in helptext
    assert "one line" in section and "one line" in helptext


@pytest.mark.parametrize("cmd", COMMANDS)
def test_unknown_option(cmd):
    line = one_line(run([cmd, "--no-such-option"]), EX_USAGE)
    assert line == (f"ipcscope: {cmd}: unrecognized option '--no-such-option': "
                    f"see `ipcscope {cmd} --help`")
    line = one_line(run([cmd, "-Z"]), EX_USAGE)
    assert "invalid option -- 'Z'" in line


@pytest.mark.parametrize("cmd", COMMANDS)
def test_missing_option_argument(cmd):
    line = one_line(run([cmd, "-o"]), EX_USAGE)
    assert f"ipcscope: {cmd}: option requires an argument -- 'o'" in line
    line = one_line(run([cmd, "--output"]), EX_USAGE)
    assert "option '--output' requires an argument" in line


@pytest.mark.parametrize("cmd", COMMANDS)
def test_help_and_usage_still_work(cmd):
    for flag in ("--help", "--usage"):
        r = run([cmd, flag])
        assert r.returncode == 0 and r.stderr == ""
        assert r.stdout.startswith(f"Usage: ipcscope {cmd}")


@pytest.mark.parametrize("args,needle", [
    (["snapshot", "--ns", "abc"], "invalid --ns 'abc'"),
    (["snapshot", "-i", "abc"], "invalid --id 'abc'"),
    (["snapshot", "-i", "-5"], "invalid --id '-5'"),
    (["snapshot", "extra"], "unexpected argument 'extra'"),
    (["limits", "--warn", "200"], "invalid --warn '200'"),
    (["limits", "--warn", "x"], "invalid --warn 'x'"),
    (["audit", "--warn", "200"], "invalid --warn '200'"),
    (["audit", "--stale", "-1"], "invalid --stale '-1'"),
    (["audit", "--fail-on", "loud"], "invalid --fail-on 'loud'"),
    (["trace", "-p", "abc"], "invalid PID 'abc'"),
    (["trace", "-p", "0"], "invalid PID '0'"),
    (["trace", "-d", "-1"], "invalid -d '-1'"),
    (["trace", "-d", "abc"], "invalid -d 'abc'"),
    (["trace", "-t", "pipes"], "invalid -t 'pipes'"),
    (["trace", "--min-lat", "fast"], "invalid --min-lat 'fast'"),
    (["trace", "--buffer-size", "lots"], "invalid --buffer-size 'lots'"),
    (["trace", "--comm", "a-name-longer-than-fifteen"], "--comm"),
    (["blocked", "-p", "abc"], "invalid PID 'abc'"),
    (["blocked", "abc"], "invalid interval 'abc'"),
    (["latency", "-d", "-1"], "invalid -d '-1'"),
    (["latency", "abc"], "invalid interval 'abc'"),
    (["latency", "1", "x"], "invalid count 'x'"),
    (["leaks", "-p", "abc"], "invalid PID 'abc'"),
    (["leaks", "abc"], "unexpected argument 'abc'"),
    (["record", "-o", "x.rec", "-p", "abc"], "invalid PID 'abc'"),
    (["record", "-o", "x.rec", "-d", "-1"], "invalid -d '-1'"),
    (["record"], "give the file to write"),
    (["top", "-n", "0"], "invalid -n '0'"),
    (["top", "--delay", "0"], "invalid --delay '0'"),
    (["top", "--sort", "colour"], "invalid --sort 'colour'"),
    (["top", "-p", "abc"], "invalid PID 'abc'"),
    (["metrics", "--top", "0"], "invalid --top '0'"),
    (["metrics", "--interval", "x"], "invalid --interval 'x'"),
    (["metrics", "-d", "-1"], "invalid -d '-1'"),
    (["clean", "--id", "x"], "bad id 'x'"),
    (["clean", "--older-than", "soon"], "bad duration 'soon'"),
    (["clean", "--key", "zz"], "bad key 'zz'"),
    (["clean", "-t", "pipes"], "bad kinds 'pipes'"),
    (["restore"], "which directory?"),
    (["report"], "give the recording"),
    (["report", "a", "b", "c"], "unexpected argument 'c'"),
    (["export", "x.rec"], "give --format"),
    (["export", "x.rec", "--format", "svg"], "unknown format 'svg'"),
    (["doctor", "extra"], "unexpected argument 'extra'"),
    (["--", "x"], "unknown command '--'"),
    (["no-such-command"], "unknown command 'no-such-command'"),
    ([], "no command given"),
])
def test_bad_values(args, needle, tmp_path):
    line = one_line(run(args, cwd=tmp_path), EX_USAGE)
    assert needle in line
    assert not os.listdir(tmp_path), "a rejected command line must not create files"


@needs_root
@pytest.mark.parametrize("args,needle", [
    (["snapshot", "--ns", "999999999"], "no process with PID 999999999"),
    (["audit", "--ns", "999999999"], "no process with PID 999999999"),
    (["trace", "-p", "999999999", "-d", "1"], "no process with PID 999999999"),
    (["trace", "--ipcns", "999999", "-d", "1"], "--ipcns '999999' names no IPC namespace"),
    (["record", "-o", "x.rec", "--ipcns", "999999", "-d", "1"], "names no IPC namespace"),
    (["clean", "--ipcns", "999999", "--dry-run"], "names no IPC namespace"),
    (["metrics", "--ipcns", "999999", "--once"], "999999"),
])
def test_no_such_process(args, needle, tmp_path):
    """A pid that does not exist (pid_max is at most 4194304)."""
    line = one_line(run(args, cwd=tmp_path), EX_USAGE)
    assert needle in line


@needs_root
@pytest.mark.parametrize("kind,what", [("-m", "shared memory segment"),
                                       ("-s", "semaphore array"),
                                       ("-q", "message queue"),
                                       (None, "IPC object")])
def test_no_such_id(ipcns, kind, what):
    args = [IPCSCOPE, "snapshot"] + ([kind] if kind else []) + ["-i", "99999999"]
    r = ipcns.run(args)
    line = one_line(r, EX_NOINPUT)
    assert line == (f"ipcscope: no {what} with id 99999999: "
                    "list the ids with `ipcscope snapshot`")
    assert r.stdout == ""


# ------------------------------------------------------------- recordings

@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    """A small real recording (of a command that makes no IPC calls)."""
    if not is_root():
        pytest.skip("recording needs root (BPF)")
    path = tmp_path_factory.mktemp("rec") / "ok.rec"
    r = run(["record", "-o", str(path), "--", "/bin/true"])
    assert r.returncode == 0, r.stderr
    return path.read_bytes()


def test_report_missing_file(tmp_path):
    line = one_line(run(["report", str(tmp_path / "nope.rec")]), EX_NOINPUT)
    assert "cannot open" in line and "nope.rec" in line


def test_report_empty_and_foreign_files(tmp_path):
    empty = tmp_path / "empty.rec"
    empty.write_bytes(b"")
    assert "empty file" in one_line(run(["report", str(empty)]), EX_DATAERR)
    foreign = tmp_path / "foreign.rec"
    foreign.write_bytes(os.urandom(4096))
    assert "not an ipcscope recording" in one_line(run(["report", str(foreign)]), EX_DATAERR)
    for cmd in (["export", str(foreign), "--format", "jsonl"],):
        assert "not an ipcscope recording" in one_line(run(cmd), EX_DATAERR)


def test_report_device_is_refused_at_once():
    """/dev/zero is endless: the missing magic is seen in its first bytes."""
    line = one_line(run(["report", "/dev/zero"]), EX_DATAERR)
    assert "not an ipcscope recording" in line


def test_report_directory_is_missing_input(tmp_path):
    line = one_line(run(["report", str(tmp_path)]), EX_NOINPUT)
    assert "is a directory" in line


def test_report_reads_a_fifo_as_a_stream(tmp_path, recording):
    """A FIFO fed a little at a time: the same report as from the file."""
    path = tmp_path / "ok.rec"
    path.write_bytes(recording)
    want = run(["report", str(path), "--json"])
    assert want.returncode == 0, want.stderr
    fifo = tmp_path / "rec.fifo"
    os.mkfifo(fifo)
    p = subprocess.Popen([IPCSCOPE, "report", str(fifo), "--json"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    with open(fifo, "wb") as f:
        for i in range(0, len(recording), 1000):
            f.write(recording[i:i + 1000])
            f.flush()
    out, err = p.communicate(timeout=30)
    assert p.returncode == 0, err
    assert out == want.stdout
    # and a FIFO that is not a recording fails at its first bytes, without
    # waiting for the writer to finish
    p = subprocess.Popen([IPCSCOPE, "report", str(fifo)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    with open(fifo, "wb") as f:
        f.write(b"x" * 4096)
        f.flush()
        out, err = p.communicate(timeout=30)
    assert p.returncode == EX_DATAERR and "not an ipcscope recording" in err


def test_report_truncated_header(tmp_path, recording):
    cut = tmp_path / "cut.rec"
    cut.write_bytes(recording[:100])
    assert "truncated" in one_line(run(["report", str(cut)]), EX_DATAERR)


def test_report_truncated_body_is_partial(tmp_path, recording):
    """Cut inside the last chunk: the chunks before it are reported, with one
    warning line (partial results are printed, not dropped)."""
    cut = tmp_path / "cut.rec"
    cut.write_bytes(recording[:-5])
    r = run(["report", str(cut)])
    assert r.returncode == 0, r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("ipcscope: warning: ")
    assert "truncated" in lines[0] and "complete chunks" in lines[0]
    assert r.stdout.strip()


def test_report_corrupt_body(tmp_path, recording):
    bad = tmp_path / "bad.rec"
    bad.write_bytes(recording[:320] + bytes(3000))
    one_line(run(["report", str(bad)]), EX_DATAERR)


def test_report_corrupt_body_no_crash(tmp_path, recording):
    """Random and zeroed bodies: one line, documented exit, never a crash."""
    bad = tmp_path / "bad.rec"
    for body in (bytes(3000), os.urandom(3000)):
        bad.write_bytes(recording[:320] + body)
        r = run(["report", str(bad)])
        assert r.returncode == EX_DATAERR, r.stderr
        one_line(r, EX_DATAERR)
        assert "Sanitizer" not in r.stderr


# ------------------------------------------------------------- not root

def as_nobody():
    if not is_root() or not shutil.which("setpriv"):
        pytest.skip("needs root and setpriv to drop to nobody")
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


@pytest.mark.parametrize("args", [["trace", "-d", "1"], ["blocked", "-d", "1"],
                                  ["latency", "-d", "1"], ["leaks", "-d", "1"],
                                  ["record", "-o", "-", "-d", "1"]])
def test_not_root(args, tmp_path):
    r = subprocess.run(as_nobody() + [IPCSCOPE] + args, capture_output=True, text=True,
                       timeout=30, cwd="/", stdin=subprocess.DEVNULL)
    line = one_line(r, EX_NOPERM)
    assert "needs root" in line
