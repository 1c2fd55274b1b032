// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Encoding of snapshots and process metadata for recordings; see codec.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "record/codec.h"

/* ------------------------------------------------------------ buffer */

void rbuf_free(struct rbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

bool rbuf_reserve(struct rbuf *b, size_t more)
{
	size_t cap;
	uint8_t *p;

	if (b->oom)
		return false;
	if (b->cap - b->len >= more)
		return true;
	cap = b->cap ? b->cap : 4096;
	while (cap - b->len < more) {
		if (cap > SIZE_MAX / 2) {
			b->oom = true;
			return false;
		}
		cap *= 2;
	}
	p = realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void rbuf_bytes(struct rbuf *b, const void *p, size_t n)
{
	if (!n || !rbuf_reserve(b, n))
		return;
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

void rbuf_zeros(struct rbuf *b, size_t n)
{
	if (!n || !rbuf_reserve(b, n))
		return;
	memset(b->p + b->len, 0, n);
	b->len += n;
}

void rbuf_u8(struct rbuf *b, uint8_t v)
{
	rbuf_bytes(b, &v, 1);
}

void rbuf_u16(struct rbuf *b, uint16_t v)
{
	uint8_t x[2];

	le16_put(x, v);
	rbuf_bytes(b, x, 2);
}

void rbuf_u32(struct rbuf *b, uint32_t v)
{
	uint8_t x[4];

	le32_put(x, v);
	rbuf_bytes(b, x, 4);
}

void rbuf_u64(struct rbuf *b, uint64_t v)
{
	uint8_t x[8];

	le64_put(x, v);
	rbuf_bytes(b, x, 8);
}

void rbuf_str(struct rbuf *b, const char *s, size_t max)
{
	size_t n = s ? strnlen(s, max) : 0;

	if (n > UINT16_MAX)
		n = UINT16_MAX;
	rbuf_u16(b, (uint16_t)n);
	rbuf_bytes(b, s, n);
}

/* ------------------------------------------------------------ cursor */

static const uint8_t *take(struct rcur *c, size_t n)
{
	const uint8_t *p;

	if (c->bad || rcur_left(c) < n) {
		c->bad = true;
		return NULL;
	}
	p = c->p + c->off;
	c->off += n;
	return p;
}

uint8_t rcur_u8(struct rcur *c)
{
	const uint8_t *p = take(c, 1);

	return p ? p[0] : 0;
}

uint16_t rcur_u16(struct rcur *c)
{
	const uint8_t *p = take(c, 2);

	return p ? le16_get(p) : 0;
}

uint32_t rcur_u32(struct rcur *c)
{
	const uint8_t *p = take(c, 4);

	return p ? le32_get(p) : 0;
}

uint64_t rcur_u64(struct rcur *c)
{
	const uint8_t *p = take(c, 8);

	return p ? le64_get(p) : 0;
}

void rcur_bytes(struct rcur *c, void *dst, size_t n)
{
	const uint8_t *p = take(c, n);

	if (p)
		memcpy(dst, p, n);
	else
		memset(dst, 0, n);
}

void rcur_str(struct rcur *c, char *dst, size_t dstlen)
{
	uint16_t n = rcur_u16(c);
	const uint8_t *p = take(c, n);
	size_t k = n < dstlen - 1 ? n : dstlen - 1;

	if (!p)
		k = 0;
	if (k)
		memcpy(dst, p, k);
	dst[k] = '\0';
}

uint32_t rcur_count(struct rcur *c, size_t min_item)
{
	uint32_t n = rcur_u32(c);

	if (c->bad || (min_item && n > rcur_left(c) / min_item)) {
		c->bad = true;
		return 0;
	}
	return n;
}

/* ------------------------------------------------------------ snapshots */

/* Minimum encoded sizes, to bound counts before allocating. */
#define COMMON_LEN (4 + 4 + 4 + 16 + 8 + 4)
#define SHM_MIN    (COMMON_LEN + 8 + 8 + 8 + 16 + 16 + 1 + 4)
#define SEM_MIN    (COMMON_LEN + 4 + 8 + 1)
#define MSG_MIN    (COMMON_LEN + 24 + 8 + 16)
#define SEMVAL_LEN 16

static void enc_common(struct rbuf *b, const struct ipc_common *c)
{
	rbuf_u32(b, (uint32_t)c->id);
	rbuf_u32(b, (uint32_t)c->key);
	rbuf_u32(b, c->mode);
	rbuf_u32(b, c->uid);
	rbuf_u32(b, c->gid);
	rbuf_u32(b, c->cuid);
	rbuf_u32(b, c->cgid);
	rbuf_u64(b, (uint64_t)c->ctime);
	rbuf_u32(b, c->ipcns);
}

static void dec_common(struct rcur *r, struct ipc_common *c)
{
	c->id = (int32_t)rcur_u32(r);
	c->key = (int32_t)rcur_u32(r);
	c->mode = rcur_u32(r);
	c->uid = rcur_u32(r);
	c->gid = rcur_u32(r);
	c->cuid = rcur_u32(r);
	c->cgid = rcur_u32(r);
	c->ctime = (int64_t)rcur_u64(r);
	c->ipcns = rcur_u32(r);
}

void rec_encode_snapshot(struct rbuf *b, unsigned int role, const struct ipc_snapshot *s)
{
	rbuf_u8(b, (uint8_t)role);
	rbuf_u32(b, s->ipcns);
	rbuf_u64(b, s->taken_ns);
	rbuf_u64(b, (uint64_t)s->taken_real);
	rbuf_u32(b, s->warnings);

	rbuf_u32(b, (uint32_t)s->nshm);
	for (size_t i = 0; i < s->nshm; i++) {
		const struct shm_obj *o = &s->shm[i];

		enc_common(b, &o->c);
		rbuf_u64(b, o->size);
		rbuf_u32(b, (uint32_t)o->cpid);
		rbuf_u32(b, (uint32_t)o->lpid);
		rbuf_u64(b, o->nattch);
		rbuf_u64(b, (uint64_t)o->atime);
		rbuf_u64(b, (uint64_t)o->dtime);
		rbuf_u64(b, o->rss);
		rbuf_u64(b, o->swap);
		rbuf_u8(b, (o->dest ? 1 : 0) | (o->locked ? 2 : 0) | (o->hugetlb ? 4 : 0));
		rbuf_u32(b, o->attached ? (uint32_t)o->nattached : 0);
		for (size_t k = 0; o->attached && k < o->nattached; k++)
			rbuf_u32(b, (uint32_t)o->attached[k]);
	}

	rbuf_u32(b, (uint32_t)s->nsem);
	for (size_t i = 0; i < s->nsem; i++) {
		const struct sem_obj *o = &s->sem[i];

		enc_common(b, &o->c);
		rbuf_u32(b, o->nsems);
		rbuf_u64(b, (uint64_t)o->otime);
		rbuf_u8(b, o->sems ? 1 : 0);
		for (uint32_t k = 0; o->sems && k < o->nsems; k++) {
			rbuf_u32(b, (uint32_t)o->sems[k].val);
			rbuf_u32(b, (uint32_t)o->sems[k].ncnt);
			rbuf_u32(b, (uint32_t)o->sems[k].zcnt);
			rbuf_u32(b, (uint32_t)o->sems[k].pid);
		}
	}

	rbuf_u32(b, (uint32_t)s->nmsg);
	for (size_t i = 0; i < s->nmsg; i++) {
		const struct msg_obj *o = &s->msg[i];

		enc_common(b, &o->c);
		rbuf_u64(b, o->cbytes);
		rbuf_u64(b, o->qnum);
		rbuf_u64(b, o->qbytes);
		rbuf_u32(b, (uint32_t)o->lspid);
		rbuf_u32(b, (uint32_t)o->lrpid);
		rbuf_u64(b, (uint64_t)o->stime);
		rbuf_u64(b, (uint64_t)o->rtime);
	}
}

void rec_snapshot_clear(struct ipc_snapshot *s)
{
	for (size_t i = 0; s->shm && i < s->nshm; i++)
		free(s->shm[i].attached);
	for (size_t i = 0; s->sem && i < s->nsem; i++)
		free(s->sem[i].sems);
	free(s->shm);
	free(s->sem);
	free(s->msg);
	memset(s, 0, sizeof(*s));
}

int rec_decode_snapshot(struct rcur *r, unsigned int *role, struct ipc_snapshot *s)
{
	uint32_t n;

	memset(s, 0, sizeof(*s));
	*role = rcur_u8(r);
	s->ipcns = rcur_u32(r);
	s->taken_ns = rcur_u64(r);
	s->taken_real = (int64_t)rcur_u64(r);
	s->warnings = rcur_u32(r);

	n = rcur_count(r, SHM_MIN);
	if (n && !(s->shm = calloc(n, sizeof(*s->shm))))
		goto nomem;
	for (s->nshm = 0; s->nshm < n && !r->bad; s->nshm++) {
		struct shm_obj *o = &s->shm[s->nshm];
		uint8_t fl;
		uint32_t na;

		dec_common(r, &o->c);
		o->size = rcur_u64(r);
		o->cpid = (int32_t)rcur_u32(r);
		o->lpid = (int32_t)rcur_u32(r);
		o->nattch = rcur_u64(r);
		o->atime = (int64_t)rcur_u64(r);
		o->dtime = (int64_t)rcur_u64(r);
		o->rss = rcur_u64(r);
		o->swap = rcur_u64(r);
		fl = rcur_u8(r);
		o->dest = fl & 1;
		o->locked = fl & 2;
		o->hugetlb = fl & 4;
		na = rcur_count(r, 4);
		if (na) {
			if (!(o->attached = malloc(na * sizeof(*o->attached))))
				goto nomem;
			o->nattached = na;
			for (uint32_t k = 0; k < na; k++)
				o->attached[k] = (int32_t)rcur_u32(r);
		}
	}

	n = rcur_count(r, SEM_MIN);
	if (n && !(s->sem = calloc(n, sizeof(*s->sem))))
		goto nomem;
	for (s->nsem = 0; s->nsem < n && !r->bad; s->nsem++) {
		struct sem_obj *o = &s->sem[s->nsem];

		dec_common(r, &o->c);
		o->nsems = rcur_u32(r);
		o->otime = (int64_t)rcur_u64(r);
		if (rcur_u8(r) && !r->bad) {
			if (o->nsems > rcur_left(r) / SEMVAL_LEN) {
				r->bad = true;
				break;
			}
			if (o->nsems && !(o->sems = calloc(o->nsems, sizeof(*o->sems))))
				goto nomem;
			for (uint32_t k = 0; k < o->nsems; k++) {
				o->sems[k].val = (int32_t)rcur_u32(r);
				o->sems[k].ncnt = (int32_t)rcur_u32(r);
				o->sems[k].zcnt = (int32_t)rcur_u32(r);
				o->sems[k].pid = (int32_t)rcur_u32(r);
			}
		}
	}

	n = rcur_count(r, MSG_MIN);
	if (n && !(s->msg = calloc(n, sizeof(*s->msg))))
		goto nomem;
	for (s->nmsg = 0; s->nmsg < n && !r->bad; s->nmsg++) {
		struct msg_obj *o = &s->msg[s->nmsg];

		dec_common(r, &o->c);
		o->cbytes = rcur_u64(r);
		o->qnum = rcur_u64(r);
		o->qbytes = rcur_u64(r);
		o->lspid = (int32_t)rcur_u32(r);
		o->lrpid = (int32_t)rcur_u32(r);
		o->stime = (int64_t)rcur_u64(r);
		o->rtime = (int64_t)rcur_u64(r);
	}
	if (r->bad) {
		rec_snapshot_clear(s);
		return -EBADMSG;
	}
	return 0;
nomem:
	rec_snapshot_clear(s);
	return -ENOMEM;
}

int rec_snapshot_copy(struct ipc_snapshot *dst, const struct ipc_snapshot *src)
{
	*dst = *src;
	dst->shm = NULL;
	dst->sem = NULL;
	dst->msg = NULL;
	dst->nshm = dst->nsem = dst->nmsg = 0;
	if (src->nshm) {
		if (!(dst->shm = calloc(src->nshm, sizeof(*dst->shm))))
			goto nomem;
		for (size_t i = 0; i < src->nshm; i++, dst->nshm++) {
			dst->shm[i] = src->shm[i];
			dst->shm[i].attached = NULL;
			if (src->shm[i].attached && src->shm[i].nattached) {
				size_t sz = src->shm[i].nattached * sizeof(int32_t);

				if (!(dst->shm[i].attached = malloc(sz)))
					goto nomem;
				memcpy(dst->shm[i].attached, src->shm[i].attached, sz);
			}
		}
	}
	if (src->nsem) {
		if (!(dst->sem = calloc(src->nsem, sizeof(*dst->sem))))
			goto nomem;
		for (size_t i = 0; i < src->nsem; i++, dst->nsem++) {
			dst->sem[i] = src->sem[i];
			dst->sem[i].sems = NULL;
			if (src->sem[i].sems && src->sem[i].nsems) {
				size_t sz = src->sem[i].nsems * sizeof(struct sem_val);

				if (!(dst->sem[i].sems = malloc(sz)))
					goto nomem;
				memcpy(dst->sem[i].sems, src->sem[i].sems, sz);
			}
		}
	}
	if (src->nmsg) {
		if (!(dst->msg = malloc(src->nmsg * sizeof(*dst->msg))))
			goto nomem;
		memcpy(dst->msg, src->msg, src->nmsg * sizeof(*dst->msg));
		dst->nmsg = src->nmsg;
	}
	return 0;
nomem:
	rec_snapshot_clear(dst);
	return -ENOMEM;
}

/* ------------------------------------------------------------ procmeta */

#define MAP_MIN (24 + 2 + 1)

void rec_encode_procmeta(struct rbuf *b, const struct proc_meta *m)
{
	rbuf_u32(b, (uint32_t)m->pid);
	rbuf_u32(b, (uint32_t)m->ppid);
	rbuf_u32(b, m->uid);
	rbuf_u64(b, m->cgroup_id);
	rbuf_u32(b, m->ipcns);
	rbuf_str(b, m->comm, sizeof(m->comm));
	rbuf_str(b, m->cmdline, sizeof(m->cmdline));
	rbuf_str(b, m->exe, sizeof(m->exe));
	rbuf_str(b, m->cgroup, sizeof(m->cgroup));
	rbuf_str(b, m->container, sizeof(m->container));
	rbuf_u8(b, m->exited ? 1 : 0);
	rbuf_u64(b, m->exit_ts_ns);
	rbuf_u32(b, m->maps ? (uint32_t)m->nmaps : 0);
	for (size_t i = 0; m->maps && i < m->nmaps; i++) {
		const struct proc_map *p = &m->maps[i];
		uint8_t bl = p->build_id_len <= PROCMETA_BUILD_ID_MAX ? p->build_id_len
								   : PROCMETA_BUILD_ID_MAX;

		rbuf_u64(b, p->start);
		rbuf_u64(b, p->end);
		rbuf_u64(b, p->pgoff);
		rbuf_str(b, p->path, sizeof(p->path));
		rbuf_u8(b, bl);
		rbuf_bytes(b, p->build_id, bl);
	}
}

int rec_decode_procmeta(struct rcur *r, struct proc_meta *m)
{
	uint32_t n;

	memset(m, 0, sizeof(*m));
	m->pid = (int32_t)rcur_u32(r);
	m->ppid = (int32_t)rcur_u32(r);
	m->uid = rcur_u32(r);
	m->cgroup_id = rcur_u64(r);
	m->ipcns = rcur_u32(r);
	rcur_str(r, m->comm, sizeof(m->comm));
	rcur_str(r, m->cmdline, sizeof(m->cmdline));
	rcur_str(r, m->exe, sizeof(m->exe));
	rcur_str(r, m->cgroup, sizeof(m->cgroup));
	rcur_str(r, m->container, sizeof(m->container));
	m->exited = rcur_u8(r) != 0;
	m->exit_ts_ns = rcur_u64(r);
	n = rcur_count(r, MAP_MIN);
	if (n && !(m->maps = calloc(n, sizeof(*m->maps))))
		return -ENOMEM;
	for (m->nmaps = 0; m->nmaps < n && !r->bad; m->nmaps++) {
		struct proc_map *p = &m->maps[m->nmaps];
		uint8_t bl;

		p->start = rcur_u64(r);
		p->end = rcur_u64(r);
		p->pgoff = rcur_u64(r);
		rcur_str(r, p->path, sizeof(p->path));
		bl = rcur_u8(r);
		if (bl > PROCMETA_BUILD_ID_MAX) {
			r->bad = true;
			break;
		}
		rcur_bytes(r, p->build_id, bl);
		p->build_id_len = bl;
	}
	if (r->bad) {
		free(m->maps);
		m->maps = NULL;
		m->nmaps = 0;
		return -EBADMSG;
	}
	return 0;
}
