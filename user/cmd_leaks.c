// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ipcscope leaks: attribute System V objects to the processes that created
 * them and show which ones were left behind (see analysis/leaks.h).
 *
 * This file is the glue: it gives the pure analysis its two windows on the
 * world (is a pid alive; what was the creator's stack, unwound from the
 * registers and stack copy of EV_CREATE with libdw, or the frame-pointer
 * stack from the BPF stack map when that fails) and prints the report.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>

#include "analyses.h"
#include "analysis/leaks.h"
#include "ipcscope.h"
#include "source/live.h"
#include "stack/symbolize.h"
#include "stack/symfs.h"
#include "stack/unwind.h"
#include "tables/ipcns.h"
#include "source/mmaptrack.h"
#include "view/leaks_view.h"
#include "tables/proc.h"

struct leaks_glue {
	struct session *s;
	struct common_opts *o;
	struct leaks *l;
	struct stack_resolver res;
	bool fail;                 /* --fail: exit 1 when leaks are found */
	double interval;           /* report every interval seconds (0: at the end) */
	bool create_ctx;           /* EV_CREATE follows every creating *get */
	uint64_t next_report;      /* CLOCK_MONOTONIC ns */
	size_t last_found;
};

/* A zombie has exited: proc_alive() is the one liveness rule. */
static bool pid_alive_now(void *ctx, int32_t pid)
{
	return proc_alive(pid);
}

/*
 * The creator's stack.  Live, every creation also sends EV_CREATE
 * (registers, stack copy and the same stack id), and so do recordings:
 * resolve the stack once, there.
 */
static struct stack_frame *creator_stack(void *ctx, const struct ev_hdr *ev, size_t *n,
					 const char **how)
{
	struct leaks_glue *g = ctx;

	*how = NULL;
	if (ev->type == EV_CALL && g->create_ctx)
		return NULL;
	return stack_resolve(&g->res, ev, n, how);
}

/* Executable, cgroup and container of a creator, from what /proc or perf told. */
static void creator_describe(void *ctx, const struct ev_hdr *ev, struct leak_creator *cr)
{
	struct leaks_glue *g = ctx;
	const struct proc_meta *m, *p;

	if (!g->s->procs)
		return;
	session_procs_refresh(g->s);
	m = procmeta_get(g->s->procs, ev->pid);
	if (m) {
		snprintf(cr->exe, sizeof(cr->exe), "%s", m->exe);
		snprintf(cr->cgroup, sizeof(cr->cgroup), "%s", m->cgroup);
		snprintf(cr->container, sizeof(cr->container), "%s", m->container);
	}
	/* gone before /proc was read: the parent's, if it is the same cgroup */
	p = procmeta_get(g->s->procs, ev->ppid);
	if (!cr->cgroup[0] && p && p->cgroup[0] && p->cgroup_id == ev->cgroup_id) {
		snprintf(cr->cgroup, sizeof(cr->cgroup), "%s", p->cgroup);
		snprintf(cr->container, sizeof(cr->container), "%s", p->container);
	}
}

/*
 * A forked child shares its parent's mappings until it execs.  perf's FORK
 * record (mmaptrack) already copied them in order, before the child's own
 * exec and mmap records: copying again here, later, would put the shell's
 * mappings back over the program it exec'd.  Only without mmaptrack (or
 * for a parent it never saw) is the copy made here.
 */
static int fork_sink(void *ctx, const struct ev_hdr *ev)
{
	struct leaks_glue *g = ctx;
	const struct ev_proc *p = (const void *)ev;

	if (ev->type != EV_FORK || !g->s->procs || !p->child_pid)
		return 0;
	session_procs_refresh(g->s);
	if (procmeta_get(g->s->procs, p->child_pid))
		return 0;
	if (g->s->live) {
		const struct proc_meta *c = procmeta_capture(g->s->procs, p->child_pid);

		if (c && c->nmaps)     /* a zombie has no mappings left */
			return 0;
		if (!procmeta_get(g->s->procs, ev->pid))
			procmeta_capture(g->s->procs, ev->pid);
	}
	procmeta_inherit(g->s->procs, p->child_pid, ev->pid);
	return 0;
}

static int report_now(struct leaks_glue *g, const struct ipc_snapshot *snap)
{
	struct leak_report r;
	int err = leaks_find(g->l, snap, &r);

	if (err)
		return errmsg(EX_SOFTWARE, "finding leaks: %s", strerror(-err));
	/* better symbols found after the fact (report --symfs) */
	for (size_t i = 0; g->o->symfs && i < r.n; i++)
		stack_symfs_apply(g->o->symfs, r.v[i].creator.stack, r.v[i].creator.nstack);
	g->last_found = r.n;
	if (g->o->json) {
		struct jsonw w;

		jsonw_init(&w, g->o->out, false);
		leaks_json_report(&w, &r, g->s->lost_events);
	} else {
		leaks_text_report(g->o->out, &r, g->s->lost_events);
	}
	fflush(g->o->out);
	leak_report_free(&r);
	return 0;
}

static int current_report(struct leaks_glue *g)
{
	struct ipc_snapshot snap;
	int err;

	if (g->s->end)
		return report_now(g, g->s->end);
	if (!g->s->snapshot_now)
		return errmsg(EX_SOFTWARE, "no IPC tables to compare with: report this bug");
	memset(&snap, 0, sizeof(snap));
	err = g->s->snapshot_now(g->s, &snap);
	if (err) {
		return errmsg(exit_for_errno(-err), "cannot read the IPC tables: %s",
			      hint_for_errno(-err));
	}
	err = report_now(g, &snap);
	snapshot_free(&snap);
	return err;
}

/*
 * Every second while live: apply the perf records before their buffers
 * fill up, and forget processes that exited a while ago.  Stacks are
 * resolved lazily (at a report), so the creations made before the cutoff
 * (every one by a process that exited before it) are unwound first, while
 * their creators' mappings are still known.  Shortly after boot (under
 * QEMU) CLOCK_MONOTONIC is below the age: nothing is old enough yet.
 */
#define LEAKS_FORGET_NS (30 * 1000000000ull)

static void housekeeping(struct leaks_glue *g)
{
	uint64_t now = mono_now_ns();

	if (!g->s->mt || !g->s->procs)
		return;
	session_procs_refresh(g->s);
	if (now < LEAKS_FORGET_NS)
		return;
	leaks_resolve_pending(g->l, now - LEAKS_FORGET_NS, NULL, NULL);
	procmeta_prune(g->s->procs, now - LEAKS_FORGET_NS);
}

static int leaks_tick(void *ctx)
{
	struct leaks_glue *g = ctx;

	housekeeping(g);
	if (g->interval <= 0)
		return 0;
	if (g->s->live) {
		uint64_t now = mono_now_ns();

		if (now < g->next_report)
			return 0;
		g->next_report = now + (uint64_t)(g->interval * 1e9) - 50000000ull;
	}
	if (!g->o->json) {
		char ts[32];
		time_t now = time(NULL);

		strftime(ts, sizeof(ts), "%H:%M:%S", localtime(&now));
		fprintf(g->o->out, "\n%s\n", ts);
	}
	if (g->s->src && g->s->src->lost)
		g->s->lost_events = g->s->src->lost(g->s->src);
	return current_report(g);
}

/* --fail, set by the command (report FILE leaks has no such option). */
static bool leaks_opt_fail;

int leaks_session(struct session *s, struct common_opts *o, struct run_loop *rl)
{
	struct leaks_glue g = { .s = s, .o = o };
	struct leaks_opts lo = { 0 };
	int status;

	g.fail = leaks_opt_fail;
	lo.kinds = o->kinds;
	g.create_ctx = true;       /* the live config asks for it; recordings have it */
	lo.ipcns = s->start ? s->start->ipcns : s->ipcns;
	lo.only_traced = o->cmd_argc > 0;
	lo.start_real = s->live ? time(NULL) : 0;
	if (!s->live && s->start)
		lo.start_real = s->start->taken_real;
	if (s->live)
		lo.alive = pid_alive_now;
	session_stack_resolver(s, &g.res);
	lo.stack = creator_stack;
	lo.describe = creator_describe;
	lo.stack_ctx = &g;
	g.l = leaks_new(&lo, s->start);
	if (!g.l)
		return errmsg(EX_OSERR, "out of memory");
	if (!s->start)
		warnmsg("no table snapshot from the start: objects that existed before "
			"may be counted as created by whoever opened them");
	if (ev_bus_add(&s->bus, fork_sink, &g) || ev_bus_add(&s->bus, leaks_event, g.l)) {
		leaks_free(g.l);
		return errmsg(EX_SOFTWARE, "too many event consumers: report this bug");
	}
	if (rl) {
		g.interval = rl->interval;
		g.next_report = mono_now_ns() + (uint64_t)(g.interval * 1e9);
		/* live: tick every second for housekeeping, report on g.interval */
		if (s->live && (rl->interval <= 0 || rl->interval > 1))
			rl->interval = 1;
		if (rl->interval > 0) {
			rl->tick = leaks_tick;
			rl->ctx = &g;
		}
	}
	status = session_drive(s, rl);
	if (!status)
		status = current_report(&g);
	debugmsg("creator stacks: %" PRIu64 " unwound with CFI, %" PRIu64
		 " from frame pointers, %" PRIu64 " with one frame only",
		 g.res.dwarf, g.res.fp, g.res.bare);
	if (s->lost_events)
		warnmsg("%" PRIu64 " events were lost: creators of some objects may be "
			"unknown; use filters to trace less", s->lost_events);
	if (mmaptrack_lost(s->mt))
		warnmsg("%" PRIu64 " mapping records were lost: some stacks may be "
			"incomplete", mmaptrack_lost(s->mt));
	leaks_free(g.l);
	if (!status && g.fail && g.last_found)
		status = EXIT_FINDINGS;
	return status;
}

/* ------------------------------------------------------------- command */

enum { OPT_FAIL = 0x2100 };

struct leaks_args {
	struct common_opts o;
	bool fail;
};

static const struct argp_option leaks_options[] = {
	{ "fail", OPT_FAIL, NULL, 0, "Exit with status 1 when leak candidates are found", 0 },
	{ 0 },
};

static error_t leaks_parse(int key, char *arg, struct argp_state *state)
{
	struct leaks_args *a = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		opts_child_inputs(state, &a->o);
		break;
	case OPT_FAIL:
		a->fail = true;
		break;
	case ARGP_KEY_ARG: {
		double iv = parse_duration(arg);

		if (state->arg_num > 0 || iv <= 0)
			argp_error(state, "unexpected argument '%s' (expected an interval "
				   "in seconds; a command goes after `--`)", arg);
		a->o.interval = iv;
		break;
	}
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_child leaks_children[] = {
	OPTS_CHILD_OUTPUT, OPTS_CHILD_FILTER, OPTS_CHILD_DURATION, { 0 },
};

static const struct argp leaks_argp = {
	leaks_options, leaks_parse, "[INTERVAL] [-- CMD [ARGS...]]",
	"Show System V IPC objects left behind, and who made them.\n\n"
	"While tracing, every object created (a shmget/semget/msgget that made a new "
	"id) is attributed to its creator at once, while it is alive: pid, comm, "
	"command line, and its user stack, unwound from .eh_frame so that binaries "
	"without frame pointers still show their functions.  A leak candidate is an "
	"object still present whose creator has exited (shm: and nothing has it "
	"attached; sem: and nobody waits on it).  The reason is one word: "
	"never-attached, creator-exited, users-exited, never-used.  Objects that "
	"existed before tracing began have no known creator (shm shows its cpid).\n\n"
	"Reports at the end (Ctrl-C, -d, or when CMD exits) and every INTERVAL "
	"seconds if given.  With -- CMD only objects that CMD or its descendants "
	"created are reported.  Results are grouped by creator (command line and "
	"stack) with counts and bytes.\v"
	"Examples:\n"
	"  ipcscope leaks -- ./test-suite        what the tests left behind\n"
	"  ipcscope leaks -d 60 --json           one minute, machine-wide\n"
	"  ipcscope leaks -t shm 10              refresh every 10 s, shm only\n\n"
	"JSON: {\"leaks\": [{\"kind\", \"id\", \"key\", \"bytes\", \"reason\", \"age_s\", "
	"\"creator\": {\"pid\", \"comm\", \"cmdline\", \"exited\", \"stack\": [...]}}], "
	"\"by_creator\": [...], \"lost_events\": N}\n\n"
	"Exit status: 0; 1 with --fail when leaks are found; 64 usage, 69 kernel "
	"feature missing, 77 not privileged.",
	leaks_children, NULL, NULL,
};

static int cmd_leaks(int argc, char **argv)
{
	struct leaks_args a = { 0 };
	struct live_config cfg = { 0 };
	struct live_cmd cmd;
	struct run_loop rl = { 0 };
	struct session s;
	int status, err;

	opts_init(&a.o);
	status = opts_parse(&leaks_argp, argc, argv, &a, &a.o);
	if (status)
		return status;
	/*
	 * The tables we compare with are those of our IPC namespace: enter the
	 * one asked for, and trace only it (ids repeat across namespaces).
	 */
	if (a.o.ipcns_arg) {
		err = ipcns_enter(a.o.ipcns_arg);
		if (err) {
			opts_finish(&a.o);
			return errmsg(exit_for_errno(-err), "cannot enter IPC namespace %s: %s",
				      a.o.ipcns_arg, hint_for_errno(-err));
		}
	} else {
		a.o.ipcns = self_ipcns();
	}
	cfg.opts = &a.o;
	cfg.calls = true;
	/*
	 * The creator's stack comes with EV_CREATE (its own stack id too):
	 * per-call stacks would cost a frame-pointer walk in every call.
	 */
	cfg.create_ctx = true;
	cfg.stack_ids = false;
	cfg.proc_events = true;
	if (!live_command_open(&s, &cfg, &cmd, &rl, &status)) {
		opts_finish(&a.o);
		return status;
	}
	rl.duration = a.o.duration;
	rl.interval = a.o.interval;
	status = live_command_start(&rl);
	if (status) {
		session_fini(&s);
		opts_finish(&a.o);
		return status;
	}
	if (!rl.cmd)
		fprintf(stderr, "Tracing System V IPC object creation... Hit Ctrl-C to end.\n");
	leaks_opt_fail = a.fail;
	status = leaks_session(&s, &a.o, &rl);
	session_fini(&s);
	err = opts_finish(&a.o);
	return status ? status : err;
}

IPCSCOPE_COMMAND(leaks, cmd_leaks, "who created the IPC objects left behind", 40);
