// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Message queue producer/consumer where the consumer cannot keep up: the
 * producer sends N (-n, default 400) 64-byte messages into a queue of 1 KiB,
 * the consumer receives them with a short pause after each, so the queue
 * fills and the producer blocks.  Prints {"msqid": .., "n": N} at the end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct msg { long mtype; char text[64]; };

int main(int argc, char **argv)
{
	long n = argc > 2 && !strcmp(argv[1], "-n") ? atol(argv[2]) : 400;
	int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600), status;
	struct msqid_ds ds;
	struct msg m = { 1, "data" };
	pid_t c;

	if (id < 0 || msgctl(id, IPC_STAT, &ds))
		return 1;
	ds.msg_qbytes = 1024;
	if (msgctl(id, IPC_SET, &ds))
		return 1;
	c = fork();
	if (c == 0) {
		struct timespec pause = { 0, 300000 };

		for (long i = 0; i < n; i++) {
			if (msgrcv(id, &m, sizeof(m.text), 0, 0) < 0)
				_exit(1);
			nanosleep(&pause, NULL);
		}
		_exit(0);
	}
	for (long i = 0; i < n; i++)
		if (msgsnd(id, &m, sizeof(m.text), 0))
			return 1;
	waitpid(c, &status, 0);
	msgctl(id, IPC_RMID, NULL);
	printf("{\"msqid\": %d, \"n\": %ld}\n", id, n);
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : 1;
}
