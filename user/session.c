// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Driving a session's source to its end, live or replayed; see analyses.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analyses.h"
#include "ipcscope.h"
#include "analysis/tables_replay.h"
#include "source/mmaptrack.h"

void session_procs_refresh(struct session *s)
{
	if (s && s->mt && s->procs)
		mmaptrack_drain(s->mt, s->procs);
}

static void refresh_cb(void *ctx)
{
	session_procs_refresh(ctx);
}

static int stack_ips_cb(void *ctx, int32_t id, uint64_t *ips, size_t max)
{
	struct session *s = ctx;

	return s->stack_ips ? s->stack_ips(s, id, ips, max) : -ENOENT;
}

void session_stack_resolver(struct session *s, struct stack_resolver *r)
{
	memset(r, 0, sizeof(*r));
	r->procs = s->procs;
	r->live = s->live;
	r->stack_ips = stack_ips_cb;
	r->refresh = refresh_cb;
	r->ctx = s;
}

/* Keeps the session's first/last event time, which replay ticks follow. */
static int span_sink(void *ctx, const struct ev_hdr *ev)
{
	struct session *s = ctx;

	if (!s->first_ts_ns || ev->ts_ns < s->first_ts_ns)
		s->first_ts_ns = ev->ts_ns;
	if (ev->ts_ns > s->last_ts_ns)
		s->last_ts_ns = ev->ts_ns;
	return 0;
}

static void add_span_sink(struct session *s)
{
	for (int i = 0; i < s->bus.n; i++)
		if (s->bus.sinks[i].fn == span_sink)
			return;
	ev_bus_add(&s->bus, span_sink, s);
}

static int replay(struct session *s, struct run_loop *rl)
{
	uint64_t step = 0, next = 0;
	int n;

	if (rl && rl->tick)
		step = (uint64_t)((rl->interval > 0 ? rl->interval : 1.0) * 1e9);
	for (;;) {
		n = s->src->poll(s->src, 0);
		if (n == -ENODATA)
			break;
		if (n < 0)
			return errmsg(EX_DATAERR, "reading the recording failed: %s", strerror(-n));
		if (step && s->last_ts_ns) {
			if (!next)
				next = s->first_ts_ns + step;
			while (s->last_ts_ns >= next) {
				int r = rl->tick(rl->ctx);

				if (r == RUN_STOP) {
					rl->stopped = true;
					return 0;
				}
				if (r)
					return r;
				next += step;
			}
		}
	}
	return 0;
}

/*
 * A recording with no tables at its end (the recorder was killed, or the
 * disk filled): the tables as its events left them stand in, so that every
 * analysis works on a truncated recording.  Said once, on stderr.
 */
static int derive_end(struct session *s, struct tables_replay *t)
{
	struct ipc_snapshot *end = calloc(1, sizeof(*end));

	if (!end || tables_replay_snapshot(t, end)) {
		free(end);
		return errmsg(EX_OSERR, "out of memory");
	}
	s->end = end;
	s->end_derived = true;
	warnmsg("the recording ended early (no tables at its end: was the recorder killed?): "
		"its end is taken as its events left the tables, up to its last complete chunk");
	return 0;
}

int session_drive(struct session *s, struct run_loop *rl)
{
	struct run_loop def = { 0 };
	struct tables_replay *t = NULL;
	int r;

	add_span_sink(s);
	if (s->live) {
		if (!rl)
			rl = &def;
		rl->src = s->src;
		r = run_loop(rl);
	} else {
		if (!s->end) {
			t = tables_replay_new(s->start, s->mono_to_real_ns);
			if (!t || ev_bus_add(&s->bus, tables_replay_event, t)) {
				tables_replay_free(t);
				return errmsg(EX_OSERR, "out of memory");
			}
		}
		r = replay(s, rl);
		if (t) {
			ev_bus_del(&s->bus, tables_replay_event, t);
			if (!r)
				r = derive_end(s, t);
			tables_replay_free(t);
		}
	}
	if (!s->src)            /* live, tables only: no events */
		return r;
	if (s->src->lost)
		s->lost_events = s->src->lost(s->src);
	/* One place for sink failures, whatever the source. */
	if (s->src->sink_status && (!r || r == s->src->sink_status)) {
		int st = s->src->sink_status;

		r = st > 0 ? st : errmsg(EX_SOFTWARE, "analysing the events failed: %s: %s",
					 strerror(-st), hint_for_errno(-st));
	}
	return r;
}
