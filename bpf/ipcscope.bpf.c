// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The streaming object: every System V IPC syscall through its
 * sys_enter_/sys_exit_ tracepoints, plus fork/exec/exit, into one ring
 * buffer.  At entry a selected thread's arguments (and sembufs) go into
 * its `inflight` task storage; at exit one struct ev_call is built from it.  Userspace
 * (user/source/live.c) decides which programs load, from one table.
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

#define IPC_CREAT   00001000
#define IPC_PRIVATE 0
#define IPC_64      0x0100

/* Knobs, set by userspace before load. */
const volatile bool want_calls = true;      /* EV_CALL per completed call */
const volatile bool want_proc = true;       /* EV_FORK/EV_EXEC/EV_EXIT */
const volatile bool want_create = false;    /* EV_CREATE on creating *get */
const volatile bool want_stack = false;     /* ev_call.stack_id */
const volatile bool want_offcpu = false;    /* ev_call.offcpu_ns */
/* Each CPU wakes the reader once per this many bytes it submitted (0: the
 * kernel's default, a wake-up whenever the reader waits); it polls with a
 * timeout besides. */
const volatile __u64 wakeup_bytes = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);       /* resized by userspace before load */
} events SEC(".maps");

/*
 * The call each thread is in: task-local storage, so entry and exit cost
 * no hashing and no bucket lock, and it goes with the task.  Userspace
 * reads it by pidfd (live_inflight_start()).
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct inflight_task);
} inflight SEC(".maps");

struct shm_addr_key {
	__u32 tgid;
	__u32 _pad;
	__u64 addr;
};

/* Where each process attached each segment: shmdt names the segment. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct shm_addr_key);
	__type(value, __s32);
} shm_addrs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__uint(value_size, IPCS_STACK_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

/* Failed ring-buffer reservations, per CPU: loss is counted, never silent
 * (`lost` in every object). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

/*
 * `aggregate` (top, metrics): per-call figures are kept here instead of
 * streamed -- per-call histograms, one histogram per object, semaphore
 * holder balances -- and only what is rare goes to the ring buffer
 * (creations, changing *ctl commands, the end of a call that waited at
 * least rare_wait_ns, and per process and object a call at most every
 * use_period_ns: "last used by" for leaks).  A full map is counted in
 * `agg_lost`, never silent.  Userspace shrinks every map to one entry
 * when not aggregating.
 */
const volatile bool aggregate = false;
const volatile __u64 rare_wait_ns = 1000000;
const volatile __u64 use_period_ns = 1000000000;

/* key.call CALL_NONE, key.kind: every call on an object in one histogram */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);           /* sized by userspace */
	__type(key, struct hist_key);
	__type(value, struct hist_val);
} obj_hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct hold_key);
	__type(value, __s64);
} holds SEC(".maps");

/*
 * LRU: removed sets' epochs must not fill it under churn; a set in use is
 * looked up at every semop, so the entries evicted are of sets nobody
 * uses (their balances then read as stale and go: an evicted set has no
 * epoch, and its next semop draws a new one, see fresh_epoch()).
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct sem_epoch_key);
	__type(value, __u32);
} sem_epochs SEC(".maps");

struct use_key {
	__u32 ipcns;
	__s32 id;
	__u32 tgid;
	__u32 kind;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct use_key);
	__type(value, __u64);
} uses SEC(".maps");

/* Aggregation that a full map refused: calls, holds. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} agg_lost SEC(".maps");

/* Scratch for what is too big for the BPF stack (exec path). */
struct scratch {
	char path[256];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

static __always_inline void count_lost(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&lost, &zero);

	if (n)
		*n += 1;
}

/*
 * Batched wake-ups (a wake-up is an irq_work IPI, never one per event): each
 * CPU counts the bytes it submitted and forces a wake-up per wakeup_bytes.
 * A single global threshold crossing, tested with bpf_ringbuf_query after
 * the reserve, is missed when CPUs reserve concurrently (both see the
 * backlog already past it): the reader then slept until its poll timeout
 * while the ring filled, and msgq at 1.8 M calls/s lost 15 % of its events.
 * Per-CPU counters cannot miss: the backlog of a sleeping reader is at most
 * nr_cpus * wakeup_bytes (userspace sets that to an eighth of the ring).
 * Each counter has its own cache line; a race with a program nested on the
 * same CPU only moves one wake-up.
 */
#define RB_MAX_CPUS 1024
struct rb_pending {
	__u64 bytes;
	__u64 pad[7];
};
static struct rb_pending rb_pending[RB_MAX_CPUS];

static __always_inline __u64 submit_flags(__u64 size)
{
	__u32 cpu;
	struct rb_pending *p;

	if (!wakeup_bytes)
		return 0;
	cpu = bpf_get_smp_processor_id();
	if (cpu >= RB_MAX_CPUS)
		return 0;
	p = &rb_pending[cpu];
	p->bytes += size + 8;    /* + the ring's record header */
	if (p->bytes < wakeup_bytes)
		return BPF_RB_NO_WAKEUP;
	p->bytes = 0;
	return BPF_RB_FORCE_WAKEUP;
}

/*
 * The header of every record.  `t` is a BTF pointer (bpf_get_current_task_btf
 * or a tp_btf argument): its fields are read with plain loads, which the JIT
 * turns into fault-safe loads, far cheaper than a probe_read helper call
 * each; this runs once per event.
 */
static __always_inline void fill_hdr(struct ev_hdr *h, __u16 type, __u16 size,
				     struct task_struct *t, __u64 ts)
{
	__u64 ugid = bpf_get_current_uid_gid();

	h->type = type;
	h->size = size;
	h->cpu = bpf_get_smp_processor_id();
	h->ts_ns = ts;
	h->pid = t->tgid;
	h->tid = t->pid;
	h->ppid = t->real_parent->tgid;
	h->uid = (__u32)ugid;
	h->gid = ugid >> 32;
	h->ipcns = t->nsproxy ? t->nsproxy->ipc_ns->ns.inum : 0;
	h->cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(h->comm, sizeof(h->comm));
}

/* ------------------------------------------------------------------ entry */

/*
 * a0..a4: the call's arguments in the native syscall's order (unused ones
 * 0); a5: ipc(SHMAT)'s result pointer; flags: EVF_* from the hook;
 * compat: IPCS_CF_* (syscalls.bpf.h).
 */
static __always_inline int on_enter(__u8 call, __u8 kind, __u64 a0, __u64 a1, __u64 a2,
				    __u64 a3, __u64 a4, __u64 a5, __u8 flags, __u8 compat)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct inflight_task *it;
	struct inflight *in;

	if (!ipcs_kind_selected(kind))
		return 0;
	/*
	 * Created for every caller, selected or not (it caches the -p
	 * decision), and refilled in place at each call.
	 */
	it = bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), 0,
				  BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!it)
		return 0;
	in = &it->in;
	if (!ipcs_task_selected_cached(pid_tgid >> 32, &it->tracked_cache)) {
		in->call = CALL_NONE;
		return 0;
	}
	in->start_ns = bpf_ktime_get_ns();
	in->offcpu_ns = 0;
	in->switched_out_ns = 0;
	in->pid = pid_tgid >> 32;
	in->nsops_copied = 0;
	in->flags = flags;
	in->compat = compat;
	in->arg[0] = a0;
	in->arg[1] = a1;
	in->arg[2] = a2;
	in->arg[3] = a3;
	in->arg[4] = a4;
	in->arg[5] = a5;

	if (call == CALL_SEMOP || call == CALL_SEMTIMEDOP) {
		__u64 nsops = a2;
		__u32 n = nsops > IPCS_MAX_SOPS ? IPCS_MAX_SOPS : nsops;

		if (nsops > IPCS_MAX_SOPS)
			in->flags |= EVF_SOPS_TRUNC;
		if (n && bpf_probe_read_user(in->sops, n * sizeof(struct ipcs_sembuf),
					     (void *)a1) == 0)
			in->nsops_copied = n;
		else if (n)
			in->flags |= EVF_SOPS_FAULT;
		if (call == CALL_SEMTIMEDOP && a3)
			in->flags |= EVF_HAS_TIMEOUT;
	}
	in->call = call;        /* last: readers skip entries with CALL_NONE */
	return 0;
}

/* ------------------------------------------------------------------- exit */

#define ERESTARTSYS           512
#define ERESTARTNOINTR        513
#define ERESTARTNOHAND        514
#define ERESTART_RESTARTBLOCK 516
#define SA_RESTART            0x10000000
#define SIG_DFL_H             0
#define SIG_IGN_H             1

/*
 * What a call that returns a restart code becomes, as the signal code will
 * decide right after this exit (arch_do_signal_or_restart): the lowest
 * pending, unblocked signal (synchronous signals come first there, but a
 * call interrupted in a wait is interrupted by an asynchronous one), its
 * handler, and SA_RESTART.  EVI_* | sig << 8.
 */
static __always_inline __u32 intr_outcome(struct task_struct *t, long err)
{
	__u64 pend, handler = 0, flags = 0;
	struct sighand_struct *sh;
	__u32 sig = 0;

	if (err == ERESTARTNOINTR)
		return EVI_RESTARTED;
	pend = BPF_CORE_READ(t, pending.signal.sig[0]) |
	       BPF_CORE_READ(t, signal, shared_pending.signal.sig[0]);
	pend &= ~BPF_CORE_READ(t, blocked.sig[0]);
	if (!pend)
		return EVI_RESTARTED;      /* no signal to handle: restarted */
	for (__u32 i = 0; i < 64; i++) {
		if (pend & (1ULL << i)) {
			sig = i + 1;
			break;
		}
	}
	if (!sig)
		return EVI_RESTARTED;
	if (sig == 9) {
		/* a fatal signal (SIGTERM with no handler, say) is turned into
		 * SIGKILL for the group; the one sent is the group's exit code */
		__u32 code = BPF_CORE_READ(t, signal, group_exit_code) & 0x7f;

		return EVI_KILLED | (code ? code : sig) << 8;
	}
	sh = BPF_CORE_READ(t, sighand);
	if (sh && sig <= 64) {
		struct k_sigaction *ka = &sh->action[(sig - 1) & 63];

		bpf_probe_read_kernel(&handler, sizeof(handler), &ka->sa.sa_handler);
		bpf_probe_read_kernel(&flags, sizeof(flags), &ka->sa.sa_flags);
	}
	if (handler == SIG_IGN_H)
		return EVI_RESTARTED | sig << 8;
	if (handler == SIG_DFL_H) {
		/* SIGCHLD, SIGCONT, SIGURG, SIGWINCH are ignored; SIGSTOP, SIGTSTP,
		 * SIGTTIN, SIGTTOU stop, and the call restarts at SIGCONT */
		if (sig == 17 || sig == 18 || sig == 23 || sig == 28 ||
		    sig == 19 || sig == 20 || sig == 21 || sig == 22)
			return EVI_RESTARTED | sig << 8;
		return EVI_KILLED | sig << 8;
	}
	if (err == ERESTARTSYS && (flags & SA_RESTART))
		return EVI_RESTARTED | sig << 8;
	return EVI_EINTR | sig << 8;
}

/*
 * A *ctl command without IPC_64, when it is a command that carries it (the
 * commands are small numbers); anything else, an invalid -1 for instance,
 * as passed.
 */
static __always_inline __s32 ctl_cmd(__u64 arg)
{
	__u32 cmd = arg;

	if ((cmd & IPC_64) && cmd < 2 * IPC_64)
		return cmd & ~IPC_64;
	return cmd;
}

/*
 * Does the caller's %rbp look like a frame pointer (on its stack, above
 * sp)?  In code built without frame pointers it holds anything, and the
 * kernel's frame-pointer walk faults on it (several µs in a VM) to get one
 * trustworthy frame, which EV_CREATE's registers already give.
 */
static __always_inline bool fp_plausible(void)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *r = (struct pt_regs *)bpf_task_pt_regs(t);
	__u64 sp = BPF_CORE_READ(r, sp), bp = BPF_CORE_READ(r, bp);

	return bp >= sp && bp - sp < (8 << 20);
}

static __always_inline void emit_create(void *ctx, __u8 call, __u8 kind,
					__s32 id, __s32 key, __s32 stack_id)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *r = (struct pt_regs *)bpf_task_pt_regs(t);
	unsigned long arg_start, arg_end;
	struct ev_create *cr;
	__u64 sp, len, want;
	__u64 got = 0;          /* 64-bit: a u32 is zero-extended after the bounds check, which 6.1 loses */

	/*
	 * Built in place in the ring buffer (no scratch copy); the record's
	 * size says how much of the stack copy is valid, the rest of the
	 * reservation is never read.
	 */
	cr = bpf_ringbuf_reserve(&events, sizeof(*cr), 0);
	if (!cr) {
		count_lost();
		return;
	}
	cr->call = call;
	cr->kind = kind;
	cr->id = id;
	cr->key = key;
	cr->stack_id = stack_id;
	/* DWARF x86_64 numbering; rip at 16 */
	cr->regs[0] = BPF_CORE_READ(r, ax);
	cr->regs[1] = BPF_CORE_READ(r, dx);
	cr->regs[2] = BPF_CORE_READ(r, cx);
	cr->regs[3] = BPF_CORE_READ(r, bx);
	cr->regs[4] = BPF_CORE_READ(r, si);
	cr->regs[5] = BPF_CORE_READ(r, di);
	cr->regs[6] = BPF_CORE_READ(r, bp);
	cr->regs[7] = BPF_CORE_READ(r, sp);
	cr->regs[8] = BPF_CORE_READ(r, r8);
	cr->regs[9] = BPF_CORE_READ(r, r9);
	cr->regs[10] = BPF_CORE_READ(r, r10);
	cr->regs[11] = BPF_CORE_READ(r, r11);
	cr->regs[12] = BPF_CORE_READ(r, r12);
	cr->regs[13] = BPF_CORE_READ(r, r13);
	cr->regs[14] = BPF_CORE_READ(r, r14);
	cr->regs[15] = BPF_CORE_READ(r, r15);
	cr->regs[16] = BPF_CORE_READ(r, ip);
	cr->regs[17] = 0;
	sp = cr->regs[7];
	cr->sp = sp;
	cr->_pad = 0;

	arg_start = BPF_CORE_READ(t, mm, arg_start);
	arg_end = BPF_CORE_READ(t, mm, arg_end);

	/*
	 * A failed read costs a page fault (several µs in a VM) and zeroes
	 * the destination, so read page by page from sp and stop at the first
	 * page that is not there: at most one failure, and no more than the
	 * main thread's stack holds (everything up to the argv strings).
	 */
	want = IPCS_STACK_COPY;
	if (sp < arg_start && arg_start - sp < IPCS_STACK_COPY)
		want = arg_start - sp;
	len = 4096 - (sp & 4095);          /* to the end of sp's page: 1..4096 */
	if (len > want)
		len = want;
	if (len && !bpf_probe_read_user(cr->stack, len, (void *)sp)) {
		got = len;
		len = want - got;
		/*
		 * Hide what the compiler knows of got's range, so it keeps the
		 * test below: older verifiers (6.1) need it to bound the
		 * destination (got + len <= 8192).
		 */
		barrier_var(got);
		barrier_var(len);
		if (len > 4096)
			len = 4096;
		if (got <= 4096 && len &&
		    !bpf_probe_read_user(cr->stack + got, len, (void *)(sp + got)))
			got += len;
	}
	cr->stack_len = got;

	len = arg_end > arg_start ? arg_end - arg_start : 0;
	if (len > IPCS_CMDLINE_LEN)
		len = IPCS_CMDLINE_LEN;
	if (len && bpf_probe_read_user(cr->cmdline, len, (void *)arg_start))
		len = 0;
	cr->cmdline_len = len;

	len = offsetof(struct ev_create, stack) + got;
	if (len > sizeof(*cr))
		len = sizeof(*cr);
	fill_hdr(&cr->h, EV_CREATE, len, t, bpf_ktime_get_ns());
	bpf_ringbuf_submit(cr, submit_flags(len));
}

static __always_inline __s32 shmdt_lookup(__u32 tgid, __u32 ppid, __u64 addr, bool remove)
{
	struct shm_addr_key k = { .tgid = tgid, .addr = addr };
	__s32 *id = bpf_map_lookup_elem(&shm_addrs, &k);
	__s32 v;

	if (!id) {
		/* inherited across fork: the parent attached it */
		k.tgid = ppid;
		id = bpf_map_lookup_elem(&shm_addrs, &k);
		if (!id)
			return -1;
		return *id;
	}
	v = *id;
	if (remove)
		bpf_map_delete_elem(&shm_addrs, &k);
	return v;
}

/* ------------------------------------------------------------ aggregate */

#define IPC_RMID   0
#define IPC_SET    1
#define SHM_LOCK   11
#define SHM_UNLOCK 12
#define SEM_SETVAL 16
#define SEM_SETALL 17

/*
 * A new epoch for a set: random and never 0.  Not a counter: an entry that
 * the LRU evicted (or a set removed and its id reused) would start again
 * at a value its old balances carry and bring them back; a random one
 * matches an old epoch of the same set with odds of 2^-31 per change, and
 * only while userspace has not yet dropped that epoch's balances.
 */
static __always_inline __u32 fresh_epoch(void)
{
	return bpf_get_prandom_u32() | 1;
}

/* Balances from before IPC_RMID, SETVAL or SETALL no longer hold. */
static __always_inline void bump_epoch(__u32 ipcns, __s32 semid)
{
	struct sem_epoch_key k = { .ipcns = ipcns, .semid = semid };
	__u32 e = fresh_epoch(), zero = 0;
	__u64 *lost;

	if (bpf_map_update_elem(&sem_epochs, &k, &e, BPF_ANY) &&
	    (lost = bpf_map_lookup_elem(&agg_lost, &zero)))
		(*lost)++;
}

static __always_inline void add_holds(const struct inflight *in, __u32 ipcns, __s32 semid,
				      __u32 tgid)
{
	struct sem_epoch_key ek = { .ipcns = ipcns, .semid = semid };
	struct hold_key k = { .ipcns = ipcns, .semid = semid, .tgid = tgid };
	__u32 fresh, *e = bpf_map_lookup_elem(&sem_epochs, &ek);
	__u32 n = in->nsops_copied;

	/* a set without an epoch (never changed, or evicted) gets one: no
	 * balance is ever recorded under 0, which userspace reads as none */
	if (!e) {
		fresh = fresh_epoch();
		e = ipcs_lookup_or_init(&sem_epochs, &ek, &fresh, &agg_lost);
		if (!e)
			return;
	}
	k.epoch = *e;
#pragma unroll
	for (int i = 0; i < IPCS_MAX_SOPS; i++) {
		__s64 zero = 0, *v;

		if (i >= n)
			break;
		if (!in->sops[i].op)
			continue;
		k.semnum = in->sops[i].num;
		v = ipcs_lookup_or_init(&holds, &k, &zero, &agg_lost);
		if (v)
			__sync_fetch_and_add(v, (__s64)in->sops[i].op);
	}
}

/*
 * Count one completed call; true if its EV_CALL is rare enough to stream
 * as well.  id: the object (the created one for *get), -1 if none.
 */
static __always_inline bool aggregate_call(struct task_struct *t, struct inflight *in,
					   __u8 call, __u8 kind, __s32 id, __u64 lat, long ret,
					   __u64 now)
{
	__u32 idx = call, ipcns = task_ipcns(t), tgid = in->pid;
	__u64 bytes = call == CALL_MSGSND ? in->arg[2] : call == CALL_MSGRCV ? (__u64)ret : 0;
	struct hist_val *v;
	struct use_key uk = {};
	__u64 *last;
	__s32 cmd;

	v = bpf_map_lookup_elem(&call_hists, &idx);
	if (v)
		ipcs_hist_add(v, lat, ret, bytes, want_offcpu, in->offcpu_ns,
			      (in->flags & EVF_WAITED) != 0);
	if (id >= 0 &&
	    (v = ipcs_object_hist(&obj_hists, &agg_lost, CALL_NONE, kind, id, ipcns)))
		ipcs_hist_add(v, lat, ret, bytes, false, 0, 0);
	switch (call) {
	case CALL_SHMGET: case CALL_SEMGET: case CALL_MSGGET:
		return ret >= 0;                   /* creations, the creator's comm */
	case CALL_SHMCTL: case CALL_SEMCTL: case CALL_MSGCTL:
		cmd = call == CALL_SEMCTL ? ctl_cmd(in->arg[2]) : ctl_cmd(in->arg[1]);
		if (call == CALL_SEMCTL && ret >= 0 &&
		    (cmd == IPC_RMID || cmd == SEM_SETVAL || cmd == SEM_SETALL))
			bump_epoch(ipcns, id);
		if (cmd == IPC_RMID && ret >= 0 && id >= 0) {
			/* gone: its histogram goes before userspace hears of it,
			 * so a reused id starts afresh */
			struct hist_key hk = { .call = CALL_NONE, .kind = kind, .id = id,
					       .ipcns = ipcns };

			bpf_map_delete_elem(&obj_hists, &hk);
		}
		/* IPC_RMID, IPC_SET, SHM_LOCK/UNLOCK, SETVAL, SETALL change the
		 * object; the rest only read it */
		return cmd == IPC_RMID || cmd == IPC_SET || cmd == SHM_LOCK || cmd == SHM_UNLOCK ||
		       cmd == SEM_SETVAL || cmd == SEM_SETALL;
	case CALL_SEMOP: case CALL_SEMTIMEDOP:
		if (ret >= 0)
			add_holds(in, ipcns, id, tgid);
		/* fallthrough */
	case CALL_MSGSND: case CALL_MSGRCV:
		if (lat >= rare_wait_ns)
			return true;                /* a wait's end */
		break;
	}
	if (id < 0 || ret < 0)
		return false;
	/* "last used by": a call per process and object per use_period_ns */
	uk.ipcns = ipcns;
	uk.id = id;
	uk.tgid = tgid;
	uk.kind = kind;
	last = bpf_map_lookup_elem(&uses, &uk);
	if (last && now - *last < use_period_ns)
		return false;
	if (last)
		*last = now;
	else
		bpf_map_update_elem(&uses, &uk, &now, BPF_ANY);
	return true;
}

static __always_inline int on_exit(void *ctx, __u8 call, __u8 kind, long ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct task_struct *t;
	struct inflight_task *it;
	struct inflight *in;
	struct ev_call *e;
	__u64 now, lat;
	__s32 id = -1, key = 0, stack_id = -1;
	bool is_get;

	t = bpf_get_current_task_btf();
	it = bpf_task_storage_get(&inflight, t, 0, 0);
	if (!it)
		return 0;
	in = &it->in;
	if (in->call != call) {   /* not in a call, or a stale entry */
		in->call = CALL_NONE;
		return 0;
	}
	now = bpf_ktime_get_ns();
	lat = now - in->start_ns;
	if ((in->compat & IPCS_CF_SHMAT_PTR) && ret == 0) {
		/* ipc(SHMAT) returns 0 and stores the address at its third argument */
		__u32 addr;

		if (!bpf_probe_read_user(&addr, sizeof(addr), (void *)in->arg[5]))
			ret = addr;
	}
	/* still switched out here: count the time to now rather than none, so
	 * that a call that waited always shows off-CPU time */
	ipcs_offcpu_close(&in->switched_out_ns, &in->offcpu_ns, now);

	/* shmat/shmdt bookkeeping happens whatever the result filter says */
	if (call == CALL_SHMAT && ret >= 0) {
		struct shm_addr_key k = { .tgid = pid_tgid >> 32, .addr = (__u64)ret };
		__s32 shmid = in->arg[0];

		bpf_map_update_elem(&shm_addrs, &k, &shmid, BPF_ANY);
	}

	is_get = call == CALL_SHMGET || call == CALL_SEMGET || call == CALL_MSGGET;
	switch (call) {
	case CALL_SHMGET: case CALL_SEMGET: case CALL_MSGGET:
		key = in->arg[0];
		id = ret >= 0 ? ret : -1;
		break;
	case CALL_SHMDT:
		id = shmdt_lookup(pid_tgid >> 32, t->real_parent->tgid,
				  in->arg[0], ret == 0);
		break;
	default:
		id = in->arg[0];
	}

	if (!want_calls || !ipcs_result_selected(lat, ret))
		goto create;
	if (aggregate && !aggregate_call(t, in, call, kind, id, lat, ret, now))
		goto create;
	if (want_stack)
		stack_id = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost();
		goto create;
	}
	fill_hdr(&e->h, EV_CALL, sizeof(*e), t, now);
	e->call = call;
	e->kind = kind;
	e->nsops_copied = in->nsops_copied;
	e->flags = in->flags;
	e->id = id;
	e->key = key;
	e->cmd = 0;
	e->semnum = 0;
	e->err = ret < 0 && ret >= -4095 ? -ret : 0;
	e->ret = ret;
	e->lat_ns = lat;
	e->offcpu_ns = in->offcpu_ns;
	e->size = 0;
	e->mtype = 0;
	e->addr = 0;
	e->timeout_ns = 0;
	e->iflags = 0;
	e->nsops = 0;
	e->stack_id = stack_id;
	e->intr = 0;
	if (ret <= -ERESTARTSYS && ret >= -ERESTART_RESTARTBLOCK && ret != -515)
		e->intr = intr_outcome(t, -ret);
	__builtin_memcpy(e->sops, in->sops, sizeof(e->sops));

	switch (call) {
	case CALL_SHMGET:
		e->size = in->arg[1];
		e->iflags = in->arg[2];
		break;
	case CALL_SEMGET:
		e->nsops = in->arg[1];
		e->iflags = in->arg[2];
		break;
	case CALL_MSGGET:
		e->iflags = in->arg[1];
		break;
	case CALL_SHMAT:
		e->addr = ret < 0 && ret >= -4095 ? in->arg[1] : (__u64)ret;
		e->shmaddr = in->arg[1];
		e->iflags = in->arg[2];
		break;
	case CALL_SHMDT:
		e->addr = in->arg[0];
		if (id >= 0)
			e->flags |= EVF_ID_FROM_ADDR;
		break;
	case CALL_SEMOP:
	case CALL_SEMTIMEDOP:
		e->nsops = in->arg[2];
		if (call == CALL_SEMTIMEDOP)
			e->uptr = in->arg[3];
		if ((in->flags & EVF_HAS_TIMEOUT) && (in->compat & IPCS_CF_TS32)) {
			struct { __s32 tv_sec, tv_nsec; } ts32;   /* old_timespec32 */

			if (!bpf_probe_read_user(&ts32, sizeof(ts32), (void *)in->arg[3]))
				e->timeout_ns = ts32.tv_sec * 1000000000ULL + ts32.tv_nsec;
			else
				e->flags |= EVF_PTR_FAULT;
		} else if (in->flags & EVF_HAS_TIMEOUT) {
			struct __kernel_timespec ts;

			if (!bpf_probe_read_user(&ts, sizeof(ts), (void *)in->arg[3]))
				e->timeout_ns = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
			else
				e->flags |= EVF_PTR_FAULT;
		}
		break;
	case CALL_SHMCTL:
	case CALL_MSGCTL:
		e->cmd = ctl_cmd(in->arg[1]);
		e->uptr = in->arg[2];
		break;
	case CALL_SEMCTL:
		e->semnum = in->arg[1];
		e->cmd = ctl_cmd(in->arg[2]);
		e->uptr = in->arg[3];
		break;
	case CALL_MSGSND: {
		long mtype = 0;
		__s32 mtype32 = 0;

		/* msgsnd does not modify the buffer: its mtype is still there
		 * (a compat_long_t, 4 bytes, for a 32-bit caller) */
		if (in->compat & IPCS_CF_LONG32) {
			if (bpf_probe_read_user(&mtype32, sizeof(mtype32), (void *)in->arg[1]))
				e->flags |= EVF_PTR_FAULT;
			mtype = mtype32;
		} else if (bpf_probe_read_user(&mtype, sizeof(mtype), (void *)in->arg[1])) {
			e->flags |= EVF_PTR_FAULT;
		}
		e->mtype = mtype;
		e->uptr = in->arg[1];
		e->size = in->arg[2];
		e->iflags = in->arg[3];
		break;
	}
	case CALL_MSGRCV:
		e->size = in->arg[2];
		e->mtype = in->arg[3];
		e->iflags = in->arg[4];
		e->uptr = in->arg[1];
		if (ret >= 0) {
			long mtype = 0;

			/* the kernel just wrote the message there */
			if (bpf_probe_read_user(&mtype, sizeof(mtype), (void *)in->arg[1]))
				e->flags |= EVF_PTR_FAULT;
			e->rcv_mtype = mtype;
		}
		break;
	}
	bpf_ringbuf_submit(e, submit_flags(sizeof(*e)));

create:
	if (want_create && ret >= 0 && is_get) {
		__u32 flg = call == CALL_MSGGET ? in->arg[1] : in->arg[2];

		if (key == IPC_PRIVATE || (flg & IPC_CREAT)) {
			if (stack_id < 0 && fp_plausible())
				stack_id = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
			emit_create(ctx, call, kind, id, key, stack_id);
		}
	}
	in->call = CALL_NONE;    /* kept for the next call; see on_enter */
	in->start_ns = 0;
	return 0;
}

/*
 * Two ways to hook the calls; userspace (the program table in live.c)
 * loads one.
 *
 * Per-syscall tracepoints: one enter and one exit program per call, named
 * enter_<name>/exit_<name>.  One constant-offset load per argument the
 * syscall has: the verifier refuses ctx + variable offset, and attaching
 * fails (EACCES) if the program reads past the tracepoint's record.
 */
#define TP_ARG(n, NARGS) ((NARGS) > (n) ? ctx->args[n] : 0)
#define IPC_TP(name, NAME, KIND, NARGS)                                         \
SEC("tracepoint/syscalls/sys_enter_" #name)                                     \
int enter_##name(struct trace_event_raw_sys_enter *ctx)                         \
{ return on_enter(CALL_##NAME, KIND_##KIND, ctx->args[0], TP_ARG(1, NARGS),     \
		  TP_ARG(2, NARGS), TP_ARG(3, NARGS), TP_ARG(4, NARGS), 0, 0, 0); } \
SEC("tracepoint/syscalls/sys_exit_" #name)                                      \
int exit_##name(struct trace_event_raw_sys_exit *ctx)                           \
{ return on_exit(ctx, CALL_##NAME, KIND_##KIND, ctx->ret); }

IPCS_SYSCALLS(IPC_TP)

/*
 * Raw sys_enter/sys_exit: two programs for every syscall of the machine;
 * the syscall number (and the caller's ABI) is tested first, so that
 * other syscalls cost a table load.  Attaching and detaching two links
 * takes well under a millisecond where 24 tracepoint links wait for a
 * grace period each.
 */
#if IPCS_HAVE_COMPAT
/*
 * A 32-bit caller: an i386 IPC syscall (arguments as the native ones, 32
 * bits wide) or ipc(2) (op, first, second, third, ptr, fifth in ebx..ebp),
 * decoded into the native call's argument order.  The rules of
 * compat_ksys_ipc(): ipc(SEMTIMEDOP) takes an old_timespec32; ipc(MSGRCV)
 * version 0 passes {msgp, msgtyp} in a compat_ipc_kludge at ptr; ipc(SHMAT)
 * returns the address through `third`; mtype is a 4-byte compat_long_t.
 */
static __always_inline int compat_enter(struct pt_regs *regs, long nr)
{
	__u32 bx = IPCS_SC32_ARG0(regs), cx = IPCS_SC32_ARG1(regs), dx = IPCS_SC32_ARG2(regs);
	__u32 si = IPCS_SC32_ARG3(regs), di = IPCS_SC32_ARG4(regs), bp = IPCS_SC32_ARG5(regs);
	__u64 a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0;
	__u8 call = ipcs_compat_call(nr, bx), cf = 0;

	if (call == CALL_NONE)
		return 0;
	if (nr != IPCS_NR32_ipc) {
		a0 = bx; a1 = cx; a2 = dx; a3 = si; a4 = di;
		if (call == CALL_MSGRCV)
			a3 = (__s64)(__s32)si;          /* msgtyp */
		if (call == CALL_MSGSND)
			cf |= IPCS_CF_LONG32;
		return on_enter(call, ipcs_kind_of(call), a0, a1, a2, a3, a4, 0, EVF_COMPAT, cf);
	}
	switch (call) {
	case CALL_SEMOP:
		a0 = cx; a1 = di; a2 = dx;
		break;
	case CALL_SEMTIMEDOP:
		a0 = cx; a1 = di; a2 = dx; a3 = bp;
		cf |= IPCS_CF_TS32;
		break;
	case CALL_SEMGET: case CALL_SHMGET:
		a0 = cx; a1 = dx; a2 = si;
		break;
	case CALL_SEMCTL:
		a0 = cx; a1 = dx; a2 = si; a3 = di;
		break;
	case CALL_MSGSND:
		a0 = cx; a1 = di; a2 = dx; a3 = si;
		cf |= IPCS_CF_LONG32;
		break;
	case CALL_MSGRCV:
		a0 = cx; a2 = dx; a4 = si;
		if ((bx >> 16) == 0) {
			struct { __u32 msgp; __s32 msgtyp; } k;   /* compat_ipc_kludge */

			if (!bpf_probe_read_user(&k, sizeof(k), (void *)(__u64)di)) {
				a1 = k.msgp;
				a3 = (__s64)k.msgtyp;
			}
		} else {
			a1 = di;
			a3 = (__s64)(__s32)bp;
		}
		break;
	case CALL_MSGGET:
		a0 = cx; a1 = dx;
		break;
	case CALL_MSGCTL: case CALL_SHMCTL:
		a0 = cx; a1 = dx; a2 = di;
		break;
	case CALL_SHMAT:
		a0 = cx; a1 = di; a2 = dx; a5 = si;
		cf |= IPCS_CF_SHMAT_PTR;
		break;
	case CALL_SHMDT:
		a0 = di;
		break;
	}
	return on_enter(call, ipcs_kind_of(call), a0, a1, a2, a3, a4, a5, EVF_COMPAT, cf);
}
#endif

/*
 * Raw sys_enter/sys_exit: two programs for every syscall of the machine;
 * the caller's ABI and the syscall number are tested first, so that other
 * syscalls cost a flag test and a table load.  Attaching and detaching two
 * links takes well under a millisecond where 24 tracepoint links wait for
 * a grace period each.  Unlike the x86_64 syscall tracepoints they see
 * 32-bit callers.
 */
SEC("tp_btf/sys_enter")
int BPF_PROG(raw_enter, struct pt_regs *regs, long nr)
{
	__u8 call;

	if (!ipcs_nr_maybe_ipc(nr))
		return 0;
	if (ipcs_in_compat_syscall(bpf_get_current_task_btf())) {
#if IPCS_HAVE_COMPAT
		return compat_enter(regs, nr);
#else
		return 0;
#endif
	}
	call = ipcs_native_call(nr);
	if (call == CALL_NONE)
		return 0;
	return on_enter(call, ipcs_kind_of(call), IPCS_SC_ARG0(regs), IPCS_SC_ARG1(regs),
			IPCS_SC_ARG2(regs), IPCS_SC_ARG3(regs), IPCS_SC_ARG4(regs), 0, 0, 0);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(raw_exit, struct pt_regs *regs, long ret)
{
	__u8 call = ipcs_raw_exit_call(bpf_get_current_task_btf(), regs);

	return call == CALL_NONE ? 0 : on_exit(ctx, call, ipcs_kind_of(call), ret);
}

/* ---------------------------------------------------------------- process */

static __always_inline struct ev_proc *proc_reserve(__u16 type, struct task_struct *t)
{
	struct ev_proc *p = bpf_ringbuf_reserve(&events, sizeof(*p), 0);

	if (!p) {
		count_lost();
		return NULL;
	}
	fill_hdr(&p->h, type, sizeof(*p), t, bpf_ktime_get_ns());
	p->child_pid = 0;
	p->exit_code = 0;
	__builtin_memset(p->filename, 0, sizeof(p->filename));
	return p;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(sched_fork, struct task_struct *parent, struct task_struct *child)
{
	struct ev_proc *p;
	__u32 ptgid = parent->tgid;

	ipcs_filter_on_fork(parent, child);
	/* new processes only; a new thread is not a fork for us */
	if (!want_proc || child->tgid == ptgid || !ipcs_task_selected(ptgid))
		return 0;
	p = proc_reserve(EV_FORK, parent);
	if (!p)
		return 0;
	p->child_pid = child->tgid;
	bpf_ringbuf_submit(p, submit_flags(sizeof(*p)));
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(sched_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	struct scratch *sc;
	struct ev_proc *p;
	__u32 zero = 0;
	long n;

	if (!want_proc || !ipcs_task_selected(task->tgid))
		return 0;
	p = proc_reserve(EV_EXEC, task);
	if (!p)
		return 0;
	sc = bpf_map_lookup_elem(&scratch, &zero);
	if (sc) {
		/* keep the tail of the path: the program's name is at the end */
		n = bpf_probe_read_kernel_str(sc->path, sizeof(sc->path), bprm->filename);
		if (n > (long)sizeof(p->filename)) {
			__u32 off = n - sizeof(p->filename);

			if (off < sizeof(sc->path) - sizeof(p->filename))
				bpf_probe_read_kernel(p->filename, sizeof(p->filename), sc->path + off);
		} else if (n > 0) {
			bpf_probe_read_kernel(p->filename, sizeof(p->filename), sc->path);
		}
	}
	bpf_ringbuf_submit(p, submit_flags(sizeof(*p)));
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_exit, struct task_struct *task)
{
	__u32 tgid = task->tgid, pid = task->pid;
	struct ev_proc *p;

	if (pid != tgid)
		return 0;                 /* a thread, not the process */
	if (want_proc && ipcs_task_selected(tgid)) {
		p = proc_reserve(EV_EXIT, task);
		if (p) {
			p->exit_code = task->exit_code;
			bpf_ringbuf_submit(p, submit_flags(sizeof(*p)));
		}
	}
	ipcs_filter_on_exit(tgid);
	return 0;
}

/* Time switched out inside a call: only loaded when asked for (it runs on
 * every context switch of the machine). */
SEC("tp_btf/sched_switch")
int BPF_PROG(sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	struct inflight_task *it;
	struct inflight *in;
	__u64 now;

	if (!want_offcpu)
		return 0;
	now = bpf_ktime_get_ns();
	it = bpf_task_storage_get(&inflight, prev, 0, 0);
	if (it && it->in.call != CALL_NONE) {
		it->in.switched_out_ns = now;
		if (ipcs_switch_is_wait(preempt, prev))
			it->in.flags |= EVF_WAITED;
	}
	it = bpf_task_storage_get(&inflight, next, 0, 0);
	in = it ? &it->in : NULL;
	if (in && in->call != CALL_NONE)
		ipcs_offcpu_close(&in->switched_out_ns, &in->offcpu_ns, now);
	return 0;
}
