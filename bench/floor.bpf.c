// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The floor of `ipcscope latency`'s cost: empty programs on exactly the
 * hooks bpf/latency.bpf.c attaches when following a command (`latency --
 * CMD`): the entry and exit tracepoints of the twelve IPC syscalls,
 * sched_switch (the off-CPU split) and sched_process_fork/exit (the pid
 * filter).  What the benchmark measures under `bench/floor -- CMD` is what
 * the kernel's tracepoint machinery costs before any of our code runs.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define EMPTY(name)                                                            \
SEC("tracepoint/syscalls/sys_enter_" #name)                                    \
int floor_enter_##name(void *ctx) { return 0; }                                \
SEC("tracepoint/syscalls/sys_exit_" #name)                                     \
int floor_exit_##name(void *ctx) { return 0; }

EMPTY(shmget)
EMPTY(shmat)
EMPTY(shmdt)
EMPTY(shmctl)
EMPTY(semget)
EMPTY(semop)
EMPTY(semtimedop)
EMPTY(semctl)
EMPTY(msgget)
EMPTY(msgsnd)
EMPTY(msgrcv)
EMPTY(msgctl)

/* The raw hooks (bench/floor -r loads these instead of the tracepoints). */
SEC("tp_btf/sys_enter")
int BPF_PROG(floor_raw_enter, struct pt_regs *regs, long nr)
{
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(floor_raw_exit, struct pt_regs *regs, long ret)
{
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(floor_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(floor_fork, struct task_struct *parent, struct task_struct *child)
{
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(floor_exit, struct task_struct *task)
{
	return 0;
}

/*
 * The lower bound of any latency histogram (bench/floor -c): a start taken
 * from the clock into a per-CPU slot at the entry, the clock read again at
 * the exit and the difference added to a per-CPU sum, for the command's
 * process only (lb_tgid).  No other filter, no histogram slots, no off-CPU
 * split, semtimedop only: what is left of a latency tool's cost when
 * everything that is ours is taken away.
 */
/* 0: the lower bound; 1: the two clock reads only; 2: the slot and sum only
 * (no clock): which of the two the lower bound's cost is */
const volatile int lb_part = 0;
/* The command's process (set by bench/floor after the fork): the lower
 * bound times its calls only, as any tool on a shared machine must filter
 * (latency's -- CMD does the same with its -p decision). */
__u32 lb_tgid = 0;

struct lb_cpu {
	__u64 start;
	__u64 sum;
	__u64 cnt;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lb_cpu);
} lb_slot SEC(".maps");

/* The clock, or (lb_part 2: the slot and sum only) a constant. */
static __always_inline __u64 lb_now(__u64 fake)
{
	return lb_part == 2 ? fake : bpf_ktime_get_ns();
}

static __always_inline bool lb_ours(void)
{
	return bpf_get_current_pid_tgid() >> 32 == lb_tgid;
}

static __always_inline int lb_start(void)
{
	__u32 z = 0;
	struct lb_cpu *c = lb_part == 1 ? NULL : bpf_map_lookup_elem(&lb_slot, &z);
	__u64 now = lb_now(1);

	if (c)
		c->start = now;
	return 0;
}

static __always_inline int lb_end(void)
{
	__u32 z = 0;
	struct lb_cpu *c = lb_part == 1 ? NULL : bpf_map_lookup_elem(&lb_slot, &z);
	__u64 now = lb_now(2);

	if (c && c->start) {
		c->sum += now - c->start;
		c->cnt++;
		c->start = 0;
	}
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_semtimedop")
int lb_enter_semtimedop(void *ctx) { return lb_ours() ? lb_start() : 0; }

SEC("tracepoint/syscalls/sys_exit_semtimedop")
int lb_exit_semtimedop(void *ctx) { return lb_ours() ? lb_end() : 0; }

SEC("tp_btf/sys_enter")
int BPF_PROG(lb_raw_enter, struct pt_regs *regs, long nr)
{
	return nr == 220 && lb_ours() ? lb_start() : 0;   /* x86_64 semtimedop */
}

SEC("tp_btf/sys_exit")
int BPF_PROG(lb_raw_exit, struct pt_regs *regs, long ret)
{
	return regs->orig_ax == 220 && lb_ours() ? lb_end() : 0;
}
