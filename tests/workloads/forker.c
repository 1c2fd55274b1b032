// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A process tree making IPC calls: the parent, a thread of it, a child and a
 * grandchild each make a semop on one shared set; the child also creates
 * and removes a message queue.  One JSON line per call (calllog.h).  Used
 * to check that `trace -- CMD` follows children and grandchildren.
 */
#include <pthread.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/wait.h>

#include "calllog.h"

static int semid;

static void post(int who)
{
	struct sembuf op = { 0, 1, 0 };
	int r = semop(semid, &op, 1);

	calllog("semtimedop", r, errno, "\"id\": %d, \"nsops\": 1, \"sops\": [[0, 1, 0]], \"who\": %d",
		semid, who);
}

static void *thread_fn(void *arg)
{
	post(1);
	return NULL;
}

int main(void)
{
	pthread_t th;
	pid_t child;
	int st, r;

	semid = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
	calllog("semget", semid, errno, "\"id\": %d, \"key\": 0, \"nsems\": 1, \"flags\": %d", semid,
		IPC_CREAT | 0600);
	post(0);
	pthread_create(&th, NULL, thread_fn, NULL);
	pthread_join(th, NULL);

	child = fork();
	if (child == 0) {
		pid_t grandchild;
		int q;

		post(2);
		q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
		calllog("msgget", q, errno, "\"id\": %d, \"key\": 0, \"flags\": %d", q, IPC_CREAT | 0600);
		r = msgctl(q, IPC_RMID, NULL);
		calllog("msgctl", r, errno, "\"id\": %d, \"cmd\": \"IPC_RMID\"", q);
		grandchild = fork();
		if (grandchild == 0) {
			post(3);
			_exit(0);
		}
		waitpid(grandchild, &st, 0);
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 1);
	}
	waitpid(child, &st, 0);
	r = semctl(semid, 0, IPC_RMID);
	calllog("semctl", r, errno, "\"id\": %d, \"semnum\": 0, \"cmd\": \"IPC_RMID\"", semid);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}
