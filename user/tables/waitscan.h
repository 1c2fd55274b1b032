/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Table reader: one reading of the kernel's wait state (struct wait_facts)
 * for the blocked analysis, at a cost that does not grow with the host's
 * thread count beyond a few loads per thread in the kernel:
 *
 *   - blocked threads from a task iterator (bpf/waiters_iter.bpf.c), with
 *     the exact start of waits that began while tracing when the streaming
 *     object's in-flight map is shared; /proc/PID/task/TID/syscall only
 *     when BPF is unavailable (tables/waiters.h);
 *   - values and GETPID of the semaphore sets that have waiters, and no
 *     other (semctl);
 *   - SEM_UNDO holders of those sets (tables/undo.h).
 */
#ifndef IPCS_WAITSCAN_H
#define IPCS_WAITSCAN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "tables/waitfacts.h"

struct waitscan_config {
	uint32_t ipcns;      /* namespace whose waiters count (0 = every one) */
	int inflight_fd;     /* the streaming object's `inflight` map, or -1 */
	bool bpf;            /* try the iterators (false: /proc only, no SEM_UNDO) */
	pid_t root;          /* only this process and its descendants; 0 = all */
};

struct waitscan;

/* NULL only when out of memory.  Falls back to /proc without BPF. */
struct waitscan *waitscan_open(const struct waitscan_config *cfg);
/* Fill f (emptied first).  0 or -errno. */
int waitscan_read(struct waitscan *ws, struct wait_facts *f);
bool waitscan_has_undo(const struct waitscan *ws);
/*
 * Do readings give the start of waits that began while tracing (the
 * iterator shares the streaming object's in-flight map)?  When not, a
 * waiter without a start may have begun after tracing did.
 */
bool waitscan_has_starts(const struct waitscan *ws);
/* "iterator" or "/proc": how waiters are found (for --verbose and doctor). */
const char *waitscan_method(const struct waitscan *ws);
void waitscan_close(struct waitscan *ws);

#endif
