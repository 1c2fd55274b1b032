// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Binary walk of the semaphore and queue tables (see statwalk.h).
 *
 * SEM_INFO / MSG_INFO return the highest slot in use, so the walk is
 * bounded by the table, not by SEMMNI/MSGMNI.  An empty slot answers
 * EINVAL, as does every slot on a kernel without *_STAT_ANY: a walk that
 * finds nothing while the INFO call counted objects means "not supported".
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>

#include "tables/statwalk.h"
#include "util/vec.h"

#ifndef SEM_STAT_ANY
#define SEM_STAT_ANY 20
#endif
#ifndef MSG_STAT_ANY
#define MSG_STAT_ANY 13
#endif

static void common_from_perm(struct ipc_common *c, const struct ipc_perm *p,
			     int id, int64_t ctime, uint32_t ns)
{
	c->id = id;
	c->key = p->__key;
	c->mode = p->mode;
	c->uid = p->uid;
	c->gid = p->gid;
	c->cuid = p->cuid;
	c->cgid = p->cgid;
	c->ctime = ctime;
	c->ipcns = ns;
}

static int cmp_id(const void *a, const void *b)
{
	/* ipc_common is the first member of every object */
	const struct ipc_common *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

int statwalk_sem(struct ipc_snapshot *s)
{
	union semun { int val; struct semid_ds *buf; struct seminfo *info; } arg;
	struct seminfo info;
	struct semid_ds ds;
	size_t cap = s->nsem, first = s->nsem;
	int max;

	arg.info = &info;
	max = semctl(0, 0, SEM_INFO, arg);
	if (max < 0)
		return errno == EINVAL || errno == ENOSYS ? -EOPNOTSUPP : -errno;
	arg.buf = &ds;
	for (int idx = 0; idx <= max; idx++) {
		struct sem_obj *o;
		int id = semctl(idx, 0, SEM_STAT_ANY, arg);

		if (id < 0)
			continue;   /* empty slot, or removed meanwhile */
		if (vec_grow(s->sem, s->nsem, cap))
			return -ENOMEM;
		o = &s->sem[s->nsem++];
		memset(o, 0, sizeof(*o));
		common_from_perm(&o->c, &ds.sem_perm, id, ds.sem_ctime, s->ipcns);
		o->nsems = (uint32_t)ds.sem_nsems;
		o->otime = ds.sem_otime;
	}
	/* seminfo.semusz: arrays in use (SEM_INFO fills it so) */
	if (s->nsem == first && info.semusz > 0)
		return -EOPNOTSUPP;
	if (s->nsem > first) /* s->sem is NULL when nothing was found */
		qsort(s->sem + first, s->nsem - first, sizeof(*s->sem), cmp_id);
	return 0;
}

int statwalk_msg(struct ipc_snapshot *s)
{
	struct msginfo info;
	struct msqid_ds ds;
	size_t cap = s->nmsg, first = s->nmsg;
	int max = msgctl(0, MSG_INFO, (struct msqid_ds *)&info);

	if (max < 0)
		return errno == EINVAL || errno == ENOSYS ? -EOPNOTSUPP : -errno;
	for (int idx = 0; idx <= max; idx++) {
		struct msg_obj *o;
		int id = msgctl(idx, MSG_STAT_ANY, &ds);

		if (id < 0)
			continue;
		if (vec_grow(s->msg, s->nmsg, cap))
			return -ENOMEM;
		o = &s->msg[s->nmsg++];
		memset(o, 0, sizeof(*o));
		common_from_perm(&o->c, &ds.msg_perm, id, ds.msg_ctime, s->ipcns);
		o->cbytes = ds.__msg_cbytes;
		o->qnum = ds.msg_qnum;
		o->qbytes = ds.msg_qbytes;
		o->lspid = ds.msg_lspid;
		o->lrpid = ds.msg_lrpid;
		o->stime = ds.msg_stime;
		o->rtime = ds.msg_rtime;
	}
	/* msginfo.msgpool: queues in use (MSG_INFO fills it so) */
	if (s->nmsg == first && info.msgpool > 0)
		return -EOPNOTSUPP;
	if (s->nmsg > first) /* s->msg is NULL when nothing was found */
		qsort(s->msg + first, s->nmsg - first, sizeof(*s->msg), cmp_id);
	return 0;
}
