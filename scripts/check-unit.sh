#!/bin/sh
# Verify scripts/ipcscope-metrics.service with systemd-analyze, as installed
# (ExecStart pointing at a real binary).  Usage: check-unit.sh [BINDIR]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bindir=${1:-$(cd "$here/.." && pwd)/build}
command -v systemd-analyze >/dev/null || { echo "check-unit: systemd-analyze not installed" >&2; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed "s|@BINDIR@|$bindir|g" "$here/ipcscope-metrics.service" > "$tmp/ipcscope-metrics.service"
# Documentation=man:ipcscope(1) is checked too: point man at docs/.
mkdir -p "$tmp/man/man1"
cp "$here/../docs/ipcscope.1" "$tmp/man/man1/ipcscope.1"
export MANPATH="$tmp/man"
# Warnings are errors: verify prints them on stderr and exits 0.
out=$(systemd-analyze verify "$tmp/ipcscope-metrics.service" 2>&1) || { echo "$out" >&2; exit 1; }
if [ -n "$out" ]; then echo "$out" >&2; exit 1; fi
echo "check-unit: $tmp/ipcscope-metrics.service verified"
