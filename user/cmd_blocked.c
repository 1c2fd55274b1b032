// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Command: ipcscope blocked: IPC calls blocked right now, who holds what
 * they wait for, and deadlock cycles.  Options and wiring only: the live
 * source feeds the blocked analysis (analysis/blocked.h) with events, and
 * every SCAN_MS with a reading of the kernel's wait state
 * (tables/waitscan.h); view/blocked_view.h prints.  `report FILE blocked`
 * runs the same analysis on a recording.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyses.h"
#include "analysis/blocked.h"
#include "ipcscope.h"
#include "session.h"
#include "source/live.h"
#include "tables/ipcns.h"
#include "tables/waitscan.h"
#include "view/blocked_view.h"

#define SCAN_MS 150

struct blocked_cmd {
	struct common_opts *o;
	struct blocked *an;
	struct waitscan *scan;
	struct wait_facts facts;
	struct blocked_view v;
	uint64_t next_scan, next_print;
	double print_interval;
};

/* One reading of the wait state into the analysis; new deadlocks printed. */
static int observe(struct blocked_cmd *c)
{
	const struct blocked_cycle *cy;
	uint64_t now = mono_now_ns();   /* before the reading: what it sees was there since */
	int err;

	err = waitscan_read(c->scan, &c->facts);
	if (err)
		return errmsg(exit_for_errno(-err), "cannot read the blocked calls: %s: run as root",
			      strerror(-err));
	if (blocked_observe(c->an, now, &c->facts))
		return errmsg(EX_SOFTWARE, "out of memory building the wait graph");
	while ((cy = blocked_next_deadlock(c->an)))
		if (!c->o->json)
			blocked_view_cycle(&c->v, cy, now);
	return 0;
}

static int tick(void *ctx)
{
	struct blocked_cmd *c = ctx;
	uint64_t now = mono_now_ns();
	int err;

	if (now >= c->next_scan) {
		if ((err = observe(c)))
			return err;
		c->next_scan = now + SCAN_MS * 1000000ull;
	}
	if (c->print_interval > 0 && now >= c->next_print) {
		if (!c->o->json)
			blocked_view_table(&c->v, c->an, now);
		c->next_print = now + (uint64_t)(c->print_interval * 1e9);
	}
	return 0;
}

/* ------------------------------------------------------------- command */

struct blocked_args {
	struct common_opts o;
	double interval;
	bool fail_on_deadlock;   /* --fail-on deadlock: exit 1 on one even with -- CMD */
};

enum { OPT_FAIL_ON = 0x3000 };

static const struct argp_option blocked_options[] = {
	{ "fail-on", OPT_FAIL_ON, "deadlock", 0,
	  "With -- CMD: exit 1 if a deadlock was found and CMD itself succeeded (CMD's "
	  "status when it failed), for CI", 0 },
	{ 0 },
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct blocked_args *a = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		opts_child_inputs(state, &a->o);
		break;
	case OPT_FAIL_ON:
		if (strcmp(arg, "deadlock"))
			argp_error(state, "invalid --fail-on '%s': blocked fails on 'deadlock'", arg);
		a->fail_on_deadlock = true;
		break;
	case ARGP_KEY_ARG:
		if (state->arg_num > 0)
			argp_error(state, "unexpected argument '%s' (a command goes after `--`)", arg);
		a->interval = parse_duration(arg);
		if (a->interval <= 0)
			argp_error(state, "invalid interval '%s': give seconds, e.g. 1 or 0.5", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_child children[] = {
	OPTS_CHILD_OUTPUT, OPTS_CHILD_FILTER, OPTS_CHILD_DURATION, { 0 },
};

static const struct argp argp = {
	blocked_options, parse_opt, "[interval] [-- CMD [ARGS...]]",
	"Show IPC calls blocked right now (semop/semtimedop waiting, msgsnd on a full "
	"queue, msgrcv on an empty one), how long they have waited, who holds what they "
	"wait for, and deadlock cycles.\n\n"
	"Holders are named with their evidence: `undo` (SEM_UNDO adjustments read from the "
	"kernel), `observed` (net sem_op applied while tracing), `lastpid` (semctl GETPID). "
	"Waits that began before ipcscope started are found at once from /proc.  A deadlock "
	"is reported when the same waits stay in a cycle for about half a second.\v"
	"The table is printed every interval (default 1 s).  With -- CMD or -d, a summary of "
	"every deadlock during the run (when it formed, how long it lasted) and the longest "
	"waits is printed at the end; --json prints it as one object.\n\n"
	"Examples:\n"
	"  ipcscope blocked                 live, this IPC namespace\n"
	"  ipcscope blocked --ipcns 1234    the namespace of pid 1234\n"
	"  ipcscope blocked --json -- ./app\n"
	"  ipcscope blocked --fail-on deadlock -- ./app    for CI\n\n"
	"Exit status: 1 if a deadlock was found, else 0.  With -- CMD: CMD's status; "
	"with --fail-on deadlock, CMD's status if it failed, else 1 if a deadlock was "
	"found, else 0.  64 usage, 77 not privileged.",
	children, NULL, NULL,
};

static int cmd_blocked(int argc, char **argv)
{
	struct blocked_args a = { 0 };
	struct blocked_cmd c = { 0 };
	struct blocked_opts bo = { .keep_history = true, .use_lastpid = true };
	struct live_config cfg = { 0 };
	struct waitscan_config wc = { .inflight_fd = -1, .bpf = true };
	struct live_cmd cmd;
	struct run_loop rl = { 0 };
	struct ev_source *src;
	struct session s;
	uint32_t ipcns;
	uint64_t t0;
	int status, err;

	opts_init(&a.o);
	status = opts_parse(&argp, argc, argv, &a, &a.o);
	if (status)
		return status;
	/* one namespace at a time: --ipcns, else our own */
	ipcns = a.o.ipcns ? a.o.ipcns : self_ipcns();
	if (a.o.ipcns && a.o.ipcns != self_ipcns()) {
		char arg[32];

		snprintf(arg, sizeof(arg), "%u", a.o.ipcns);
		if ((err = ipcns_enter(arg)))
			return errmsg(exit_for_errno(-err),
				      "cannot enter IPC namespace %u: %s: run as root", a.o.ipcns,
				      strerror(-err));
	}
	a.o.ipcns = ipcns;   /* the kernel-side filter too */
	c.o = &a.o;
	c.print_interval = a.interval > 0 ? a.interval : (a.o.cmd_argv || a.o.duration ? 0 : 1);
	bo.self_pid = (uint32_t)getpid();
	c.an = blocked_new(&bo);
	if (!c.an)
		return errmsg(EX_OSERR, "out of memory: free some memory and retry");

	cfg.opts = &a.o;
	cfg.calls = true;
	cfg.proc_events = true;
	cfg.no_start_snapshot = true;
	src = live_command_open(&s, &cfg, &cmd, &rl, &status);
	if (!src) {
		blocked_free(c.an);
		opts_finish(&a.o);
		return status;
	}
	t0 = mono_now_ns();   /* the hooks are attached */
	wc.ipcns = ipcns;
	wc.inflight_fd = live_inflight_fd(src);
	wc.root = rl.cmd ? cmd.pid : a.o.pid;   /* -p, -- CMD: that process tree */
	c.scan = waitscan_open(&wc);
	if (!c.scan) {
		status = errmsg(EX_OSERR, "out of memory: free some memory and retry");
		goto out;
	}
	/* a wait without an in-flight entry began before the hooks; without
	 * the shared map, only before the first reading (the default) */
	if (waitscan_has_starts(c.scan))
		blocked_set_trace_start(c.an, t0);
	if (!waitscan_has_undo(c.scan))
		warnmsg("SEM_UNDO holders unavailable (task iterator): holders come from "
			"observed calls and GETPID only");
	debugmsg("blocked calls found by the %s", waitscan_method(c.scan));
	c.v = (struct blocked_view){ .out = a.o.out, .json = a.o.json,
				     .mono_to_real_ns = s.mono_to_real_ns,
				     .undo_evidence = waitscan_has_undo(c.scan) };
	rl.duration = a.o.duration;
	rl.interval = SCAN_MS / 1000.0;
	rl.tick = tick;
	rl.ctx = &c;
	status = live_command_start(&rl);
	if (status)
		goto out;
	/* the readiness line (the hooks are attached), on stderr with --json too */
	if (!rl.cmd)
		fprintf(stderr, "Watching blocked IPC calls... Hit Ctrl-C to end.\n");
	if (ev_bus_add(&s.bus, blocked_event, c.an)) {
		status = errmsg(EX_SOFTWARE, "too many event consumers: report this bug");
		goto out;
	}
	status = observe(&c);   /* existing waits and deadlocks, at once */
	c.next_scan = mono_now_ns() + SCAN_MS * 1000000ull;
	if (!status && c.print_interval > 0 && !a.o.json) {
		blocked_view_table(&c.v, c.an, mono_now_ns());
		c.next_print = mono_now_ns() + (uint64_t)(c.print_interval * 1e9);
	}
	if (!status)
		status = session_drive(&s, &rl);
	if (!status && !ipcs_exiting)
		status = observe(&c);
	c.v.lost_events = s.lost_events;
	blocked_view_summary(&c.v, c.an, mono_now_ns());
	if (s.lost_events)
		warnmsg("%" PRIu64 " events were lost: observed holders may be incomplete",
			s.lost_events);
out:
	{
		size_t dl = blocked_deadlocks(c.an);

		waitscan_close(c.scan);
		wait_facts_free(&c.facts);
		blocked_free(c.an);
		session_fini(&s);
		err = opts_finish(&a.o);
		if (status || err)
			return status ? status : err;
		status = live_command_status(&rl, dl ? EXIT_FINDINGS : 0);
		return !status && dl && a.fail_on_deadlock ? EXIT_FINDINGS : status;
	}
}

IPCSCOPE_COMMAND(blocked, cmd_blocked, "blocked IPC calls, their holders, deadlock cycles", 30);
