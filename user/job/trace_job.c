// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Job: every call as a line (view/trace_fmt.h) over a session, live
 * (`ipcscope trace`) or recorded (`ipcscope report FILE trace`).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "analyses.h"
#include "ipcscope.h"
#include "view/trace_fmt.h"

struct trace_state {
	struct common_opts *o;
	struct session *s;
	struct jsonw w;
	uint64_t calls, errors, proc_events;
};

static int trace_sink(void *ctx, const struct ev_hdr *ev)
{
	struct trace_state *t = ctx;

	if (ev->type == EV_CALL) {
		t->calls++;
		if (((const struct ev_call *)ev)->err)
			t->errors++;
	} else if (ev->type == EV_FORK || ev->type == EV_EXEC || ev->type == EV_EXIT) {
		t->proc_events++;
	}
	if (t->o->json) {
		if (trace_fmt_json(&t->w, ev))
			jsonw_eol(&t->w);
	} else {
		trace_fmt_text(t->o->out, ev, t->s->mono_to_real_ns);
	}
	return 0;
}

int trace_session(struct session *s, struct common_opts *o, struct run_loop *rl)
{
	struct trace_state t = { .o = o, .s = s };
	int r;

	jsonw_init(&t.w, o->out, false);
	if (ev_bus_add(&s->bus, trace_sink, &t))
		return errmsg(EX_SOFTWARE, "too many event consumers: report this bug");
	r = session_drive(s, rl);

	if (o->json) {
		jsonw_start_object(&t.w);
		jsonw_name(&t.w, "summary");
		jsonw_start_object(&t.w);
		jsonw_uint_field(&t.w, "calls", t.calls);
		jsonw_uint_field(&t.w, "errors", t.errors);
		jsonw_uint_field(&t.w, "proc_events", t.proc_events);
		jsonw_uint_field(&t.w, "events", s->bus.delivered);
		jsonw_uint_field(&t.w, "malformed", s->bus.malformed);
		jsonw_uint_field(&t.w, "lost_events", s->lost_events);
		if (s->last_ts_ns > s->first_ts_ns)
			jsonw_uint_field(&t.w, "span_ns", s->last_ts_ns - s->first_ts_ns);
		jsonw_end_object(&t.w);
		jsonw_end_object(&t.w);
		jsonw_eol(&t.w);
	} else {
		fprintf(o->out, "--- %" PRIu64 " calls (%" PRIu64 " failed), %" PRIu64
			" lost events ---\n", t.calls, t.errors, s->lost_events);
	}
	if (s->lost_events)
		warnmsg("%" PRIu64 " events were lost (the reader fell behind): raise --buffer-size or trace less with filters",
			s->lost_events);
	if (s->bus.malformed)
		warnmsg("%" PRIu64 " malformed records were skipped", s->bus.malformed);
	return r;
}

