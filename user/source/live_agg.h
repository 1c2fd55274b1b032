/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Source: the streaming object's `aggregate` mode (live_config.aggregate,
 * for `top` and `metrics`), read from its maps.  The kernel keeps the
 * per-call figures -- histograms per call and per object, semaphore holder
 * balances -- and streams only rare events, so a reader that falls behind
 * at a million calls a second loses nothing it shows.
 */
#ifndef IPCS_LIVE_AGG_H
#define IPCS_LIVE_AGG_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/latency.h"
#include "analysis/waitgraph.h"
#include "event.h"

struct live_agg;
struct blocked;

/* On a live source opened with .aggregate; NULL (errno set) otherwise. */
struct live_agg *live_agg_open(struct ev_source *src);
void live_agg_close(struct live_agg *a);

/* Per-call totals since the start (never reset).  0 or -errno. */
int live_agg_calls(struct live_agg *a, struct hist_val out[CALL__MAX]);
/*
 * Every object's histogram since its first call (cumulative), keyed
 * (CALL_NONE, kind, id, ipcns), into t (emptied first).  0 or -errno.
 */
int live_agg_objects(struct live_agg *a, struct lat_table *t);
/* Forget an object's histogram (it is gone). */
void live_agg_forget(struct live_agg *a, const struct hist_key *k);
/*
 * Semaphore holder balances as they are now: non-zero nets of processes
 * that have not exited, from the current epoch of their set (balances
 * from before IPC_RMID, SETVAL or SETALL, and those of exited processes,
 * are deleted as they are found).  *v is malloc'ed.  0 or -errno.
 */
int live_agg_holds(struct live_agg *a, struct wg_balance_ent **v, size_t *n);
/* The same handed to the blocked analysis (blocked_set_balances()).  0 or -errno. */
int live_agg_holders(struct live_agg *a, struct blocked *b);
/* Calls or holds a full map could not take, since the start. */
uint64_t live_agg_lost(struct live_agg *a);

#endif
