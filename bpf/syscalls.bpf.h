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
	if (!bpf_core_field_exists(t->thread_info.status))
		return false;
	return BPF_CORE_READ(t, thread_info.status) & IPCS_TS_COMPAT;
}
#else
static __always_inline bool ipcs_in_compat_syscall(struct task_struct *t)
{
	return false;
}
#endif

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

#endif /* IPCSCOPE_SYSCALLS_BPF_H */
