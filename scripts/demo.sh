#!/usr/bin/env bash
# `make demo`: run ipcscope's main jobs on a built-in scenario -- workloads
# that leak, deadlock and back up a queue -- inside a private IPC namespace,
# so nothing outside it is seen or touched.
set -euo pipefail
BUILD=${IPCSCOPE_BUILD:-$(cd "$(dirname "$0")/.." && pwd)/build}
if [ "$(id -u)" != 0 ]; then
	echo "ipcscope demo: needs root (IPC namespaces, BPF): run 'sudo make demo'" >&2
	exit 77
fi
if [ -z "${IPCSCOPE_DEMO_NS:-}" ]; then
	# re-run ourselves in a private IPC namespace
	exec env IPCSCOPE_DEMO_NS=1 IPCSCOPE_BUILD="$BUILD" unshare --ipc -- "$0" "$@"
fi

I="$BUILD/ipcscope"
W="$BUILD/tests/workloads"
TMP=$(mktemp -d /tmp/ipcscope-demo.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "$2"; }

step "1. A leaky service: who created what and left it behind" \
     "ipcscope leaks -- sh -c 'leaker fork; leaker threads'"
# the first objects with their stacks, then the groups and the count
"$I" leaks -- sh -c "$W/leaker fork >/dev/null; $W/leaker threads >/dev/null" |
	sed -n '1,18p;/^By creator/,$p'

step "2. A queue whose consumer cannot keep up, and a world-readable segment" \
     "mkobjs -q 1 -f 90; mkobjs -m 1 -M 644"
"$W/mkobjs" -q 1 -f 90 -k 0x51000000 -x >/dev/null
"$W/mkobjs" -m 1 -M 644 -k 0x52000000 -x >/dev/null
echo "(created)"

step "3. The inventory: every object, richer than ipcs -a" "ipcscope snapshot"
"$I" snapshot

step "4. The audit: findings with evidence and the command that fixes them" "ipcscope audit"
"$I" audit || echo "(exit status $?: findings at or above warning)"

step "5. Limits and usage (ipcs -l -u, lsipc --global)" "ipcscope limits"
"$I" limits || true

step "6. A deadlock: two processes take two semaphores in opposite order" \
     "ipcscope blocked -- abba -t 2"
"$I" blocked -- "$W/abba" -t 2 | grep -v '^{' || true

step "7. Latency, aggregated in the kernel, blocked time split out" \
     "ipcscope latency -s -- pingpong -n 20000"
"$I" latency -s -- "$W/pingpong" -n 20000 | grep -v '^{' | sed -n '1,30p'

step "8. A producer outruns its consumer: sends that had to wait for room" \
     "ipcscope latency -q -- msgpc -n 1500"
"$I" latency -q -- "$W/msgpc" -n 1500 | grep -v '^{' | sed -n '/^Message queues/,$p'

step "9. Post-mortem: record once, analyse later, anywhere" \
     "ipcscope record -o demo.rec -- recmix; ipcscope report demo.rec"
"$I" record -o "$TMP/demo.rec" -- "$W/recmix" 200 1500 >/dev/null
"$I" report "$TMP/demo.rec"
"$I" report "$TMP/demo.rec" leaks | sed -n '1,20p' || true
"$I" export "$TMP/demo.rec" --format perfetto -o "$TMP/demo.trace.json"
echo "(perfetto trace: $(wc -c <"$TMP/demo.trace.json") bytes; load it at ui.perfetto.dev)"

step "10. The recorder dies with the box: a killed recording still tells who leaked" \
     "ipcscope record -o night.rec & sh -c 'app direct'; kill -9 \$recorder; mv app away; ipcscope report night.rec leaks"
cp "$W/leaker" "$TMP/app"
"$I" record -o "$TMP/night.rec" --ipcns $$ 2>/dev/null &
rec=$!
sleep 1
sh -c "$TMP/app direct >/dev/null; true"
sleep 2                     # a flush after the creations, then the crash
kill -9 "$rec"
wait "$rec" 2>/dev/null || true
mv "$TMP/app" "$TMP/app.gone"   # the post-mortem machine has no binary
"$I" report "$TMP/night.rec" leaks 2>&1 | sed -n '1,12p'

step "11. A zombie creator: its parent never reaps it, its segment is an orphan" \
     "leaker zombie; ipcscope audit"
exec 3> >("$W/leaker" zombie >"$TMP/zombie.out")
until grep -q zombie "$TMP/zombie.out" 2>/dev/null; do sleep 0.05; done
sleep 0.2
"$I" audit | grep -E 'orphaned-shm|findings' || true
exec 3>&-

step "12. Two processes at full speed: top counts every call in the kernel and loses nothing" \
     "semburst -d 4 & ipcscope top --batch -n 3 -r 3"
{ echo go; sleep 5; } | "$W/semburst" -d 4 >"$TMP/burst.out" &
burst=$!
"$I" top --batch -n 3 -r 3 | tail -n 6
wait "$burst" || true
echo "(semburst's own count: $(tail -n 1 "$TMP/burst.out"))"

printf '\nThe demo ran in its own IPC namespace: everything it created is gone with it.\n'
