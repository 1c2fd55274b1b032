// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ops_load: a steady IPC workload for the `metrics` and `top` tests.
 *
 *   ops_load NSHM NMSG RATE
 *
 * Creates, with IPC_EXCL (so run it in a fresh IPC namespace), NSHM shared
 * memory segments (key 0x6f700000+i, i+1 pages each, none attached), NMSG
 * message queues (key 0x6f710000+i, queue i filled to i*10 % of its qbytes,
 * queue 0 also used for traffic) and one semaphore set of 2 (key 0x6f720000)
 * with a thread blocked on semaphore 1 (semncnt = 1).  Prints one line
 *   ready shm=ID,... msg=ID,... sem=ID
 * then does RATE semop and msgsnd+msgrcv pairs per second on semaphore 0
 * and queue 0 until stdin reaches end of file, then removes its objects.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <time.h>
#include <unistd.h>

#define MAX_OBJS 64

struct msgbuf_small {
	long mtype;
	char text[64];
};

static int semid = -1;

static void *blocked_waiter(void *arg)
{
	struct sembuf op = { .sem_num = 1, .sem_op = -1, .sem_flg = 0 };

	(void)arg;
	/* Blocks until the set is removed (EIDRM) at exit. */
	while (semop(semid, &op, 1) && errno == EINTR)
		;
	return NULL;
}

static void die(const char *what)
{
	fprintf(stderr, "ops_load: %s: %s\n", what, strerror(errno));
	exit(1);
}

int main(int argc, char **argv)
{
	int shm[MAX_OBJS], msg[MAX_OBJS];
	int nshm, nmsg, rate;
	struct msgbuf_small m = { .mtype = 1 };
	struct sembuf up = { 0, 1, 0 }, down = { 0, -1, 0 };
	struct pollfd pfd = { .fd = 0, .events = POLLIN };
	pthread_t waiter;
	long page = sysconf(_SC_PAGESIZE);

	if (argc != 4) {
		fprintf(stderr, "usage: ops_load NSHM NMSG RATE\n");
		return 2;
	}
	nshm = atoi(argv[1]);
	nmsg = atoi(argv[2]);
	rate = atoi(argv[3]);
	if (nshm < 0 || nshm > MAX_OBJS || nmsg < 1 || nmsg > MAX_OBJS || rate < 0) {
		fprintf(stderr, "ops_load: 0 <= NSHM <= %d, 1 <= NMSG <= %d, RATE >= 0\n",
			MAX_OBJS, MAX_OBJS);
		return 2;
	}
	for (int i = 0; i < nshm; i++)
		if ((shm[i] = shmget(0x6f700000 + i, (size_t)page * (size_t)(i + 1), IPC_CREAT | IPC_EXCL | 0600)) < 0)
			die("shmget");
	for (int i = 0; i < nmsg; i++) {
		struct msqid_ds ds;
		size_t want;

		if ((msg[i] = msgget(0x6f710000 + i, IPC_CREAT | IPC_EXCL | 0600)) < 0)
			die("msgget");
		if (msgctl(msg[i], IPC_STAT, &ds))
			die("msgctl");
		/* Fill to i*10 %: 64-byte messages (the kernel counts payload bytes). */
		want = ds.msg_qbytes * (size_t)((i * 10) % 100) / 100;
		memset(m.text, 'x', sizeof(m.text));
		for (size_t b = 0; b + sizeof(m.text) <= want; b += sizeof(m.text))
			if (msgsnd(msg[i], &m, sizeof(m.text), IPC_NOWAIT))
				die("msgsnd");
	}
	if ((semid = semget(0x6f720000, 2, IPC_CREAT | IPC_EXCL | 0600)) < 0)
		die("semget");
	if (pthread_create(&waiter, NULL, blocked_waiter, NULL))
		die("pthread_create");

	printf("ready shm=");
	for (int i = 0; i < nshm; i++)
		printf("%s%d", i ? "," : "", shm[i]);
	printf(" msg=");
	for (int i = 0; i < nmsg; i++)
		printf("%s%d", i ? "," : "", msg[i]);
	printf(" sem=%d\n", semid);
	fflush(stdout);

	for (;;) {
		int wait_ms = rate ? 1000 / rate : -1;
		int r = poll(&pfd, 1, wait_ms);
		char buf[64];

		if (r > 0 && read(0, buf, sizeof(buf)) <= 0)
			break;                  /* stdin closed: the test is done */
		if (r < 0 && errno != EINTR)
			die("poll");
		if (!rate)
			continue;
		if (semop(semid, &up, 1) || semop(semid, &down, 1))
			die("semop");
		if (msgsnd(msg[0], &m, sizeof(m.text), IPC_NOWAIT) == 0 &&
		    msgrcv(msg[0], &m, sizeof(m.text), 0, IPC_NOWAIT) < 0)
			die("msgrcv");
	}
	semctl(semid, 0, IPC_RMID);
	pthread_join(waiter, NULL);
	for (int i = 0; i < nshm; i++)
		shmctl(shm[i], IPC_RMID, NULL);
	for (int i = 0; i < nmsg; i++)
		msgctl(msg[i], IPC_RMID, NULL);
	return 0;
}
