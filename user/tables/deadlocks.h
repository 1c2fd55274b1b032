/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The wait graph of one IPC namespace now, for `top` and `metrics`: waiters
 * from /proc (tables/waiters.h: also waits older than ipcscope, no BPF
 * needed), semaphore values and last pids from a snapshot, SEM_UNDO
 * holders and observed balances when tracing.  A cycle must hold on two
 * scans in a row to count, as in `ipcscope blocked`: a scan is a snapshot
 * of threads in motion.
 */
#ifndef IPCS_DEADLOCKS_H
#define IPCS_DEADLOCKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analysis/waitgraph.h"
#include "tables/sysvipc.h"
#include "tables/undo.h"

/*
 * Rebuild and solve g for the namespace of `snap` (read with SNAP_SEMVALS).
 * bal and undo may be NULL.  0 or -errno.
 */
int deadlocks_scan(struct waitgraph *g, const struct ipc_snapshot *snap,
		   const struct wg_balance *bal, struct undo_reader *undo);

/* Semaphore set ids in the cycles of a solved graph (sorted, unique). */
struct deadlock_ids {
	int32_t *v;
	size_t n, cap;
};

int deadlock_ids_of(const struct waitgraph *g, struct deadlock_ids *out);
bool deadlock_ids_has(const struct deadlock_ids *ids, int32_t semid);
void deadlock_ids_free(struct deadlock_ids *ids);

/* Cycles of g all of whose sets were already in a cycle in `before`. */
size_t deadlocks_stable(const struct waitgraph *g, const struct deadlock_ids *before);

/* Waiters of g blocked on queue `id` (msgsnd/msgrcv), or on any queue if id < 0. */
uint32_t deadlocks_queue_waiters(const struct waitgraph *g, int32_t id);

#endif
