// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Workload for the kernel-internal extras: objects that the kernel destroys
 * or adjusts outside any syscall that names them.
 *
 *   kobj shm-last-detach   shmget, shmat, IPC_RMID, shmdt: destroyed in shmdt
 *   kobj shm-exit          shmget, shmat, IPC_RMID, exit: destroyed at exit
 *   kobj sem-undo          a child takes SEM_UNDO operations and exits; the
 *                          parent checks that the kernel undid them
 *   kobj leave             create shm/sem/msg (with a message) and exit,
 *                          leaving them to the namespace's teardown
 *
 * Silent on success (its stdout may be the tracer's); exit 1 with a message
 * on stderr when the kernel did not behave as expected, 2 on bad usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#define SEM1_INIT 5

static int fail(const char *what)
{
	fprintf(stderr, "kobj: %s: %s\n", what, strerror(errno));
	return 1;
}

static int shm_attach_rmid(int *id, void **p)
{
	*id = shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0600);
	if (*id < 0)
		return fail("shmget");
	*p = shmat(*id, NULL, 0);
	if (*p == (void *)-1)
		return fail("shmat");
	memset(*p, 1, 8192);
	if (shmctl(*id, IPC_RMID, NULL))
		return fail("shmctl IPC_RMID");
	return 0;
}

static int shm_last_detach(void)
{
	void *p;
	int id;

	if (shm_attach_rmid(&id, &p))
		return 1;
	if (shmdt(p))
		return fail("shmdt");
	return 0;
}

static int shm_exit(void)
{
	void *p;
	int id;

	return shm_attach_rmid(&id, &p);
}

static int sem_undo(void)
{
	struct sembuf take[2] = {
		{ .sem_num = 0, .sem_op = 3, .sem_flg = SEM_UNDO },
		{ .sem_num = 1, .sem_op = -1, .sem_flg = SEM_UNDO },
	};
	int id, st, v0, v1;
	pid_t pid;

	id = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
	if (id < 0)
		return fail("semget");
	if (semctl(id, 1, SETVAL, SEM1_INIT))
		return fail("semctl SETVAL");
	pid = fork();
	if (pid < 0)
		return fail("fork");
	if (pid == 0)
		_exit(semop(id, take, 2) ? 1 : 0);   /* exit applies the undo */
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		return fail("child semop");
	v0 = semctl(id, 0, GETVAL);
	v1 = semctl(id, 1, GETVAL);
	semctl(id, 0, IPC_RMID);
	if (v0 != 0 || v1 != SEM1_INIT) {
		fprintf(stderr, "kobj: SEM_UNDO not applied: values %d, %d\n", v0, v1);
		return 1;
	}
	return 0;
}

static int leave(void)
{
	struct { long mtype; char text[100]; } m = { .mtype = 1 };
	int q;

	if (shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600) < 0)
		return fail("shmget");
	if (semget(IPC_PRIVATE, 3, IPC_CREAT | 0600) < 0)
		return fail("semget");
	q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	if (q < 0)
		return fail("msgget");
	if (msgsnd(q, &m, sizeof(m.text), 0))
		return fail("msgsnd");
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	if (!strcmp(mode, "shm-last-detach"))
		return shm_last_detach();
	if (!strcmp(mode, "shm-exit"))
		return shm_exit();
	if (!strcmp(mode, "sem-undo"))
		return sem_undo();
	if (!strcmp(mode, "leave"))
		return leave();
	fprintf(stderr, "usage: kobj shm-last-detach|shm-exit|sem-undo|leave\n");
	return 2;
}
