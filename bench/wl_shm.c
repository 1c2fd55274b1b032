// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Shared-memory churn: get a private 4 KiB segment, attach, touch, detach,
 * remove, repeat.  ops = IPC calls (4 per cycle).
 */
#include <sys/ipc.h>
#include <sys/shm.h>

#include "wl.h"

int main(int argc, char **argv)
{
	long ops = 0;
	double secs;

	wl_args(argc, argv);
	wl_start();
	while (wl_more(ops)) {
		int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
		volatile char *p;

		if (id < 0)
			wl_die("shmget");
		p = shmat(id, NULL, 0);
		if (p == (void *)-1)
			wl_die("shmat");
		p[0] = 1;
		if (shmdt((void *)p))
			wl_die("shmdt");
		if (shmctl(id, IPC_RMID, NULL))
			wl_die("shmctl IPC_RMID");
		ops += 4;
	}
	secs = wl_elapsed();
	wl_report("shm", ops, secs);
	return 0;
}
