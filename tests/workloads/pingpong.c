// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Semaphore ping-pong: two processes, two semaphores, N round trips (-n,
 * default 2000); each blocks on every operation but nothing deadlocks.
 * Prints {"semtimedop": N, "semget": 1, "semctl": 1} -- the IPC syscalls
 * both processes made -- at the end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <unistd.h>

static void op(int id, int num, int delta)
{
	struct sembuf b = { (unsigned short)num, (short)delta, 0 };

	if (semop(id, &b, 1)) {   /* glibc: the semtimedop syscall on x86_64 */
		perror("pingpong: semop");
		exit(1);
	}
}

int main(int argc, char **argv)
{
	long n = 2000;
	int id, status;
	pid_t child;

	if (argc > 2 && argv[1][0] == '-' && argv[1][1] == 'n')
		n = atol(argv[2]);
	id = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
	if (id < 0) {
		perror("pingpong: semget");
		return 1;
	}
	child = fork();
	if (child == 0) {
		for (long i = 0; i < n; i++) {
			op(id, 0, -1);
			op(id, 1, 1);
		}
		_exit(0);
	}
	for (long i = 0; i < n; i++) {
		op(id, 0, 1);
		op(id, 1, -1);
	}
	waitpid(child, &status, 0);
	semctl(id, 0, IPC_RMID);
	printf("{\"semtimedop\": %ld, \"semget\": 1, \"semctl\": 1}\n", 4 * n);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
