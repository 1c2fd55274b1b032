// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipcscope.h"
#include "record/codec.h"
#include "source/nsread.h"
#include "tables/proc.h"

/* The caller's namespace's tables, with the wait counts from `given` if any. */
static int read_here(struct ipc_snapshot *s, unsigned int what, const struct wait_facts *given)
{
	bool count = given && (what & SNAP_SEMVALS);
	int err = snapshot_read(s, what | (count ? SNAP_NOSEMCNT : 0));

	if (!err && count)
		snapshot_count_waiters(s, given);
	return err;
}

static int child_read(int32_t pid, int wfd, unsigned int what, const struct wait_facts *given)
{
	struct ipc_snapshot s;
	struct rbuf b = { 0 };
	char path[64];
	size_t off = 0;
	int fd, err;

	snprintf(path, sizeof(path), "/proc/%d/ns/ipc", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (setns(fd, CLONE_NEWIPC))
		return errno;
	close(fd);
	err = read_here(&s, what, given);
	if (err)
		return -err;
	rec_encode_snapshot(&b, 0, &s);
	if (b.oom)
		return ENOMEM;
	while (off < b.len) {
		ssize_t n = write(wfd, b.p + off, b.len - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		off += (size_t)n;
	}
	return 0;
}

int snapshot_read_pid_ns(int32_t pid, struct ipc_snapshot *s, unsigned int what,
			 const struct wait_facts *given)
{
	struct rbuf b = { 0 };
	struct rcur c;
	unsigned int role;
	int pfd[2], status, err = 0;
	pid_t child;

	memset(s, 0, sizeof(*s));
	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	child = fork();
	if (child < 0) {
		err = -errno;
		close(pfd[0]);
		close(pfd[1]);
		return err;
	}
	if (child == 0) {
		close(pfd[0]);
		_exit(child_read(pid, pfd[1], what, given));
	}
	close(pfd[1]);
	for (;;) {
		ssize_t n;

		if (!rbuf_reserve(&b, 65536)) {
			err = -ENOMEM;
			break;
		}
		n = read(pfd[0], b.p + b.len, b.cap - b.len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		b.len += (size_t)n;
	}
	close(pfd[0]);
	if (err)
		kill(child, SIGKILL);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	if (!err && WIFEXITED(status) && WEXITSTATUS(status))
		err = -WEXITSTATUS(status);
	else if (!err && !WIFEXITED(status))
		err = -ECHILD;
	if (!err) {
		rcur_init(&c, b.p, b.len);
		err = rec_decode_snapshot(&c, &role, s);
		if (!err && c.bad)
			err = -EPROTO;
	}
	rbuf_free(&b);
	return err;
}

void snapshots_free(struct ipc_snapshot *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		snapshot_free(&v[i]);
	free(v);
}

int snapshot_read_all_ns(struct nslist *l, unsigned int what, const struct wait_facts *given,
			 struct ipc_snapshot **out, size_t *n)
{
	struct ipcns_entry *ns = NULL;
	struct ipc_snapshot *v;
	uint32_t self = proc_self_ipcns();
	size_t cnt = 0, k = 0;
	int err;

	*out = NULL;
	*n = 0;
	err = l ? nslist_read(l, &ns, &cnt) : ipcns_list(&ns, &cnt);
	if (err)
		return err;
	v = calloc(cnt ? cnt : 1, sizeof(*v));
	if (!v) {
		free(ns);
		return -ENOMEM;
	}
	for (size_t i = 0; i < cnt; i++) {
		struct ipc_snapshot *s = &v[k];

		if (ns[i].inode == self) {
			err = read_here(s, what, given);
			if (err) {
				/* our own tables: no reason to pass over them */
				free(ns);
				snapshots_free(v, k);
				return err;
			}
		} else if ((err = snapshot_read_pid_ns(ns[i].pid, s, what, given))) {
			/* its last process may have exited meanwhile: no objects */
			debugmsg("IPC namespace %u (pid %d) not read: %s", ns[i].inode, ns[i].pid,
				 strerror(-err));
			snapshot_free(s);
			continue;
		}
		s->ipcns = ns[i].inode;
		k++;
	}
	free(ns);
	*out = v;
	*n = k;
	return 0;
}
