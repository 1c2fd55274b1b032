// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Which IPC namespaces exist (see nslist.h). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ipcns_rec.h"
#include "ipcns_iter.skel.h"

#include "tables/nslist.h"
#include "util/vec.h"

/* The initial PID namespace's inode (PROC_PID_INIT_INO): task->tgid is a pid here. */
#define PID_INIT_INO 0xEFFFFFFCu

struct nslist {
	struct ipcns_iter_bpf *skel;   /* NULL: /proc */
};

/* By inode, then by place in the reading: a stable order of indices. */
static int cmp_index(const void *a, const void *b, void *arg)
{
	const struct ipcns_entry *v = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;

	if (v[i].inode != v[j].inode)
		return (v[i].inode > v[j].inode) - (v[i].inode < v[j].inode);
	return (i > j) - (i < j);
}

void ipcns_entries_unique(struct ipcns_entry *v, size_t *n)
{
	struct ipcns_entry *out;
	size_t *idx, j = 0;

	if (*n < 2)
		return;
	idx = malloc(*n * sizeof(*idx));
	out = malloc(*n * sizeof(*out));
	if (!idx || !out) {
		/* out of memory: keep the reading as it is (duplicates, unsorted) */
		free(idx);
		free(out);
		return;
	}
	for (size_t i = 0; i < *n; i++)
		idx[i] = i;
	qsort_r(idx, *n, sizeof(*idx), cmp_index, v);
	for (size_t i = 0; i < *n; i++)
		if (!j || out[j - 1].inode != v[idx[i]].inode)
			out[j++] = v[idx[i]];
	memcpy(v, out, j * sizeof(*v));
	*n = j;
	free(idx);
	free(out);
}

static bool host_pids(void)
{
	struct stat st;

	return !stat("/proc/self/ns/pid", &st) && (uint32_t)st.st_ino == PID_INIT_INO;
}

struct nslist *nslist_open(bool bpf)
{
	struct nslist *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	if (bpf && host_pids()) {
		l->skel = ipcns_iter_bpf__open_and_load();
		if (l->skel && ipcns_iter_bpf__attach(l->skel)) {
			ipcns_iter_bpf__destroy(l->skel);
			l->skel = NULL;
		}
	}
	return l;
}

const char *nslist_method(const struct nslist *l)
{
	return l && l->skel ? "task iterator" : "/proc";
}

void nslist_close(struct nslist *l)
{
	if (!l)
		return;
	ipcns_iter_bpf__destroy(l->skel);
	free(l);
}

static int iter_read(struct nslist *l, struct ipcns_entry **out, size_t *n)
{
	struct ipcns_entry *v = NULL;
	struct ipcns_rec rec;
	size_t cnt = 0, cap = 0, got = 0;
	int fd, err = 0;

	l->skel->bss->reading++;
	fd = bpf_iter_create(bpf_link__fd(l->skel->links.dump_ipcns));
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t r = read(fd, (char *)&rec + got, sizeof(rec) - got);

		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			err = -errno;
			break;
		}
		if (r == 0)
			break;
		got += (size_t)r;
		if (got < sizeof(rec))
			continue;
		got = 0;
		if (vec_grow(v, cnt, cap)) {
			err = -ENOMEM;
			break;
		}
		v[cnt].inode = rec.inode;
		v[cnt].pid = (int32_t)rec.tgid;
		memcpy(v[cnt].comm, rec.comm, sizeof(v[cnt].comm));
		v[cnt].comm[sizeof(v[cnt].comm) - 1] = 0;
		cnt++;
	}
	close(fd);
	if (err) {
		free(v);
		return err;
	}
	ipcns_entries_unique(v, &cnt);
	*out = v;
	*n = cnt;
	return 0;
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
	ipcns_entries_unique(v, &cnt);
	*out = v;
	*n = cnt;
	return 0;
}

int nslist_read(struct nslist *l, struct ipcns_entry **out, size_t *n)
{
	int err;

	*out = NULL;
	*n = 0;
	if (!l->skel)
		return ipcns_list(out, n);
	err = iter_read(l, out, n);
	if (!err)
		return 0;
	/* the iterator failed this time (out of memory in the kernel?): /proc */
	return ipcns_list(out, n);
}
