// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Message-queue producer/consumer with 64-byte messages: the child sends as
 * fast as it can (blocking when the queue is full), the parent receives and
 * counts.  The parent removes the queue at the end, which ends the child
 * (EIDRM).  ops = msgsnd + msgrcv calls (2 per message received).
 */
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/wait.h>

#include "wl.h"

struct msg64 {
	long mtype;
	char mtext[64];
};

int main(int argc, char **argv)
{
	struct msg64 m = { .mtype = 1 };
	long ops = 0;
	double secs;
	pid_t child;
	int id;

	wl_args(argc, argv);
	id = msgget(IPC_PRIVATE, 0600);
	if (id < 0)
		wl_die("msgget");
	child = fork();
	if (child < 0)
		wl_die("fork");
	if (child == 0) {
		memset(m.mtext, 'x', sizeof(m.mtext));
		for (;;)
			if (msgsnd(id, &m, sizeof(m.mtext), 0))
				_exit(errno == EIDRM || errno == EINVAL ? 0 : 1);
	}
	wl_start();
	while (wl_more(ops)) {
		if (msgrcv(id, &m, sizeof(m.mtext), 0, 0) != (ssize_t)sizeof(m.mtext)) {
			if (errno == EINTR && wl_stop)
				break;
			wl_die("msgrcv");
		}
		ops += 2;
	}
	secs = wl_elapsed();
	msgctl(id, IPC_RMID, NULL);
	waitpid(child, NULL, 0);
	wl_report("msgq", ops, secs);
	return 0;
}
