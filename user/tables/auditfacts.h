/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Facts the audit rules need beside the IPC tables, read here so the rules
 * stay pure: memory and huge pages (/proc/meminfo), the per-IPC-namespace
 * sysctls (limits, kernel.shm_rmid_forced, fs.mqueue.*) read inside the
 * audited namespace, the fill of the /dev/shm tmpfs, and the attributes of
 * each POSIX message queue.
 */
#ifndef IPCS_AUDITFACTS_H
#define IPCS_AUDITFACTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "tables/limits.h"
#include "tables/posix.h"
#include "tables/sysvipc.h"

/* /proc/meminfo; 0 = unknown.  Huge page counts are host-wide. */
struct mem_facts {
	uint64_t mem_total;        /* bytes */
	uint64_t hugepage_size;    /* bytes (default huge page size); 0: no hugetlb */
	uint64_t hugepages_total;  /* vm.nr_hugepages */
	uint64_t hugepages_free;
};

/* Sysctls of one IPC namespace (they are per namespace: read inside it). */
struct ns_facts {
	uint32_t ipcns;            /* namespace inode */
	bool have_limits;
	struct ipc_limits limits;  /* with usage when read with a snapshot */
	int shm_rmid_forced;       /* kernel.shm_rmid_forced, -1 unknown */
	uint64_t mq_queues_max, mq_msg_max, mq_msgsize_max;   /* fs.mqueue.*, 0 unknown */
	uint64_t mq_msg_default, mq_msgsize_default;          /* what mq_open(attr NULL) gets */
};

/* The tmpfs on /dev/shm (statvfs); known only when it is a tmpfs with a size. */
struct devshm_facts {
	bool known;
	uint64_t size, used;       /* bytes */
	uint64_t inodes, inodes_used;
};

/* mq_getattr of one POSIX queue. */
struct mq_attrs {
	bool known;
	int64_t maxmsg, msgsize, curmsgs;
};

int meminfo_parse(FILE *f, struct mem_facts *m);
int meminfo_read(struct mem_facts *m);
/*
 * Sysctls of the IPC namespace PID lives in (0: ours); a forked child
 * setns()es there, so this process never changes namespace.  snap (may be
 * NULL) gives the limits their usage.  0 or -errno.
 */
int ns_facts_read(int32_t pid, const struct ipc_snapshot *snap, struct ns_facts *out);
/* Inode of the initial IPC namespace (PROC_IPC_INIT_INO, fixed by the kernel). */
#define IPC_INIT_INO 0xeffffffful
/* IPC namespace inode of PID (0: ours); 0 when unreadable. */
uint32_t ipcns_of(int32_t pid);
int devshm_read(const char *dir, struct devshm_facts *d);
/* Attributes of t->mq[i] into out[i] (calloc'd, t->nmq entries); queues are
 * opened by name in the caller's IPC namespace.  0 or -errno. */
int mq_attrs_read(const struct posix_table *t, struct mq_attrs **out);

#endif
