/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The event ABI shared by the BPF programs (bpf/) and userspace (user/).
 *
 * Every record in the ring buffer and in a recording file starts with
 * struct ev_hdr; `type` says which struct follows and `size` is the whole
 * record's length, so a reader can skip types it does not know.  Only
 * fixed-width types are used so the layout is the same on both sides.
 * Changing any struct here means bumping IPCS_ABI_VERSION (recordings
 * store it).
 */
#ifndef IPCSCOPE_EVENTS_H
#define IPCSCOPE_EVENTS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define IPCS_ABI_VERSION 1

#define IPCS_COMM_LEN     16
#define IPCS_MAX_SOPS     16     /* sembufs copied per semop; more sets EVF_SOPS_TRUNC */
#define IPCS_CMDLINE_LEN  256    /* creator command line (NUL-separated argv) */
#define IPCS_STACK_DEPTH  32     /* frames in the frame-pointer user stack */
#define IPCS_STACK_COPY   8192   /* bytes of raw user stack copied at creation */
#define IPCS_HIST_SLOTS   32     /* log2 latency buckets (ns) */

/* The twelve System V IPC syscalls (syscalls.h), in a stable order
 * (recordings store it). */
#include "syscalls.h"
#define IPCS_CALL_ENUM(name, NAME, KIND, NARGS) CALL_##NAME,
enum ipcs_call {
	CALL_NONE = 0,
	IPCS_SYSCALLS(IPCS_CALL_ENUM)
	CALL__MAX,
};
#undef IPCS_CALL_ENUM

enum ipcs_kind {
	KIND_NONE = 0,
	KIND_SHM = 1,
	KIND_SEM = 2,
	KIND_MSG = 3,
};

/* Bit per kind, for the -t filter. */
#define KIND_BIT(k) (1u << (k))

enum ipcs_ev_type {
	EV_CALL = 1,    /* one completed IPC syscall (struct ev_call) */
	EV_FORK,        /* struct ev_proc: pid = child tgid, ppid = parent */
	EV_EXEC,        /* struct ev_proc */
	EV_EXIT,        /* struct ev_proc: thread-group leader exited */
	EV_CREATE,      /* struct ev_create: context captured when a *get succeeded */
	EV_KOBJ,        /* struct ev_kobj: kernel-internal create/destroy (extras) */
	EV_BLOCK,       /* struct ev_call with ret unset: a call still blocked */
	EV_STACK,       /* struct ev_stack: a creation's resolved stack (userspace only) */
	EV__MAX,
};

/* ev_call.flags */
#define EVF_SOPS_TRUNC   (1u << 0)  /* nsops > IPCS_MAX_SOPS: sops[] holds the first ones */
#define EVF_SOPS_FAULT   (1u << 1)  /* the sembuf array could not be read */
#define EVF_HAS_TIMEOUT  (1u << 2)  /* semtimedop with a non-NULL timeout */
#define EVF_ID_FROM_ADDR (1u << 3)  /* shmdt: id found from the shmat address map */
#define EVF_FENTRY       (1u << 4)  /* produced by an fentry/fexit program */
#define EVF_COMPAT       (1u << 5)  /* a 32-bit caller (i386 syscall or ipc(2)), seen by
                                       the raw sys_enter/sys_exit hooks */
#define EVF_WAITED       (1u << 6)  /* went to sleep inside the call (off-CPU tracked):
                                       it waited (msgsnd: for room, msgrcv: for a message,
                                       semop: for a value), not merely preempted */
#define EVF_PTR_FAULT    (1u << 7)  /* the call's pointer argument could not be read:
                                       semtimedop: the timeout; msgsnd: the buffer (mtype
                                       unknown); msgrcv: the received message's mtype */

/* Common header, 64 bytes. ts_ns is CLOCK_MONOTONIC (bpf_ktime_get_ns). */
struct ev_hdr {
	__u16 type;          /* enum ipcs_ev_type */
	__u16 size;          /* whole record, header included */
	__u32 cpu;
	__u64 ts_ns;         /* at syscall exit for EV_CALL */
	__u32 pid;           /* tgid */
	__u32 tid;
	__u32 ppid;          /* real parent's tgid */
	__u32 uid;
	__u32 gid;
	__u32 ipcns;         /* IPC namespace inode */
	__u64 cgroup_id;
	char comm[IPCS_COMM_LEN];
};

struct ipcs_sembuf {
	__u16 num;
	__s16 op;
	__s16 flg;
};

struct ev_call {
	struct ev_hdr h;
	__u8 call;           /* enum ipcs_call */
	__u8 kind;           /* enum ipcs_kind */
	__u8 nsops_copied;   /* entries valid in sops[] */
	__u8 flags;          /* EVF_* */
	__s32 id;            /* object id: argument, or return value of *get; -1 if none */
	__s32 key;           /* *get key */
	__s32 cmd;           /* *ctl command (IPC_RMID, GETVAL, ...); IPC_64 stripped from
	                        a command that has it (an invalid -1 stays -1) */
	__s32 semnum;        /* semctl semnum */
	__s32 err;           /* errno (positive) or 0 */
	__s64 ret;           /* raw return value */
	__u64 lat_ns;        /* exit ts - enter ts */
	__u64 offcpu_ns;     /* time switched out inside the call (0 unless tracked) */
	union {
		__u64 size;      /* shmget size, msgsnd msgsz, msgrcv msgsz */
		__u64 shmaddr;   /* shmat: the address asked for (shmaddr argument) */
	};
	__s64 mtype;         /* msgsnd mtype, msgrcv msgtyp */
	union {
		__u64 addr;      /* shmat/shmdt address (shmat: returned address) */
		__u64 uptr;      /* the call's other pointer argument, as passed:
		                    semtimedop timeout, msgsnd/msgrcv msgp, *ctl buf
		                    (semctl: its fourth argument) */
	};
	union {
		__u64 timeout_ns;   /* semtimedop timeout if EVF_HAS_TIMEOUT */
		__s64 rcv_mtype;    /* msgrcv that returned >= 0: the mtype received */
	};
	__u32 iflags;        /* the call's flag argument (shmflg/semflg/msgflg) */
	__u32 nsops;         /* semop/semtimedop nsops argument; semget nsems */
	__s32 stack_id;      /* frame-pointer user stack id, or -1 */
	__u32 intr;          /* err is a restart code (512..516): what the call became,
	                        EVI_* | signal << 8; 0: not known (older recordings) */
	struct ipcs_sembuf sops[IPCS_MAX_SOPS];
};

/*
 * ev_call.intr, for a call a signal interrupted: the exit tracepoint sees the
 * kernel's restart code before the signal is handled; the signal pending
 * then, its disposition and SA_RESTART say what the program will see.
 */
enum ipcs_intr {
	EVI_EINTR = 1,       /* a handler runs: the call returns -1 EINTR */
	EVI_RESTARTED,       /* no handler (ignored, stop, none pending) or SA_RESTART */
	EVI_KILLED,          /* the signal's default action ends the process */
};

struct ev_proc {
	struct ev_hdr h;
	__u32 child_pid;     /* EV_FORK: the new process's tgid */
	__s32 exit_code;     /* EV_EXIT: task->exit_code */
	char filename[64];   /* EV_EXEC: tail of the executed path */
};

/*
 * Context captured when a *get call returned an id with IPC_CREAT or
 * IPC_PRIVATE: enough for userspace to attribute and unwind later.  Rare,
 * so it can afford to be large.
 */
struct ev_create {
	struct ev_hdr h;
	__u8 call;
	__u8 kind;
	__u16 cmdline_len;
	__s32 id;
	__s32 key;
	__s32 stack_id;
	__u64 regs[18];      /* x86_64 user regs, DWARF numbering 0..16 + rip at [16] */
	__u64 sp;            /* user stack pointer the copy starts at */
	__u32 stack_len;     /* bytes valid in stack[] */
	__u32 _pad;
	char cmdline[IPCS_CMDLINE_LEN];
	__u8 stack[IPCS_STACK_COPY];
};

enum ipcs_kobj_op {
	KOBJ_CREATE = 1,     /* newseg/newary/newque returned */
	KOBJ_DESTROY,        /* shm_destroy/freeary/freeque */
	KOBJ_UNDO_EXIT,      /* exit_sem applied SEM_UNDO adjustments */
};

/*
 * ipcns in the header is the object's namespace (teardown runs in a
 * kworker of another namespace); pid/comm are the task the kernel ran in.
 * KOBJ_UNDO_EXIT: one record per semaphore whose adjustment was applied.
 */
struct ev_kobj {
	struct ev_hdr h;
	__u8 op;             /* enum ipcs_kobj_op */
	__u8 kind;
	union {
		__u16 _pad;
		__u16 semnum;    /* KOBJ_UNDO_EXIT: semaphore number */
	};
	__s32 id;
	__s32 key;
	union {
		__u32 _pad2;
		__s32 semadj;    /* KOBJ_UNDO_EXIT: adjustment added to semval */
	};
	__u64 size;          /* shm bytes / nsems / qbytes */
};

/* In-kernel latency histograms (map `hists`), keyed by struct hist_key. */
struct hist_key {
	__u8 call;           /* CALL_NONE: every call on the object (top's map) */
	__u8 kind;           /* KIND_*: with call CALL_NONE, which kind's id */
	__u8 _pad[2];
	__s32 id;            /* -1 unless per-object aggregation is on */
	__u32 ipcns;
};

struct hist_val {
	__u64 slots[IPCS_HIST_SLOTS];      /* log2(lat_ns) buckets */
	__u64 offcpu_slots[IPCS_HIST_SLOTS];
	__u64 count;
	__u64 errors;
	__u64 sum_ns;
	__u64 offcpu_sum_ns;
	__u64 max_ns;
	__u64 bytes;          /* msgsnd/msgrcv payload bytes */
	__u64 waited;         /* calls that went to sleep (EVF_WAITED; off-CPU tracked) */
};

/*
 * The streaming object's `aggregate` mode (top, metrics): how much of a
 * semaphore each process holds, from its successful semops (map `holds`,
 * value: __s64 net adjustment; taking is negative).  `epoch` is the set's
 * value in `sem_epochs` (struct sem_epoch_key) when the semop ran:
 * IPC_RMID, SETVAL and SETALL bump it, so balances from before them are
 * recognisably stale (userspace drops them) without the kernel having to
 * find them.
 */
struct hold_key {
	__u32 ipcns;
	__s32 semid;
	__u32 tgid;
	__u16 semnum;
	__u16 _pad;
	__u32 epoch;
};

struct sem_epoch_key {
	__u32 ipcns;
	__s32 semid;
};

/*
 * Per-thread in-flight call (in struct inflight_task below, task storage).
 * A thread's entry is kept between its calls with call == CALL_NONE and
 * start_ns == 0 (refilled in place at the next call, gone with the
 * thread): readers skip entries whose call is CALL_NONE.
 */
struct inflight {
	__u64 start_ns;
	__u64 offcpu_ns;
	__u64 switched_out_ns;
	__u64 arg[6];
	__u32 pid;
	__u8 call;
	__u8 nsops_copied;
	__u8 flags;
	__u8 compat;         /* BPF-internal: how a 32-bit call's result is read */
	struct ipcs_sembuf sops[IPCS_MAX_SOPS];
};

/*
 * The value of the streaming object's `inflight` map, now task-local
 * storage (BPF_MAP_TYPE_TASK_STORAGE, looked up from userspace by pidfd):
 * the call, and the cached -p decision of filter.bpf.h.
 */
struct inflight_task {
	struct inflight in;
	__u32 tracked_cache;   /* ipcs_task_selected_cached() */
	__u32 _pad;
};

/*
 * A creation's stack as userspace resolved it (never produced by BPF):
 * `record` writes one for every object that outlives its first second, so
 * that `report` elsewhere, without the binaries, names the same functions.
 * h is the creation's header (pid, ts_ns, ipcns).  nframes frames follow
 * the struct, then strings_len bytes of NUL-terminated strings that the
 * frames point into (offsets; EV_STACK_NOSTR for none).
 */
#define EV_STACK_NOSTR 0xffff

struct ev_stack_frame {
	__u64 addr;          /* as captured */
	__u64 offset;        /* addr - symbol start */
	__u64 file_offset;   /* addr's offset in the module's file */
	__u8 build_id[20];
	__u8 build_id_len;
	__u8 _pad;
	__u16 symbol;        /* ELF symbol */
	__u16 func;          /* function (clone suffixes removed) */
	__u16 module;        /* mapped file */
	__u16 _pad2[3];
};

struct ev_stack {
	struct ev_hdr h;
	__u8 kind;
	__u8 nframes;
	__u8 how;            /* 1 CFI (dwarf), 2 frame pointers */
	__u8 _pad;
	__s32 id;
	__u32 strings_len;
	__u32 _pad2;
	/* struct ev_stack_frame frames[nframes]; char strings[strings_len]; */
};

#endif /* IPCSCOPE_EVENTS_H */
