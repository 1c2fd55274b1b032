// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Audit rules, after the operator's IPC audit guide: orphans, pending
 * removals still attached, queues the consumer cannot keep up with,
 * semaphores with waiters, permissions, vanished owners, exhausted limits,
 * stale objects.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/audit.h"
#include "events.h"
#include "util/vec.h"

void audit_env_defaults(struct audit_env *e)
{
	memset(e, 0, sizeof(*e));
	e->limit_warn_pct = 90;
	e->queue_warn_pct = 80;
}

const char *audit_sev_name(enum audit_sev s)
{
	switch (s) {
	case SEV_INFO: return "info";
	case SEV_WARNING: return "warning";
	default: return "critical";
	}
}

int audit_sev_parse(const char *s)
{
	if (!strcmp(s, "info"))
		return SEV_INFO;
	if (!strcmp(s, "warning") || !strcmp(s, "warn"))
		return SEV_WARNING;
	if (!strcmp(s, "critical") || !strcmp(s, "crit"))
		return SEV_CRITICAL;
	return -1;
}

enum audit_sev audit_max_sev(const struct audit_result *r)
{
	enum audit_sev m = SEV_INFO;

	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].sev > m)
			m = r->v[i].sev;
	return m;
}

void audit_free(struct audit_result *r)
{
	free(r->v);
	memset(r, 0, sizeof(*r));
}

static const char *kname(unsigned int kind)
{
	return kind == KIND_SHM ? "shm" : kind == KIND_SEM ? "sem" : kind == KIND_MSG ? "msg" : "limit";
}

static const char *ipcrm_flag(unsigned int kind)
{
	return kind == KIND_SHM ? "-m" : kind == KIND_SEM ? "-s" : "-q";
}

static struct finding *add(struct audit_result *r, enum audit_sev sev, const char *rule,
			   unsigned int kind, const struct ipc_common *c)
{
	struct finding *f;

	if (vec_grow(r->v, r->n, r->cap))
		return NULL;
	f = &r->v[r->n++];
	memset(f, 0, sizeof(*f));
	f->sev = sev;
	f->rule = rule;
	f->kind = kind;
	if (c) {
		f->id = c->id;
		f->key = c->key;
		f->ipcns = c->ipcns;
		snprintf(f->object, sizeof(f->object), "%s %d", kname(kind), c->id);
	}
	return f;
}

#define SETF(buf, ...) snprintf((buf), sizeof(buf), __VA_ARGS__)

static bool alive(const struct audit_env *e, int32_t pid)
{
	return pid > 0 && e->pid_alive && e->pid_alive(pid, e->ctx);
}

/* Rules common to every kind: permissions, owner, staleness. */
static int common_rules(const struct audit_env *e, struct audit_result *r, unsigned int kind,
			const struct ipc_common *c, int64_t last_use)
{
	struct finding *f;

	if (c->mode & 0002) {
		if (!(f = add(r, SEV_CRITICAL, "world-writable", kind, c)))
			return -ENOMEM;
		SETF(f->evidence, "mode %03o lets any user on the host write it", c->mode & 0777);
		SETF(f->remedy, "recreate it with mode 0600 (or 0660 and a service group), or "
		     "set the mode with IPC_SET from its owner");
	} else if (c->mode & 0004) {
		if (!(f = add(r, SEV_WARNING, "world-readable", kind, c)))
			return -ENOMEM;
		SETF(f->evidence, "mode %03o lets any user on the host read it", c->mode & 0777);
		SETF(f->remedy, "recreate it with mode 0600 (or 0660 and a service group), or "
		     "set the mode with IPC_SET from its owner");
	}
	if (e->uid_exists && !e->uid_exists(c->uid, e->ctx)) {
		if (!(f = add(r, SEV_WARNING, "owner-missing", kind, c)))
			return -ENOMEM;
		SETF(f->evidence, "owner uid %u has no passwd entry (creator uid %u)", c->uid, c->cuid);
		SETF(f->remedy, "if nothing uses it: ipcrm %s %d", ipcrm_flag(kind), c->id);
	}
	if (e->stale_secs && last_use && e->now - last_use > e->stale_secs) {
		if (!(f = add(r, SEV_INFO, "stale", kind, c)))
			return -ENOMEM;
		SETF(f->evidence, "untouched for %" PRId64 " days", (e->now - last_use) / 86400);
		SETF(f->remedy, "check who owns it; if unused: ipcrm %s %d", ipcrm_flag(kind), c->id);
	}
	return 0;
}

static int64_t max3(int64_t a, int64_t b, int64_t c)
{
	int64_t m = a > b ? a : b;

	return m > c ? m : c;
}

static int shm_rules(const struct audit_env *e, const struct ipc_snapshot *s, struct audit_result *r)
{
	for (size_t i = 0; i < s->nshm; i++) {
		const struct shm_obj *o = &s->shm[i];
		struct finding *f;

		if (o->nattch == 0 && !o->dest && !alive(e, o->cpid)) {
			if (!(f = add(r, SEV_WARNING, "orphaned-shm", KIND_SHM, &o->c)))
				return -ENOMEM;
			if (o->lpid > 0)
				SETF(f->evidence, "%" PRIu64 " bytes, nattch 0, creator pid %d is gone "
				     "(last attached by pid %d)", o->size, o->cpid, o->lpid);
			else
				SETF(f->evidence, "%" PRIu64 " bytes, nattch 0, creator pid %d is gone "
				     "and it was never attached", o->size, o->cpid);
			SETF(f->remedy, "ipcrm -m %d   (or `ipcscope clean` with --save to keep its bytes)",
			     o->c.id);
		}
		if (o->dest && o->nattch > 0) {
			if (!(f = add(r, SEV_WARNING, "removed-but-attached", KIND_SHM, &o->c)))
				return -ENOMEM;
			SETF(f->evidence, "marked for destruction but still attached %" PRIu64
			     " time(s); its %" PRIu64 " bytes stay in use until the last detach",
			     o->nattch, o->size);
			SETF(f->remedy, "find the attached processes with `ipcscope snapshot -m` and "
			     "restart or stop them");
		}
		if (common_rules(e, r, KIND_SHM, &o->c, max3(o->atime, o->dtime, o->c.ctime)))
			return -ENOMEM;
	}
	return 0;
}

static int sem_rules(const struct audit_env *e, const struct ipc_snapshot *s, struct audit_result *r)
{
	for (size_t i = 0; i < s->nsem; i++) {
		const struct sem_obj *o = &s->sem[i];
		struct finding *f;
		int n = 0;

		for (uint32_t j = 0; o->sems && j < o->nsems; j++) {
			const struct sem_val *v = &o->sems[j];

			if (!v->ncnt && !v->zcnt)
				continue;
			if (!n++ && !(f = add(r, SEV_WARNING, "sem-waiters", KIND_SEM, &o->c)))
				return -ENOMEM;
			size_t len = strlen(f->evidence);
			snprintf(f->evidence + len, sizeof(f->evidence) - len,
				 "%ssem[%u]=%d: %d waiting to decrease, %d for zero, last op by pid %d",
				 len ? "; " : "", j, v->val, v->ncnt, v->zcnt, v->pid);
			SETF(f->remedy, "see who holds it: ipcscope blocked");
		}
		if (common_rules(e, r, KIND_SEM, &o->c, max3(o->otime, o->c.ctime, 0)))
			return -ENOMEM;
	}
	return 0;
}

static int msg_rules(const struct audit_env *e, const struct ipc_snapshot *s, struct audit_result *r)
{
	for (size_t i = 0; i < s->nmsg; i++) {
		const struct msg_obj *o = &s->msg[i];
		struct finding *f;

		if (o->qbytes && 100.0 * (double)o->cbytes / (double)o->qbytes >= e->queue_warn_pct) {
			double pct = 100.0 * (double)o->cbytes / (double)o->qbytes;

			if (!(f = add(r, pct >= 100 ? SEV_CRITICAL : SEV_WARNING, "queue-backlog",
				      KIND_MSG, &o->c)))
				return -ENOMEM;
			SETF(f->evidence, "%.0f%% full (%" PRIu64 " of %" PRIu64 " bytes, %" PRIu64
			     " messages): the consumer (last receiver pid %d) cannot keep up%s",
			     pct, o->cbytes, o->qbytes, o->qnum, o->lrpid,
			     pct >= 100 ? "; senders block or fail with EAGAIN" : "");
			SETF(f->remedy, "speed up or add consumers (see `ipcscope latency -q`); "
			     "a larger queue only buys time: msg_qbytes via IPC_SET, default kernel.msgmnb");
		}
		if (common_rules(e, r, KIND_MSG, &o->c, max3(o->stime, o->rtime, o->c.ctime)))
			return -ENOMEM;
	}
	return 0;
}

static int limit_rules(const struct audit_env *e, const struct ipc_limits *L, struct audit_result *r)
{
	for (int i = 0; i < LIM__COUNT; i++) {
		const struct ipc_limit *l = &L->l[i];
		struct finding *f;
		uint64_t want;

		if (!l->has_usage || !l->value || l->use_pct < e->limit_warn_pct)
			continue;
		if (!(f = add(r, l->use_pct >= 100 ? SEV_CRITICAL : SEV_WARNING, "limit-near-exhaustion",
			      KIND_NONE, NULL)))
			return -ENOMEM;
		SETF(f->object, "limit %s", l->name);
		SETF(f->evidence, "%s at %.0f%%: %" PRIu64 " of %" PRIu64 " %s; new objects will "
		     "fail with ENOSPC/EINVAL", l->name, l->use_pct, l->usage, l->value, l->unit);
		want = limits_suggest(l);
		limits_sysctl_line(L, (enum ipc_limit_id)i, want, f->remedy, sizeof(f->remedy));
	}
	return 0;
}

int audit_run(const struct audit_env *e, const struct ipc_snapshot *s,
	      const struct ipc_limits *limits, struct audit_result *out)
{
	memset(out, 0, sizeof(*out));
	if (shm_rules(e, s, out) || sem_rules(e, s, out) || msg_rules(e, s, out) ||
	    (limits && limit_rules(e, limits, out))) {
		audit_free(out);
		return -ENOMEM;
	}
	return 0;
}
