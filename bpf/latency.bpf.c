// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * In-kernel latency aggregation: log2 histograms per call in a per-CPU
 * array indexed by call (`call_hists`, always filled), and per object in a
 * per-CPU hash (`hists`) only when asked: every call with `per_object`,
 * msgsnd/msgrcv with `queue_objects` (the queue view).  No per-event
 * streaming.  The start of a call lives in a per-CPU slot while its task
 * stays on the CPU, in task-local storage once it is switched out (see
 * struct cpu_call); off-CPU time inside a call comes from sched_switch
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

/*
 * Where a call's start is kept.  A call that neither blocks nor is
 * preempted starts and ends on one CPU with no other task's syscall in
 * between, so with the off-CPU split (want_offcpu, the default) its start
 * lives in a per-CPU slot (`cur`, one entry, an inlined array lookup).
 * When its task is switched out inside the call, sched_switch (lat_switch)
 * moves the slot into the task's storage (`starts`): only calls that block
 * pay for task storage.  The exit looks for the call in its CPU's slot
 * first (same tid, same call), then in task storage.  Without the split
 * lat_switch is not loaded (it would run at every context switch of the
 * machine), so every call's start goes to task storage, as it used to.
 */
struct cpu_call {
	__u32 tid;           /* the task whose call this is; 0: none */
	__u8 call;
	__s32 id;
	__u64 start_ns;
	__u64 size;          /* msgsnd size */
	/* the -p decision of the last process that called on this CPU:
	 * tgid << 32 | (ipcs_tracked_gen + 1) << 1 | selected, one store */
	__u64 sel;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cpu_call);
} cur SEC(".maps");

/* A call whose task was switched out inside it (moved here by lat_switch). */
struct call_start {
	__u64 start_ns;      /* 0: no call in progress */
	__u64 switched_out_ns;
	__u64 offcpu_ns;
	__u64 size;
	__s32 id;
	__u8 call;
	__u8 waited;         /* went to sleep inside the call */
	__u32 tracked_cache; /* without the split: ipcs_task_selected_cached() */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct call_start);
} starts SEC(".maps");

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

static __always_inline struct cpu_call *cpu_slot(void)
{
	__u32 z = 0;

	return bpf_map_lookup_elem(&cur, &z);
}

/* How often the task has left a CPU: changes exactly when sched_switch has
 * it as prev. */
static __always_inline __u64 switch_count(struct task_struct *t)
{
	return t->nvcsw + t->nivcsw;
}

/*
 * -p: the decision cached per CPU for the last process seen there (a
 * `tracked` lookup only when another process calls on this CPU, or after
 * ipcs_tracked_gen changed: userspace added a pid, or a process forked:
 * lat_fork, so that a reused pid is looked up again).
 */
static __always_inline bool task_selected(struct cpu_call *slot, __u32 tgid)
{
	if (filter_pid) {
		__u64 want = (__u64)tgid << 32 | (__u64)((ipcs_tracked_gen + 1) & 0x7fffffff) << 1;
		__u64 c = slot->sel;

		if ((c & ~1ull) != want) {
			c = want | (bpf_map_lookup_elem(&tracked, &tgid) ? 1 : 0);
			slot->sel = c;
		}
		if (!(c & 1))
			return false;
	}
	return ipcs_task_selected_nopid(tgid);
}

/* A call's start in its task's storage (the slot is for calls that stay on the CPU). */
static __always_inline void start_in_storage(struct call_start *cs, __u8 call, long arg0,
					     long arg2, __u64 start)
{
	cs->call = call;
	cs->id = (__s32)arg0;
	cs->size = call == CALL_MSGSND ? arg2 : 0;
	cs->offcpu_ns = 0;
	cs->switched_out_ns = 0;
	cs->waited = 0;
	cs->start_ns = start;
}

/* Without the split: the start in task storage, created for every caller,
 * selected or not (it caches the -p decision). */
static __always_inline int enter_task_storage(struct task_struct *t, __u8 call, long arg0,
					      long arg2)
{
	struct call_start *cs = bpf_task_storage_get(&starts, t, 0,
						     BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (!cs)
		return 0;
	if (!ipcs_task_selected_cached(t->tgid, &cs->tracked_cache)) {
		cs->start_ns = 0;   /* this call's exit is not counted */
		return 0;
	}
	start_in_storage(cs, call, arg0, arg2, bpf_ktime_get_ns());
	return 0;
}

/* arg0: the object id (or key for *get); arg2: msgsnd's size */
static __always_inline int on_enter(struct task_struct *t, __u8 call, __u8 kind, long arg0,
				    long arg2)
{
	struct cpu_call *slot;
	struct call_start *cs;
	__u32 tid = t->pid;
	__u64 nsw, start;

	if (!ipcs_kind_selected(kind))
		return 0;
	if (!want_offcpu)
		return enter_task_storage(t, call, arg0, arg2);
	slot = cpu_slot();
	if (!slot || !task_selected(slot, t->tgid))
		return 0;
	nsw = switch_count(t);
	start = bpf_ktime_get_ns();
	slot->call = call;
	slot->id = (__s32)arg0;
	slot->size = call == CALL_MSGSND ? arg2 : 0;
	slot->start_ns = start;
	slot->tid = tid;     /* last: lat_switch moves only a complete slot */
	if (switch_count(t) == nsw)
		return 0;
	/*
	 * Switched out while filling the slot (a preemptible hook): another
	 * task may have written it meanwhile.  Keep the call in task storage
	 * instead, unless lat_switch already moved the complete slot there.
	 */
	cs = bpf_task_storage_get(&starts, t, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (slot->tid == tid)
		slot->tid = 0;
	if (!cs || cs->start_ns == start)
		return 0;
	start_in_storage(cs, call, arg0, arg2, start);
	return 0;
}

/* A finished call, wherever its start was kept. */
struct call_done {
	__u64 lat;
	__u64 size;
	__u64 offcpu_ns;
	__s32 id;
	__u8 waited;
};

static __always_inline void hist_add(struct hist_val *v, const struct call_done *d, __u8 call,
				     long ret)
{
	__u64 bytes = call == CALL_MSGSND ? d->size : call == CALL_MSGRCV ? (__u64)ret : 0;

	ipcs_hist_add(v, d->lat, ret, bytes, want_offcpu, d->offcpu_ns, d->waited);
}

static __always_inline int on_exit(struct task_struct *t, __u8 call, long ret)
{
	struct cpu_call *slot = want_offcpu ? cpu_slot() : NULL;
	struct call_done d = {};
	struct hist_val *v;
	__u32 idx = call;
	__u64 now;

	if (slot && slot->tid == t->pid && slot->call == call) {
		/* never left the CPU: the common case */
		now = bpf_ktime_get_ns();
		d.lat = now - slot->start_ns;
		d.size = slot->size;
		d.id = slot->id;
		slot->tid = 0;
	} else {
		struct call_start *cs = bpf_task_storage_get(&starts, t, 0, 0);

		if (!cs || !cs->start_ns || cs->call != call)
			return 0;
		now = bpf_ktime_get_ns();
		d.lat = now - cs->start_ns;
		cs->start_ns = 0;
		/* a switch back in that sched_switch missed */
		ipcs_offcpu_close(&cs->switched_out_ns, &cs->offcpu_ns, now);
		d.size = cs->size;
		d.id = cs->id;
		d.offcpu_ns = cs->offcpu_ns;
		d.waited = cs->waited;
	}
	if (!ipcs_result_selected(d.lat, ret))
		return 0;
	v = bpf_map_lookup_elem(&call_hists, &idx);
	if (v)
		hist_add(v, &d, call, ret);
	if (per_object || (queue_objects && (call == CALL_MSGSND || call == CALL_MSGRCV))) {
		v = ipcs_object_hist(&hists, &lost, call, 0,
				     ipcs_hist_id(call, d.id, ret), task_ipcns(t));
		if (v)
			hist_add(v, &d, call, ret);
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
{ return on_enter(bpf_get_current_task_btf(), CALL_##NAME, KIND_##KIND,       \
		  ctx->args[0], NARGS > 2 ? ctx->args[2] : 0); }               \
SEC("tracepoint/syscalls/sys_exit_" #name)                                      \
int lat_exit_##name(struct trace_event_raw_sys_exit *ctx)                       \
{ return on_exit(bpf_get_current_task_btf(), CALL_##NAME, ctx->ret); }          \
SEC("fentry/" IPCS_ARCH_SYS_PREFIX #name)                                       \
int BPF_PROG(lat_fentry_##name, const struct pt_regs *regs)                     \
{ return on_enter(bpf_get_current_task_btf(), CALL_##NAME, KIND_##KIND,       \
		  IPCS_SC_ARG0(regs), IPCS_SC_ARG2(regs)); }                    \
SEC("fexit/" IPCS_ARCH_SYS_PREFIX #name)                                        \
int BPF_PROG(lat_fexit_##name, const struct pt_regs *regs, long ret)            \
{ return on_exit(bpf_get_current_task_btf(), CALL_##NAME, ret); }

IPCS_SYSCALLS(IPC_CALL)

SEC("tp_btf/sys_enter")
int BPF_PROG(lat_raw_enter, struct pt_regs *regs, long nr)
{
	struct task_struct *t;
	__u8 call;

	if (!ipcs_nr_maybe_ipc(nr))
		return 0;
	t = bpf_get_current_task_btf();
	if (ipcs_in_compat_syscall(t)) {
#if IPCS_HAVE_COMPAT
		/* a 32-bit caller: i386 syscalls take the native order; ipc(2)
		 * is (op, first = the id or key, second = msgsnd's size, ...,
		 * ptr = shmdt's address) */
		__u32 bx = IPCS_SC32_ARG0(regs), dx = IPCS_SC32_ARG2(regs);

		call = ipcs_compat_call(nr, bx);
		if (call == CALL_NONE)
			return 0;
		if (nr != IPCS_NR32_ipc)
			return on_enter(t, call, ipcs_kind_of(call), (__s32)bx, dx);
		return on_enter(t, call, ipcs_kind_of(call),
				call == CALL_SHMDT ? IPCS_SC32_ARG4(regs) : (__s32)IPCS_SC32_ARG1(regs), dx);
#else
		return 0;
#endif
	}
	call = ipcs_native_call(nr);
	if (call == CALL_NONE)
		return 0;
	return on_enter(t, call, ipcs_kind_of(call), IPCS_SC_ARG0(regs), IPCS_SC_ARG2(regs));
}

SEC("tp_btf/sys_exit")
int BPF_PROG(lat_raw_exit, struct pt_regs *regs, long ret)
{
	struct task_struct *t = bpf_get_current_task_btf();
	__u8 call = ipcs_raw_exit_call(t, regs);

	return call == CALL_NONE ? 0 : on_exit(t, call, ret);
}

/*
 * Loaded with want_offcpu: a task that leaves the CPU inside a call takes
 * the call's start from the CPU's slot into its task storage (the slot is
 * the next caller's), and the time it spends switched out is counted.
 */
SEC("tp_btf/sched_switch")
int BPF_PROG(lat_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	struct cpu_call *slot = cpu_slot();
	struct call_start *cs;
	__u64 now;

	if (!want_offcpu || !slot)
		return 0;
	now = bpf_ktime_get_ns();
	if (slot->tid && slot->tid == prev->pid) {
		cs = bpf_task_storage_get(&starts, prev, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
		/* NULL (storage busy on this CPU, or no memory): the slot stays
		 * and still serves the exit unless another call takes it first;
		 * the time switched out is then counted as on-CPU */
		if (cs) {
			/* slot->size is already 0 unless the call is msgsnd */
			start_in_storage(cs, slot->call, slot->id, slot->size, slot->start_ns);
			cs->switched_out_ns = now;
			cs->waited = ipcs_switch_is_wait(preempt, prev);
			slot->tid = 0;
		}
	} else {
		/* switched out again inside a call it already left the CPU in */
		cs = bpf_task_storage_get(&starts, prev, 0, 0);
		if (cs && cs->start_ns) {
			cs->switched_out_ns = now;
			if (ipcs_switch_is_wait(preempt, prev))
				cs->waited = 1;
		}
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
	/* a new process may reuse the pid of one whose -p decision a CPU
	 * cached (task_selected()): every CPU looks it up again */
	if (filter_pid && parent->tgid != child->tgid)
		__sync_fetch_and_add(&ipcs_tracked_gen, 1);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(lat_exit, struct task_struct *task)
{
	if (BPF_CORE_READ(task, pid) == BPF_CORE_READ(task, tgid))
		ipcs_filter_on_exit(BPF_CORE_READ(task, tgid));
	return 0;
}
