"""snapshot, limits and audit against the real kernel, in private IPC namespaces.

The reference is what util-linux reports for the same objects (lsipc, ipcs),
and what the workload says it created.
"""
import json
import os
import subprocess
import time

import pytest

from conftest import IPCSCOPE, workload


class Objects:
    """A running mkobjs workload in a namespace; objects live until close()."""

    def __init__(self, ns, *args):
        self.proc = ns.popen([workload("mkobjs")] + list(args), stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        assert line, "mkobjs printed nothing"
        self.info = json.loads(line)

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def snapshot(ns, *args):
    return ns.json([IPCSCOPE, "snapshot", "--json"] + list(args))


def lsipc(ns, flag, key):
    cols = {"-m": "KEY,ID,SIZE,NATTCH,CPID,OWNER", "-s": "KEY,ID,NSEMS,OWNER",
            "-q": "KEY,ID,USEDBYTES,MSGS,OWNER"}[flag]
    out = ns.json(["lsipc", flag, "--json", "--bytes", "-o", cols])
    return {int(o["id"]): o for o in out[key]}


def ipcs(ns, flag):
    """ipcs rows keyed by id, as lists of columns."""
    r = ns.run(["ipcs", flag], check=True)
    rows = {}
    for line in r.stdout.splitlines():
        f = line.split()
        if f and f[0].startswith("0x"):
            rows[int(f[1])] = f
    return rows


def test_snapshot_matches_lsipc_and_ipcs(ipcns):
    objs = Objects(ipcns, "-m", "150", "-s", "150", "-q", "150", "-a")
    try:
        snap = snapshot(ipcns)
        assert snap["partial"] is False
        assert snap["namespaces"][0]["ipcns"] == ipcns.inode
        assert sorted(o["id"] for o in snap["shm"]) == sorted(objs.info["shm"])
        assert sorted(o["id"] for o in snap["sem"]) == sorted(objs.info["sem"])
        assert sorted(o["id"] for o in snap["msg"]) == sorted(objs.info["msg"])

        ref = lsipc(ipcns, "-m", "sharedmemory")
        ref_ipcs = ipcs(ipcns, "-m")
        assert len(ref) == 150
        for o in snap["shm"]:
            r = ref[o["id"]]
            assert o["key"] & 0xffffffff == int(r["key"], 16)
            assert o["size"] == int(r["size"])
            assert o["nattch"] == int(r["nattch"])
            assert o["cpid"] == int(r["cpid"])
            assert o["user"] == r["owner"]
            assert o["size"] == int(ref_ipcs[o["id"]][4])
            assert o["nattch"] == int(ref_ipcs[o["id"]][5])
            # the workload keeps every other segment attached
            if o["nattch"]:
                assert o["attached"] == [objs.info["pid"]]
                assert o["creator"] == {"pid": objs.info["pid"], "exited": False,
                                        "comm": "mkobjs", "cmdline": o["creator"]["cmdline"]}
                assert "mkobjs -m 150" in o["creator"]["cmdline"]
            else:
                assert o["attached"] == []

        ref = lsipc(ipcns, "-s", "semaphores")
        for o in snap["sem"]:
            assert o["nsems"] == int(ref[o["id"]]["nsems"])
            assert o["key"] & 0xffffffff == int(ref[o["id"]]["key"], 16)
            # per-semaphore values the workload set with SETALL: 1, 2, 3...
            assert [s["value"] for s in o["sems"]] == list(range(1, o["nsems"] + 1))
            assert all(s["ncnt"] == 0 and s["zcnt"] == 0 for s in o["sems"])

        ref = lsipc(ipcns, "-q", "messages")
        ref_ipcs = ipcs(ipcns, "-q")
        for o in snap["msg"]:
            r = ref[o["id"]]
            assert o["cbytes"] == int(r["usedbytes"])
            assert o["qnum"] == int(r["msgs"])
            assert o["qnum"] == int(ref_ipcs[o["id"]][5])
            assert o["qbytes"] > 0
            assert o["fill_pct"] == pytest.approx(100.0 * o["cbytes"] / o["qbytes"])
    finally:
        objs.close()


def test_binary_walk_matches_proc_text(ipcns):
    """Arrays and queues are read with SEM_STAT_ANY/MSG_STAT_ANY (statwalk.c);
    kernels before 4.17 get /proc/sysvipc text plus IPC_STAT per queue.  Both
    paths must give the same objects, field for field."""
    objs = Objects(ipcns, "-m", "20", "-s", "200", "-q", "200", "-a")
    try:
        walk = snapshot(ipcns)
        r = ipcns.run([IPCSCOPE, "snapshot", "--json"],
                      env=dict(os.environ, IPCSCOPE_INVENTORY="text"))
        assert r.returncode == 0, r.stderr
        text = json.loads(r.stdout)
        for kind in ("sem", "msg", "shm"):
            assert len(walk[kind]) == (20 if kind == "shm" else 200)
            # ages move on between the two runs; everything else is the same
            strip = lambda objs_: [{k: v for k, v in o.items() if k != "changed_s"}
                                   for o in objs_]
            assert strip(walk[kind]) == strip(text[kind]), kind
        assert any(o["qnum"] for o in walk["msg"]), "workload queued no messages"
        assert all(o["qbytes"] > 0 for o in walk["msg"])
    finally:
        objs.close()


def test_snapshot_kind_selection_and_text(ipcns):
    objs = Objects(ipcns, "-m", "2", "-s", "1", "-q", "1")
    try:
        snap = snapshot(ipcns, "-m")
        assert "shm" in snap and "sem" not in snap and "msg" not in snap
        snap = snapshot(ipcns, "-s", "-q")
        assert "shm" not in snap and len(snap["sem"]) == 1 and len(snap["msg"]) == 1
        text = ipcns.run([IPCSCOPE, "snapshot"], check=True).stdout
        assert "Shared memory segments: 2" in text
        assert "0x1f000000" in text
        assert "sem[0] value=1" in text
    finally:
        objs.close()


def test_snapshot_creator_exited(ipcns):
    objs = Objects(ipcns, "-m", "1", "-x")
    objs.proc.wait(timeout=10)
    snap = snapshot(ipcns)
    assert snap["shm"][0]["creator"] == {"pid": objs.info["pid"], "exited": True}


def test_snapshot_other_namespace(ipcns):
    """--ns PID reads a namespace from outside it; our own tables are not mixed in."""
    objs = Objects(ipcns, "-m", "3", "-q", "2")
    try:
        r = subprocess.run([IPCSCOPE, "snapshot", "--json", "--ns", str(ipcns.pid)],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        snap = json.loads(r.stdout)
        assert sorted(o["id"] for o in snap["shm"]) == sorted(objs.info["shm"])
        assert sorted(o["id"] for o in snap["msg"]) == sorted(objs.info["msg"])
        assert all(o["ipcns"] == ipcns.inode and o["ns_pid"] == ipcns.pid for o in snap["shm"])
        assert {o["key"] & 0xffffffff for o in snap["shm"]} == {0x1f000000, 0x1f000001, 0x1f000002}

        r = subprocess.run([IPCSCOPE, "snapshot", "--json", "--all-namespaces", "-m"],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        snap = json.loads(r.stdout)
        assert ipcns.inode in [n["ipcns"] for n in snap["namespaces"]]
        mine = [o for o in snap["shm"] if o["ipcns"] == ipcns.inode]
        assert sorted(o["id"] for o in mine) == sorted(objs.info["shm"])
    finally:
        objs.close()


def test_limits_match_lsipc_global(ipcns):
    objs = Objects(ipcns, "-m", "5", "-s", "4", "-q", "3")
    try:
        ours = {l["name"]: l for l in ipcns.json([IPCSCOPE, "limits", "--json"])["limits"]}
        ref = ipcns.json(["lsipc", "--global", "--json", "--bytes"])["ipclimits"]
        ref = {r["resource"]: r for r in ref}
        for name in ("MSGMNI", "MSGMAX", "MSGMNB", "SHMMNI", "SHMALL", "SHMMAX",
                     "SEMMNI", "SEMMNS", "SEMMSL", "SEMOPM", "SEMVMX"):
            assert ours[name]["value"] == int(ref[name]["limit"]), name
        for name in ("MSGMNI", "SHMMNI", "SEMMNI"):
            assert ours[name]["usage"] == int(ref[name]["used"]), name
        # lsipc truncates each segment to whole pages; the kernel (shm_tot, shown
        # by `ipcs -u` as "pages allocated") rounds up, as SHMALL is enforced
        used = ipcns.run(["ipcs", "-u", "-m"], check=True).stdout
        assert f"pages allocated {ours['SHMALL']['usage']}" in " ".join(used.split())
        assert ours["SHMMNI"]["usage"] == 5
        # lsipc 2.38 reports the number of arrays as SEMMNS usage; the kernel's
        # count of semaphores is what `ipcs -u` shows as "allocated semaphores"
        used = ipcns.run(["ipcs", "-u", "-s"], check=True).stdout
        assert "allocated semaphores = 10" in used
        assert ours["SEMMNS"]["usage"] == 1 + 2 + 3 + 4
    finally:
        objs.close()


def test_limits_warning_exit_2(ipcns):
    # IPC sysctls are per IPC namespace: this only changes the test's own namespace
    ipcns.run(["sh", "-c", "echo 4 > /proc/sys/kernel/shmmni"], check=True)
    objs = Objects(ipcns, "-m", "4", "-c")
    try:
        r = ipcns.run([IPCSCOPE, "limits"])
        assert r.returncode == 2
        assert "SHMMNI at 100%" in r.stderr
        assert "sysctl -w kernel.shmmni=8" in r.stderr
        r = ipcns.run([IPCSCOPE, "limits", "--json", "--warn", "100"])
        assert r.returncode == 2
        lim = {l["name"]: l for l in json.loads(r.stdout)["limits"]}
        assert lim["SHMMNI"]["warning"] is True and lim["SHMMNI"]["use_pct"] == 100
        assert lim["MSGMNI"]["warning"] is False
    finally:
        objs.close()
    r = ipcns.run([IPCSCOPE, "limits"])
    assert r.returncode == 0, r.stderr


def audit(ns, *args, ok=(0, 1)):
    return ns.json([IPCSCOPE, "audit", "--json"] + list(args), ok=ok)["findings"]


def rules_for(findings, kind, ids):
    return {(f["rule"], f["id"]) for f in findings if f["kind"] == kind and f["id"] in ids}


def test_audit_clean_objects_have_no_findings(ipcns):
    objs = Objects(ipcns, "-m", "2", "-s", "2", "-q", "2", "-a")
    try:
        # segment 1 is not attached but its creator lives: not an orphan
        r = ipcns.run([IPCSCOPE, "audit", "--json"])
        assert r.returncode == 0, r.stdout
        assert json.loads(r.stdout)["findings"] == []
        assert "No findings." in ipcns.run([IPCSCOPE, "audit"]).stdout
    finally:
        objs.close()


def test_audit_orphaned_shm(ipcns):
    objs = Objects(ipcns, "-m", "2", "-x")
    objs.proc.wait(timeout=10)
    r = ipcns.run([IPCSCOPE, "audit", "--json"])
    assert r.returncode == 1
    f = json.loads(r.stdout)["findings"]
    assert rules_for(f, "shm", objs.info["shm"]) == {("orphaned-shm", 0), ("orphaned-shm", 1)}
    assert any("ipcrm -m 0" in x["remedy"] for x in f)


def test_audit_removed_but_attached(ipcns):
    objs = Objects(ipcns, "-m", "1", "-a", "-r")
    try:
        f = audit(ipcns)
        assert ("removed-but-attached", objs.info["shm"][0]) in rules_for(f, "shm", objs.info["shm"])
    finally:
        objs.close()


def test_audit_queue_backlog(ipcns):
    full = Objects(ipcns, "-q", "1", "-f", "85", "-k", "0x2000000")
    fine = Objects(ipcns, "-q", "1", "-f", "50", "-k", "0x3000000")
    try:
        f = audit(ipcns)
        assert rules_for(f, "msg", full.info["msg"]) == {("queue-backlog", full.info["msg"][0])}
        assert rules_for(f, "msg", fine.info["msg"]) == set()
    finally:
        full.close()
        fine.close()


def test_audit_sem_waiters(ipcns):
    objs = Objects(ipcns, "-s", "2", "-w")
    try:
        f = audit(ipcns)
        assert rules_for(f, "sem", objs.info["sem"]) == {("sem-waiters", objs.info["sem"][0])}
        ev = [x["evidence"] for x in f if x["rule"] == "sem-waiters"][0]
        assert "sem[0]=0: 1 waiting to decrease" in ev
    finally:
        objs.close()


def test_audit_permissions(ipcns):
    rw = Objects(ipcns, "-m", "1", "-a", "-M", "666", "-k", "0x2000000")
    ro = Objects(ipcns, "-q", "1", "-M", "644", "-k", "0x3000000")
    try:
        f = audit(ipcns, ok=(1,))
        assert ("world-writable", rw.info["shm"][0]) in rules_for(f, "shm", rw.info["shm"])
        assert rules_for(f, "msg", ro.info["msg"]) == {("world-readable", ro.info["msg"][0])}
        sev = {x["rule"]: x["severity"] for x in f}
        assert sev["world-writable"] == "critical" and sev["world-readable"] == "warning"
        # --fail-on critical: a critical finding still fails
        assert ipcns.run([IPCSCOPE, "audit", "--fail-on", "critical"]).returncode == 1
    finally:
        rw.close()
        ro.close()


def test_audit_fail_on_threshold(ipcns):
    ro = Objects(ipcns, "-q", "1", "-M", "644")
    try:
        assert ipcns.run([IPCSCOPE, "audit"]).returncode == 1
        assert ipcns.run([IPCSCOPE, "audit", "--fail-on", "critical"]).returncode == 0
    finally:
        ro.close()


def test_audit_owner_missing(ipcns):
    # uid 54321 is assumed to have no passwd entry on a test machine
    import pwd
    try:
        pwd.getpwuid(54321)
        pytest.skip("uid 54321 exists here")
    except KeyError:
        pass
    objs = Objects(ipcns, "-q", "1", "-u", "54321")
    try:
        f = audit(ipcns)
        assert rules_for(f, "msg", objs.info["msg"]) == {("owner-missing", objs.info["msg"][0])}
    finally:
        objs.close()


def test_audit_limits_and_stale(ipcns):
    ipcns.run(["sh", "-c", "echo 2 > /proc/sys/kernel/msgmni"], check=True)
    objs = Objects(ipcns, "-q", "2")
    try:
        f = audit(ipcns)
        # set below the host's 32000, as a container runtime might: limit-below-host
        lim = [x for x in f if x["rule"] in ("limit-near-exhaustion", "limit-below-host")]
        assert len(lim) == 1 and lim[0]["object"] == "limit MSGMNI"
        assert lim[0]["remedy"].startswith("sysctl -w kernel.msgmni=4")
        time.sleep(2.2)   # --stale takes days; 0.00002 days is 1.7 s
        f = audit(ipcns, "--stale", "0.00002")
        assert rules_for(f, "msg", objs.info["msg"]) == {("stale", i) for i in objs.info["msg"]}
    finally:
        objs.close()


@pytest.mark.parametrize("args,needle", [
    (["snapshot", "--bogus"], "unrecognized option"),
    (["snapshot", "--ns", "999999999"], "no process with PID"),
    (["snapshot", "--ns", "abc"], "invalid --ns"),
    (["snapshot", "--ns", "1", "--all-namespaces"], "exclusive"),
    (["limits", "--warn", "0"], "invalid --warn"),
    (["audit", "--fail-on", "bogus"], "invalid --fail-on"),
    (["audit", "--stale", "-1"], "invalid --stale"),
    (["snapshot", "-o", "/nonexistent/dir/out.json"], "cannot write"),
])
def test_bad_input(args, needle):
    # every command's bad input, one line each: tests/e2e/test_bad_input.py
    r = subprocess.run([IPCSCOPE] + args, capture_output=True, text=True, timeout=30)
    assert r.returncode in (64, 73), (r.returncode, r.stderr)
    assert needle in r.stderr
    assert len(r.stderr.splitlines()) == 1 and r.stderr.startswith("ipcscope: ")


def ipcs_sem_detail(ns, semid):
    """`ipcs -s -i ID` rows: [(value, ncnt, zcnt, pid)] by semnum."""
    r = ns.run(["ipcs", "-s", "-i", str(semid)], check=True)
    rows, table = [], False
    for line in r.stdout.splitlines():
        f = line.split()
        if f[:2] == ["semnum", "value"]:
            table = True
        elif table and len(f) == 5 and f[0].isdigit():
            rows.append(tuple(int(x) for x in f[1:]))
    return rows


def sem_rows(o):
    return [(s["value"], s["ncnt"], s["zcnt"], s["pid"]) for s in o["sems"]]


def test_sem_detail_matches_ipcs_i(ipcns):
    """Listings leave out the per-semaphore last pid (one semctl each, as
    ipcs and lsipc do); --sem-pids and -i ID add it, as `ipcs -s -i ID` shows.
    -w leaves a child blocked on semaphore 0 of the first array (ncnt 1)."""
    objs = Objects(ipcns, "-s", "40", "-w")
    try:
        listing = snapshot(ipcns, "-s")
        assert all("pid" not in s for o in listing["sem"] for s in o["sems"])
        full = snapshot(ipcns, "-s", "--sem-pids")
        assert sorted(o["id"] for o in full["sem"]) == sorted(objs.info["sem"])
        blocked = 0
        for o in full["sem"]:
            ref = ipcs_sem_detail(ipcns, o["id"])
            assert len(ref) == o["nsems"]
            assert sem_rows(o) == ref
            blocked += sum(r[1] for r in ref)
            # the listing has the same values and waiters, without pids
            (lo,) = [x for x in listing["sem"] if x["id"] == o["id"]]
            assert [(s["value"], s["ncnt"], s["zcnt"]) for s in lo["sems"]] == \
                [r[:3] for r in ref]
        assert blocked == 1
        for semid in objs.info["sem"][:5]:
            one = snapshot(ipcns, "-s", "-i", str(semid))
            assert [o["id"] for o in one["sem"]] == [semid]
            assert "shm" not in one and "msg" not in one
            assert sem_rows(one["sem"][0]) == ipcs_sem_detail(ipcns, semid)
        r = ipcns.run([IPCSCOPE, "snapshot", "-s", "-i", str(objs.info["sem"][0])])
        assert r.returncode == 0 and "lastpid=" in r.stdout
        r = ipcns.run([IPCSCOPE, "snapshot", "-s"])
        assert r.returncode == 0 and "value=" in r.stdout and "lastpid=" not in r.stdout
    finally:
        objs.close()


def test_attached_pids_stay_in_their_namespace(ipcns):
    """Segment ids restart at 0 in every IPC namespace: a process attached to
    shmid N elsewhere must not be listed as attached to shmid N here."""
    from conftest import IpcNamespace

    other = IpcNamespace()
    here = theirs = None
    try:
        here = Objects(ipcns, "-m", "2", "-a")
        theirs = Objects(other, "-m", "2", "-a")
        shared = set(here.info["shm"]) & set(theirs.info["shm"])
        assert shared, "fresh namespaces should hand out the same first shmid"
        for ns, objs in ((ipcns, here), (other, theirs)):
            snap = snapshot(ns, "-m")
            for o in snap["shm"]:
                if o["nattch"]:
                    assert o["attached"] == [objs.info["pid"]]
                else:
                    assert o["attached"] == []
    finally:
        for o in (here, theirs):
            if o:
                o.close()
        other.close()
