// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Job: the leak analysis over a session, live (`ipcscope leaks`) or
 * recorded (`ipcscope report FILE leaks`), and its view.
 *
 * The glue between the pure analysis (analysis/leaks.h) and the world: is a
 * pid alive (the one liveness rule), what was the creator's stack (the one
 * resolver, stack/resolve.h), what were its executable and cgroup (the
 * process model), and the report, every interval and at the end.
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
/*
 * 5 s: long enough for events that arrive late and for a creation's stack
 * to be unwound first; short enough that a fork storm (1300 short-lived
 * processes a second in `make bench-soak`) holds a few thousand, not the
 * 40 k that 30 s held (RSS +86 % between 5 s and 5 min).
 */
#define LEAKS_FORGET_NS (5 * 1000000000ull)

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

int leaks_session(struct session *s, struct common_opts *o, struct run_loop *rl)
{
	struct leaks_glue g = { .s = s, .o = o };
	struct leaks_opts lo = { 0 };
	int status;

	g.fail = o->fail_findings;
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
	if (!g.l) {
		stack_resolver_fini(&g.res);
		return errmsg(EX_OSERR, "out of memory");
	}
	if (!s->start)
		warnmsg("no table snapshot from the start: objects that existed before "
			"may be counted as created by whoever opened them");
	if (ev_bus_add(&s->bus, fork_sink, &g) || ev_bus_add(&s->bus, leaks_event, g.l)) {
		leaks_free(g.l);
		stack_resolver_fini(&g.res);
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
		 " from frame pointers, %" PRIu64 " with one frame only; %" PRIu64
		 " address spaces built", g.res.dwarf, g.res.fp, g.res.bare, g.res.sy_built);
	if (s->lost_events)
		warnmsg("%" PRIu64 " events were lost: creators of some objects may be "
			"unknown; use filters to trace less", s->lost_events);
	if (mmaptrack_lost(s->mt))
		warnmsg("%" PRIu64 " mapping records were lost: some stacks may be "
			"incomplete", mmaptrack_lost(s->mt));
	leaks_free(g.l);
	stack_resolver_fini(&g.res);
	if (!status && g.fail && g.last_found)
		status = EXIT_FINDINGS;
	return status;
}

