// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Job: latency tables from recorded events (`ipcscope report FILE
 * latency`), the same view as the live command's in-kernel histograms.
 */
#include <errno.h>
#include <stdbool.h>

#include "analyses.h"
#include "analysis/latency.h"
#include "ipcscope.h"
#include "view/latency_view.h"

/* `report FILE latency`: the same table, from the recorded events. */
struct replay_ctx {
	struct lat_table t;
	bool per_object;
	bool any_offcpu;
};

static int replay_sink(void *ctx, const struct ev_hdr *ev)
{
	struct replay_ctx *c = ctx;

	if (ev->type == EV_CALL && ((const struct ev_call *)ev)->offcpu_ns)
		c->any_offcpu = true;
	return lat_table_event(&c->t, ev, true) ? -ENOMEM : 0;
}

int latency_session(struct session *s, struct common_opts *o, struct run_loop *rl)
{
	struct replay_ctx c = { 0 };
	struct lat_view v = { 0 };
	double secs;
	int r;

	if (s->live)
		return errmsg(EX_SOFTWARE, "latency_session is for recordings: report this bug");
	if (ev_bus_add(&s->bus, replay_sink, &c))
		return errmsg(EX_SOFTWARE, "too many event consumers: report this bug");
	r = session_drive(s, rl);
	c.t.offcpu = c.any_offcpu;
	secs = s->last_ts_ns > s->first_ts_ns ? (double)(s->last_ts_ns - s->first_ts_ns) / 1e9 : 0;
	v.objs = c.t;
	if (lat_table_by_call(&c.t, &v.calls))
		return errmsg(EX_OSERR, "out of memory: free some memory and retry");
	lat_report_print(o->out, o->json, NULL, &v, false, secs, s->lost_events,
		    c.any_offcpu ? NULL : "off-CPU time was not recorded");
	lat_view_free(&v);
	return r;
}

