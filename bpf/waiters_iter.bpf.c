// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Threads blocked in an IPC call now: a task iterator that writes one
 * struct waiter_rec per sleeping thread whose current syscall is semop,
 * semtimedop, msgsnd or msgrcv.  The kernel walk costs a few loads per
 * thread, against three file reads per thread for /proc/PID/task/TID/
 * syscall: what keeps `blocked`, `top` and `metrics` cheap on hosts with
 * many threads.  When the streaming object is loaded, its `inflight` task
 * storage is shared with this object (userspace reuses the map's fd) and
 * gives the exact start of waits that began while tracing, with their
 * sembufs; a thread without it was blocked before tracing began.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "waiter_rec.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u32 filter_ipcns = 0;   /* 0 = every namespace */
/* The architecture's numbers of the waiting calls (userspace sets them). */
const volatile __s32 nr_semop = -1;
const volatile __s32 nr_semtimedop = -1;
const volatile __s32 nr_msgsnd = -1;
const volatile __s32 nr_msgrcv = -1;

/* The streaming object's map (bpf/ipcscope.bpf.c), same definition. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct inflight_task);
} inflight SEC(".maps");

struct task_struct___pre514 {
	long state;
} __attribute__((preserve_access_index));

static __always_inline unsigned int task_state(struct task_struct *t)
{
	if (bpf_core_field_exists(t->__state))
		return BPF_CORE_READ(t, __state);
	return (unsigned int)BPF_CORE_READ((struct task_struct___pre514 *)t, state);
}

SEC("iter/task")
int dump_waiters(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	static struct waiter_rec rec;   /* too big for the stack */
	struct inflight_task *it;
	struct pt_regs *regs;
	__s32 nr;

	if (!task)
		return 0;
	/* asleep (TASK_INTERRUPTIBLE or TASK_UNINTERRUPTIBLE); a running
	 * thread's saved registers are those of its last kernel entry */
	if (!(task_state(task) & 3))
		return 0;
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	if (!regs)
		return 0;
#if defined(__TARGET_ARCH_x86)
	nr = (__s32)BPF_CORE_READ(regs, orig_ax);
#elif defined(__TARGET_ARCH_arm64)
	nr = (__s32)BPF_CORE_READ(regs, syscallno);
#else
#error "waiters_iter: add this architecture's syscall-number register"
#endif
	if (nr < 0 || (nr != nr_semop && nr != nr_semtimedop && nr != nr_msgsnd && nr != nr_msgrcv))
		return 0;
	rec.ipcns = BPF_CORE_READ(task, nsproxy, ipc_ns, ns.inum);
	if (filter_ipcns && rec.ipcns != filter_ipcns)
		return 0;
	rec.tgid = task->tgid;
	rec.tid = task->pid;
	rec.nr = nr;
#if defined(__TARGET_ARCH_x86)
	rec.args[0] = BPF_CORE_READ(regs, di);
	rec.args[1] = BPF_CORE_READ(regs, si);
	rec.args[2] = BPF_CORE_READ(regs, dx);
	rec.args[3] = BPF_CORE_READ(regs, r10);
	rec.args[4] = BPF_CORE_READ(regs, r8);
	rec.args[5] = BPF_CORE_READ(regs, r9);
#else
	rec.args[0] = BPF_CORE_READ(regs, orig_x0);
	for (int i = 1; i < 6; i++)
		rec.args[i] = BPF_CORE_READ(regs, regs[i]);
#endif
	BPF_CORE_READ_STR_INTO(&rec.comm, task, comm);
	rec.start_ns = 0;
	rec.nsops_copied = 0;
	it = bpf_task_storage_get(&inflight, task, 0, 0);
	if (it && it->in.call != CALL_NONE && it->in.start_ns) {
		rec.start_ns = it->in.start_ns;
		rec.nsops_copied = it->in.nsops_copied;
		__builtin_memcpy(rec.sops, it->in.sops, sizeof(rec.sops));
	}
	bpf_seq_write(seq, &rec, sizeof(rec));
	return 0;
}
