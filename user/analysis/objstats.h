/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Per-object call rates and latency for `top`, and per-syscall totals for
 * `metrics`, from the EV_CALL stream.  Pure: events in, numbers out.
 *
 * Rates and p99 are over sliding windows: objstats_tick() closes the
 * current window; p99 covers the last two windows, so one quiet second
 * does not blank the column.
 */
#ifndef IPCS_OBJSTATS_H
#define IPCS_OBJSTATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "tables/sysvipc.h"

struct objstat {
	uint8_t kind;
	int32_t id;
	bool used;
	uint64_t win_calls[2];               /* [0] current window, [1] previous */
	uint64_t win_slots[2][IPCS_HIST_SLOTS];
	uint64_t calls_total;
	double rate;                         /* calls/s over the last closed window */
	uint64_t p99_ns;                     /* over the last two windows, 0 = none */
	char creator[16];                    /* comm of the *get that created it */
	bool preexisting;                    /* present when tracing began */
};

struct objstats {
	struct objstat *v;
	size_t cap, n;                       /* open addressing, cap a power of 2 */
	struct hist_val calls[CALL__MAX];    /* per-syscall totals since start */
	uint64_t win_calls;                  /* all objects, current window */
	double rate;                         /* all objects, last closed window */
	uint64_t events;
};

int objstats_init(struct objstats *s);
void objstats_fini(struct objstats *s);
/* Objects present before tracing: their creator is not the first *get seen. */
void objstats_mark_preexisting(struct objstats *s, const struct ipc_snapshot *snap);
/*
 * Forget objects not in `snap` that had no call in the last two windows
 * (removed without an IPC_RMID we saw): with the removal at IPC_RMID, this
 * bounds the state by the objects that exist, whatever the churn.
 */
void objstats_retain(struct objstats *s, const struct ipc_snapshot *snap);
/* An ev_sink_fn. */
int objstats_event(void *s, const struct ev_hdr *ev);
/* Close the window that lasted `seconds`: compute rates and p99, rotate. */
void objstats_tick(struct objstats *s, double seconds);
const struct objstat *objstats_get(const struct objstats *s, unsigned int kind, int32_t id);

/*
 * The q-quantile (0..1) of a log2 histogram, as the upper bound of the slot
 * that holds it (2^(s+1) ns): an over-estimate by at most 2x, never under.
 * 0 for an empty histogram.
 */
uint64_t hist_quantile_ns(const uint64_t *slots, unsigned int nslots, double q);

#endif
