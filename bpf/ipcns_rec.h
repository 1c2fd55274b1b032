/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Record written by bpf/ipcns_iter.bpf.c, read by user/tables/nslist.c. */
#ifndef IPCSCOPE_IPCNS_REC_H
#define IPCSCOPE_IPCNS_REC_H

#include "events.h"

struct ipcns_rec {
	__u32 inode;           /* the IPC namespace */
	__u32 tgid;            /* one process living in it (global pid) */
	char comm[IPCS_COMM_LEN];
};

#endif
