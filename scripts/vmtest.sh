#!/bin/bash
# Run the end-to-end suite on a second kernel: Debian's (scripts/vmtest.conf),
# booted under QEMU with software emulation (no KVM needed), where kprobes,
# fentry and LSM programs are allowed.  Exits with pytest's status.
#
#   scripts/vmtest.sh             boot, run tests/e2e in the guest
#   scripts/vmtest.sh --update    pin the kernel package apt currently offers
#   scripts/vmtest.sh --shell     boot to an interactive shell instead
#
# The guest is a busybox initramfs that loads the 9p/virtio/overlay modules
# from the kernel package, mounts the host's /usr and /etc read-only over
# virtio-9p, the repository with a tmpfs overlay (writes stay in the guest),
# then chroots and runs the same build/ipcscope and pytest as the host.
# The uncompressed kernel is booted directly through its PVH entry point:
# decompressing a bzImage under emulation costs seconds per boot.
#
# Environment: BUILD (build dir, default ./build), VMTEST_CACHE (default
# /var/cache/ipcscope-vmtest), VMTEST_TIMEOUT (seconds, default 1800),
# VMTEST_SMP (2), VMTEST_MEM (1536M), PYTEST_ARGS (extra pytest arguments),
# VMTEST_TESTS (default tests/e2e), VMTEST_APPEND (extra kernel arguments),
# VMTEST_BIN (the binary the suite runs, default BUILD/ipcscope-static: the
# static build is the one shipped to other kernels, and one guest run of the
# suite keeps CI within its time; BUILD/ipcscope tests the dynamic one),
# VMTEST_STALL (seconds one test may run before the guest's watchdog calls
# it hung, default 420).
# The guest runs with mitigations=off: page-table isolation and the other
# speculation mitigations make every syscall far slower under emulation
# (pytest's import, measured once: 6.3 s with them, 3.2 s without), and with
# tsc=reliable: the kernel otherwise finds the emulated TSCs unsynchronised
# and falls back to the HPET, so that every clock read (the vDSO's, and
# bpf_ktime_get_ns in every traced call) is an emulated device access
# (`snapshot --json` 1.7 s -> 0.2 s, 40000 semop calls 1.3 s -> 0.5 s).
# TCG runs both vCPUs on one host thread (VMTEST_TCG_THREAD=single; "multi"
# gives each its own): with a thread per vCPU the guest locked up while
# ipcscope attached a tracepoint, text_poke_bp waiting for the sync-core IPI
# of a CPU that sat at a jump-label site in __schedule with interrupts off
# (cross-modifying code under multi-threaded TCG).  One thread was also faster
# here: the suite in 570 s against 606-727 s.
# Exit status: pytest's; 69 when QEMU or the kernel is unavailable; 70 when
# the guest hangs twice (a test past VMTEST_STALL, no heartbeat, a soft
# lockup, or VMTEST_TIMEOUT) or ends without a result.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
conf=$here/vmtest.conf
cache=${VMTEST_CACHE:-/var/cache/ipcscope-vmtest}
build=$(cd "$repo" && mkdir -p "${BUILD:-build}" && cd "${BUILD:-build}" && pwd)
timeout_s=${VMTEST_TIMEOUT:-1800}
stall_s=${VMTEST_STALL:-420}
stall_marker=IPCSCOPE_VMTEST_STALLED
smp=${VMTEST_SMP:-2}
mem=${VMTEST_MEM:-1536M}
tests=${VMTEST_TESTS:-tests/e2e}
bin=${VMTEST_BIN:-$build/ipcscope-static}
marker=IPCSCOPE_VMTEST_RESULT

die() { echo "ipcscope: vmtest: $1" >&2; exit "${2:-69}"; }

# shellcheck source=scripts/vmtest.conf
. "$conf"

update_pin() {
	local pkg ver
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9].*\)/\1/p' | head -1)
	[ -n "$pkg" ] || die "apt knows no linux-image-amd64: run 'apt-get update' first"
	ver=$(apt-cache policy "$pkg" | sed -n 's/^ *Candidate: //p')
	if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then die "no candidate version of $pkg"; fi
	sed -i -e "s/^VMTEST_KPKG=.*/VMTEST_KPKG=$pkg/" -e "s/^VMTEST_KVER=.*/VMTEST_KVER=$ver/" "$conf"
	echo "vmtest: kernel pinned to $pkg $ver (was $VMTEST_KPKG $VMTEST_KVER)"
}

# Uncompressed ELF kernel from a bzImage: find the compressed payload.
extract_vmlinux() {
	python3 - "$1" "$2" <<'EOF'
import gzip, lzma, subprocess, sys
img = open(sys.argv[1], 'rb').read()
def unzstd(b):
    return subprocess.run(['zstd', '-dcq'], input=b, capture_output=True).stdout
for magic, dec in ((b'\xfd7zXZ\x00', lambda b: lzma.LZMADecompressor().decompress(b)),
                   (b'\x28\xb5\x2f\xfd', unzstd),
                   (b'\x1f\x8b\x08', lambda b: gzip.GzipFile(fileobj=__import__('io').BytesIO(b)).read())):
    off = img.find(magic)
    while off >= 0:
        try:
            out = dec(img[off:])
        except Exception:
            out = b''
        if out[:4] == b'\x7fELF':
            open(sys.argv[2], 'wb').write(out)
            sys.exit(0)
        off = img.find(magic, off + 1)
sys.exit(1)
EOF
}

# Modules to load, dependencies first (read from each .ko's modinfo).
mod_order() {
	local kdir=$1; shift
	local seen=" " out=""
	visit() {
		local m=$1 f deps d
		case "$seen" in *" $m "*) return ;; esac
		seen="$seen$m "
		f=$(find "$kdir" -name "$m.ko*" -o -name "$(echo "$m" | tr _ -).ko*" | head -1)
		[ -n "$f" ] || die "module $m not in the kernel package"
		deps=$(decompress_ko "$f" | strings | sed -n 's/^depends=//p' | tr , ' ')
		for d in $deps; do visit "$d"; done
		out="$out $m:$f"
	}
	for m in "$@"; do visit "$m"; done
	echo "$out"
}

decompress_ko() {
	case "$1" in
	*.xz) xz -dc "$1" ;;
	*.zst) zstd -dcq "$1" ;;
	*.gz) gzip -dc "$1" ;;
	*) cat "$1" ;;
	esac
}

# Debian's security archive keeps only the newest kernel of a release: when
# the pinned one is gone, boot the one linux-image-amd64 depends on now
# (said loudly; `--update` pins it) rather than fail a fresh machine's CI.
fallback_kernel() {
	local pkg ver
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9].*\)/\1/p' | head -1)
	[ -n "$pkg" ] || return 1
	ver=$(apt-cache policy "$pkg" | sed -n 's/^ *Candidate: //p')
	{ [ -n "$ver" ] && [ "$ver" != "(none)" ]; } || return 1
	echo "vmtest: WARNING: apt no longer offers $VMTEST_KPKG=$VMTEST_KVER; booting $pkg $ver instead (pin it with scripts/vmtest.sh --update)" >&2
	VMTEST_KPKG=$pkg VMTEST_KVER=$ver
	kdir=$cache/${VMTEST_KPKG}_$VMTEST_KVER
	[ -e "$kdir/.done" ] && return 0
	rm -rf "$kdir" && mkdir -p "$kdir/pkg" "$kdir/modules"
	[ -e "$cache/${pkg}_${ver//:/%3a}_amd64.deb" ] ||
		(cd "$cache" && apt-get download -q "$VMTEST_KPKG=$VMTEST_KVER" >/dev/null 2>&1)
}

# Download and unpack the pinned kernel once; $kdir/vmlinux and modules/.
prepare_kernel() {
	kdir=$cache/${VMTEST_KPKG}_$VMTEST_KVER
	[ -e "$kdir/.done" ] && return
	mkdir -p "$cache" || die "cannot create $cache: run as root or set VMTEST_CACHE"
	exec 9>"$cache/.lock"
	flock 9
	[ -e "$kdir/.done" ] && return
	rm -rf "$kdir" && mkdir -p "$kdir/pkg" "$kdir/modules"
	local deb=$cache/${VMTEST_KPKG}_${VMTEST_KVER//:/%3a}_amd64.deb
	if [ ! -e "$deb" ]; then
		echo "vmtest: downloading $VMTEST_KPKG $VMTEST_KVER" >&2
		# A new machine may have no package lists yet: update once as root.
		(cd "$cache" && apt-get download -q "$VMTEST_KPKG=$VMTEST_KVER" >/dev/null 2>&1) ||
		{ [ "$(id -u)" = 0 ] && apt-get update -qq >&2 &&
		  (cd "$cache" && apt-get download -q "$VMTEST_KPKG=$VMTEST_KVER" >/dev/null 2>&1); } ||
		fallback_kernel ||
			die "cannot download $VMTEST_KPKG=$VMTEST_KVER: run 'apt-get update', or 'scripts/vmtest.sh --update' if apt no longer offers it"
		[ -e "$kdir/.done" ] && return
		deb=$cache/${VMTEST_KPKG}_${VMTEST_KVER//:/%3a}_amd64.deb
		[ -e "$deb" ] || die "apt-get download did not leave $deb"
	fi
	dpkg-deb -x "$deb" "$kdir/pkg"
	local img
	img=$(find "$kdir/pkg/boot" -name 'vmlinuz-*' | head -1)
	cp "$img" "$kdir/bzImage"
	cp "$kdir"/pkg/boot/config-* "$kdir/config"
	if extract_vmlinux "$img" "$kdir/vmlinux.tmp" &&
	   readelf -n "$kdir/vmlinux.tmp" 2>/dev/null | grep -q 'Unknown note type: (0x00000012)'; then
		mv "$kdir/vmlinux.tmp" "$kdir/vmlinux"       # has a PVH entry point
	else
		rm -f "$kdir/vmlinux.tmp"
		echo "vmtest: no PVH-bootable ELF in $img; booting the bzImage (slower)" >&2
	fi
	local kmods entry m f
	kmods=$(ls -d "$kdir"/pkg/lib/modules/*/kernel)
	for entry in $(mod_order "$kmods" 9pnet_virtio 9p virtio_pci overlay); do
		m=${entry%%:*} f=${entry#*:}
		decompress_ko "$f" >"$kdir/modules/$m.ko"
		echo "$m" >>"$kdir/modules/order"
	done
	rm -rf "$kdir/pkg"
	touch "$kdir/.done"
	flock -u 9
}

# The guest's /init: mounts, the chroot, the result marker.
write_init() {
	cat <<EOF
#!/bin/sh
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "vmtest: init at \$(cut -d' ' -f1 /proc/uptime)s"
finish() { echo "$marker=\$1"; sync; reboot -f; }
for m in \$(cat /modules/order); do
	insmod /modules/\$m.ko || { echo "vmtest: insmod \$m failed"; finish 70; }
done
r=/newroot
mount -t tmpfs -o mode=0755 root \$r
for d in bin sbin lib lib32 lib64 libx32; do
	t=\$(cat /links/\$d 2>/dev/null) && ln -s "\$t" \$r/\$d
done
mkdir -p \$r/proc \$r/sys \$r/dev \$r/tmp \$r/run \$r/root \$r/var/tmp
mount -t proc proc \$r/proc
mount -t sysfs sysfs \$r/sys
mount -t devtmpfs devtmpfs \$r/dev
mkdir -p \$r/dev/shm \$r/dev/pts
mount -t tmpfs tmpfs \$r/dev/shm
mount -t devpts devpts \$r/dev/pts
mount -t tmpfs tmpfs \$r/tmp
mount -t tmpfs tmpfs \$r/run
mount -t tracefs tracefs \$r/sys/kernel/tracing
mount -t debugfs debugfs \$r/sys/kernel/debug
mount -t bpf bpf \$r/sys/fs/bpf
mount -t cgroup2 cgroup2 \$r/sys/fs/cgroup
# after /tmp and /run: the repository may live below them
opts=trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000
n=0
while read -r tag path ovl; do
	mkdir -p \$r\$path
	if [ "\$ovl" = ovl ]; then
		mkdir -p /ovl/\$n/lower /ovl/\$n/rw
		mount -t 9p -o \$opts \$tag /ovl/\$n/lower || finish 70
		mount -t tmpfs tmpfs /ovl/\$n/rw
		mkdir /ovl/\$n/rw/upper /ovl/\$n/rw/work
		mount -t overlay -o lowerdir=/ovl/\$n/lower,upperdir=/ovl/\$n/rw/upper,workdir=/ovl/\$n/rw/work \
			overlay \$r\$path || finish 70
	else
		mount -t 9p -o \$opts \$tag \$r\$path || finish 70
	fi
	n=\$((n + 1))
done </shares
echo 1 >/proc/sys/kernel/panic_on_oops
hostname vmtest
ip link set lo up        # tests serve HTTP on 127.0.0.1; no other network
echo "vmtest: guest ready at \$(cut -d' ' -f1 /proc/uptime)s, kernel \$(uname -r)"
if [ -e /shell ]; then
	setsid cttyhack chroot \$r /bin/bash -l
	finish 0
fi
cp /suite \$r/run/vmtest-suite
# The guest's watchdog.  Every 10 s a heartbeat line (memory, load) on the
# second serial port, which the host watches: silence there means every CPU
# is stuck.  A test that runs VMTEST_STALL seconds (scripts/vmtest_plugin.py
# says which runs) has hung: print its Python stacks, every process's state
# and kernel stack and each CPU's backtrace, and end the boot with the
# stall marker, long before the host's timeout.
monitor() {
	t=0 since=0 last=
	while sleep 10; do
		t=\$((t + 10))
		mem="\$(awk '/^MemAvailable:/ { a = \$2 } /^Shmem:/ { s = \$2 } END { printf "MemAvailable %d MB, Shmem %d MB", a / 1024, s / 1024 }' /proc/meminfo), load \$(cut -d' ' -f1-3 /proc/loadavg)"
		echo "vmtest: at \$(cut -d' ' -f1 /proc/uptime)s: \$mem" >/dev/ttyS1
		cur=\$(cat \$r/run/vmtest-progress 2>/dev/null)
		[ "\$cur" = "\$last" ] || { last=\$cur; since=\$t; }
		[ \$((t - since)) -ge $stall_s ] || continue
		set -- \$cur
		echo
		echo "vmtest: WATCHDOG: \${3:-the suite} still running after \$((t - since))s; \$mem"
		if [ -n "\${2:-}" ] && kill -USR1 "\$2" 2>/dev/null; then
			sleep 2
			echo "vmtest: its Python stacks:"
			grep -v '_pytest/\\|pluggy/\\|pytest/__main__\\|<frozen runpy>' \$r/run/vmtest-pystacks |
				sed 's/^/vmtest:   /'
		fi
		echo "vmtest: processes, and kernel threads running or blocked:"
		for d in /proc/[0-9]*; do
			st=\$(sed 's/^.*) //' \$d/stat 2>/dev/null | cut -d' ' -f1)
			cmd=\$(tr '\\000' ' ' <\$d/cmdline 2>/dev/null | cut -c1-160)
			case "\$st" in ""|I) continue ;; R|D) ;; *) [ -n "\$cmd" ] || continue ;; esac
			echo "vmtest: task \${d#/proc/} \$(cat \$d/comm 2>/dev/null) state \$st: \$cmd"
			sed 's/^/vmtest:     /' \$d/stack 2>/dev/null
		done
		echo l >/proc/sysrq-trigger      # what every CPU is running
		sleep 3
		echo "$stall_marker"
		sync
		reboot -f
	done
}
monitor &
chroot \$r /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/usr/sbin:/bin:/sbin \
	HOME=/root TERM=dumb LANG=C.UTF-8 PYTHONDONTWRITEBYTECODE=1 \
	IPCSCOPE_BUILD=$build IPCSCOPE_BIN=$bin IPCSCOPE_VMTEST=1 \
	ASAN_OPTIONS=${ASAN_OPTIONS:-} UBSAN_OPTIONS=${UBSAN_OPTIONS:-} \
	/bin/sh /run/vmtest-suite </dev/null
rc=\$?
echo "vmtest: suite done at \$(cut -d' ' -f1 /proc/uptime)s"
finish \$rc
EOF
}

build_initramfs() {
	local dir=$1 out=$2 d
	mkdir -p "$dir"/{bin,proc,sys,dev,newroot,modules,links,ovl}
	cp /bin/busybox "$dir/bin/busybox"
	for a in sh mount insmod cat cut echo mkdir ln chroot reboot sync setsid cttyhack hostname uname ip \
		 sleep awk sed tr kill grep; do
		ln -s busybox "$dir/bin/$a"
	done
	cp "$kdir"/modules/* "$dir/modules/"
	for d in bin sbin lib lib32 lib64 libx32; do
		[ -L "/$d" ] && readlink "/$d" >"$dir/links/$d"
	done
	write_init >"$dir/init"
	chmod 755 "$dir/init"
	printf '%s\n' "${shares[@]}" >"$dir/shares"
	# A script of its own: PYTEST_ARGS keeps its quoting (-k 'a or b').
	# --durations: where the guest's minutes go, in every CI log;
	# vmtest_plugin: which test runs, for the watchdog.
	printf 'cd %q && export PYTHONPATH=%q && exec /usr/bin/python3 -m pytest -p vmtest_plugin --durations=15 %s %s\n' \
		"$repo" "$repo/scripts" "$tests" \
		"${PYTEST_ARGS:-}" >"$dir/suite"
	[ "$mode" = shell ] && touch "$dir/shell"
	(cd "$dir" && find . | cpio -o -H newc --quiet) >"$out"
}

mode="test"
case "${1:-}" in
--update) update_pin; exit 0 ;;
--shell) mode=shell ;;
"") ;;
-h|--help) sed -n '2,/^set -e/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
*) die "unknown option '$1': see 'scripts/vmtest.sh --help'" 64 ;;
esac

command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing: run 'make deps'"
[ -x /bin/busybox ] || die "/bin/busybox missing: run 'make deps' (busybox-static)"
[ -x "$build/ipcscope" ] || die "$build/ipcscope not built: run 'make tests-build'" 66
[ -x "$bin" ] || die "$bin not built: run 'make static' (or set VMTEST_BIN)" 66
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
prepare_kernel

# Host directories the guest sees: tag, path, and whether writes go to an overlay.
shares=("usr /usr" "etc /etc" "repo $repo ovl")
case "$build/" in "$repo"/*) ;; *) shares+=("build $build ovl") ;; esac
for d in bin sbin lib lib32 lib64 libx32; do
	[ -d "/$d" ] && [ ! -L "/$d" ] && shares+=("$d /$d")
done

out=$build/vmtest
mkdir -p "$out"
rm -rf "$out/initramfs" "$out/console.hang.log"
build_initramfs "$out/initramfs" "$out/initramfs.cpio"
log=$out/console.log

qemu=(qemu-system-x86_64 -accel "tcg,thread=${VMTEST_TCG_THREAD:-single}" -machine pc -cpu max -smp "$smp" -m "$mem"
      -nodefaults -no-user-config -display none -no-reboot
      -initrd "$out/initramfs.cpio"
      -append "console=ttyS0 loglevel=5 panic=-1 softlockup_panic=1 unknown_nmi_panic panic_print=0x40 rdinit=/init mitigations=off tsc=reliable ${VMTEST_APPEND:-}")
if [ -e "$kdir/vmlinux" ]; then
	qemu+=(-kernel "$kdir/vmlinux")
else
	qemu+=(-kernel "$kdir/bzImage")
fi
for s in "${shares[@]}"; do
	# shellcheck disable=SC2086  # "tag path [ovl]"
	set -- $s
	qemu+=(-fsdev "local,id=fs_$1,path=$2,security_model=none,readonly=on,multidevs=remap"
	       -device "virtio-9p-pci,fsdev=fs_$1,mount_tag=$1")
done

if [ "$mode" = shell ]; then
	exec "${qemu[@]}" -serial mon:stdio
fi

# The host's side of the watchdog.  A guest that misses its heartbeats for
# two minutes (every CPU stuck), or runs past VMTEST_TIMEOUT, gets an NMI
# through QEMU's monitor: with unknown_nmi_panic it panics from it and prints
# what each CPU was running, even with interrupts off.
watch_guest() {
	local t=0 age why=""
	while [ -e "$out/running" ]; do
		sleep 5
		t=$((t + 5))
		if [ "$t" -ge "$timeout_s" ]; then
			why="did not finish within ${timeout_s}s"
		elif [ -s "$out/heartbeat.log" ]; then
			age=$(( $(date +%s) - $(stat -c %Y "$out/heartbeat.log") ))
			[ "$age" -lt 120 ] || why="stopped responding (no heartbeat for ${age}s)"
		fi
		[ -z "$why" ] || break
	done
	[ -e "$out/running" ] || return 0
	echo "ipcscope: vmtest: the guest $why: sending it an NMI for its CPUs' stacks" >&2
	echo "$why" >"$out/nmi-sent"
	python3 - "$out/monitor.sock" <<'EOF' || true
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"nmi\n")
time.sleep(1)
EOF
	sleep 20
	[ -e "$out/running" ] && pkill -KILL -F "$out/qemu.pid" 2>/dev/null
	return 0
}

# One boot of the guest: sets qrc, secs, result (empty: no result line) and
# hang (why the guest was stopped, if it hung).
boot() {
	echo "vmtest: booting $VMTEST_KPKG $VMTEST_KVER under QEMU/TCG ($smp CPUs), timeout ${timeout_s}s, testing $bin; console: $log"
	start=$(date +%s)
	rm -f "$out/nmi-sent" "$out/heartbeat.log" "$out/qemu.pid"
	touch "$out/running"
	watch_guest &
	set +e
	timeout -k 10 $((timeout_s + 30)) "${qemu[@]}" -pidfile "$out/qemu.pid" \
		-chardev stdio,id=con,signal=off -serial chardev:con \
		-chardev "file,id=hb,path=$out/heartbeat.log" -serial chardev:hb \
		-monitor "unix:$out/monitor.sock,server=on,wait=off" </dev/null 2>&1 | tee "$log"
	qrc=${PIPESTATUS[0]}
	set -e
	rm -f "$out/running"
	wait
	secs=$(( $(date +%s) - start ))
	result=$(tr -d '\r' <"$log" | sed -n "s/^$marker=\([0-9]*\)$/\1/p" | tail -1)
	hang=""
	if [ -n "$result" ]; then
		return
	elif grep -q "^$stall_marker" "$log"; then
		hang="a test ran ${stall_s}s: $(tr -d '\r' <"$log" | sed -n 's/^vmtest: WATCHDOG: \(.*\) still running.*/\1/p' | tail -1)"
	elif [ -e "$out/nmi-sent" ]; then
		hang=$(cat "$out/nmi-sent")
	elif grep -q "soft lockup" "$log"; then
		hang="its kernel locked up (soft lockup)"
	elif [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
		hang="did not finish within ${timeout_s}s"
	fi
}

boot
# Seen in about one CI run in four under multi-threaded TCG: the guest
# stopped in the middle of a test (soft lockups while the kernel rewrote its
# text, once silence).  The watchdogs end such a boot within minutes with the
# stacks in its log; keep that log, say so loudly, and boot once more: a
# second hang fails the run.
if [ -n "$hang" ]; then
	first=$hang
	mv "$log" "$out/console.hang.log"
	echo "ipcscope: vmtest: WARNING: the guest hung ($first); its log, with the stacks, is kept in $out/console.hang.log: running the suite once more" >&2
	boot
	stacks=$(tr -d '\r' <"$out/console.hang.log" |
		sed -n '/vmtest: WATCHDOG\|NMI received\|soft lockup\|rcu_.* detected stalls/,$p' | head -120)
	echo "ipcscope: vmtest: WARNING: the first boot hung ($first); from its log:" >&2
	echo "${stacks:-(nothing: the guest printed no stacks)}" >&2
fi
if [ -n "$hang" ]; then
	echo "ipcscope: vmtest: the guest hung ($hang) and was stopped: console log kept in $log, with its stacks (raise VMTEST_TIMEOUT or VMTEST_STALL if it was only slow)" >&2
	exit 70
fi
if [ -z "$result" ]; then
	echo "ipcscope: vmtest: the guest ended without a result (QEMU status $qrc): console log kept in $log" >&2
	exit 70
fi
echo "vmtest: suite exited $result in the guest; ${secs}s in all"
[ "$result" = 0 ] || echo "vmtest: console log kept in $log" >&2
exit "$result"
