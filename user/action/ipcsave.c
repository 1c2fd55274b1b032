// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Save directories for `clean --save` (see ipcsave.h for the format). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "action/ipcsave.h"
#include "util/vec.h"
#include "view/leaks_view.h"

#ifndef MSG_COPY
#define MSG_COPY 040000
#endif

struct saved_msg {
	long mtype;
	size_t len;
	char *body;
};

struct entry {
	char *json;               /* one rendered manifest object */
	char file[64];            /* data file, "" if none */
};

struct ipcsave {
	int dirfd;
	struct entry *v;
	size_t n, cap;
	/* messages taken from a queue (no MSG_COPY), for putback */
	struct saved_msg *taken;
	size_t ntaken;
};

int ipcsave_open(struct ipcsave **out, const char *dir)
{
	struct ipcsave *s;
	int fd;

	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (!faccessat(fd, IPCSAVE_MANIFEST, F_OK, 0)) {
		close(fd);
		return -EEXIST;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		close(fd);
		return -ENOMEM;
	}
	s->dirfd = fd;
	*out = s;
	return 0;
}

size_t ipcsave_count(const struct ipcsave *s)
{
	return s ? s->n : 0;
}

static void free_taken(struct ipcsave *s)
{
	for (size_t i = 0; i < s->ntaken; i++)
		free(s->taken[i].body);
	free(s->taken);
	s->taken = NULL;
	s->ntaken = 0;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= n;
	}
	return 0;
}

static int create_file(struct ipcsave *s, const char *name)
{
	int fd = openat(s->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	return fd < 0 ? -errno : fd;
}

static int close_file(int fd)
{
	int err = fsync(fd) ? -errno : 0;

	if (close(fd) && !err)
		err = -errno;
	return err;
}

static int write_manifest(struct ipcsave *s);

/* Render the manifest entry for k; `extra` adds the kind's own fields. */
static int add_entry(struct ipcsave *s, const struct leak *k, const struct ipc_perm *perm,
		     const char *file, void (*extra)(struct jsonw *, void *), void *arg)
{
	struct entry *e;
	struct jsonw w;
	size_t len = 0;
	char *buf = NULL;
	FILE *f;

	if (vec_grow(s->v, s->n, s->cap))
		return -ENOMEM;
	f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;
	jsonw_init(&w, f, false);
	jsonw_start_object(&w);
	jsonw_string_field(&w, "kind", kind_name(k->kind));
	jsonw_int_field(&w, "id", k->id);
	jsonw_uint_field(&w, "key", (uint32_t)perm->__key);
	jsonw_uint_field(&w, "mode", perm->mode & 0777);
	jsonw_uint_field(&w, "uid", perm->uid);
	jsonw_uint_field(&w, "gid", perm->gid);
	jsonw_uint_field(&w, "cuid", perm->cuid);
	jsonw_uint_field(&w, "cgid", perm->cgid);
	extra(&w, arg);
	jsonw_string_field(&w, "file", file && file[0] ? file : NULL);
	jsonw_string_field(&w, "reason", k->reason);
	jsonw_int_field(&w, "age_s", k->age_s);
	jsonw_name(&w, "creator");
	leaks_json_creator(&w, k);
	jsonw_end_object(&w);
	if (fclose(f)) {
		free(buf);
		return -ENOMEM;
	}
	e = &s->v[s->n++];
	e->json = buf;
	snprintf(e->file, sizeof(e->file), "%s", file ? file : "");
	return write_manifest(s);
}

void ipcsave_forget_last(struct ipcsave *s)
{
	struct entry *e;

	if (!s || !s->n)
		return;
	e = &s->v[--s->n];
	if (e->file[0])
		unlinkat(s->dirfd, e->file, 0);
	free(e->json);
	write_manifest(s);
}

/* ---- shm ----------------------------------------------------------- */

static void shm_extra(struct jsonw *w, void *arg)
{
	const struct shmid_ds *ds = arg;

	jsonw_uint_field(w, "size", ds->shm_segsz);
}

int ipcsave_shm(struct ipcsave *s, const struct leak *k, void **attached)
{
	struct shmid_ds ds;
	char file[64];
	void *p;
	int fd, err;

	*attached = NULL;
	if (shmctl(k->id, IPC_STAT, &ds))
		return -errno;
	p = shmat(k->id, NULL, SHM_RDONLY);
	if (p == (void *)-1)
		return -errno;
	snprintf(file, sizeof(file), "shm-%d.bin", k->id);
	fd = create_file(s, file);
	if (fd < 0) {
		shmdt(p);
		return fd;
	}
	err = write_all(fd, p, ds.shm_segsz);
	if (close_file(fd) && !err)
		err = -EIO;
	if (!err)
		err = add_entry(s, k, &ds.shm_perm, file, shm_extra, &ds);
	if (err) {
		unlinkat(s->dirfd, file, 0);
		shmdt(p);
		return err;
	}
	*attached = p;
	return 0;
}

/* ---- sem ----------------------------------------------------------- */

struct sem_arg {
	struct semid_ds ds;
	unsigned short *vals;
};

static void sem_extra(struct jsonw *w, void *arg)
{
	const struct sem_arg *a = arg;

	jsonw_uint_field(w, "nsems", a->ds.sem_nsems);
	jsonw_name(w, "values");
	jsonw_start_array(w);
	for (unsigned long i = 0; i < a->ds.sem_nsems; i++)
		jsonw_uint(w, a->vals[i]);
	jsonw_end_array(w);
}

int ipcsave_sem(struct ipcsave *s, const struct leak *k)
{
	struct sem_arg a;
	int err;

	if (semctl(k->id, 0, IPC_STAT, &a.ds))
		return -errno;
	a.vals = calloc(a.ds.sem_nsems ? a.ds.sem_nsems : 1, sizeof(*a.vals));
	if (!a.vals)
		return -ENOMEM;
	if (semctl(k->id, 0, GETALL, a.vals)) {
		err = -errno;
		free(a.vals);
		return err;
	}
	err = add_entry(s, k, &a.ds.sem_perm, NULL, sem_extra, &a);
	free(a.vals);
	return err;
}

/* ---- msg ----------------------------------------------------------- */

struct msg_arg {
	struct msqid_ds ds;
	size_t count;
};

static void msg_extra(struct jsonw *w, void *arg)
{
	const struct msg_arg *a = arg;

	jsonw_uint_field(w, "qbytes", a->ds.msg_qbytes);
	jsonw_uint_field(w, "messages", a->count);
}

static long msgmax(void)
{
	FILE *f = fopen("/proc/sys/kernel/msgmax", "re");
	long v = 8192;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = 8192;
		fclose(f);
	}
	return v;
}

static int push_taken(struct ipcsave *s, long mtype, const char *body, size_t len)
{
	struct saved_msg *v = realloc(s->taken, (s->ntaken + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	s->taken = v;
	v[s->ntaken].mtype = mtype;
	v[s->ntaken].len = len;
	v[s->ntaken].body = malloc(len ? len : 1);
	if (!v[s->ntaken].body)
		return -ENOMEM;
	memcpy(v[s->ntaken].body, body, len);
	s->ntaken++;
	return 0;
}

int ipcsave_msg(struct ipcsave *s, const struct leak *k, bool allow_take, bool *taken)
{
	struct msg_arg a = { 0 };
	size_t max;
	struct { long mtype; char text[]; } *buf;
	char file[64];
	bool copy = true;
	int fd, err = 0;

	*taken = false;
	free_taken(s);
	if (msgctl(k->id, IPC_STAT, &a.ds))
		return -errno;
	max = a.ds.msg_qbytes > (unsigned long)msgmax() ? a.ds.msg_qbytes : (size_t)msgmax();
	buf = malloc(sizeof(long) + max);
	if (!buf)
		return -ENOMEM;
	snprintf(file, sizeof(file), "msg-%d.bin", k->id);
	fd = create_file(s, file);
	if (fd < 0) {
		free(buf);
		return fd;
	}
	for (unsigned long i = 0;; i++) {
		ssize_t n;
		uint64_t hdr[2];

		if (copy && i >= a.ds.msg_qnum)
			break;
		n = copy ? msgrcv(k->id, buf, max, i, IPC_NOWAIT | MSG_COPY)
			 : msgrcv(k->id, buf, max, 0, IPC_NOWAIT | MSG_NOERROR);
		if (n < 0 && copy && errno == ENOSYS && i == 0 && allow_take) {
			copy = false;        /* no MSG_COPY in this kernel: take them */
			*taken = true;
			i = -1;
			continue;
		}
		if (n < 0) {
			if (!copy && errno == ENOMSG)
				break;
			err = -errno;
			break;
		}
		if (!copy && (err = push_taken(s, buf->mtype, buf->text, n)))
			break;
		hdr[0] = (uint64_t)buf->mtype;
		hdr[1] = (uint64_t)n;
		if ((err = write_all(fd, hdr, sizeof(hdr))) || (err = write_all(fd, buf->text, n)))
			break;
		a.count++;
	}
	free(buf);
	if (close_file(fd) && !err)
		err = -EIO;
	if (!err)
		err = add_entry(s, k, &a.ds.msg_perm, file, msg_extra, &a);
	if (err) {
		unlinkat(s->dirfd, file, 0);
		if (*taken)
			ipcsave_msg_putback(s, k->id);
		*taken = false;
	}
	return err;
}

int ipcsave_msg_putback(struct ipcsave *s, int id)
{
	int err = 0;

	for (size_t i = 0; i < s->ntaken && !err; i++) {
		struct saved_msg *m = &s->taken[i];
		struct { long mtype; char text[]; } *buf = malloc(sizeof(long) + m->len);

		if (!buf)
			return -ENOMEM;
		buf->mtype = m->mtype;
		memcpy(buf->text, m->body, m->len);
		if (msgsnd(id, buf, m->len, IPC_NOWAIT))
			err = -errno;
		free(buf);
	}
	free_taken(s);
	return err;
}

/*
 * (Re)write manifest.json atomically after every change, so that an
 * interrupted clean still leaves a usable save directory.
 */
static int write_manifest(struct ipcsave *s)
{
	char tmp[] = IPCSAVE_MANIFEST ".tmp";
	char head[128];
	int fd, err;

	unlinkat(s->dirfd, tmp, 0);
	fd = create_file(s, tmp);
	if (fd < 0)
		return fd;
	snprintf(head, sizeof(head), "{\"version\": 1, \"saved_at\": %lld, \"objects\": [\n",
		 (long long)time(NULL));
	err = write_all(fd, head, strlen(head));
	for (size_t i = 0; i < s->n && !err; i++) {
		if (i)
			err = write_all(fd, ",\n", 2);
		if (!err)
			err = write_all(fd, s->v[i].json, strlen(s->v[i].json));
	}
	if (!err)
		err = write_all(fd, "\n]}\n", 4);
	if (close_file(fd) && !err)
		err = -EIO;
	if (!err && renameat(s->dirfd, tmp, s->dirfd, IPCSAVE_MANIFEST))
		err = -errno;
	return err;
}

int ipcsave_close(struct ipcsave *s)
{
	int err;

	if (!s)
		return 0;
	err = write_manifest(s);
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].json);
	free(s->v);
	free_taken(s);
	close(s->dirfd);
	free(s);
	return err;
}
