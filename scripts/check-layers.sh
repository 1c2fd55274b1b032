#!/bin/sh
# The layers point one way (docs/hacking.md): sources -> event stream ->
# analyses -> views -> commands.  Checked here, from the includes and from
# the symbols of the built objects:
#   - analysis/ includes only analysis/, the event ABI (event.h, events.h),
#     the table types (tables/*.h), stack/frame.h and util/;
#   - tables/ includes nothing from analysis/, view/, record/, source/, stack/;
#   - no global symbol defined in a cmd_*.c is used by another file but main.c.
# Usage: scripts/check-layers.sh [BUILD_DIR]   (exit 1 and a line per breach)
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
bad=0

breach() { echo "check-layers: $1"; bad=1; }

for f in user/analysis/*.[ch]; do
	grep -n '^#include "' "$f" | while IFS= read -r line; do
		inc=$(printf '%s' "$line" | sed 's/.*#include "\([^"]*\)".*/\1/')
		case $inc in
		analysis/*|event.h|events.h|tables/*.h|stack/frame.h|util/*) ;;
		*) echo "check-layers: $f: ${line%%:*}: includes \"$inc\" (an analysis takes events and tables, nothing else)" ;;
		esac
	done
done | grep . && bad=1

for f in user/tables/*.[ch]; do
	grep -n '^#include "\(analysis\|view\|record\|source\|stack\)/' "$f" | while IFS= read -r line; do
		echo "check-layers: $f:${line%%:*}: includes ${line#*#include } (tables read the kernel; they use no layer above)"
	done
done | grep . && bad=1

# Symbols: every global defined in a cmd_*.o, used by an object other than main.o.
if [ -d "$build/obj/user" ]; then
	defs=$(for o in "$build"/obj/user/cmd_*.o; do
		nm -g --defined-only "$o" | awk -v f="$(basename "$o")" '$2 ~ /[TDBR]/ {print $3, f}'
	done)
	for o in $(find "$build/obj/user" -name '*.o' ! -name main.o); do
		nm -u "$o" | awk '{print $2}' | while read -r sym; do
			owner=$(printf '%s\n' "$defs" | awk -v s="$sym" '$1 == s {print $2}')
			[ -n "$owner" ] && [ "$owner" != "$(basename "$o")" ] &&
				echo "check-layers: ${o#"$build"/obj/} uses $sym from $owner (a command is a leaf, not a library)"
		done
	done | sort -u | grep . && bad=1
else
	echo "check-layers: $build/obj/user not built: run make first" >&2
	exit 2
fi
[ $bad = 0 ] && echo "check-layers: ok"
exit $bad
