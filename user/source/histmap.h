/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Source: reading the in-kernel aggregation maps (bpf/hist.bpf.h) into
 * tables, for every object that aggregates (latency.bpf.c for `latency`;
 * ipcscope.bpf.c's `aggregate` mode for `top` and `metrics`).  Per-CPU
 * values are summed here; analyses get plain tables.
 */
#ifndef IPCS_HISTMAP_H
#define IPCS_HISTMAP_H

#include <stdbool.h>
#include <stdint.h>

#include "analysis/latency.h"
#include "events.h"

struct histmap_reader {
	int ncpus;
	struct hist_val *percpu;   /* ncpus values, for reads */
};

/* 0 or -errno. */
int histmap_reader_init(struct histmap_reader *r);
void histmap_reader_fini(struct histmap_reader *r);

/*
 * The per-call array (a PERCPU_ARRAY of CALL__MAX hist_val) into out[],
 * summed over CPUs; with `reset`, zeroed after the read (calls completing
 * between the read and the reset are lost).  0 or -errno.
 */
int histmap_read_calls(struct histmap_reader *r, int fd, struct hist_val out[CALL__MAX],
		       bool reset);
/*
 * The per-object hash (PERCPU_HASH hist_key -> hist_val) into t, which is
 * emptied first; t->dropped gets the sum of the per-CPU counter at
 * lost_fd (calls the map could not take), if lost_fd >= 0.  With `reset`,
 * entries and the counter are cleared after the read.  0 or -errno.
 */
int histmap_read_objects(struct histmap_reader *r, int fd, int lost_fd, struct lat_table *t,
			 bool reset);
/*
 * The sum over CPUs of a one-entry PERCPU_ARRAY of u64 (a counter: every
 * object's `lost`, the aggregation's `agg_lost`), or 0.
 */
uint64_t histmap_counter_sum(int fd);

#endif
