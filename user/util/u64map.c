// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* u64 -> u64 hash map (see u64map.h). */
#include <errno.h>
#include <stdlib.h>

#include "util/u64map.h"

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return x;
}

static int grow(struct u64map *m)
{
	size_t cap = m->cap ? m->cap * 2 : 256;
	struct u64kv *nv = calloc(cap, sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	for (size_t i = 0; i < m->cap; i++) {
		size_t j;

		if (!m->v[i].k)
			continue;
		for (j = mix(m->v[i].k) & (cap - 1); nv[j].k; j = (j + 1) & (cap - 1))
			;
		nv[j] = m->v[i];
	}
	free(m->v);
	m->v = nv;
	m->cap = cap;
	return 0;
}

struct u64kv *u64map_find(const struct u64map *m, uint64_t key)
{
	if (!m->cap)
		return NULL;
	for (size_t i = mix(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (!m->v[i].k)
			return NULL;
		if (m->v[i].k == key)
			return &m->v[i];
	}
}

int u64map_put(struct u64map *m, uint64_t key, uint64_t val)
{
	struct u64kv *e = u64map_find(m, key);
	size_t i;

	if (e) {
		e->v = val;
		return 0;
	}
	if ((m->n + 1) * 2 > m->cap && grow(m))
		return -ENOMEM;
	for (i = mix(key) & (m->cap - 1); m->v[i].k; i = (i + 1) & (m->cap - 1))
		;
	m->v[i].k = key;
	m->v[i].v = val;
	m->n++;
	return 0;
}

void u64map_del(struct u64map *m, uint64_t key)
{
	struct u64kv *e = u64map_find(m, key), *t = m->v;
	size_t mask = m->cap - 1, i, j;

	if (!e)
		return;
	i = (size_t)(e - t);
	for (j = (i + 1) & mask; t[j].k; j = (j + 1) & mask) {
		size_t home = mix(t[j].k) & mask;

		/* t[j] may move to the hole at i if its home is not in (i, j] */
		if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) {
			t[i] = t[j];
			i = j;
		}
	}
	t[i].k = t[i].v = 0;
	m->n--;
}

void u64map_free(struct u64map *m)
{
	free(m->v);
	m->v = NULL;
	m->cap = m->n = 0;
}
