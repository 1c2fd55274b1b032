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

static size_t hash(unsigned int kind, int32_t id, size_t cap)
{
	uint64_t h = ((uint64_t)kind << 32 | (uint32_t)id) * 0x9E3779B97F4A7C15ull;

	return (size_t)(h >> 32) & (cap - 1);
}

static struct objstat *slot_for(struct objstat *v, size_t cap, unsigned int kind, int32_t id)
{
	size_t i = hash(kind, id, cap);

	while (v[i].used && !(v[i].kind == kind && v[i].id == id))
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
			*slot_for(v, cap, s->v[i].kind, s->v[i].id) = s->v[i];
	free(s->v);
	s->v = v;
	s->cap = cap;
	return 0;
}

static struct objstat *get_or_add(struct objstats *s, unsigned int kind, int32_t id)
{
	struct objstat *o;

	if ((s->n + 1) * 4 > s->cap * 3 && grow(s))
		return NULL;
	o = slot_for(s->v, s->cap, kind, id);
	if (!o->used) {
		memset(o, 0, sizeof(*o));
		o->used = true;
		o->kind = (uint8_t)kind;
		o->id = id;
		s->n++;
	}
	return o;
}

const struct objstat *objstats_get(const struct objstats *s, unsigned int kind, int32_t id)
{
	const struct objstat *o = slot_for(s->v, s->cap, kind, id);

	return o->used ? o : NULL;
}

void objstats_mark_preexisting(struct objstats *s, const struct ipc_snapshot *snap)
{
	struct objstat *o;

	for (size_t i = 0; snap && i < snap->nshm; i++)
		if ((o = get_or_add(s, KIND_SHM, snap->shm[i].c.id)))
			o->preexisting = true;
	for (size_t i = 0; snap && i < snap->nsem; i++)
		if ((o = get_or_add(s, KIND_SEM, snap->sem[i].c.id)))
			o->preexisting = true;
	for (size_t i = 0; snap && i < snap->nmsg; i++)
		if ((o = get_or_add(s, KIND_MSG, snap->msg[i].c.id)))
			o->preexisting = true;
}

/* Backward-shift deletion: probe chains stay unbroken, no tombstones. */
static void forget_slot(struct objstats *s, size_t i)
{
	size_t mask = s->cap - 1;

	for (size_t j = (i + 1) & mask; s->v[j].used; j = (j + 1) & mask) {
		size_t home = hash(s->v[j].kind, s->v[j].id, s->cap);

		if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) {
			s->v[i] = s->v[j];
			i = j;
		}
	}
	memset(&s->v[i], 0, sizeof(s->v[i]));
	s->n--;
}

static void forget(struct objstats *s, unsigned int kind, int32_t id)
{
	struct objstat *o = slot_for(s->v, s->cap, kind, id);

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

void objstats_retain(struct objstats *s, const struct ipc_snapshot *snap)
{
	for (size_t i = 0; i < s->cap;) {
		struct objstat *o = &s->v[i];

		if (!o->used || o->win_calls[0] || o->win_calls[1] ||
		    in_snapshot(snap, o->kind, o->id)) {
			i++;
			continue;
		}
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
	struct hist_val *h;
	struct objstat *o;
	unsigned int slot;

	if (ev->type != EV_CALL || c->call <= CALL_NONE || c->call >= CALL__MAX)
		return 0;
	s->events++;
	slot = log2_slot(c->lat_ns);
	h = &s->calls[c->call];
	h->count++;
	h->errors += c->err != 0;
	h->sum_ns += c->lat_ns;
	h->slots[slot]++;
	if (c->lat_ns > h->max_ns)
		h->max_ns = c->lat_ns;
	if ((c->call == CALL_MSGSND || c->call == CALL_MSGRCV) && !c->err && c->ret >= 0)
		h->bytes += c->call == CALL_MSGRCV ? (uint64_t)c->ret : c->size;
	s->win_calls++;

	if (c->id < 0 || !c->kind)
		return 0;
	/* Gone (and its id may be reused): forget it, so churn cannot grow us. */
	if (is_ctl(c->call) && c->cmd == IPC_RMID && !c->err) {
		forget(s, c->kind, c->id);
		return 0;
	}
	o = get_or_add(s, c->kind, c->id);
	if (!o)
		return 0;   /* out of memory: the totals above still count */
	o->win_calls[0]++;
	o->win_slots[0][slot]++;
	o->calls_total++;
	/* The first successful *get of an id that did not exist at start created it. */
	if (is_get(c->call) && !c->err && !o->preexisting && !o->creator[0])
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
