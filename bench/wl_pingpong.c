// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Two-process semaphore ping-pong: the parent posts sem 0 and waits on sem 1,
 * the child waits on sem 0 and posts sem 1, so every wait blocks and every
 * round trip costs two context switches.  The parent removes the array at
 * the end, which ends the child (EIDRM).  ops = semop calls of both
 * processes (4 per round trip).
 */
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/wait.h>

#include "wl.h"

int main(int argc, char **argv)
{
	struct sembuf post0 = { 0, 1, 0 }, wait0 = { 0, -1, 0 };
	struct sembuf post1 = { 1, 1, 0 }, wait1 = { 1, -1, 0 };
	long ops = 0;
	double secs;
	pid_t child;
	int id;

	wl_args(argc, argv);
	id = semget(IPC_PRIVATE, 2, 0600);
	if (id < 0)
		wl_die("semget");
	child = fork();
	if (child < 0)
		wl_die("fork");
	if (child == 0) {
		for (;;)
			if (semop(id, &wait0, 1) || semop(id, &post1, 1))
				_exit(errno == EIDRM || errno == EINVAL ? 0 : 1);
	}
	wl_start();
	while (wl_more(ops)) {
		if (semop(id, &post0, 1))
			wl_die("semop post");
		if (semop(id, &wait1, 1)) {
			if (errno == EINTR && wl_stop)
				break;
			wl_die("semop wait");
		}
		ops += 4;
	}
	secs = wl_elapsed();
	semctl(id, 0, IPC_RMID);
	waitpid(child, NULL, 0);
	wl_report("pingpong", ops, secs);
	return 0;
}
