/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Jobs (user/job/): an analysis and its view over a session, shared by a
 * live command and by `ipcscope report FILE <name>` (blocked's is in
 * analysis/blocked.h + view/blocked_view.h).  Commands are leaves: they
 * parse options and wire a session to a job, and no command calls another.
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
int latency_session(struct session *s, struct common_opts *o, struct run_loop *rl);
int summary_session(struct session *s, struct common_opts *o, struct run_loop *rl);

/*
 * Live: run_loop(rl).  Replay: poll the source until -ENODATA (rl may be
 * NULL; its tick is called once per second of recorded time if set).
 */
int session_drive(struct session *s, struct run_loop *rl);

#endif
