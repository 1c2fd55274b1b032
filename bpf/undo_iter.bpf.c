// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * SEM_UNDO holders: a task iterator that walks each process's
 * task->sysvsem.undo_list and writes one struct undo_rec per (process,
 * semaphore array) with its non-zero semadj values.  A positive semadj
 * means the process took units with SEM_UNDO and still holds them (the
 * kernel would give them back at exit): the strongest holder evidence.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "undo_rec.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u32 filter_ipcns = 0;   /* 0 = every namespace */

/* semid -> nsems in the target namespace (userspace fills it from semctl) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, UNDO_MAX_ARRAYS);
	__type(key, __s32);
	__type(value, __u32);
} nsems_of SEC(".maps");

/*
 * sem_undo.semadj was a pointer to the array that follows before it became
 * a flexible array; a pointer flavour only matches the older kernels
 * (libbpf does not match a pointer field against an array).
 */
struct sem_undo___ptr {
	short *semadj;
} __attribute__((preserve_access_index));

/* Reads a fixed 128 bytes: a bounded size the verifier accepts; only nsems are used. */
static __always_inline int read_semadj(short *adj, struct sem_undo *un)
{
	if (bpf_core_field_exists(struct sem_undo___ptr, semadj))
		return bpf_probe_read_kernel(adj, UNDO_MAX_SEMS * sizeof(short),
					     BPF_CORE_READ((struct sem_undo___ptr *)un, semadj));
	return bpf_core_read(adj, UNDO_MAX_SEMS * sizeof(short), &un->semadj);
}

SEC("iter/task")
int dump_undo(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct sem_undo_list *ulp;
	struct list_head *head, *pos;
	static struct undo_rec rec;   /* too big for the stack */

	if (!task || task->pid != task->tgid)
		return 0;
	if (filter_ipcns && BPF_CORE_READ(task, nsproxy, ipc_ns, ns.inum) != filter_ipcns)
		return 0;
	ulp = BPF_CORE_READ(task, sysvsem.undo_list);
	if (!ulp)
		return 0;
	head = &ulp->list_proc;
	pos = BPF_CORE_READ(ulp, list_proc.next);
	for (int i = 0; i < UNDO_MAX_PER_PROC && pos && pos != head; i++) {
		struct sem_undo *un = container_of(pos, struct sem_undo, list_proc);
		__u32 *nsems;
		__s32 semid = BPF_CORE_READ(un, semid);

		pos = BPF_CORE_READ(un, list_proc.next);
		if (semid < 0)          /* array removed: the undo is dead */
			continue;
		nsems = bpf_map_lookup_elem(&nsems_of, &semid);
		if (!nsems)
			continue;
		rec.tgid = task->tgid;
		rec.semid = semid;
		rec.ipcns = BPF_CORE_READ(task, nsproxy, ipc_ns, ns.inum);
		rec.nsems = *nsems < UNDO_MAX_SEMS ? *nsems : UNDO_MAX_SEMS;
		if (read_semadj(rec.adj, un))
			continue;
		bpf_seq_write(seq, &rec, sizeof(rec));
	}
	return 0;
}
