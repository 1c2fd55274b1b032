/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Exports of an event stream for other tools (`ipcscope export`):
 *
 *   perfetto  Chrome Trace Event JSON (Perfetto UI, chrome://tracing): a
 *             track per thread, named after its process and thread, one
 *             complete ("X") slice per IPC call named "<call> <kind> <id>",
 *             instants for fork/exec/exit/create and deadlocks.  Sorted by
 *             time; timestamps in microseconds since the recording began,
 *             with nanosecond precision.
 *   folded    folded stacks ("comm;frame;...;frame;call weight"), for
 *             flamegraph.pl and speedscope; weight = blocked nanoseconds.
 *
 * Both are sinks that collect, then write at the end.
 */
#ifndef IPCS_EXPORT_H
#define IPCS_EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include "event.h"
#include "session.h"
#include "stack/symbolize.h"

struct perfetto;

struct perfetto *perfetto_new(uint64_t base_ns);
int perfetto_event(void *p, const struct ev_hdr *ev);
/* An instant on the global track (e.g. a deadlock found by an analysis). */
int perfetto_global_instant(struct perfetto *p, uint64_t ts_ns, const char *name,
			    const char *detail);
/* 0 or -errno.  procs (may be NULL) names processes whose leader never called. */
int perfetto_write(struct perfetto *p, FILE *f, const struct procmeta_cache *procs);
size_t perfetto_slices(const struct perfetto *p);
void perfetto_free(struct perfetto *p);

struct folded;

/* Stacks are resolved through s->stack_ips and s->procs at write time. */
struct folded *folded_new(struct session *s);
/* Sink: blocked calls (see summary_call_slept), weight = latency ns. */
int folded_blocked_event(void *f, const struct ev_hdr *ev);
/* Add one weighted stack of symbolized frames (innermost first). */
int folded_add_frames(struct folded *f, const char *comm, const struct stack_frame *frames,
		      size_t nframes, const char *leaf, uint64_t weight);
/* One frame as a folded-stack name: "func", "module+0xoff", "0xaddr". */
void folded_frame_name(const struct stack_frame *fr, char *buf, size_t len);
/* Lines sorted by stack; returns the sum of weights written, or -errno. */
int64_t folded_write(struct folded *f, FILE *out);
void folded_free(struct folded *f);

#endif
