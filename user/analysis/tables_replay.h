/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The IPC tables as the events say they are: the tables at the start, plus
 * every creation, removal, attachment and message the events show, minus
 * the attachments of processes that exited.  Pure: events in, a snapshot
 * out.
 *
 * A recording whose recorder was killed has no tables at its end; this is
 * what stands in for them, so that leaks, blocked and summaries work on a
 * truncated recording up to its last complete chunk.  What the events
 * cannot say is left as the kernel's default: no semaphore values, and
 * attachments made before tracing count until a traced shmdt undoes them.
 */
#ifndef IPCS_TABLES_REPLAY_H
#define IPCS_TABLES_REPLAY_H

#include <stdint.h>

#include "event.h"
#include "tables/sysvipc.h"

struct tables_replay;

/* `start` (copied, may be NULL): the tables when the events begin; only
 * events of its IPC namespace count (ids repeat across namespaces).
 * `mono_to_real_ns` turns event times into wall-clock times. */
struct tables_replay *tables_replay_new(const struct ipc_snapshot *start,
					int64_t mono_to_real_ns);
void tables_replay_free(struct tables_replay *t);
/* An ev_sink_fn. */
int tables_replay_event(void *t, const struct ev_hdr *ev);
/* The tables as of the last event.  0 or -ENOMEM; free with snapshot_free(). */
int tables_replay_snapshot(const struct tables_replay *t, struct ipc_snapshot *out);

#endif
