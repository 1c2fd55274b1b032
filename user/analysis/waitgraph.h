/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Who waits on which semaphore, who holds it, and deadlock cycles.
 *
 * Pure: waiters, holder evidence and semaphore values go in; edges and
 * cycles come out.  Live `blocked` feeds it from /proc, the undo iterator,
 * semctl and the event stream; `report blocked` feeds it from a recording.
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

#include "events.h"

/* Holder evidence, strongest first (bit flags: an edge may have several). */
#define EVID_UNDO     (1u << 0)   /* SEM_UNDO adjustment in the kernel */
#define EVID_OBSERVED (1u << 1)   /* net applied sem_op seen while tracing */
#define EVID_LASTPID  (1u << 2)   /* semctl(GETPID): last process to operate */

#define WG_MAX_OPS IPCS_MAX_SOPS

struct wg_waiter {
	int32_t pid, tid;
	char comm[16];
	uint32_t ipcns;
	uint8_t call;             /* CALL_SEMTIMEDOP, CALL_MSGSND, ... */
	int32_t id;               /* semid or msqid */
	uint64_t since_ns;        /* CLOCK_MONOTONIC start of the wait; 0 unknown */
	uint64_t msg_size;        /* msgsnd/msgrcv */
	int64_t mtype;
	uint32_t nops;
	struct ipcs_sembuf ops[WG_MAX_OPS];
	bool from_proc;           /* found in /proc (may predate tracing) */
};

/* One piece of evidence that pid holds (or fed) a semaphore. */
struct wg_hold {
	int32_t pid;
	uint32_t ipcns;
	int32_t semid;
	uint16_t semnum;
	int32_t amount;           /* >0: took and holds `amount`; <0: added (fed) */
	uint32_t evidence;        /* EVID_* */
};

/* Current value of a semaphore (from semctl or a snapshot). */
struct wg_semval {
	uint32_t ipcns;
	int32_t semid;
	uint16_t semnum;
	int32_t value;
	int32_t lastpid;
};

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
/* Build edges and find cycles.  0 or -ENOMEM. */
int wg_solve(struct waitgraph *g);

/* Does operation `op` at value `val` have to wait? */
bool wg_op_blocks(int16_t op, int32_t val);
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
