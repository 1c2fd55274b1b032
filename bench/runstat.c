// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Run a command and write its resource usage to a file:
 *
 *   runstat [-i] OUTFILE CMD ARGS...
 *
 * OUTFILE gets one line "rc=N wall_s=S cpu_s=C maxrss_kb=K": wall-clock time
 * from fork to reap, and the rusage of CMD and every descendant it reaped
 * (wait4).  A small C parent matters: ru_maxrss survives fork+exec, so a
 * command spawned straight from the Python harness would report Python's
 * memory as its own.  -i runs CMD in a new private IPC namespace
 * (unshare(CLONE_NEWIPC)).  Exits with CMD's status.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	struct rusage ru;
	int status, arg = 1;
	FILE *out;
	pid_t pid;

	if (argc > 1 && !strcmp(argv[1], "-i")) {
		if (unshare(CLONE_NEWIPC)) {
			fprintf(stderr, "runstat: unshare(CLONE_NEWIPC): %s\n", strerror(errno));
			return 126;
		}
		arg++;
	}
	if (argc < arg + 2) {
		fprintf(stderr, "usage: runstat [-i] OUTFILE CMD ARGS...\n");
		return 64;
	}
	out = fopen(argv[arg], "w");
	if (!out) {
		fprintf(stderr, "runstat: %s: %s\n", argv[arg], strerror(errno));
		return 126;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "runstat: fork: %s\n", strerror(errno));
		return 126;
	}
	if (pid == 0) {
		fclose(out);
		execvp(argv[arg + 1], argv + arg + 1);
		fprintf(stderr, "runstat: %s: %s\n", argv[arg + 1], strerror(errno));
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR) {
			fprintf(stderr, "runstat: wait4: %s\n", strerror(errno));
			return 126;
		}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	fprintf(out, "rc=%d wall_s=%.6f cpu_s=%.6f maxrss_kb=%ld\n", status,
		(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
		(double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
		(double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6,
		ru.ru_maxrss);
	if (fclose(out)) {
		fprintf(stderr, "runstat: %s: %s\n", argv[arg], strerror(errno));
		return 126;
	}
	return status;
}
