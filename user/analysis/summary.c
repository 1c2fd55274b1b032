// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Per-call and per-object counts over an event stream (see summary.h):
 * pure, the analysis behind `report summary` (job/summary_job.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analysis/summary.h"

void summary_init(struct summary *sm)
{
	memset(sm, 0, sizeof(*sm));
}

void summary_fini(struct summary *sm)
{
	free(sm->objs);
	memset(sm, 0, sizeof(*sm));
}

bool summary_call_slept(const struct ev_call *e)
{
	switch (e->call) {
	case CALL_SEMOP:
	case CALL_SEMTIMEDOP:
	case CALL_MSGSND:
	case CALL_MSGRCV:
		/* off-CPU tracked: the sched_switch hook says whether it slept;
		 * switched out without EVF_WAITED is preemption, not a wait */
		if (e->flags & EVF_WAITED)
			return true;
		if (e->offcpu_ns)
			return false;
		return e->lat_ns >= SUMMARY_SLEPT_NS;
	default:
		return false;     /* the others do not wait; off-CPU there is preemption */
	}
}

static size_t obj_slot(uint8_t kind, int32_t id, uint32_t ns, size_t cap)
{
	uint64_t h = ((uint64_t)kind << 56) ^ ((uint64_t)ns << 24) ^ (uint32_t)id;

	return (size_t)((h * 0x9E3779B97F4A7C15ull) >> 20) & (cap - 1);
}

static struct summary_obj *obj_get(struct summary *sm, uint8_t kind, int32_t id, uint32_t ns)
{
	size_t i;

	if ((sm->nobjs + 1) * 2 > sm->cap) {
		size_t cap = sm->cap ? sm->cap * 2 : 256;
		struct summary_obj *v = calloc(cap, sizeof(*v));

		if (!v) {
			sm->oom = true;
			return NULL;
		}
		for (size_t k = 0; k < sm->cap; k++) {
			if (!sm->objs[k].kind)
				continue;
			i = obj_slot(sm->objs[k].kind, sm->objs[k].id, sm->objs[k].ipcns, cap);
			while (v[i].kind)
				i = (i + 1) & (cap - 1);
			v[i] = sm->objs[k];
		}
		free(sm->objs);
		sm->objs = v;
		sm->cap = cap;
	}
	for (i = obj_slot(kind, id, ns, sm->cap); sm->objs[i].kind; i = (i + 1) & (sm->cap - 1))
		if (sm->objs[i].kind == kind && sm->objs[i].id == id && sm->objs[i].ipcns == ns)
			return &sm->objs[i];
	sm->objs[i].kind = kind;
	sm->objs[i].id = id;
	sm->objs[i].ipcns = ns;
	sm->nobjs++;
	return &sm->objs[i];
}

int summary_event(void *ctx, const struct ev_hdr *ev)
{
	struct summary *sm = ctx;
	const struct ev_call *e = (const void *)ev;
	struct summary_call *c;
	struct summary_obj *o;
	bool slept;

	sm->events++;
	if (!sm->first_ts || ev->ts_ns < sm->first_ts)
		sm->first_ts = ev->ts_ns;
	if (ev->ts_ns > sm->last_ts)
		sm->last_ts = ev->ts_ns;
	switch (ev->type) {
	case EV_FORK:
	case EV_EXEC:
	case EV_EXIT:
		sm->proc_events++;
		return 0;
	case EV_CREATE:
		sm->creates++;
		return 0;
	case EV_BLOCK:
		sm->still_blocked++;
		return 0;
	case EV_CALL:
		break;
	default:
		return 0;
	}
	if (e->call >= CALL__MAX)
		return 0;
	c = &sm->calls[e->call];
	slept = summary_call_slept(e);
	c->count++;
	c->errors += e->err != 0;
	c->lat_ns += e->lat_ns;
	if (e->lat_ns > c->max_ns)
		c->max_ns = e->lat_ns;
	if (slept) {
		c->blocked_calls++;
		c->blocked_ns += e->lat_ns;
	}
	if (e->id < 0 || !e->kind)
		return 0;
	o = obj_get(sm, e->kind, e->id, ev->ipcns);
	if (!o)
		return 0;
	o->calls++;
	o->errors += e->err != 0;
	if (slept) {
		o->blocked_calls++;
		o->blocked_ns += e->lat_ns;
	}
	if ((e->call == CALL_SHMGET || e->call == CALL_SEMGET || e->call == CALL_MSGGET) &&
	    !e->err) {
		o->key = e->key;
		o->key_known = true;
	}
	return 0;
}

static bool better(const struct summary_obj *a, const struct summary_obj *b, bool by_blocked)
{
	uint64_t x = by_blocked ? a->blocked_ns : a->calls, y = by_blocked ? b->blocked_ns : b->calls;

	if (x != y)
		return x > y;
	if (a->kind != b->kind)
		return a->kind < b->kind;
	return a->id < b->id;
}

size_t summary_top(const struct summary *sm, bool by_blocked, const struct summary_obj **out,
		   size_t n)
{
	size_t got = 0;

	for (size_t i = 0; i < sm->cap; i++) {
		const struct summary_obj *o = &sm->objs[i];
		size_t k;

		if (!o->kind || (by_blocked && !o->blocked_ns))
			continue;
		if (got == n && !better(o, out[n - 1], by_blocked))
			continue;
		k = got < n ? got++ : n - 1;
		while (k > 0 && better(o, out[k - 1], by_blocked)) {
			out[k] = out[k - 1];
			k--;
		}
		out[k] = o;
	}
	return got;
}

