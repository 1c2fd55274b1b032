/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * View: the blocked analysis (analysis/blocked.h) as text and JSON, for
 * `ipcscope blocked` and `ipcscope report FILE blocked` alike.
 */
#ifndef IPCS_BLOCKED_VIEW_H
#define IPCS_BLOCKED_VIEW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "analysis/blocked.h"

struct blocked_view {
	FILE *out;
	bool json;
	int64_t mono_to_real_ns;
	uint64_t lost_events;
	bool undo_evidence;      /* SEM_UNDO holders were read (live) */
};

/* One deadlock, text: "DEADLOCK formed ..." and its chain. */
void blocked_view_cycle(const struct blocked_view *v, const struct blocked_cycle *c,
			uint64_t now);
/* The calls blocked now, text (the periodic table). */
void blocked_view_table(const struct blocked_view *v, const struct blocked *b, uint64_t now);
/* At the end: every deadlock and the waits, longest first (text or JSON). */
void blocked_view_summary(const struct blocked_view *v, const struct blocked *b, uint64_t now);

#endif
