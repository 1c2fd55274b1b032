/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Latency tables as text (log2 histograms, as bcc/libbpf-tools print) and JSON. */
#ifndef IPCS_LATENCY_VIEW_H
#define IPCS_LATENCY_VIEW_H

#include <stdbool.h>
#include <stdio.h>

#include "analysis/latency.h"
#include "view/jsonw.h"

void lat_print_text(FILE *f, const struct lat_table *t, bool per_object);
void lat_print_json(struct jsonw *w, const struct lat_table *t, bool per_object);

/*
 * What one report shows: per-call histograms (`calls`, one entry per call)
 * and, when asked or for queues, per-object ones (`objs`).
 */
struct lat_view {
	struct lat_table calls;
	struct lat_table objs;
};

void lat_view_free(struct lat_view *v);

/* Where the queue rows' FILL-PEAK comes from (live sampling), or none. */
struct lat_report_opts {
	/* percent, or < 0 unknown */
	double (*fill_peak)(void *ctx, int32_t id);
	void *ctx;
};

/* One report: live interval, end of run, or a recording (r may be NULL). */
void lat_report_print(FILE *out, bool json, const struct lat_report_opts *r,
		      const struct lat_view *v, bool per_object, double secs, uint64_t lost,
		      const char *offcpu_note);

#endif
