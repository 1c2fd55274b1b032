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

#endif
