// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A 32-bit (i386, built with -m32) caller of every IPC call, both ways a
 * 32-bit program reaches them: the i386 IPC syscalls (semget 393 ..
 * msgctl 402, semtimedop_time64 420) and the ipc(2) multiplexer (117),
 * made with syscall() so that libc's choice does not matter.  One JSON line
 * per call (calllog.h) says what ipcscope must report; ipc(SHMAT), which
 * returns 0 and stores the address through its third argument, is logged
 * with the address as its result, as ipcscope reports it.
 */
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

#include "calllog.h"

#define NR_ipc               117
#define NR_semget            393
#define NR_semctl            394
#define NR_shmget            395
#define NR_shmctl            396
#define NR_shmat             397
#define NR_shmdt             398
#define NR_msgget            399
#define NR_msgsnd            400
#define NR_msgrcv            401
#define NR_msgctl            402
#define NR_semtimedop_time64 420

#define OP_SEMOP 1
#define OP_SEMGET 2
#define OP_SEMCTL 3
#define OP_SEMTIMEDOP 4
#define OP_MSGSND 11
#define OP_MSGRCV 12
#define OP_MSGGET 13
#define OP_MSGCTL 14
#define OP_SHMAT 21
#define OP_SHMDT 22
#define OP_SHMGET 23
#define OP_SHMCTL 24

#ifndef IPC_64
#define IPC_64 0x0100
#endif

struct msg32 { int32_t mtype; char text[64]; };      /* compat_long_t mtype */
struct ts64 { int64_t sec, nsec; };                  /* __kernel_timespec */
struct ts32 { int32_t sec, nsec; };                  /* old_timespec32 */
struct kludge { uint32_t msgp; int32_t msgtyp; };    /* compat_ipc_kludge */

#define LOG(call, r, fmt, ...) calllog(call, (long)(r), errno, fmt, ##__VA_ARGS__)

static long ipc(int op, long first, long second, long third, void *ptr, long fifth)
{
	return syscall(NR_ipc, op, first, second, third, ptr, fifth);
}

static void direct(void)
{
	struct sembuf down = { 0, -1, 0 };
	struct ts64 t64 = { 1, 500 };
	struct msg32 m = { 7, "hello" }, in;
	long id, r;

	id = syscall(NR_semget, IPC_PRIVATE, 2, IPC_CREAT | 0600);
	LOG("semget", id, "\"id\": %ld, \"key\": 0, \"nsems\": 2, \"flags\": %d", id, IPC_CREAT | 0600);
	r = syscall(NR_semctl, id, 0, SETVAL | IPC_64, 1);
	LOG("semctl", r, "\"id\": %ld, \"semnum\": 0, \"cmd\": \"SETVAL\"", id);
	r = syscall(NR_semtimedop_time64, id, &down, 1, &t64);
	LOG("semtimedop", r, "\"id\": %ld, \"sops\": [[0, -1, 0]], \"timeout_ns\": 1000000500", id);
	r = syscall(NR_semctl, id, 0, -1, 0);
	LOG("semctl", r, "\"id\": %ld, \"semnum\": 0, \"cmd\": \"-1\"", id);
	r = syscall(NR_semctl, id, 0, IPC_RMID | IPC_64, 0);
	LOG("semctl", r, "\"id\": %ld, \"semnum\": 0, \"cmd\": \"IPC_RMID\"", id);

	id = syscall(NR_shmget, IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	LOG("shmget", id, "\"id\": %ld, \"key\": 0, \"size\": 4096, \"flags\": %d", id, IPC_CREAT | 0600);
	r = syscall(NR_shmat, id, 0, 0);
	/* an address above 2 GiB is negative as a 32-bit long, not to the kernel */
	calllog("shmat", r == -1 ? -1 : (long long)(unsigned long)r, errno,
		"\"id\": %ld, \"addr\": %lu, \"flags\": 0", id, (unsigned long)r);
	r = syscall(NR_shmdt, r);
	LOG("shmdt", r, "\"id\": %ld", id);
	r = syscall(NR_shmctl, id, IPC_RMID | IPC_64, 0);
	LOG("shmctl", r, "\"id\": %ld, \"cmd\": \"IPC_RMID\"", id);

	id = syscall(NR_msgget, IPC_PRIVATE, IPC_CREAT | 0600);
	LOG("msgget", id, "\"id\": %ld, \"key\": 0, \"flags\": %d", id, IPC_CREAT | 0600);
	r = syscall(NR_msgsnd, id, &m, 5, 0);
	LOG("msgsnd", r, "\"id\": %ld, \"mtype\": 7, \"size\": 5, \"flags\": 0", id);
	r = syscall(NR_msgrcv, id, &in, sizeof(in.text), -7, 0);
	LOG("msgrcv", r, "\"id\": %ld, \"mtype\": -7, \"size\": %zu, \"flags\": 0", id, sizeof(in.text));
	r = syscall(NR_msgctl, id, IPC_RMID | IPC_64, 0);
	LOG("msgctl", r, "\"id\": %ld, \"cmd\": \"IPC_RMID\"", id);
}

static void multiplexed(void)
{
	struct sembuf up = { 0, 1, 0 }, down = { 0, -1, 0 };
	struct ts32 t32 = { 2, 700 };
	struct msg32 m = { 9, "world" }, in;
	struct kludge k = { (uint32_t)(uintptr_t)&in, 9 };
	uint32_t raddr = 0;
	long id, r;

	id = ipc(OP_SEMGET, IPC_PRIVATE, 1, IPC_CREAT | 0600, NULL, 0);
	LOG("semget", id, "\"id\": %ld, \"key\": 0, \"nsems\": 1, \"flags\": %d", id, IPC_CREAT | 0600);
	r = ipc(OP_SEMOP, id, 1, 0, &up, 0);
	LOG("semop", r, "\"id\": %ld, \"sops\": [[0, 1, 0]]", id);
	r = ipc(OP_SEMTIMEDOP, id, 1, 0, &down, (long)(uintptr_t)&t32);
	LOG("semtimedop", r, "\"id\": %ld, \"sops\": [[0, -1, 0]], \"timeout_ns\": 2000000700", id);
	r = ipc(OP_SEMCTL, id, 0, IPC_RMID | IPC_64, &r, 0);
	LOG("semctl", r, "\"id\": %ld, \"semnum\": 0, \"cmd\": \"IPC_RMID\"", id);

	id = ipc(OP_MSGGET, IPC_PRIVATE, IPC_CREAT | 0600, 0, NULL, 0);
	LOG("msgget", id, "\"id\": %ld, \"key\": 0, \"flags\": %d", id, IPC_CREAT | 0600);
	r = ipc(OP_MSGSND, id, 5, 0, &m, 0);
	LOG("msgsnd", r, "\"id\": %ld, \"mtype\": 9, \"size\": 5, \"flags\": 0", id);
	/* version 0: msgp and msgtyp in a compat_ipc_kludge */
	r = ipc(OP_MSGRCV, id, sizeof(in.text), 0, &k, 0);
	LOG("msgrcv", r, "\"id\": %ld, \"mtype\": 9, \"size\": %zu, \"flags\": 0", id, sizeof(in.text));
	r = ipc(OP_MSGSND, id, 5, IPC_NOWAIT, &m, 0);
	LOG("msgsnd", r, "\"id\": %ld, \"mtype\": 9, \"size\": 5, \"flags\": %d", id, IPC_NOWAIT);
	/* version 1: msgp in ptr, msgtyp in fifth */
	r = ipc(OP_MSGRCV | 1 << 16, id, sizeof(in.text), 0, &in, 9);
	LOG("msgrcv", r, "\"id\": %ld, \"mtype\": 9, \"size\": %zu, \"flags\": 0", id, sizeof(in.text));
	r = ipc(OP_MSGCTL, id, IPC_RMID | IPC_64, 0, NULL, 0);
	LOG("msgctl", r, "\"id\": %ld, \"cmd\": \"IPC_RMID\"", id);

	id = ipc(OP_SHMGET, IPC_PRIVATE, 4096, IPC_CREAT | 0600, NULL, 0);
	LOG("shmget", id, "\"id\": %ld, \"key\": 0, \"size\": 4096, \"flags\": %d", id, IPC_CREAT | 0600);
	r = ipc(OP_SHMAT, id, 0, (long)(uintptr_t)&raddr, NULL, 0);
	/* what ipcscope reports: shmat's address as the result */
	calllog("shmat", r == 0 ? (long long)raddr : r, errno,
		"\"id\": %ld, \"addr\": %lu, \"flags\": 0", id, (unsigned long)raddr);
	r = ipc(OP_SHMDT, 0, 0, 0, (void *)(uintptr_t)raddr, 0);
	LOG("shmdt", r, "\"id\": %ld, \"addr\": %lu", id, (unsigned long)raddr);
	r = ipc(OP_SHMCTL, id, IPC_RMID | IPC_64, 0, NULL, 0);
	LOG("shmctl", r, "\"id\": %ld, \"cmd\": \"IPC_RMID\"", id);
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "direct"))
		direct();
	if (argc < 2 || !strcmp(argv[1], "ipc"))
		multiplexed();
	return 0;
}
