"""`make image`: the OCI image built from scratch around the static binary.

The archive is unpacked with umoci as a container runtime would, its one
layer must hold exactly scripts/image/files.list, and the binary runs from
the unpacked root through chroot, inside a private mount namespace (nothing
is mounted on the host) with /proc, /sys, tracefs and bpffs bound in, in a
staged private IPC namespace: `snapshot --json` and `metrics --once` report
exactly the objects staged there, owner names from the image's passwd stub.
Without /proc it must fail with one line, not report namespace 0.
"""
import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import tarfile

import pytest

from conftest import BUILD, ROOT, needs_root, workload

UMOCI = shutil.which("umoci")
pytestmark = [
    needs_root,
    pytest.mark.skipif(not UMOCI, reason="umoci not installed (scripts/deps.d/static.list)"),
    pytest.mark.skipif(bool(os.environ.get("SANITIZE")),
                       reason="a sanitizer build cannot be linked statically"),
]

IMAGE = os.path.join(BUILD, "ipcscope.oci.tar")
LISTED = [l for l in open(os.path.join(ROOT, "scripts", "image", "files.list")).read().splitlines()
          if l and not l.startswith("#")]

# Run inside `unshare --mount --propagation private`: mounts stay in there.
CHROOT = r"""
set -e
r=$1; shift
mkdir -p "$r/proc" "$r/sys"
if [ "$IPCSCOPE_WITH_PROC" = 1 ]; then mount --bind /proc "$r/proc"; fi
mount --rbind /sys "$r/sys"
# tracefs and bpffs: the host's if it has them mounted, else fresh instances
mountpoint -q "$r/sys/kernel/tracing" || mount -t tracefs tracefs "$r/sys/kernel/tracing"
mountpoint -q "$r/sys/fs/bpf" || mount -t bpf bpf "$r/sys/fs/bpf"
exec chroot "$r" /usr/sbin/ipcscope "$@"
"""


def blob(layout, digest):
    return os.path.join(layout, "blobs", *digest.split(":"))


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    r = subprocess.run(["make", "--no-print-directory", "-C", ROOT, f"BUILD={BUILD}", "image"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    d = tmp_path_factory.mktemp("image")
    layout = d / "oci"
    layout.mkdir()
    with tarfile.open(IMAGE) as t:
        t.extractall(layout)
    r = subprocess.run([UMOCI, "unpack", "--image", f"{layout}:ipcscope", str(d / "bundle")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    index = json.load(open(layout / "index.json"))
    assert len(index["manifests"]) == 1
    manifest = json.load(open(blob(layout, index["manifests"][0]["digest"])))
    config = json.load(open(blob(layout, manifest["config"]["digest"])))
    return {"layout": str(layout), "rootfs": str(d / "bundle" / "rootfs"),
            "index": index, "manifest": manifest, "config": config}


def test_layer_holds_exactly_the_listed_files(image):
    layers = image["manifest"]["layers"]
    assert len(layers) == 1, layers
    names = {}
    with gzip.open(blob(image["layout"], layers[0]["digest"])) as z, \
            tarfile.open(fileobj=z) as t:
        for m in t.getmembers():
            name = m.name.removeprefix("./").rstrip("/")
            if name not in ("", "."):           # the root itself
                names[name + ("/" if m.isdir() else "")] = m
    assert sorted(names) == sorted(LISTED)
    exe = names["usr/sbin/ipcscope"]
    assert exe.mode & 0o777 == 0o755 and exe.uid == 0 and exe.gid == 0
    # the unpacked root is the same, and its binary is the static build
    found = sorted(os.path.relpath(os.path.join(dp, n), image["rootfs"]) + ("/" if n in dns else "")
                   for dp, dns, fns in os.walk(image["rootfs"]) for n in dns + fns)
    assert found == sorted(LISTED)
    digest = lambda p: hashlib.sha256(open(p, "rb").read()).hexdigest()
    assert digest(os.path.join(image["rootfs"], "usr/sbin/ipcscope")) == \
        digest(os.path.join(BUILD, "ipcscope-static"))


def test_config_entrypoint_and_labels(image):
    cfg = image["config"]["config"]
    assert cfg["Entrypoint"] == ["/usr/sbin/ipcscope"]
    r = subprocess.run([os.path.join(BUILD, "ipcscope-static"), "--version"],
                       capture_output=True, text=True, check=True)
    version = r.stdout.split()[1]
    for labels in (cfg["Labels"], image["manifest"]["annotations"]):
        assert labels["org.opencontainers.image.version"] == version
        assert labels["org.opencontainers.image.source"]
    assert image["index"]["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"] \
        == "ipcscope"
    assert image["config"]["os"] == "linux" and image["config"]["architecture"] == "amd64"


def chroot_run(ipcns, image, args, with_proc=True, timeout=120):
    env = dict(os.environ, IPCSCOPE_WITH_PROC="1" if with_proc else "0")
    return ipcns.run(["unshare", "--mount", "--propagation", "private", "--",
                      "sh", "-c", CHROOT, "sh", image["rootfs"]] + list(args),
                     env=env, timeout=timeout)


@pytest.fixture
def staged(ipcns):
    """Root's 2 segments, 1 semaphore set, 1 queue, and one segment of uid 1
    (a host user the image's passwd stub does not know)."""
    procs = []
    ids = {}
    for extra in ([], ["-m", "1", "-s", "0", "-q", "0", "-k", "0x7171", "-u", "1"]):
        argv = [workload("mkobjs")] + (extra or ["-m", "2", "-s", "1", "-q", "1"])
        p = ipcns.popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        procs.append(p)
        ids["uid1" if extra else "root"] = json.loads(p.stdout.readline())
    yield ids
    for p in procs:
        p.stdin.close()
        p.wait(timeout=10)


def test_snapshot_and_metrics_from_the_image(ipcns, image, staged):
    r = chroot_run(ipcns, image, ["snapshot", "--json"])
    assert r.returncode == 0, r.stderr
    snap = json.loads(r.stdout)
    assert snap["namespaces"][0]["ipcns"] == ipcns.inode
    shm = {o["id"]: o for o in snap["shm"]}
    assert sorted(shm) == sorted(staged["root"]["shm"] + staged["uid1"]["shm"])
    assert [o["id"] for o in snap["sem"]] == staged["root"]["sem"]
    assert [o["id"] for o in snap["msg"]] == staged["root"]["msg"]
    assert all(o["ipcns"] == ipcns.inode for k in ("shm", "sem", "msg") for o in snap[k])
    # names from the image's /etc/passwd: root is there, uid 1 is not
    for i in staged["root"]["shm"]:
        assert shm[i]["user"] == "root" and shm[i]["group"] == "root", shm[i]
    odd = shm[staged["uid1"]["shm"][0]]
    assert odd["uid"] == 1 and odd.get("user") in (None, "1"), odd

    r = chroot_run(ipcns, image, ["metrics", "--once"])
    assert r.returncode == 0, r.stderr
    ns = ipcns.inode
    for kind, n in (("shm", 3), ("sem", 1), ("msg", 1)):
        assert f'ipcscope_objects{{kind="{kind}",ipcns="{ns}"}} {n}\n' in r.stdout, r.stdout
    assert not re.search(r'ipcns="0"', r.stdout)


def test_tracing_from_the_image(ipcns, image, staged):
    """BTF, tracefs and bpffs reached through the bound /sys: tracing attaches."""
    r = chroot_run(ipcns, image, ["metrics", "--once", "-d", "0.5"])
    assert r.returncode == 0, r.stderr
    assert "ipcscope_tracing 1\n" in r.stdout, r.stderr


def test_without_proc_fails_in_one_line(ipcns, image, staged):
    for args in (["snapshot", "--json"], ["metrics", "--once"]):
        r = chroot_run(ipcns, image, args, with_proc=False)
        assert r.returncode != 0, r.stdout
        assert r.stdout == "" and '"ipcns":0' not in r.stdout
        lines = r.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("ipcscope: "), r.stderr
