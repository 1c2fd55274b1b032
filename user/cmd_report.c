// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ipcscope report FILE [ANALYSIS]: the analyses of the live commands, run
 * on a recording.  The session comes from the file source instead of the
 * ring buffer; the analysis bodies (analyses.h) are the same code.
 */
#include <string.h>

#include "analyses.h"
#include "analysis/blocked.h"
#include "ipcscope.h"
#include "source/file.h"
#include "view/blocked_view.h"

/* Bodies written in other parts of ipcscope; a build may lack some. */
#pragma weak trace_session
#pragma weak leaks_session
#pragma weak latency_session

typedef int (*analysis_fn)(struct session *, struct common_opts *, struct run_loop *);

/* The blocked analysis over the recording, printed as `blocked` prints it. */
static int report_blocked(struct session *s, struct common_opts *o, struct run_loop *rl)
{
	struct blocked_opts bo = { .replay = true, .keep_history = true };
	struct blocked *b = blocked_new(&bo);
	struct blocked_view v = { .out = o->out, .json = o->json,
				  .mono_to_real_ns = s->mono_to_real_ns };
	int status;

	if (!b || ev_bus_add(&s->bus, blocked_event, b)) {
		blocked_free(b);
		return errmsg(EX_SOFTWARE, "cannot set up the blocked analysis: out of memory");
	}
	status = session_drive(s, rl);
	if (!status && blocked_replay(b, s->last_ts_ns))
		status = errmsg(EX_OSERR, "out of memory analysing the recording");
	if (!status) {
		v.lost_events = s->lost_events;
		blocked_view_summary(&v, b, s->last_ts_ns);
	}
	blocked_free(b);
	return status;
}

static analysis_fn analysis_by_name(const char *name, bool *known)
{
	static const struct { const char *name; analysis_fn fn; } tab[] = {
		{ "summary", summary_session },
		{ "trace", trace_session },
		{ "leaks", leaks_session },
		{ "blocked", report_blocked },
		{ "latency", latency_session },
	};

	*known = false;
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (!strcmp(tab[i].name, name)) {
			*known = true;
			return tab[i].fn;
		}
	return NULL;
}

enum { OPT_SYMFS = 0x2400 };

static const struct argp_option report_options[] = {
	{ "symfs", OPT_SYMFS, "DIR", 0,
	  "Name creators' frames with the symbols of DIR: files found by build-id "
	  "(DIR/.build-id/xx/rest.debug, as /usr/lib/debug holds them) or by module "
	  "path or name, used only when their build-id matches (leaks)", 0 },
	{ 0 },
};

struct report_args {
	struct common_opts o;
	const char *file;
	const char *analysis;
};

static error_t report_parse(int key, char *arg, struct argp_state *state)
{
	struct report_args *a = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		opts_child_inputs(state, &a->o);
		break;
	case OPT_SYMFS:
		a->o.symfs = arg;
		break;
	case ARGP_KEY_ARG:
		if (state->arg_num == 0)
			a->file = arg;
		else if (state->arg_num == 1)
			a->analysis = arg;
		else
			argp_error(state, "unexpected argument '%s'", arg);
		break;
	case ARGP_KEY_END:
		if (!a->file)
			argp_error(state, "give the recording: ipcscope report FILE [ANALYSIS]");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_child report_children[] = {
	OPTS_CHILD_OUTPUT, { 0 },
};

static const struct argp report_argp = {
	report_options, report_parse, "FILE [summary|trace|leaks|blocked|latency]",
	"Analyse a recording made with `ipcscope record`, on any machine, without BPF "
	"and without root.  The analyses are the code of the live commands; only the "
	"event source differs, so the output has the same form as `ipcscope trace`, "
	"`leaks`, `blocked` and `latency` (with --json too).\n\n"
	"summary (the default): duration, calls per kind, the objects with the most "
	"calls and the most blocked time (latency of calls that slept), leak "
	"candidates, deadlocks, lost events.\n\n"
	"A damaged file is read as far as it can be: a truncated file (recorder "
	"killed) up to its last complete chunk, a corrupt chunk (CRC mismatch) is "
	"skipped; each problem is one line on stderr naming the offset and chunk.\v"
	"Examples:\n"
	"  ipcscope report night.ipcs\n"
	"  ipcscope report night.ipcs leaks --json\n"
	"  ipcscope report night.ipcs trace -o trace.txt\n"
	"  ipcscope report night.ipcs leaks --symfs /usr/lib/debug\n\n"
	"Exit status: that of the analysis (0, or 1 for findings); 64 usage, "
	"65 not a recording / newer format / nothing readable, 66 no such file, "
	"69 analysis not built in.",
	report_children, NULL, NULL,
};

static int cmd_report(int argc, char **argv)
{
	struct report_args a = { 0 };
	static char *rec_cmd[2];
	const struct file_info *fi;
	analysis_fn fn;
	struct session s;
	bool known;
	int status, err;

	opts_init(&a.o);
	status = opts_parse(&report_argp, argc, argv, &a, &a.o);
	if (status)
		return status;
	if (!a.analysis)
		a.analysis = "summary";
	fn = analysis_by_name(a.analysis, &known);
	if (!known) {
		opts_finish(&a.o);
		return errmsg(EX_USAGE, "unknown analysis '%s': use summary, trace, leaks, blocked or latency",
			      a.analysis);
	}
	if (!fn) {
		opts_finish(&a.o);
		return errmsg(EX_UNAVAILABLE, "report %s is not available in this build: use `ipcscope report FILE summary` or a newer ipcscope",
			      a.analysis);
	}
	status = file_session_open(&s, a.file);
	if (status) {
		opts_finish(&a.o);
		return status;
	}
	/* Analyse as the live command would have with the recorder's options. */
	fi = file_session_info(&s);
	a.o.kinds = fi->kinds;
	if (fi->cmd) {
		rec_cmd[0] = (char *)fi->cmd;
		a.o.cmd_argc = 1;
		a.o.cmd_argv = rec_cmd;
	}
	status = fn(&s, &a.o, NULL);
	file_session_close(&s);
	err = opts_finish(&a.o);
	return status ? status : err;
}

IPCSCOPE_COMMAND(report, cmd_report, "analyse a recording: summary, trace, leaks, blocked, latency", 60);
