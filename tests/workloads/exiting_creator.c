// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * exiting_creator: children that create a segment and exit while ipcscope
 * may be reading their /proc/PID/maps (tests/e2e/test_postgres.py, the race
 * PostgreSQL's short-lived startup process showed under QEMU).
 *
 *   exiting_creator [MAPPINGS [CHILDREN [STEP_US]]]
 *
 * The parent creates a segment first (ipcscope reads its /proc facts then),
 * waits 1.1 s so that what its children inherit at fork counts as stale and
 * is read again from /proc at their creation, then forks CHILDREN children
 * one after the other.  Each maps MAPPINGS single anonymous pages that
 * cannot merge (its maps file grows to megabytes, its libraries listed
 * last), creates a segment from make_segment_then_exit(), sleeps
 * i * STEP_US and exits: some exit in the middle of the read.  Every
 * creation prints {"kind", "id", "pid", "tid"}.  Plain -O2, no frame
 * pointers, like leaker.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noclone))

NOINLINE static int make_segment_then_exit(void)
{
	int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);

	if (id < 0) {
		perror("exiting_creator: shmget");
		exit(2);
	}
	printf("{\"kind\": \"shm\", \"id\": %d, \"pid\": %d, \"tid\": %ld}\n", id, getpid(),
	       syscall(SYS_gettid));
	fflush(stdout);
	return id + 1;   /* used after the call: no tail call */
}

int main(int argc, char **argv)
{
	long maps = argc > 1 ? atol(argv[1]) : 30000;
	int children = argc > 2 ? atoi(argv[2]) : 16;
	long step_us = argc > 3 ? atol(argv[3]) : 2000;
	struct timespec pause = { 1, 100000000L };

	if (make_segment_then_exit() <= 0)
		return 1;
	nanosleep(&pause, NULL);
	for (int i = 0; i < children; i++) {
		pid_t pid = fork();
		int status;

		if (pid < 0) {
			perror("exiting_creator: fork");
			return 2;
		}
		if (pid == 0) {
			long us = i * step_us;
			struct timespec ts = { us / 1000000, us % 1000000 * 1000 };

			for (long j = 0; j < maps; j++)
				if (mmap(NULL, 4096, (j & 1) ? PROT_READ : PROT_NONE,
					 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED)
					break;
			if (make_segment_then_exit() <= 0)
				_exit(1);
			nanosleep(&ts, NULL);
			_exit(0);
		}
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
			return 2;
	}
	return 0;
}
