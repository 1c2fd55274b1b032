// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Latency tables as text and JSON (see latency_view.h). */
#include <inttypes.h>
#include <stdio.h>
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

