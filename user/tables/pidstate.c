// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Process state for the audit's "is it gone" questions, from /proc/PID/stat:
 * the state letter (Z and X have exited) and the start time, compared with
 * the boot time from /proc/stat so a recycled pid is told apart.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "tables/pidstate.h"

/* starttime and btime are coarse (btime is whole seconds and follows clock steps) */
#define REUSE_SLACK_S 5

const char *pid_state_name(enum pid_state s)
{
	switch (s) {
	case PID_RUNNING: return "running";
	case PID_GONE: return "exited";
	case PID_ZOMBIE: return "exited (zombie, not yet reaped by its parent)";
	default: return "exited (its pid now belongs to a newer process)";
	}
}

int pid_stat_parse(const char *text, char *state, uint64_t *starttime)
{
	/* comm may hold spaces and parentheses: fields restart after the last ')' */
	const char *p = strrchr(text, ')');
	unsigned long long st;

	if (!p || sscanf(p + 1, " %c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
			 "%*d %*d %*d %*d %llu", state, &st) != 2)
		return -EINVAL;
	*starttime = st;
	return 0;
}

static int64_t boot_time(void)
{
	static int64_t bt = -1;
	char line[256];
	FILE *f;

	if (bt >= 0)
		return bt;
	bt = 0;
	if (!(f = fopen("/proc/stat", "re")))
		return 0;
	while (fgets(line, sizeof(line), f)) {
		long long v;

		if (sscanf(line, "btime %lld", &v) == 1) {
			bt = v;
			break;
		}
	}
	fclose(f);
	return bt;
}

/* A zombie thread-group leader whose other threads still run is a live process. */
static bool other_thread_runs(int32_t pid)
{
	char path[64], buf[512], st;
	struct dirent *de;
	bool runs = false;
	uint64_t start;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	if (!(d = opendir(path)))
		return false;
	while (!runs && (de = readdir(d))) {
		long tid = strtol(de->d_name, NULL, 10);
		size_t n;
		FILE *f;

		if (tid <= 0 || tid == pid)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%ld/stat", pid, tid);
		if (!(f = fopen(path, "re")))
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = 0;
		runs = !pid_stat_parse(buf, &st, &start) && st != 'Z' && st != 'X';
	}
	closedir(d);
	return runs;
}

enum pid_state pid_state_read(int32_t pid, int64_t since)
{
	char path[48], buf[1024], st;
	uint64_t start;
	long hz = sysconf(_SC_CLK_TCK);
	size_t n;
	FILE *f;

	if (pid <= 0)
		return PID_RUNNING;   /* no pid recorded: nothing to judge */
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (!(f = fopen(path, "re")))
		return errno == ENOENT || errno == ESRCH ? PID_GONE : PID_RUNNING;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	if (pid_stat_parse(buf, &st, &start))
		return PID_RUNNING;
	if ((st == 'Z' || st == 'X') && !other_thread_runs(pid))
		return PID_ZOMBIE;
	if (since > 0 && hz > 0 && boot_time() > 0 &&
	    boot_time() + (int64_t)(start / (uint64_t)hz) > since + REUSE_SLACK_S)
		return PID_REUSED;
	return PID_RUNNING;
}
