/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A streaming JSON writer in the style of bpftool's json_writer: no DOM, no
 * per-field allocation, so it is cheap enough for one object per event.
 * Keys and strings are escaped; commas are tracked per nesting level.
 */
#ifndef IPCS_JSONW_H
#define IPCS_JSONW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSONW_MAX_DEPTH 32

struct jsonw {
	FILE *f;
	int depth;
	bool pretty;
	bool need_comma[JSONW_MAX_DEPTH];
	bool after_name;
};

void jsonw_init(struct jsonw *w, FILE *f, bool pretty);
void jsonw_start_object(struct jsonw *w);
void jsonw_end_object(struct jsonw *w);
void jsonw_start_array(struct jsonw *w);
void jsonw_end_array(struct jsonw *w);
void jsonw_name(struct jsonw *w, const char *name);
void jsonw_string(struct jsonw *w, const char *s);
void jsonw_string_len(struct jsonw *w, const char *s, size_t len);
void jsonw_int(struct jsonw *w, int64_t v);
void jsonw_uint(struct jsonw *w, uint64_t v);
void jsonw_float(struct jsonw *w, double v);
/* v / 10^digits printed exactly, e.g. (1234567, 3) -> 1234.567 (ns as us). */
void jsonw_decimal(struct jsonw *w, int64_t v, unsigned int digits);
void jsonw_bool(struct jsonw *w, bool v);
void jsonw_null(struct jsonw *w);
/* Ends a top-level value with a newline (JSON Lines). */
void jsonw_eol(struct jsonw *w);

/* name + value shorthands */
static inline void jsonw_string_field(struct jsonw *w, const char *n, const char *v)
{ jsonw_name(w, n); if (v) jsonw_string(w, v); else jsonw_null(w); }
static inline void jsonw_int_field(struct jsonw *w, const char *n, int64_t v)
{ jsonw_name(w, n); jsonw_int(w, v); }
static inline void jsonw_uint_field(struct jsonw *w, const char *n, uint64_t v)
{ jsonw_name(w, n); jsonw_uint(w, v); }
static inline void jsonw_float_field(struct jsonw *w, const char *n, double v)
{ jsonw_name(w, n); jsonw_float(w, v); }
static inline void jsonw_bool_field(struct jsonw *w, const char *n, bool v)
{ jsonw_name(w, n); jsonw_bool(w, v); }

#endif
