/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Filters shared by every BPF object (streaming, latency, extras), applied
 * before any event is built.  Each object that includes this gets its own
 * copies of the rodata knobs (set by userspace before load) and of the
 * `tracked` map; the object must also attach ipcs_filter_on_fork() and
 * ipcs_filter_on_exit() to sched_process_fork/exit so that -p PID follows
 * children.
 *
 * Objects that keep task-local storage anyway should call
 * ipcs_task_selected_cached() instead of ipcs_task_selected(): the -p
 * decision is then a byte in that storage instead of a `tracked` lookup on
 * every call (see there).
 */
#ifndef IPCSCOPE_FILTER_BPF_H
#define IPCSCOPE_FILTER_BPF_H

#include "events.h"

const volatile __u32 filter_pid = 0;          /* tgid; 0 = any */
const volatile __u32 filter_exclude_pid = 0;  /* tgid never selected (the agent itself); 0 = none */
/* Tasks whose comm is "ipcscope" are never selected: other instances and our
 * own forked helpers (namespace readers) read the tables, which is not the
 * workload's use of them.  IPCSCOPE_TRACE_SELF=1 turns it off. */
const volatile bool filter_exclude_ipcscope = false;
const volatile __u64 filter_cgroup_id = 0;    /* cgroup v2 id; 0 = any */
const volatile __u64 filter_comm_lo = 0;      /* comm bytes 0..7 */
const volatile __u64 filter_comm_hi = 0;      /* comm bytes 8..15 */
const volatile bool filter_comm_on = false;
const volatile __u32 filter_ipcns = 0;        /* IPC namespace inode; 0 = any */
const volatile __u32 filter_kinds = 0;        /* KIND_BIT mask; 0 = all */
const volatile __u64 filter_min_lat_ns = 0;
const volatile bool filter_errors_only = false;

/* Processes selected by -p: filter_pid and its descendants (userspace seeds it). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u8);
} tracked SEC(".maps");

static __always_inline __u32 task_ipcns(struct task_struct *t)
{
	return BPF_CORE_READ(t, nsproxy, ipc_ns, ns.inum);
}

/*
 * Bumped by userspace (skel->bss->ipcs_tracked_gen++) after it adds a pid
 * to `tracked` while programs run: every cached -p decision is redone.
 * Children added by ipcs_filter_on_fork() need no bump: a new task has no
 * cache yet.
 */
__u32 ipcs_tracked_gen = 0;

/* The checks other than -p. */
static __always_inline bool ipcs_task_selected_nopid(__u32 tgid)
{
	if (filter_exclude_pid && tgid == filter_exclude_pid)
		return false;
	if (filter_cgroup_id && bpf_get_current_cgroup_id() != filter_cgroup_id)
		return false;
	if (filter_comm_on || filter_exclude_ipcscope) {
		__u64 comm[2] = {};

		bpf_get_current_comm(comm, sizeof(comm));
		if (filter_comm_on && (comm[0] != filter_comm_lo || comm[1] != filter_comm_hi))
			return false;
		/* "ipcscope" then NUL, little-endian */
		if (filter_exclude_ipcscope && comm[0] == 0x65706f6373637069ull &&
		    !(comm[1] & 0xff))
			return false;
	}
	if (filter_ipcns) {
		struct task_struct *t = (struct task_struct *)bpf_get_current_task();

		if (task_ipcns(t) != filter_ipcns)
			return false;
	}
	return true;
}

/* Who-is-calling checks, done once at syscall entry. */
static __always_inline bool ipcs_task_selected(__u32 tgid)
{
	if (filter_pid && !bpf_map_lookup_elem(&tracked, &tgid))
		return false;
	return ipcs_task_selected_nopid(tgid);
}

/*
 * The same, with the -p decision cached in `*cache`, a __u32 of the
 * caller's task-local storage (BPF_MAP_TYPE_TASK_STORAGE) that starts at 0:
 * it holds (generation << 1 | selected), generation being
 * ipcs_tracked_gen + 1, so 0 never matches.  Saves a hash lookup per call;
 * -p decisions do not change during a task's life except through
 * userspace adding pids, which bumps the generation.  The other checks
 * (cgroup, comm, namespace) can change (exec, setns) and are redone.
 */
static __always_inline bool ipcs_task_selected_cached(__u32 tgid, __u32 *cache)
{
	if (filter_pid) {
		__u32 gen = ipcs_tracked_gen + 1, c = *cache;

		if (c >> 1 != gen) {
			c = gen << 1 | (bpf_map_lookup_elem(&tracked, &tgid) ? 1 : 0);
			*cache = c;
		}
		if (!(c & 1))
			return false;
	}
	return ipcs_task_selected_nopid(tgid);
}

static __always_inline bool ipcs_kind_selected(__u32 kind)
{
	return !filter_kinds || (filter_kinds & KIND_BIT(kind));
}

/* What-happened checks, done at syscall exit. */
static __always_inline bool ipcs_result_selected(__u64 lat_ns, long ret)
{
	if (lat_ns < filter_min_lat_ns)
		return false;
	if (filter_errors_only && ret >= 0)
		return false;
	return true;
}

static __always_inline void ipcs_filter_on_fork(struct task_struct *parent,
						struct task_struct *child)
{
	__u32 ptgid, ctgid;
	__u8 one = 1;

	if (!filter_pid)
		return;
	ptgid = BPF_CORE_READ(parent, tgid);
	ctgid = BPF_CORE_READ(child, tgid);
	if (ptgid != ctgid && bpf_map_lookup_elem(&tracked, &ptgid))
		bpf_map_update_elem(&tracked, &ctgid, &one, BPF_ANY);
}

static __always_inline void ipcs_filter_on_exit(__u32 tgid)
{
	/* keep filter_pid itself: userspace may still want its late events */
	if (filter_pid && tgid != filter_pid)
		bpf_map_delete_elem(&tracked, &tgid);
}

#endif
