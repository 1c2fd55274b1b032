// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Which IPC namespaces exist (see nslist.h). */
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

#include "tables/iterread.h"
#include "tables/nslist.h"
#include "tables/proc.h"
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

/* A reading: entries in the order found, duplicates removed at the end. */
struct list_job {
	struct ipcns_entry *v;
	size_t n, cap;
};

/* The end of a reading: its entries, one per namespace, or err (none). */
static int list_done(struct list_job *j, int err, struct ipcns_entry **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (err) {
		free(j->v);
		return err;
	}
	ipcns_entries_unique(j->v, &j->n);
	*out = j->v;
	*n = j->n;
	return 0;
}

static int add_rec(const void *rec, void *ctx)
{
	const struct ipcns_rec *r = rec;
	struct list_job *j = ctx;

	if (vec_grow(j->v, j->n, j->cap))
		return -ENOMEM;
	j->v[j->n] = (struct ipcns_entry){ .inode = r->inode, .pid = (int32_t)r->tgid };
	memcpy(j->v[j->n].comm, r->comm, sizeof(j->v[j->n].comm));
	j->v[j->n].comm[sizeof(j->v[j->n].comm) - 1] = 0;
	j->n++;
	return 0;
}

static int iter_read(struct nslist *l, struct ipcns_entry **out, size_t *n)
{
	struct list_job j = { 0 };
	struct ipcns_rec rec;
	int err;

	l->skel->bss->reading++;
	err = iter_each_record(l->skel->links.dump_ipcns, &rec, sizeof(rec), add_rec, &j);
	return list_done(&j, err, out, n);
}

static int list_one(int32_t pid, uint32_t ipcns, void *ctx)
{
	struct list_job *j = ctx;
	char path[64];
	FILE *f;

	for (size_t i = 0; i < j->n; i++)
		if (j->v[i].inode == ipcns)
			return 0;
	if (vec_grow(j->v, j->n, j->cap))
		return -ENOMEM;
	j->v[j->n] = (struct ipcns_entry){ .inode = ipcns, .pid = pid };
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	if ((f = fopen(path, "re"))) {
		char *c = j->v[j->n].comm;

		if (fgets(c, sizeof(j->v[j->n].comm), f))
			c[strcspn(c, "\n")] = 0;
		fclose(f);
	}
	j->n++;
	return 0;
}

int ipcns_list(struct ipcns_entry **out, size_t *n)
{
	struct list_job j = { 0 };

	return list_done(&j, proc_each_ipcns(list_one, &j), out, n);
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
