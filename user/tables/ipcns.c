// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* setns() into an IPC namespace given as a PID or an inode number. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipcscope.h"
#include "opts.h"
#include "tables/ipcns.h"
#include "tables/proc.h"

struct open_job {
	uint32_t inode;
	int fd;
};

static int open_one(int32_t pid, uint32_t ipcns, void *ctx)
{
	struct open_job *j = ctx;
	char path[64];

	if (ipcns != j->inode)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/ns/ipc", pid);
	j->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (j->fd >= 0)
		return 1;
	j->fd = -errno;   /* exited meanwhile? another process may do */
	return 0;
}

/* Any process whose IPC namespace has this inode. */
static int open_by_inode(uint32_t inode)
{
	struct open_job j = { .inode = inode, .fd = -ENOENT };
	int err = proc_each_ipcns(open_one, &j);

	return err < 0 ? err : j.fd;
}

int ipcns_enter(const char *arg)
{
	uint32_t inode;
	int fd, err;

	err = resolve_ipcns(arg, &inode);
	if (err)
		return err < 0 ? err : -EINVAL;
	if (inode == self_ipcns())
		return 0;
	fd = open_by_inode(inode);
	if (fd < 0)
		return fd;
	err = setns(fd, CLONE_NEWIPC) ? -errno : 0;
	close(fd);
	return err;
}

int ipcns_enter_arg(const char *arg)
{
	int err = ipcns_enter(arg);

	if (err)
		return errmsg(err == -EPERM || err == -EACCES ? EX_NOPERM : EX_USAGE,
			      "cannot enter the IPC namespace '%s': %s: %s", arg, strerror(-err),
			      err == -EPERM ? "setns needs CAP_SYS_ADMIN (run as root)"
			      : err == -EACCES ? "run as root or as that process's user"
					    : "give a live PID or a namespace inode (see `lsns -t ipc`)");
	return 0;
}
