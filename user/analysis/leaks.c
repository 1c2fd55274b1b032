// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Leak attribution over events and snapshots (see leaks.h).
 *
 * Every object that exists gets an entry keyed by (kind, id): its creation
 * (if seen), attachment and last user.  A *get result is a creation when the
 * key is IPC_PRIVATE, or IPC_CREAT was given and the id was not in the start
 * tables (or was removed since: ids are reused).
 *
 * Memory is bounded by what exists, not by what happened: an object's entry
 * is dropped when its removal is seen (and its id leaves the start set), a
 * call on an object we know nothing of (not in the start tables, creation
 * not seen) makes no entry, leaks_find() drops entries whose object is no
 * longer in the tables (a removal we did not see), and exited pids that no
 * creator needs are forgotten once there are many (the `alive` callback
 * answers for them).  A metrics agent under 30 k creations a second must
 * not grow for months.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>

#include "analysis/leaks.h"
#include "stack/frame.h"
#include "util/u64map.h"
#include "util/vec.h"

struct obj {
	uint8_t kind;
	int32_t id;
	bool created;              /* creation seen while tracing */
	bool have_ctx;             /* from EV_CREATE (cmdline, unwound stack) */
	bool attached;             /* a shmat succeeded */
	int32_t key;
	struct leak_creator cr;
	/*
	 * The EV_CREATE whose stack is not resolved yet: unwinding and
	 * symbolizing cost ~5 M instructions, and most objects are removed
	 * before anyone asks (leaks_find() resolves the others).
	 */
	struct ev_hdr *pending;
	bool stack_given;          /* leaks_resolve_pending() handed it out */
	int32_t last_pid;
	char last_comm[16];
	uint8_t last_call;
	uint64_t last_ts;          /* newest event about it (CLOCK_MONOTONIC) */
};

struct leaks {
	struct leaks_opts o;
	struct obj *objs;
	size_t nobjs, capobjs;
	struct u64map index;        /* (kind, id) -> objs[] index, packed */
	struct u64map started;      /* (kind, id) present in the start tables */
	struct u64map exited;       /* tgids whose exit was seen */
	size_t exited_prune_at;    /* prune `exited` when it reaches this size */
};

/* Below this many exited pids nothing is pruned (replays never prune). */
#define EXITED_PRUNE_MIN 4096

static uint64_t obj_key(unsigned int kind, int32_t id)
{
	return ((uint64_t)(kind & 0xff) << 32 | (uint32_t)id) + (1ull << 40);
}

static uint64_t pid_key(int32_t pid)
{
	return (uint64_t)(uint32_t)pid + (1ull << 40);
}

/* ---- tracker --------------------------------------------------------- */

struct leaks *leaks_new(const struct leaks_opts *o, const struct ipc_snapshot *start)
{
	struct leaks *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	if (o)
		l->o = *o;
	l->exited_prune_at = l->o.alive ? EXITED_PRUNE_MIN : SIZE_MAX;
	if (start) {
		for (size_t i = 0; i < start->nshm; i++)
			u64map_put(&l->started, obj_key(KIND_SHM, start->shm[i].c.id), 1);
		for (size_t i = 0; i < start->nsem; i++)
			u64map_put(&l->started, obj_key(KIND_SEM, start->sem[i].c.id), 1);
		for (size_t i = 0; i < start->nmsg; i++)
			u64map_put(&l->started, obj_key(KIND_MSG, start->msg[i].c.id), 1);
	}
	return l;
}

static void obj_clear_creator(struct obj *o)
{
	free(o->cr.stack);
	o->cr.stack = NULL;
	o->cr.nstack = 0;
	o->cr.stack_how = NULL;
}

static void obj_drop_pending(struct obj *o)
{
	free(o->pending);
	o->pending = NULL;
}

void leaks_free(struct leaks *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->nobjs; i++) {
		obj_clear_creator(&l->objs[i]);
		obj_drop_pending(&l->objs[i]);
	}
	free(l->objs);
	u64map_free(&l->index);
	u64map_free(&l->started);
	u64map_free(&l->exited);
	free(l);
}

size_t leaks_tracked(const struct leaks *l)
{
	size_t n = 0;

	for (size_t i = 0; l && i < l->nobjs; i++)
		n += l->objs[i].created;
	return n;
}

void leaks_footprint(const struct leaks *l, size_t *objects, size_t *exited_pids)
{
	*objects = l->nobjs;
	*exited_pids = l->exited.n;
}

static struct obj *obj_lookup(const struct leaks *l, unsigned int kind, int32_t id)
{
	struct u64kv *e = u64map_find(&l->index, obj_key(kind, id));

	return e ? &l->objs[e->v] : NULL;
}

static struct obj *obj_get(struct leaks *l, unsigned int kind, int32_t id)
{
	struct obj *o = obj_lookup(l, kind, id);

	if (o)
		return o;
	if (vec_grow(l->objs, l->nobjs, l->capobjs))
		return NULL;
	if (u64map_put(&l->index, obj_key(kind, id), l->nobjs))
		return NULL;
	o = &l->objs[l->nobjs++];
	memset(o, 0, sizeof(*o));
	o->kind = kind;
	o->id = id;
	return o;
}

/* Drop an entry: the last one moves into its slot. */
static void obj_forget(struct leaks *l, struct obj *o)
{
	size_t i = (size_t)(o - l->objs), last = l->nobjs - 1;

	obj_clear_creator(o);
	obj_drop_pending(o);
	u64map_del(&l->index, obj_key(o->kind, o->id));
	if (i != last) {
		*o = l->objs[last];
		u64map_put(&l->index, obj_key(o->kind, o->id), i);   /* replaces: no alloc */
	}
	l->nobjs--;
}

/*
 * The entry of an object a call used: existing, or new for an object in
 * the start tables.  An object neither made while tracing nor there at the
 * start was made by a process outside the filters (or its creation event
 * was lost): no entry, so that calls cannot grow the tracker.
 */
static struct obj *obj_used(struct leaks *l, unsigned int kind, int32_t id)
{
	struct obj *o = obj_lookup(l, kind, id);

	if (o || !u64map_find(&l->started, obj_key(kind, id)))
		return o;
	return obj_get(l, kind, id);
}

/* NUL-separated argv (as BPF copies it) to one line. */
static void join_argv(char *out, size_t outlen, const char *argv, size_t len)
{
	size_t n = len < outlen - 1 ? len : outlen - 1;

	while (n && argv[n - 1] == '\0')
		n--;
	for (size_t i = 0; i < n; i++)
		out[i] = argv[i] ? argv[i] : ' ';
	out[n] = '\0';
}

static void set_stack(struct leaks *l, struct obj *o, const struct ev_hdr *ev)
{
	struct stack_frame *frames;
	const char *how = NULL;
	size_t n = 0;

	if (!l->o.stack)
		return;
	frames = l->o.stack(l->o.stack_ctx, ev, &n, &how);
	if (!frames)
		return;
	obj_clear_creator(o);
	o->cr.stack = frames;
	o->cr.nstack = n;
	o->cr.stack_how = how;
}

/* A *get returned `id`: does it count as a creation? */
static bool is_creation(struct leaks *l, const struct obj *o, unsigned int kind,
			int32_t id, int32_t key, bool creat_flag)
{
	if (key == IPC_PRIVATE)
		return true;
	if (!creat_flag)
		return false;
	if (o && o->created)
		return false;          /* another IPC_CREAT on an object we saw made */
	return !u64map_find(&l->started, obj_key(kind, id));
}

static void fill_creator(struct obj *o, const struct ev_hdr *h)
{
	o->cr.known = true;
	o->cr.pid = h->pid;
	o->cr.tid = h->tid;
	o->cr.ppid = h->ppid;
	o->cr.uid = h->uid;
	o->cr.ipcns = h->ipcns;
	o->cr.cgroup_id = h->cgroup_id;
	memcpy(o->cr.comm, h->comm, sizeof(o->cr.comm));
	o->cr.comm[sizeof(o->cr.comm) - 1] = '\0';
	o->cr.create_ts_ns = h->ts_ns;
	o->cr.exited = false;
	o->cr.exit_ts_ns = 0;
}

static void on_created(struct leaks *l, const struct ev_hdr *h, unsigned int kind,
		       int32_t id, int32_t key, bool creat_flag)
{
	struct obj *o = obj_lookup(l, kind, id);
	bool same = o && o->created && o->cr.pid == (int32_t)h->pid;

	if (!same) {
		if (!is_creation(l, o, kind, id, key, creat_flag))
			return;
		o = obj_get(l, kind, id);
		if (!o)
			return;
		obj_clear_creator(o);
		obj_drop_pending(o);
		memset(&o->cr, 0, sizeof(o->cr));
		o->created = true;
		o->attached = false;
		o->have_ctx = false;
		o->stack_given = false;
		o->key = key;
		fill_creator(o, h);
	}
	if (h->ts_ns > o->last_ts)
		o->last_ts = h->ts_ns;
	if (l->o.describe && !o->cr.exe[0] && !o->cr.cgroup[0])
		l->o.describe(l->o.stack_ctx, h, &o->cr);
	if (h->type == EV_CREATE) {
		const struct ev_create *c = (const void *)h;

		if (!o->have_ctx) {
			size_t len = c->cmdline_len < IPCS_CMDLINE_LEN ? c->cmdline_len
								       : IPCS_CMDLINE_LEN;

			join_argv(o->cr.cmdline, sizeof(o->cr.cmdline), c->cmdline, len);
			o->have_ctx = true;
			/* the unwound stack beats the fp one; resolved when needed */
			obj_drop_pending(o);
			o->pending = malloc(h->size);
			if (o->pending)
				memcpy(o->pending, h, h->size);
			else
				set_stack(l, o, h);
		}
	} else if (!o->have_ctx && !o->cr.stack) {
		set_stack(l, o, h);
	}
}

static void on_used(struct leaks *l, const struct ev_hdr *h, unsigned int kind,
		    int32_t id, unsigned int call)
{
	struct obj *o = obj_used(l, kind, id);

	if (!o)
		return;
	if (h->ts_ns > o->last_ts)
		o->last_ts = h->ts_ns;
	o->last_pid = h->pid;
	memcpy(o->last_comm, h->comm, sizeof(o->last_comm));
	o->last_comm[sizeof(o->last_comm) - 1] = '\0';
	o->last_call = call;
}

/* Gone: nothing about it is ever shown again, and its id may come back. */
static void on_removed(struct leaks *l, unsigned int kind, int32_t id)
{
	struct obj *o = obj_lookup(l, kind, id);

	u64map_del(&l->started, obj_key(kind, id));
	if (o)
		obj_forget(l, o);
}

static void on_call(struct leaks *l, const struct ev_call *c)
{
	unsigned int kind = c->kind ? c->kind : call_kind(c->call);

	if (c->err || c->id < 0 || !kind)
		return;
	switch (c->call) {
	case CALL_SHMGET: case CALL_SEMGET: case CALL_MSGGET:
		on_created(l, &c->h, kind, c->id, c->key, c->iflags & IPC_CREAT);
		break;
	case CALL_SHMAT: {
		struct obj *o = obj_used(l, kind, c->id);

		if (o)
			o->attached = true;
		break;
	}
	case CALL_SHMCTL: case CALL_SEMCTL: case CALL_MSGCTL:
		if (c->cmd == IPC_RMID) {
			on_removed(l, kind, c->id);
			return;
		}
		if (ctl_cmd_reads_only(kind, c->cmd))
			return;         /* a monitor's IPC_STAT is not use */
		break;
	default:
		break;
	}
	on_used(l, &c->h, kind, c->id, c->call);
}

/* Frames resolved when the creation was recorded: they win, nothing to unwind. */
static void on_stack(struct leaks *l, const struct ev_hdr *ev)
{
	const struct ev_stack *st = (const void *)ev;
	struct obj *o = obj_lookup(l, st->kind, st->id);
	struct stack_frame *frames;
	const char *how;
	size_t n;

	/* ts is EV_CREATE's, a moment after the *get's EV_CALL: the pid decides */
	if (!o || !o->created || o->cr.pid != (int32_t)ev->pid)
		return;                 /* not this object's creation (id reused) */
	frames = stack_event_frames(ev, &n, &how);
	if (!frames)
		return;
	obj_clear_creator(o);
	obj_drop_pending(o);
	o->cr.stack = frames;
	o->cr.nstack = n;
	o->cr.stack_how = how;
	o->stack_given = true;
}

size_t leaks_resolve_pending(struct leaks *l, uint64_t before_ns, leaks_stack_fn done,
			     void *ctx)
{
	size_t count = 0;

	for (size_t i = 0; i < l->nobjs; i++) {
		struct obj *o = &l->objs[i];

		if (!o->created || o->stack_given || !o->pending || o->pending->ts_ns >= before_ns)
			continue;
		set_stack(l, o, o->pending);
		o->stack_given = true;
		if (done && o->cr.stack)
			done(ctx, o->pending, o->kind, o->id, &o->cr);
		obj_drop_pending(o);
		count++;
	}
	return count;
}

/*
 * Forget exited pids that created none of the objects we track: a fork
 * storm must not grow the set.  Only live (an `alive` callback answers for
 * the forgotten; a replay has nothing else to ask).
 */
static void prune_exited(struct leaks *l)
{
	struct u64map keep = { 0 };
	bool ok = true;

	if (l->o.alive) {
		for (size_t i = 0; ok && i < l->nobjs; i++) {
			const struct obj *o = &l->objs[i];
			struct u64kv *e = o->created ? u64map_find(&l->exited, pid_key(o->cr.pid)) : NULL;

			if (e)
				ok = !u64map_put(&keep, e->k, e->v);
		}
		if (ok) {
			u64map_free(&l->exited);
			l->exited = keep;
		} else {
			u64map_free(&keep);
		}
	}
	l->exited_prune_at = 2 * l->exited.n > EXITED_PRUNE_MIN ? 2 * l->exited.n : EXITED_PRUNE_MIN;
	if (!l->o.alive)
		l->exited_prune_at = SIZE_MAX;
}

int leaks_event(void *ctx, const struct ev_hdr *ev)
{
	struct leaks *l = ctx;

	/* an id means nothing outside its namespace (exits are per pid) */
	if (l->o.ipcns && ev->ipcns && ev->ipcns != l->o.ipcns && ev->type != EV_EXIT)
		return 0;
	switch (ev->type) {
	case EV_CALL:
		on_call(l, (const struct ev_call *)ev);
		break;
	case EV_CREATE: {
		const struct ev_create *c = (const void *)ev;

		if (c->id >= 0 && c->kind)
			on_created(l, ev, c->kind, c->id, c->key, true);
		break;
	}
	case EV_STACK:
		on_stack(l, ev);
		break;
	case EV_EXIT:
		u64map_put(&l->exited, pid_key(ev->pid), ev->ts_ns ? ev->ts_ns : 1);
		if (l->exited.n >= l->exited_prune_at)
			prune_exited(l);
		break;
	case EV_KOBJ: {
		const struct ev_kobj *k = (const void *)ev;

		if (k->op == KOBJ_DESTROY)
			on_removed(l, k->kind, k->id);
		break;
	}
	default:
		break;
	}
	return 0;
}

/* ---- finding candidates --------------------------------------------- */

/* true: pid is known gone; *ts gets the exit time if an event said so. */
static bool pid_gone(const struct leaks *l, int32_t pid, uint64_t *ts)
{
	struct u64kv *e = u64map_find(&l->exited, pid_key(pid));

	*ts = 0;
	if (e) {
		*ts = e->v > 1 ? e->v : 0;
		return true;
	}
	if (pid <= 0)
		return false;
	return l->o.alive ? !l->o.alive(l->o.alive_ctx, pid) : false;
}

static bool pid_alive(const struct leaks *l, int32_t pid)
{
	uint64_t ts;

	return pid > 0 && !pid_gone(l, pid, &ts);
}

struct vec {
	struct leak *v;
	size_t n, cap;
};

static struct leak *push(struct vec *v)
{
	if (vec_grow(v->v, v->n, v->cap))
		return NULL;
	memset(&v->v[v->n], 0, sizeof(v->v[0]));
	return &v->v[v->n++];
}

static void common(struct leak *k, unsigned int kind, const struct ipc_common *c,
		   const struct ipc_snapshot *now)
{
	k->kind = kind;
	k->id = c->id;
	k->key = c->key;
	k->mode = c->mode;
	k->uid = c->uid;
	k->cuid = c->cuid;
	k->ctime = c->ctime;
	k->changed_s = now->taken_real && c->ctime ? now->taken_real - c->ctime : 0;
	if (k->changed_s < 0)
		k->changed_s = 0;
	k->age_s = k->changed_s;
	/* the creator is filled before: a traced creation dates the object */
	k->age_from_creation = k->creator.known && k->creator.create_ts_ns &&
			       now->taken_ns >= k->creator.create_ts_ns;
	if (k->age_from_creation)
		k->age_s = (int64_t)((now->taken_ns - k->creator.create_ts_ns) / 1000000000ull);
}

/*
 * The traced creation of an object, or NULL when it predates tracing (or
 * was made by a process outside the filters).
 */
static const struct obj *traced(const struct leaks *l, unsigned int kind,
				 const struct ipc_common *c)
{
	const struct obj *o = obj_lookup(l, kind, c->id);

	if (!o || !o->created)
		return NULL;
	/* ctime older than tracing: our "creation" was an IPC_CREAT open */
	if (l->o.start_real && c->ctime && c->ctime < l->o.start_real - 1)
		return NULL;
	return o;
}

/* k->last_pid holds the kernel's (lpid, sempid, lspid/lrpid): keep it as
 * such, and let the last traced call, when there is one, be the last user. */
static void last_user(struct leak *k, const struct obj *o)
{
	k->kernel_last_pid = k->last_pid;
	if (o && o->last_pid) {
		k->last_pid = o->last_pid;
		memcpy(k->last_comm, o->last_comm, sizeof(k->last_comm));
		k->last_call = o->last_call;
	}
}

/* Fill the creator from a traced creation; false if it is still alive. */
static bool creator_gone(const struct leaks *l, const struct obj *o, struct leak *k)
{
	uint64_t ts;

	k->creator = o->cr;
	if (!pid_gone(l, o->cr.pid, &ts))
		return false;
	k->creator.exited = true;
	k->creator.exit_ts_ns = ts;
	return true;
}

static int find_shm(const struct leaks *l, const struct ipc_snapshot *now, struct vec *v)
{
	for (size_t i = 0; i < now->nshm; i++) {
		const struct shm_obj *s = &now->shm[i];
		const struct obj *o = traced(l, KIND_SHM, &s->c);
		const struct obj *any = obj_lookup(l, KIND_SHM, s->c.id);
		struct leak k = { 0 };
		uint64_t ts;

		if (s->nattch > 0)
			continue;              /* attached by a live process */
		if (o) {
			if (!creator_gone(l, o, &k))
				continue;
			k.reason = o->attached || s->atime ? "creator-exited" : "never-attached";
		} else {
			if (l->o.only_traced || !s->cpid || !pid_gone(l, s->cpid, &ts))
				continue;
			k.creator.pid = s->cpid;
			k.creator.exited = true;
			k.reason = s->atime || (any && any->attached) ? "creator-exited"
								   : "never-attached";
		}
		common(&k, KIND_SHM, &s->c, now);
		k.bytes = s->size;
		k.last_pid = s->lpid;
		last_user(&k, any);
		struct leak *p = push(v);

		if (!p)
			return -ENOMEM;
		*p = k;
	}
	return 0;
}

static bool sem_waited(const struct sem_obj *s)
{
	for (uint32_t j = 0; s->sems && j < s->nsems; j++)
		if (s->sems[j].ncnt > 0 || s->sems[j].zcnt > 0)
			return true;
	return false;
}

static int find_sem(const struct leaks *l, const struct ipc_snapshot *now, struct vec *v)
{
	for (size_t i = 0; i < now->nsem; i++) {
		const struct sem_obj *s = &now->sem[i];
		const struct obj *o = traced(l, KIND_SEM, &s->c);
		const struct obj *any = obj_lookup(l, KIND_SEM, s->c.id);
		struct leak k = { 0 };
		bool user_alive = false;

		if (sem_waited(s))
			continue;              /* a live process waits on it */
		/* semctl(GETPID): the last process to operate on each semaphore */
		for (uint32_t j = 0; s->sems && j < s->nsems; j++) {
			if (!s->sems[j].pid)
				continue;
			if (!k.last_pid)
				k.last_pid = s->sems[j].pid;
			user_alive |= pid_alive(l, s->sems[j].pid);
		}
		if (o) {
			if (!creator_gone(l, o, &k))
				continue;
			k.reason = "creator-exited";
		} else {
			if (l->o.only_traced || user_alive)
				continue;
			k.reason = s->otime ? "users-exited" : "never-used";
		}
		common(&k, KIND_SEM, &s->c, now);
		k.nsems = s->nsems;
		last_user(&k, any);
		struct leak *p = push(v);

		if (!p)
			return -ENOMEM;
		*p = k;
	}
	return 0;
}

static int find_msg(const struct leaks *l, const struct ipc_snapshot *now, struct vec *v)
{
	for (size_t i = 0; i < now->nmsg; i++) {
		const struct msg_obj *m = &now->msg[i];
		const struct obj *o = traced(l, KIND_MSG, &m->c);
		const struct obj *any = obj_lookup(l, KIND_MSG, m->c.id);
		struct leak k = { 0 };

		if (o) {
			if (!creator_gone(l, o, &k))
				continue;
			k.reason = "creator-exited";
		} else {
			if (l->o.only_traced || pid_alive(l, m->lspid) || pid_alive(l, m->lrpid))
				continue;
			k.reason = m->stime || m->rtime ? "users-exited" : "never-used";
		}
		common(&k, KIND_MSG, &m->c, now);
		k.bytes = m->cbytes;
		k.messages = m->qnum;
		k.last_pid = m->stime >= m->rtime ? m->lspid : m->lrpid;
		last_user(&k, any);
		struct leak *p = push(v);

		if (!p)
			return -ENOMEM;
		*p = k;
	}
	return 0;
}

/* Same creator: same command line (or comm) and same stack, by function. */
static bool same_creator(const struct leak *a, const struct leak *b)
{
	const struct leak_creator *x = &a->creator, *y = &b->creator;

	if (x->known != y->known)
		return false;
	/* Predates tracing: grouped by what is known, shm's cpid; sem and msg
	 * keep no creator, so each is its own "unknown" group, never merged. */
	if (!x->known)
		return x->pid > 0 && x->pid == y->pid;
	if (strcmp(x->cmdline, y->cmdline) || (!x->cmdline[0] && strcmp(x->comm, y->comm)))
		return false;
	if (x->nstack != y->nstack)
		return false;
	for (size_t i = 0; i < x->nstack; i++) {
		const struct stack_frame *f = &x->stack[i], *g = &y->stack[i];

		if (f->symbol[0] || g->symbol[0] ? strcmp(f->symbol, g->symbol) ||
						    strcmp(f->module, g->module)
						  : f->file_offset != g->file_offset)
			return false;
	}
	return true;
}

static int cmp_group(const void *a, const void *b)
{
	const struct leak_group *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	return x->first < y->first ? -1 : x->first > y->first;
}

static int group(struct leak_report *r)
{
	r->groups = calloc(r->n ? r->n : 1, sizeof(*r->groups));
	if (!r->groups)
		return -ENOMEM;
	for (size_t i = 0; i < r->n; i++) {
		size_t g;

		for (g = 0; g < r->ngroups; g++)
			if (same_creator(&r->v[r->groups[g].first], &r->v[i]))
				break;
		if (g == r->ngroups)
			r->groups[r->ngroups++] = (struct leak_group){ .first = i };
		r->groups[g].count++;
		r->groups[g].bytes += r->v[i].bytes;
	}
	qsort(r->groups, r->ngroups, sizeof(*r->groups), cmp_group);
	return 0;
}

/*
 * Entries whose object is not in `now` were removed without an event we saw
 * (lost events, a namespace torn down, shm_rmid_forced): drop them, unless
 * an event about them is newer than the tables (created since).
 */
static int forget_absent(struct leaks *l, const struct ipc_snapshot *now, unsigned int kinds)
{
	struct u64map present = { 0 };
	int err = 0;

	for (size_t i = 0; !err && i < now->nshm; i++)
		err = u64map_put(&present, obj_key(KIND_SHM, now->shm[i].c.id), 1);
	for (size_t i = 0; !err && i < now->nsem; i++)
		err = u64map_put(&present, obj_key(KIND_SEM, now->sem[i].c.id), 1);
	for (size_t i = 0; !err && i < now->nmsg; i++)
		err = u64map_put(&present, obj_key(KIND_MSG, now->msg[i].c.id), 1);
	for (size_t i = 0; !err && i < l->nobjs;) {
		struct obj *o = &l->objs[i];

		if (!(kinds & KIND_BIT(o->kind)) || (now->taken_ns && o->last_ts > now->taken_ns) ||
		    u64map_find(&present, obj_key(o->kind, o->id))) {
			i++;
			continue;
		}
		u64map_del(&l->started, obj_key(o->kind, o->id));
		obj_forget(l, o);       /* the last entry moved to i: look again */
	}
	u64map_free(&present);
	return err;
}

int leaks_find(struct leaks *l, const struct ipc_snapshot *now, struct leak_report *r)
{
	unsigned int kinds = l->o.kinds ? l->o.kinds : ~0u;
	struct vec v = { 0 };
	int err = 0;

	memset(r, 0, sizeof(*r));
	if (!now)
		return 0;
	err = forget_absent(l, now, kinds);
	if (err)
		return err;
	/* the stacks of the objects still there (the candidates) */
	for (size_t i = 0; i < l->nobjs; i++) {
		struct obj *o = &l->objs[i];

		if (o->pending) {
			set_stack(l, o, o->pending);
			obj_drop_pending(o);
		}
	}
	if (kinds & KIND_BIT(KIND_SHM))
		err = find_shm(l, now, &v);
	if (!err && (kinds & KIND_BIT(KIND_SEM)))
		err = find_sem(l, now, &v);
	if (!err && (kinds & KIND_BIT(KIND_MSG)))
		err = find_msg(l, now, &v);
	r->v = v.v;
	r->n = v.n;
	if (!err)
		err = group(r);
	if (err)
		leak_report_free(r);
	return err;
}

void leak_report_free(struct leak_report *r)
{
	free(r->v);
	free(r->groups);
	memset(r, 0, sizeof(*r));
}

int leaks_find_untraced(const struct ipc_snapshot *now, const struct leaks_opts *o,
			struct leak_report *r)
{
	struct leaks_opts opts = *o;
	struct leaks *l;
	int err;

	opts.only_traced = false;
	opts.stack = NULL;
	l = leaks_new(&opts, now);
	if (!l)
		return -ENOMEM;
	err = leaks_find(l, now, r);
	leaks_free(l);
	return err;
}
