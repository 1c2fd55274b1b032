// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fork storm: short-lived children that each create a private segment,
 * remove it and exit at once, so that every process a tracer hears of is
 * gone a moment later (state kept per pid must be dropped).  ops = IPC calls
 * (2 per child).
 */
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/wait.h>

#include "wl.h"

int main(int argc, char **argv)
{
	long ops = 0;
	double secs;

	wl_args(argc, argv);
	wl_start();
	while (wl_more(ops)) {
		pid_t pid = fork();
		int st;

		if (pid < 0)
			wl_die("fork");
		if (pid == 0) {
			int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);

			if (id < 0 || shmctl(id, IPC_RMID, NULL))
				_exit(1);
			_exit(0);
		}
		while (waitpid(pid, &st, 0) < 0)
			if (errno != EINTR)     /* the end-of-run alarm */
				wl_die("waitpid");
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			wl_die("child");
		ops += 2;
	}
	secs = wl_elapsed();
	wl_report("forks", ops, secs);
	return 0;
}
