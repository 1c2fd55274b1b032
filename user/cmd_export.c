// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ipcscope export FILE --format perfetto|folded|jsonl: a recording in the
 * formats other tools read (view/export.h, view/trace_fmt.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "analyses.h"
#include "analysis/blocked.h"
#include "analysis/leaks.h"
#include "ipcscope.h"
#include "source/file.h"
#include "stack/unwind.h"
#include "view/export.h"
#include "view/trace_fmt.h"

enum fmt { FMT_NONE, FMT_PERFETTO, FMT_FOLDED, FMT_JSONL };
enum { OPT_FORMAT = 'f', OPT_LEAKS = 0x2200 };

struct export_args {
	struct common_opts o;
	const char *file;
	enum fmt fmt;
	bool leaks;
};

/* ------------------------------------------------------------- jsonl */

static int jsonl_sink(void *ctx, const struct ev_hdr *ev)
{
	struct jsonw *w = ctx;

	if (trace_fmt_json(w, ev))
		jsonw_eol(w);
	return 0;
}

/* ------------------------------------------------------------- leaks */

/* A forked child runs its parent's image until it execs. */
static int fork_sink(void *ctx, const struct ev_hdr *ev)
{
	struct session *s = ctx;
	const struct ev_proc *p = (const void *)ev;
	const struct proc_meta *c;

	if (ev->type != EV_FORK || !p->child_pid || !s->procs)
		return 0;
	c = procmeta_get(s->procs, (int32_t)p->child_pid);
	if (!c || !c->nmaps)
		procmeta_inherit(s->procs, (int32_t)p->child_pid, (int32_t)ev->pid);
	return 0;
}

/* The creator's stack: CFI-unwound from EV_CREATE, else the recorded FP stack. */
static struct stack_frame *creator_stack(void *ctx, const struct ev_hdr *ev, size_t *n,
					 const char **how)
{
	return stack_resolve(ctx, ev, n, how);
}

static const char *get_call(unsigned int kind)
{
	return kind == KIND_SHM ? "shmget" : kind == KIND_SEM ? "semget" : "msgget";
}

/* Leaked bytes by creator stack. */
static int export_leaks(struct session *s, struct common_opts *o, struct folded *f)
{
	struct stack_resolver res;
	struct leaks_opts lo = { .stack = creator_stack, .stack_ctx = &res, .kinds = o->kinds,
				 .only_traced = o->cmd_argc > 0,
				 /* ids repeat across IPC namespaces: only the tables' one */
				 .ipcns = s->start ? s->start->ipcns : s->ipcns };
	struct leak_report r;
	struct leaks *l;
	int status;

	if (s->start)
		lo.start_real = s->start->taken_real;
	session_stack_resolver(s, &res);
	l = leaks_new(&lo, s->start);
	if (!l || ev_bus_add(&s->bus, fork_sink, s) || ev_bus_add(&s->bus, leaks_event, l)) {
		leaks_free(l);
		stack_resolver_fini(&res);
		return errmsg(EX_OSERR, "out of memory");
	}
	status = session_drive(s, NULL);
	if (!status && !s->end) {
		leaks_free(l);
		stack_resolver_fini(&res);
		return errmsg(EX_DATAERR, "the recording has no IPC tables at the end: leaks cannot be told apart from objects still in use");
	}
	if (!status && leaks_find(l, s->end, &r) == 0) {
		for (size_t i = 0; i < r.n; i++) {
			const struct leak *k = &r.v[i];

			if (k->bytes && folded_add_frames(f, k->creator.comm, k->creator.stack,
							  k->creator.nstack, get_call(k->kind),
							  k->bytes))
				status = errmsg(EX_OSERR, "out of memory");
		}
		leak_report_free(&r);
	}
	leaks_free(l);
	stack_resolver_fini(&res);
	return status;
}

/* ------------------------------------------------------------- perfetto */

/* Deadlocks found by the blocked analysis, as instants on the global track. */
static int deadlock_instants(struct perfetto *p, struct blocked *b, struct session *s)
{
	if (blocked_replay(b, s->last_ts_ns))
		return errmsg(EX_OSERR, "out of memory analysing deadlocks");
	for (size_t i = 0; i < blocked_ncycles(b); i++) {
		const struct blocked_cycle *c = blocked_cycle_at(b, i);
		uint64_t dur = c->end_ns > c->formed_ns ? c->end_ns - c->formed_ns : 0;
		char name[160];
		int off;

		if (!c->confirmed)
			continue;
		off = snprintf(name, sizeof(name), "deadlock (%.3f s):", dur / 1e9);
		for (size_t k = 0; k < c->n && off > 0 && (size_t)off < sizeof(name); k++)
			off += snprintf(name + off, sizeof(name) - (size_t)off, " %d", c->nodes[k].pid);
		if (perfetto_global_instant(p, c->formed_ns, name, NULL))
			return errmsg(EX_OSERR, "out of memory");
	}
	return 0;
}

/* ------------------------------------------------------------- command */

static error_t export_parse(int key, char *arg, struct argp_state *state)
{
	struct export_args *a = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		opts_child_inputs(state, &a->o);
		break;
	case OPT_FORMAT:
		if (!strcmp(arg, "perfetto") || !strcmp(arg, "chrome"))
			a->fmt = FMT_PERFETTO;
		else if (!strcmp(arg, "folded"))
			a->fmt = FMT_FOLDED;
		else if (!strcmp(arg, "jsonl"))
			a->fmt = FMT_JSONL;
		else
			argp_error(state, "unknown format '%s': use perfetto, folded or jsonl", arg);
		break;
	case OPT_LEAKS:
		a->leaks = true;
		break;
	case ARGP_KEY_ARG:
		if (state->arg_num > 0)
			argp_error(state, "unexpected argument '%s'", arg);
		a->file = arg;
		break;
	case ARGP_KEY_END:
		if (!a->file)
			argp_error(state, "give the recording: ipcscope export FILE --format FORMAT");
		if (a->fmt == FMT_NONE)
			argp_error(state, "give --format perfetto, folded or jsonl");
		if (a->leaks && a->fmt != FMT_FOLDED)
			argp_error(state, "--leaks goes with --format folded");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_option export_options[] = {
	{ "format", OPT_FORMAT, "FORMAT", 0, "perfetto, folded or jsonl", 0 },
	{ "leaks", OPT_LEAKS, NULL, 0, "folded: weight = bytes leaked, by creator stack", 0 },
	{ 0 },
};

static const struct argp_child export_children[] = {
	OPTS_CHILD_OUTPUT, { 0 },
};

static const struct argp export_argp = {
	export_options, export_parse, "FILE --format perfetto|folded|jsonl",
	"Convert a recording made with `ipcscope record` for other tools.\n\n"
	"perfetto: Chrome Trace Event JSON for ui.perfetto.dev and chrome://tracing: "
	"one track per thread (named by process and thread), one slice per IPC call "
	"named \"<call> <kind> <id>\" (blocked calls are the long slices, category "
	"\"ipc,blocked\"), instants for fork, exec, exit and object creation, and "
	"global instants for the deadlocks the blocked analysis finds.  "
	"Timestamps are microseconds since the recording began.\n\n"
	"folded: folded stacks for flamegraph.pl and speedscope, one line per stack "
	"\"comm;outer;...;inner;call WEIGHT\" with WEIGHT = nanoseconds blocked in "
	"calls that slept, or with --leaks the bytes of leaked objects by creator "
	"stack.  Frames are function names where the binaries can be found, else "
	"module+offset or [build-id]+offset.\n\n"
	"jsonl: one JSON object per event, the fields of `ipcscope trace --json`.  "
	"--json changes nothing: every format is machine-readable.\v"
	"Examples:\n"
	"  ipcscope export night.ipcs -f perfetto -o night.json\n"
	"  ipcscope export night.ipcs -f folded | flamegraph.pl > blocked.svg\n"
	"  ipcscope export night.ipcs -f jsonl | jq 'select(.errno != 0)'\n\n"
	"Exit status: 0; 64 usage, 65 not a recording / nothing readable, 66 no such file.",
	export_children, NULL, NULL,
};

static int cmd_export(int argc, char **argv)
{
	struct export_args a = { 0 };
	static char *rec_cmd[2];
	const struct file_info *fi;
	struct session s;
	int status, err;

	opts_init(&a.o);
	status = opts_parse(&export_argp, argc, argv, &a, &a.o);
	if (status)
		return status;
	status = file_session_open(&s, a.file);
	if (status) {
		opts_finish(&a.o);
		return status;
	}
	fi = file_session_info(&s);
	a.o.kinds = fi->kinds;
	if (fi->cmd) {
		rec_cmd[0] = (char *)fi->cmd;
		a.o.cmd_argc = 1;
		a.o.cmd_argv = rec_cmd;
	}
	if (a.fmt == FMT_JSONL) {
		struct jsonw w;

		jsonw_init(&w, a.o.out, false);
		if (ev_bus_add(&s.bus, jsonl_sink, &w))
			status = errmsg(EX_SOFTWARE, "too many event consumers");
		else
			status = session_drive(&s, NULL);
	} else if (a.fmt == FMT_PERFETTO) {
		struct perfetto *p = perfetto_new(fi->host.start_mono_ns);
		struct blocked_opts bo = { .replay = true };
		struct blocked *br = blocked_new(&bo);

		if (!p || !br || ev_bus_add(&s.bus, perfetto_event, p) ||
		    ev_bus_add(&s.bus, blocked_event, br))
			status = errmsg(EX_OSERR, "out of memory");
		else
			status = session_drive(&s, NULL);
		if (!status)
			status = deadlock_instants(p, br, &s);
		blocked_free(br);
		if (!status && (err = perfetto_write(p, a.o.out, s.procs)))
			status = errmsg(EX_IOERR, "writing the trace: %s", strerror(-err));
		if (!status)
			debugmsg("%zu call slices", perfetto_slices(p));
		perfetto_free(p);
	} else {
		struct folded *f = folded_new(&s);
		int64_t total;

		if (!f)
			status = errmsg(EX_OSERR, "out of memory");
		else if (a.leaks)
			status = export_leaks(&s, &a.o, f);
		else if (ev_bus_add(&s.bus, folded_blocked_event, f))
			status = errmsg(EX_SOFTWARE, "too many event consumers");
		else
			status = session_drive(&s, NULL);
		if (!status) {
			total = folded_write(f, a.o.out);
			if (total < 0)
				status = errmsg(EX_IOERR, "writing the stacks: %s", strerror((int)-total));
			else
				debugmsg("total weight %" PRId64, total);
			/* an empty file is a valid answer: say which one */
			if (total == 0 && a.leaks)
				warnmsg("no leaked bytes in this recording (no leak candidate with a "
					"known creator): the folded output is empty");
			else if (total == 0)
				warnmsg("no blocked time in this recording (no call slept, among %"
					PRIu64 " events): the folded output is empty; "
					"`--leaks` weighs by leaked bytes instead", s.bus.delivered);
		}
		folded_free(f);
	}
	if (s.lost_events)
		warnmsg("%" PRIu64 " events were lost while recording: the export is incomplete",
			s.lost_events);
	file_session_close(&s);
	err = opts_finish(&a.o);
	return status ? status : err;
}

IPCSCOPE_COMMAND(export, cmd_export, "convert a recording: perfetto, folded stacks, jsonl", 61);
