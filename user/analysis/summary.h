/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Per-call and per-object counts over an event stream: what `report
 * summary` shows.  Pure (no I/O): a sink plus queries, unit-tested.
 *
 * "Blocked time" is the latency of calls that slept: a semop, semtimedop,
 * msgsnd or msgrcv (the calls that can wait) that went to sleep inside the
 * call (EVF_WAITED, when off-CPU time is tracked) or, untracked, took at
 * least SUMMARY_SLEPT_NS.  A call that was only preempted did not wait.
 */
#ifndef IPCS_SUMMARY_H
#define IPCS_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

#define SUMMARY_SLEPT_NS 1000000ull

struct summary_obj {
	uint8_t kind;
	int32_t id;
	uint32_t ipcns;
	int32_t key;               /* from a *get call, else 0 */
	bool key_known;
	uint64_t calls, errors;
	uint64_t blocked_calls, blocked_ns;
};

struct summary_call {
	uint64_t count, errors;
	uint64_t lat_ns, max_ns;
	uint64_t blocked_calls, blocked_ns;
};

struct summary {
	struct summary_call calls[CALL__MAX];
	uint64_t events, proc_events, creates, still_blocked;
	uint64_t first_ts, last_ts;
	struct summary_obj *objs;  /* open addressing; empty slots have kind 0 */
	size_t nobjs, cap;
	bool oom;
};

void summary_init(struct summary *sm);
void summary_fini(struct summary *sm);
/* An ev_sink_fn. */
int summary_event(void *sm, const struct ev_hdr *ev);
bool summary_call_slept(const struct ev_call *e);
/*
 * The n objects with the most calls (by_blocked: the most blocked time),
 * into out[] (pointers into sm); returns how many.
 */
size_t summary_top(const struct summary *sm, bool by_blocked, const struct summary_obj **out,
		   size_t n);

#endif
