// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/latency.h"
#include "event.h"
#include "util/vec.h"

void lat_table_free(struct lat_table *t)
{
	free(t->v);
	memset(t, 0, sizeof(*t));
}

static struct lat_entry *find(struct lat_table *t, const struct hist_key *k)
{
	for (size_t i = t->n; i-- > 0;)
		if (t->v[i].key.call == k->call && t->v[i].key.id == k->id &&
		    t->v[i].key.ipcns == k->ipcns && t->v[i].key.kind == k->kind)
			return &t->v[i];
	if (vec_grow(t->v, t->n, t->cap))
		return NULL;
	memset(&t->v[t->n], 0, sizeof(t->v[0]));
	t->v[t->n].key.call = k->call;
	t->v[t->n].key.kind = k->kind;
	t->v[t->n].key.id = k->id;
	t->v[t->n].key.ipcns = k->ipcns;
	return &t->v[t->n++];
}

void hist_val_add(struct hist_val *dst, const struct hist_val *v)
{
	for (int i = 0; i < IPCS_HIST_SLOTS; i++) {
		dst->slots[i] += v->slots[i];
		dst->offcpu_slots[i] += v->offcpu_slots[i];
	}
	dst->count += v->count;
	dst->errors += v->errors;
	dst->sum_ns += v->sum_ns;
	dst->offcpu_sum_ns += v->offcpu_sum_ns;
	dst->bytes += v->bytes;
	dst->waited += v->waited;
	if (v->max_ns > dst->max_ns)
		dst->max_ns = v->max_ns;
}

int lat_table_add(struct lat_table *t, const struct hist_key *k, const struct hist_val *v)
{
	struct lat_entry *e = find(t, k);

	if (!e)
		return -ENOMEM;
	hist_val_add(&e->val, v);
	return 0;
}

int lat_table_append(struct lat_table *t, const struct hist_key *k, const struct hist_val *v)
{
	if (vec_grow(t->v, t->n, t->cap))
		return -ENOMEM;
	memset(&t->v[t->n], 0, sizeof(t->v[0]));
	t->v[t->n].key.call = k->call;
	t->v[t->n].key.kind = k->kind;
	t->v[t->n].key.id = k->id;
	t->v[t->n].key.ipcns = k->ipcns;
	t->v[t->n++].val = *v;
	return 0;
}

int lat_table_event(struct lat_table *t, const struct ev_hdr *ev, bool per_object)
{
	const struct ev_call *c = (const struct ev_call *)ev;
	struct hist_key k = { 0 };
	struct hist_val v = { 0 };

	if (ev->type != EV_CALL)
		return 0;
	k.call = c->call;
	k.id = per_object ? c->id : -1;
	k.ipcns = ev->ipcns;
	v.slots[log2_slot(c->lat_ns)] = 1;
	v.offcpu_slots[log2_slot(c->offcpu_ns)] = 1;
	v.count = 1;
	v.errors = c->ret < 0;
	v.sum_ns = c->lat_ns;
	v.offcpu_sum_ns = c->offcpu_ns;
	v.max_ns = c->lat_ns;
	v.waited = !!(c->flags & EVF_WAITED);
	if (c->ret >= 0 && c->call == CALL_MSGSND)
		v.bytes = c->size;
	else if (c->ret >= 0 && c->call == CALL_MSGRCV)
		v.bytes = (uint64_t)c->ret;
	return lat_table_add(t, &k, &v);
}

static int cmp_entry(const void *a, const void *b)
{
	const struct lat_entry *x = a, *y = b;

	if (x->key.call != y->key.call)
		return x->key.call - y->key.call;
	if (x->key.ipcns != y->key.ipcns)
		return x->key.ipcns < y->key.ipcns ? -1 : 1;
	return (x->key.id > y->key.id) - (x->key.id < y->key.id);
}

int lat_table_by_call(const struct lat_table *t, struct lat_table *out)
{
	memset(out, 0, sizeof(*out));
	out->offcpu = t->offcpu;
	out->dropped = t->dropped;
	for (size_t i = 0; i < t->n; i++) {
		struct hist_key k = t->v[i].key;

		k.id = -1;
		k.ipcns = 0;
		if (lat_table_add(out, &k, &t->v[i].val)) {
			lat_table_free(out);
			return -ENOMEM;
		}
	}
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), cmp_entry);
	return 0;
}

uint64_t lat_total_count(const struct lat_table *t)
{
	uint64_t n = 0;

	for (size_t i = 0; i < t->n; i++)
		n += t->v[i].val.count;
	return n;
}

uint64_t lat_percentile(const __u64 *slots, uint64_t count, uint64_t max_ns, double q)
{
	double target = q * (double)count, cum = 0;

	if (!count)
		return 0;
	for (int s = 0; s < IPCS_HIST_SLOTS; s++) {
		double lo = s ? (double)(1ull << s) : 0, hi = (double)(2ull << s);
		uint64_t v;

		if (!slots[s])
			continue;
		if (cum + (double)slots[s] >= target) {
			/* linear within the bucket, never past the largest seen */
			v = (uint64_t)(lo + (hi - lo) * (target - cum) / (double)slots[s]);
			return max_ns && v > max_ns ? max_ns : v;
		}
		cum += (double)slots[s];
	}
	return max_ns;
}

static int cmp_queue_entry(const void *a, const void *b)
{
	const struct lat_entry *x = *(const struct lat_entry *const *)a;
	const struct lat_entry *y = *(const struct lat_entry *const *)b;

	if (x->key.ipcns != y->key.ipcns)
		return x->key.ipcns < y->key.ipcns ? -1 : 1;
	return (x->key.id > y->key.id) - (x->key.id < y->key.id);
}

/*
 * The queue entries, sorted by (namespace, id), then one row per run of
 * equal keys: O(n log n) for many queues.
 */
size_t lat_queues(const struct lat_table *t, struct lat_queue **out)
{
	const struct lat_entry **ev = NULL;
	struct lat_queue *q = NULL;
	size_t nev = 0, evcap = 0, n = 0, cap = 0;

	*out = NULL;
	for (size_t i = 0; i < t->n; i++) {
		const struct lat_entry *e = &t->v[i];

		if ((e->key.call != CALL_MSGSND && e->key.call != CALL_MSGRCV) || e->key.id < 0)
			continue;
		if (vec_push(ev, nev, evcap, e))
			break;
	}
	if (nev)
		qsort(ev, nev, sizeof(*ev), cmp_queue_entry);
	for (size_t i = 0; i < nev; i++) {
		const struct lat_entry *e = ev[i];
		struct lat_queue *x = n ? &q[n - 1] : NULL;

		if (!x || x->id != e->key.id || x->ipcns != e->key.ipcns) {
			if (vec_grow(q, n, cap))
				break;
			x = &q[n++];
			memset(x, 0, sizeof(*x));
			x->id = e->key.id;
			x->ipcns = e->key.ipcns;
			x->fill_peak_pct = -1;
		}
		if (e->key.call == CALL_MSGSND) {
			x->sends += e->val.count - e->val.errors;
			x->send_bytes += e->val.bytes;
			x->send_blocked_ns += t->offcpu ? e->val.offcpu_sum_ns : e->val.sum_ns;
			x->send_waits += e->val.waited;
		} else {
			x->recvs += e->val.count - e->val.errors;
			x->recv_bytes += e->val.bytes;
			x->recv_waits += e->val.waited;
		}
	}
	free(ev);
	*out = q;
	return n;
}
