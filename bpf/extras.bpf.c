// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Kernel-internal extras: what the syscalls cannot show.
 *
 *   newseg/newary/newque returned    -> KOBJ_CREATE
 *   shm_destroy/freeary/freeque      -> KOBJ_DESTROY (at IPC_RMID, at the
 *                                       last detach, at process exit, at
 *                                       namespace teardown)
 *   exit_sem                         -> KOBJ_UNDO_EXIT, one per semaphore
 *                                       whose SEM_UNDO adjustment is applied
 *
 * Each hook exists twice, as fentry/fexit and as kprobe/kretprobe;
 * userspace (user/source/extras.c) loads whichever set the kernel allows.
 * The signatures used here are the same in 6.1 and 6.18:
 *   int newseg(struct ipc_namespace *, struct ipc_params *)   (newary, newque)
 *   void shm_destroy(struct ipc_namespace *, struct shmid_kernel *)
 *   void freeary(struct ipc_namespace *, struct kern_ipc_perm *)  (freeque)
 *   void exit_sem(struct task_struct *)
 *
 * Records go to the streaming object's ring buffer (`events`, shared by
 * fd).  The header's ipcns is the object's namespace, which for teardown
 * differs from the current task's (a kworker in the initial namespace).
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "events.h"
#include "filter.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define PF_EXITING     0x00000004
#define PF_KTHREAD     0x00200000
#define IPC_SEM_IDS    0
#define IPC_MSG_IDS    1
#define IPC_SHM_IDS    2
#define MAX_UNDO_SETS  8      /* sem_undo entries walked per exiting process */
#define MAX_UNDO_SEMS  32     /* semaphores looked at per entry */

/* Set when the `tracked` map is ours (no streaming object to maintain it). */
const volatile bool own_tracked = false;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 << 10);       /* replaced by the shared map */
} events SEC(".maps");

/* Failed reservations (userspace adds them to the streaming object's). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

/*
 * Namespaces in which a selected process created an object: their
 * teardown, done by a kernel thread, is shown even under -p/--comm/-c.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u8);
} seen_ns SEC(".maps");

/* kprobe mode: creation arguments saved at entry, by tid. */
struct create_args {
	__u32 ipcns;
	__s32 key;
	__u64 size;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct create_args);
} create_args SEC(".maps");

static __always_inline void count_lost(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&lost, &zero);

	if (n)
		*n += 1;
}

static __always_inline __u32 ns_inum(struct ipc_namespace *ns)
{
	return BPF_CORE_READ(ns, ns.inum);
}

/*
 * Filters.  Creation runs in the creating task.  Destruction and exit_sem
 * may run in a task the who-filters (-p, -c, --comm) no longer or never
 * matched: an exiting process is already gone from `tracked` (its
 * sched_process_exit comes before exit_sem), and namespace teardown runs
 * in a kworker.  Those are shown when a selected process created objects
 * in that namespace, or (-p) when the exiting process's parent is tracked.
 */
static __always_inline bool kobj_selected(__u32 kind, __u32 obj_ns, bool creating)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	bool who = filter_pid || filter_cgroup_id || filter_comm_on;

	if (filter_errors_only || filter_min_lat_ns)
		return false;               /* asked for failing or slow calls only */
	if (!ipcs_kind_selected(kind))
		return false;
	if (filter_ipcns && obj_ns != filter_ipcns)
		return false;
	if (!who)
		goto selected;
	if (!creating && (BPF_CORE_READ(t, flags) & (PF_KTHREAD | PF_EXITING))) {
		__u32 ptgid = BPF_CORE_READ(t, real_parent, tgid);

		if (bpf_map_lookup_elem(&seen_ns, &obj_ns))
			return true;
		if (filter_pid && bpf_map_lookup_elem(&tracked, &ptgid))
			return true;
	}
	/* ipcs_task_selected() without its namespace test: the object's
	 * namespace was compared above. */
	if (filter_pid && !bpf_map_lookup_elem(&tracked, &tgid))
		return false;
	if (filter_cgroup_id && bpf_get_current_cgroup_id() != filter_cgroup_id)
		return false;
	if (filter_comm_on) {
		__u64 comm[2] = {};

		bpf_get_current_comm(comm, sizeof(comm));
		if (comm[0] != filter_comm_lo || comm[1] != filter_comm_hi)
			return false;
	}
selected:
	if (creating && who) {
		__u8 one = 1;

		bpf_map_update_elem(&seen_ns, &obj_ns, &one, BPF_ANY);
	}
	return true;
}

static __always_inline void fill_hdr(struct ev_hdr *h, __u32 obj_ns)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 uid_gid = bpf_get_current_uid_gid();

	h->type = EV_KOBJ;
	h->size = sizeof(struct ev_kobj);
	h->cpu = bpf_get_smp_processor_id();
	h->ts_ns = bpf_ktime_get_ns();
	h->pid = pid_tgid >> 32;
	h->tid = (__u32)pid_tgid;
	h->ppid = BPF_CORE_READ(t, real_parent, tgid);
	h->uid = (__u32)uid_gid;
	h->gid = uid_gid >> 32;
	h->ipcns = obj_ns;
	h->cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(h->comm, sizeof(h->comm));
}

static __always_inline void emit(__u8 op, __u8 kind, __u32 obj_ns, __s32 id, __s32 key,
				 __u64 size, __u16 semnum, __s32 semadj)
{
	struct ev_kobj *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		count_lost();
		return;
	}
	fill_hdr(&e->h, obj_ns);
	e->op = op;
	e->kind = kind;
	e->semnum = semnum;
	e->id = id;
	e->key = key;
	e->semadj = semadj;
	e->size = size;
	bpf_ringbuf_submit(e, 0);
}

/* ---- creation ---------------------------------------------------------- */

static __always_inline __u64 create_size(__u8 kind, struct ipc_namespace *ns,
					 struct ipc_params *p)
{
	switch (kind) {
	case KIND_SHM:
		return BPF_CORE_READ(p, u.size);
	case KIND_SEM:
		return (__u64)BPF_CORE_READ(p, u.nsems);
	default:
		return BPF_CORE_READ(ns, msg_ctlmnb);   /* the new queue's qbytes */
	}
}

static __always_inline void on_created(__u8 kind, struct ipc_namespace *ns,
				       struct ipc_params *p, long ret)
{
	__u32 obj_ns = ns_inum(ns);

	if (ret < 0 || !kobj_selected(kind, obj_ns, true))
		return;
	emit(KOBJ_CREATE, kind, obj_ns, (__s32)ret, BPF_CORE_READ(p, key),
	     create_size(kind, ns, p), 0, 0);
}

SEC("fexit/newseg")
int BPF_PROG(fexit_newseg, struct ipc_namespace *ns, struct ipc_params *p, int ret)
{
	on_created(KIND_SHM, ns, p, ret);
	return 0;
}

SEC("fexit/newary")
int BPF_PROG(fexit_newary, struct ipc_namespace *ns, struct ipc_params *p, int ret)
{
	on_created(KIND_SEM, ns, p, ret);
	return 0;
}

SEC("fexit/newque")
int BPF_PROG(fexit_newque, struct ipc_namespace *ns, struct ipc_params *p, int ret)
{
	on_created(KIND_MSG, ns, p, ret);
	return 0;
}

/* kprobe mode: kretprobes see only the return value. */
static __always_inline void save_create(__u8 kind, struct ipc_namespace *ns,
					struct ipc_params *p)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct create_args a = {
		.ipcns = ns_inum(ns),
		.key = BPF_CORE_READ(p, key),
		.size = create_size(kind, ns, p),
	};

	bpf_map_update_elem(&create_args, &tid, &a, BPF_ANY);
}

static __always_inline void ret_create(__u8 kind, long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct create_args *a = bpf_map_lookup_elem(&create_args, &tid);

	if (!a)
		return;
	if (ret >= 0 && kobj_selected(kind, a->ipcns, true))
		emit(KOBJ_CREATE, kind, a->ipcns, (__s32)ret, a->key, a->size, 0, 0);
	bpf_map_delete_elem(&create_args, &tid);
}

SEC("kprobe/newseg")
int BPF_KPROBE(kprobe_newseg, struct ipc_namespace *ns, struct ipc_params *p)
{
	save_create(KIND_SHM, ns, p);
	return 0;
}

SEC("kretprobe/newseg")
int BPF_KRETPROBE(kretprobe_newseg, int ret)
{
	ret_create(KIND_SHM, ret);
	return 0;
}

SEC("kprobe/newary")
int BPF_KPROBE(kprobe_newary, struct ipc_namespace *ns, struct ipc_params *p)
{
	save_create(KIND_SEM, ns, p);
	return 0;
}

SEC("kretprobe/newary")
int BPF_KRETPROBE(kretprobe_newary, int ret)
{
	ret_create(KIND_SEM, ret);
	return 0;
}

SEC("kprobe/newque")
int BPF_KPROBE(kprobe_newque, struct ipc_namespace *ns, struct ipc_params *p)
{
	save_create(KIND_MSG, ns, p);
	return 0;
}

SEC("kretprobe/newque")
int BPF_KRETPROBE(kretprobe_newque, int ret)
{
	ret_create(KIND_MSG, ret);
	return 0;
}

/* ---- destruction ------------------------------------------------------- */

static __always_inline void on_shm_destroy(struct ipc_namespace *ns, struct shmid_kernel *shp)
{
	__u32 obj_ns = ns_inum(ns);

	if (!kobj_selected(KIND_SHM, obj_ns, false))
		return;
	emit(KOBJ_DESTROY, KIND_SHM, obj_ns, BPF_CORE_READ(shp, shm_perm.id),
	     BPF_CORE_READ(shp, shm_perm.key), BPF_CORE_READ(shp, shm_segsz), 0, 0);
}

/* sem_array and msg_queue both begin with their kern_ipc_perm. */
static __always_inline void on_free(__u8 kind, struct ipc_namespace *ns,
				    struct kern_ipc_perm *perm)
{
	__u32 obj_ns = ns_inum(ns);
	__u64 size;

	if (!kobj_selected(kind, obj_ns, false))
		return;
	if (kind == KIND_SEM)
		size = (__u64)BPF_CORE_READ((struct sem_array *)perm, sem_nsems);
	else
		size = BPF_CORE_READ((struct msg_queue *)perm, q_qbytes);
	emit(KOBJ_DESTROY, kind, obj_ns, BPF_CORE_READ(perm, id), BPF_CORE_READ(perm, key),
	     size, 0, 0);
}

SEC("fentry/shm_destroy")
int BPF_PROG(fentry_shm_destroy, struct ipc_namespace *ns, struct shmid_kernel *shp)
{
	on_shm_destroy(ns, shp);
	return 0;
}

SEC("fentry/freeary")
int BPF_PROG(fentry_freeary, struct ipc_namespace *ns, struct kern_ipc_perm *perm)
{
	on_free(KIND_SEM, ns, perm);
	return 0;
}

SEC("fentry/freeque")
int BPF_PROG(fentry_freeque, struct ipc_namespace *ns, struct kern_ipc_perm *perm)
{
	on_free(KIND_MSG, ns, perm);
	return 0;
}

SEC("kprobe/shm_destroy")
int BPF_KPROBE(kprobe_shm_destroy, struct ipc_namespace *ns, struct shmid_kernel *shp)
{
	on_shm_destroy(ns, shp);
	return 0;
}

SEC("kprobe/freeary")
int BPF_KPROBE(kprobe_freeary, struct ipc_namespace *ns, struct kern_ipc_perm *perm)
{
	on_free(KIND_SEM, ns, perm);
	return 0;
}

SEC("kprobe/freeque")
int BPF_KPROBE(kprobe_freeque, struct ipc_namespace *ns, struct kern_ipc_perm *perm)
{
	on_free(KIND_MSG, ns, perm);
	return 0;
}

/* ---- SEM_UNDO at exit -------------------------------------------------- */

/*
 * The semaphore set with this id in ns, as idr_find() would find it: an
 * xarray walk of ns->ids[IPC_SEM_IDS].ipcs_idr.  The index is the id's low
 * bits (15, or 24 with ipcmni_extend); the perm's own id confirms it.
 */
static __always_inline struct sem_array *sem_find(struct ipc_namespace *ns, int semid)
{
	struct ipc_ids *ids = &ns->ids[IPC_SEM_IDS];
	unsigned long entry = (unsigned long)BPF_CORE_READ(ids, ipcs_idr.idr_rt.xa_head);
	unsigned long idx = semid & 0x7fff;

	for (int level = 0; level < 4; level++) {
		struct xa_node *node;
		__u8 shift;

		if ((entry & 3) != 2 || entry <= 4096)
			break;                  /* not an internal node: a leaf */
		node = (struct xa_node *)(entry - 2);
		shift = BPF_CORE_READ(node, shift);
		if (shift > 24)
			return NULL;
		if ((idx >> shift) > 63 && level == 0)
			return NULL;
		entry = (unsigned long)BPF_CORE_READ(node, slots[(idx >> shift) & 63]);
	}
	if (!entry || (entry & 3))
		return NULL;
	if (BPF_CORE_READ((struct kern_ipc_perm *)entry, id) != semid)
		return NULL;
	return (struct sem_array *)entry;
}

/* Until 6.5 (or so) sem_undo.semadj was a pointer to the array that follows. */
struct sem_undo___ptr {
	short *semadj;
} __attribute__((preserve_access_index));

static __always_inline int read_semadj(short *adj, __u32 len, struct sem_undo *un)
{
	if (bpf_core_field_exists(struct sem_undo___ptr, semadj))
		return bpf_probe_read_kernel(adj, len,
					     BPF_CORE_READ((struct sem_undo___ptr *)un, semadj));
	return bpf_core_read(adj, len, &un->semadj);
}

/*
 * A global function is verified once on its own, not per loop iteration
 * of its caller: this keeps exit_sem's nested walk cheap to verify
 * (1.4 s of load time under emulation otherwise).  At most five scalars.
 */
__noinline int emit_undo(__u32 obj_ns, __s32 semid, __u64 key_nsems, __u32 semnum, __s32 semadj)
{
	emit(KOBJ_UNDO_EXIT, KIND_SEM, obj_ns, semid, (__s32)(key_nsems >> 32),
	     (__u32)key_nsems, semnum, semadj);
	return 0;
}

/* One sem_undo of an exiting process: a record per non-zero adjustment. */
__noinline int undo_one(__u32 obj_ns, __u64 ns_addr, __u64 un_addr)
{
	struct sem_undo *un = (struct sem_undo *)un_addr;
	short adj[MAX_UNDO_SEMS];
	struct sem_array *sma;
	int semid, nsems;
	__u64 key_nsems;

	semid = BPF_CORE_READ(un, semid);
	if (semid < 0)
		return 0;               /* the set was removed already */
	sma = sem_find((struct ipc_namespace *)ns_addr, semid);
	if (!sma)
		return 0;
	nsems = BPF_CORE_READ(sma, sem_nsems);
	/* semadj has nsems entries; the rest of adj[] is ignored. */
	if (nsems <= 0 || read_semadj(adj, sizeof(adj), un))
		return 0;
	key_nsems = (__u64)(__u32)BPF_CORE_READ(sma, sem_perm.key) << 32 | (__u32)nsems;
	for (int s = 0; s < MAX_UNDO_SEMS && s < nsems; s++)
		if (adj[s])
			emit_undo(obj_ns, semid, key_nsems, s, adj[s]);
	return 0;
}

static __always_inline void on_exit_sem(struct task_struct *tsk)
{
	struct sem_undo_list *ulp = BPF_CORE_READ(tsk, sysvsem.undo_list);
	struct ipc_namespace *ns;
	struct list_head *head, *pos;
	__u32 obj_ns;

	if (!ulp)
		return;
	/* Shared with live CLONE_SYSVSEM threads: nothing is applied yet. */
	if (BPF_CORE_READ(ulp, refcnt.refs.counter) != 1)
		return;
	ns = BPF_CORE_READ(tsk, nsproxy, ipc_ns);
	obj_ns = ns_inum(ns);
	if (!kobj_selected(KIND_SEM, obj_ns, false))
		return;
	head = &ulp->list_proc;
	pos = BPF_CORE_READ(head, next);
	/* list_proc is the first member of struct sem_undo */
	for (int i = 0; i < MAX_UNDO_SETS && pos && pos != head; i++) {
		undo_one(obj_ns, (__u64)ns, (__u64)pos);
		pos = BPF_CORE_READ(pos, next);
	}
}

SEC("fentry/exit_sem")
int BPF_PROG(fentry_exit_sem, struct task_struct *tsk)
{
	on_exit_sem(tsk);
	return 0;
}

SEC("kprobe/exit_sem")
int BPF_KPROBE(kprobe_exit_sem, struct task_struct *tsk)
{
	on_exit_sem(tsk);
	return 0;
}

/* ---- -p without a streaming object: follow children ourselves ---------- */

SEC("tp_btf/sched_process_fork")
int BPF_PROG(kobj_fork, struct task_struct *parent, struct task_struct *child)
{
	if (own_tracked)
		ipcs_filter_on_fork(parent, child);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(kobj_exit, struct task_struct *p)
{
	if (own_tracked && BPF_CORE_READ(p, pid) == BPF_CORE_READ(p, tgid))
		ipcs_filter_on_exit(BPF_CORE_READ(p, tgid));
	return 0;
}
