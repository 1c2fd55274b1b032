/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Latency histograms: log2 buckets per (call, object, namespace), filled
 * from the kernel's per-CPU maps (live `latency`) or from EV_CALL events
 * (`report latency`), then summarised and printed the same way.
 */
#ifndef IPCS_LATENCY_H
#define IPCS_LATENCY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "events.h"

struct lat_entry {
	struct hist_key key;
	struct hist_val val;
};

struct lat_queue {            /* message queue view, from msgsnd/msgrcv entries */
	int32_t id;
	uint32_t ipcns;
	uint64_t sends, recvs, send_bytes, recv_bytes;
	uint64_t send_blocked_ns;     /* off-CPU time of senders (or latency without it) */
	/*
	 * Calls that slept (off-CPU tracked only): a sender sleeps only when
	 * the queue is full by the kernel's rule (bytes or message count), so
	 * send_waits > 0 means the consumer did not keep up, whatever the
	 * sampled fill peak says.
	 */
	uint64_t send_waits, recv_waits;
	double fill_peak_pct;         /* sampled from the tables; <0 unknown */
};

struct lat_table {
	struct lat_entry *v;
	size_t n, cap;
	bool offcpu;                  /* offcpu_* fields are meaningful */
	uint64_t dropped;             /* histograms the kernel could not add */
};

/* dst += v, field by field (max of max): per-CPU values and table merges. */
void hist_val_add(struct hist_val *dst, const struct hist_val *v);
void lat_table_free(struct lat_table *t);
/* Merge v into the entry for k (adding counts, max of max). 0 or -ENOMEM. */
int lat_table_add(struct lat_table *t, const struct hist_key *k, const struct hist_val *v);
/* A key known to be new (a map's keys are unique): no search.  0 or -ENOMEM. */
int lat_table_append(struct lat_table *t, const struct hist_key *k, const struct hist_val *v);
/* Account one event (EV_CALL); others are ignored. */
int lat_table_event(struct lat_table *t, const struct ev_hdr *ev, bool per_object);
/* A copy with objects folded into their call (id = -1), sorted by call. */
int lat_table_by_call(const struct lat_table *t, struct lat_table *out);
uint64_t lat_total_count(const struct lat_table *t);
/* q in (0,1]: the latency below which a fraction q of calls fall, in ns. */
uint64_t lat_percentile(const __u64 *slots, uint64_t count, uint64_t max_ns, double q);

/* Queues from per-object msgsnd/msgrcv entries; fill peaks looked up by id. */
size_t lat_queues(const struct lat_table *t, struct lat_queue **out);

#endif
