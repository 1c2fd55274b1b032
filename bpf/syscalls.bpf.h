/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * For the raw sys_enter/sys_exit hooks (tp_btf): which IPC call a syscall
 * number is, decided with one bounded table load so that the other
 * syscalls of the machine, which run these programs too, leave at once;
 * and the arguments from the user registers.  Numbers come from
 * syscalls.h, chosen by the build's ARCH.
 *
 * A 32-bit (compat) task's numbers are another table (117 is ipc(2) there
 * and setresuid here), so the task's compat status is tested first:
 * TS_COMPAT in thread_info.status on x86, read with CO-RE.
 */
#ifndef IPCSCOPE_SYSCALLS_BPF_H
#define IPCSCOPE_SYSCALLS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>

#include "events.h"
#include "syscalls.h"

#define IPCS_NR_ROW(name, NAME, KIND, NARGS) [IPCS_NR_##name] = CALL_##NAME,
/* native syscall number -> enum ipcs_call (0: not an IPC call) */
const volatile __u8 ipcs_nr_call[IPCS_NR_TABLE] = { IPCS_SYSCALLS(IPCS_NR_ROW) };
#undef IPCS_NR_ROW

#define IPCS_KIND_ROW(name, NAME, KIND, NARGS) [CALL_##NAME] = KIND_##KIND,
const volatile __u8 ipcs_call_kind[CALL__MAX] = { IPCS_SYSCALLS(IPCS_KIND_ROW) };
#undef IPCS_KIND_ROW

/*
 * Could syscall `nr` be an IPC call, native or 32-bit?  The first test of
 * the raw hooks, one bounded load: every other syscall of the machine
 * leaves here without touching the task.
 */
#define IPCS_NR_ANY_ROW(name, NAME, KIND, NARGS) [IPCS_NR_##name] = 1,
const volatile __u8 ipcs_nr_any[IPCS_NR32_TABLE] = {
	IPCS_SYSCALLS(IPCS_NR_ANY_ROW)
#if IPCS_HAVE_COMPAT
	[IPCS_NR32_ipc] = 2,
	[IPCS_NR32_semget ... IPCS_NR32_msgctl] = 2,
	[IPCS_NR32_semtimedop_time64] = 2,
#endif
};
#undef IPCS_NR_ANY_ROW

static __always_inline bool ipcs_nr_maybe_ipc(long nr)
{
	return (unsigned long)nr < IPCS_NR32_TABLE && ipcs_nr_any[nr];
}

/* The call of a native syscall number, or CALL_NONE. */
static __always_inline __u8 ipcs_native_call(long nr)
{
	if ((unsigned long)nr >= IPCS_NR_TABLE)
		return CALL_NONE;
	return ipcs_nr_call[nr];
}

static __always_inline __u8 ipcs_kind_of(__u8 call)
{
	return call < CALL__MAX ? ipcs_call_kind[call] : KIND_NONE;
}

#if IPCS_HAVE_COMPAT
#define IPCS_TS_COMPAT 0x0002      /* arch/x86/include/asm/thread_info.h */

/* Is the current syscall a 32-bit one (int 0x80, sysenter, compat syscall)? */
static __always_inline bool ipcs_in_compat_syscall(struct task_struct *t)
{
	/* t is a BTF pointer: a plain (fault-safe) load, no helper call */
	if (!bpf_core_field_exists(t->thread_info.status))
		return false;
	return t->thread_info.status & IPCS_TS_COMPAT;
}
#else
static __always_inline bool ipcs_in_compat_syscall(struct task_struct *t)
{
	return false;
}
#endif

#if IPCS_HAVE_COMPAT
/* i386 393..402 -> call (semget, semctl, shmget, shmctl, shmat, shmdt,
 * msgget, msgsnd, msgrcv, msgctl); 420 is semtimedop_time64. */
const volatile __u8 ipcs_nr32_call[10] = {
	CALL_SEMGET, CALL_SEMCTL, CALL_SHMGET, CALL_SHMCTL, CALL_SHMAT,
	CALL_SHMDT, CALL_MSGGET, CALL_MSGSND, CALL_MSGRCV, CALL_MSGCTL,
};

/* ipc(2)'s call numbers (include/uapi/linux/ipc.h) */
#define IPCOP_SEMOP       1
#define IPCOP_SEMGET      2
#define IPCOP_SEMCTL      3
#define IPCOP_SEMTIMEDOP  4
#define IPCOP_MSGSND      11
#define IPCOP_MSGRCV      12
#define IPCOP_MSGGET      13
#define IPCOP_MSGCTL      14
#define IPCOP_SHMAT       21
#define IPCOP_SHMDT       22
#define IPCOP_SHMGET      23
#define IPCOP_SHMCTL      24

static __always_inline __u8 ipcs_ipc_call(__u32 op)
{
	switch (op & 0xffff) {
	case IPCOP_SEMOP:      return CALL_SEMOP;
	case IPCOP_SEMGET:     return CALL_SEMGET;
	case IPCOP_SEMCTL:     return CALL_SEMCTL;
	case IPCOP_SEMTIMEDOP: return CALL_SEMTIMEDOP;
	case IPCOP_MSGSND:     return CALL_MSGSND;
	case IPCOP_MSGRCV:     return CALL_MSGRCV;
	case IPCOP_MSGGET:     return CALL_MSGGET;
	case IPCOP_MSGCTL:     return CALL_MSGCTL;
	case IPCOP_SHMAT:      return CALL_SHMAT;
	case IPCOP_SHMDT:      return CALL_SHMDT;
	case IPCOP_SHMGET:     return CALL_SHMGET;
	case IPCOP_SHMCTL:     return CALL_SHMCTL;
	}
	return CALL_NONE;
}

/* The call of an i386 syscall (ipc(2) decoded from its first argument). */
static __always_inline __u8 ipcs_compat_call(long nr, __u32 ipc_op)
{
	if (nr >= IPCS_NR32_semget && nr <= IPCS_NR32_msgctl)
		return ipcs_nr32_call[nr - IPCS_NR32_semget];
	if (nr == IPCS_NR32_semtimedop_time64)
		return CALL_SEMTIMEDOP;
	if (nr == IPCS_NR32_ipc)
		return ipcs_ipc_call(ipc_op);
	return CALL_NONE;
}
#endif

/*
 * What a compat call needs decoded again at exit (struct inflight.compat):
 * where the result or the timeout is, and the width of an mtype.
 */
#define IPCS_CF_TS32       0x01   /* the timeout is an old_timespec32 (ipc(SEMTIMEDOP)) */
#define IPCS_CF_SHMAT_PTR  0x02   /* ipc(SHMAT): the address is stored at arg[5] */
#define IPCS_CF_LONG32     0x04   /* mtype is a 4-byte compat_long_t */

/* Syscall arguments from the user registers (native ABI). */
#if defined(__TARGET_ARCH_x86)
#define IPCS_SC_ARG0(r) ((r)->di)
#define IPCS_SC_ARG1(r) ((r)->si)
#define IPCS_SC_ARG2(r) ((r)->dx)
#define IPCS_SC_ARG3(r) ((r)->r10)
#define IPCS_SC_ARG4(r) ((r)->r8)
#define IPCS_SC_NR(r)   ((r)->orig_ax)
/* i386 ABI: ebx, ecx, edx, esi, edi, ebp */
#define IPCS_SC32_ARG0(r) ((__u32)(r)->bx)
#define IPCS_SC32_ARG1(r) ((__u32)(r)->cx)
#define IPCS_SC32_ARG2(r) ((__u32)(r)->dx)
#define IPCS_SC32_ARG3(r) ((__u32)(r)->si)
#define IPCS_SC32_ARG4(r) ((__u32)(r)->di)
#define IPCS_SC32_ARG5(r) ((__u32)(r)->bp)
#elif defined(__TARGET_ARCH_arm64)
#define IPCS_SC_ARG0(r) ((r)->orig_x0)
#define IPCS_SC_ARG1(r) ((r)->regs[1])
#define IPCS_SC_ARG2(r) ((r)->regs[2])
#define IPCS_SC_ARG3(r) ((r)->regs[3])
#define IPCS_SC_ARG4(r) ((r)->regs[4])
#define IPCS_SC_NR(r)   ((r)->syscallno)
#endif

/*
 * At a raw sys_exit: which IPC call of task t (the current task) ends here,
 * or CALL_NONE.  The number is tested first, the caller's ABI second.
 */
static __always_inline __u8 ipcs_raw_exit_call(struct task_struct *t, struct pt_regs *regs)
{
	if (!ipcs_nr_maybe_ipc(IPCS_SC_NR(regs)))
		return CALL_NONE;
	if (ipcs_in_compat_syscall(t)) {
#if IPCS_HAVE_COMPAT
		return ipcs_compat_call(IPCS_SC_NR(regs), IPCS_SC32_ARG0(regs));
#else
		return CALL_NONE;
#endif
	}
	return ipcs_native_call(IPCS_SC_NR(regs));
}

#endif /* IPCSCOPE_SYSCALLS_BPF_H */
