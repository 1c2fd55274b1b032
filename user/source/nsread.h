/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Reading another IPC namespace's tables: /proc/sysvipc and semctl answer
 * for the caller's namespace, so a forked child setns()es into the target
 * and sends the snapshot back over a pipe (encoded with the recording
 * codec).  The parent never changes namespace.
 */
#ifndef IPCS_NSREAD_H
#define IPCS_NSREAD_H

#include <stddef.h>
#include <stdint.h>

#include "tables/nslist.h"
#include "tables/sysvipc.h"
#include "tables/waitfacts.h"

/*
 * Snapshot of the namespace PID lives in.  `given` (or NULL): the blocked
 * threads, of every namespace, that give the semaphores' wait counts
 * instead of a /proc walk (see snapshot_count_waiters()).  0 or -errno.
 */
int snapshot_read_pid_ns(int32_t pid, struct ipc_snapshot *s, unsigned int what,
			 const struct wait_facts *given);

/*
 * The tables of every IPC namespace (--all-namespaces): ours read here, the
 * others by a child in each; one snapshot per namespace that could be read
 * (one whose last process exited meanwhile is left out), each with its
 * ipcns.  `l`: which namespaces exist (NULL: /proc); `given` as above, read
 * once for all namespaces.  *out is malloc'd (snapshots_free()).  0 or -errno.
 */
int snapshot_read_all_ns(struct nslist *l, unsigned int what, const struct wait_facts *given,
			 struct ipc_snapshot **out, size_t *n);
void snapshots_free(struct ipc_snapshot *v, size_t n);

#endif
