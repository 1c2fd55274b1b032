/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Analysis: per-object call rates and latency for `top`.  Pure: readings
 * of the kernel's per-object histograms (struct lat_table, cumulative,
 * from the in-kernel aggregation) and the rare events (creations,
 * removals) in, numbers out.  Counting calls in the kernel is what lets
 * `top` keep up at any call rate: the stream carries only what is rare.
 *
 * Rates and p99 are over sliding windows: objstats_take() adds what each
 * object did since the previous reading to the current window,
 * objstats_tick() closes it; p99 covers the last two windows, so one quiet
 * second does not blank the column.  Objects are (namespace, kind, id).
 */
#ifndef IPCS_OBJSTATS_H
#define IPCS_OBJSTATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analysis/latency.h"
#include "event.h"
#include "tables/sysvipc.h"

struct objstat {
	uint8_t kind;
	int32_t id;
	uint32_t ipcns;
	bool used;
	uint64_t win_calls[2];               /* [0] current window, [1] previous */
	uint64_t win_slots[2][IPCS_HIST_SLOTS];
	uint64_t calls_total;
	double rate;                         /* calls/s over the last closed window */
	uint64_t p99_ns;                     /* over the last two windows, 0 = none */
	char creator[16];                    /* comm of the *get that created it */
	bool preexisting;                    /* present when tracing began */
	/* the kernel's cumulative histogram at the previous reading */
	uint64_t cum_calls;
	uint64_t cum_slots[IPCS_HIST_SLOTS];
};

struct objstats {
	struct objstat *v;
	size_t cap, n;                       /* open addressing, cap a power of 2 */
	uint64_t win_calls;                  /* every call, current window */
	double rate;                         /* every call, last closed window */
	uint64_t cum_total;                  /* the kernel's per-call total, last reading */
};

int objstats_init(struct objstats *s);
void objstats_fini(struct objstats *s);
/* Objects of namespace ipcns present before tracing: their creator is not the first *get seen. */
void objstats_mark_preexisting(struct objstats *s, const struct ipc_snapshot *snap, uint32_t ipcns);
/*
 * A reading of the kernel's per-object histograms (keys: CALL_NONE, kind,
 * id, ipcns; counts since the object's first call): what each did since
 * the previous reading goes into the current window.  A count lower than
 * last time is a histogram started afresh (the id was removed and reused).
 * 0 or -ENOMEM.
 */
int objstats_take(struct objstats *s, const struct lat_table *t);
/*
 * A reading of the kernel's per-call totals (cumulative): the header's
 * rate counts every call, those on objects removed within the window too,
 * which the per-object histograms no longer hold.
 */
void objstats_take_calls(struct objstats *s, const struct hist_val calls[CALL__MAX]);
/*
 * Forget objects of the namespaces in nss[0..n) that are not in their
 * snapshot (snaps[i] is nss[i]'s) and had no call in the last two windows
 * (removed without an IPC_RMID we saw): with the removal at IPC_RMID, this
 * bounds the state by the objects that exist, whatever the churn.
 * forgot(ctx, o) is told of each (NULL: nobody asks) before it goes, so
 * that the kernel's histogram can go too.
 */
void objstats_retain(struct objstats *s, const struct ipc_snapshot *snaps, const uint32_t *nss,
		     size_t n, void (*forgot)(void *ctx, const struct objstat *o), void *ctx);
/* An ev_sink_fn: creations (the creator's comm) and IPC_RMID (forget). */
int objstats_event(void *s, const struct ev_hdr *ev);
/* Close the window that lasted `seconds`: compute rates and p99, rotate. */
void objstats_tick(struct objstats *s, double seconds);
const struct objstat *objstats_get(const struct objstats *s, uint32_t ipcns, unsigned int kind,
				   int32_t id);

/*
 * The q-quantile (0..1) of a log2 histogram, as the upper bound of the slot
 * that holds it (2^(s+1) ns): an over-estimate by at most 2x, never under.
 * 0 for an empty histogram.
 */
uint64_t hist_quantile_ns(const uint64_t *slots, unsigned int nslots, double q);

#endif
