// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * An uncontended semop loop: `semloop N` does N semop(+1)/semop(-1) pairs
 * on a private set and prints "ready" first and the rate last.  Used as the
 * process outside the filter in e2e tests and for overhead measurements.
 * `semloop N wait` waits for a line on stdin before starting.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <time.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	struct sembuf up = { 0, 1, 0 }, down = { 0, -1, 0 };
	struct timespec a, b;
	char line[16];
	int id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
	double s;

	if (id < 0) {
		perror("semget");
		return 1;
	}
	printf("ready %d\n", id);
	fflush(stdout);
	if (argc > 2 && !strcmp(argv[2], "wait") && !fgets(line, sizeof(line), stdin))
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++) {
		if (semop(id, &up, 1) || semop(id, &down, 1)) {
			perror("semop");
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	s = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	semctl(id, 0, IPC_RMID);
	printf("ops %ld rate %.0f\n", 2 * n, 2 * n / s);
	return 0;
}
