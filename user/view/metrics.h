/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Prometheus metrics from snapshots, limits and analyses.
 *
 * The builder walks a struct metrics_input and hands each family and sample
 * to an emitter: the text emitter writes the Prometheus exposition format
 * (version 0.0.4), the JSON emitter writes the same samples for --json.
 * Names carry the `ipcscope_` prefix and base units (bytes, seconds, ratios
 * in 0..1).  Per-object series (queue fill) are capped at top_n so label
 * cardinality stays bounded however many objects a host has.
 *
 * Pure code: no I/O besides the FILE given, so it is unit-tested.
 */
#ifndef IPCS_VIEW_METRICS_H
#define IPCS_VIEW_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "events.h"
#include "tables/limits.h"
#include "tables/sysvipc.h"
#include "view/jsonw.h"

#define METRICS_TOP_N_DEFAULT 20
#define METRICS_MAX_LABELS 4

struct metrics_label {
	const char *name;
	const char *value;
};

enum metrics_type { MT_GAUGE, MT_COUNTER, MT_HISTOGRAM };

/* Where samples go. */
struct metrics_emitter {
	void (*family)(struct metrics_emitter *e, const char *name,
		       enum metrics_type type, const char *help);
	/* `name` may carry a histogram suffix (_bucket, _sum, _count). */
	void (*sample)(struct metrics_emitter *e, const char *name,
		       const struct metrics_label *labels, size_t nlabels, double value);
	void (*finish)(struct metrics_emitter *e);
	FILE *f;
	struct jsonw jw;         /* JSON emitter state */
	bool started;
	uint64_t samples;        /* samples emitted so far */
};

void metrics_text_emitter(struct metrics_emitter *e, FILE *f);
void metrics_json_emitter(struct metrics_emitter *e, FILE *f, bool pretty);

/*
 * Everything the builder can describe.  NULL / false members are left out:
 * a host without tracing still gets its table and limit metrics.
 */
struct metrics_input {
	const struct ipc_snapshot *snap;     /* tables of one namespace, or: */
	const struct ipc_snapshot *const *snaps;   /* several (--all-namespaces) */
	size_t nsnaps;
	const struct ipc_limits *limits;
	bool sem_values;                     /* snap has per-semaphore values (waiters) */

	/* Per-syscall aggregation, CALL__MAX entries indexed by enum ipcs_call. */
	const struct hist_val *calls;
	bool tracing;                        /* BPF tracing is attached */
	uint64_t lost_events;
	uint64_t uncounted_calls;            /* calls a full aggregation map could not count */

	bool have_leaks;
	uint64_t leak_candidates[4];         /* indexed by enum ipcs_kind */
	bool have_waiters;                   /* waiters from the wait graph (all kinds) */
	uint64_t waiters[4];
	bool have_deadlocks;
	uint64_t deadlock_cycles;

	unsigned int top_n;                  /* per-queue series cap; 0 = default */
	const char *version;
};

/* Emit every family described by `in`.  Returns the number of samples. */
uint64_t metrics_build(struct metrics_emitter *e, const struct metrics_input *in);

/* Convenience: the exposition text of `in` into f.  0 or -errno on write error. */
int metrics_write_text(FILE *f, const struct metrics_input *in);

/* Write `s` escaped for a label value: backslash, double quote, newline. */
void metrics_escape_label(FILE *f, const char *s);
/* Write `s` escaped for HELP text: backslash and newline. */
void metrics_escape_help(FILE *f, const char *s);

/*
 * Convert log2 latency slots (slot s holds [2^s, 2^(s+1)) ns, slot 0 also
 * 0 ns, the last slot everything above) into cumulative Prometheus buckets.
 * Fills IPCS_HIST_SLOTS - 1 finite upper bounds `le` in seconds and their
 * cumulative counts; returns the total (the +Inf bucket).
 */
#define METRICS_HIST_BUCKETS (IPCS_HIST_SLOTS - 1)
uint64_t metrics_hist_buckets(const __u64 slots[IPCS_HIST_SLOTS],
			      double le[METRICS_HIST_BUCKETS],
			      uint64_t cum[METRICS_HIST_BUCKETS]);

/* Fill ratio of a queue, 0 when qbytes is 0. */
double metrics_queue_fill(const struct msg_obj *q);

/* Sum of semncnt + semzcnt over a snapshot's semaphores. */
uint64_t metrics_sem_waiters(const struct ipc_snapshot *s);

#endif
