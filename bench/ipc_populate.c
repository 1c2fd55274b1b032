// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Run a command in a fresh, PRIVATE IPC namespace filled with many objects,
 * for the inventory benchmark:
 *
 *   ipc_populate -s SEMS -q QUEUES -m SEGMENTS -- CMD ARGS...
 *
 * The program calls unshare(CLONE_NEWIPC) itself before it does anything
 * else, so the limits it raises (kernel.sem, msgmni, shmmni are per IPC
 * namespace) and the objects it creates can never be the host's or another
 * program's.  It then runs CMD in that namespace, removes every object, and
 * exits with CMD's status.  Semaphore arrays have 4 semaphores; each queue
 * holds one 64-byte message; segments are 4 KiB and not attached.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#define NSEMS 4

static int die(const char *what)
{
	fprintf(stderr, "ipc_populate: %s: %s\n", what, strerror(errno));
	return 1;
}

/* Raise a per-namespace limit to at least `want` (field `field` of the file). */
static int raise_limit(const char *path, int field, long want)
{
	long v[4] = { 0 };
	int n = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return die(path);
	while (n < 4 && fscanf(f, "%ld", &v[n]) == 1)
		n++;
	fclose(f);
	if (field >= n) {
		fprintf(stderr, "ipc_populate: %s: unexpected format\n", path);
		return 1;
	}
	if (v[field] >= want)
		return 0;
	v[field] = want;
	f = fopen(path, "w");
	if (!f)
		return die(path);
	for (int i = 0; i < n; i++)
		fprintf(f, "%ld%c", v[i], i + 1 < n ? ' ' : '\n');
	if (fclose(f))
		return die(path);
	return 0;
}

static int create(long sems, long queues, long segs)
{
	struct { long mtype; char mtext[64]; } m = { .mtype = 1 };

	/* kernel.sem = SEMMSL SEMMNS SEMOPM SEMMNI */
	if (raise_limit("/proc/sys/kernel/sem", 3, sems + 16) ||
	    raise_limit("/proc/sys/kernel/sem", 1, (sems + 16) * NSEMS) ||
	    raise_limit("/proc/sys/kernel/msgmni", 0, queues + 16) ||
	    raise_limit("/proc/sys/kernel/shmmni", 0, segs + 16))
		return 1;
	memset(m.mtext, 'x', sizeof(m.mtext));
	for (long i = 0; i < sems; i++)
		if (semget(IPC_PRIVATE, NSEMS, 0600) < 0)
			return die("semget");
	for (long i = 0; i < queues; i++) {
		int id = msgget(IPC_PRIVATE, 0600);

		if (id < 0)
			return die("msgget");
		if (msgsnd(id, &m, sizeof(m.mtext), IPC_NOWAIT))
			return die("msgsnd");
	}
	for (long i = 0; i < segs; i++)
		if (shmget(IPC_PRIVATE, 4096, 0600) < 0)
			return die("shmget");
	fprintf(stderr, "ipc_populate: created %ld sem arrays, %ld queues, %ld segments\n",
		sems, queues, segs);
	return 0;
}

/* Remove every object listed in this (private) namespace's /proc/sysvipc. */
static long remove_kind(const char *path, int (*rm)(int))
{
	char line[512];
	long n = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return 0;
	if (!fgets(line, sizeof(line), f)) {   /* header */
		fclose(f);
		return 0;
	}
	while (fgets(line, sizeof(line), f)) {
		int key, id;

		if (sscanf(line, "%d %d", &key, &id) == 2 && rm(id) == 0)
			n++;
	}
	fclose(f);
	return n;
}

static int rm_sem(int id) { return semctl(id, 0, IPC_RMID); }
static int rm_msg(int id) { return msgctl(id, IPC_RMID, NULL); }
static int rm_shm(int id) { return shmctl(id, IPC_RMID, NULL); }

int main(int argc, char **argv)
{
	long sems = 0, queues = 0, segs = 0, n;
	int c, status;
	pid_t pid;

	while ((c = getopt(argc, argv, "+s:q:m:")) != -1) {
		switch (c) {
		case 's': sems = atol(optarg); break;
		case 'q': queues = atol(optarg); break;
		case 'm': segs = atol(optarg); break;
		default: goto usage;
		}
	}
	if (optind >= argc)
		goto usage;
	if (unshare(CLONE_NEWIPC))
		return die("unshare(CLONE_NEWIPC) (needs root)");
	if (create(sems, queues, segs))
		return 1;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return die("fork");
	if (pid == 0) {
		execvp(argv[optind], argv + optind);
		_exit(die(argv[optind]) ? 127 : 127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return die("waitpid");
	n = remove_kind("/proc/sysvipc/sem", rm_sem) +
	    remove_kind("/proc/sysvipc/msg", rm_msg) +
	    remove_kind("/proc/sysvipc/shm", rm_shm);
	fprintf(stderr, "ipc_populate: removed %ld objects\n", n);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
usage:
	fprintf(stderr, "usage: ipc_populate -s SEMS -q QUEUES -m SEGMENTS -- CMD ARGS...\n");
	return 64;
}
