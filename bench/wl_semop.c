// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Uncontended semop loop in one process: take and give back one semaphore.
 * Never blocks, so it measures the per-call cost a tracer adds.
 * ops = semop calls.
 */
#include <sys/ipc.h>
#include <sys/sem.h>

#include "wl.h"

int main(int argc, char **argv)
{
	struct sembuf down = { 0, -1, 0 }, up = { 0, 1, 0 };
	long ops = 0;
	double secs;
	int id;

	wl_args(argc, argv);
	id = semget(IPC_PRIVATE, 1, 0600);
	if (id < 0)
		wl_die("semget");
	if (semctl(id, 0, SETVAL, 1))
		wl_die("semctl SETVAL");
	wl_start();
	while (wl_more(ops)) {
		if (semop(id, &down, 1) || semop(id, &up, 1))
			wl_die("semop");
		ops += 2;
	}
	secs = wl_elapsed();
	semctl(id, 0, IPC_RMID);
	wl_report("semop", ops, secs);
	return 0;
}
