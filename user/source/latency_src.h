/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The in-kernel latency aggregation (bpf/latency.bpf.c), for `latency`:
 * open with the filters of common_opts, load, attach, then read
 * (and optionally reset) the histograms.  Nothing is streamed per call:
 * as an ev_source (latency_src_session_open) it delivers no events and
 * has no fd to wait on, so a session's run loop only keeps time (ticks,
 * -d, `-- CMD`) while the command reads the histograms.
 *
 * Per-call histograms are always kept (a per-CPU array indexed by call);
 * per-object ones only when asked (a per-CPU hash), because a hash lookup
 * per call is what this object exists to avoid.
 */
#ifndef IPCS_LATENCY_SRC_H
#define IPCS_LATENCY_SRC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "analysis/latency.h"
#include "event.h"
#include "events.h"
#include "opts.h"
#include "session.h"
#include "source/attach.h"

struct latency_src_config {
	const struct common_opts *opts;   /* filters (kinds, -p, --ipcns, ...) */
	pid_t cmd_pid;        /* `-- CMD` child: tracked with its descendants */
	pid_t exclude_pid;    /* a process whose calls are never counted (the agent) */
	bool per_object;      /* every call per (call, object, namespace) */
	bool queue_objects;   /* msgsnd/msgrcv per queue (the queue view) */
	bool offcpu;          /* split blocked time out (sched_switch) if allowed */
};

struct latency_src;

/*
 * Check the environment, load and attach.  Prints a one-line error and
 * returns NULL with *status set to the exit status on failure.  If the
 * kernel refuses the sched_switch hook, carries on without the off-CPU
 * split: latency_src_offcpu_note() says so.
 */
struct latency_src *latency_src_open(const struct latency_src_config *cfg, int *status);
void latency_src_close(struct latency_src *s);
/*
 * The same as a live session's source (s->src; live_open_fn for `-- CMD`):
 * zeroes `s`, opens, fills the session (no start snapshot).  The session
 * owns the source: session_fini() closes it.
 */
struct latency_src *latency_src_session_open(struct session *s,
					     const struct latency_src_config *cfg, int *status);

/* True when blocked (off-CPU) time is split out. */
bool latency_src_offcpu(const struct latency_src *s);
/* Why the split was asked for and is missing, or NULL. */
const char *latency_src_offcpu_note(const struct latency_src *s);
/* How the syscalls are hooked: "fentry", "raw" or "tracepoint". */
const char *latency_src_mechanism(const struct latency_src *s);

/*
 * For doctor: what latency_src_open() would use by default, by a real test
 * load of the fentry set (attached, then detached at once); *fentry_err
 * gets 0 or its -errno.
 */
enum ipcs_hooks latency_hooks_probe(int *fentry_err);

/*
 * Per-call totals since open or the last reset, summed over CPUs, in
 * out[CALL__MAX] indexed by enum ipcs_call.  With `reset`, zeroes them
 * (calls completing between the read and the reset are lost).
 * 0 or -errno.
 */
int latency_src_calls(struct latency_src *s, struct hist_val out[CALL__MAX], bool reset);
/* The same as a table: one entry (id -1, ipcns 0) per call that has calls. */
int latency_src_call_table(struct latency_src *s, struct lat_table *t, bool reset);
/*
 * Per-object histograms (per_object or queue_objects) into t, which is
 * emptied first; t->dropped counts calls the kernel could not add (too many
 * objects).  0 or -errno.
 */
int latency_src_objects(struct latency_src *s, struct lat_table *t, bool reset);

#endif
