// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The facts beside the IPC tables that the audit rules judge (see
 * auditfacts.h).  Every read here is cheap: a few small /proc files, one
 * statvfs, and one mq_open + mq_getattr per POSIX queue.
 */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tables/auditfacts.h"

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

int meminfo_parse(FILE *f, struct mem_facts *m)
{
	char line[256];
	int got = 0;

	memset(m, 0, sizeof(*m));
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v;

		if (sscanf(line, "MemTotal: %llu kB", &v) == 1)
			m->mem_total = v * 1024, got++;
		else if (sscanf(line, "Hugepagesize: %llu kB", &v) == 1)
			m->hugepage_size = v * 1024;
		else if (sscanf(line, "HugePages_Total: %llu", &v) == 1)
			m->hugepages_total = v;
		else if (sscanf(line, "HugePages_Free: %llu", &v) == 1)
			m->hugepages_free = v;
	}
	return got ? 0 : -EINVAL;
}

int meminfo_read(struct mem_facts *m)
{
	FILE *f = fopen("/proc/meminfo", "re");
	int err;

	if (!f) {
		memset(m, 0, sizeof(*m));
		return -errno;
	}
	err = meminfo_parse(f, m);
	fclose(f);
	return err;
}

static int read_u64(const char *path, uint64_t *v)
{
	FILE *f = fopen(path, "re");
	unsigned long long x;
	int ok;

	if (!f)
		return -errno;
	ok = fscanf(f, "%llu", &x) == 1;
	fclose(f);
	if (!ok)
		return -EINVAL;
	*v = x;
	return 0;
}

uint32_t ipcns_of(int32_t pid)
{
	char path[48];
	struct stat st;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/ns/ipc", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/ns/ipc");
	return stat(path, &st) ? 0 : (uint32_t)st.st_ino;
}

/* Read everything in the caller's namespace. */
static void read_here(const struct ipc_snapshot *snap, struct ns_facts *o)
{
	uint64_t v;

	memset(o, 0, sizeof(*o));
	o->ipcns = ipcns_of(0);
	o->have_limits = limits_read(&o->limits, snap) == 0;
	o->shm_rmid_forced = read_u64("/proc/sys/kernel/shm_rmid_forced", &v) ? -1 : (int)v;
	if (!read_u64("/proc/sys/fs/mqueue/queues_max", &v))
		o->mq_queues_max = v;
	if (!read_u64("/proc/sys/fs/mqueue/msg_max", &v))
		o->mq_msg_max = v;
	if (!read_u64("/proc/sys/fs/mqueue/msgsize_max", &v))
		o->mq_msgsize_max = v;
	if (!read_u64("/proc/sys/fs/mqueue/msg_default", &v))
		o->mq_msg_default = v;
	if (!read_u64("/proc/sys/fs/mqueue/msgsize_default", &v))
		o->mq_msgsize_default = v;
}

int ns_facts_read(int32_t pid, const struct ipc_snapshot *snap, struct ns_facts *out)
{
	int pfd[2], status;
	ssize_t n;
	pid_t child;

	if (!pid) {
		read_here(snap, out);
		return 0;
	}
	memset(out, 0, sizeof(*out));
	out->shm_rmid_forced = -1;
	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	child = fork();
	if (child < 0) {
		int e = errno;

		close(pfd[0]);
		close(pfd[1]);
		return -e;
	}
	if (child == 0) {
		/* the struct holds pointers to string literals: valid in the parent,
		 * which runs the same image */
		struct ns_facts f;
		char path[48];
		int fd;

		close(pfd[0]);
		snprintf(path, sizeof(path), "/proc/%d/ns/ipc", pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, CLONE_NEWIPC))
			_exit(1);
		read_here(snap, &f);
		_exit(write(pfd[1], &f, sizeof(f)) == (ssize_t)sizeof(f) ? 0 : 2);
	}
	close(pfd[1]);
	do
		n = read(pfd[0], out, sizeof(*out));
	while (n < 0 && errno == EINTR);
	close(pfd[0]);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(*out)) {
		memset(out, 0, sizeof(*out));
		out->shm_rmid_forced = -1;
		return -EPERM;   /* setns refused (needs CAP_SYS_ADMIN) or the process left */
	}
	return 0;
}

int devshm_read(const char *dir, struct devshm_facts *d)
{
	struct statfs sf;
	struct statvfs sv;

	memset(d, 0, sizeof(*d));
	if (statfs(dir, &sf) || statvfs(dir, &sv))
		return -errno;
	if ((unsigned long)sf.f_type != TMPFS_MAGIC || !sv.f_blocks)
		return 0;   /* not a tmpfs, or one without a size limit */
	d->known = true;
	d->size = (uint64_t)sv.f_blocks * sv.f_frsize;
	d->used = (uint64_t)(sv.f_blocks - sv.f_bfree) * sv.f_frsize;
	d->inodes = sv.f_files;
	d->inodes_used = sv.f_files - sv.f_ffree;
	return 0;
}

int mq_attrs_read(const struct posix_table *t, struct mq_attrs **out)
{
	struct mq_attrs *a = calloc(t->nmq ? t->nmq : 1, sizeof(*a));

	*out = a;
	if (!a)
		return -ENOMEM;
	for (size_t i = 0; i < t->nmq; i++) {
		/* O_RDONLY|O_NONBLOCK: opening neither creates, receives nor notifies */
		mqd_t q = mq_open(t->mq[i].name, O_RDONLY | O_NONBLOCK);
		struct mq_attr at;

		if (q == (mqd_t)-1)
			continue;
		if (!mq_getattr(q, &at)) {
			a[i].known = true;
			a[i].maxmsg = at.mq_maxmsg;
			a[i].msgsize = at.mq_msgsize;
			a[i].curmsgs = at.mq_curmsgs;
		}
		mq_close(q);
	}
	return 0;
}
