// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ipcscope latency: per-call latency histograms aggregated in the kernel
 * (bpf/latency.bpf.c), with blocked (off-CPU) time split out, and message
 * queue rates, sender blocking and fill peaks.  `report FILE latency`
 * builds the same table from recorded events (latency_session).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "analyses.h"
#include "analysis/latency.h"
#include "view/latency_view.h"
#include "ipcscope.h"
#include "source/latency_src.h"
#include "source/live.h"
#include "tables/sysvipc.h"
#include "util/vec.h"

enum { OPT_PER_OBJECT = 0x2300, OPT_NO_OFFCPU };

struct latency_args {
	struct common_opts o;
	bool per_object;
	bool no_offcpu;
	unsigned int kinds;
	double interval;
	long count;
	int npos;
};

struct fill_peak {
	int32_t id;
	double peak;
};

/* The queue fill peaks are sampled from the tables this often. */
#define SAMPLE_MS 250

struct lat_run {
	struct latency_args *a;
	struct latency_src_config cfg;
	struct latency_src *src;      /* the session's source */
	const char *note;
	struct fill_peak *fills;      /* sorted by id */
	size_t nfills, cap;
	uint64_t last_ns;             /* start of the interval being counted */
	uint64_t end_ns;              /* -d's end (0: none): the final report's */
	long printed;
	bool done;                    /* the count is reached */
};

static int cmp_fill(const void *a, const void *b)
{
	const struct fill_peak *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

/* In the first n (sorted) peaks. */
static struct fill_peak *find_fill(struct fill_peak *v, size_t n, int32_t id)
{
	struct fill_peak k = { .id = id };

	return n ? bsearch(&k, v, n, sizeof(k), cmp_fill) : NULL;
}

/* A queue's peak in this run (lat_report_opts.fill_peak), -1 if not seen. */
static double peak_of(void *ctx, int32_t id)
{
	const struct lat_run *r = ctx;
	const struct fill_peak *f = find_fill(r->fills, r->nfills, id);

	return f ? f->peak : -1;
}

/*
 * The "consumer cannot keep up" signal: the fullest each queue got, sampled
 * every SAMPLE_MS (the run loop's tick) and at the end.  Lookups are binary
 * searches and new queues are appended and sorted once per sample, so a
 * host with 30 k queues costs O(n log n) a sample, not O(n^2).
 */
static void sample_fill(struct lat_run *r)
{
	struct ipc_snapshot s;
	size_t known = r->nfills;

	if (snapshot_read(&s, SNAP_MSG))
		return;
	for (size_t i = 0; i < s.nmsg; i++) {
		const struct msg_obj *q = &s.msg[i];
		double pct = q->qbytes ? 100.0 * (double)q->cbytes / (double)q->qbytes : 0;
		struct fill_peak *f = find_fill(r->fills, known, q->c.id);

		if (!f) {
			if (vec_grow(r->fills, r->nfills, r->cap))
				break;
			f = &r->fills[r->nfills++];
			f->id = q->c.id;
			f->peak = 0;
		}
		if (pct > f->peak)
			f->peak = pct;
	}
	if (r->nfills > known)
		qsort(r->fills, r->nfills, sizeof(*r->fills), cmp_fill);
	snapshot_free(&s);
}

static int read_view(struct lat_run *r, struct lat_view *v, bool reset)
{
	int err;

	memset(v, 0, sizeof(*v));
	err = latency_src_call_table(r->src, &v->calls, reset);
	if (!err)
		err = latency_src_objects(r->src, &v->objs, reset);
	if (err) {
		lat_view_free(v);
		warnmsg("reading the latency histograms failed: %s", strerror(-err));
	}
	return err;
}

/*
 * Print what was counted since r->last_ns, resetting it (a failed read is
 * said and skipped); the final report only if it has calls when intervals
 * were printed.
 */
static void report(struct lat_run *r, uint64_t now, bool final)
{
	struct lat_report_opts ro = { .fill_peak = peak_of, .ctx = r };
	struct lat_view v;

	if (read_view(r, &v, true))
		return;
	if (!final || !r->a->interval || lat_total_count(&v.calls))
		lat_report_print(r->a->o.out, r->a->o.json, &ro, &v, r->a->per_object,
				 (double)(now - r->last_ns) / 1e9, 0, r->note);
	lat_view_free(&v);
}

/*
 * Every SAMPLE_MS: sample the queues' fill; once `interval` has passed,
 * print it (not when -d has come: the final report covers that stretch),
 * and end the run cleanly when the count is reached.
 */
static int tick(void *ctx)
{
	struct lat_run *r = ctx;
	const struct latency_args *a = r->a;
	uint64_t now;

	if (r->cfg.queue_objects)
		sample_fill(r);
	now = mono_now_ns();
	if (r->end_ns && now >= r->end_ns)
		return 0;
	if (a->interval > 0 && now - r->last_ns >= (uint64_t)(a->interval * 1e9)) {
		report(r, now, false);
		r->last_ns = now;
		free(r->fills);
		r->fills = NULL;
		r->nfills = r->cap = 0;
		if (a->count && ++r->printed >= a->count) {
			r->done = true;
			return RUN_STOP;
		}
	}
	return 0;
}

/* live_open_fn: the histograms' source, tracking `-- CMD`'s pid. */
static struct ev_source *open_source(struct session *s, pid_t cmd_pid, void *ctx, int *status)
{
	struct lat_run *r = ctx;

	r->cfg.cmd_pid = cmd_pid;
	r->src = latency_src_session_open(s, &r->cfg, status);
	return r->src ? s->src : NULL;
}

/* ------------------------------------------------------------- command */

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct latency_args *a = state->input;
	double v;
	long n;

	switch (key) {
	case ARGP_KEY_INIT:
		opts_child_inputs(state, &a->o);
		break;
	case 'm': a->kinds |= KIND_BIT(KIND_SHM); break;
	case 's': a->kinds |= KIND_BIT(KIND_SEM); break;
	case 'q': a->kinds |= KIND_BIT(KIND_MSG); break;
	case OPT_PER_OBJECT: a->per_object = true; break;
	case OPT_NO_OFFCPU: a->no_offcpu = true; break;
	case ARGP_KEY_ARG:
		if (a->npos == 0) {
			v = parse_duration(arg);
			if (v <= 0)
				argp_error(state, "invalid interval '%s': give seconds", arg);
			a->interval = v;
		} else if (a->npos == 1) {
			if (!parse_long(arg, 1, 1000000, &n))
				argp_error(state, "invalid count '%s': give a positive number", arg);
			a->count = n;
		} else {
			argp_error(state, "unexpected argument '%s' (a command goes after `--`)", arg);
		}
		a->npos++;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_option options[] = {
	{ "shm", 'm', NULL, 0, "Shared memory calls only (combinable)", 0 },
	{ "sem", 's', NULL, 0, "Semaphore calls only (combinable)", 0 },
	{ "queues", 'q', NULL, 0, "Message queue calls only (combinable)", 0 },
	{ "per-object", OPT_PER_OBJECT, NULL, 0, "One histogram per call and object", 0 },
	{ "no-offcpu", OPT_NO_OFFCPU, NULL, 0,
	  "Do not split blocked (off-CPU) time out: no sched_switch hook", 0 },
	{ 0 },
};

static const struct argp_child children[] = {
	OPTS_CHILD_OUTPUT, OPTS_CHILD_FILTER, OPTS_CHILD_DURATION, { 0 },
};

static const struct argp argp = {
	options, parse_opt, "[interval [count]] [-- CMD [ARGS...]]",
	"Latency of System V IPC calls as log2 histograms aggregated in the kernel "
	"(nothing is streamed per call), with count, p50, p90, p99 and max per call; "
	"the time a call spent blocked (off-CPU) is shown apart from the total.  For "
	"message queues: send/receive rates, time senders spent blocked, sends that "
	"waited for room (the consumer-cannot-keep-up signal: a sender sleeps only on a "
	"full queue) and the fill peak sampled from the tables.\v"
	"With an interval, prints every interval (count times); otherwise once at the "
	"end (Ctrl-C, -d, or when CMD exits).\n\n"
	"Examples:\n"
	"  ipcscope latency -s 1 10          semaphore latency every second, 10 times\n"
	"  ipcscope latency --per-object -q -- ./producer-consumer\n"
	"  ipcscope latency --json -d 30",
	children, NULL, NULL,
};


static int cmd_latency(int argc, char **argv)
{
	struct latency_args a = { 0 };
	struct lat_run r = { .a = &a };
	struct live_cmd cmd;
	struct run_loop rl = { 0 };
	struct session s;
	int status, err;

	opts_init(&a.o);
	status = opts_parse(&argp, argc, argv, &a, &a.o);
	if (status)
		return status;
	if (a.kinds)
		a.o.kinds = a.kinds;

	r.cfg.opts = &a.o;
	r.cfg.per_object = a.per_object;
	/* the queue view needs msgsnd/msgrcv per queue */
	r.cfg.queue_objects = !a.o.kinds || (a.o.kinds & KIND_BIT(KIND_MSG));
	r.cfg.offcpu = !a.no_offcpu;
	if (!live_command_open_src(&s, &a.o, open_source, &r, &cmd, &rl, &status)) {
		opts_finish(&a.o);
		return status;
	}
	r.note = latency_src_offcpu_note(r.src);
	rl.duration = a.o.duration;
	rl.interval = SAMPLE_MS / 1000.0;
	rl.tick = tick;
	rl.ctx = &r;
	status = live_command_start(&rl);
	if (!status) {
		if (!rl.cmd && !a.o.json)
			fprintf(stderr, "Tracing System V IPC latency... Hit Ctrl-C to end.\n");
		r.last_ns = mono_now_ns();
		if (a.o.duration > 0)
			r.end_ns = r.last_ns + (uint64_t)(a.o.duration * 1e9);
		status = session_drive(&s, &rl);
	}
	/* the rest since the last interval (or the whole run) */
	if (!status && !r.done) {
		if (r.cfg.queue_objects)
			sample_fill(&r);
		report(&r, mono_now_ns(), true);
	}
	session_fini(&s);
	free(r.fills);
	err = opts_finish(&a.o);
	return status ? status : err ? err : live_command_status(&rl, 0);
}

IPCSCOPE_COMMAND(latency, cmd_latency, "latency histograms aggregated in the kernel", 31);
