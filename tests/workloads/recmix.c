// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A mixed workload for the record/report/export tests, with known counts:
 *
 *   1. leaks a 4096-byte segment and a 1-semaphore set (never removed);
 *   2. ping-pong: parent and child bounce a message ROUNDS times over one
 *      queue (blocking msgrcv on both sides), then the queue is removed;
 *   3. a lock-order deadlock between two children on a 2-semaphore set:
 *      each holds one semaphore and waits for the other with semtimedop
 *      (timeout HOLD_MS), so both sleep, time out with EAGAIN, and exit.
 *
 * `recmix [ROUNDS] [HOLD_MS] [pause]` prints one JSON line per phase with
 * the calls it made; with "pause" it prints "paused" after phase 2 and
 * waits for a line on stdin before phase 3.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct msg { long type; char text[32]; };

static void die(const char *what)
{
	perror(what);
	exit(2);
}

static void leak(void)
{
	int shm = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	int sem = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);

	if (shm < 0 || sem < 0)
		die("leak");
	printf("{\"phase\": \"leak\", \"shm\": %d, \"sem\": %d}\n", shm, sem);
	fflush(stdout);
}

static void pingpong(long rounds)
{
	int q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	struct msg m = { 0 };
	pid_t child;

	if (q < 0)
		die("msgget");
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		for (long i = 0; i < rounds; i++) {
			if (msgrcv(q, &m, sizeof(m.text), 1, 0) < 0)
				die("child msgrcv");
			m.type = 2;
			if (msgsnd(q, &m, sizeof(m.text), 0))
				die("child msgsnd");
		}
		_exit(0);
	}
	for (long i = 0; i < rounds; i++) {
		m.type = 1;
		snprintf(m.text, sizeof(m.text), "ping %ld", i);
		if (msgsnd(q, &m, sizeof(m.text), 0))
			die("msgsnd");
		if (msgrcv(q, &m, sizeof(m.text), 2, 0) < 0)
			die("msgrcv");
	}
	waitpid(child, NULL, 0);
	if (msgctl(q, IPC_RMID, NULL))
		die("msgctl");
	printf("{\"phase\": \"pingpong\", \"msq\": %d, \"rounds\": %ld}\n", q, rounds);
	fflush(stdout);
}

/* Child `me` holds semaphore me and wants 1 - me. */
static void locker(int set, int me, int ready_w, int go_r, long hold_ms)
{
	/* No SEM_UNDO: the first to give up must not hand its semaphore over. */
	struct sembuf take = { (unsigned short)me, -1, 0 };
	struct sembuf want = { (unsigned short)(1 - me), -1, 0 };
	struct timespec to = { hold_ms / 1000, (hold_ms % 1000) * 1000000 };
	char c = 1;

	if (semop(set, &take, 1))
		die("semop take");
	if (write(ready_w, &c, 1) != 1 || read(go_r, &c, 1) != 1)
		die("locker pipe");
	if (semtimedop(set, &want, 1, &to) == 0 || errno != EAGAIN)
		die("semtimedop should time out");
	_exit(0);
}

static void deadlock(long hold_ms)
{
	int set = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
	unsigned short one[2] = { 1, 1 };
	int ready[2], go[2];
	pid_t kids[2];
	char c;

	if (set < 0 || semctl(set, 0, SETALL, one) || pipe(ready) || pipe(go))
		die("deadlock setup");
	for (int i = 0; i < 2; i++) {
		kids[i] = fork();
		if (kids[i] < 0)
			die("fork");
		if (kids[i] == 0)
			locker(set, i, ready[1], go[0], hold_ms);
	}
	/* Both hold their first semaphore before either asks for the second. */
	if (read(ready[0], &c, 1) != 1 || read(ready[0], &c, 1) != 1)
		die("ready");
	if (write(go[1], "gg", 2) != 2)
		die("go");
	for (int i = 0; i < 2; i++)
		waitpid(kids[i], NULL, 0);
	if (semctl(set, 0, IPC_RMID))
		die("semctl");
	printf("{\"phase\": \"deadlock\", \"sem\": %d, \"pids\": [%d, %d]}\n", set, kids[0], kids[1]);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 100;
	long hold_ms = argc > 2 ? atol(argv[2]) : 200;
	char line[16];

	leak();
	pingpong(rounds);
	if (argc > 3 && !strcmp(argv[3], "pause")) {
		printf("paused\n");
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			return 1;
	}
	deadlock(hold_ms);
	return 0;
}
