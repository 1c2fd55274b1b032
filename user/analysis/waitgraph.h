/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Who waits on which semaphore, who holds it, and deadlock cycles.
 *
 * Pure: waiters, holder evidence and semaphore values go in (the table
 * types of tables/waitfacts.h); edges and cycles come out.  The blocked
 * analysis (blocked.h) builds one per observation, live or recorded.
 *
 * Model: a blocked semop waits until ALL its operations can proceed (an
 * AND-wait), so a cycle in the wait-for graph is a deadlock.  A waiter
 * needs semaphore (id, num) when its operation cannot proceed at the
 * current value: op < 0 needs value >= -op, op == 0 needs value == 0.
 * Holders of (id, num) are processes that took from it and have not given
 * back (for op < 0), or added to it (for op == 0).
 */
#ifndef IPCS_WAITGRAPH_H
#define IPCS_WAITGRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tables/waitfacts.h"

struct wg_edge {
	size_t waiter;            /* index into waiters */
	int32_t holder_pid;
	int32_t semid;
	uint16_t semnum;
	int16_t sem_op;
	uint32_t evidence;        /* EVID_* that named the holder */
};

struct wg_cycle {
	size_t *edges;            /* indices into edges, in chain order */
	size_t n;
	bool self;                /* a process waiting on what it holds itself */
};

struct waitgraph {
	struct wg_waiter *waiters; size_t nwaiters, capw;
	struct wg_hold *holds; size_t nholds, caph;
	struct wg_semval *vals; size_t nvals, capv;
	struct wg_edge *edges; size_t nedges, cape;
	struct wg_cycle *cycles; size_t ncycles, capc;
	bool use_lastpid;         /* name holders by GETPID when nothing better (default on) */
};

void wg_init(struct waitgraph *g);
void wg_free(struct waitgraph *g);
/* Drop inputs and results, keep allocations (for periodic rebuilds). */
void wg_reset(struct waitgraph *g);
int wg_add_waiter(struct waitgraph *g, const struct wg_waiter *w);
int wg_add_hold(struct waitgraph *g, const struct wg_hold *h);
int wg_add_value(struct waitgraph *g, const struct wg_semval *v);
/* Add every waiter, hold and value of one reading. */
int wg_add_facts(struct waitgraph *g, const struct wait_facts *f);
/* Build edges and find cycles.  0 or -ENOMEM. */
int wg_solve(struct waitgraph *g);

const char *wg_evidence_name(uint32_t evidence);   /* strongest: "undo", ... */

/*
 * Net applied sem_op per (ipcns, semid, semnum, pid) from successful calls:
 * the `observed` evidence.  IPC_RMID of a semid or a new semget result with
 * the same id drops that id's state.
 */
struct wg_balance_ent {
	uint32_t ipcns;
	int32_t semid;
	uint16_t semnum;
	int32_t pid;
	int64_t net;
};

struct wg_balance {
	struct wg_balance_ent *v;
	size_t n, cap;
};

void wg_balance_free(struct wg_balance *b);
/* Feed one event (EV_CALL; others ignored). */
void wg_balance_event(struct wg_balance *b, const struct ev_hdr *ev);
void wg_balance_forget_id(struct wg_balance *b, uint32_t ipcns, int32_t semid);
void wg_balance_forget_pid(struct wg_balance *b, int32_t pid);
/* Add every non-zero balance as `observed` evidence. */
int wg_balance_export(const struct wg_balance *b, struct waitgraph *g);

#endif
