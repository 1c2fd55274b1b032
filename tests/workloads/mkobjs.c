// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Creates System V IPC objects for the inventory and audit tests, prints one
 * JSON line with their ids, then waits for stdin to close (the test decides
 * their lifetime).
 *
 *   mkobjs [-m N] [-s N] [-q N] [-k BASEKEY] [-M MODE] [-a] [-r] [-f PCT]
 *          [-u UID] [-w] [-x]
 *   -a attach every other segment     -r IPC_RMID the attached segments
 *   -f fill each queue to PCT% of qbytes with 64-byte messages
 *   -u IPC_SET every object's owner to UID
 *   -w a child blocks in semop on semaphore 0 of the first array
 *   -x exit at once after creating (creator gone: orphans)
 *   -c remove every object when stdin closes
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

union semun { int val; struct semid_ds *buf; unsigned short *array; };

static void die(const char *what)
{
	fprintf(stderr, "mkobjs: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void print_ids(const char *name, const int *ids, int n, int last)
{
	printf("\"%s\":[", name);
	for (int i = 0; i < n; i++)
		printf("%s%d", i ? "," : "", ids[i]);
	printf("]%s", last ? "" : ",");
}

int main(int argc, char **argv)
{
	int nshm = 0, nsem = 0, nmsg = 0, mode = 0600, attach = 0, rmid = 0, fill = 0;
	int waiter = 0, exit_now = 0, cleanup = 0, opt;
	long uid = -1;
	key_t base = 0x1f000000;
	int *shm, *sem, *msg;
	pid_t child = 0;

	while ((opt = getopt(argc, argv, "m:s:q:k:M:arf:u:wxc")) != -1) {
		switch (opt) {
		case 'm': nshm = atoi(optarg); break;
		case 's': nsem = atoi(optarg); break;
		case 'q': nmsg = atoi(optarg); break;
		case 'k': base = (key_t)strtol(optarg, NULL, 0); break;
		case 'M': mode = (int)strtol(optarg, NULL, 8); break;
		case 'a': attach = 1; break;
		case 'r': rmid = 1; break;
		case 'f': fill = atoi(optarg); break;
		case 'u': uid = atol(optarg); break;
		case 'w': waiter = 1; break;
		case 'x': exit_now = 1; break;
		case 'c': cleanup = 1; break;
		default: return 2;
		}
	}
	shm = calloc(nshm + 1, sizeof(int));
	sem = calloc(nsem + 1, sizeof(int));
	msg = calloc(nmsg + 1, sizeof(int));
	for (int i = 0; i < nshm; i++) {
		/* sizes vary: 4 KiB .. 64 KiB plus an odd tail */
		size_t size = 4096 * (1 + i % 16) + (i % 3) * 100;

		shm[i] = shmget(base + i, size, IPC_CREAT | IPC_EXCL | mode);
		if (shm[i] < 0)
			die("shmget");
		if (attach && i % 2 == 0) {
			if (shmat(shm[i], NULL, 0) == (void *)-1)
				die("shmat");
			if (rmid && shmctl(shm[i], IPC_RMID, NULL))
				die("shmctl IPC_RMID");
		}
	}
	for (int i = 0; i < nsem; i++) {
		int n = 1 + i % 5;
		unsigned short vals[5] = { 1, 2, 3, 4, 5 };
		union semun arg = { .array = vals };

		sem[i] = semget(base + 0x100000 + i, n, IPC_CREAT | IPC_EXCL | mode);
		if (sem[i] < 0)
			die("semget");
		if (semctl(sem[i], 0, SETALL, arg))
			die("semctl SETALL");
	}
	for (int i = 0; i < nmsg; i++) {
		msg[i] = msgget(base + 0x200000 + i, IPC_CREAT | IPC_EXCL | mode);
		if (msg[i] < 0)
			die("msgget");
		/* message counts vary: i % 4 messages of 64 bytes, or the fill level */
		struct { long mtype; char text[64]; } m = { 1, "x" };
		struct msqid_ds ds;
		int count = i % 4;

		if (fill) {
			if (msgctl(msg[i], IPC_STAT, &ds))
				die("msgctl IPC_STAT");
			count = (int)((ds.msg_qbytes * (unsigned long)fill / 100 + 63) / 64);
		}
		for (int j = 0; j < count; j++)
			if (msgsnd(msg[i], &m, sizeof(m.text), IPC_NOWAIT))
				die("msgsnd");
	}
	if (uid >= 0) {
		for (int i = 0; i < nshm; i++) {
			struct shmid_ds ds;

			if (shmctl(shm[i], IPC_STAT, &ds) == 0) {
				ds.shm_perm.uid = (uid_t)uid;
				if (shmctl(shm[i], IPC_SET, &ds))
					die("shmctl IPC_SET");
			}
		}
		for (int i = 0; i < nmsg; i++) {
			struct msqid_ds ds;

			if (msgctl(msg[i], IPC_STAT, &ds) || (ds.msg_perm.uid = (uid_t)uid,
							      msgctl(msg[i], IPC_SET, &ds)))
				die("msgctl IPC_SET");
		}
	}
	if (waiter && nsem) {
		union semun arg = { .val = 0 };

		if (semctl(sem[0], 0, SETVAL, arg))
			die("semctl SETVAL");
		child = fork();
		if (child == 0) {
			struct sembuf op = { 0, -1, 0 };

			semop(sem[0], &op, 1);   /* blocks until the namespace dies */
			_exit(0);
		}
		/* wait until the kernel counts the waiter */
		for (int i = 0; i < 2000 && semctl(sem[0], 0, GETNCNT) < 1; i++)
			usleep(1000);
	}
	printf("{\"pid\":%d,\"waiter\":%d,", getpid(), child);
	print_ids("shm", shm, nshm, 0);
	print_ids("sem", sem, nsem, 0);
	print_ids("msg", msg, nmsg, 1);
	printf("}\n");
	fflush(stdout);
	if (exit_now)
		return 0;
	while (getchar() != EOF)
		;
	if (child) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	if (cleanup) {
		for (int i = 0; i < nshm; i++)
			shmctl(shm[i], IPC_RMID, NULL);
		for (int i = 0; i < nsem; i++)
			semctl(sem[i], 0, IPC_RMID);
		for (int i = 0; i < nmsg; i++)
			msgctl(msg[i], IPC_RMID, NULL);
	}
	return 0;
}
