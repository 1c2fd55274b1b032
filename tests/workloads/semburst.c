// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * As many semops as two processes can make: one semaphore set of two, each
 * process takes and gives back its own semaphore (never blocks), for -d
 * SECONDS (default 3).  Prints "ready" once the set exists, starts on a
 * line from stdin, prints {"semid": ID, "calls": N, "seconds": S} when done
 * -- N counts every IPC call made on the set, semget included -- then
 * removes the set when stdin closes.  For checking call counts at rates a
 * streaming tracer cannot follow.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Semops on semaphore `num` until `end`: the number made. */
static long burst(int id, unsigned short num, double end)
{
	struct sembuf down = { num, -1, 0 }, up = { num, 1, 0 };
	long n = 0;

	while (now_s() < end) {
		for (int i = 0; i < 256; i++) {
			if (semop(id, &up, 1) || semop(id, &down, 1)) {
				perror("semburst: semop");
				exit(1);
			}
			n += 2;
		}
	}
	return n;
}

int main(int argc, char **argv)
{
	double secs = 3, end, start;
	int id, fds[2], status, c;
	char line[16];
	long mine, theirs = 0;
	pid_t child;

	while ((c = getopt(argc, argv, "d:")) != -1) {
		if (c != 'd' || (secs = atof(optarg)) <= 0) {
			fprintf(stderr, "usage: semburst [-d SECONDS]\n");
			return 2;
		}
	}
	id = semget(IPC_PRIVATE, 2, 0600);
	if (id < 0 || pipe(fds)) {
		perror("semburst: semget");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	start = now_s();
	end = start + secs;
	child = fork();
	if (child < 0) {
		perror("semburst: fork");
		return 1;
	}
	if (child == 0) {
		mine = burst(id, 1, end);
		if (write(fds[1], &mine, sizeof(mine)) != sizeof(mine))
			_exit(1);
		_exit(0);
	}
	mine = burst(id, 0, end);
	if (read(fds[0], &theirs, sizeof(theirs)) != sizeof(theirs) ||
	    waitpid(child, &status, 0) != child || status)
		return 1;
	printf("{\"semid\": %d, \"calls\": %ld, \"seconds\": %.3f}\n", id, 1 + mine + theirs,
	       now_s() - start);
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		;
	semctl(id, 0, IPC_RMID);
	return 0;
}
