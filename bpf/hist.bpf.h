/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * In-kernel aggregation shared by the objects that aggregate calls
 * (latency.bpf.c; ipcscope.bpf.c in its `aggregate` mode for top and
 * metrics): log2 latency histograms (struct hist_val, events.h) per call
 * and per (call, object, namespace).  A per-object histogram (or any entry
 * made with ipcs_lookup_or_init()) that cannot be created because the map
 * is full is counted in the caller's counter map, never silent.
 */
#ifndef IPCS_HIST_BPF_H
#define IPCS_HIST_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "events.h"

static const struct hist_val ipcs_zero_hist;

/* Per-call histograms, indexed by enum ipcs_call: every aggregating object's. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CALL__MAX);
	__type(key, __u32);
	__type(value, struct hist_val);
} call_hists SEC(".maps");

static __always_inline __u32 ipcs_slot_of(__u64 v)
{
	__u32 s = 0;

	/* floor(log2(v)), 0 for 0 and 1: the same as user/event.c log2_slot() */
#pragma unroll
	for (int i = 5; i >= 0; i--) {
		__u32 sh = 1u << i;

		if (v >> sh) {
			v >>= sh;
			s += sh;
		}
	}
	return s < IPCS_HIST_SLOTS ? s : IPCS_HIST_SLOTS - 1;
}

/*
 * One completed call into a histogram: latency, error or payload bytes,
 * and (with_offcpu) the time it spent switched out and whether it slept.
 */
static __always_inline void ipcs_hist_add(struct hist_val *v, __u64 lat, long ret, __u64 bytes,
					  bool with_offcpu, __u64 offcpu, __u8 waited)
{
	v->slots[ipcs_slot_of(lat)]++;
	v->count++;
	v->sum_ns += lat;
	if (lat > v->max_ns)
		v->max_ns = lat;
	if (ret < 0)
		v->errors++;
	else
		v->bytes += bytes;
	if (with_offcpu) {
		/* most calls never leave the CPU: slot 0 without the log2 */
		v->offcpu_slots[offcpu ? ipcs_slot_of(offcpu) : 0]++;
		v->offcpu_sum_ns += offcpu;
		v->waited += waited;
	}
}

/* The object a call is about: the id it returned for *get, else arg0. */
static __always_inline __s32 ipcs_hist_id(__u8 call, __s32 arg_id, long ret)
{
	if (call == CALL_SEMGET || call == CALL_SHMGET || call == CALL_MSGGET)
		return ret >= 0 ? (__s32)ret : -1;
	return arg_id;
}

/*
 * The value of `key` in hash `map`, created from `init` on first use; NULL
 * when the map is full, counted then (only then: no lookup on the common
 * path) in the one-entry per-CPU counter array `lost_map`.
 */
static __always_inline void *ipcs_lookup_or_init(void *map, const void *key, const void *init,
						 void *lost_map)
{
	void *v = bpf_map_lookup_elem(map, key);
	__u32 zero = 0;
	__u64 *d;

	if (v)
		return v;
	/* EEXIST from a racing CPU is fine: look it up again */
	bpf_map_update_elem(map, key, init, BPF_NOEXIST);
	v = bpf_map_lookup_elem(map, key);
	if (!v && (d = bpf_map_lookup_elem(lost_map, &zero)))
		(*d)++;
	return v;
}

/* The histogram of (call, kind, id, ipcns) in the per-CPU hash `map`. */
static __always_inline struct hist_val *ipcs_object_hist(void *map, void *lost_map, __u8 call,
							 __u8 kind, __s32 id, __u32 ipcns)
{
	struct hist_key key = {};

	key.call = call;
	key.kind = kind;
	key.id = id;
	key.ipcns = ipcns;
	return ipcs_lookup_or_init(map, &key, &ipcs_zero_hist, lost_map);
}

#endif
