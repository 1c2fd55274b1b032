/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The twelve System V IPC syscalls, written once for BPF and userspace.
 *
 *   IPCS_SYSCALLS(X) calls X(name, NAME, KIND, nargs) per syscall, in the
 *   stable order of enum ipcs_call (recordings store it): `name` is the
 *   syscall (sys_enter_<name>, __<arch>_sys_<name>), NAME the suffix of
 *   CALL_<NAME>, KIND the suffix of KIND_<KIND>, nargs its argument count.
 *
 * Syscall numbers, for the raw sys_enter/sys_exit hooks, per architecture
 * (the build's ARCH, as __TARGET_ARCH_<arch> in BPF, the compiler's own
 * macros in userspace): IPCS_NR_<name> for native calls, and on x86 the
 * i386 (compat) numbers IPCS_NR32_<name> (-1: only through ipc(2)),
 * checked against arch/x86/entry/syscalls/syscall_{64,32}.tbl.
 */
#ifndef IPCSCOPE_SYSCALLS_H
#define IPCSCOPE_SYSCALLS_H

#define IPCS_SYSCALLS(X)                     \
	X(shmget, SHMGET, SHM, 3)            \
	X(shmat, SHMAT, SHM, 3)              \
	X(shmdt, SHMDT, SHM, 1)              \
	X(shmctl, SHMCTL, SHM, 3)            \
	X(semget, SEMGET, SEM, 3)            \
	X(semop, SEMOP, SEM, 3)              \
	X(semtimedop, SEMTIMEDOP, SEM, 4)    \
	X(semctl, SEMCTL, SEM, 4)            \
	X(msgget, MSGGET, MSG, 2)            \
	X(msgsnd, MSGSND, MSG, 4)            \
	X(msgrcv, MSGRCV, MSG, 5)            \
	X(msgctl, MSGCTL, MSG, 3)

#if defined(__TARGET_ARCH_x86) || (!defined(__bpf__) && defined(__x86_64__))
#define IPCS_ARCH_SYS_PREFIX "__x64_sys_"
#define IPCS_NR_shmget      29
#define IPCS_NR_shmat       30
#define IPCS_NR_shmctl      31
#define IPCS_NR_semget      64
#define IPCS_NR_semop       65
#define IPCS_NR_semctl      66
#define IPCS_NR_shmdt       67
#define IPCS_NR_msgget      68
#define IPCS_NR_msgsnd      69
#define IPCS_NR_msgrcv      70
#define IPCS_NR_msgctl      71
#define IPCS_NR_semtimedop  220
#define IPCS_HAVE_COMPAT    1
/* i386: syscall_32.tbl */
#define IPCS_NR32_ipc                 117
#define IPCS_NR32_semget              393
#define IPCS_NR32_semctl              394
#define IPCS_NR32_shmget              395
#define IPCS_NR32_shmctl              396
#define IPCS_NR32_shmat               397
#define IPCS_NR32_shmdt               398
#define IPCS_NR32_msgget              399
#define IPCS_NR32_msgsnd              400
#define IPCS_NR32_msgrcv              401
#define IPCS_NR32_msgctl              402
#define IPCS_NR32_semtimedop_time64   420
#elif defined(__TARGET_ARCH_arm64) || (!defined(__bpf__) && defined(__aarch64__))
#define IPCS_ARCH_SYS_PREFIX "__arm64_sys_"
#define IPCS_NR_msgget      186
#define IPCS_NR_msgctl      187
#define IPCS_NR_msgrcv      188
#define IPCS_NR_msgsnd      189
#define IPCS_NR_semget      190
#define IPCS_NR_semctl      191
#define IPCS_NR_semtimedop  192
#define IPCS_NR_semop       193
#define IPCS_NR_shmget      194
#define IPCS_NR_shmctl      195
#define IPCS_NR_shmat       196
#define IPCS_NR_shmdt       197
#define IPCS_HAVE_COMPAT    0
#else
#error "bpf/syscalls.h: no syscall numbers for this architecture"
#endif

/* Native numbers are below this (the raw hooks' lookup table size). */
#define IPCS_NR_TABLE 256
/* i386 numbers are below this. */
#define IPCS_NR32_TABLE 448

#endif /* IPCSCOPE_SYSCALLS_H */
