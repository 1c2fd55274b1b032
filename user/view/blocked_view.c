// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* View: blocked calls and deadlocks as text and JSON; see blocked_view.h. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "view/blocked_view.h"
#include "view/jsonw.h"

static uint64_t cycle_len(const struct blocked_cycle *c, uint64_t now)
{
	uint64_t end = c->open ? now : c->end_ns;

	return end > c->formed_ns ? end - c->formed_ns : 0;
}

static uint64_t wait_len(const struct blocked_wait *t, uint64_t now)
{
	uint64_t end = t->open ? now : t->end_ns;

	return end > t->start_ns ? end - t->start_ns : 0;
}

void blocked_view_cycle(const struct blocked_view *v, const struct blocked_cycle *c,
			uint64_t now)
{
	FILE *f = v->out;
	char when[32];

	format_ts(when, sizeof(when), c->formed_ns, v->mono_to_real_ns);
	if (c->formed_before_trace)
		fprintf(f, "DEADLOCK%s formed before %s (when tracing began), lasting at least %.1fs:\n",
			c->self ? " (self-wait)" : "", when, (double)cycle_len(c, now) / 1e9);
	else
		fprintf(f, "DEADLOCK%s formed %s, lasting %.1fs:\n", c->self ? " (self-wait)" : "",
			when, (double)cycle_len(c, now) / 1e9);
	for (size_t i = 0; i < c->n; i++) {
		const struct blocked_node *n = &c->nodes[i];

		fprintf(f, "  pid %d (%s) waits for sem %d[%u] (sem_op %d), held by pid %d [%s]\n",
			n->pid, n->comm, n->semid, n->semnum, n->sem_op, n->waits_for,
			wg_evidence_name(n->evidence));
	}
	fflush(f);
}

static void wait_row(FILE *f, const struct blocked_wait *t, uint64_t now)
{
	char obj[24], ops[64] = "", hold[96] = "";
	size_t len = 0;

	snprintf(obj, sizeof(obj), "%s %d", call_kind(t->w.call) == KIND_SEM ? "sem" : "msg",
		 t->w.id);
	for (uint32_t k = 0; k < t->w.nops && k < 4 && len < sizeof(ops); k++)
		len += (size_t)snprintf(ops + len, sizeof(ops) - len, "%s%u:%+d", k ? "," : "",
					t->w.ops[k].num, t->w.ops[k].op);
	if (t->w.call == CALL_MSGSND)
		snprintf(ops, sizeof(ops), "send %" PRIu64 "B", t->w.msg_size);
	else if (t->w.call == CALL_MSGRCV)
		snprintf(ops, sizeof(ops), "recv type %" PRId64, t->w.mtype);
	len = 0;
	for (int k = 0; k < t->nholders && len < sizeof(hold); k++)
		len += (size_t)snprintf(hold + len, sizeof(hold) - len, "%s%d(%s)", k ? " " : "",
					t->holders[k], wg_evidence_name(t->holder_evid[k]));
	fprintf(f, "  %-7d %-7d %-15s %-10s %-12s %8.1fs%s %-16s %s\n", t->w.pid, t->w.tid,
		t->w.comm, call_name(t->w.call), obj, (double)wait_len(t, now) / 1e9,
		t->before_trace ? "+" : " ", ops, hold[0] ? hold : "-");
}

void blocked_view_table(const struct blocked_view *v, const struct blocked *b, uint64_t now)
{
	FILE *f = v->out;
	size_t open = blocked_open_waits(b), dl = blocked_deadlocks_now(b);
	char when[32];

	format_ts(when, sizeof(when), now, v->mono_to_real_ns);
	fprintf(f, "%s  %zu blocked call%s, %zu deadlock%s\n", when, open, open == 1 ? "" : "s",
		dl, dl == 1 ? "" : "s");
	if (open) {
		fprintf(f, "  %-7s %-7s %-15s %-10s %-12s %9s  %-16s %s\n", "PID", "TID", "COMM",
			"CALL", "OBJECT", "WAITING", "OPS", "HOLDERS");
		for (size_t i = 0; i < blocked_nwaits(b); i++)
			if (blocked_wait_at(b, i)->open)
				wait_row(f, blocked_wait_at(b, i), now);
	}
	fflush(f);
}

/* Indices of the waits, longest first. */
static size_t *waits_by_length(const struct blocked *b, uint64_t now)
{
	size_t n = blocked_nwaits(b), *idx = calloc(n + 1, sizeof(*idx));

	if (!idx)
		return NULL;
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	/* insertion sort: summaries list few waits */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && wait_len(blocked_wait_at(b, idx[j]), now) >
					    wait_len(blocked_wait_at(b, idx[j - 1]), now); j--) {
			size_t t = idx[j];

			idx[j] = idx[j - 1];
			idx[j - 1] = t;
		}
	return idx;
}

static void json_wait(struct jsonw *w, const struct blocked_wait *t, uint64_t now)
{
	jsonw_start_object(w);
	jsonw_int_field(w, "pid", t->w.pid);
	jsonw_int_field(w, "tid", t->w.tid);
	jsonw_string_field(w, "comm", t->w.comm);
	jsonw_string_field(w, "call", call_name(t->w.call));
	jsonw_string_field(w, "kind", kind_name(call_kind(t->w.call)));
	jsonw_int_field(w, "id", t->w.id);
	jsonw_uint_field(w, "ipcns", t->w.ipcns);
	jsonw_uint_field(w, "wait_ns", wait_len(t, now));
	jsonw_bool_field(w, "predates_tracing", t->before_trace);
	jsonw_bool_field(w, "still_blocked", t->open);
	if (call_kind(t->w.call) == KIND_SEM) {
		jsonw_name(w, "sops");
		jsonw_start_array(w);
		for (uint32_t k = 0; k < t->w.nops && k < WG_MAX_OPS; k++) {
			jsonw_start_object(w);
			jsonw_uint_field(w, "num", t->w.ops[k].num);
			jsonw_int_field(w, "op", t->w.ops[k].op);
			jsonw_int_field(w, "flg", t->w.ops[k].flg);
			jsonw_end_object(w);
		}
		jsonw_end_array(w);
	} else {
		jsonw_uint_field(w, "size", t->w.msg_size);
		if (t->w.call == CALL_MSGRCV)
			jsonw_int_field(w, "mtype", t->w.mtype);
	}
	jsonw_name(w, "holders");
	jsonw_start_array(w);
	for (int k = 0; k < t->nholders; k++) {
		jsonw_start_object(w);
		jsonw_int_field(w, "pid", t->holders[k]);
		jsonw_string_field(w, "evidence", wg_evidence_name(t->holder_evid[k]));
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
	jsonw_end_object(w);
}

static void json_cycle(const struct blocked_view *v, struct jsonw *w,
		       const struct blocked_cycle *c, uint64_t now)
{
	jsonw_start_object(w);
	jsonw_name(w, "cycle");
	jsonw_start_array(w);
	for (size_t k = 0; k < c->n; k++) {
		const struct blocked_node *n = &c->nodes[k];

		jsonw_start_object(w);
		jsonw_int_field(w, "pid", n->pid);
		jsonw_int_field(w, "tid", n->tid);
		jsonw_string_field(w, "comm", n->comm);
		jsonw_int_field(w, "semid", n->semid);
		jsonw_uint_field(w, "semnum", n->semnum);
		jsonw_int_field(w, "sem_op", n->sem_op);
		jsonw_int_field(w, "waits_for_pid", n->waits_for);
		jsonw_string_field(w, "evidence", wg_evidence_name(n->evidence));
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
	jsonw_bool_field(w, "self", c->self);
	/* formed_before_trace: formed_at is when tracing began, an upper bound */
	jsonw_float_field(w, "formed_at", (double)((int64_t)c->formed_ns + v->mono_to_real_ns) / 1e9);
	jsonw_uint_field(w, "formed_at_mono_ns", c->formed_ns);
	jsonw_bool_field(w, "formed_before_trace", c->formed_before_trace);
	/* formed_before_trace: a lower bound ("lasting at least") */
	jsonw_uint_field(w, "duration_ns", cycle_len(c, now));
	jsonw_bool_field(w, "still_deadlocked", c->open);
	jsonw_end_object(w);
}

static void json_summary(const struct blocked_view *v, const struct blocked *b, uint64_t now)
{
	struct jsonw w;
	size_t *idx = waits_by_length(b, now);

	jsonw_init(&w, v->out, false);
	jsonw_start_object(&w);
	jsonw_name(&w, "deadlocks");
	jsonw_start_array(&w);
	for (size_t i = 0; i < blocked_ncycles(b); i++)
		if (blocked_cycle_at(b, i)->confirmed)
			json_cycle(v, &w, blocked_cycle_at(b, i), now);
	jsonw_end_array(&w);
	jsonw_name(&w, "waits");
	jsonw_start_array(&w);
	for (size_t i = 0; idx && i < blocked_nwaits(b); i++)
		json_wait(&w, blocked_wait_at(b, idx[i]), now);
	jsonw_end_array(&w);
	jsonw_uint_field(&w, "waits_omitted", blocked_waits_dropped(b));
	jsonw_uint_field(&w, "lost_events", v->lost_events);
	jsonw_bool_field(&w, "undo_evidence", v->undo_evidence);
	jsonw_end_object(&w);
	jsonw_eol(&w);
	free(idx);
}

void blocked_view_summary(const struct blocked_view *v, const struct blocked *b, uint64_t now)
{
	size_t dl = blocked_deadlocks(b);

	if (v->json) {
		json_summary(v, b, now);
		return;
	}
	fprintf(v->out, "--- %zu deadlock%s during the run, %" PRIu64 " lost events ---\n", dl,
		dl == 1 ? "" : "s", v->lost_events);
	for (size_t i = 0; i < blocked_ncycles(b); i++)
		if (blocked_cycle_at(b, i)->confirmed)
			blocked_view_cycle(v, blocked_cycle_at(b, i), now);
	blocked_view_table(v, b, now);
	if (blocked_waits_dropped(b))
		fprintf(v->out, "(%" PRIu64 " shorter ended waits not kept)\n",
			blocked_waits_dropped(b));
}
