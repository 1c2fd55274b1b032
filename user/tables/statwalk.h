/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The semaphore and message-queue tables read in binary, one
 * SEM_STAT_ANY / MSG_STAT_ANY call per table slot (Linux 4.17+), instead of
 * /proc/sysvipc text.  Measured here at 10k objects: the kernel formats the
 * text in 11-13 ms per table, the walk takes 5 ms and needs no parsing, and
 * MSG_STAT_ANY carries qbytes, which the text lacks (one IPC_STAT per queue
 * otherwise).  Same visibility as /proc/sysvipc: no permission check.
 */
#ifndef IPCS_STATWALK_H
#define IPCS_STATWALK_H

#include "tables/sysvipc.h"

/*
 * Append every array / queue of the caller's namespace to s, sorted by id.
 * 0, or -EOPNOTSUPP when the kernel has no *_STAT_ANY (the caller then
 * reads /proc/sysvipc), or -ENOMEM.
 */
int statwalk_sem(struct ipc_snapshot *s);
int statwalk_msg(struct ipc_snapshot *s);

#endif
