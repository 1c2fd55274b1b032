#!/bin/sh
# make image: an OCI image from scratch around build/ipcscope-static, built
# offline with umoci (no base image, no registry), written as an OCI archive
# (a tar of an OCI image layout) that skopeo, podman and containerd load.
#
#   scripts/image/build.sh BINARY VERSION SOURCE OUT.oci.tar
#
# The layer holds exactly scripts/image/files.list.  The entrypoint is
# /usr/sbin/ipcscope (default argument --help); labels and manifest
# annotations carry org.opencontainers.image.version (VERSION, `git
# describe`), .source (SOURCE) and .revision (the commit).  File times,
# owners and the archive's order are fixed, so the same inputs give the same
# layer.
set -eu
[ $# = 4 ] || { echo "usage: $0 BINARY VERSION SOURCE OUT.oci.tar" >&2; exit 64; }
bin=$1 version=$2 source=$3 out=$4
here=$(cd "$(dirname "$0")" && pwd)
command -v umoci >/dev/null ||
	{ echo "ipcscope: umoci missing: run 'make deps' (scripts/deps.d/static.list)" >&2; exit 69; }
[ -x "$bin" ] || { echo "ipcscope: $bin not built: run 'make static'" >&2; exit 66; }

revision=$(git -C "$here" rev-parse HEAD 2>/dev/null || echo unknown)
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$here" log -1 --format=%ct 2>/dev/null || echo 0)}
created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)
work=$(mktemp -d "$(dirname "$out")/.image.XXXXXX")
trap 'rm -rf "$work"' EXIT
layout=$work/oci
img=$layout:ipcscope
rootless=
[ "$(id -u)" = 0 ] || rootless=--rootless

umoci init --layout "$layout"
umoci new --image "$img"
umoci unpack $rootless --image "$img" "$work/bundle"
r=$work/bundle/rootfs
install -d -m 0755 "$r/etc" "$r/usr" "$r/usr/sbin"
install -m 0755 "$bin" "$r/usr/sbin/ipcscope"
install -m 0644 "$here/passwd" "$r/etc/passwd"
install -m 0644 "$here/group" "$r/etc/group"
find "$r" -exec touch -h -d "@$epoch" {} +
umoci repack --image "$img" --history.created "$created" \
	--history.created_by "scripts/image/build.sh (make image)" \
	--history.comment "ipcscope $version, statically linked" "$work/bundle"
umoci config --image "$img" --created "$created" --author "ipcscope make image" \
	--os linux --architecture amd64 --config.user 0:0 --config.workingdir / \
	--clear config.env --config.env PATH=/usr/sbin:/usr/bin \
	--clear config.entrypoint --config.entrypoint /usr/sbin/ipcscope \
	--clear config.cmd --config.cmd=--help \
	--config.exposedports 9857/tcp \
	--config.label "org.opencontainers.image.title=ipcscope" \
	--config.label "org.opencontainers.image.version=$version" \
	--config.label "org.opencontainers.image.source=$source" \
	--config.label "org.opencontainers.image.revision=$revision" \
	--manifest.annotation "org.opencontainers.image.title=ipcscope" \
	--manifest.annotation "org.opencontainers.image.version=$version" \
	--manifest.annotation "org.opencontainers.image.source=$source" \
	--manifest.annotation "org.opencontainers.image.revision=$revision" \
	--history.created "$created" --history.created_by "scripts/image/build.sh (make image)"
umoci gc --layout "$layout"
tar -C "$layout" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" \
	-cf "$work/out.tar" .
mv "$work/out.tar" "$out"
echo "image: $out (ipcscope $version, $(du -k "$out" | cut -f1) KiB); load it with" \
	"'podman load -i $out' or 'skopeo copy oci-archive:$out docker://REGISTRY/ipcscope:$version'"
