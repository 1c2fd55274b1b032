/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Text and JSON views of one or more IPC table snapshots. */
#ifndef IPCS_SNAPSHOT_VIEW_H
#define IPCS_SNAPSHOT_VIEW_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "view/posix_view.h"
#include "tables/proc.h"
#include "tables/sysvipc.h"
#include "view/jsonw.h"

struct snap_ns {
	int32_t pid;           /* a process in the namespace; 0 = our own */
	uint32_t inode;
	struct ipc_snapshot s;
};

struct snap_view {
	struct snap_ns *snaps;
	size_t nsnaps, cap;
	unsigned int kinds;    /* SNAP_SHM|SNAP_SEM|SNAP_MSG to show */
	bool partial;          /* some namespace could not be read */
	struct posix_table *posix;
	struct proc_info *procs;   /* cache for cpid/lpid/attached lookups */
	size_t nprocs, proccap;
	time_t now;
};

void snap_view_init(struct snap_view *v, unsigned int kinds);
struct ipc_snapshot *snap_view_add(struct snap_view *v, int32_t pid, uint32_t inode);
void snap_view_text(struct snap_view *v, FILE *f);
void snap_view_json(struct snap_view *v, FILE *f);
void snap_view_free(struct snap_view *v);

/* Shared with other views: the cached facts of a pid (alive or not). */
const struct proc_info *snap_view_proc(struct snap_view *v, int32_t pid);
/* "rw-rw-rw-" from a mode. */
void mode_string(uint32_t mode, char out[10]);
/* "4.0K", "16M" */
void human_bytes(uint64_t v, char *out, size_t len);
/* "3m", "2h", "5d" */
void human_age(int64_t secs, char *out, size_t len);

#endif
