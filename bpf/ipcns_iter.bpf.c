// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The IPC namespaces that exist now, one process in each: a task iterator
 * that writes one struct ipcns_rec per namespace it has not yet written in
 * this reading.  A few loads per thread in the kernel, against a stat() of
 * /proc/PID/ns/ipc per process: what keeps `top --all-namespaces` and
 * `metrics --all-namespaces` from costing more on hosts with many
 * processes.  Userspace bumps `reading` before each walk; `seen` remembers
 * in which reading a namespace was last written, so no per-reading reset is
 * needed.  Beyond `seen`'s size a namespace may be written more than once
 * (userspace removes duplicates): never left out.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "ipcns_rec.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

__u32 reading = 0;

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);   /* namespaces that are gone age out */
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, __u32);
} seen SEC(".maps");

SEC("iter/task")
int dump_ipcns(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct ipcns_rec rec = {};
	__u32 *last, now = reading;

	/* one visit per process: its other threads share its namespaces */
	if (!task || task->pid != task->tgid)
		return 0;
	/* 0: an exiting task whose nsproxy is gone */
	rec.inode = BPF_CORE_READ(task, nsproxy, ipc_ns, ns.inum);
	if (!rec.inode)
		return 0;
	last = bpf_map_lookup_elem(&seen, &rec.inode);
	if (last && *last == now)
		return 0;
	rec.tgid = task->tgid;
	BPF_CORE_READ_STR_INTO(&rec.comm, task, comm);
	/* stamped only once written: a record that did not fit in the
	 * reader's buffer is dropped by the kernel and this task shown again */
	if (bpf_seq_write(seq, &rec, sizeof(rec)))
		return 0;
	if (last)
		*last = now;
	else
		bpf_map_update_elem(&seen, &rec.inode, &now, BPF_ANY);
	return 0;
}
