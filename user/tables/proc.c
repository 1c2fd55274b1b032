// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Process facts from /proc/PID. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tables/pidstate.h"
#include "tables/proc.h"
#include "tables/procmeta.h"

static ssize_t read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = -errno;
	else
		buf[n] = 0;
	close(fd);
	return n;
}

/*
 * The one liveness rule (tables/pidstate.c): a process is alive while it
 * exists and has not exited.  A zombie still has /proc/PID and answers
 * kill(pid, 0), but it has exited: its segments are orphans.  PID 1 in some
 * containers never reaps, so zombies can last forever.
 */
bool proc_alive(int32_t pid)
{
	return pid > 0 && pid_state_read(pid, 0) == PID_RUNNING;
}

/*
 * Container runtimes put a long hex id in the cgroup path:
 * docker-<id>.scope, cri-containerd-<id>.scope, crio-<id>.scope,
 * libpod-<id>.scope, or /docker/<id>.  The id is the last run of 32 or
 * more hex digits that stands alone (not inside a longer word), kept
 * whole: `docker ps --no-trunc`, crictl and Kubernetes' containerID name
 * it so (views may shorten it).  The one rule for every view.
 */
bool cgroup_container_id(const char *cg, char *out, size_t len)
{
	const char *best = NULL;
	size_t bestlen = 0;

	if (len)
		out[0] = '\0';
	for (const char *p = cg; *p;) {
		size_t n = 0;

		while (isxdigit((unsigned char)p[n]))
			n++;
		if (n >= 32 && (p == cg || !isalnum((unsigned char)p[-1])) &&
		    !isalnum((unsigned char)p[n])) {
			best = p;
			bestlen = n;
		}
		p += n ? n : 1;
	}
	if (!best || bestlen >= len)
		return false;
	memcpy(out, best, bestlen);
	out[bestlen] = '\0';
	return true;
}

int proc_info_read(int32_t pid, struct proc_info *pi)
{
	struct proc_meta m;
	char path[64], buf[4096], *p;
	struct stat st;
	ssize_t n;

	memset(pi, 0, sizeof(*pi));
	pi->pid = pid;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	n = read_file(path, buf, sizeof(buf));
	if (n <= 0)
		return -ESRCH;
	/* comm is between the first '(' and the last ')' */
	p = strrchr(buf, ')');
	{
		enum pid_state ps = pid_state_read(pid, 0);

		pi->alive = ps == PID_RUNNING;
		pi->zombie = ps == PID_ZOMBIE;
	}
	if (p) {
		char *l = strchr(buf, '(');
		size_t cl = l ? (size_t)(p - l - 1) : 0;

		if (l && cl < sizeof(pi->comm)) {
			memcpy(pi->comm, l + 1, cl);
			pi->comm[cl] = 0;
		}
		/* field 22 (starttime) is the 20th after ") " */
		unsigned long long start = 0;
		if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u "
			   "%*d %*d %*d %*d %*d %*d %llu", &start) == 1)
			pi->starttime = start;
	}

	/* the one parser of a process's /proc files (tables/procmeta.c) */
	if (procmeta_read(pid, &m) == 0) {
		snprintf(pi->cmdline, sizeof(pi->cmdline), "%s", m.cmdline);
		snprintf(pi->exe, sizeof(pi->exe), "%s", m.exe);
		snprintf(pi->cgroup, sizeof(pi->cgroup), "%s", m.cgroup);
		snprintf(pi->container, sizeof(pi->container), "%s", m.container);
		pi->ipcns = m.ipcns;
	}
	if (!pi->cmdline[0])   /* kernel threads and zombies have none */
		snprintf(pi->cmdline, sizeof(pi->cmdline), "[%s]", pi->comm);
	snprintf(path, sizeof(path), "/proc/%d", pid);
	if (!stat(path, &st))
		pi->uid = st.st_uid;
	return 0;
}

uint32_t proc_self_ipcns(void)
{
	struct stat st;

	return stat("/proc/self/ns/ipc", &st) ? 0 : (uint32_t)st.st_ino;
}

int proc_each_ipcns(int (*each)(int32_t pid, uint32_t ipcns, void *ctx), void *ctx)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int ret = 0;

	if (!d)
		return -errno;
	while (!ret && (de = readdir(d))) {
		char path[64], *end;
		long pid = strtol(de->d_name, &end, 10);
		struct stat st;

		if (*end || pid <= 0 || pid > INT32_MAX)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/ns/ipc", pid);
		if (stat(path, &st))
			continue;
		ret = each((int32_t)pid, (uint32_t)st.st_ino, ctx);
	}
	closedir(d);
	return ret;
}
