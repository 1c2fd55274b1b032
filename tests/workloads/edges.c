// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The decoding edges of trace, one call each, logged like allcalls
 * (calllog.h): a msgrcv interrupted by a signal with a handler (the kernel
 * returns ERESTARTNOHAND, the program sees EINTR), in children one stopped
 * by SIGSTOP (restarted at SIGCONT) and one that SIGTERM kills (those two
 * are not logged by the call: the test knows them), a semtimedop with an
 * unreadable timeout and a msgsnd with a NULL buffer (EFAULT), invalid ctl
 * command -1, a sem_flg with bit 15 set, a shmat at a requested address,
 * and a key with the high bit set.  Everything it creates it removes.  Run
 * it in a private IPC namespace.
 */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

#include "calllog.h"

#define LOG(call, r, fmt, ...) calllog(call, (long)(r), errno, fmt, ##__VA_ARGS__)

static void on_alarm(int sig) { (void)sig; }

#define MSGRCV_NR 70

/* Wait until `pid` sleeps in msgrcv (what /proc/PID/syscall shows). */
static void wait_in_msgrcv(pid_t pid)
{
	char path[64], buf[64];

	snprintf(path, sizeof(path), "/proc/%d/syscall", pid);
	for (int i = 0; i < 10000; i++) {
		FILE *f = fopen(path, "r");

		if (f) {
			size_t n = fread(buf, 1, sizeof(buf) - 1, f);

			fclose(f);
			buf[n] = 0;
			if (atoi(buf) == MSGRCV_NR && buf[0] != 'r')
				return;
		}
		struct timespec ts = { 0, 1000000 };

		nanosleep(&ts, NULL);
	}
	fprintf(stderr, "edges: child never blocked\n");
	exit(2);
}

/*
 * A child blocked in msgrcv on q gets `sig`: SIGSTOP (then SIGCONT and a
 * message: the call is restarted and returns it) or SIGTERM (no handler:
 * it kills the child).  The child logs the msgrcv that returned.
 */
static void child_interrupted(int q, int sig)
{
	struct { long mtype; char text[8]; } m = { 1, "wake" };
	pid_t pid = fork();
	int st, r;

	if (pid == 0) {
		r = msgrcv(q, &m, sizeof(m.text), 0, 0);
		LOG("msgrcv", r, "\"id\": %d, \"size\": %zu, \"mtype\": 0, \"flags\": 0",
		    q, sizeof(m.text));
		_exit(0);
	}
	wait_in_msgrcv(pid);
	kill(pid, sig);
	if (sig == SIGSTOP) {
		waitpid(pid, &st, WUNTRACED);
		kill(pid, SIGCONT);
		wait_in_msgrcv(pid);     /* restarted: asleep in msgrcv again */
		r = msgsnd(q, &m, 4, 0);
		LOG("msgsnd", r, "\"id\": %d, \"size\": 4, \"flags\": 0", q);
	}
	waitpid(pid, &st, 0);
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };  /* no SA_RESTART */
	struct itimerval it = { .it_value = { 0, 50000 } };
	struct { long mtype; char text[8]; } m;
	struct sembuf sop = { 0, 1, (short)(0x8000 | SEM_UNDO) };
	int q, s, h, r;
	void *p, *want;

	q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	LOG("msgget", q, "\"id\": %d, \"key\": 0", q);
	/* the signal is what the test checks: it interrupts a msgrcv that
	 * would otherwise wait forever on an empty queue */
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	r = msgrcv(q, &m, sizeof(m.text), 0, 0);
	LOG("msgrcv", r, "\"id\": %d, \"size\": %zu, \"mtype\": 0, \"flags\": 0", q, sizeof(m.text));

	child_interrupted(q, SIGSTOP);
	child_interrupted(q, SIGTERM);

	errno = 0;
	r = msgsnd(q, NULL, 8, 0);
	LOG("msgsnd", r, "\"id\": %d, \"size\": 8, \"flags\": 0", q);
	r = msgctl(q, -1, NULL);
	LOG("msgctl", r, "\"id\": %d, \"cmd\": \"-1\"", q);
	r = msgctl(q, IPC_RMID, NULL);
	LOG("msgctl", r, "\"id\": %d, \"cmd\": \"IPC_RMID\"", q);

	s = semget((key_t)0x8cc76df9, 1, IPC_CREAT | 0600);
	LOG("semget", s, "\"id\": %d, \"key\": %u, \"nsems\": 1", s, 0x8cc76df9u);
	r = semtimedop(s, &sop, 1, (const struct timespec *)1);
	LOG("semtimedop", r, "\"id\": %d, \"nsops\": 1", s);
	r = semop(s, &sop, 1);
	LOG("semtimedop", r, "\"id\": %d, \"nsops\": 1, \"sops\": [[0, 1, %u]]", s,
	    (unsigned int)(uint16_t)sop.sem_flg);
	/* glibc refuses -1 itself, without the call: make the call */
	r = syscall(SYS_semctl, s, 0, -1, 0);
	LOG("semctl", r, "\"id\": %d, \"semnum\": 0, \"cmd\": \"-1\"", s);
	r = semctl(s, 0, IPC_RMID);
	LOG("semctl", r, "\"id\": %d, \"semnum\": 0, \"cmd\": \"IPC_RMID\"", s);

	h = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	LOG("shmget", h, "\"id\": %d, \"key\": 0, \"size\": 4096", h);
	p = shmat(h, NULL, 0);
	LOG("shmat", p == (void *)-1 ? -1 : 0, "\"id\": %d, \"shmaddr\": 0", h);
	r = shmdt(p);
	LOG("shmdt", r, "\"id\": %d", h);
	/* the address it just had is free again: ask for it */
	want = p;
	p = shmat(h, want, SHM_RDONLY);
	LOG("shmat", p == (void *)-1 ? -1 : 0, "\"id\": %d, \"shmaddr\": %lu", h,
	    (unsigned long)(uintptr_t)want);
	r = shmdt(p);
	LOG("shmdt", r, "\"id\": %d", h);
	r = shmctl(h, -1, NULL);
	LOG("shmctl", r, "\"id\": %d, \"cmd\": \"-1\"", h);
	r = shmctl(h, IPC_RMID, NULL);
	LOG("shmctl", r, "\"id\": %d, \"cmd\": \"IPC_RMID\"", h);
	return 0;
}
