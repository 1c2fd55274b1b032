// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Stack resolution and EV_STACK encoding (see resolve.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stack/resolve.h"
#include "stack/unwind.h"

#define MAX_IPS (UNWIND_MAX_FRAMES > IPCS_STACK_DEPTH ? UNWIND_MAX_FRAMES : IPCS_STACK_DEPTH)

/* The process's mappings as known now (live: read /proc once if unknown). */
static const struct proc_meta *meta_of(struct stack_resolver *r, int32_t pid,
				       struct proc_meta *copy)
{
	const struct proc_meta *m;

	if (r->refresh)
		r->refresh(r->ctx);
	if (!r->procs)
		return NULL;
	m = procmeta_get(r->procs, pid);
	if (!m && r->live)
		m = procmeta_capture(r->procs, pid);
	if (m && !r->live) {
		/* a recording: its pids may name other processes here and now */
		*copy = *m;
		copy->exited = true;
		m = copy;
	}
	return m;
}

/*
 * The frame-pointer stack of `id`.  In code built without frame pointers
 * the walk follows whatever %rbp holds: stop at the first address outside
 * the process's executable mappings (none known: only the first frame can
 * be trusted).
 */
static int fp_stack(struct stack_resolver *r, const struct proc_meta *m, int32_t id,
		    uint64_t *ips)
{
	int n;

	if (id < 0 || !r->stack_ips)
		return 0;
	n = r->stack_ips(r->ctx, id, ips, IPCS_STACK_DEPTH);
	if (n <= 0)
		return 0;
	for (int i = 1; i < n; i++)
		if (!ips[i] || !(m && procmeta_find_map(m, ips[i] - 1)))
			return i;
	return n;
}

struct stack_frame *stack_resolve(struct stack_resolver *r, const struct ev_hdr *ev,
				  size_t *n, const char **how)
{
	struct proc_meta none = { .pid = (int32_t)ev->pid, .exited = true }, copy;
	const struct proc_meta *m = meta_of(r, (int32_t)ev->pid, &copy);
	uint64_t ips[MAX_IPS], fp[IPCS_STACK_DEPTH];
	struct stack_frame *frames = NULL;
	struct symbolizer *sy;
	int32_t stack_id = -1;
	int got = 0, nfp;

	*how = NULL;
	*n = 0;
	sy = symbolizer_new(m ? m : &none);
	if (!sy)
		return NULL;
	if (ev->type == EV_CREATE) {
		const struct ev_create *c = (const void *)ev;
		struct unwind_ctx uc;

		stack_id = c->stack_id;
		unwind_ctx_from_create(&uc, c);
		got = unwind_user(sy, &uc, ips, UNWIND_MAX_FRAMES);
		if (got < 0)
			got = 0;
		if (got >= 1)
			*how = "dwarf";
	} else if (ev->type == EV_CALL) {
		stack_id = ((const struct ev_call *)ev)->stack_id;
	}
	/* CFI got less than a caller: the frame-pointer walk, if it does better */
	if (got < 2 && (nfp = fp_stack(r, m, stack_id, fp)) > got) {
		memcpy(ips, fp, (size_t)nfp * sizeof(*fp));
		got = nfp;
		*how = "fp";
	}
	if (*how && !strcmp(*how, "fp"))
		r->fp++;
	else if (got >= 2)
		r->dwarf++;
	else if (got == 1)
		r->bare++;
	/* past a frame in no known mapping, CFI had nothing to go on */
	for (int i = 1; m && i < got - 1; i++)
		if (!procmeta_find_map(m, ips[i] - 1)) {
			got = i + 1;
			break;
		}
	if (got > 0 && (frames = calloc((size_t)got, sizeof(*frames)))) {
		for (int i = 0; i < got; i++)
			symbolize(sy, ips[i], i > 0, &frames[i]);
		*n = (size_t)got;
	}
	symbolizer_free(sy);
	return frames;
}

size_t stack_resolve_id(struct stack_resolver *r, int32_t pid, int32_t stack_id,
			struct stack_frame *out, size_t max)
{
	struct proc_meta none = { .pid = pid, .exited = true }, copy;
	const struct proc_meta *m;
	uint64_t ips[IPCS_STACK_DEPTH];
	int n;

	if (stack_id < 0 || !max)
		return 0;
	m = meta_of(r, pid, &copy);
	n = fp_stack(r, m, stack_id, ips);
	if (n <= 0)
		return 0;
	if ((size_t)n > max)
		n = (int)max;
	if (!r->sy || r->sy_pid != pid) {
		symbolizer_free(r->sy);
		r->sy = symbolizer_new(m ? m : &none);
		r->sy_pid = pid;
	}
	for (int i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		out[i].addr = ips[i];
		if (r->sy)
			symbolize(r->sy, ips[i], i > 0, &out[i]);
	}
	return (size_t)n;
}

void stack_resolver_fini(struct stack_resolver *r)
{
	symbolizer_free(r->sy);
	r->sy = NULL;
}

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
