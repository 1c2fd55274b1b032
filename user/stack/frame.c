// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* EV_STACK encoding and decoding (see frame.h): pure, no libdw. */
#include <stdlib.h>
#include <string.h>

#include "stack/frame.h"

/* ---- EV_STACK ------------------------------------------------------- */

struct strtab {
	char buf[60000];
	size_t len;
};

/* Offset of s in the table (shared with an equal string already there). */
static uint16_t str_add(struct strtab *t, const char *s)
{
	size_t len = strlen(s) + 1;

	if (!s[0])
		return EV_STACK_NOSTR;
	for (size_t off = 0; off < t->len; off += strlen(t->buf + off) + 1)
		if (!strcmp(t->buf + off, s))
			return (uint16_t)off;
	if (t->len + len > sizeof(t->buf) || t->len >= EV_STACK_NOSTR)
		return EV_STACK_NOSTR;   /* full: the frame keeps build-id + offset */
	memcpy(t->buf + t->len, s, len);
	t->len += len;
	return (uint16_t)(t->len - len);
}

struct ev_hdr *stack_event_new(const struct ev_hdr *create, unsigned int kind, int32_t id,
			       const struct stack_frame *f, size_t n, const char *how)
{
	struct strtab *t = calloc(1, sizeof(*t));
	struct ev_stack_frame *fr;
	struct ev_stack *ev;
	size_t size;

	if (!t)
		return NULL;
	if (n > 255)
		n = 255;
	fr = calloc(n ? n : 1, sizeof(*fr));
	if (!fr) {
		free(t);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		fr[i].addr = f[i].addr;
		fr[i].offset = f[i].offset;
		fr[i].file_offset = f[i].file_offset;
		fr[i].build_id_len = f[i].build_id_len > sizeof(fr[i].build_id)
					     ? sizeof(fr[i].build_id) : f[i].build_id_len;
		memcpy(fr[i].build_id, f[i].build_id, fr[i].build_id_len);
		fr[i].symbol = str_add(t, f[i].symbol);
		fr[i].func = str_add(t, f[i].func);
		fr[i].module = str_add(t, f[i].module);
	}
	size = sizeof(*ev) + n * sizeof(*fr) + t->len;
	while (size > UINT16_MAX && n) {         /* never: 255 frames of 56 bytes fit */
		n--;
		size -= sizeof(*fr);
	}
	ev = calloc(1, size);
	if (ev) {
		ev->h = *create;
		ev->h.type = EV_STACK;
		ev->h.size = (uint16_t)size;
		ev->kind = (uint8_t)kind;
		ev->id = id;
		ev->nframes = (uint8_t)n;
		ev->how = how && !strcmp(how, "fp") ? 2 : how ? 1 : 0;
		ev->strings_len = (uint32_t)t->len;
		memcpy(ev + 1, fr, n * sizeof(*fr));
		memcpy((char *)(ev + 1) + n * sizeof(*fr), t->buf, t->len);
	}
	free(fr);
	free(t);
	return ev ? &ev->h : NULL;
}

static void str_get(char *out, size_t outlen, const char *strs, size_t len, uint16_t off)
{
	out[0] = '\0';
	if (off == EV_STACK_NOSTR || off >= len)
		return;
	/* the table is NUL-terminated at its end (checked by the caller) */
	strncpy(out, strs + off, outlen - 1);
	out[outlen - 1] = '\0';
}

struct stack_frame *stack_event_frames(const struct ev_hdr *h, size_t *n, const char **how)
{
	const struct ev_stack *ev = (const void *)h;
	const struct ev_stack_frame *fr = (const void *)(ev + 1);
	const char *strs;
	struct stack_frame *out;

	*n = 0;
	*how = NULL;
	if (h->type != EV_STACK || h->size < sizeof(*ev) ||
	    h->size != sizeof(*ev) + (size_t)ev->nframes * sizeof(*fr) + ev->strings_len)
		return NULL;
	strs = (const char *)(fr + ev->nframes);
	if (ev->strings_len && strs[ev->strings_len - 1] != '\0')
		return NULL;
	out = calloc(ev->nframes ? ev->nframes : 1, sizeof(*out));
	if (!out)
		return NULL;
	for (size_t i = 0; i < ev->nframes; i++) {
		out[i].addr = fr[i].addr;
		out[i].offset = fr[i].offset;
		out[i].file_offset = fr[i].file_offset;
		out[i].build_id_len = fr[i].build_id_len > sizeof(fr[i].build_id)
					      ? sizeof(fr[i].build_id) : fr[i].build_id_len;
		memcpy(out[i].build_id, fr[i].build_id, out[i].build_id_len);
		str_get(out[i].symbol, sizeof(out[i].symbol), strs, ev->strings_len, fr[i].symbol);
		str_get(out[i].func, sizeof(out[i].func), strs, ev->strings_len, fr[i].func);
		str_get(out[i].module, sizeof(out[i].module), strs, ev->strings_len, fr[i].module);
	}
	*n = ev->nframes;
	*how = ev->how == 2 ? "fp" : ev->how == 1 ? "dwarf" : NULL;
	return out;
}
