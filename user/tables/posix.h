/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * POSIX IPC beside System V: shared memory files in /dev/shm (with the
 * processes mapping or holding them open) and POSIX message queues (the
 * mqueue filesystem, mounted privately in a child when it is not mounted).
 */
#ifndef IPCS_POSIX_H
#define IPCS_POSIX_H

#include <stdint.h>
#include <stdio.h>


struct posix_obj {
	char name[256];
	uint64_t size;        /* bytes (shm) or QSIZE bytes queued (mqueue) */
	uint32_t uid, gid, mode;
	int64_t mtime;
	int32_t *holders;     /* pids mapping it or holding it open (shm) */
	size_t nholders;
};

struct posix_table {
	struct posix_obj *shm;
	size_t nshm;
	struct posix_obj *mq;
	size_t nmq;
	int mq_err;           /* 0, or -errno when queues could not be listed */
};

/* 0, or -errno for a partial read (what was read is kept). */
int posix_read(struct posix_table *t);
void posix_free(struct posix_table *t);

#endif
