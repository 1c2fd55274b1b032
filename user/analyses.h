/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The body of each analysis command, shared by its live command and by
 * `ipcscope report FILE <name>`.  Each one registers its sinks on s->bus,
 * drives the source to its end with session_drive() (the run loop for a
 * live source, to end of file for a recording), then prints its view to
 * o->out (text or JSON per o->json).  Returns an exit status.
 *
 * `rl` carries -d / interval / `-- CMD` for live sessions; NULL for replay.
 */
#ifndef IPCS_ANALYSES_H
#define IPCS_ANALYSES_H

#include "opts.h"
#include "session.h"
#include "source/live.h"

int trace_session(struct session *s, struct common_opts *o, struct run_loop *rl);
int leaks_session(struct session *s, struct common_opts *o, struct run_loop *rl);
int blocked_session(struct session *s, struct common_opts *o, struct run_loop *rl);
int latency_session(struct session *s, struct common_opts *o, struct run_loop *rl);
int summary_session(struct session *s, struct common_opts *o, struct run_loop *rl);

/*
 * Deadlocks in a recording, for the report summary: add the sink to the
 * bus, drive the source, then count (-1 on error).
 */
struct blocked_replay;
struct blocked_replay *blocked_replay_new(void);
int blocked_replay_event(void *ctx, const struct ev_hdr *ev);
long blocked_replay_count(struct blocked_replay *r, struct session *s);
void blocked_replay_free(struct blocked_replay *r);
/*
 * Deadlock i of those counted by blocked_replay_count(): when it formed,
 * how long it lasted, the pids in it (up to max).  False past the last.
 */
bool blocked_replay_cycle(const struct blocked_replay *r, size_t i, uint64_t *formed_ns,
			  uint64_t *dur_ns, int32_t *pids, size_t max, size_t *npids);

/*
 * Live: run_loop(rl).  Replay: poll the source until -ENODATA (rl may be
 * NULL; its tick is called once per second of recorded time if set).
 */
int session_drive(struct session *s, struct run_loop *rl);

#endif
