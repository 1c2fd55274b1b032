// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Audit rules, after the operator's IPC audit guide and what an operator
 * expects beyond it: orphans (and the sysctl that would have destroyed
 * them), pending removals still attached, queues the consumer cannot keep up
 * with or that lost their consumer, semaphores with waiters, permissions,
 * vanished owners, limits near exhaustion, lower than the host's or above
 * physical memory, huge pages, locked segments, stale objects, and the
 * POSIX side (/dev/shm, mqueue limits).  Pure: everything comes in as data.
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
	e->stale_secs = 7 * 86400;
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
	f->what = kname(kind);
	if (c) {
		f->id = c->id;
		f->key = c->key;
		f->ipcns = c->ipcns;
		snprintf(f->object, sizeof(f->object), "%s %d", kname(kind), c->id);
	}
	return f;
}

#define SETF(buf, ...) snprintf((buf), sizeof(buf), __VA_ARGS__)
#define MIB (1024.0 * 1024.0)

static enum pid_state pstate(const struct audit_env *e, int32_t pid, int64_t since)
{
	if (pid <= 0 || !e->pid_state)
		return PID_RUNNING;   /* unknown: never a finding */
	return e->pid_state(pid, since, e->ctx);
}

/* "3 days ago", "never" */
static const char *ago(char *buf, size_t len, int64_t now, int64_t t)
{
	int64_t d = now - t;

	if (t <= 0)
		snprintf(buf, len, "never");
	else if (d >= 2 * 86400)
		snprintf(buf, len, "%" PRId64 " days ago", d / 86400);
	else if (d >= 2 * 3600)
		snprintf(buf, len, "%" PRId64 " h ago", d / 3600);
	else
		snprintf(buf, len, "%" PRId64 " s ago", d < 0 ? 0 : d);
	return buf;
}

/* The sysctl line for this namespace: run inside it when audited with --ns. */
static void in_ns(const struct audit_env *e, char *buf, size_t len, const char *cmd)
{
	if (e->ns_pid > 0)
		snprintf(buf, len, "nsenter --ipc --target %d %s", e->ns_pid, cmd);
	else
		snprintf(buf, len, "%s", cmd);
}

/*
 * Rules common to every kind: permissions, owner, staleness.  `times` names
 * the kernel's use times of this kind; in_use (an attached segment) is never
 * stale: memory accesses update no time.
 */
static int common_rules(const struct audit_env *e, struct audit_result *r, unsigned int kind,
			const struct ipc_common *c, int64_t last_use, bool in_use, const char *times)
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
	if (e->stale_secs && !in_use && last_use && e->now - last_use > e->stale_secs) {
		if (!(f = add(r, SEV_INFO, "stale", kind, c)))
			return -ENOMEM;
		SETF(f->evidence, "untouched for %.1f days (more than %.1f): %s",
		     (double)(e->now - last_use) / 86400, (double)e->stale_secs / 86400, times);
		SETF(f->remedy, "check who owns it; if unused: ipcrm %s %d", ipcrm_flag(kind), c->id);
	}
	return 0;
}

static int64_t max3(int64_t a, int64_t b, int64_t c)
{
	int64_t m = a > b ? a : b;

	return m > c ? m : c;
}

static uint64_t round_up(uint64_t v, uint64_t to)
{
	return to ? (v + to - 1) / to * to : v;
}

/* Huge pages: large segments on normal pages, SHM_HUGETLB sizes that waste a page. */
static int hugetlb_rules(const struct audit_facts *F, const struct shm_obj *o, struct audit_result *r)
{
	uint64_t hp = F ? F->mem.hugepage_size : 0;
	struct finding *f;

	if (!hp)
		return 0;   /* no hugetlb in this kernel */
	if (o->hugetlb && o->size % hp) {
		uint64_t whole = round_up(o->size, hp);

		if (!(f = add(r, SEV_WARNING, "shm-hugetlb-unaligned", KIND_SHM, &o->c)))
			return -ENOMEM;
		SETF(f->evidence, "SHM_HUGETLB segment of %" PRIu64 " bytes is not a multiple of the "
		     "%" PRIu64 " KiB huge page: the kernel reserves %" PRIu64 " huge pages and %" PRIu64
		     " bytes of the last one are unusable", o->size, hp / 1024, whole / hp, whole - o->size);
		SETF(f->remedy, "create it with SHM_HUGETLB and a size of %" PRIu64 " bytes (a multiple "
		     "of %" PRIu64 " KiB); vm.nr_hugepages (now %" PRIu64 ", %" PRIu64 " free) must cover "
		     "every SHM_HUGETLB segment", whole, hp / 1024, F->mem.hugepages_total,
		     F->mem.hugepages_free);
	} else if (!o->hugetlb && o->nattached && o->size >= hp) {
		/* known only when someone maps it: the SYSV mapping's device tells */
		uint64_t need = round_up(o->size, hp) / hp;

		if (!(f = add(r, SEV_INFO, "shm-not-hugetlb", KIND_SHM, &o->c)))
			return -ENOMEM;
		SETF(f->evidence, "%.1f MiB on normal pages (no SHM_HUGETLB; %" PRIu64 " KiB huge pages "
		     "would need %" PRIu64 "): every attacher pays TLB misses and page tables for it",
		     (double)o->size / MIB, hp / 1024, need);
		SETF(f->remedy, "reserve huge pages (host-wide) with sysctl -w vm.nr_hugepages=%" PRIu64
		     " (now %" PRIu64 ", %" PRIu64 " free) and create it with shmget(key, %" PRIu64
		     ", IPC_CREAT|SHM_HUGETLB|mode)", F->mem.hugepages_total + need,
		     F->mem.hugepages_total, F->mem.hugepages_free, round_up(o->size, hp));
	}
	return 0;
}

static int shm_rules(const struct audit_env *e, const struct ipc_snapshot *s,
		     const struct audit_facts *F, struct audit_result *r)
{
	uint64_t locked = 0, orphan_bytes = 0;
	size_t nlocked = 0, norphans = 0;
	struct finding *f;
	char a1[32], a2[32], a3[32], times[192];

	for (size_t i = 0; i < s->nshm; i++)
		if (s->shm[i].locked) {
			locked += s->shm[i].size;
			nlocked++;
		}
	for (size_t i = 0; i < s->nshm; i++) {
		const struct shm_obj *o = &s->shm[i];
		enum pid_state cs = pstate(e, o->cpid, o->c.ctime);

		if (o->nattch == 0 && !o->dest && cs != PID_RUNNING) {
			if (!(f = add(r, SEV_WARNING, "orphaned-shm", KIND_SHM, &o->c)))
				return -ENOMEM;
			if (o->lpid > 0)
				SETF(f->evidence, "%" PRIu64 " bytes, nattch 0, creator pid %d is gone: %s "
				     "(last attached by pid %d)", o->size, o->cpid, pid_state_name(cs), o->lpid);
			else
				SETF(f->evidence, "%" PRIu64 " bytes, nattch 0, creator pid %d is gone: %s; "
				     "it was never attached", o->size, o->cpid, pid_state_name(cs));
			SETF(f->remedy, "ipcrm -m %d   (or `ipcscope clean` with --save to keep its bytes)",
			     o->c.id);
			norphans++;
			orphan_bytes += o->size;
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
		if (o->locked) {
			bool much = F && F->mem.mem_total && locked * 2 >= F->mem.mem_total;

			if (!(f = add(r, much ? SEV_WARNING : SEV_INFO, "shm-locked", KIND_SHM, &o->c)))
				return -ENOMEM;
			SETF(f->evidence, "SHM_LOCKED: its %" PRIu64 " bytes (%" PRIu64 " resident) are pinned "
			     "in RAM and never swapped; %zu locked segment(s) pin up to %" PRIu64 " bytes in "
			     "total%s", o->size, o->rss, nlocked, locked,
			     much ? ", half of RAM or more" : "");
			SETF(f->remedy, "if it need not stay resident: shmctl(%d, SHM_UNLOCK, NULL) as its "
			     "owner or root; keep locked memory within RLIMIT_MEMLOCK and RAM", o->c.id);
		}
		if (hugetlb_rules(F, o, r))
			return -ENOMEM;
		SETF(times, "last shmat %s, last shmdt %s, last change %s",
		     ago(a1, sizeof(a1), e->now, o->atime), ago(a2, sizeof(a2), e->now, o->dtime),
		     ago(a3, sizeof(a3), e->now, o->c.ctime));
		if (common_rules(e, r, KIND_SHM, &o->c, max3(o->atime, o->dtime, o->c.ctime),
				 o->nattch > 0, times))
			return -ENOMEM;
	}
	if (norphans && F && F->ns && F->ns->shm_rmid_forced == 0) {
		char cmd[96];

		if (!(f = add(r, SEV_INFO, "shm-rmid-forced-off", KIND_NONE, NULL)))
			return -ENOMEM;
		f->what = "sysctl";
		SETF(f->object, "sysctl kernel.shm_rmid_forced");
		SETF(f->evidence, "%zu orphaned segment(s), %" PRIu64 " bytes, stay until removed by hand: "
		     "kernel.shm_rmid_forced is 0 in this IPC namespace", norphans, orphan_bytes);
		in_ns(e, cmd, sizeof(cmd), "sysctl -w kernel.shm_rmid_forced=1");
		SETF(f->remedy, "%s (per IPC namespace): the kernel then destroys a segment at its last "
		     "detach and an unattached one when its creator exits, these orphans at once; "
		     "not for programs that detach and re-attach later", cmd);
	}
	return 0;
}

static int sem_rules(const struct audit_env *e, const struct ipc_snapshot *s, struct audit_result *r)
{
	char a1[32], a2[32], times[192];

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
		SETF(times, "last semop %s, last change %s", ago(a1, sizeof(a1), e->now, o->otime),
		     ago(a2, sizeof(a2), e->now, o->c.ctime));
		if (common_rules(e, r, KIND_SEM, &o->c, max3(o->otime, o->c.ctime, 0), n > 0, times))
			return -ENOMEM;
	}
	return 0;
}

/* A thread blocked now in `call` (CALL_MSGRCV, CALL_MSGSND) on the queue. */
static bool queue_waiter(const struct audit_facts *F, uint32_t ipcns, int32_t msqid, int call)
{
	for (size_t i = 0; F && i < F->nwaiters; i++) {
		const struct wg_waiter *w = &F->waiters[i];

		if (w->call == call && w->id == msqid && (!ipcns || !w->ipcns || w->ipcns == ipcns))
			return true;
	}
	return false;
}

static int msg_rules(const struct audit_env *e, const struct ipc_snapshot *s,
		     const struct audit_facts *F, struct audit_result *r)
{
	char a1[32], a2[32], a3[32], times[192];

	for (size_t i = 0; i < s->nmsg; i++) {
		const struct msg_obj *o = &s->msg[i];
		struct finding *f;
		enum pid_state rs;

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
		/* the only receivers the kernel names: the last one, and any blocked now */
		bool rcv_blocked = queue_waiter(F, s->ipcns, o->c.id, CALL_MSGRCV);

		if (o->qnum && o->lrpid > 0 && !rcv_blocked &&
		    (rs = pstate(e, o->lrpid, o->rtime)) != PID_RUNNING) {
			enum pid_state ss = pstate(e, o->lspid, o->stime);

			if (!(f = add(r, SEV_WARNING, "queue-consumer-gone", KIND_MSG, &o->c)))
				return -ENOMEM;
			SETF(f->evidence, "%" PRIu64 " message(s), %" PRIu64 " bytes, wait for no one: the "
			     "last receiver pid %d %s, no process is blocked in msgrcv on it; last "
			     "msgrcv %s (last sender pid %d %s)", o->qnum, o->cbytes, o->lrpid,
			     pid_state_name(rs), ago(a1, sizeof(a1), e->now, o->rtime), o->lspid,
			     ss == PID_RUNNING ? "runs" : "exited");
			SETF(f->remedy, "restart the consumer of this queue (key 0x%08x); if it is "
			     "abandoned: ipcrm -q %d (its messages are lost)", (uint32_t)o->c.key, o->c.id);
		}
		SETF(times, "last msgsnd %s, last msgrcv %s, last change %s",
		     ago(a1, sizeof(a1), e->now, o->stime), ago(a2, sizeof(a2), e->now, o->rtime),
		     ago(a3, sizeof(a3), e->now, o->c.ctime));
		/* a thread blocked on it uses it, however old its times */
		if (common_rules(e, r, KIND_MSG, &o->c, max3(o->stime, o->rtime, o->c.ctime),
				 rcv_blocked || queue_waiter(F, s->ipcns, o->c.id, CALL_MSGSND), times))
			return -ENOMEM;
	}
	return 0;
}

static struct finding *add_limit(struct audit_result *r, enum audit_sev sev, const char *rule,
				 const char *name)
{
	struct finding *f = add(r, sev, rule, KIND_NONE, NULL);

	if (f) {
		f->what = "limit";
		SETF(f->object, "limit %s", name);
	}
	return f;
}

static int limit_rules(const struct audit_env *e, const struct audit_facts *F, struct audit_result *r)
{
	const struct ipc_limits *L = &F->ns->limits;
	const struct ipc_limits *H = F->host && F->host->have_limits &&
				     F->host->ipcns != F->ns->ipcns ? &F->host->limits : NULL;

	for (int i = 0; i < LIM__COUNT; i++) {
		const struct ipc_limit *l = &L->l[i];
		uint64_t hv = H ? H->l[i].value : 0;
		struct finding *f;
		char line[160];
		uint64_t want;

		if (!l->has_usage || !l->value || l->use_pct < e->limit_warn_pct)
			continue;
		want = limits_suggest(l);
		if (hv > l->value) {
			/* a container's namespace, set lower than the host */
			if (want > hv)
				want = hv;
			if (!(f = add_limit(r, l->use_pct >= 100 ? SEV_CRITICAL : SEV_WARNING,
					    "limit-below-host", l->name)))
				return -ENOMEM;
			SETF(f->evidence, "%s at %.0f%%: %" PRIu64 " of %" PRIu64 " %s in this IPC "
			     "namespace, set lower than the host's %" PRIu64 "; new objects will fail "
			     "with ENOSPC/EINVAL", l->name, l->use_pct, l->usage, l->value, l->unit, hv);
			limits_sysctl_line(L, (enum ipc_limit_id)i, want, line, sizeof(line));
			in_ns(e, f->remedy, sizeof(f->remedy), line);
			size_t len = strlen(f->remedy);
			snprintf(f->remedy + len, sizeof(f->remedy) - len, "   (inside the namespace, or "
				 "the container's sysctl setting, e.g. docker run --sysctl)");
			continue;
		}
		if (!(f = add_limit(r, l->use_pct >= 100 ? SEV_CRITICAL : SEV_WARNING,
				    "limit-near-exhaustion", l->name)))
			return -ENOMEM;
		SETF(f->evidence, "%s at %.0f%%: %" PRIu64 " of %" PRIu64 " %s; new objects will "
		     "fail with ENOSPC/EINVAL", l->name, l->use_pct, l->usage, l->value, l->unit);
		limits_sysctl_line(L, (enum ipc_limit_id)i, want, line, sizeof(line));
		in_ns(e, f->remedy, sizeof(f->remedy), line);
	}
	return 0;
}

/* Limits an administrator set above physical memory (the kernel's defaults are exempt). */
static int memory_limit_rules(const struct audit_env *e, const struct audit_facts *F,
			      struct audit_result *r)
{
	const struct ipc_limits *L = &F->ns->limits;
	uint64_t mem = F->mem.mem_total, ps = L->page_size ? L->page_size : 4096;
	uint64_t shmmax = L->l[LIM_SHMMAX].value, shmall = L->l[LIM_SHMALL].value;
	uint64_t mnb = L->l[LIM_MSGMNB].value, mni = L->l[LIM_MSGMNI].value;
	struct finding *f;
	char line[96];

	if (!mem)
		return 0;
	if (shmmax < AUDIT_SHM_UNLIMITED && shmmax > mem) {
		if (!(f = add_limit(r, SEV_WARNING, "limit-exceeds-memory", "SHMMAX")))
			return -ENOMEM;
		SETF(f->evidence, "kernel.shmmax %" PRIu64 " bytes (%.1f GiB) lets one segment exceed "
		     "RAM (%.1f GiB): it limits nothing and invites swapping or the OOM killer",
		     shmmax, (double)shmmax / (MIB * 1024), (double)mem / (MIB * 1024));
		snprintf(line, sizeof(line), "sysctl -w kernel.shmmax=%" PRIu64, mem / ps * ps);
		in_ns(e, f->remedy, sizeof(f->remedy), line);
		size_t len = strlen(f->remedy);
		snprintf(f->remedy + len, sizeof(f->remedy) - len, "   (RAM; better the largest "
			 "segment the workload needs)");
	}
	if (shmall < AUDIT_SHM_UNLIMITED && shmall <= UINT64_MAX / ps && shmall * ps > mem) {
		if (!(f = add_limit(r, SEV_WARNING, "limit-exceeds-memory", "SHMALL")))
			return -ENOMEM;
		SETF(f->evidence, "kernel.shmall %" PRIu64 " pages (%.1f GiB) lets segments together "
		     "exceed RAM (%.1f GiB): it limits nothing", shmall,
		     (double)(shmall * ps) / (MIB * 1024), (double)mem / (MIB * 1024));
		snprintf(line, sizeof(line), "sysctl -w kernel.shmall=%" PRIu64, mem / ps);
		in_ns(e, f->remedy, sizeof(f->remedy), line);
		size_t len = strlen(f->remedy);
		snprintf(f->remedy + len, sizeof(f->remedy) - len, "   (RAM in pages; better what "
			 "the workload needs)");
	}
	if ((mnb != AUDIT_MSGMNB_DEFAULT || mni != AUDIT_MSGMNI_DEFAULT) && mni &&
	    mnb <= UINT64_MAX / mni && mnb * mni > mem) {
		if (!(f = add_limit(r, SEV_WARNING, "limit-exceeds-memory", "MSGMNB")))
			return -ENOMEM;
		SETF(f->evidence, "kernel.msgmnb %" PRIu64 " bytes x kernel.msgmni %" PRIu64 " queues "
		     "= %.1f GiB of messages may be queued in kernel memory, more than RAM (%.1f GiB)",
		     mnb, mni, (double)(mnb * mni) / (MIB * 1024), (double)mem / (MIB * 1024));
		snprintf(line, sizeof(line), "sysctl -w kernel.msgmnb=%" PRIu64, mem / mni);
		in_ns(e, f->remedy, sizeof(f->remedy), line);
		size_t len = strlen(f->remedy);
		snprintf(f->remedy + len, sizeof(f->remedy) - len, "   (or fewer queues: kernel.msgmni)");
	}
	return 0;
}

static struct finding *add_posix(struct audit_result *r, enum audit_sev sev, const char *rule,
				 const char *what, const char *name)
{
	struct finding *f = add(r, sev, rule, KIND_NONE, NULL);

	if (f) {
		f->what = what;
		SETF(f->object, "%s %.60s", what, name);
	}
	return f;
}

static int mq_limit(const struct audit_env *e, struct audit_result *r, const char *sysctl,
		    uint64_t usage, uint64_t limit, bool crit, const char *what, const char *consequence)
{
	double pct = limit ? 100.0 * (double)usage / (double)limit : 0;
	struct finding *f;
	char line[96];

	if (!limit || pct < e->limit_warn_pct)
		return 0;
	if (!(f = add(r, crit && pct >= 100 ? SEV_CRITICAL : SEV_WARNING, "posix-mq-limit",
		      KIND_NONE, NULL)))
		return -ENOMEM;
	f->what = "limit";
	SETF(f->object, "limit %s", sysctl);
	SETF(f->evidence, "%s at %.0f%%: %s %" PRIu64 ", the limit is %" PRIu64 "; %s",
	     sysctl, pct, what, usage, limit, consequence);
	snprintf(line, sizeof(line), "sysctl -w %s=%" PRIu64, sysctl,
		 (usage > limit ? usage : limit) * 2);
	in_ns(e, f->remedy, sizeof(f->remedy), line);
	size_t len = strlen(f->remedy);
	snprintf(f->remedy + len, sizeof(f->remedy) - len, "   (per IPC namespace)");
	return 0;
}

static int posix_rules(const struct audit_env *e, const struct audit_facts *F, struct audit_result *r)
{
	const struct posix_table *t = F->posix;
	struct finding *f;

	for (size_t i = 0; i < t->nshm; i++) {
		const struct posix_obj *o = &t->shm[i];

		if (!(o->mode & 0002))
			continue;
		if (!(f = add_posix(r, SEV_CRITICAL, "world-writable", "posix-shm", o->name)))
			return -ENOMEM;
		SETF(f->evidence, "/dev/shm/%.150s has mode %03o (owner uid %u): any user on the host "
		     "can write it", o->name, o->mode & 0777, o->uid);
		SETF(f->remedy, "chmod o-w '/dev/shm/%.150s'; create it with mode 0600 or 0660 "
		     "(shm_open/sem_open and the umask)", o->name);
	}
	for (size_t i = 0; i < t->nmq; i++) {
		const struct posix_obj *o = &t->mq[i];

		if (!(o->mode & 0002))
			continue;
		if (!(f = add_posix(r, SEV_CRITICAL, "world-writable", "posix-mq", o->name)))
			return -ENOMEM;
		SETF(f->evidence, "message queue %.150s has mode %03o (owner uid %u): any user on the "
		     "host can send to it", o->name, o->mode & 0777, o->uid);
		SETF(f->remedy, "create it with mode 0600 or 0660 (mq_open and the umask), or chmod "
		     "o-w the file of that name where the mqueue filesystem is mounted");
	}
	if (F->devshm && F->devshm->known) {
		const struct devshm_facts *d = F->devshm;
		double pct = 100.0 * (double)d->used / (double)d->size;
		double ipct = d->inodes ? 100.0 * (double)d->inodes_used / (double)d->inodes : 0;

		if (ipct > pct)
			pct = ipct;
		if (pct >= e->limit_warn_pct) {
			if (!(f = add(r, pct >= 100 ? SEV_CRITICAL : SEV_WARNING, "posix-shm-full",
				      KIND_NONE, NULL)))
				return -ENOMEM;
			f->what = "tmpfs";
			SETF(f->object, "tmpfs /dev/shm");
			SETF(f->evidence, "/dev/shm is %.0f%% full: %.1f of %.1f MiB, %" PRIu64 " of %"
			     PRIu64 " inodes, %zu files; shm_open+ftruncate, sem_open and writes fail "
			     "with ENOSPC or SIGBUS when it fills", pct, (double)d->used / MIB,
			     (double)d->size / MIB, d->inodes_used, d->inodes, t->nshm);
			SETF(f->remedy, "remove files nothing holds (`ipcscope snapshot --posix` shows "
			     "holders), or enlarge it: mount -o remount,size=%" PRIu64 "k /dev/shm",
			     d->size * 2 / 1024);
		}
	}
	if (F->ns) {
		const struct ns_facts *n = F->ns;
		int64_t maxmsg = 0, msgsize = 0;

		/* a queue created with the defaults (attr NULL) asked for nothing */
		for (size_t i = 0; F->mq_attrs && i < t->nmq; i++) {
			const struct mq_attrs *q = &F->mq_attrs[i];

			if (!q->known)
				continue;
			if (q->maxmsg > maxmsg && (uint64_t)q->maxmsg != n->mq_msg_default)
				maxmsg = q->maxmsg;
			if (q->msgsize > msgsize && (uint64_t)q->msgsize != n->mq_msgsize_default)
				msgsize = q->msgsize;
		}
		if (!t->mq_err &&
		    mq_limit(e, r, "fs.mqueue.queues_max", t->nmq, n->mq_queues_max, true,
			     "queues", "an unprivileged mq_open(O_CREAT) fails with ENOSPC"))
			return -ENOMEM;
		if (mq_limit(e, r, "fs.mqueue.msg_max", (uint64_t)maxmsg, n->mq_msg_max, false,
			     "the deepest queue asked for (mq_maxmsg)",
			     "an unprivileged mq_open asking for more fails with EINVAL") ||
		    mq_limit(e, r, "fs.mqueue.msgsize_max", (uint64_t)msgsize, n->mq_msgsize_max, false,
			     "the largest message size a queue asked for (mq_msgsize)",
			     "an unprivileged mq_open asking for more fails with EINVAL"))
			return -ENOMEM;
	}
	return 0;
}

int audit_run(const struct audit_env *e, const struct ipc_snapshot *s,
	      const struct audit_facts *F, struct audit_result *out)
{
	bool lim = F && F->ns && F->ns->have_limits;

	memset(out, 0, sizeof(*out));
	if (shm_rules(e, s, F, out) || sem_rules(e, s, out) || msg_rules(e, s, F, out) ||
	    (lim && limit_rules(e, F, out)) || (lim && memory_limit_rules(e, F, out)) ||
	    (F && F->posix && posix_rules(e, F, out))) {
		audit_free(out);
		return -ENOMEM;
	}
	return 0;
}
