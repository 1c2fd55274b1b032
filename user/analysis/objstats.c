// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Per-object call rates and latency windows; see objstats.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>

#include "analysis/objstats.h"

#define INITIAL_CAP 256

int objstats_init(struct objstats *s)
{
	memset(s, 0, sizeof(*s));
	s->v = calloc(INITIAL_CAP, sizeof(*s->v));
	if (!s->v)
		return -ENOMEM;
	s->cap = INITIAL_CAP;
	return 0;
}

void objstats_fini(struct objstats *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static size_t hash(uint32_t ns, unsigned int kind, int32_t id, size_t cap)
{
	uint64_t h = ((uint64_t)kind << 32 | (uint32_t)id) * 0x9E3779B97F4A7C15ull;

	h ^= (uint64_t)ns * 0xC2B2AE3D27D4EB4Full;
	return (size_t)(h >> 32) & (cap - 1);
}

static struct objstat *slot_for(struct objstat *v, size_t cap, uint32_t ns, unsigned int kind,
				int32_t id)
{
	size_t i = hash(ns, kind, id, cap);

	while (v[i].used && !(v[i].kind == kind && v[i].id == id && v[i].ipcns == ns))
		i = (i + 1) & (cap - 1);
	return &v[i];
}

static int grow(struct objstats *s)
{
	size_t cap = s->cap * 2;
	struct objstat *v = calloc(cap, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < s->cap; i++)
		if (s->v[i].used)
			*slot_for(v, cap, s->v[i].ipcns, s->v[i].kind, s->v[i].id) = s->v[i];
	free(s->v);
	s->v = v;
	s->cap = cap;
	return 0;
}

static struct objstat *get_or_add(struct objstats *s, uint32_t ns, unsigned int kind, int32_t id)
{
	struct objstat *o;

	if ((s->n + 1) * 4 > s->cap * 3 && grow(s))
		return NULL;
	o = slot_for(s->v, s->cap, ns, kind, id);
	if (!o->used) {
		memset(o, 0, sizeof(*o));
		o->used = true;
		o->kind = (uint8_t)kind;
		o->id = id;
		o->ipcns = ns;
		s->n++;
	}
	return o;
}

const struct objstat *objstats_get(const struct objstats *s, uint32_t ipcns, unsigned int kind,
				   int32_t id)
{
	const struct objstat *o = slot_for(s->v, s->cap, ipcns, kind, id);

	return o->used ? o : NULL;
}

void objstats_mark_preexisting(struct objstats *s, const struct ipc_snapshot *snap, uint32_t ns)
{
	struct objstat *o;

	for (size_t i = 0; snap && i < snap->nshm; i++)
		if ((o = get_or_add(s, ns, KIND_SHM, snap->shm[i].c.id)))
			o->preexisting = true;
	for (size_t i = 0; snap && i < snap->nsem; i++)
		if ((o = get_or_add(s, ns, KIND_SEM, snap->sem[i].c.id)))
			o->preexisting = true;
	for (size_t i = 0; snap && i < snap->nmsg; i++)
		if ((o = get_or_add(s, ns, KIND_MSG, snap->msg[i].c.id)))
			o->preexisting = true;
}

void objstats_take_calls(struct objstats *s, const struct hist_val calls[CALL__MAX])
{
	uint64_t total = 0;

	for (unsigned int c = 0; c < CALL__MAX; c++)
		total += calls[c].count;
	/* lower than last time: counting started afresh */
	s->win_calls += total >= s->cum_total ? total - s->cum_total : total;
	s->cum_total = total;
}

int objstats_take(struct objstats *s, const struct lat_table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct lat_entry *e = &t->v[i];
		struct objstat *o;
		uint64_t d;

		if (e->key.call != CALL_NONE || e->key.id < 0 || !e->key.kind)
			continue;
		o = get_or_add(s, e->key.ipcns, e->key.kind, e->key.id);
		if (!o)
			return -ENOMEM;
		if (e->val.count < o->cum_calls) {
			/* a histogram started afresh: everything in it is new */
			o->cum_calls = 0;
			memset(o->cum_slots, 0, sizeof(o->cum_slots));
		}
		d = e->val.count - o->cum_calls;
		o->win_calls[0] += d;
		o->calls_total += d;
		for (unsigned int b = 0; b < IPCS_HIST_SLOTS; b++) {
			uint64_t v = e->val.slots[b];

			o->win_slots[0][b] += v > o->cum_slots[b] ? v - o->cum_slots[b] : 0;
			o->cum_slots[b] = v;
		}
		o->cum_calls = e->val.count;
	}
	return 0;
}

/* Backward-shift deletion: probe chains stay unbroken, no tombstones. */
static void forget_slot(struct objstats *s, size_t i)
{
	size_t mask = s->cap - 1;

	for (size_t j = (i + 1) & mask; s->v[j].used; j = (j + 1) & mask) {
		size_t home = hash(s->v[j].ipcns, s->v[j].kind, s->v[j].id, s->cap);

		if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) {
			s->v[i] = s->v[j];
			i = j;
		}
	}
	memset(&s->v[i], 0, sizeof(s->v[i]));
	s->n--;
}

static void forget(struct objstats *s, uint32_t ns, unsigned int kind, int32_t id)
{
	struct objstat *o = slot_for(s->v, s->cap, ns, kind, id);

	if (o->used)
		forget_slot(s, (size_t)(o - s->v));
}

static bool in_snapshot(const struct ipc_snapshot *snap, unsigned int kind, int32_t id)
{
	switch (kind) {
	case KIND_SHM:
		return snapshot_shm(snap, id) != NULL;
	case KIND_SEM:
		return snapshot_sem(snap, id) != NULL;
	case KIND_MSG:
		return snapshot_msg(snap, id) != NULL;
	}
	return false;
}

void objstats_retain(struct objstats *s, const struct ipc_snapshot *snaps, const uint32_t *nss,
		     size_t n, void (*forgot)(void *ctx, const struct objstat *o), void *ctx)
{
	for (size_t i = 0; i < s->cap;) {
		struct objstat *o = &s->v[i];
		size_t k = n;

		if (o->used && !o->win_calls[0] && !o->win_calls[1])
			for (k = 0; k < n && nss[k] != o->ipcns; k++)
				;
		if (k == n || in_snapshot(&snaps[k], o->kind, o->id)) {
			i++;            /* unused slot, busy, or a namespace not read */
			continue;
		}
		if (forgot)
			forgot(ctx, o);
		forget_slot(s, i);      /* a later entry may have moved to i */
	}
}

static bool is_get(unsigned int call)
{
	return call == CALL_SHMGET || call == CALL_SEMGET || call == CALL_MSGGET;
}

static bool is_ctl(unsigned int call)
{
	return call == CALL_SHMCTL || call == CALL_SEMCTL || call == CALL_MSGCTL;
}

int objstats_event(void *ctx, const struct ev_hdr *ev)
{
	struct objstats *s = ctx;
	const struct ev_call *c = (const void *)ev;
	struct objstat *o;

	if (ev->type != EV_CALL || c->id < 0 || !c->kind || c->err)
		return 0;
	/* Gone (and its id may be reused): forget it, so churn cannot grow us. */
	if (is_ctl(c->call) && c->cmd == IPC_RMID) {
		forget(s, ev->ipcns, c->kind, c->id);
		return 0;
	}
	if (!is_get(c->call))
		return 0;
	/* The first successful *get of an id that did not exist at start created it. */
	o = get_or_add(s, ev->ipcns, c->kind, c->id);
	if (o && !o->preexisting && !o->creator[0])
		memcpy(o->creator, ev->comm, sizeof(o->creator) - 1);
	return 0;
}

uint64_t hist_quantile_ns(const uint64_t *slots, unsigned int nslots, double q)
{
	uint64_t total = 0, need, run = 0;

	for (unsigned int i = 0; i < nslots; i++)
		total += slots[i];
	if (!total)
		return 0;
	/* The rank of the q-quantile, 1-based, rounded up. */
	need = (uint64_t)((double)total * q);
	if ((double)need < (double)total * q)
		need++;
	if (!need)
		need = 1;
	for (unsigned int i = 0; i < nslots; i++) {
		run += slots[i];
		if (run >= need)
			return 1ull << (i + 1);
	}
	return 1ull << nslots;
}

void objstats_tick(struct objstats *s, double seconds)
{
	uint64_t both[IPCS_HIST_SLOTS];

	if (seconds <= 0)
		seconds = 1;
	s->rate = (double)s->win_calls / seconds;
	s->win_calls = 0;
	for (size_t i = 0; i < s->cap; i++) {
		struct objstat *o = &s->v[i];

		if (!o->used)
			continue;
		o->rate = (double)o->win_calls[0] / seconds;
		for (unsigned int b = 0; b < IPCS_HIST_SLOTS; b++)
			both[b] = o->win_slots[0][b] + o->win_slots[1][b];
		o->p99_ns = hist_quantile_ns(both, IPCS_HIST_SLOTS, 0.99);
		o->win_calls[1] = o->win_calls[0];
		o->win_calls[0] = 0;
		memcpy(o->win_slots[1], o->win_slots[0], sizeof(o->win_slots[0]));
		memset(o->win_slots[0], 0, sizeof(o->win_slots[0]));
	}
}
