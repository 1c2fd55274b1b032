/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Facts about processes from /proc/PID: comm, cmdline, exe, cgroup, liveness. */
#ifndef IPCS_PROC_H
#define IPCS_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct proc_info {
	int32_t pid;
	bool alive;             /* exists and has not exited (proc_alive()) */
	bool zombie;            /* exited, not reaped yet: /proc/PID is still there */
	char comm[16];
	char cmdline[512];      /* argv joined with spaces, truncated with "..." */
	char exe[256];
	char cgroup[256];       /* cgroup v2 path */
	char container[80];     /* container id taken from the cgroup path, if any */
	uint32_t uid;
	uint32_t ipcns;
	uint64_t starttime;     /* clock ticks since boot: tells pid reuse apart */
};

/* Fill `pi` for pid; returns 0, or -ESRCH when the process does not exist. */
int proc_info_read(int32_t pid, struct proc_info *pi);
/* Exists and has not exited: a zombie is not alive (the one liveness rule). */
bool proc_alive(int32_t pid);
/* The inode of this process's IPC namespace, 0 if /proc cannot tell. */
uint32_t proc_self_ipcns(void);
/*
 * Every process in /proc with the inode of its IPC namespace, in /proc's
 * order: each(pid, ipcns, ctx) until it returns nonzero, which is
 * returned.  A process that exits meanwhile, or whose namespace cannot be
 * read (a kernel thread, no permission), is passed over.  0 or -errno (no
 * /proc).  The one walk of /proc by namespace.
 */
int proc_each_ipcns(int (*each)(int32_t pid, uint32_t ipcns, void *ctx), void *ctx);
/* Container id (docker/containerd/cri-o/podman/libpod) from a cgroup path,
 * whole (the one container-id rule); false if none. */
bool cgroup_container_id(const char *cgroup, char *out, size_t len);

#endif
