// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ops_deadlock: two processes deadlock on a semaphore set, for the `top`
 * and `metrics` tests.
 *
 *   ops_deadlock
 *
 * Creates a set of 2 semaphores (key 0x6f730000, both 1).  Child A takes
 * semaphore 0, child B takes semaphore 1; then A waits for 1 and B for 0.
 * Prints "ready sem=ID a=PID b=PID" once both children are blocked (semncnt
 * of both semaphores is 1), then waits for end of file on stdin, removes
 * the set (the children get EIDRM and exit) and reaps them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

union semun { int val; struct semid_ds *buf; unsigned short *array; };

static void die(const char *what)
{
	fprintf(stderr, "ops_deadlock: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Take `first`, tell the parent, wait for the go byte, then take `second`. */
static void child(int semid, int first, int second, int ready_fd, int go_fd)
{
	struct sembuf take = { (unsigned short)first, -1, 0 };
	char c;

	if (semop(semid, &take, 1))
		die("semop first");
	if (write(ready_fd, "r", 1) != 1 || read(go_fd, &c, 1) != 1)
		die("pipe");
	take.sem_num = (unsigned short)second;
	semop(semid, &take, 1);   /* blocks until the set is removed */
	_exit(errno == EIDRM ? 0 : 1);
}

int main(void)
{
	unsigned short ones[2] = { 1, 1 };
	union semun arg = { .array = ones };
	int ready[2], go[2], semid;
	pid_t a, b;
	char c;

	if ((semid = semget(0x6f730000, 2, IPC_CREAT | IPC_EXCL | 0600)) < 0)
		die("semget");
	if (semctl(semid, 0, SETALL, arg))
		die("semctl SETALL");
	if (pipe(ready) || pipe(go))
		die("pipe");
	if ((a = fork()) == 0)
		child(semid, 0, 1, ready[1], go[0]);
	if ((b = fork()) == 0)
		child(semid, 1, 0, ready[1], go[0]);
	if (a < 0 || b < 0)
		die("fork");
	/* Both hold their first semaphore before either asks for the second. */
	if (read(ready[0], &c, 1) != 1 || read(ready[0], &c, 1) != 1)
		die("read ready");
	if (write(go[1], "gg", 2) != 2)
		die("write go");
	/* The kernel's wait counts say when both are asleep. */
	for (int i = 0; i < 5000; i++) {
		struct timespec ms = { 0, 1000000 };

		if (semctl(semid, 0, GETNCNT) == 1 && semctl(semid, 1, GETNCNT) == 1)
			break;
		nanosleep(&ms, NULL);
	}
	printf("ready sem=%d a=%d b=%d\n", semid, (int)a, (int)b);
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	semctl(semid, 0, IPC_RMID);
	waitpid(a, NULL, 0);
	waitpid(b, NULL, 0);
	return 0;
}
