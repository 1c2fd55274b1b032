/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Record written by bpf/undo_iter.bpf.c, read by user/tables/undo.c. */
#ifndef IPCSCOPE_UNDO_REC_H
#define IPCSCOPE_UNDO_REC_H

#define UNDO_MAX_SEMS     64     /* semadj values reported per array */
#define UNDO_MAX_PER_PROC 128    /* arrays walked per process */
#define UNDO_MAX_ARRAYS   65536

struct undo_rec {
	__u32 tgid;
	__s32 semid;
	__u32 ipcns;
	__u32 nsems;          /* entries valid in adj[] */
	__s16 adj[UNDO_MAX_SEMS];
};

#endif
