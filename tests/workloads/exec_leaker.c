// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * exec_leaker PATH ARGS...: prints its pid, then execs PATH (the leaker
 * workload): the same process, another program, which leaks.
 */
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: exec_leaker PATH [ARGS...]\n");
		return 64;
	}
	printf("{\"exec_pid\": %d}\n", getpid());
	fflush(stdout);
	execv(argv[1], argv + 1);
	fprintf(stderr, "exec_leaker: %s: %s\n", argv[1], strerror(errno));
	return 127;
}
