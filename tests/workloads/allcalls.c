// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Makes each of the twelve System V IPC calls, successful and failing ones
 * (bad ids, missing keys, a semop woken by IPC_RMID -> EIDRM, a removed id
 * -> EINVAL), and prints one JSON line per call (tests/workloads/calllog.h).
 * Everything it creates it removes.  Run it in a private IPC namespace.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <time.h>

#include "calllog.h"

#define SEMTIMEDOP_NR 220

union semun { int val; struct semid_ds *buf; unsigned short *array; };

static char sops_json[1024];

static const char *sops_str(const struct sembuf *s, int n)
{
	int pos = snprintf(sops_json, sizeof(sops_json), "\"nsops\": %d, \"sops\": [", n);

	for (int i = 0; i < n && i < 16; i++)
		pos += snprintf(sops_json + pos, sizeof(sops_json) - pos, "%s[%u, %d, %d]",
				i ? ", " : "", s[i].sem_num, s[i].sem_op, s[i].sem_flg);
	snprintf(sops_json + pos, sizeof(sops_json) - pos, "]");
	return sops_json;
}

#define LOG(call, r, fmt, ...) calllog(call, (long)(r), errno, fmt, ##__VA_ARGS__)

static void shm_calls(void)
{
	struct shmid_ds ds;
	int id, id2, r;
	void *p;
	long ret;

	errno = 0;
	id = shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0600);
	LOG("shmget", id, "\"id\": %d, \"key\": 0, \"size\": 8192, \"flags\": %d", id, IPC_CREAT | 0600);
	p = shmat(id, NULL, 0);
	ret = p == (void *)-1 ? -1 : (long)(uintptr_t)p;
	LOG("shmat", ret, "\"id\": %d, \"addr\": %lu, \"flags\": 0", id, (unsigned long)ret);
	r = shmctl(id, IPC_STAT, &ds);
	LOG("shmctl", r, "\"id\": %d, \"cmd\": \"IPC_STAT\"", id);
	r = shmdt(p);
	LOG("shmdt", r, "\"id\": %d, \"addr\": %lu", id, (unsigned long)(uintptr_t)p);
	r = shmctl(id, IPC_RMID, NULL);
	LOG("shmctl", r, "\"id\": %d, \"cmd\": \"IPC_RMID\"", id);

	/* failures */
	r = shmget(0x1234abcd, 4096, 0600);
	LOG("shmget", r, "\"id\": -1, \"key\": %d, \"size\": 4096, \"flags\": %d", 0x1234abcd, 0600);
	p = shmat(id, NULL, SHM_RDONLY);          /* removed */
	ret = p == (void *)-1 ? -1 : (long)(uintptr_t)p;
	LOG("shmat", ret, "\"id\": %d, \"flags\": %d", id, SHM_RDONLY);
	r = shmdt((void *)0x1000);
	LOG("shmdt", r, "\"id\": -1, \"addr\": %d", 0x1000);

	/* a key: create, then IPC_EXCL on the same key fails */
	id2 = shmget(0x5eed, 4096, IPC_CREAT | IPC_EXCL | 0640);
	LOG("shmget", id2, "\"id\": %d, \"key\": %d, \"size\": 4096, \"flags\": %d", id2, 0x5eed,
	    IPC_CREAT | IPC_EXCL | 0640);
	r = shmget(0x5eed, 4096, IPC_CREAT | IPC_EXCL | 0640);
	LOG("shmget", r, "\"id\": -1, \"key\": %d, \"size\": 4096, \"flags\": %d", 0x5eed,
	    IPC_CREAT | IPC_EXCL | 0640);
	r = shmctl(id2, IPC_RMID, NULL);
	LOG("shmctl", r, "\"id\": %d, \"cmd\": \"IPC_RMID\"", id2);
}

/* Wait until `pid` sleeps in semtimedop (what /proc/PID/syscall shows). */
static void wait_blocked(pid_t pid)
{
	char path[64], buf[64];

	snprintf(path, sizeof(path), "/proc/%d/syscall", pid);
	for (int i = 0; i < 10000; i++) {
		FILE *f = fopen(path, "r");

		if (f) {
			size_t n = fread(buf, 1, sizeof(buf) - 1, f);

			fclose(f);
			buf[n] = 0;
			if (atoi(buf) == SEMTIMEDOP_NR && buf[0] != 'r')
				return;
		}
		struct timespec ts = { 0, 1000000 };

		nanosleep(&ts, NULL);
	}
	fprintf(stderr, "allcalls: child never blocked\n");
	exit(2);
}

static void sem_calls(void)
{
	struct sembuf one[1] = { { 0, -1, SEM_UNDO } };
	struct sembuf two[2] = { { 0, 1, 0 }, { 1, 1, IPC_NOWAIT } };
	struct sembuf many[20];
	struct timespec ts = { 1, 500 };
	union semun arg;
	int id, r, st;
	pid_t child;

	id = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
	LOG("semget", id, "\"id\": %d, \"key\": 0, \"nsems\": 2, \"flags\": %d", id, IPC_CREAT | 0600);
	arg.val = 1;
	r = semctl(id, 0, SETVAL, arg);
	LOG("semctl", r, "\"id\": %d, \"semnum\": 0, \"cmd\": \"SETVAL\"", id);
	r = semop(id, one, 1);                          /* glibc: semtimedop */
	LOG("semtimedop", r, "\"id\": %d, %s", id, sops_str(one, 1));
	r = semtimedop(id, two, 2, &ts);
	LOG("semtimedop", r, "\"id\": %d, %s, \"timeout_ns\": %lld", id, sops_str(two, 2),
	    (long long)ts.tv_sec * 1000000000 + ts.tv_nsec);
	r = syscall(SYS_semop, id, one, 1);             /* the semop syscall itself */
	LOG("semop", r, "\"id\": %d, %s", id, sops_str(one, 1));
	for (int i = 0; i < 20; i++) {
		many[i].sem_num = 1;
		many[i].sem_op = i < 10 ? 1 : -1;
		many[i].sem_flg = 0;
	}
	r = semop(id, many, 20);                        /* more than 16: truncated */
	LOG("semtimedop", r, "\"id\": %d, %s, \"sops_truncated\": true", id, sops_str(many, 20));
	one[0].sem_flg = IPC_NOWAIT;
	r = semop(id, one, 1);
	LOG("semtimedop", r, "\"id\": %d, %s", id, sops_str(one, 1));
	r = semctl(id, 1, GETVAL);
	LOG("semctl", r, "\"id\": %d, \"semnum\": 1, \"cmd\": \"GETVAL\"", id);

	/* A child blocks; removing the set wakes it with EIDRM. */
	child = fork();
	if (child == 0) {
		one[0].sem_flg = 0;
		r = semop(id, one, 1);
		LOG("semtimedop", r, "\"id\": %d, %s", id, sops_str(one, 1));
		_exit(0);
	}
	wait_blocked(child);
	r = semctl(id, 0, IPC_RMID);
	LOG("semctl", r, "\"id\": %d, \"semnum\": 0, \"cmd\": \"IPC_RMID\"", id);
	waitpid(child, &st, 0);

	/* the id is gone now */
	one[0].sem_flg = 0;
	r = semop(id, one, 1);
	LOG("semtimedop", r, "\"id\": %d, %s", id, sops_str(one, 1));
	r = semctl(0x7ffffff, 0, GETVAL);
	LOG("semctl", r, "\"id\": %d, \"semnum\": 0, \"cmd\": \"GETVAL\"", 0x7ffffff);
	r = semget(0x77, 1, 0600);
	LOG("semget", r, "\"id\": -1, \"key\": %d, \"nsems\": 1, \"flags\": %d", 0x77, 0600);
}

struct msg { long mtype; char text[64]; };

static void msg_calls(void)
{
	struct msg m = { 7, "hello" };
	struct msqid_ds ds;
	int id, r;
	ssize_t n;

	id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	LOG("msgget", id, "\"id\": %d, \"key\": 0, \"flags\": %d", id, IPC_CREAT | 0600);
	r = msgsnd(id, &m, 5, 0);
	LOG("msgsnd", r, "\"id\": %d, \"mtype\": 7, \"size\": 5, \"flags\": 0", id);
	n = msgrcv(id, &m, sizeof(m.text), 7, 0);
	LOG("msgrcv", n, "\"id\": %d, \"mtype\": 7, \"size\": %zu, \"flags\": 0", id, sizeof(m.text));
	n = msgrcv(id, &m, sizeof(m.text), 0, IPC_NOWAIT);
	LOG("msgrcv", n, "\"id\": %d, \"mtype\": 0, \"size\": %zu, \"flags\": %d", id,
	    sizeof(m.text), IPC_NOWAIT);
	r = msgctl(id, IPC_STAT, &ds);
	LOG("msgctl", r, "\"id\": %d, \"cmd\": \"IPC_STAT\"", id);
	r = msgctl(id, IPC_RMID, NULL);
	LOG("msgctl", r, "\"id\": %d, \"cmd\": \"IPC_RMID\"", id);
	m.mtype = 3;
	r = msgsnd(id, &m, 5, IPC_NOWAIT);
	LOG("msgsnd", r, "\"id\": %d, \"mtype\": 3, \"size\": 5, \"flags\": %d", id, IPC_NOWAIT);
	r = msgget(0x4321, 0600);
	LOG("msgget", r, "\"id\": -1, \"key\": %d, \"flags\": %d", 0x4321, 0600);
}

int main(void)
{
	shm_calls();
	sem_calls();
	msg_calls();
	return 0;
}
