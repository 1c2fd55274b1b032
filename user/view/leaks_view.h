/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Text and JSON views of a leak report (ipcscope leaks, clean). */
#ifndef IPCS_LEAKS_VIEW_H
#define IPCS_LEAKS_VIEW_H

#include <stdint.h>
#include <stdio.h>

#include "analysis/leaks.h"
#include "view/jsonw.h"

/* One leak's creator as JSON (an object value; used by clean's manifest). */
void leaks_json_creator(struct jsonw *w, const struct leak *k);
/* One leak as a JSON object. */
void leaks_json_leak(struct jsonw *w, const struct leak *k);
/* {"leaks": [...], "by_creator": [...], "lost_events": N} */
void leaks_json_report(struct jsonw *w, const struct leak_report *r, uint64_t lost);
/* A table of candidates, their creators' stacks, then the per-creator summary. */
void leaks_text_report(FILE *f, const struct leak_report *r, uint64_t lost);
/* "0x0000abcd" (as ipcs prints keys) */
void leaks_format_key(char *buf, size_t len, int32_t key);
/* "4s", "3m12s", "2h05m", "3d04h" */
void leaks_format_age(char *buf, size_t len, int64_t secs);

#endif
