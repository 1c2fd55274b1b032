// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Prometheus metrics: families built from a metrics_input; see metrics.h. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "view/metrics.h"

/* ---- escaping and value formatting ---------------------------------- */

void metrics_escape_label(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '\\': fputs("\\\\", f); break;
		case '"':  fputs("\\\"", f); break;
		case '\n': fputs("\\n", f); break;
		default:   fputc(*s, f);
		}
	}
}

void metrics_escape_help(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		default:   fputc(*s, f);
		}
	}
}

/* Integers print exactly; other values with enough digits to round-trip. */
static void put_value(FILE *f, double v)
{
	if (isnan(v))
		fputs("NaN", f);
	else if (isinf(v))
		fputs(v > 0 ? "+Inf" : "-Inf", f);
	else if (v == floor(v) && fabs(v) < 1e15)
		fprintf(f, "%.0f", v);
	else
		fprintf(f, "%.9g", v);
}

static const char *type_name(enum metrics_type t)
{
	switch (t) {
	case MT_COUNTER: return "counter";
	case MT_HISTOGRAM: return "histogram";
	default: return "gauge";
	}
}

/* ---- text emitter ---------------------------------------------------- */

static void text_family(struct metrics_emitter *e, const char *name,
			enum metrics_type type, const char *help)
{
	fprintf(e->f, "# HELP %s ", name);
	metrics_escape_help(e->f, help);
	fprintf(e->f, "\n# TYPE %s %s\n", name, type_name(type));
}

static void text_sample(struct metrics_emitter *e, const char *name,
			const struct metrics_label *l, size_t n, double v)
{
	fputs(name, e->f);
	if (n) {
		fputc('{', e->f);
		for (size_t i = 0; i < n; i++) {
			fprintf(e->f, "%s%s=\"", i ? "," : "", l[i].name);
			metrics_escape_label(e->f, l[i].value);
			fputc('"', e->f);
		}
		fputc('}', e->f);
	}
	fputc(' ', e->f);
	put_value(e->f, v);
	fputc('\n', e->f);
	e->samples++;
}

static void text_finish(struct metrics_emitter *e)
{
	(void)e;
}

void metrics_text_emitter(struct metrics_emitter *e, FILE *f)
{
	memset(e, 0, sizeof(*e));
	e->family = text_family;
	e->sample = text_sample;
	e->finish = text_finish;
	e->f = f;
}

/* ---- JSON emitter: {"metrics":[{"name","type","help","samples":[...]}]} */

static void json_family(struct metrics_emitter *e, const char *name,
			enum metrics_type type, const char *help)
{
	if (!e->started) {
		jsonw_start_object(&e->jw);
		jsonw_name(&e->jw, "metrics");
		jsonw_start_array(&e->jw);
		e->started = true;
	} else {
		jsonw_end_array(&e->jw);   /* samples of the previous family */
		jsonw_end_object(&e->jw);
	}
	jsonw_start_object(&e->jw);
	jsonw_string_field(&e->jw, "name", name);
	jsonw_string_field(&e->jw, "type", type_name(type));
	jsonw_string_field(&e->jw, "help", help);
	jsonw_name(&e->jw, "samples");
	jsonw_start_array(&e->jw);
}

static void json_sample(struct metrics_emitter *e, const char *name,
			const struct metrics_label *l, size_t n, double v)
{
	jsonw_start_object(&e->jw);
	jsonw_string_field(&e->jw, "name", name);
	jsonw_name(&e->jw, "labels");
	jsonw_start_object(&e->jw);
	for (size_t i = 0; i < n; i++)
		jsonw_string_field(&e->jw, l[i].name, l[i].value);
	jsonw_end_object(&e->jw);
	jsonw_name(&e->jw, "value");
	if (isfinite(v))
		jsonw_float(&e->jw, v);
	else
		jsonw_string(&e->jw, isnan(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf");
	jsonw_end_object(&e->jw);
	e->samples++;
}

static void json_finish(struct metrics_emitter *e)
{
	if (!e->started) {
		jsonw_start_object(&e->jw);
		jsonw_name(&e->jw, "metrics");
		jsonw_start_array(&e->jw);
	} else {
		jsonw_end_array(&e->jw);
		jsonw_end_object(&e->jw);
	}
	jsonw_end_array(&e->jw);
	jsonw_end_object(&e->jw);
	jsonw_eol(&e->jw);
}

void metrics_json_emitter(struct metrics_emitter *e, FILE *f, bool pretty)
{
	memset(e, 0, sizeof(*e));
	e->family = json_family;
	e->sample = json_sample;
	e->finish = json_finish;
	e->f = f;
	jsonw_init(&e->jw, f, pretty);
}

/* ---- helpers over tables --------------------------------------------- */

uint64_t metrics_hist_buckets(const __u64 slots[IPCS_HIST_SLOTS],
			      double le[METRICS_HIST_BUCKETS],
			      uint64_t cum[METRICS_HIST_BUCKETS])
{
	uint64_t run = 0;

	/* Slot s holds integers up to 2^(s+1) - 1 ns, so le = 2^(s+1) ns holds. */
	for (unsigned int s = 0; s < METRICS_HIST_BUCKETS; s++) {
		run += slots[s];
		cum[s] = run;
		le[s] = ldexp(1.0, (int)s + 1) / 1e9;
	}
	return run + slots[IPCS_HIST_SLOTS - 1];
}

double metrics_queue_fill(const struct msg_obj *q)
{
	return q->qbytes ? (double)q->cbytes / (double)q->qbytes : 0.0;
}

uint64_t metrics_sem_waiters(const struct ipc_snapshot *s)
{
	uint64_t n = 0;

	for (size_t i = 0; s && i < s->nsem; i++) {
		const struct sem_obj *o = &s->sem[i];

		for (uint32_t j = 0; o->sems && j < o->nsems; j++)
			n += (uint64_t)(o->sems[j].ncnt > 0 ? o->sems[j].ncnt : 0) +
			     (uint64_t)(o->sems[j].zcnt > 0 ? o->sems[j].zcnt : 0);
	}
	return n;
}

/* ---- the families ---------------------------------------------------- */

static const unsigned int kinds[] = { KIND_SHM, KIND_SEM, KIND_MSG };

static void fam(struct metrics_emitter *e, const char *n, enum metrics_type t, const char *h)
{
	e->family(e, n, t, h);
}

/* Per-namespace totals of one snapshot. */
struct ns_totals {
	char ns[16];
	size_t counts[4];
	uint64_t shm_bytes, msg_bytes, msgs, nattch, nsems, unattached;
};

static void totals_of(const struct ipc_snapshot *s, struct ns_totals *t)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->ns, sizeof(t->ns), "%u", s->ipcns);
	t->counts[KIND_SHM] = s->nshm;
	t->counts[KIND_SEM] = s->nsem;
	t->counts[KIND_MSG] = s->nmsg;
	for (size_t i = 0; i < s->nshm; i++) {
		t->shm_bytes += s->shm[i].size;
		t->nattch += s->shm[i].nattch;
		t->unattached += s->shm[i].nattch == 0;
	}
	for (size_t i = 0; i < s->nmsg; i++) {
		t->msg_bytes += s->msg[i].cbytes;
		t->msgs += s->msg[i].qnum;
	}
	for (size_t i = 0; i < s->nsem; i++)
		t->nsems += s->sem[i].nsems;
}

/* A gauge per namespace, labelled ipcns. */
static void per_ns(struct metrics_emitter *e, const char *name, const char *help,
		   const struct ns_totals *t, size_t n, size_t field)
{
	fam(e, name, MT_GAUGE, help);
	for (size_t i = 0; i < n; i++) {
		struct metrics_label l[] = { { "ipcns", t[i].ns } };

		e->sample(e, name, l, 1, (double)*(const uint64_t *)((const char *)&t[i] + field));
	}
}

struct queue_ref {
	const struct ipc_snapshot *s;
	const struct msg_obj *q;
};

static int cmp_queue_ref(const void *a, const void *b)
{
	const struct queue_ref *x = a, *y = b;
	double fx = metrics_queue_fill(x->q), fy = metrics_queue_fill(y->q);

	if (fx != fy)
		return fx > fy ? -1 : 1;
	if (x->s->ipcns != y->s->ipcns)
		return x->s->ipcns < y->s->ipcns ? -1 : 1;
	return (x->q->c.id > y->q->c.id) - (x->q->c.id < y->q->c.id);
}

/* The fullest queues of every namespace, capped at top_n series in all. */
static void build_queues(struct metrics_emitter *e, const struct metrics_input *in,
			 const struct ipc_snapshot *const *snaps, size_t nsnaps)
{
	size_t top = in->top_n ? in->top_n : METRICS_TOP_N_DEFAULT, total = 0, k = 0;
	struct queue_ref *refs;
	char ns[16], id[16], key[16];

	for (size_t i = 0; i < nsnaps; i++)
		total += snaps[i]->nmsg;
	if (!total)
		return;
	refs = calloc(total, sizeof(*refs));
	if (!refs)
		return;
	for (size_t i = 0; i < nsnaps; i++)
		for (size_t j = 0; j < snaps[i]->nmsg; j++)
			refs[k++] = (struct queue_ref){ snaps[i], &snaps[i]->msg[j] };
	qsort(refs, total, sizeof(*refs), cmp_queue_ref);
	if (top > total)
		top = total;

	fam(e, "ipcscope_msg_queue_fill_ratio", MT_GAUGE,
	    "Bytes queued over the queue's capacity (qbytes), for the fullest queues (capped by --top).");
	for (size_t i = 0; i < top; i++) {
		struct metrics_label l[] = { { "ipcns", ns }, { "id", id }, { "key", key } };

		snprintf(ns, sizeof(ns), "%u", refs[i].s->ipcns);
		snprintf(id, sizeof(id), "%d", refs[i].q->c.id);
		snprintf(key, sizeof(key), "0x%08x", (uint32_t)refs[i].q->c.key);
		e->sample(e, "ipcscope_msg_queue_fill_ratio", l, 3, metrics_queue_fill(refs[i].q));
	}
	fam(e, "ipcscope_msg_queue_series_omitted", MT_GAUGE,
	    "Queues left out of the per-queue series by the --top cap.");
	e->sample(e, "ipcscope_msg_queue_series_omitted", NULL, 0, (double)(total - top));
	free(refs);
}

static void build_tables(struct metrics_emitter *e, const struct metrics_input *in,
			 const struct ipc_snapshot *const *snaps, size_t n)
{
	struct ns_totals *t = calloc(n, sizeof(*t));

	if (!t)
		return;
	for (size_t i = 0; i < n; i++)
		totals_of(snaps[i], &t[i]);

	fam(e, "ipcscope_objects", MT_GAUGE,
	    "System V IPC objects present, per kind and IPC namespace.");
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < 3; k++) {
			struct metrics_label l[] = { { "kind", kind_name(kinds[k]) },
						     { "ipcns", t[i].ns } };

			e->sample(e, "ipcscope_objects", l, 2, (double)t[i].counts[kinds[k]]);
		}
	fam(e, "ipcscope_bytes", MT_GAUGE,
	    "Bytes held: shared memory segment sizes and message queue contents.");
	for (size_t i = 0; i < n; i++) {
		struct metrics_label l[] = { { "kind", "shm" }, { "ipcns", t[i].ns } };

		e->sample(e, "ipcscope_bytes", l, 2, (double)t[i].shm_bytes);
		l[0].value = "msg";
		e->sample(e, "ipcscope_bytes", l, 2, (double)t[i].msg_bytes);
	}
	per_ns(e, "ipcscope_shm_attachments",
	       "Attachments (nattch) summed over shared memory segments.",
	       t, n, offsetof(struct ns_totals, nattch));
	per_ns(e, "ipcscope_shm_unattached_segments",
	       "Shared memory segments with no process attached.",
	       t, n, offsetof(struct ns_totals, unattached));
	per_ns(e, "ipcscope_semaphores", "Semaphores summed over semaphore sets.",
	       t, n, offsetof(struct ns_totals, nsems));
	per_ns(e, "ipcscope_msg_messages", "Messages waiting in message queues.",
	       t, n, offsetof(struct ns_totals, msgs));
	fam(e, "ipcscope_table_parse_warnings", MT_GAUGE,
	    "Lines of /proc/sysvipc that could not be parsed in the last read.");
	for (size_t i = 0; i < n; i++) {
		struct metrics_label l[] = { { "ipcns", t[i].ns } };

		e->sample(e, "ipcscope_table_parse_warnings", l, 1, (double)snaps[i]->warnings);
	}
	build_queues(e, in, snaps, n);
	free(t);
}

static void build_limits(struct metrics_emitter *e, const struct metrics_input *in)
{
	const struct ipc_limits *L = in->limits;
	char name[32];

	/* Pages are converted to bytes: base units. */
	fam(e, "ipcscope_limit", MT_GAUGE,
	    "Kernel System V IPC limit (sysctl kernel.shm*, kernel.sem, kernel.msg*).");
	for (int pass = 0; pass < 3; pass++) {
		const char *metric = pass == 0 ? "ipcscope_limit" :
				     pass == 1 ? "ipcscope_limit_usage" : "ipcscope_limit_usage_ratio";

		if (pass == 1)
			fam(e, metric, MT_GAUGE, "Current usage counted against the limit, in the limit's unit.");
		else if (pass == 2)
			fam(e, metric, MT_GAUGE, "Usage over limit (0..1).");
		for (int i = 0; i < LIM__COUNT; i++) {
			const struct ipc_limit *l = &L->l[i];
			bool pages = l->unit && !strcmp(l->unit, "pages") && L->page_size;
			double mul = pages ? (double)L->page_size : 1.0;
			struct metrics_label lb[] = {
				{ "limit", name }, { "unit", pages ? "bytes" : (l->unit ? l->unit : "") },
			};
			size_t j;

			if (!l->name)
				continue;
			if (pass && !l->has_usage)
				continue;
			for (j = 0; l->name[j] && j < sizeof(name) - 1; j++)
				name[j] = (char)(l->name[j] >= 'A' && l->name[j] <= 'Z' ?
						 l->name[j] - 'A' + 'a' : l->name[j]);
			name[j] = '\0';
			if (pass == 0)
				e->sample(e, metric, lb, 2, (double)l->value * mul);
			else if (pass == 1)
				e->sample(e, metric, lb, 2, (double)l->usage * mul);
			else
				e->sample(e, metric, lb, 1, l->value ? (double)l->usage / (double)l->value : 0.0);
		}
	}
}

static void build_calls(struct metrics_emitter *e, const struct metrics_input *in)
{
	double le[METRICS_HIST_BUCKETS];
	uint64_t cum[METRICS_HIST_BUCKETS];
	char lebuf[32];

	fam(e, "ipcscope_syscalls_total", MT_COUNTER, "System V IPC syscalls completed, per syscall.");
	for (unsigned int c = CALL_NONE + 1; c < CALL__MAX; c++) {
		struct metrics_label l[] = { { "syscall", call_name(c) } };

		e->sample(e, "ipcscope_syscalls_total", l, 1, (double)in->calls[c].count);
	}
	fam(e, "ipcscope_syscall_errors_total", MT_COUNTER,
	    "System V IPC syscalls that returned an error, per syscall.");
	for (unsigned int c = CALL_NONE + 1; c < CALL__MAX; c++) {
		struct metrics_label l[] = { { "syscall", call_name(c) } };

		e->sample(e, "ipcscope_syscall_errors_total", l, 1, (double)in->calls[c].errors);
	}
	fam(e, "ipcscope_syscall_duration_seconds", MT_HISTOGRAM,
	    "Time from syscall entry to exit, per syscall (log2 buckets aggregated in the kernel).");
	for (unsigned int c = CALL_NONE + 1; c < CALL__MAX; c++) {
		const struct hist_val *h = &in->calls[c];
		uint64_t total = metrics_hist_buckets(h->slots, le, cum);
		struct metrics_label l[] = { { "syscall", call_name(c) }, { "le", lebuf } };

		/* Keep the series set fixed per syscall once it has been seen. */
		if (!total && !h->count)
			continue;
		for (unsigned int b = 0; b < METRICS_HIST_BUCKETS; b++) {
			snprintf(lebuf, sizeof(lebuf), "%.9g", le[b]);
			e->sample(e, "ipcscope_syscall_duration_seconds_bucket", l, 2, (double)cum[b]);
		}
		snprintf(lebuf, sizeof(lebuf), "+Inf");
		e->sample(e, "ipcscope_syscall_duration_seconds_bucket", l, 2, (double)total);
		e->sample(e, "ipcscope_syscall_duration_seconds_sum", l, 1, (double)h->sum_ns / 1e9);
		e->sample(e, "ipcscope_syscall_duration_seconds_count", l, 1, (double)total);
	}
}

uint64_t metrics_build(struct metrics_emitter *e, const struct metrics_input *in)
{
	uint64_t before = e->samples;

	{
		struct metrics_label l[] = { { "version", in->version ? in->version : "unknown" } };

		fam(e, "ipcscope_build_info", MT_GAUGE, "Always 1; the version label says which ipcscope.");
		e->sample(e, "ipcscope_build_info", l, 1, 1);
	}
	fam(e, "ipcscope_tracing", MT_GAUGE,
	    "1 when BPF tracing is attached (syscall and analysis metrics are live), else 0.");
	e->sample(e, "ipcscope_tracing", NULL, 0, in->tracing ? 1 : 0);

	if (in->nsnaps)
		build_tables(e, in, in->snaps, in->nsnaps);
	else if (in->snap)
		build_tables(e, in, &in->snap, 1);
	if (in->limits)
		build_limits(e, in);

	if (in->have_waiters || (in->snap && in->sem_values)) {
		fam(e, "ipcscope_blocked_waiters", MT_GAUGE,
		    "Tasks blocked waiting on an IPC object, per kind.");
		for (size_t k = 0; k < 3; k++) {
			struct metrics_label l[] = { { "kind", kind_name(kinds[k]) } };
			uint64_t v = in->have_waiters ? in->waiters[kinds[k]] : 0;

			/* Without the wait graph, semncnt/semzcnt still count sem waiters. */
			if (!in->have_waiters && kinds[k] != KIND_SEM)
				continue;
			if (!in->have_waiters)
				v = metrics_sem_waiters(in->snap);
			e->sample(e, "ipcscope_blocked_waiters", l, 1, (double)v);
		}
	}
	if (in->have_leaks) {
		fam(e, "ipcscope_leak_candidates", MT_GAUGE,
		    "Objects whose creator is gone and that nothing uses, per kind.");
		for (size_t k = 0; k < 3; k++) {
			struct metrics_label l[] = { { "kind", kind_name(kinds[k]) } };

			e->sample(e, "ipcscope_leak_candidates", l, 1,
				  (double)in->leak_candidates[kinds[k]]);
		}
	}
	if (in->have_deadlocks) {
		fam(e, "ipcscope_deadlock_cycles", MT_GAUGE,
		    "Cycles in the semaphore wait-for graph (deadlocks) now.");
		e->sample(e, "ipcscope_deadlock_cycles", NULL, 0, (double)in->deadlock_cycles);
	}
	if (in->calls)
		build_calls(e, in);
	if (in->tracing) {
		fam(e, "ipcscope_lost_events_total", MT_COUNTER,
		    "Events the kernel dropped because the ring buffer was full.");
		e->sample(e, "ipcscope_lost_events_total", NULL, 0, (double)in->lost_events);
		fam(e, "ipcscope_uncounted_calls_total", MT_COUNTER,
		    "Calls or semaphore holds the in-kernel aggregation had no room for (a full map): "
		    "per-object and holder figures miss them.");
		e->sample(e, "ipcscope_uncounted_calls_total", NULL, 0, (double)in->uncounted_calls);
	}
	return e->samples - before;
}

int metrics_write_text(FILE *f, const struct metrics_input *in)
{
	struct metrics_emitter e;

	metrics_text_emitter(&e, f);
	metrics_build(&e, in);
	e.finish(&e);
	if (fflush(f) || ferror(f))
		return -(errno ? errno : EIO);
	return 0;
}
