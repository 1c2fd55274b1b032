/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A u64 -> u64 hash map, open addressing with linear probing and
 * backward-shift deletion (no tombstones, so deleting keeps lookups fast
 * under any churn).  Key 0 is reserved for empty slots: callers offset
 * their keys.  Grows at half full; never shrinks.
 */
#ifndef IPCS_U64MAP_H
#define IPCS_U64MAP_H

#include <stddef.h>
#include <stdint.h>

struct u64kv {
	uint64_t k, v;
};

struct u64map {
	struct u64kv *v;
	size_t cap, n;
};

/* The entry for key (non-zero), or NULL. */
struct u64kv *u64map_find(const struct u64map *m, uint64_t key);
/* Insert or replace.  0 or -ENOMEM. */
int u64map_put(struct u64map *m, uint64_t key, uint64_t val);
void u64map_del(struct u64map *m, uint64_t key);
void u64map_free(struct u64map *m);

#endif
