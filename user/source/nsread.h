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

#include "tables/sysvipc.h"

struct ipcns_entry {
	uint32_t inode;
	int32_t pid;        /* one process living in it */
	char comm[16];
};

/* Snapshot of the namespace PID lives in.  0 or -errno. */
int snapshot_read_pid_ns(int32_t pid, struct ipc_snapshot *s, unsigned int what);
/* Every distinct IPC namespace under /proc/[pid]/ns/ipc, sorted by inode. */
int ipcns_list(struct ipcns_entry **out, size_t *n);

#endif
