// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Leaky (and well-behaved) System V IPC workloads for the leaks, clean and
 * restore tests.  Built like a distro binary: plain -O2, no frame pointers,
 * so the creators' stacks can only be unwound from .eh_frame.
 *
 *   leaker fork      a forked child creates one object of each kind, exits
 *   leaker direct    this process creates one of each kind and exits
 *   leaker threads   a second thread creates one of each kind; process exits
 *   leaker good      creates one of each kind and removes them
 *   leaker attach    a child creates a segment and exits; this process keeps
 *                    it attached until stdin closes ("ready" line first)
 *   leaker semwait   a child creates a semaphore and exits; this process
 *                    waits on it ("ready" line first; blocks until killed)
 *   leaker thenexec  creates one of each kind, then execs `sleep 0.3`: the
 *                    creator's pid runs another program when it is asked about
 *   leaker zombie    a child creates a segment and exits; this process does
 *                    not reap it until stdin closes ({"zombie": PID} line)
 *   leaker fill      leaks a segment and a queue with known contents
 *   leaker dump shm ID | msg ID    print contents (hex / "type:hex" lines)
 *
 * Every creation prints a JSON line {"kind", "id", "pid", "tid"}.  The
 * functions that call shmget/semget/msgget and their caller have
 * distinctive names that the tests look for in the reported stacks.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MSG_COPY
#define MSG_COPY 040000
#endif

#define NOINLINE __attribute__((noinline, noclone))

static void die(const char *what)
{
	fprintf(stderr, "leaker: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void report(const char *kind, int id)
{
	printf("{\"kind\": \"%s\", \"id\": %d, \"pid\": %d, \"tid\": %ld}\n",
	       kind, id, getpid(), (long)syscall(SYS_gettid));
	fflush(stdout);
}

/* Not tail calls: each checks the result after the call returns. */
NOINLINE int make_leaky_segment(size_t size)
{
	int id = shmget(IPC_PRIVATE, size, IPC_CREAT | 0600);

	if (id < 0)
		die("shmget");
	report("shm", id);
	return id;
}

NOINLINE int make_leaky_semaphore(int nsems)
{
	int id = semget(IPC_PRIVATE, nsems, IPC_CREAT | 0600);

	if (id < 0)
		die("semget");
	report("sem", id);
	return id;
}

NOINLINE int make_leaky_queue(void)
{
	int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);

	if (id < 0)
		die("msgget");
	report("msg", id);
	return id;
}

NOINLINE int leak_everything(void)
{
	int a = make_leaky_segment(8192);
	int b = make_leaky_semaphore(3);
	int c = make_leaky_queue();

	return a + b + c;
}

static void *thread_main(void *arg)
{
	leak_everything();
	return NULL;
}

static void remove_all(int shm, int sem, int msg)
{
	if (shmctl(shm, IPC_RMID, NULL) || semctl(sem, 0, IPC_RMID) ||
	    msgctl(msg, IPC_RMID, NULL))
		die("IPC_RMID");
}

NOINLINE void behave_well(void)
{
	int a = make_leaky_segment(4096);
	int b = make_leaky_semaphore(1);
	int c = make_leaky_queue();

	remove_all(a, b, c);
}

static void wait_child(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		die("child");
}

/* Known contents for clean --save / restore. */
static void fill(void)
{
	int shm = make_leaky_segment(10000);
	int msg = make_leaky_queue();
	unsigned char *p = shmat(shm, NULL, 0);
	struct { long mtype; char text[300]; } m;

	if (p == (void *)-1)
		die("shmat");
	for (int i = 0; i < 10000; i++)
		p[i] = (unsigned char)(i * 7 + 3);
	shmdt(p);
	for (int i = 0; i < 3; i++) {
		m.mtype = 10 + i;
		memset(m.text, 'a' + i, sizeof(m.text));
		m.text[0] = (char)i;            /* binary, with a NUL */
		if (msgsnd(msg, &m, 100 * (i + 1), 0))
			die("msgsnd");
	}
}

static void dump(const char *kind, int id)
{
	if (!strcmp(kind, "shm")) {
		struct shmid_ds ds;
		unsigned char *p;

		if (shmctl(id, IPC_STAT, &ds))
			die("shmctl");
		p = shmat(id, NULL, SHM_RDONLY);
		if (p == (void *)-1)
			die("shmat");
		for (size_t i = 0; i < ds.shm_segsz; i++)
			printf("%02x", p[i]);
		printf("\n");
		shmdt(p);
	} else {
		struct msqid_ds ds;
		struct { long mtype; char text[65536]; } m;

		if (msgctl(id, IPC_STAT, &ds))
			die("msgctl");
		for (unsigned long i = 0; i < ds.msg_qnum; i++) {
			ssize_t n = msgrcv(id, &m, sizeof(m.text), i, IPC_NOWAIT | MSG_COPY);

			if (n < 0)
				die("msgrcv MSG_COPY");
			printf("%ld:", m.mtype);
			for (ssize_t j = 0; j < n; j++)
				printf("%02x", (unsigned char)m.text[j]);
			printf("\n");
		}
	}
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	pid_t pid;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(mode, "fork")) {
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0) {
			leak_everything();
			_exit(0);
		}
		wait_child(pid);
	} else if (!strcmp(mode, "direct")) {
		leak_everything();
	} else if (!strcmp(mode, "threads")) {
		pthread_t t;

		if (pthread_create(&t, NULL, thread_main, NULL) || pthread_join(t, NULL))
			die("pthread");
	} else if (!strcmp(mode, "good")) {
		behave_well();
	} else if (!strcmp(mode, "thenexec")) {
		leak_everything();
		execlp("sleep", "sleep", "0.3", (char *)NULL);
		die("exec sleep");
	} else if (!strcmp(mode, "zombie")) {
		int fds[2];
		char c;

		/* The child's exit is seen (its segment's creator is gone), but
		 * nobody reaps it: /proc/PID stays, kill(PID, 0) succeeds. */
		if (pipe(fds))
			die("pipe");
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0) {
			make_leaky_segment(4096);
			_exit(0);
		}
		close(fds[1]);
		if (read(fds[0], &c, 1) < 0)   /* EOF: the child has exited */
			die("read");
		printf("{\"zombie\": %d}\n", (int)pid);
		while (read(0, &c, 1) > 0)
			;
		wait_child(pid);
	} else if (!strcmp(mode, "attach")) {
		int fds[2], id;
		char c;

		if (pipe(fds))
			die("pipe");
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0) {
			id = make_leaky_segment(4096);
			if (write(fds[1], &id, sizeof(id)) != sizeof(id))
				_exit(2);
			_exit(0);
		}
		if (read(fds[0], &id, sizeof(id)) != sizeof(id))
			die("read");
		wait_child(pid);
		if (shmat(id, NULL, 0) == (void *)-1)
			die("shmat");
		printf("ready\n");
		while (read(0, &c, 1) > 0)
			;
	} else if (!strcmp(mode, "semwait")) {
		struct sembuf down = { .sem_num = 0, .sem_op = -1 };
		int fds[2], id;

		if (pipe(fds))
			die("pipe");
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0) {
			id = make_leaky_semaphore(1);
			if (write(fds[1], &id, sizeof(id)) != sizeof(id))
				_exit(2);
			_exit(0);
		}
		if (read(fds[0], &id, sizeof(id)) != sizeof(id))
			die("read");
		wait_child(pid);
		printf("ready\n");
		if (semop(id, &down, 1))
			die("semop");
	} else if (!strcmp(mode, "fill")) {
		fill();
	} else if (!strcmp(mode, "dump") && argc == 4) {
		dump(argv[2], atoi(argv[3]));
	} else {
		fprintf(stderr, "usage: leaker fork|direct|threads|good|attach|semwait|fill|"
			"dump shm|msg ID\n");
		return 64;
	}
	return 0;
}
