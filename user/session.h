/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What an analysis needs besides the event stream, from either kind of
 * source: table snapshots and process metadata.  Live commands fill it from
 * the kernel and /proc; `report` fills it from the recording.  Analyses and
 * views take a session and never care which.
 */
#ifndef IPCS_SESSION_H
#define IPCS_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "event.h"
#include "stack/resolve.h"
#include "tables/procmeta.h"
#include "tables/sysvipc.h"

struct mmaptrack;

struct session {
	struct ev_source *src;
	struct ev_bus bus;
	bool live;                        /* false: replaying a recording */
	struct ipc_snapshot *start;       /* tables when the source began (may be NULL) */
	struct ipc_snapshot *end;         /* tables at the end (NULL while live) */
	bool end_derived;                 /* `end` was rebuilt from the events: the
					     recording has no tables at its end */
	struct procmeta_cache *procs;     /* pid -> comm/cmdline/exe/maps, filled on
					     EV_CREATE/EV_EXEC (live) or from the file */
	/*
	 * Live, with creation contexts: perf's fork/exec/mmap/exit records,
	 * applied to `procs` in the order they happened (session_procs_refresh),
	 * so that a process gone within a millisecond still has the mappings
	 * it had when it created something.  NULL otherwise.
	 */
	struct mmaptrack *mt;
	/*
	 * The current tables: live reads the kernel now; a recording returns
	 * its last snapshot.  0 or -errno; free with snapshot_free().
	 */
	int (*snapshot_now)(struct session *s, struct ipc_snapshot *out);
	uint64_t lost_events;             /* updated by the source at the end */
	uint64_t first_ts_ns, last_ts_ns; /* span of events seen */
	int64_t mono_to_real_ns;
	uint32_t ipcns;                   /* namespace the tables were read in */
	/*
	 * The user stack of a stack id (ev_call/ev_create.stack_id), leaf
	 * first: fills ips[0..max) and returns the frame count, or -ENOENT.
	 * Set for recordings (the stacks stored in the file); NULL when the
	 * source does not provide it (live: read live_stack_fd()).
	 */
	int (*stack_ips)(struct session *s, int32_t id, uint64_t *ips, size_t max);
};

/* Apply what perf has said about processes since the last call (live). */
void session_procs_refresh(struct session *s);
/* A stack resolver over this session's process model and stacks. */
void session_stack_resolver(struct session *s, struct stack_resolver *r);

#endif
