// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Stages the objects of the audit rules that mkobjs does not: a large,
 * huge-page, unaligned or locked segment; a queue whose consumer exited,
 * is a zombie, is slow, or is blocked; POSIX message queues with given
 * attributes.  Prints one JSON line with what it made, then waits for stdin
 * to close and removes the POSIX queues (SysV objects die with the test's
 * IPC namespace).
 *
 *   auditobjs [-S SIZE [-H] [-N] [-A] [-L] [-T]] [-C exited|zombie|slow|blocked]
 *             [-q NAME [-M MODE] [-n MAXMSG] [-z MSGSIZE]]...
 *   -S create a segment of SIZE bytes   -H with SHM_HUGETLB   -N SHM_NORESERVE
 *   -A attach it (stays attached)       -L SHM_LOCK it        -T touch every page
 *   -C a queue with 3 messages whose only receiver (a child that took one
 *      message) exited and was reaped, exited unreaped (zombie), sleeps, or
 *      blocks in msgrcv for a type nobody sends
 *   -q a POSIX queue NAME with mode -M (octal, default 600), -n, -z before it
 */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SHM_HUGETLB
#define SHM_HUGETLB 04000
#endif
#ifndef SHM_NORESERVE
#define SHM_NORESERVE 010000
#endif

struct msgbuf1 { long mtype; char text[64]; };

static void die(const char *what)
{
	fprintf(stderr, "auditobjs: %s: %s\n", what, strerror(errno));
	exit(1);
}

int main(int argc, char **argv)
{
	unsigned long size = 0;
	int huge = 0, noreserve = 0, attach = 0, lock = 0, touch = 0, opt;
	const char *consumer = NULL;
	char *mqnames[16];
	int nmq = 0, shmid = -1, msqid = -1;
	long maxmsg = 0, msgsize = 0;
	mode_t mqmode = 0600;
	pid_t child = 0;

	while ((opt = getopt(argc, argv, "S:HNALTC:q:M:n:z:")) != -1) {
		switch (opt) {
		case 'S': size = strtoul(optarg, NULL, 0); break;
		case 'H': huge = 1; break;
		case 'N': noreserve = 1; break;
		case 'A': attach = 1; break;
		case 'L': lock = 1; break;
		case 'T': touch = 1; break;
		case 'C': consumer = optarg; break;
		case 'M': mqmode = (mode_t)strtol(optarg, NULL, 8); break;
		case 'n': maxmsg = atol(optarg); break;
		case 'z': msgsize = atol(optarg); break;
		case 'q': {
			struct mq_attr at = { .mq_maxmsg = maxmsg, .mq_msgsize = msgsize };
			mode_t old = umask(0);
			mqd_t q;

			if (nmq == 16)
				return 2;
			q = mq_open(optarg, O_CREAT | O_EXCL | O_RDWR, mqmode,
				    maxmsg && msgsize ? &at : NULL);
			umask(old);
			if (q == (mqd_t)-1)
				die("mq_open");
			mq_close(q);
			mqnames[nmq++] = optarg;
			break;
		}
		default: return 2;
		}
	}
	if (size) {
		shmid = shmget(IPC_PRIVATE, size, IPC_CREAT | 0600 | (huge ? SHM_HUGETLB : 0) |
			       (noreserve ? SHM_NORESERVE : 0));
		if (shmid < 0)
			die("shmget");
		if (attach) {
			char *p = shmat(shmid, NULL, 0);

			if (p == (void *)-1)
				die("shmat");
			for (unsigned long off = 0; touch && off < size; off += 4096)
				p[off] = 1;
		}
		if (lock && shmctl(shmid, SHM_LOCK, NULL))
			die("shmctl SHM_LOCK");
	}
	if (consumer) {
		struct msgbuf1 m = { 1, "x" };
		int status;

		msqid = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
		if (msqid < 0)
			die("msgget");
		if (msgsnd(msqid, &m, sizeof(m.text), 0))
			die("msgsnd");
		child = fork();
		if (child < 0)
			die("fork");
		if (child == 0) {
			if (msgrcv(msqid, &m, sizeof(m.text), 1, 0) < 0)
				_exit(1);
			if (!strcmp(consumer, "slow"))
				for (;;)
					pause();
			if (!strcmp(consumer, "blocked"))
				msgrcv(msqid, &m, sizeof(m.text), 99, 0);
			_exit(0);
		}
		if (!strcmp(consumer, "exited")) {
			if (waitpid(child, &status, 0) != child)
				die("waitpid");
		} else if (!strcmp(consumer, "zombie")) {
			siginfo_t si;

			/* wait for the exit but leave the child unreaped: a zombie */
			if (waitid(P_PID, (id_t)child, &si, WEXITED | WNOWAIT))
				die("waitid");
		} else {
			/* slow/blocked: wait until the child took its message */
			struct msqid_ds ds;

			do {
				if (msgctl(msqid, IPC_STAT, &ds))
					die("msgctl");
				if (ds.msg_qnum)
					usleep(1000);
			} while (ds.msg_qnum);
			if (!strcmp(consumer, "blocked"))
				for (int i = 0; i < 5000; i++) {
					char path[64], buf[256] = "";
					FILE *f;

					/* blocked in msgrcv: /proc/PID/syscall names it */
					snprintf(path, sizeof(path), "/proc/%d/syscall", child);
					if ((f = fopen(path, "r"))) {
						if (!fgets(buf, sizeof(buf), f))
							buf[0] = 0;
						fclose(f);
					}
					if (atoi(buf) == __NR_msgrcv)
						break;
					usleep(1000);
				}
		}
		for (int i = 0; i < 3; i++)
			if (msgsnd(msqid, &m, sizeof(m.text), 0))
				die("msgsnd");
	}
	printf("{\"pid\":%d,\"shm\":%d,\"msg\":%d,\"receiver\":%d}\n", getpid(), shmid, msqid, child);
	fflush(stdout);
	while (getchar() != EOF)
		;
	for (int i = 0; i < nmq; i++)
		mq_unlink(mqnames[i]);
	if (child) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	return 0;
}
