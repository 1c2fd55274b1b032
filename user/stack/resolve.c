// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Stack resolution and EV_STACK encoding (see resolve.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stack/resolve.h"
#include "stack/unwind.h"

#define MAX_IPS (UNWIND_MAX_FRAMES > IPCS_STACK_DEPTH ? UNWIND_MAX_FRAMES : IPCS_STACK_DEPTH)

/*
 * The process's mappings as they were at ts (live: read /proc once if
 * unknown): a process that exec'd since has its earlier image kept.
 */
static const struct proc_meta *meta_of(struct stack_resolver *r, int32_t pid, uint64_t ts,
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
	if (m)
		m = procmeta_at_time(m, ts, copy);
	if (m && !r->live) {
		/* a recording: its pids may name other processes here and now */
		if (m != copy)
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

/* The symbolizer for m: the kept one if m is what it was built from. */
static struct symbolizer *symbolizer_for(struct stack_resolver *r, const struct proc_meta *m)
{
	struct stack_sy_key k = { .pid = m->pid, .exited = m->exited, .gen = m->gen,
				  .maps = m->maps, .nmaps = m->nmaps };
	const struct stack_sy_key *o = &r->sy_key;

	if (r->sy && o->pid == k.pid && o->exited == k.exited && o->gen == k.gen &&
	    o->maps == k.maps && o->nmaps == k.nmaps)
		return r->sy;
	symbolizer_free(r->sy);
	r->sy = symbolizer_new(m);
	r->sy_key = k;
	r->sy_built++;
	return r->sy;
}

struct stack_frame *stack_resolve(struct stack_resolver *r, const struct ev_hdr *ev,
				  size_t *n, const char **how)
{
	struct proc_meta none = { .pid = (int32_t)ev->pid, .exited = true }, copy;
	const struct proc_meta *m = meta_of(r, (int32_t)ev->pid, ev->ts_ns, &copy);
	uint64_t ips[MAX_IPS], fp[IPCS_STACK_DEPTH];
	struct stack_frame *frames = NULL;
	struct symbolizer *sy;
	int32_t stack_id = -1;
	int got = 0, nfp;

	*how = NULL;
	*n = 0;
	sy = symbolizer_for(r, m ? m : &none);
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
	return frames;
}

size_t stack_resolve_id(struct stack_resolver *r, int32_t pid, int32_t stack_id,
			struct stack_frame *out, size_t max)
{
	struct proc_meta none = { .pid = pid, .exited = true }, copy;
	const struct proc_meta *m;
	uint64_t ips[IPCS_STACK_DEPTH];
	struct symbolizer *sy;
	int n;

	if (stack_id < 0 || !max)
		return 0;
	m = meta_of(r, pid, 0, &copy);
	n = fp_stack(r, m, stack_id, ips);
	if (n <= 0)
		return 0;
	if ((size_t)n > max)
		n = (int)max;
	sy = symbolizer_for(r, m ? m : &none);
	for (int i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		out[i].addr = ips[i];
		if (sy)
			symbolize(sy, ips[i], i > 0, &out[i]);
	}
	return (size_t)n;
}

void stack_resolver_fini(struct stack_resolver *r)
{
	symbolizer_free(r->sy);
	r->sy = NULL;
}
