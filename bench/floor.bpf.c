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
