/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* SEM_UNDO adjustments of every process, via the bpf/undo_iter.bpf.c task iterator. */
#ifndef IPCS_UNDO_H
#define IPCS_UNDO_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/waitgraph.h"
#include "tables/sysvipc.h"

struct undo_reader;

/* Load the iterator for one IPC namespace (0 = all).  NULL, *err = -errno. */
struct undo_reader *undo_open(uint32_t ipcns, int *err);
/*
 * Walk every process now; add each non-zero semadj of an array present in
 * `snap` to g as a holder with EVID_UNDO (semadj > 0: took and holds).
 * Returns the number of holds added, or -errno.
 */
int undo_collect(struct undo_reader *r, const struct ipc_snapshot *snap, struct waitgraph *g);
void undo_close(struct undo_reader *r);

#endif
