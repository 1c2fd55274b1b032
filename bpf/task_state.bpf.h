/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * "Did this call wait?" for the sched_switch hooks: a task that leaves the
 * CPU voluntarily (preempt false) and not runnable went to sleep; one that
 * was preempted, or called schedule() while still runnable, did not wait
 * for anything.  task_struct.state was renamed __state in 5.14: CO-RE picks
 * whichever this kernel has.
 */
#ifndef IPCS_TASK_STATE_BPF_H
#define IPCS_TASK_STATE_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>

struct task_struct___pre514 {
	long state;
} __attribute__((preserve_access_index));

static __always_inline long ipcs_task_state(struct task_struct *t)
{
	if (bpf_core_field_exists(t->__state))
		return BPF_CORE_READ(t, __state);
	return BPF_CORE_READ((struct task_struct___pre514 *)t, state);
}

static __always_inline bool ipcs_switch_is_wait(bool preempt, struct task_struct *prev)
{
	return !preempt && ipcs_task_state(prev) != 0;   /* 0: TASK_RUNNING */
}

/*
 * A call's switched-out interval ends when its task is switched back in, or
 * at the call's exit if sched_switch missed that (it can find task storage
 * busy on the CPU): its time goes to the call's off-CPU total.
 */
static __always_inline void ipcs_offcpu_close(__u64 *switched_out_ns, __u64 *offcpu_ns, __u64 now)
{
	if (*switched_out_ns) {
		*offcpu_ns += now - *switched_out_ns;
		*switched_out_ns = 0;
	}
}

#endif
