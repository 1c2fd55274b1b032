// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A loop of a cheap non-IPC system call (getppid, issued directly so no libc
 * caching can hide it): what an IPC tracer costs every other program on the
 * machine.  ops = getppid calls.
 */
#include <sys/syscall.h>

#include "wl.h"

int main(int argc, char **argv)
{
	long ops = 0;
	double secs;

	wl_args(argc, argv);
	wl_start();
	while (wl_more(ops)) {
		syscall(SYS_getppid);
		ops++;
	}
	secs = wl_elapsed();
	wl_report("getppid", ops, secs);
	return 0;
}
