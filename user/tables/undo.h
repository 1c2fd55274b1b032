/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Table reader: SEM_UNDO adjustments of every process, via the
 * bpf/undo_iter.bpf.c task iterator, for the semaphore sets asked about.
 */
#ifndef IPCS_UNDO_H
#define IPCS_UNDO_H

#include <stddef.h>
#include <stdint.h>

#include "tables/waitfacts.h"

struct undo_reader;

/* Load the iterator for one IPC namespace (0 = all).  NULL, *err = -errno. */
struct undo_reader *undo_open(uint32_t ipcns, int *err);
/* A semaphore set to read adjustments of: its id and size. */
struct undo_set {
	int32_t semid;
	uint32_t nsems;
};

/*
 * Walk every process now; add each non-zero semadj of one of the n `sets`
 * to f as a holder with EVID_UNDO (semadj > 0: took and holds).  Returns
 * the number of holds added, or -errno.  With n == 0 nothing is walked.
 */
int undo_collect(struct undo_reader *r, const struct undo_set *sets, size_t n,
		 struct wait_facts *f);
void undo_close(struct undo_reader *r);

#endif
