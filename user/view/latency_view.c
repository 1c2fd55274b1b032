// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Latency tables as text and JSON (see latency_view.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "view/latency_view.h"

static void human_ns(uint64_t ns, char *buf, size_t len)
{
	if (ns < 1000)
		snprintf(buf, len, "%" PRIu64 "ns", ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.1fus", (double)ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.1fms", (double)ns / 1e6);
	else
		snprintf(buf, len, "%.2fs", (double)ns / 1e9);
}

/* libbpf-tools style: value ranges in usecs with a bar of stars */
static void print_hist(FILE *f, const __u64 *slots, const char *what)
{
	uint64_t maxv = 0;
	int first = -1, last = -1;

	for (int s = 0; s < IPCS_HIST_SLOTS; s++) {
		if (!slots[s])
			continue;
		if (first < 0)
			first = s;
		last = s;
		if (slots[s] > maxv)
			maxv = slots[s];
	}
	if (first < 0)
		return;
	fprintf(f, "     %-19s : count    distribution\n", what);
	for (int s = first; s <= last; s++) {
		uint64_t lo = s ? 1ull << s : 0, hi = (2ull << s) - 1;
		int stars = maxv ? (int)(slots[s] * 40 / maxv) : 0;
		char bar[41];

		memset(bar, '*', (size_t)stars);
		memset(bar + stars, ' ', (size_t)(40 - stars));
		bar[40] = 0;
		fprintf(f, "%10" PRIu64 " -> %-10" PRIu64 " : %-8" PRIu64 " |%s|\n", lo, hi,
			(uint64_t)slots[s], bar);
	}
}

void lat_print_text(FILE *f, const struct lat_table *t, bool per_object)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct lat_entry *e = &t->v[i];
		const struct hist_val *v = &e->val;
		char p50[16], p90[16], p99[16], mx[16], avg[16];

		if (!v->count)
			continue;
		human_ns(lat_percentile(v->slots, v->count, v->max_ns, 0.5), p50, sizeof(p50));
		human_ns(lat_percentile(v->slots, v->count, v->max_ns, 0.9), p90, sizeof(p90));
		human_ns(lat_percentile(v->slots, v->count, v->max_ns, 0.99), p99, sizeof(p99));
		human_ns(v->max_ns, mx, sizeof(mx));
		human_ns(v->sum_ns / v->count, avg, sizeof(avg));
		fprintf(f, "\n%s", call_name(e->key.call));
		if (per_object && e->key.id >= 0)
			fprintf(f, " %s %d", kind_name(call_kind(e->key.call)), e->key.id);
		fprintf(f, ": count %" PRIu64 ", errors %" PRIu64 ", avg %s, p50 %s, p90 %s, "
			"p99 %s, max %s\n", (uint64_t)v->count, (uint64_t)v->errors, avg, p50, p90, p99, mx);
		print_hist(f, v->slots, "nsecs (total)");
		if (t->offcpu && v->offcpu_sum_ns) {
			char off[16], on[16];

			human_ns(v->offcpu_sum_ns / v->count, off, sizeof(off));
			human_ns((v->sum_ns - (v->offcpu_sum_ns < v->sum_ns ? v->offcpu_sum_ns : v->sum_ns)) /
				 v->count, on, sizeof(on));
			uint64_t left = v->count - v->offcpu_slots[0];  /* went off-CPU */

			fprintf(f, "   blocked (off-CPU) avg %s, on-CPU avg %s; of %" PRIu64
				" calls %" PRIu64 " waited, %" PRIu64 " were only preempted, %" PRIu64
				" never blocked\n", off, on, (uint64_t)v->count, (uint64_t)v->waited,
				left > v->waited ? left - (uint64_t)v->waited : 0,
				(uint64_t)v->offcpu_slots[0]);
			/* slot 0 is "did not block": a bar for it would dwarf the rest */
			__u64 blocked[IPCS_HIST_SLOTS];
			memcpy(blocked, v->offcpu_slots, sizeof(blocked));
			blocked[0] = 0;
			print_hist(f, blocked, "nsecs (off-CPU)");
		}
	}
}

static void json_slots(struct jsonw *w, const char *name, const __u64 *slots)
{
	jsonw_name(w, name);
	jsonw_start_array(w);
	for (int s = 0; s < IPCS_HIST_SLOTS; s++) {
		if (!slots[s])
			continue;
		jsonw_start_object(w);
		jsonw_uint_field(w, "ge_ns", s ? 1ull << s : 0);
		jsonw_uint_field(w, "lt_ns", 2ull << s);
		jsonw_uint_field(w, "count", slots[s]);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
}

void lat_print_json(struct jsonw *w, const struct lat_table *t, bool per_object)
{
	jsonw_name(w, "histograms");
	jsonw_start_array(w);
	for (size_t i = 0; i < t->n; i++) {
		const struct lat_entry *e = &t->v[i];
		const struct hist_val *v = &e->val;

		if (!v->count)
			continue;
		jsonw_start_object(w);
		jsonw_string_field(w, "call", call_name(e->key.call));
		jsonw_string_field(w, "kind", kind_name(call_kind(e->key.call)));
		if (per_object) {
			jsonw_int_field(w, "id", e->key.id);
			jsonw_uint_field(w, "ipcns", e->key.ipcns);
		}
		jsonw_uint_field(w, "count", v->count);
		jsonw_uint_field(w, "errors", v->errors);
		jsonw_uint_field(w, "sum_ns", v->sum_ns);
		jsonw_uint_field(w, "max_ns", v->max_ns);
		jsonw_uint_field(w, "p50_ns", lat_percentile(v->slots, v->count, v->max_ns, 0.5));
		jsonw_uint_field(w, "p90_ns", lat_percentile(v->slots, v->count, v->max_ns, 0.9));
		jsonw_uint_field(w, "p99_ns", lat_percentile(v->slots, v->count, v->max_ns, 0.99));
		if (e->key.call == CALL_MSGSND || e->key.call == CALL_MSGRCV)
			jsonw_uint_field(w, "bytes", v->bytes);
		json_slots(w, "buckets", v->slots);
		if (t->offcpu) {
			jsonw_uint_field(w, "offcpu_sum_ns", v->offcpu_sum_ns);
			jsonw_uint_field(w, "waited", v->waited);
			json_slots(w, "offcpu_buckets", v->offcpu_slots);
		}
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
}


/* A queue's fill peak, or -1 when unknown (a recording: not sampled). */
static double peak_of(const struct lat_report_opts *r, int32_t id)
{
	return r && r->fill_peak ? r->fill_peak(r->ctx, id) : -1;
}

void lat_view_free(struct lat_view *v)
{
	lat_table_free(&v->calls);
	lat_table_free(&v->objs);
}

static void print_queues_text(FILE *f, const struct lat_report_opts *r, const struct lat_table *t, double secs)
{
	struct lat_queue *q;
	size_t n = lat_queues(t, &q);

	if (!n)
		return;
	fprintf(f, "\nMessage queues:\n  %-10s %10s %10s %12s %14s %10s %9s\n", "MSQID", "SENDS/S",
		"RECVS/S", "BYTES/S", "SEND-BLOCKED", "SEND-WAITS", "FILL-PEAK");
	for (size_t i = 0; i < n; i++) {
		double fp = peak_of(r, q[i].id);
		char peak[16] = "?", waits[24] = "-";

		if (fp >= 0)
			snprintf(peak, sizeof(peak), "%.0f%%", fp);
		if (t->offcpu)
			snprintf(waits, sizeof(waits), "%" PRIu64, q[i].send_waits);
		fprintf(f, "  %-10d %10.0f %10.0f %12.0f %13.3fs %10s %9s\n", q[i].id,
			(double)q[i].sends / secs, (double)q[i].recvs / secs,
			(double)(q[i].send_bytes + q[i].recv_bytes) / secs,
			(double)q[i].send_blocked_ns / 1e9, waits, peak);
	}
	free(q);
}

static void print_queues_json(struct jsonw *w, const struct lat_report_opts *r, const struct lat_table *t,
			      double secs)
{
	struct lat_queue *q;
	size_t n = lat_queues(t, &q);

	jsonw_name(w, "queues");
	jsonw_start_array(w);
	for (size_t i = 0; i < n; i++) {
		double f;

		jsonw_start_object(w);
		jsonw_int_field(w, "id", q[i].id);
		jsonw_uint_field(w, "ipcns", q[i].ipcns);
		jsonw_uint_field(w, "sends", q[i].sends);
		jsonw_uint_field(w, "recvs", q[i].recvs);
		jsonw_float_field(w, "sends_per_s", (double)q[i].sends / secs);
		jsonw_float_field(w, "recvs_per_s", (double)q[i].recvs / secs);
		jsonw_uint_field(w, "send_bytes", q[i].send_bytes);
		jsonw_uint_field(w, "recv_bytes", q[i].recv_bytes);
		jsonw_uint_field(w, "send_blocked_ns", q[i].send_blocked_ns);
		if (t->offcpu) {     /* unknown without the sched_switch hook */
			jsonw_uint_field(w, "send_waits", q[i].send_waits);
			jsonw_uint_field(w, "recv_waits", q[i].recv_waits);
		}
		jsonw_name(w, "fill_peak_pct");
		f = peak_of(r, q[i].id);
		if (f >= 0)
			jsonw_float(w, f);
		else
			jsonw_null(w);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
	free(q);
}

void lat_report_print(FILE *out, bool json, const struct lat_report_opts *r,
		      const struct lat_view *v, bool per_object, double secs, uint64_t lost,
		      const char *offcpu_note)
{
	const struct lat_table *show = per_object ? &v->objs : &v->calls;
	uint64_t dropped = v->objs.dropped;

	if (json) {
		struct jsonw w;

		jsonw_init(&w, out, false);
		jsonw_start_object(&w);
		jsonw_float_field(&w, "interval_s", secs);
		jsonw_uint_field(&w, "total_calls", lat_total_count(&v->calls));
		lat_print_json(&w, show, per_object);
		print_queues_json(&w, r, &v->objs, secs > 0 ? secs : 1);
		jsonw_bool_field(&w, "offcpu", v->calls.offcpu);
		if (offcpu_note)
			jsonw_string_field(&w, "offcpu_note", offcpu_note);
		jsonw_uint_field(&w, "dropped_histograms", dropped);
		jsonw_uint_field(&w, "lost_events", lost);
		jsonw_end_object(&w);
		jsonw_eol(&w);
	} else {
		fprintf(out, "Latency of System V IPC calls over %.1fs: %" PRIu64 " calls\n", secs,
			lat_total_count(&v->calls));
		lat_print_text(out, show, per_object);
		print_queues_text(out, r, &v->objs, secs > 0 ? secs : 1);
		if (offcpu_note)
			fprintf(out, "(%s)\n", offcpu_note);
		if (dropped)
			fprintf(out, "(%" PRIu64 " calls not counted per object: too many objects; use filters)\n",
				dropped);
		fputc('\n', out);
	}
	fflush(out);
}

