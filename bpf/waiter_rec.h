/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Record written by bpf/waiters_iter.bpf.c, read by user/tables/waitscan.c. */
#ifndef IPCSCOPE_WAITER_REC_H
#define IPCSCOPE_WAITER_REC_H

#include "events.h"

struct waiter_rec {
	__u32 tgid;
	__u32 tid;
	__u32 ipcns;
	__s32 nr;              /* syscall number */
	__u64 args[6];         /* the syscall's arguments */
	__u64 start_ns;        /* from the tracer's in-flight state; 0 unknown */
	__u32 nsops_copied;    /* sops[] valid (copied at entry by the tracer) */
	__u32 _pad;
	char comm[IPCS_COMM_LEN];
	struct ipcs_sembuf sops[IPCS_MAX_SOPS];
};

#endif
