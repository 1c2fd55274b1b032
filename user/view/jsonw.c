// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "view/jsonw.h"

/*
 * Streaming output is a per-event hot path (`trace --json` writes a few
 * hundred thousand objects a second): use the unlocked stdio calls (a
 * writer owns its stream) and convert integers by hand instead of printf.
 */
#define fputc fputc_unlocked

/*
 * Most writes are a few bytes (a name, a number): copy them straight into
 * the stream's buffer when they fit, as putc_unlocked does for one byte,
 * and leave the rest (buffer full, unbuffered or line-buffered streams,
 * whose write end is kept at the write pointer) to fwrite.
 */
static inline void jw_write(const char *p, size_t n, FILE *f)
{
	if ((size_t)(f->_IO_write_end - f->_IO_write_ptr) >= n) {
		memcpy(f->_IO_write_ptr, p, n);
		f->_IO_write_ptr += n;
	} else {
		fwrite_unlocked(p, 1, n, f);
	}
}

#define fwrite(p, size, n, f) jw_write((p), (size) * (n), (f))
#define fputs(s, f) jw_write((s), strlen(s), (f))

static void put_u64(FILE *f, uint64_t v, bool neg)
{
	char buf[24], *p = buf + sizeof(buf);

	do {
		*--p = '0' + v % 10;
		v /= 10;
	} while (v);
	if (neg)
		*--p = '-';
	fwrite(p, 1, buf + sizeof(buf) - p, f);
}

void jsonw_init(struct jsonw *w, FILE *f, bool pretty)
{
	memset(w, 0, sizeof(*w));
	w->f = f;
	w->pretty = pretty;
}

static void indent(struct jsonw *w)
{
	if (!w->pretty)
		return;
	fputc('\n', w->f);
	for (int i = 0; i < w->depth; i++)
		fputs("  ", w->f);
}

/* Called before every value and every name. */
static void sep(struct jsonw *w)
{
	if (w->after_name) {
		w->after_name = false;
		return;
	}
	if (w->need_comma[w->depth])
		fputc(',', w->f);
	if (w->depth > 0)
		indent(w);
	w->need_comma[w->depth] = true;
}

static void jw_open(struct jsonw *w, int c)
{
	sep(w);
	fputc(c, w->f);
	if (w->depth < JSONW_MAX_DEPTH - 1)
		w->depth++;
	w->need_comma[w->depth] = false;
}

static void jw_close(struct jsonw *w, int c)
{
	bool had = w->need_comma[w->depth];

	if (w->depth > 0)
		w->depth--;
	if (had)
		indent(w);
	fputc(c, w->f);
}

void jsonw_start_object(struct jsonw *w) { jw_open(w, '{'); }
void jsonw_end_object(struct jsonw *w) { jw_close(w, '}'); }
void jsonw_start_array(struct jsonw *w) { jw_open(w, '['); }
void jsonw_end_array(struct jsonw *w) { jw_close(w, ']'); }

static void put_escaped(FILE *f, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t start = 0;

	fputc('"', f);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = NULL;

		if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
			continue;
		if (i > start)
			fwrite(s + start, 1, i - start, f);
		start = i + 1;
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\n': esc = "\\n"; break;
		case '\t': esc = "\\t"; break;
		case '\r': esc = "\\r"; break;
		default: {
			char u[7] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0 };

			fputs(u, f);
			continue;
		}
		}
		fputs(esc, f);
	}
	if (len > start)
		fwrite(s + start, 1, len - start, f);
	fputc('"', f);
}

void jsonw_name(struct jsonw *w, const char *name)
{
	FILE *f = w->f;
	char *p, *end;

	sep(w);
	/* Names are short literals (a listing writes ~20 per object): copy
	 * `"name":` straight into the stream buffer, checking as we go; on a
	 * byte that needs escaping, or no room, take the general path. */
	p = f->_IO_write_ptr;
	end = f->_IO_write_end;
	if (end - p > 2) {
		const char *n = name;

		*p++ = '"';
		for (; *n && p < end; n++) {
			unsigned char c = (unsigned char)*n;

			if (c < 0x20 || c == '"' || c == '\\' || c == 0x7f)
				break;
			*p++ = (char)c;
		}
		if (!*n && end - p >= 2) {
			*p++ = '"';
			*p++ = ':';
			f->_IO_write_ptr = p;
			goto done;
		}
	}
	put_escaped(f, name, strlen(name));   /* nothing was committed above */
	fputc(':', f);
done:
	if (w->pretty)
		fputc(' ', w->f);
	w->after_name = true;
}

void jsonw_string(struct jsonw *w, const char *s)
{
	jsonw_string_len(w, s, strlen(s));
}

void jsonw_string_len(struct jsonw *w, const char *s, size_t len)
{
	sep(w);
	put_escaped(w->f, s, len);
}

void jsonw_int(struct jsonw *w, int64_t v)
{
	sep(w);
	put_u64(w->f, v < 0 ? -(uint64_t)v : (uint64_t)v, v < 0);
}

void jsonw_uint(struct jsonw *w, uint64_t v)
{
	sep(w);
	put_u64(w->f, v, false);
}

void jsonw_decimal(struct jsonw *w, int64_t v, unsigned int digits)
{
	uint64_t scale = 1, a = v < 0 ? -(uint64_t)v : (uint64_t)v;

	for (unsigned int i = 0; i < digits && i < 19; i++)
		scale *= 10;
	sep(w);
	if (scale == 1)
		fprintf(w->f, "%s%" PRIu64, v < 0 ? "-" : "", a);
	else
		fprintf(w->f, "%s%" PRIu64 ".%0*" PRIu64, v < 0 ? "-" : "", a / scale,
			(int)digits, a % scale);
}

void jsonw_float(struct jsonw *w, double v)
{
	sep(w);
	if (isfinite(v))
		fprintf(w->f, "%.10g", v);
	else
		fputs("null", w->f);
}

void jsonw_bool(struct jsonw *w, bool v)
{
	sep(w);
	fputs(v ? "true" : "false", w->f);
}

void jsonw_null(struct jsonw *w)
{
	sep(w);
	fputs("null", w->f);
}

void jsonw_eol(struct jsonw *w)
{
	fputc('\n', w->f);
	w->need_comma[0] = false;
	w->after_name = false;
}
