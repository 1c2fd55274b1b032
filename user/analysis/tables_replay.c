// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The IPC tables rebuilt from the events (see tables_replay.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>

#include "analysis/tables_replay.h"
#include "util/u64map.h"
#include "util/vec.h"

#ifndef MSG_COPY
#define MSG_COPY 040000
#endif

struct att {
	int32_t pid;
	uint32_t n;
};

struct rshm {
	struct shm_obj o;
	uint64_t base;             /* attachments from before the events */
	struct att *att;           /* traced attachments by process */
	size_t natt, catt;
};

struct tables_replay {
	uint32_t ipcns;
	int64_t mono_to_real_ns;
	uint64_t last_ts;
	int64_t start_real;
	struct rshm *shm; size_t nshm, cshm;
	struct sem_obj *sem; size_t nsem, csem;
	struct msg_obj *msg; size_t nmsg, cmsg;
	struct u64map index;       /* (kind, id) -> index in its array */
};

static uint64_t key_of(unsigned int kind, int32_t id)
{
	return ((uint64_t)(kind & 0xff) << 32 | (uint32_t)id) + (1ull << 40);
}

static int64_t real_s(const struct tables_replay *t, uint64_t ts_ns)
{
	if (!ts_ns)
		return t->start_real;
	return (int64_t)((ts_ns + (uint64_t)t->mono_to_real_ns) / 1000000000ull);
}

static long find(const struct tables_replay *t, unsigned int kind, int32_t id)
{
	struct u64kv *e = u64map_find(&t->index, key_of(kind, id));

	return e ? (long)e->v : -1;
}

static uint64_t nattch(const struct rshm *s)
{
	uint64_t n = s->base;

	for (size_t i = 0; i < s->natt; i++)
		n += s->att[i].n;
	return n;
}

/* Remove entry i of a kind's array: the last one moves into its place. */
static void drop(struct tables_replay *t, unsigned int kind, size_t i)
{
	size_t last;

	switch (kind) {
	case KIND_SHM:
		u64map_del(&t->index, key_of(kind, t->shm[i].o.c.id));
		free(t->shm[i].att);
		last = --t->nshm;
		if (i != last) {
			t->shm[i] = t->shm[last];
			u64map_put(&t->index, key_of(kind, t->shm[i].o.c.id), i);
		}
		break;
	case KIND_SEM:
		u64map_del(&t->index, key_of(kind, t->sem[i].c.id));
		last = --t->nsem;
		if (i != last) {
			t->sem[i] = t->sem[last];
			u64map_put(&t->index, key_of(kind, t->sem[i].c.id), i);
		}
		break;
	case KIND_MSG:
		u64map_del(&t->index, key_of(kind, t->msg[i].c.id));
		last = --t->nmsg;
		if (i != last) {
			t->msg[i] = t->msg[last];
			u64map_put(&t->index, key_of(kind, t->msg[i].c.id), i);
		}
		break;
	}
}

static void fill_common(struct ipc_common *c, const struct tables_replay *t,
			const struct ev_call *e)
{
	memset(c, 0, sizeof(*c));
	c->id = e->id;
	c->key = e->key;
	c->mode = e->iflags & 0777;
	c->uid = c->cuid = e->h.uid;
	c->gid = c->cgid = e->h.gid;
	c->ctime = real_s(t, e->h.ts_ns);
	c->ipcns = t->ipcns ? t->ipcns : e->h.ipcns;
}

/* A successful *get: the object exists from now on (made now, or before). */
static long ensure(struct tables_replay *t, const struct ev_call *e, unsigned int kind)
{
	long i = find(t, kind, e->id);

	if (i >= 0)
		return i;
	switch (kind) {
	case KIND_SHM:
		if (vec_grow(t->shm, t->nshm, t->cshm))
			return -1;
		i = (long)t->nshm++;
		memset(&t->shm[i], 0, sizeof(t->shm[i]));
		fill_common(&t->shm[i].o.c, t, e);
		t->shm[i].o.size = e->size;
		t->shm[i].o.cpid = (int32_t)e->h.pid;
		break;
	case KIND_SEM:
		if (vec_grow(t->sem, t->nsem, t->csem))
			return -1;
		i = (long)t->nsem++;
		memset(&t->sem[i], 0, sizeof(t->sem[i]));
		fill_common(&t->sem[i].c, t, e);
		t->sem[i].nsems = e->nsops;
		break;
	case KIND_MSG:
		if (vec_grow(t->msg, t->nmsg, t->cmsg))
			return -1;
		i = (long)t->nmsg++;
		memset(&t->msg[i], 0, sizeof(t->msg[i]));
		fill_common(&t->msg[i].c, t, e);
		t->msg[i].qbytes = 16384;     /* MSGMNB's default; msgctl IPC_SET is not seen */
		break;
	default:
		return -1;
	}
	if (u64map_put(&t->index, key_of(kind, e->id), (uint64_t)i)) {
		drop(t, kind, (size_t)i);
		return -1;
	}
	return i;
}

static void attach(struct rshm *s, int32_t pid, int delta)
{
	for (size_t i = 0; i < s->natt; i++) {
		if (s->att[i].pid != pid)
			continue;
		if (delta > 0) {
			s->att[i].n++;
		} else if (s->att[i].n) {
			if (!--s->att[i].n)
				s->att[i] = s->att[--s->natt];
		}
		return;
	}
	if (delta > 0) {
		if (vec_grow(s->att, s->natt, s->catt))
			return;
		s->att[s->natt++] = (struct att){ .pid = pid, .n = 1 };
	} else if (s->base) {
		s->base--;               /* an attachment from before the events */
	}
}

static void on_call(struct tables_replay *t, const struct ev_call *e)
{
	unsigned int kind = e->kind ? e->kind : call_kind(e->call);
	long i;

	if (e->err || e->id < 0 || !kind)
		return;
	switch (e->call) {
	case CALL_SHMGET: case CALL_SEMGET: case CALL_MSGGET:
		ensure(t, e, kind);
		return;
	default:
		break;
	}
	i = find(t, kind, e->id);
	if (i < 0)
		return;                  /* made outside what was recorded */
	switch (e->call) {
	case CALL_SHMAT:
		attach(&t->shm[i], (int32_t)e->h.pid, 1);
		t->shm[i].o.atime = real_s(t, e->h.ts_ns);
		t->shm[i].o.lpid = (int32_t)e->h.pid;
		break;
	case CALL_SHMDT:
		attach(&t->shm[i], (int32_t)e->h.pid, -1);
		t->shm[i].o.dtime = real_s(t, e->h.ts_ns);
		t->shm[i].o.lpid = (int32_t)e->h.pid;
		if (t->shm[i].o.dest && !nattch(&t->shm[i]))
			drop(t, KIND_SHM, (size_t)i);
		break;
	case CALL_SHMCTL: case CALL_SEMCTL: case CALL_MSGCTL:
		if (e->cmd != IPC_RMID)
			break;
		if (kind == KIND_SHM && nattch(&t->shm[i])) {
			/* destroyed at the last detach; its key is gone at once */
			t->shm[i].o.dest = true;
			t->shm[i].o.c.key = IPC_PRIVATE;
			t->shm[i].o.c.mode |= 01000;     /* SHM_DEST as /proc shows it */
		} else {
			drop(t, kind, (size_t)i);
		}
		break;
	case CALL_SEMOP: case CALL_SEMTIMEDOP:
		t->sem[i].otime = real_s(t, e->h.ts_ns);
		break;
	case CALL_MSGSND:
		t->msg[i].qnum++;
		t->msg[i].cbytes += e->size;
		t->msg[i].lspid = (int32_t)e->h.pid;
		t->msg[i].stime = real_s(t, e->h.ts_ns);
		break;
	case CALL_MSGRCV:
		if (e->iflags & MSG_COPY)
			break;               /* a copy: the message stays */
		if (t->msg[i].qnum)
			t->msg[i].qnum--;
		if (e->ret > 0)
			t->msg[i].cbytes = t->msg[i].cbytes > (uint64_t)e->ret
						   ? t->msg[i].cbytes - (uint64_t)e->ret : 0;
		if (!t->msg[i].qnum)
			t->msg[i].cbytes = 0;
		t->msg[i].lrpid = (int32_t)e->h.pid;
		t->msg[i].rtime = real_s(t, e->h.ts_ns);
		break;
	default:
		break;
	}
}

/* An exited process detaches everything it had attached. */
static void on_exit_pid(struct tables_replay *t, int32_t pid)
{
	for (size_t i = 0; i < t->nshm;) {
		struct rshm *s = &t->shm[i];

		for (size_t k = 0; k < s->natt; k++)
			if (s->att[k].pid == pid) {
				s->att[k] = s->att[--s->natt];
				break;
			}
		if (s->o.dest && !nattch(s)) {
			drop(t, KIND_SHM, i);   /* the last entry moved to i */
			continue;
		}
		i++;
	}
}

int tables_replay_event(void *ctx, const struct ev_hdr *ev)
{
	struct tables_replay *t = ctx;

	if (ev->ts_ns > t->last_ts)
		t->last_ts = ev->ts_ns;
	if (ev->type == EV_EXIT) {
		on_exit_pid(t, (int32_t)ev->pid);
		return 0;
	}
	if (t->ipcns && ev->ipcns && ev->ipcns != t->ipcns)
		return 0;
	if (ev->type == EV_CALL) {
		on_call(t, (const struct ev_call *)ev);
	} else if (ev->type == EV_KOBJ) {
		const struct ev_kobj *k = (const void *)ev;
		long i = k->op == KOBJ_DESTROY ? find(t, k->kind, k->id) : -1;

		if (i >= 0)
			drop(t, k->kind, (size_t)i);
	}
	return 0;
}

struct tables_replay *tables_replay_new(const struct ipc_snapshot *start,
					int64_t mono_to_real_ns)
{
	struct tables_replay *t = calloc(1, sizeof(*t));
	int err = 0;

	if (!t)
		return NULL;
	t->mono_to_real_ns = mono_to_real_ns;
	if (!start)
		return t;
	t->ipcns = start->ipcns;
	t->start_real = start->taken_real;
	t->last_ts = start->taken_ns;
	for (size_t i = 0; !err && i < start->nshm; i++) {
		if ((err = vec_grow(t->shm, t->nshm, t->cshm)))
			break;
		memset(&t->shm[t->nshm], 0, sizeof(t->shm[0]));
		t->shm[t->nshm].o = start->shm[i];
		t->shm[t->nshm].o.attached = NULL;
		t->shm[t->nshm].o.nattached = 0;
		t->shm[t->nshm].base = start->shm[i].nattch;
		err = u64map_put(&t->index, key_of(KIND_SHM, start->shm[i].c.id), t->nshm++);
	}
	for (size_t i = 0; !err && i < start->nsem; i++) {
		if ((err = vec_grow(t->sem, t->nsem, t->csem)))
			break;
		t->sem[t->nsem] = start->sem[i];
		t->sem[t->nsem].sems = NULL;    /* values change: none rather than stale */
		err = u64map_put(&t->index, key_of(KIND_SEM, start->sem[i].c.id), t->nsem++);
	}
	for (size_t i = 0; !err && i < start->nmsg; i++) {
		if ((err = vec_grow(t->msg, t->nmsg, t->cmsg)))
			break;
		t->msg[t->nmsg] = start->msg[i];
		err = u64map_put(&t->index, key_of(KIND_MSG, start->msg[i].c.id), t->nmsg++);
	}
	if (err) {
		tables_replay_free(t);
		return NULL;
	}
	return t;
}

void tables_replay_free(struct tables_replay *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nshm; i++)
		free(t->shm[i].att);
	free(t->shm);
	free(t->sem);
	free(t->msg);
	u64map_free(&t->index);
	free(t);
}

static int cmp_shm(const void *a, const void *b)
{
	const struct shm_obj *x = a, *y = b;

	return (x->c.id > y->c.id) - (x->c.id < y->c.id);
}

static int cmp_sem(const void *a, const void *b)
{
	const struct sem_obj *x = a, *y = b;

	return (x->c.id > y->c.id) - (x->c.id < y->c.id);
}

static int cmp_msg(const void *a, const void *b)
{
	const struct msg_obj *x = a, *y = b;

	return (x->c.id > y->c.id) - (x->c.id < y->c.id);
}

int tables_replay_snapshot(const struct tables_replay *t, struct ipc_snapshot *out)
{
	memset(out, 0, sizeof(*out));
	out->ipcns = t->ipcns;
	out->taken_ns = t->last_ts;
	out->taken_real = real_s(t, t->last_ts);
	if (t->nshm && !(out->shm = calloc(t->nshm, sizeof(*out->shm))))
		goto oom;
	if (t->nsem && !(out->sem = calloc(t->nsem, sizeof(*out->sem))))
		goto oom;
	if (t->nmsg && !(out->msg = calloc(t->nmsg, sizeof(*out->msg))))
		goto oom;
	for (size_t i = 0; i < t->nshm; i++) {
		out->shm[i] = t->shm[i].o;
		out->shm[i].nattch = nattch(&t->shm[i]);
	}
	out->nshm = t->nshm;
	memcpy(out->sem, t->sem, t->nsem * sizeof(*t->sem));
	out->nsem = t->nsem;
	memcpy(out->msg, t->msg, t->nmsg * sizeof(*t->msg));
	out->nmsg = t->nmsg;
	/* sorted by id, as the kernel's tables are read (lookups bsearch) */
	if (out->nshm)
		qsort(out->shm, out->nshm, sizeof(*out->shm), cmp_shm);
	if (out->nsem)
		qsort(out->sem, out->nsem, sizeof(*out->sem), cmp_sem);
	if (out->nmsg)
		qsort(out->msg, out->nmsg, sizeof(*out->msg), cmp_msg);
	return 0;
oom:
	free(out->shm);
	free(out->sem);
	memset(out, 0, sizeof(*out));
	return -ENOMEM;
}
