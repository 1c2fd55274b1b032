/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A queue's capacity (msg_qbytes) is not in /proc/sysvipc/msg: fill
 * msg_obj.qbytes from msgctl, for the fill ratios of `top` and `metrics`.
 */
#ifndef IPCS_MSGQBYTES_H
#define IPCS_MSGQBYTES_H

#include "tables/sysvipc.h"

/*
 * For each queue of `s` (read in the caller's IPC namespace) whose qbytes
 * is 0: MSG_STAT_ANY over the kernel's index (no permission needed, 4.17+),
 * else IPC_STAT by id.  Returns how many queues are still unknown.
 */
size_t snapshot_fill_qbytes(struct ipc_snapshot *s);

#endif
