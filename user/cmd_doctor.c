// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ipcscope doctor: what this kernel offers ipcscope, checked with real test
 * loads (every program of the streaming object on its own, a task
 * iterator, the kernel-internal extras, a 32-bit exec), what ipcscope will
 * use, and for anything missing why and what it costs.
 */
#include <elf.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "ipcscope.h"
#include "opts.h"
#include "source/attach.h"
#include "source/extras.h"
#include "source/latency_src.h"
#include "source/live.h"

enum status { ST_OK, ST_MISSING, ST_WARN, ST_INFO };

static const char *status_name(enum status s)
{
	switch (s) {
	case ST_OK: return "ok";
	case ST_MISSING: return "missing";
	case ST_WARN: return "warn";
	default: return "info";
	}
}

struct check {
	char name[64];
	enum status st;
	char detail[200];
	const char *cost;        /* what the user loses when it is missing */
};

#define MAX_CHECKS 64

struct report {
	struct check c[MAX_CHECKS];
	int n;
};

static struct check *add(struct report *r, const char *name, enum status st, const char *cost,
			 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static struct check *add(struct report *r, const char *name, enum status st, const char *cost,
			 const char *fmt, ...)
{
	struct check *c;
	va_list ap;

	if (r->n >= MAX_CHECKS)
		return NULL;
	c = &r->c[r->n++];
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->st = st;
	c->cost = st == ST_OK ? NULL : cost;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
	return c;
}

static const char *errstr(int err)
{
	static char buf[64];

	if (err == -524)
		return "ENOTSUPP (not supported by this kernel)";
	snprintf(buf, sizeof(buf), "%s (%s)", errno_name(-err), strerror(-err));
	return buf;
}

/* ------------------------------------------------------------ test loads */

/* A do-nothing iter/task program, loaded and attached for real. */
static int probe_task_iter(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_ITER);
	struct btf *vmlinux = hooks_vmlinux_btf();
	int id, fd, link, err = 0;

	if (!vmlinux)
		return -errno;
	id = btf__find_by_name_kind(vmlinux, "bpf_iter_task", BTF_KIND_FUNC);
	if (id < 0)
		return -ENOENT;
	opts.attach_btf_id = id;
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "ipcs_probe_it", "GPL", insns, 2, &opts);
	if (fd < 0)
		return -errno;
	link = bpf_link_create(fd, 0, BPF_TRACE_ITER, NULL);
	if (link < 0)
		err = -errno;
	else
		close(link);
	close(fd);
	return err;
}

/* A kernel config option from /proc/config.gz or /boot: 'y', 'm', 'n', or 0 unknown. */
static char kconfig(const char *opt)
{
	char path[300], line[256], res = 0;
	struct utsname u;
	size_t len = strlen(opt);
	gzFile f = gzopen("/proc/config.gz", "r");

	if (!f) {
		uname(&u);
		snprintf(path, sizeof(path), "/boot/config-%s", u.release);
		f = gzopen(path, "r");   /* zlib reads plain files too */
	}
	if (!f)
		return 0;
	res = 'n';
	while (gzgets(f, line, sizeof(line))) {
		if (!strncmp(line, opt, len) && line[len] == '=') {
			res = line[len + 1];
			break;
		}
	}
	gzclose(f);
	return res;
}

/* ------------------------------------------------------------- the checks */

static const char *cost_of(const struct prog_row *p)
{
	switch (p->need) {
	case PROG_NEED_SYSCALL:
		return "these calls are not traced";
	case PROG_NEED_PID:
		return "-p and -- CMD cannot follow children; no fork/exit events (leak attribution)";
	case PROG_NEED_PROC:
		return "no exec events";
	case PROG_NEED_OFFCPU:
		return "latency cannot split on-CPU from blocked time";
	case PROG_NEED_ALWAYS:
		return "no exit events, no following of children; ipcscope cannot run without it";
	case PROG_NEED_KOBJ:
		return "kernel-internal create/destroy events are not seen";
	}
	return "";
}

/* How the streaming commands hook the syscalls here (found by run_checks). */
static enum ipcs_hooks hooks_default = HOOKS_RAW;
/* How `latency` and `metrics` hook the syscalls here (found by run_checks). */
static enum ipcs_hooks latency_hooks = HOOKS_RAW;
static bool latency_fentry_ok;

static void *prefetch_btf(void *arg)
{
	hooks_vmlinux_btf();
	return NULL;
}

/*
 * The clock every latency is measured with (bpf_ktime_get_ns() reads the
 * kernel's clocksource twice per call).  On a VM it is a paravirtual clock,
 * and those two reads are most of latency's own cost per call
 * (docs/performance.md, the lower bound of `make bench-progcost`).
 */
static void check_clock(struct report *r)
{
	const char *path = "/sys/devices/system/clocksource/clocksource0/current_clocksource";
	char cs[64] = "";
	FILE *f = fopen(path, "re");

	if (f) {
		if (fgets(cs, sizeof(cs), f))
			cs[strcspn(cs, "\n")] = 0;
		fclose(f);
	}
	if (!cs[0])
		add(r, "clock", ST_INFO, NULL, "clocksource unknown (%s unreadable)", path);
	else if (!strcmp(cs, "tsc"))
		add(r, "clock", ST_OK, NULL, "clocksource tsc: the cheapest timestamps");
	else if (!strcmp(cs, "hpet") || !strcmp(cs, "acpi_pm"))
		add(r, "clock", ST_WARN,
		    "every timed call reads this slow clock twice (a microsecond or more per "
		    "call under latency, trace, top and metrics); the tsc clocksource, where "
		    "the kernel trusts it, avoids that",
		    "clocksource %s", cs);
	else
		add(r, "clock", ST_INFO, NULL,
		    "clocksource %s (paravirtual): each call's two timestamps are most of "
		    "latency's own cost per call here (docs/performance.md)", cs);
}

static int run_checks(struct report *r, bool *core_ok)
{
	pthread_t prefetch;
	bool prefetching;
	int err[64] = { 0 };
	const char *stage[64] = { 0 };
	struct extras_status xst;
	bool tracefs_now, tracefs_was = !access("/sys/kernel/tracing/events", F_OK) ||
			   !access("/sys/kernel/debug/tracing/events", F_OK);
	bool btf = !access("/sys/kernel/btf/vmlinux", R_OK);
	char ia32, ia32_off;
	bool tp_ok = true, raw_ok = true;
	int e, status;

	*core_ok = false;
	add(r, "btf", btf ? ST_OK : ST_MISSING,
	    "nothing works: ipcscope's programs are CO-RE and need the kernel's BTF "
	    "(CONFIG_DEBUG_INFO_BTF=y)",
	    "/sys/kernel/btf/vmlinux %s", btf ? "present" : "missing");
	if (!live_have_privileges()) {
		add(r, "privileges", ST_MISSING, "nothing can be loaded: run as root",
		    "no CAP_BPF + CAP_PERFMON (not root)");
		return EX_NOPERM;
	}
	add(r, "privileges", ST_OK, NULL, "CAP_BPF and CAP_PERFMON available");
	if (!btf)
		return EX_UNAVAILABLE;

	/* the kernel's BTF (later probes) is parsed on a second CPU meanwhile */
	prefetching = !pthread_create(&prefetch, NULL, prefetch_btf, NULL);
	status = live_probe_progs(err, stage);
	if (prefetching)
		pthread_join(prefetch, NULL);
	tracefs_now = !access("/sys/kernel/tracing/events", F_OK) ||
		      !access("/sys/kernel/debug/tracing/events", F_OK);
	add(r, "tracefs", tracefs_was ? ST_OK : (!tracefs_now ? ST_MISSING : ST_INFO),
	    "syscall tracepoints cannot be attached (the raw hooks do without): "
	    "mount -t tracefs tracefs /sys/kernel/tracing",
	    tracefs_was ? "mounted" : !tracefs_now ? "not mounted, and mounting failed" :
	    "was not mounted: ipcscope mounted it at /sys/kernel/tracing");
	if (status)
		return status;

	e = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL);
	add(r, "ringbuf", e == 1 ? ST_OK : ST_MISSING,
	    "no event streaming (needs Linux 5.8+)", "BPF ring buffer %s",
	    e == 1 ? "supported" : "not supported");
	*core_ok = e == 1;

	for (unsigned int i = 0; i < live_nprogs && i < 64; i++) {
		const struct prog_row *p = &live_progs[i];
		enum status st = err[i] ? ST_MISSING : ST_OK;

		if (err[i] && p->hooks == HOOKS_TRACEPOINT)
			tp_ok = false;
		if (err[i] && p->hooks == HOOKS_RAW)
			raw_ok = false;
		add(r, p->hook, st, cost_of(p),
		    err[i] ? "%s failed: %s" : !strcmp(stage[i], "tracefs") ?
		    "present in tracefs; the first pair was loaded, the first attached" :
		    "loads and attaches", stage[i], errstr(err[i]));
	}
	/* one of the two ways to hook the calls is enough */
	if (!tp_ok && !raw_ok)
		*core_ok = false;
	hooks_default = raw_ok && hooks_forced() != HOOKS_TRACEPOINT ? HOOKS_RAW : HOOKS_TRACEPOINT;

	e = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_STACK_TRACE, NULL);
	add(r, "user stacks", e == 1 ? ST_OK : ST_MISSING,
	    "no creator stacks for leaks", "stack trace maps %s",
	    e == 1 ? "supported" : "not supported");
	e = probe_task_iter();
	add(r, "iter/task", e ? ST_MISSING : ST_OK,
	    "blocked cannot read SEM_UNDO holders from the kernel; it falls back to observed balances",
	    e ? "test load failed: %s" : "loads and attaches", errstr(e));

	extras_probe(&xst);
	add(r, "fentry", xst.fentry_err ? ST_MISSING : ST_OK,
	    "kernel-internal create/destroy hooks need kprobes instead; and every syscall keeps "
	    "paying the syscall-tracepoint slow path while tracing (~8% on a getppid loop)",
	    xst.fentry_err ? "test load failed: %s" : "loads", errstr(xst.fentry_err));
	latency_hooks = latency_hooks_probe(&e);
	latency_fentry_ok = !e;
	add(r, "latency fentry", e ? ST_MISSING : ST_OK,
	    "latency and metrics hook raw sys_enter/sys_exit instead, which puts every "
	    "syscall of every task on the slow path while they run",
	    e ? "fentry/fexit on " IPCS_ARCH_SYS_PREFIX "*: test load failed: %s"
	      : "fentry/fexit on " IPCS_ARCH_SYS_PREFIX "*: loads and attaches", errstr(e));
	add(r, "kprobes", xst.kprobe_err ? ST_MISSING : ST_OK,
	    "without kprobes or fentry, destruction at last detach, at process exit and at "
	    "namespace teardown, and SEM_UNDO adjustments at exit (exit_sem) are not seen",
	    xst.kprobe_err ? "test load failed: %s" : "loads", errstr(xst.kprobe_err));

	ia32 = kconfig("CONFIG_IA32_EMULATION");
	ia32_off = kconfig("CONFIG_IA32_EMULATION_DEFAULT_DISABLED");
	e = hooks_ia32_probe();
	if (!e && hooks_default == HOOKS_RAW)
		add(r, "ia32", ST_OK, NULL,
		    "32-bit programs run here (CONFIG_IA32_EMULATION=%c%s): their i386 IPC syscalls "
		    "and ipc(2) are traced by the raw sys_enter/sys_exit hooks", ia32 ? ia32 : '?',
		    ia32_off == 'y' ? ", enabled at boot" : "");
	else if (!e)
		add(r, "ia32", ST_WARN,
		    "32-bit programs' IPC calls bypass the x86_64 syscall tracepoints and are not "
		    "traced (the raw hooks, IPCSCOPE_HOOKS=raw, see them)",
		    "32-bit programs run here (CONFIG_IA32_EMULATION=%c%s)", ia32 ? ia32 : '?',
		    ia32_off == 'y' ? ", enabled at boot" : "");
	else
		add(r, "ia32", ST_INFO, NULL,
		    "32-bit programs cannot run here (exec of an i386 ELF: %s; "
		    "CONFIG_IA32_EMULATION=%c): no 32-bit callers to miss",
		    errstr(e), ia32 ? ia32 : '?');
	check_clock(r);
	return 0;
}

/* ----------------------------------------------------------------- output */

/* Why the streaming commands hook the calls as they do (docs/performance.md). */
static const char *hooks_why(void)
{
	if (hooks_forced() != HOOKS_AUTO)
		return "forced by IPCSCOPE_HOOKS";
	if (hooks_default == HOOKS_RAW)
		return "the default: two links start and stop in milliseconds where 24 tracepoint "
		       "links take 0.5-1 s to detach, and they see 32-bit callers; measured cost: "
		       "latency's calls the same, trace's ~10% more, other syscalls ~15% more while "
		       "tracing (docs/performance.md; IPCSCOPE_HOOKS=tracepoint avoids that)";
	return "the raw sys_enter/sys_exit hooks failed here";
}

static void print_text(FILE *f, const struct report *r, const struct utsname *u,
		       const struct extras_status *x)
{
	bool any = false;

	fprintf(f, "ipcscope doctor: kernel %s (%s)\n\n", u->release, u->machine);
	for (int i = 0; i < r->n; i++)
		fprintf(f, "  %-8s %-30s %s\n", status_name(r->c[i].st), r->c[i].name,
			r->c[i].detail);
	fprintf(f, "\nWill use: %s for the twelve IPC calls (%s), tp_btf "
		"sched_process_fork/exec/exit, one BPF ring buffer",
		hooks_default == HOOKS_RAW ? "raw sys_enter/sys_exit" : "syscall tracepoints",
		hooks_why());
	if (x->mech != EXTRAS_NONE)
		fprintf(f, ", kernel-internal hooks via %s", extras_mech_name(x->mech));
	fprintf(f, "; latency and metrics hook the syscalls with %s%s.\n",
		latency_hooks == HOOKS_FENTRY ? "fentry/fexit" : "raw sys_enter/sys_exit",
		latency_hooks != HOOKS_FENTRY && latency_fentry_ok ?
		" (fentry loads, but 32-bit programs run here and fentry on the x86_64 syscall "
		"functions does not see them)" : "");
	for (int i = 0; i < r->n; i++) {
		if (r->c[i].st == ST_OK || !r->c[i].cost)
			continue;
		if (!any)
			fprintf(f, "\nMissing, and what it costs:\n");
		any = true;
		fprintf(f, "  %s: %s\n", r->c[i].name, r->c[i].cost);
	}
}

static void print_json(FILE *f, const struct report *r, const struct utsname *u,
		       const struct extras_status *x, int status)
{
	struct jsonw w;

	jsonw_init(&w, f, true);
	jsonw_start_object(&w);
	jsonw_name(&w, "kernel");
	jsonw_start_object(&w);
	jsonw_string_field(&w, "release", u->release);
	jsonw_string_field(&w, "machine", u->machine);
	jsonw_end_object(&w);
	jsonw_name(&w, "checks");
	jsonw_start_array(&w);
	for (int i = 0; i < r->n; i++) {
		jsonw_start_object(&w);
		jsonw_string_field(&w, "name", r->c[i].name);
		jsonw_string_field(&w, "status", status_name(r->c[i].st));
		jsonw_string_field(&w, "detail", r->c[i].detail);
		if (r->c[i].cost)
			jsonw_string_field(&w, "cost", r->c[i].cost);
		jsonw_end_object(&w);
	}
	jsonw_end_array(&w);
	jsonw_string_field(&w, "extras", extras_mech_name(x->mech));
	jsonw_string_field(&w, "hooks", hooks_name(hooks_default));
	jsonw_string_field(&w, "hooks_why", hooks_why());
	jsonw_string_field(&w, "latency_hooks", hooks_name(latency_hooks));
	jsonw_bool_field(&w, "usable", status == 0);
	jsonw_end_object(&w);
	jsonw_eol(&w);
}

static error_t doctor_parse(int key, char *arg, struct argp_state *state)
{
	return opts_key_default(key, arg, state, state->input);
}

static const struct argp_child doctor_children[] = { OPTS_CHILD_OUTPUT, { 0 } };

static const struct argp doctor_argp = {
	NULL, doctor_parse, NULL,
	"Check what this kernel offers ipcscope: BTF, privileges, tracefs, the ring "
	"buffer, each syscall tracepoint and tp_btf hook (loaded and attached for real), "
	"user stacks, task iterators, fentry and kprobes, and whether 32-bit programs "
	"can run (their calls escape the syscall tracepoints; the raw hooks see them).  Says "
	"which way the calls are hooked and why, what ipcscope will use and, "
	"for anything missing, why and what it costs.\v"
	"Exit status: 0 tracing works; 69 a core feature is missing; 77 not privileged.",
	doctor_children, NULL, NULL,
};

static int cmd_doctor(int argc, char **argv)
{
	struct report *r = calloc(1, sizeof(*r));
	struct extras_status x = { 0 };
	struct common_opts o;
	struct utsname u;
	bool core_ok;
	int status, err;

	if (!r)
		return errmsg(EX_OSERR, "out of memory");
	opts_init(&o);
	status = opts_parse(&doctor_argp, argc, argv, &o, &o);
	if (status) {
		free(r);
		return status;
	}
	uname(&u);
	status = run_checks(r, &core_ok);
	if (!status && !core_ok)
		status = EX_UNAVAILABLE;
	for (int i = 0; i < r->n; i++)
		if (!strcmp(r->c[i].name, "kprobes") || !strcmp(r->c[i].name, "fentry"))
			if (r->c[i].st == ST_OK && x.mech == EXTRAS_NONE)
				x.mech = !strcmp(r->c[i].name, "fentry") ? EXTRAS_FENTRY : EXTRAS_KPROBE;
	if (o.json)
		print_json(o.out, r, &u, &x, status);
	else
		print_text(o.out, r, &u, &x);
	free(r);
	err = opts_finish(&o);
	return status ? status : err;
}

IPCSCOPE_COMMAND(doctor, cmd_doctor, "check what this kernel offers and what ipcscope will use", 90);
