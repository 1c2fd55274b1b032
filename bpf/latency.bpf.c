// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * In-kernel latency aggregation: log2 histograms per call in a per-CPU
 * array indexed by call (`call_hists`, always filled), and per object in a
 * per-CPU hash (`hists`) only when asked: every call with `per_object`,
 * msgsnd/msgrcv with `queue_objects` (the queue view).  No per-event
 * streaming.  The start of a call lives in task-local storage (no shared
 * hash on the hot path); off-CPU time inside a call comes from sched_switch
 * when `want_offcpu` is set.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "events.h"
#include "filter.bpf.h"
#include "hist.bpf.h"
#include "syscalls.bpf.h"
#include "task_state.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define IPC_64 0x0100

const volatile bool per_object = false;
const volatile bool queue_objects = false;
const volatile bool want_offcpu = false;

struct call_start {
	__u64 start_ns;
	__u64 switched_out_ns;
	__u64 offcpu_ns;
	__u64 size;          /* msgsnd size */
	__s32 id;
	__u32 tracked_cache; /* ipcs_task_selected_cached() */
	__u8 call;
	__u8 waited;         /* waited: went to sleep inside the call */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct call_start);
} starts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CALL__MAX);
	__type(key, __u32);
	__type(value, struct hist_val);
} call_hists SEC(".maps");

/* Userspace shrinks it to one entry when neither per_object nor queue_objects. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 10240);
	__type(key, struct hist_key);
	__type(value, struct hist_val);
} hists SEC(".maps");

/*
 * Loss, named `lost` in every object: here the calls that could not be
 * added to a per-object histogram because `hists` was full.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

/* arg0: the object id (or key for *get); arg2: msgsnd's size */
static __always_inline int on_enter(__u8 call, __u8 kind, long arg0, long arg2)
{
	struct task_struct *t;
	struct call_start *cs;

	if (!ipcs_kind_selected(kind))
		return 0;
	/* Created for every caller, selected or not: it caches the -p decision. */
	t = bpf_get_current_task_btf();
	cs = bpf_task_storage_get(&starts, t, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!cs)
		return 0;
	if (!ipcs_task_selected_cached(bpf_get_current_pid_tgid() >> 32, &cs->tracked_cache)) {
		cs->start_ns = 0;   /* this call's exit is not counted */
		return 0;
	}
	cs->call = call;
	cs->id = (__s32)arg0;
	cs->size = call == CALL_MSGSND ? arg2 : 0;
	cs->offcpu_ns = 0;
	cs->switched_out_ns = 0;
	cs->waited = 0;
	cs->start_ns = bpf_ktime_get_ns();
	return 0;
}

/* Calls the per-object map could not take: `lost`, counted per CPU. */
static __always_inline __u64 *lost_counter(void)
{
	__u32 z = 0;

	return bpf_map_lookup_elem(&lost, &z);
}

static __always_inline void hist_add(struct hist_val *v, const struct call_start *cs,
				     __u8 call, __u64 lat, long ret)
{
	__u64 bytes = call == CALL_MSGSND ? cs->size : call == CALL_MSGRCV ? (__u64)ret : 0;

	ipcs_hist_add(v, lat, ret, bytes, want_offcpu, cs->offcpu_ns, cs->waited);
}

static __always_inline int on_exit(__u8 call, long ret)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct call_start *cs = bpf_task_storage_get(&starts, t, 0, 0);
	struct hist_val *v;
	__u32 idx = call;
	__u64 now, lat;

	if (!cs || !cs->start_ns || cs->call != call)
		return 0;
	now = bpf_ktime_get_ns();
	lat = now - cs->start_ns;
	cs->start_ns = 0;
	/* a switch back in that sched_switch missed */
	ipcs_offcpu_close(&cs->switched_out_ns, &cs->offcpu_ns, now);
	if (!ipcs_result_selected(lat, ret))
		return 0;
	v = bpf_map_lookup_elem(&call_hists, &idx);
	if (v)
		hist_add(v, cs, call, lat, ret);
	if (per_object || (queue_objects && (call == CALL_MSGSND || call == CALL_MSGRCV))) {
		v = ipcs_object_hist(&hists, lost_counter(), call,
				     ipcs_hist_id(call, cs->id, ret), task_ipcns(t));
		if (v)
			hist_add(v, cs, call, lat, ret);
	}
	return 0;
}

/*
 * Three ways to hook each call; userspace (latency_src.c) loads one set.
 * fentry/fexit on the syscall functions where the kernel allows it: unlike
 * a syscall tracepoint, they do not put every syscall of every task on the
 * slow (traced) path.  Raw sys_enter/sys_exit (two links, a number test
 * first) or per-syscall tracepoints otherwise.  The functions' prefix is
 * the build's ARCH's (syscalls.h).
 */
#define IPC_CALL(name, NAME, KIND, NARGS)                                       \
SEC("tracepoint/syscalls/sys_enter_" #name)                                     \
int lat_enter_##name(struct trace_event_raw_sys_enter *ctx)                     \
{ return on_enter(CALL_##NAME, KIND_##KIND, ctx->args[0],                       \
		  NARGS > 2 ? ctx->args[2] : 0); }                             \
SEC("tracepoint/syscalls/sys_exit_" #name)                                      \
int lat_exit_##name(struct trace_event_raw_sys_exit *ctx)                       \
{ return on_exit(CALL_##NAME, ctx->ret); }                                      \
SEC("fentry/" IPCS_ARCH_SYS_PREFIX #name)                                       \
int BPF_PROG(lat_fentry_##name, const struct pt_regs *regs)                     \
{ return on_enter(CALL_##NAME, KIND_##KIND, IPCS_SC_ARG0(regs),                 \
		  IPCS_SC_ARG2(regs)); }                                        \
SEC("fexit/" IPCS_ARCH_SYS_PREFIX #name)                                        \
int BPF_PROG(lat_fexit_##name, const struct pt_regs *regs, long ret)            \
{ return on_exit(CALL_##NAME, ret); }

IPCS_SYSCALLS(IPC_CALL)

SEC("tp_btf/sys_enter")
int BPF_PROG(lat_raw_enter, struct pt_regs *regs, long nr)
{
	__u8 call;

	if (!ipcs_nr_maybe_ipc(nr))
		return 0;
	if (ipcs_in_compat_syscall(bpf_get_current_task_btf())) {
#if IPCS_HAVE_COMPAT
		/* a 32-bit caller: i386 syscalls take the native order; ipc(2)
		 * is (op, first = the id or key, second = msgsnd's size, ...,
		 * ptr = shmdt's address) */
		__u32 bx = IPCS_SC32_ARG0(regs), dx = IPCS_SC32_ARG2(regs);

		call = ipcs_compat_call(nr, bx);
		if (call == CALL_NONE)
			return 0;
		if (nr != IPCS_NR32_ipc)
			return on_enter(call, ipcs_kind_of(call), (__s32)bx, dx);
		return on_enter(call, ipcs_kind_of(call),
				call == CALL_SHMDT ? IPCS_SC32_ARG4(regs) : (__s32)IPCS_SC32_ARG1(regs), dx);
#else
		return 0;
#endif
	}
	call = ipcs_native_call(nr);
	if (call == CALL_NONE)
		return 0;
	return on_enter(call, ipcs_kind_of(call), IPCS_SC_ARG0(regs), IPCS_SC_ARG2(regs));
}

SEC("tp_btf/sys_exit")
int BPF_PROG(lat_raw_exit, struct pt_regs *regs, long ret)
{
	__u8 call;

	if (!ipcs_nr_maybe_ipc(IPCS_SC_NR(regs)))
		return 0;
	if (ipcs_in_compat_syscall(bpf_get_current_task_btf())) {
#if IPCS_HAVE_COMPAT
		call = ipcs_compat_call(IPCS_SC_NR(regs), IPCS_SC32_ARG0(regs));
#else
		call = CALL_NONE;
#endif
	} else {
		call = ipcs_native_call(IPCS_SC_NR(regs));
	}
	if (call == CALL_NONE)
		return 0;
	return on_exit(call, ret);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(lat_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	struct call_start *cs;
	__u64 now;

	if (!want_offcpu)
		return 0;
	now = bpf_ktime_get_ns();
	cs = bpf_task_storage_get(&starts, prev, 0, 0);
	if (cs && cs->start_ns) {
		cs->switched_out_ns = now;
		if (ipcs_switch_is_wait(preempt, prev))
			cs->waited = 1;
	}
	cs = bpf_task_storage_get(&starts, next, 0, 0);
	if (cs && cs->start_ns)
		ipcs_offcpu_close(&cs->switched_out_ns, &cs->offcpu_ns, now);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(lat_fork, struct task_struct *parent, struct task_struct *child)
{
	ipcs_filter_on_fork(parent, child);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(lat_exit, struct task_struct *task)
{
	if (BPF_CORE_READ(task, pid) == BPF_CORE_READ(task, tgid))
		ipcs_filter_on_exit(BPF_CORE_READ(task, tgid));
	return 0;
}
