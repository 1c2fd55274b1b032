// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <dirent.h>
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

#include "record/codec.h"
#include "source/nsread.h"
#include "util/vec.h"

static int child_read(int32_t pid, int wfd, unsigned int what)
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
	err = snapshot_read(&s, what);
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

int snapshot_read_pid_ns(int32_t pid, struct ipc_snapshot *s, unsigned int what)
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
		_exit(child_read(pid, pfd[1], what));
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

static int cmp_ns(const void *a, const void *b)
{
	const struct ipcns_entry *x = a, *y = b;

	return (x->inode > y->inode) - (x->inode < y->inode);
}

int ipcns_list(struct ipcns_entry **out, size_t *n)
{
	struct ipcns_entry *v = NULL;
	size_t cnt = 0, cap = 0;
	struct dirent *de;
	DIR *d = opendir("/proc");

	*out = NULL;
	*n = 0;
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char path[64], *end;
		long pid = strtol(de->d_name, &end, 10);
		struct stat st;
		bool seen = false;

		if (*end || pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/ns/ipc", pid);
		if (stat(path, &st))
			continue;
		for (size_t i = 0; i < cnt && !seen; i++)
			seen = v[i].inode == (uint32_t)st.st_ino;
		if (seen)
			continue;
		if (vec_grow(v, cnt, cap)) {
			free(v);
			closedir(d);
			return -ENOMEM;
		}
		v[cnt].inode = (uint32_t)st.st_ino;
		v[cnt].pid = (int32_t)pid;
		v[cnt].comm[0] = 0;
		snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
		FILE *f = fopen(path, "re");
		if (f) {
			if (fgets(v[cnt].comm, sizeof(v[cnt].comm), f))
				v[cnt].comm[strcspn(v[cnt].comm, "\n")] = 0;
			fclose(f);
		}
		cnt++;
	}
	closedir(d);
	if (cnt)
		qsort(v, cnt, sizeof(*v), cmp_ns);
	*out = v;
	*n = cnt;
	return 0;
}
