/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Table types: what the kernel says about blocked IPC calls at one moment,
 * as plain data.  The readers in tables/ (waiters.h, undo.h, waitscan.h)
 * fill a struct wait_facts; the blocked analysis (analysis/blocked.h,
 * analysis/waitgraph.h) takes it as input and never reads the kernel.
 */
#ifndef IPCS_WAITFACTS_H
#define IPCS_WAITFACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "events.h"

/* Holder evidence, strongest first (bit flags: an edge may have several). */
#define EVID_UNDO     (1u << 0)   /* SEM_UNDO adjustment in the kernel */
#define EVID_OBSERVED (1u << 1)   /* net applied sem_op seen while tracing */
#define EVID_LASTPID  (1u << 2)   /* semctl(GETPID): last process to operate */

#define WG_MAX_OPS IPCS_MAX_SOPS

/* A thread blocked in semop/semtimedop/msgsnd/msgrcv. */
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
	bool from_proc;           /* found by a table scan, not by an event */
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

/* One reading: who is blocked, semaphore values, kernel holder evidence. */
struct wait_facts {
	struct wg_waiter *waiters; size_t nwaiters, capw;
	struct wg_hold *holds; size_t nholds, caph;
	struct wg_semval *vals; size_t nvals, capv;
};

/* Empty the arrays, keep the allocations. */
static inline void wait_facts_reset(struct wait_facts *f)
{
	f->nwaiters = f->nholds = f->nvals = 0;
}

void wait_facts_free(struct wait_facts *f);
int wait_facts_add_waiter(struct wait_facts *f, const struct wg_waiter *w);
int wait_facts_add_hold(struct wait_facts *f, const struct wg_hold *h);
int wait_facts_add_value(struct wait_facts *f, const struct wg_semval *v);

/* Does operation `op` at value `val` have to wait? */
static inline bool wg_op_blocks(int16_t op, int32_t val)
{
	if (op < 0)
		return val < -op;
	if (op == 0)
		return val != 0;
	return false;   /* increments never wait (short of SEMVMX, which fails) */
}

#endif
