// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * idlers N: N sleeping child processes, the idle threads of a busy host
 * (databases run thousands).  Prints "ready N" once all exist, then waits
 * for end of file on stdin, ends its children by pid and reaps them.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000;
	pid_t *kids = calloc((size_t)(n > 0 ? n : 1), sizeof(*kids));
	char buf[64];
	long made = 0;

	if (!kids)
		return 1;
	for (; made < n; made++) {
		kids[made] = fork();
		if (kids[made] < 0)
			break;
		if (kids[made] == 0) {
			for (;;)
				pause();
		}
	}
	printf("ready %ld\n", made);
	fflush(stdout);
	while (fread(buf, 1, sizeof(buf), stdin) > 0)
		;
	for (long i = 0; i < made; i++)
		kill(kids[i], SIGKILL);
	for (long i = 0; i < made; i++)
		waitpid(kids[i], NULL, 0);
	return made == n ? 0 : 1;
}
