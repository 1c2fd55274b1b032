// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * msgblock full:  fills a queue (qbytes lowered to 128) and blocks in msgsnd.
 * msgblock empty: blocks in msgrcv on an empty queue (type 7).
 * Prints {"msqid": N, "pid": P} just before blocking; runs until killed.
 */
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct { long mtype; char text[64]; } m = { 7, "payload" };
	int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);

	if (id < 0 || argc < 2) {
		fprintf(stderr, "usage: msgblock full|empty\n");
		return 2;
	}
	if (!strcmp(argv[1], "full")) {
		struct msqid_ds ds;

		if (msgctl(id, IPC_STAT, &ds))
			return 1;
		ds.msg_qbytes = 128;
		if (msgctl(id, IPC_SET, &ds))
			return 1;
		for (int i = 0; i < 2; i++)
			if (msgsnd(id, &m, sizeof(m.text), IPC_NOWAIT))
				return 1;
		printf("{\"msqid\": %d, \"pid\": %d}\n", id, getpid());
		fflush(stdout);
		msgsnd(id, &m, sizeof(m.text), 0);
	} else {
		printf("{\"msqid\": %d, \"pid\": %d}\n", id, getpid());
		fflush(stdout);
		msgrcv(id, &m, sizeof(m.text), 7, 0);
	}
	return 0;
}
