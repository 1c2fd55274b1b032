// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Two processes deadlock ABBA on two semaphores: A takes sem 0, B takes
 * sem 1 (with SEM_UNDO unless -n), then each waits for the other's with a
 * semtimedop timeout of -t SECONDS (default 5).  Prints one JSON line
 * {"semid":..,"a":pid,"b":pid} when both hold their first semaphore, and
 * "resolved" when the timeouts have ended the deadlock.
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

static int take(int id, int num, short flg, double timeout)
{
	struct sembuf op = { (unsigned short)num, -1, flg };
	struct timespec ts = { (time_t)timeout, (long)((timeout - (time_t)timeout) * 1e9) };

	return semtimedop(id, &op, 1, timeout > 0 ? &ts : NULL);
}

int main(int argc, char **argv)
{
	double timeout = 5;
	short flg = SEM_UNDO;
	int opt, id, p[2];
	unsigned short ones[2] = { 1, 1 };
	union semun arg = { .array = ones };
	pid_t b;
	char c;

	while ((opt = getopt(argc, argv, "t:n")) != -1) {
		if (opt == 't')
			timeout = atof(optarg);
		else if (opt == 'n')
			flg = 0;
		else
			return 2;
	}
	id = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
	if (id < 0 || semctl(id, 0, SETALL, arg) || pipe(p)) {
		perror("abba: setup");
		return 1;
	}
	take(id, 0, flg, 0);   /* A holds sem 0 before B exists: no race for it */
	b = fork();
	if (b == 0) {
		take(id, 1, flg, 0);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		if (take(id, 0, flg, timeout) < 0 && errno != EAGAIN)
			_exit(1);
		_exit(0);
	}
	if (read(p[0], &c, 1) != 1)
		return 1;
	printf("{\"semid\":%d,\"a\":%d,\"b\":%d}\n", id, getpid(), b);
	fflush(stdout);
	if (take(id, 1, flg, timeout) < 0 && errno != EAGAIN) {
		perror("abba: semtimedop");
		return 1;
	}
	waitpid(b, NULL, 0);
	printf("resolved\n");
	fflush(stdout);
	semctl(id, 0, IPC_RMID);
	return 0;
}
