"""Each audit rule staged against the real kernel, and a clean namespace that
yields none of them.

Everything runs in a private IPC namespace (the `ipcns` fixture); the POSIX
rules also get a private mount namespace with their own tmpfs on /dev/shm and
their own mqueue filesystem, so nothing outside the test is seen or touched.
The IPC and mqueue sysctls changed here are per IPC namespace; the one
host-global knob the huge-page rules name, vm.nr_hugepages, is changed only
inside the `make vmtest` guest (IPCSCOPE_VMTEST=1).  Elsewhere the huge-page
segments are created with SHM_NORESERVE, which reserves no huge page and
needs none, so the host's pool is never touched.
"""
import json
import os
import subprocess
import time

import pytest

from conftest import IPCSCOPE, IpcNamespace, is_root, workload

VMTEST = bool(os.environ.get("IPCSCOPE_VMTEST"))


def audit(ns, *args, ok=(0, 1)):
    return ns.json([IPCSCOPE, "audit", "--json"] + list(args), ok=ok)["findings"]


def rules(findings, ident=None):
    """{(rule, object)} of the findings, or only of object `ident` ("shm 3")."""
    return {(f["rule"], f["object"]) for f in findings if ident is None or f["object"] == ident}


def one(findings, rule, obj):
    hits = [f for f in findings if f["rule"] == rule and f["object"] == obj]
    assert len(hits) == 1, (rule, obj, findings)
    return hits[0]


class Workload:
    """A tests/workloads program in a namespace; its objects live until close()."""

    def __init__(self, ns, name, *args):
        self.proc = ns.popen([workload(name)] + [str(a) for a in args], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line:
            err = self.proc.stderr.read()
            self.proc.wait(timeout=10)
            raise OSError(err.strip() or f"{name} printed nothing")
        self.info = json.loads(line)

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def sysctl(ns, path, value):
    """Write a per-IPC-namespace sysctl inside the test's namespace."""
    ns.run(["sh", "-c", f"echo {value} > /proc/sys/{path}"], check=True)


def meminfo(key):
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * (1024 if line.rstrip().endswith("kB") else 1)
    return 0


IPC_INIT_INO = 0xEFFFFFFF   # the initial IPC namespace's fixed inode (PROC_IPC_INIT_INO)


def host_sysctl(path):
    """A sysctl of the namespace the audit compares with: the initial IPC namespace
    when the test runs in it, else PID 1's."""
    if os.stat("/proc/self/ns/ipc").st_ino == IPC_INIT_INO:
        with open(f"/proc/sys/{path}") as fh:
            return int(fh.read().split()[0])
    r = subprocess.run(["nsenter", "--ipc", "--target=1", "--", "cat", f"/proc/sys/{path}"],
                       capture_output=True, text=True, timeout=30)
    if r.returncode:
        pytest.skip(f"cannot read the host's {path}: {r.stderr.strip()}")
    return int(r.stdout.split()[0])


# --------------------------------------------------------------- default kernel

def test_default_namespace_has_no_findings(ipcns):
    """A fresh IPC namespace: kernel defaults, no objects, not even info findings."""
    r = ipcns.run([IPCSCOPE, "audit", "--json", "--fail-on", "info"])
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(r.stdout)["findings"] == []
    assert r.stderr == ""


# ------------------------------------------------------------------- huge pages

def hugepage_size():
    hp = meminfo("Hugepagesize")
    if not hp:
        pytest.skip("this kernel has no hugetlb support (no Hugepagesize in /proc/meminfo)")
    return hp


def test_shm_not_hugetlb(ipcns):
    hp = hugepage_size()
    big = Workload(ipcns, "auditobjs", "-S", 2 * hp, "-A")
    small = Workload(ipcns, "auditobjs", "-S", hp // 2, "-A")
    try:
        f = audit(ipcns, "--fail-on", "info", ok=(1,))
        x = one(f, "shm-not-hugetlb", f"shm {big.info['shm']}")
        assert x["severity"] == "info"
        assert "vm.nr_hugepages=" in x["remedy"] and "SHM_HUGETLB" in x["remedy"]
        assert f"shmget(key, {2 * hp}," in x["remedy"]
        assert rules(f, f"shm {small.info['shm']}") == set()
        # info only: the default --fail-on warning passes
        assert ipcns.run([IPCSCOPE, "audit"]).returncode == 0
    finally:
        big.close()
        small.close()


@pytest.fixture
def hugetlb_flags(ipcns):
    """auditobjs flags for SHM_HUGETLB segments: real reserved pages in the vmtest
    guest (vm.nr_hugepages raised there and restored), SHM_NORESERVE elsewhere."""
    if not VMTEST:
        yield ["-H", "-N"]
        return
    path = "/proc/sys/vm/nr_hugepages"
    with open(path) as fh:
        old = int(fh.read())
    with open(path, "w") as fh:
        fh.write(str(old + 8))
    try:
        with open(path) as fh:
            if int(fh.read()) < old + 4:
                pytest.fail("the vmtest guest could not reserve huge pages")
        yield ["-H", "-T"]
    finally:
        with open(path, "w") as fh:
            fh.write(str(old))


def test_shm_hugetlb_unaligned(ipcns, hugetlb_flags):
    hp = hugepage_size()
    try:
        odd = Workload(ipcns, "auditobjs", "-S", hp + hp // 2, "-A", *hugetlb_flags)
        even = Workload(ipcns, "auditobjs", "-S", 2 * hp, "-A", *hugetlb_flags)
    except OSError as e:
        if VMTEST:
            raise
        pytest.skip(f"SHM_HUGETLB segments cannot be created here: {e}")
    try:
        f = audit(ipcns, "--fail-on", "info", ok=(1,))
        x = one(f, "shm-hugetlb-unaligned", f"shm {odd.info['shm']}")
        assert x["severity"] == "warning"
        assert f"{hp // 2} bytes of the last one are unusable" in x["evidence"]
        assert f"a size of {2 * hp} bytes" in x["remedy"] and "vm.nr_hugepages" in x["remedy"]
        # aligned and on huge pages: neither huge-page rule
        assert rules(f, f"shm {even.info['shm']}") == set()
        assert ipcns.run([IPCSCOPE, "audit"]).returncode == 1
    finally:
        odd.close()
        even.close()


# --------------------------------------------------------------- locked segments

def test_shm_locked_with_total(ipcns):
    a = Workload(ipcns, "auditobjs", "-S", 65536, "-A", "-L", "-T")
    b = Workload(ipcns, "auditobjs", "-S", 131072, "-A", "-L")
    c = Workload(ipcns, "auditobjs", "-S", 65536, "-A")
    try:
        f = audit(ipcns, "--fail-on", "info", ok=(1,))
        for w, size in ((a, 65536), (b, 131072)):
            x = one(f, "shm-locked", f"shm {w.info['shm']}")
            assert x["severity"] == "info"
            assert f"its {size} bytes" in x["evidence"]
            assert "2 locked segment(s) pin up to 196608 bytes in total" in x["evidence"]
            assert f"shmctl({w.info['shm']}, SHM_UNLOCK" in x["remedy"]
        assert "(65536 resident)" in one(f, "shm-locked", f"shm {a.info['shm']}")["evidence"]
        assert rules(f, f"shm {c.info['shm']}") == set()
    finally:
        a.close()
        b.close()
        c.close()


# ------------------------------------------------------------------------ stale

def test_stale_every_kind(ipcns):
    # mkobjs: shm 0 attached (in use: never stale), shm 1 not; one array, one queue
    objs = Workload(ipcns, "mkobjs", "-m", "2", "-s", "1", "-q", "1", "-a")
    try:
        assert audit(ipcns, "--fail-on", "info") == []   # default: 7 days
        time.sleep(2.2)   # the kernel's times are in seconds; 0.00002 days is 1.7 s
        f = audit(ipcns, "--stale-after", "0.00002", "--fail-on", "info", ok=(1,))
        stale = {x["object"]: x for x in f if x["rule"] == "stale"}
        shm, sem, msg = objs.info["shm"], objs.info["sem"], objs.info["msg"]
        assert set(stale) == {f"shm {shm[1]}", f"sem {sem[0]}", f"msg {msg[0]}"}
        assert "last shmat never" in stale[f"shm {shm[1]}"]["evidence"]
        assert "last semop never" in stale[f"sem {sem[0]}"]["evidence"]
        assert "last msgrcv never" in stale[f"msg {msg[0]}"]["evidence"]
        assert all(x["severity"] == "info" for x in stale.values())
        # the old spelling still works, and 0 turns the rule off
        assert rules(audit(ipcns, "--stale", "0.00002", "--fail-on", "info", ok=(1,))) == \
            rules(f)
        assert audit(ipcns, "--stale-after", "0", "--fail-on", "info") == []
    finally:
        objs.close()


# ----------------------------------------------------- orphans, shm_rmid_forced

def test_orphans_name_shm_rmid_forced(ipcns):
    objs = Workload(ipcns, "mkobjs", "-m", "2", "-x")
    objs.proc.wait(timeout=10)
    f = audit(ipcns, ok=(1,))
    orphans = {x["object"] for x in f if x["rule"] == "orphaned-shm"}
    assert orphans == {f"shm {i}" for i in objs.info["shm"]}
    x = one(f, "shm-rmid-forced-off", "sysctl kernel.shm_rmid_forced")
    assert x["kind"] == "sysctl" and x["severity"] == "info"
    assert "2 orphaned segment(s)" in x["evidence"]
    assert x["remedy"].startswith("sysctl -w kernel.shm_rmid_forced=1")

    # --ns reads the value inside the audited namespace, not the auditor's: audit
    # from a second namespace where it is 1
    other = IpcNamespace()
    try:
        sysctl(other, "kernel/shm_rmid_forced", 1)
        f = other.json([IPCSCOPE, "audit", "--json", "--ns", str(ipcns.pid)], ok=(1,))["findings"]
        x = one(f, "shm-rmid-forced-off", "sysctl kernel.shm_rmid_forced")
        assert x["remedy"].startswith(
            f"nsenter --ipc --target {ipcns.pid} sysctl -w kernel.shm_rmid_forced=1")
    finally:
        other.close()

    # the fix works: setting it destroys the orphans, and the finding is gone
    sysctl(ipcns, "kernel/shm_rmid_forced", 1)
    assert audit(ipcns, "--fail-on", "info") == []


# ----------------------------------------------------------------------- limits

def test_limit_exceeds_memory(ipcns):
    mem = meminfo("MemTotal")
    page = os.sysconf("SC_PAGE_SIZE")
    assert audit(ipcns, "--fail-on", "info") == []   # the defaults are exempt
    sysctl(ipcns, "kernel/shmmax", 2 * mem)
    sysctl(ipcns, "kernel/shmall", 2 * mem // page)
    f = audit(ipcns, ok=(1,))
    x = one(f, "limit-exceeds-memory", "limit SHMMAX")
    assert x["severity"] == "warning" and x["kind"] == "limit"
    assert f"kernel.shmmax {2 * mem} bytes" in x["evidence"]
    assert x["remedy"].startswith(f"sysctl -w kernel.shmmax={mem // page * page}")
    x = one(f, "limit-exceeds-memory", "limit SHMALL")
    assert x["remedy"].startswith(f"sysctl -w kernel.shmall={mem // page}")
    assert len(f) == 2
    sysctl(ipcns, "kernel/shmmax", mem // 2)
    sysctl(ipcns, "kernel/shmall", mem // 2 // page)
    assert audit(ipcns, "--fail-on", "info") == []


def test_limit_below_host(ipcns):
    host = host_sysctl("kernel/shmmni")
    if host <= 4:
        pytest.skip(f"the host's kernel.shmmni is {host}: nothing lower to stage")
    sysctl(ipcns, "kernel/shmmni", 4)   # as a container runtime might
    objs = Workload(ipcns, "mkobjs", "-m", "4", "-c")
    try:
        # audited from the host with --ns, as an operator audits a container
        r = subprocess.run([IPCSCOPE, "audit", "--json", "--ns", str(ipcns.pid)],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 1, r.stderr
        f = json.loads(r.stdout)["findings"]
        x = one(f, "limit-below-host", "limit SHMMNI")
        assert x["severity"] == "critical"   # 4 of 4
        assert "4 of 4" in x["evidence"] and f"lower than the host's {host}" in x["evidence"]
        assert x["remedy"].startswith(f"nsenter --ipc --target {ipcns.pid} sysctl -w kernel.shmmni=8")
        assert rules(f) == {("limit-below-host", "limit SHMMNI")}
    finally:
        objs.close()
    # lower than the host's but far from it: nothing
    r = subprocess.run([IPCSCOPE, "audit", "--json", "--fail-on", "info", "--ns", str(ipcns.pid)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and json.loads(r.stdout)["findings"] == [], r.stdout + r.stderr


# -------------------------------------------------------- queue consumer gone

def test_queue_consumer_gone(ipcns):
    staged = {c: Workload(ipcns, "auditobjs", "-C", c)
              for c in ("exited", "zombie", "slow", "blocked")}
    try:
        # the zombie is one indeed
        with open(f"/proc/{staged['zombie'].info['receiver']}/stat") as fh:
            assert fh.read().rsplit(")", 1)[1].split()[0] == "Z"
        f = audit(ipcns, ok=(1,))
        gone = {x["object"]: x for x in f if x["rule"] == "queue-consumer-gone"}
        assert set(gone) == {f"msg {staged['exited'].info['msg']}",
                             f"msg {staged['zombie'].info['msg']}"}
        x = gone[f"msg {staged['exited'].info['msg']}"]
        assert x["severity"] == "warning"
        assert f"last receiver pid {staged['exited'].info['receiver']} exited," in x["evidence"]
        assert "3 message(s)" in x["evidence"]
        assert f"ipcrm -q {staged['exited'].info['msg']}" in x["remedy"]
        assert "zombie" in gone[f"msg {staged['zombie'].info['msg']}"]["evidence"]
    finally:
        for w in staged.values():
            w.close()


# ------------------------------------------------------------------- POSIX side

class PosixNamespace(IpcNamespace):
    """An IPC namespace with a private mount namespace: its own 1 MiB tmpfs on
    /dev/shm and its own mqueue filesystem (on a small tmpfs over `base`, which
    hides that directory only inside the namespace), so the host's /dev/shm and
    mount points are untouched."""

    def __init__(self, base):
        self.holder = subprocess.Popen(
            ["unshare", "--ipc", "--mount", "--propagation", "private", "--", "sh", "-c",
             "mount -t tmpfs -o size=1m,mode=1777 tmpfs /dev/shm && "
             f"mount -t tmpfs -o size=64k tmpfs {base} && mkdir {base}/mqueue && "
             f"mount -t mqueue mqueue {base}/mqueue && echo ready && exec sleep 3600"],
            stdout=subprocess.PIPE, text=True)
        self.pid = self.holder.pid
        self.procs = []
        if self.holder.stdout.readline().strip() != "ready":
            self.holder.wait(timeout=10)
            raise RuntimeError("could not set up the private /dev/shm and mqueue")
        self.inode = os.stat(f"/proc/{self.pid}/ns/ipc").st_ino

    def argv(self, cmd):
        # --root: entering a mount namespace resets the root to the namespace's;
        # keep the holder's (the vmtest guest runs the suite in a chroot)
        return ["nsenter", "--ipc", "--mount", "--root", f"--target={self.pid}", "--"] + list(cmd)


@pytest.fixture
def posixns():
    if not is_root():
        pytest.skip("needs root to create IPC and mount namespaces")
    base = next(d for d in ("/media", "/srv", "/opt", "/tmp") if os.path.isdir(d))
    ns = PosixNamespace(base)
    try:
        yield ns
    finally:
        ns.close()


def test_posix_default_has_no_findings(posixns):
    r = posixns.run([IPCSCOPE, "audit", "--posix", "--json", "--fail-on", "info"])
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(r.stdout)["findings"] == []


def test_posix_world_writable(posixns):
    posixns.run(["sh", "-c", "umask 0; : > /dev/shm/open; : > /dev/shm/closed; "
                 "chmod 666 /dev/shm/open; chmod 600 /dev/shm/closed"], check=True)
    q = Workload(posixns, "auditobjs", "-M", "622", "-q", "/open", "-M", "600", "-q", "/closed")
    try:
        f = audit(posixns, "--posix", ok=(1,))
        x = one(f, "world-writable", "posix-shm open")
        assert x["severity"] == "critical" and x["kind"] == "posix-shm"
        assert "mode 666" in x["evidence"] and "chmod o-w '/dev/shm/open'" in x["remedy"]
        x = one(f, "world-writable", "posix-mq /open")
        assert x["kind"] == "posix-mq" and "mode 622" in x["evidence"]
        assert rules(f) == {("world-writable", "posix-shm open"), ("world-writable", "posix-mq /open")}
        # without --posix the POSIX side is not audited
        assert audit(posixns) == []
    finally:
        q.close()


def test_posix_devshm_near_full(posixns):
    posixns.run(["sh", "-c", "head -c 983040 /dev/zero > /dev/shm/big"], check=True)   # 960 KiB
    f = audit(posixns, "--posix", ok=(1,))
    x = one(f, "posix-shm-full", "tmpfs /dev/shm")
    assert x["severity"] == "warning" and x["kind"] == "tmpfs"
    assert "94% full" in x["evidence"] and "1 files" in x["evidence"]
    assert "mount -o remount,size=2048k /dev/shm" in x["remedy"]
    assert audit(posixns, "--posix", "--warn", "95") == []
    posixns.run(["rm", "/dev/shm/big"], check=True)
    assert audit(posixns, "--posix", "--fail-on", "info") == []


def test_posix_mqueue_limits(posixns):
    # the fs.mqueue sysctls are per IPC namespace
    sysctl(posixns, "fs/mqueue/queues_max", 4)
    sysctl(posixns, "fs/mqueue/msg_max", 20)
    q = Workload(posixns, "auditobjs", "-q", "/a", "-q", "/b", "-q", "/c",
                 "-n", "19", "-z", "8000", "-q", "/deep")
    try:
        f = audit(posixns, "--posix", ok=(1,))
        x = one(f, "posix-mq-limit", "limit fs.mqueue.queues_max")
        assert x["severity"] == "critical"   # 4 of 4
        assert "queues 4, the limit is 4" in x["evidence"]
        assert x["remedy"].startswith("sysctl -w fs.mqueue.queues_max=8")
        x = one(f, "posix-mq-limit", "limit fs.mqueue.msg_max")
        assert x["severity"] == "warning" and "(mq_maxmsg) 19, the limit is 20" in x["evidence"]
        x = one(f, "posix-mq-limit", "limit fs.mqueue.msgsize_max")
        assert "(mq_msgsize) 8000, the limit is 8192" in x["evidence"]
        assert len(f) == 3
    finally:
        q.close()
    assert audit(posixns, "--posix", "--fail-on", "info") == []


def test_posix_refused_with_ns(ipcns):
    r = subprocess.run([IPCSCOPE, "audit", "--posix", "--ns", str(ipcns.pid)],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 64
    assert r.stderr.startswith("ipcscope: --posix audits this process's") and \
        len(r.stderr.splitlines()) == 1


# ------------------------------------------------------------- documentation

RULES = ["orphaned-shm", "shm-rmid-forced-off", "removed-but-attached", "shm-locked",
         "shm-not-hugetlb", "shm-hugetlb-unaligned", "queue-backlog", "queue-consumer-gone",
         "sem-waiters", "world-writable", "world-readable", "owner-missing", "stale",
         "limit-near-exhaustion", "limit-below-host", "limit-exceeds-memory",
         "posix-shm-full", "posix-mq-limit"]


def test_every_rule_documented():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    helptext = subprocess.run([IPCSCOPE, "audit", "--help"], capture_output=True, text=True,
                              timeout=30).stdout
    with open(os.path.join(root, "docs", "ipcscope.1")) as fh:
        man = fh.read().replace("\\-", "-")
    with open(os.path.join(root, "docs", "inventory.md")) as fh:
        md = fh.read()
    for rule in RULES:
        assert rule in helptext, rule
        assert rule in man, rule
        assert f"`{rule}`" in md, rule
    assert "--stale-after" in helptext and "stale-after" in man


@pytest.mark.parametrize("args,needle", [
    (["--stale-after", "-1"], "invalid --stale-after '-1'"),
    (["--stale-after", "week"], "invalid --stale-after 'week'"),
    (["--stale", "x"], "invalid --stale 'x'"),
    (["--warn", "0"], "invalid --warn"),
])
def test_bad_options(args, needle):
    r = subprocess.run([IPCSCOPE, "audit"] + args, capture_output=True, text=True, timeout=30)
    assert r.returncode == 64 and needle in r.stderr, r.stderr
    assert len(r.stderr.splitlines()) == 1 and r.stderr.startswith("ipcscope: ")
