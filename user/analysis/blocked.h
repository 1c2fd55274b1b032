/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Analysis: blocked IPC calls and deadlock cycles, one engine for every
 * command that shows them (`blocked`, `top`, `metrics`, `report`,
 * `export`), live and from a recording.  Pure: events and readings of the
 * kernel's wait state (struct wait_facts, gathered by tables/waitscan.h)
 * go in, tracked waits and cycles come out; no I/O, no printing.
 *
 * Waits: a live reading lists the threads blocked now (with the exact start
 * of a wait that began while tracing, or none for one that began before);
 * a call's EV_CALL gives its exact interval.  A recording has only the
 * events: every call that slept at least the confirmation time is a wait
 * over [exit - latency, exit), EV_BLOCK one still blocked at the end.
 *
 * The rules, the same live and recorded:
 *   - a cycle FORMED at the moment its last edge appeared: the latest start
 *     among its members' waits (a holder took what it holds before its own
 *     wait began).  When every member was already waiting when tracing
 *     began, the cycle formed before that moment and is reported as such
 *     ("formed before", "lasting at least"), never as formed then.
 *   - a cycle is a DEADLOCK once it has been present for confirm_ns of
 *     event time: the same wait instances in a cycle from its formation (or
 *     from the start of tracing) to an observation at least confirm_ns
 *     later.  Waits that resolve normally (ping-pong) never last that long.
 *   - holder evidence is refreshed while a cycle lasts: the events naming a
 *     holder may arrive after the cycle was first seen.
 */
#ifndef IPCS_BLOCKED_H
#define IPCS_BLOCKED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analysis/waitgraph.h"
#include "event.h"
#include "tables/waitfacts.h"

#define BLOCKED_CONFIRM_NS  100000000ull   /* present this long: a deadlock */
#define BLOCKED_MAX_CYCLE   16
#define BLOCKED_MAX_HOLDERS 4
#define BLOCKED_KEEP_WAITS  256            /* ended waits kept live (the longest) */

struct blocked_opts {
	uint64_t confirm_ns;     /* 0: BLOCKED_CONFIRM_NS */
	bool replay;             /* a recording: waits come from the calls (blocked_replay) */
	bool keep_history;       /* keep ended waits and cycles (a summary at the end);
				    false: only what is open now (top, metrics) */
	bool use_lastpid;        /* name holders by GETPID when nothing better */
	bool balances_given;     /* holder balances come from blocked_set_balances()
				    (the kernel's aggregation), not from the
				    semops in the stream */
	uint32_t self_pid;       /* our own table reads are not the workload's; 0 none */
};

struct blocked_wait {
	struct wg_waiter w;
	uint64_t start_ns;       /* exact start, else the latest moment it began */
	bool start_known;        /* start_ns is exact (the tracer saw the call begin) */
	bool before_trace;       /* began before tracing: start_ns = trace start */
	uint64_t end_ns;         /* when it returned, or the last time it was seen */
	bool end_known;          /* end_ns is the call's return (from its event) */
	bool open;               /* still waiting */
	uint32_t serial;         /* this wait instance */
	int32_t holders[BLOCKED_MAX_HOLDERS];
	uint32_t holder_evid[BLOCKED_MAX_HOLDERS];
	int nholders;
};

struct blocked_node {
	int32_t pid, tid;
	char comm[16];
	uint32_t ipcns;
	int32_t semid;
	uint16_t semnum;
	int16_t sem_op;
	int32_t waits_for;       /* holder pid */
	uint32_t evidence;       /* EVID_* naming the holder */
};

struct blocked_cycle {
	struct blocked_node nodes[BLOCKED_MAX_CYCLE];
	uint32_t serials[BLOCKED_MAX_CYCLE];   /* member waits, sorted: identity */
	size_t n;
	bool self;               /* a process waiting on what it holds itself */
	uint64_t formed_ns;      /* latest member start; trace start if before it */
	bool formed_before_trace;
	uint64_t end_ns;         /* first member's return, or last time seen */
	bool open;
	bool confirmed;          /* present confirm_ns: a deadlock */
	bool announced;          /* handed out by blocked_next_deadlock() */
};

struct blocked;

struct blocked *blocked_new(const struct blocked_opts *o);
void blocked_free(struct blocked *b);
/* Live: when tracing began (CLOCK_MONOTONIC ns, after the hooks attached). */
void blocked_set_trace_start(struct blocked *b, uint64_t ns);
uint64_t blocked_trace_start(const struct blocked *b);

/* Event sink (ev_bus): balances, wait ends, recorded waits.  0 or -ENOMEM. */
int blocked_event(void *ctx, const struct ev_hdr *ev);
/*
 * Live, balances_given: the holder balances as they are now (replacing the
 * previous ones); v[i].net < 0 means pid holds -net of the semaphore.
 * 0 or -ENOMEM.
 */
int blocked_set_balances(struct blocked *b, const struct wg_balance_ent *v, size_t n);
/* Live: one reading of the kernel's wait state at event time `now`.  0 or -ENOMEM. */
int blocked_observe(struct blocked *b, uint64_t now, const struct wait_facts *f);
/* Recording: after its last event (end_ns), find the cycles.  0 or -ENOMEM. */
int blocked_replay(struct blocked *b, uint64_t end_ns);

size_t blocked_nwaits(const struct blocked *b);
/* Ended waits forgotten live to bound memory (the shorter ones). */
uint64_t blocked_waits_dropped(const struct blocked *b);
const struct blocked_wait *blocked_wait_at(const struct blocked *b, size_t i);
size_t blocked_ncycles(const struct blocked *b);
const struct blocked_cycle *blocked_cycle_at(const struct blocked *b, size_t i);
/* A deadlock not handed out before (marks it), or NULL: for printing as found. */
const struct blocked_cycle *blocked_next_deadlock(struct blocked *b);

/* Deadlocks found so far / open at the last observation. */
size_t blocked_deadlocks(const struct blocked *b);
size_t blocked_deadlocks_now(const struct blocked *b);
/* Is semaphore set `semid` (namespace ipcns; 0 any) in a deadlock now? */
bool blocked_set_deadlocked(const struct blocked *b, uint32_t ipcns, int32_t semid);
/* Open msgsnd/msgrcv waits on queue `id` (any queue if id < 0). */
uint32_t blocked_queue_waiters(const struct blocked *b, int32_t id);
/* Open waits of any kind. */
size_t blocked_open_waits(const struct blocked *b);
/*
 * The event time at which an open cycle not yet confirmed would be (so a
 * one-shot reader knows when to look again), or 0 when none is pending.
 */
uint64_t blocked_pending_until(const struct blocked *b);

#endif
