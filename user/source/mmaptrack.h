/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Executable mappings of short-lived processes, as perf learns them: a
 * dummy software perf event per CPU with mmap/comm/task records, so the
 * kernel reports every executable mmap (with the file's build-id), exec and
 * fork as they happen.  A process that creates an object and exits before
 * /proc/PID/maps can be read (ring buffers are read in batches) still gets
 * its creator stack unwound and symbolized.
 */
#ifndef IPCS_MMAPTRACK_H
#define IPCS_MMAPTRACK_H

#include <stdint.h>

#include "tables/procmeta.h"

struct mmaptrack;

/* Open on every online CPU.  NULL with *err = -errno if perf is unavailable. */
struct mmaptrack *mmaptrack_open(int *err);
/*
 * Apply every pending record to the cache: exec clears a pid's mappings,
 * fork copies the parent's, mmap adds one.  Returns records applied.
 */
int mmaptrack_drain(struct mmaptrack *t, struct procmeta_cache *c);
/* Records the kernel dropped because a buffer was full. */
uint64_t mmaptrack_lost(const struct mmaptrack *t);
void mmaptrack_close(struct mmaptrack *t);

#endif
