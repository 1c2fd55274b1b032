/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Blocked calls from the live source's in-flight map (tid -> struct
 * inflight), and the deadlock check `top` and `metrics` build on them:
 * waiters in flight + observed balances + semaphore values and last pids
 * from a snapshot -> waitgraph -> cycles.
 *
 * Only calls that began while tracing are in the map: waits older than
 * ipcscope are `ipcscope blocked`'s business (it reads /proc).
 */
#ifndef IPCS_INFLIGHT_H
#define IPCS_INFLIGHT_H

#include <stdint.h>

#include "analysis/waitgraph.h"
#include "tables/sysvipc.h"

/*
 * Add every semop/semtimedop/msgsnd/msgrcv in flight for longer than
 * min_age_ns to g as a waiter (ipcns: the namespace the filter traces).
 * Returns the number added, or -errno.
 */
int inflight_waiters(int map_fd, uint64_t min_age_ns, uint32_t ipcns, struct waitgraph *g);

/*
 * Rebuild g from the in-flight map, the balances and snapshot `s` (which
 * must have SNAP_SEMVALS), and solve it.  0 or -errno.
 */
int inflight_deadlocks(struct waitgraph *g, int map_fd, uint64_t min_age_ns,
		       const struct wg_balance *bal, const struct ipc_snapshot *s);

/* Is semaphore set `semid` part of a cycle in a solved graph? */
bool inflight_id_in_cycle(const struct waitgraph *g, int32_t semid);

#endif
