// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Job: `report summary`: duration, calls per kind, the busiest objects by
 * calls and by blocked time, leak candidates, deadlocks, lost events.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analyses.h"
#include "analysis/blocked.h"
#include "analysis/leaks.h"
#include "analysis/summary.h"
#include "ipcscope.h"
#include "source/file.h"

#define TOP_N 10

/* ------------------------------------------------------------- session */

/* Provided by other parts of ipcscope when they are built in. */
#pragma weak snapshot_free

static const char *kind_upper(unsigned int k)
{
	return k == KIND_SHM ? "shm" : k == KIND_SEM ? "sem" : k == KIND_MSG ? "msg" : "?";
}

static int32_t key_of(const struct session *s, const struct summary_obj *o, bool *known)
{
	const struct ipc_snapshot *snaps[2] = { s->end, s->start };

	*known = o->key_known;
	if (o->key_known)
		return o->key;
	for (int k = 0; k < 2; k++) {
		const struct ipc_snapshot *sn = snaps[k];

		if (!sn)
			continue;
		for (size_t i = 0; o->kind == KIND_SHM && i < sn->nshm; i++)
			if (sn->shm[i].c.id == o->id)
				return *known = true, sn->shm[i].c.key;
		for (size_t i = 0; o->kind == KIND_SEM && i < sn->nsem; i++)
			if (sn->sem[i].c.id == o->id)
				return *known = true, sn->sem[i].c.key;
		for (size_t i = 0; o->kind == KIND_MSG && i < sn->nmsg; i++)
			if (sn->msg[i].c.id == o->id)
				return *known = true, sn->msg[i].c.key;
	}
	return 0;
}

static void json_objs(struct jsonw *w, const struct session *s, const struct summary_obj **v,
		      size_t n)
{
	jsonw_start_array(w);
	for (size_t i = 0; i < n; i++) {
		bool known;
		int32_t key = key_of(s, v[i], &known);

		jsonw_start_object(w);
		jsonw_string_field(w, "kind", kind_name(v[i]->kind));
		jsonw_int_field(w, "id", v[i]->id);
		jsonw_name(w, "key");
		if (known)
			jsonw_uint(w, (uint32_t)key);
		else
			jsonw_null(w);
		jsonw_uint_field(w, "ipcns", v[i]->ipcns);
		jsonw_uint_field(w, "calls", v[i]->calls);
		jsonw_uint_field(w, "errors", v[i]->errors);
		jsonw_uint_field(w, "blocked_calls", v[i]->blocked_calls);
		jsonw_uint_field(w, "blocked_ns", v[i]->blocked_ns);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
}

static void text_objs(FILE *f, const struct session *s, const struct summary_obj **v, size_t n,
		      bool by_blocked)
{
	for (size_t i = 0; i < n; i++) {
		bool known;
		int32_t key = key_of(s, v[i], &known);
		char keys[24] = "-";

		if (known)
			snprintf(keys, sizeof(keys), "0x%08x", (uint32_t)key);
		if (by_blocked)
			fprintf(f, "  %s %-8d key %-10s %12.6f s blocked in %" PRIu64 " calls\n",
				kind_upper(v[i]->kind), v[i]->id, keys, v[i]->blocked_ns / 1e9,
				v[i]->blocked_calls);
		else
			fprintf(f, "  %s %-8d key %-10s %10" PRIu64 " calls %8" PRIu64 " failed\n",
				kind_upper(v[i]->kind), v[i]->id, keys, v[i]->calls, v[i]->errors);
	}
	if (!n)
		fprintf(f, "  (none)\n");
}

/* Leak candidates at the end, with the leaks analysis run alongside. */
static int count_leaks(struct session *s, struct leaks *l, long *out)
{
	struct leak_report r;
	struct ipc_snapshot snap;
	const struct ipc_snapshot *now = s->end;
	int err;

	*out = -1;
	memset(&snap, 0, sizeof(snap));
	if (!now) {
		if (!s->snapshot_now || s->snapshot_now(s, &snap))
			return -ENOENT;
		now = &snap;
	}
	err = leaks_find(l, now, &r);
	if (!err) {
		*out = (long)r.n;
		leak_report_free(&r);
	}
	if (now == &snap) {
		if (snapshot_free)
			snapshot_free(&snap);
	}
	return err;
}

static void print_recording_text(FILE *f, const struct file_info *fi)
{
	char when[64] = "?";
	time_t t = (time_t)(fi->host.start_real_ns / 1000000000);
	struct tm tm;

	if (localtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %z", &tm);
	fprintf(f, "Recording: %s, kernel %s (%s), started %s, ipcscope %s\n",
		fi->host.hostname, fi->host.release, fi->host.machine, when,
		fi->host.tool_version);
	if (fi->argv)
		fprintf(f, "Recorded with: %s\n", fi->argv);
	if (fi->truncated)
		fprintf(f, "File: truncated (no end marker): the recorder was killed or is still running\n");
	if (fi->corrupt)
		fprintf(f, "File: %u damaged chunk(s) skipped\n", fi->corrupt);
}

static void print_recording_json(struct jsonw *w, const struct file_info *fi)
{
	jsonw_name(w, "recording");
	jsonw_start_object(w);
	jsonw_string_field(w, "hostname", fi->host.hostname);
	jsonw_string_field(w, "kernel", fi->host.release);
	jsonw_string_field(w, "machine", fi->host.machine);
	jsonw_string_field(w, "ipcscope_version", fi->host.tool_version);
	jsonw_uint_field(w, "format_version", fi->host.version);
	jsonw_int_field(w, "start_real_ns", fi->host.start_real_ns);
	jsonw_uint_field(w, "chunks", fi->chunks);
	jsonw_bool_field(w, "truncated", fi->truncated);
	jsonw_uint_field(w, "corrupt_chunks", fi->corrupt);
	jsonw_string_field(w, "argv", fi->argv);
	jsonw_end_object(w);
}

int summary_session(struct session *s, struct common_opts *o, struct run_loop *rl)
{
	const struct summary_obj *top[TOP_N], *topb[TOP_N];
	const struct file_info *fi;
	struct leaks_opts lo = { 0 };
	struct summary sm;
	struct leaks *l;
	size_t ntop, ntopb;
	uint64_t duration = 0, calls = 0, errors = 0;
	long leaks = -1, deadlocks = -1;
	struct blocked_opts bo = { .replay = true };
	struct blocked *br = blocked_new(&bo);
	int status;

	summary_init(&sm);
	lo.kinds = o->kinds;
	lo.only_traced = o->cmd_argc > 0;
	/* ids repeat across IPC namespaces: only the tables' namespace */
	lo.ipcns = s->start ? s->start->ipcns : s->ipcns;
	if (s->start)
		lo.start_real = s->start->taken_real;
	l = leaks_new(&lo, s->start);
	if (!l || !br || ev_bus_add(&s->bus, summary_event, &sm) ||
	    ev_bus_add(&s->bus, leaks_event, l) || ev_bus_add(&s->bus, blocked_event, br)) {
		leaks_free(l);
		blocked_free(br);
		return errmsg(EX_SOFTWARE, "cannot set up the summary: out of memory or too many consumers");
	}
	status = session_drive(s, rl);
	if (status) {
		leaks_free(l);
		blocked_free(br);
		summary_fini(&sm);
		return status;
	}
	deadlocks = blocked_replay(br, s->last_ts_ns) ? -1 : (long)blocked_deadlocks(br);
	blocked_free(br);
	if (count_leaks(s, l, &leaks))
		warnmsg("no IPC tables at the end: leak candidates not counted");
	leaks_free(l);
	ntop = summary_top(&sm, false, top, TOP_N);
	ntopb = summary_top(&sm, true, topb, TOP_N);
	fi = file_session_info(s);
	if (fi && fi->host.start_mono_ns && fi->end_mono_ns > fi->host.start_mono_ns)
		duration = fi->end_mono_ns - fi->host.start_mono_ns;
	else if (sm.last_ts > sm.first_ts)
		duration = sm.last_ts - sm.first_ts;
	for (int c = 1; c < CALL__MAX; c++) {
		calls += sm.calls[c].count;
		errors += sm.calls[c].errors;
	}

	if (o->json) {
		struct jsonw w;

		jsonw_init(&w, o->out, false);
		jsonw_start_object(&w);
		if (fi)
			print_recording_json(&w, fi);
		jsonw_uint_field(&w, "duration_ns", duration);
		jsonw_uint_field(&w, "events", sm.events);
		jsonw_uint_field(&w, "calls_total", calls);
		jsonw_uint_field(&w, "errors_total", errors);
		jsonw_name(&w, "calls");
		jsonw_start_object(&w);
		for (int c = 1; c < CALL__MAX; c++) {
			const struct summary_call *sc = &sm.calls[c];

			if (!sc->count)
				continue;
			jsonw_name(&w, call_name(c));
			jsonw_start_object(&w);
			jsonw_uint_field(&w, "count", sc->count);
			jsonw_uint_field(&w, "errors", sc->errors);
			jsonw_uint_field(&w, "total_ns", sc->lat_ns);
			jsonw_uint_field(&w, "max_ns", sc->max_ns);
			jsonw_uint_field(&w, "blocked_calls", sc->blocked_calls);
			jsonw_uint_field(&w, "blocked_ns", sc->blocked_ns);
			jsonw_end_object(&w);
		}
		jsonw_end_object(&w);
		jsonw_uint_field(&w, "proc_events", sm.proc_events);
		jsonw_uint_field(&w, "still_blocked", sm.still_blocked);
		jsonw_name(&w, "top_by_calls");
		json_objs(&w, s, top, ntop);
		jsonw_name(&w, "top_by_blocked");
		json_objs(&w, s, topb, ntopb);
		jsonw_name(&w, "leaks");
		if (leaks >= 0)
			jsonw_int(&w, leaks);
		else
			jsonw_null(&w);
		jsonw_name(&w, "deadlocks");
		if (deadlocks >= 0)
			jsonw_int(&w, deadlocks);
		else
			jsonw_null(&w);
		jsonw_uint_field(&w, "malformed", s->bus.malformed);
		jsonw_uint_field(&w, "lost_events", s->lost_events);
		jsonw_end_object(&w);
		jsonw_eol(&w);
	} else {
		FILE *f = o->out;

		if (fi)
			print_recording_text(f, fi);
		fprintf(f, "Duration: %.3f s, %" PRIu64 " events\n", duration / 1e9, sm.events);
		fprintf(f, "\nCalls: %" PRIu64 " (%" PRIu64 " failed)\n", calls, errors);
		fprintf(f, "  %-11s %10s %8s %12s %12s %14s\n", "CALL", "COUNT", "FAILED",
			"AVG(us)", "MAX(us)", "BLOCKED(s)");
		for (int c = 1; c < CALL__MAX; c++) {
			const struct summary_call *sc = &sm.calls[c];

			if (!sc->count)
				continue;
			fprintf(f, "  %-11s %10" PRIu64 " %8" PRIu64 " %12.1f %12.1f %14.6f\n",
				call_name(c), sc->count, sc->errors,
				sc->lat_ns / 1e3 / sc->count, sc->max_ns / 1e3, sc->blocked_ns / 1e9);
		}
		fprintf(f, "\nTop objects by calls:\n");
		text_objs(f, s, top, ntop, false);
		fprintf(f, "\nTop objects by blocked time:\n");
		text_objs(f, s, topb, ntopb, true);
		fprintf(f, "\n");
		if (leaks >= 0)
			fprintf(f, "Leak candidates: %ld%s\n", leaks,
				leaks ? " (details: `ipcscope report FILE leaks`)" : "");
		else
			fprintf(f, "Leak candidates: unknown (no IPC tables at the end)\n");
		if (deadlocks >= 0)
			fprintf(f, "Deadlocks: %ld%s\n", deadlocks,
				deadlocks ? " (details: `ipcscope report FILE blocked`)" : "");
		else
			fprintf(f, "Deadlocks: not analysed (out of memory)\n");
		if (sm.still_blocked)
			fprintf(f, "Calls still blocked at the end: %" PRIu64 "\n", sm.still_blocked);
		fprintf(f, "Lost events: %" PRIu64 "\n", s->lost_events);
	}
	if (s->lost_events)
		warnmsg("%" PRIu64 " events were lost while recording: counts are lower bounds",
			s->lost_events);
	summary_fini(&sm);
	return 0;
}
