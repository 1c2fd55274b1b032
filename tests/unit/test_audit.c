// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Each audit rule fires on a synthetic object that breaks it and not on a clean one. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "analysis/audit.h"
#include "events.h"

/* pid 100 lives, 300 is a zombie, 400 was recycled after `since`, the rest exited */
static enum pid_state state_cb(int32_t pid, int64_t since, void *ctx)
{
	if (pid == 100)
		return PID_RUNNING;
	if (pid == 300)
		return PID_ZOMBIE;
	if (pid == 400)
		return since ? PID_REUSED : PID_RUNNING;
	return PID_GONE;
}
static bool uid_cb(uint32_t uid, void *ctx) { return uid < 5000; }     /* uids >= 5000 vanished */

static struct audit_env env(void)
{
	struct audit_env e;

	audit_env_defaults(&e);
	e.now = 1000000000;
	e.pid_state = state_cb;
	e.uid_exists = uid_cb;
	return e;
}

static struct ipc_common clean_common(int id)
{
	return (struct ipc_common){ .id = id, .key = 0x1000 + id, .mode = 0600, .uid = 1,
				    .ctime = 1000000000 - 60 };
}

static size_t count_rule(const struct audit_result *r, const char *rule, int id)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->v[i].rule, rule) && (id < 0 || r->v[i].id == id))
			n++;
	return n;
}

#define MiB (1024ull * 1024)
#define GiB (1024ull * MiB)

/* A namespace as a fresh kernel sets it up (ipc/shm.c, sem.c, msg.c, mq_sysctl.c). */
static void default_ns(struct ns_facts *n, uint32_t inode)
{
	static const struct { const char *name, *sysctl; uint64_t v; } def[LIM__COUNT] = {
		[LIM_SHMMAX] = { "SHMMAX", "kernel.shmmax", 0xfffffffffeffffffull },
		[LIM_SHMALL] = { "SHMALL", "kernel.shmall", 0xfffffffffeffffffull },
		[LIM_SHMMNI] = { "SHMMNI", "kernel.shmmni", 4096 },
		[LIM_SHMMIN] = { "SHMMIN", NULL, 1 },
		[LIM_SEMMSL] = { "SEMMSL", "kernel.sem", 32000 },
		[LIM_SEMMNS] = { "SEMMNS", "kernel.sem", 1024000000 },
		[LIM_SEMOPM] = { "SEMOPM", "kernel.sem", 500 },
		[LIM_SEMMNI] = { "SEMMNI", "kernel.sem", 32000 },
		[LIM_SEMVMX] = { "SEMVMX", NULL, 32767 },
		[LIM_MSGMAX] = { "MSGMAX", "kernel.msgmax", 8192 },
		[LIM_MSGMNB] = { "MSGMNB", "kernel.msgmnb", 16384 },
		[LIM_MSGMNI] = { "MSGMNI", "kernel.msgmni", 32000 },
	};

	memset(n, 0, sizeof(*n));
	n->ipcns = inode;
	n->have_limits = true;
	n->limits.page_size = 4096;
	for (int i = 0; i < LIM__COUNT; i++) {
		n->limits.l[i] = (struct ipc_limit){ .name = def[i].name, .unit = "units",
			.sysctl = def[i].sysctl, .value = def[i].v };
		if (i != LIM_SHMMIN && i != LIM_SEMVMX && i != LIM_SEMOPM && i != LIM_MSGMAX)
			n->limits.l[i].has_usage = true;   /* usage 0: nothing created */
	}
	n->shm_rmid_forced = 0;
	n->mq_queues_max = 256;
	n->mq_msg_max = 10;
	n->mq_msgsize_max = 8192;
	n->mq_msg_default = 10;
	n->mq_msgsize_default = 8192;
}

static void set_usage(struct ipc_limit *l, uint64_t value, uint64_t usage)
{
	l->value = value;
	l->usage = usage;
	l->use_pct = 100.0 * (double)usage / (double)value;
}

static struct audit_facts facts(const struct ns_facts *ns)
{
	return (struct audit_facts){ .mem = { .mem_total = 8 * GiB, .hugepage_size = 2 * MiB },
				     .ns = ns };
}

static void run(struct ipc_snapshot *s, const struct audit_facts *F, struct audit_result *r,
		const struct audit_env *e)
{
	assert_int_equal(audit_run(e, s, F, r), 0);
}

static const struct finding *find(const struct audit_result *r, const char *rule, const char *object)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->v[i].rule, rule) && (!object || !strcmp(r->v[i].object, object)))
			return &r->v[i];
	return NULL;
}

static void test_clean_tables_no_findings(void **st)
{
	struct shm_obj shm = { .c = clean_common(1), .size = 4096, .cpid = 100, .nattch = 1 };
	struct sem_val vals[2] = { { 1, 0, 0, 100 }, { 0, 0, 0, 100 } };
	struct sem_obj sem = { .c = clean_common(2), .nsems = 2, .sems = vals };
	struct msg_obj msg = { .c = clean_common(3), .cbytes = 100, .qbytes = 16384 };
	struct ipc_snapshot s = { .shm = &shm, .nshm = 1, .sem = &sem, .nsem = 1, .msg = &msg, .nmsg = 1 };
	struct audit_env e = env();
	struct audit_result r;

	e.stale_secs = 86400;
	run(&s, NULL, &r, &e);
	assert_int_equal(r.n, 0);
	audit_free(&r);
	/* with every fact a default kernel gives */
	struct ns_facts ns;
	struct audit_facts F;

	default_ns(&ns, 7);
	F = facts(&ns);
	run(&s, &F, &r, &e);
	assert_int_equal(r.n, 0);
	audit_free(&r);
}

static void test_orphaned_shm(void **st)
{
	struct shm_obj shm[3] = {
		{ .c = clean_common(1), .size = 4096, .cpid = 200, .nattch = 0 },   /* orphan */
		{ .c = clean_common(2), .size = 4096, .cpid = 100, .nattch = 0 },   /* creator alive */
		{ .c = clean_common(3), .size = 4096, .cpid = 200, .nattch = 2 },   /* attached */
	};
	struct ipc_snapshot s = { .shm = shm, .nshm = 3 };
	struct audit_env e = env();
	struct audit_result r;

	run(&s, NULL, &r, &e);
	assert_int_equal(count_rule(&r, "orphaned-shm", -1), 1);
	assert_int_equal(count_rule(&r, "orphaned-shm", 1), 1);
	assert_non_null(strstr(r.v[0].remedy, "ipcrm -m 1"));
	assert_non_null(strstr(r.v[0].evidence, "never attached"));
	audit_free(&r);
}

static void test_removed_but_attached(void **st)
{
	struct shm_obj shm[2] = {
		{ .c = clean_common(1), .cpid = 100, .nattch = 3, .dest = true },
		{ .c = clean_common(2), .cpid = 100, .nattch = 0, .dest = true },  /* about to go */
	};
	struct ipc_snapshot s = { .shm = shm, .nshm = 2 };
	struct audit_env e = env();
	struct audit_result r;

	run(&s, NULL, &r, &e);
	assert_int_equal(count_rule(&r, "removed-but-attached", 1), 1);
	assert_int_equal(r.n, 1);
	audit_free(&r);
}

static void test_queue_backlog(void **st)
{
	struct msg_obj msg[3] = {
		{ .c = clean_common(1), .cbytes = 13200, .qbytes = 16384, .qnum = 10, .lrpid = 7 },
		{ .c = clean_common(2), .cbytes = 16384, .qbytes = 16384 },
		{ .c = clean_common(3), .cbytes = 13000, .qbytes = 16384 },  /* 79%: fine */
	};
	struct ipc_snapshot s = { .msg = msg, .nmsg = 3 };
	struct audit_env e = env();
	struct audit_result r;

	run(&s, NULL, &r, &e);
	assert_int_equal(count_rule(&r, "queue-backlog", -1), 2);
	for (size_t i = 0; i < r.n; i++) {
		if (r.v[i].id == 1)
			assert_int_equal(r.v[i].sev, SEV_WARNING);
		if (r.v[i].id == 2)
			assert_int_equal(r.v[i].sev, SEV_CRITICAL);
	}
	audit_free(&r);
}

static void test_sem_waiters(void **st)
{
	struct sem_val waiting[2] = { { 0, 2, 0, 100 }, { 0, 0, 1, 100 } };
	struct sem_val idle[1] = { { 1, 0, 0, 100 } };
	struct sem_obj sem[3] = {
		{ .c = clean_common(1), .nsems = 2, .sems = waiting },
		{ .c = clean_common(2), .nsems = 1, .sems = idle },
		{ .c = clean_common(3), .nsems = 1, .sems = NULL },  /* unknown: no finding */
	};
	struct ipc_snapshot s = { .sem = sem, .nsem = 3 };
	struct audit_env e = env();
	struct audit_result r;

	run(&s, NULL, &r, &e);
	assert_int_equal(r.n, 1);
	assert_int_equal(count_rule(&r, "sem-waiters", 1), 1);
	assert_non_null(strstr(r.v[0].evidence, "sem[0]"));
	assert_non_null(strstr(r.v[0].evidence, "sem[1]"));
	audit_free(&r);
}

static void test_permissions_and_owner(void **st)
{
	struct msg_obj msg[4] = {
		{ .c = clean_common(1) }, { .c = clean_common(2) }, { .c = clean_common(3) },
		{ .c = clean_common(4) },
	};
	struct ipc_snapshot s = { .msg = msg, .nmsg = 4 };
	struct audit_env e = env();
	struct audit_result r;

	msg[0].c.mode = 0666;
	msg[1].c.mode = 0644;
	msg[2].c.uid = 6000;
	msg[3].c.mode = 0660;
	run(&s, NULL, &r, &e);
	assert_int_equal(count_rule(&r, "world-writable", 1), 1);
	assert_int_equal(count_rule(&r, "world-readable", 1), 0);
	assert_int_equal(count_rule(&r, "world-readable", 2), 1);
	assert_int_equal(count_rule(&r, "owner-missing", 3), 1);
	assert_int_equal(r.n, 3);
	assert_int_equal(audit_max_sev(&r), SEV_CRITICAL);
	audit_free(&r);
}

static void test_stale(void **st)
{
	const int64_t now = 1000000000, old = now - 10 * 86400;
	struct shm_obj shm[3] = {
		{ .c = clean_common(1), .cpid = 100, .atime = old, .dtime = old },   /* stale */
		{ .c = clean_common(2), .cpid = 100, .atime = now - 3600 },          /* used */
		{ .c = clean_common(3), .cpid = 100, .nattch = 1, .atime = old },    /* attached */
	};
	struct sem_obj sem[2] = { { .c = clean_common(4), .otime = old },
				  { .c = clean_common(5), .otime = now - 60 } };
	struct msg_obj msg[3] = { { .c = clean_common(6), .stime = old, .rtime = old },
				  { .c = clean_common(7), .stime = old, .rtime = now - 60 },
				  { .c = clean_common(8) } };   /* never used: ctime counts */
	struct ipc_snapshot s = { .shm = shm, .nshm = 3, .sem = sem, .nsem = 2, .msg = msg, .nmsg = 3 };
	struct audit_env e = env();
	struct audit_result r;

	for (int i = 0; i < 3; i++)
		shm[i].c.ctime = now - 30 * 86400;
	sem[0].c.ctime = sem[1].c.ctime = now - 30 * 86400;
	msg[0].c.ctime = msg[1].c.ctime = now - 30 * 86400;
	msg[2].c.ctime = now - 8 * 86400;
	assert_int_equal(e.stale_secs, 7 * 86400);   /* on by default: 7 days */
	run(&s, NULL, &r, &e);
	assert_int_equal(r.n, 4);
	assert_int_equal(count_rule(&r, "stale", 1), 1);
	assert_int_equal(count_rule(&r, "stale", 4), 1);
	assert_int_equal(count_rule(&r, "stale", 6), 1);
	assert_int_equal(count_rule(&r, "stale", 8), 1);
	assert_int_equal(r.v[0].sev, SEV_INFO);
	assert_non_null(strstr(r.v[0].evidence, "last shmat 10 days ago"));
	assert_non_null(strstr(find(&r, "stale", "sem 4")->evidence, "last semop 10 days ago"));
	assert_non_null(strstr(find(&r, "stale", "msg 6")->evidence, "last msgrcv 10 days ago"));
	assert_non_null(strstr(find(&r, "stale", "msg 8")->evidence, "last msgsnd never"));
	audit_free(&r);
	/* a receiver blocked on queue 6 for days: in use, not stale */
	struct wg_waiter w = { .pid = 100, .call = CALL_MSGRCV, .id = 6 };
	struct audit_facts F = { .waiters = &w, .nwaiters = 1 };

	run(&s, &F, &r, &e);
	assert_int_equal(count_rule(&r, "stale", -1), 3);
	assert_int_equal(count_rule(&r, "stale", 6), 0);
	audit_free(&r);
	e.stale_secs = 9 * 86400;   /* --stale-after 9 */
	run(&s, NULL, &r, &e);
	assert_int_equal(count_rule(&r, "stale", -1), 3);
	audit_free(&r);
	e.stale_secs = 0;   /* off */
	run(&s, NULL, &r, &e);
	assert_int_equal(r.n, 0);
	audit_free(&r);
}

static void test_limits(void **st)
{
	struct ns_facts ns = { .have_limits = true, .shm_rmid_forced = -1 };
	struct ipc_limits L = { 0 };
	struct ipc_snapshot s = { 0 };
	struct audit_env e = env();
	struct audit_facts F = { .ns = &ns };
	struct audit_result r;

	L.l[LIM_SHMMNI] = (struct ipc_limit){ .name = "SHMMNI", .unit = "segments", .value = 100,
		.has_usage = true, .usage = 95, .use_pct = 95, .sysctl = "kernel.shmmni" };
	L.l[LIM_MSGMNI] = (struct ipc_limit){ .name = "MSGMNI", .unit = "queues", .value = 100,
		.has_usage = true, .usage = 89, .use_pct = 89, .sysctl = "kernel.msgmni" };
	L.l[LIM_SEMOPM] = (struct ipc_limit){ .name = "SEMOPM", .value = 500 };
	ns.limits = L;
	run(&s, &F, &r, &e);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.v[0].rule, "limit-near-exhaustion");
	assert_string_equal(r.v[0].object, "limit SHMMNI");
	assert_string_equal(r.v[0].remedy, "sysctl -w kernel.shmmni=200");
	assert_string_equal(r.v[0].what, "limit");
	audit_free(&r);
	/* audited with --ns: the fix runs in that namespace */
	e.ns_pid = 4242;
	run(&s, &F, &r, &e);
	assert_string_equal(r.v[0].remedy, "nsenter --ipc --target 4242 sysctl -w kernel.shmmni=200");
	audit_free(&r);
}

static void test_orphan_creator_zombie_or_recycled(void **st)
{
	struct shm_obj shm[2] = {
		{ .c = clean_common(1), .size = 4096, .cpid = 300 },   /* zombie creator */
		{ .c = clean_common(2), .size = 4096, .cpid = 400 },   /* pid recycled since */
	};
	struct ipc_snapshot s = { .shm = shm, .nshm = 2 };
	struct audit_env e = env();
	struct audit_result r;

	run(&s, NULL, &r, &e);
	assert_int_equal(count_rule(&r, "orphaned-shm", -1), 2);
	assert_non_null(strstr(find(&r, "orphaned-shm", "shm 1")->evidence, "zombie"));
	assert_non_null(strstr(find(&r, "orphaned-shm", "shm 2")->evidence, "newer process"));
	audit_free(&r);
}

static void test_hugetlb(void **st)
{
	int32_t pid = 100;
	struct shm_obj shm[6] = {
		{ .c = clean_common(1), .size = 4 * MiB, .cpid = 100, .nattch = 1 },   /* normal pages */
		{ .c = clean_common(2), .size = 1 * MiB, .cpid = 100, .nattch = 1 },   /* small */
		{ .c = clean_common(3), .size = 4 * MiB, .cpid = 100 },                /* unknown: unmapped */
		{ .c = clean_common(4), .size = 3 * MiB, .cpid = 100, .nattch = 1, .hugetlb = true },
		{ .c = clean_common(5), .size = 4 * MiB, .cpid = 100, .nattch = 1, .hugetlb = true },
		{ .c = clean_common(6), .size = 2 * MiB, .cpid = 100, .nattch = 1 },   /* exactly one */
	};
	struct ipc_snapshot s = { .shm = shm, .nshm = 6 };
	struct audit_env e = env();
	struct ns_facts ns;
	struct audit_facts F;
	struct audit_result r;
	const struct finding *f;

	for (int i = 0; i < 6; i++)
		if (i != 2) {
			shm[i].attached = &pid;
			shm[i].nattached = 1;
		}
	default_ns(&ns, 7);
	F = facts(&ns);
	F.mem.hugepages_total = 3;
	F.mem.hugepages_free = 1;
	run(&s, &F, &r, &e);
	assert_int_equal(r.n, 3);
	assert_int_equal(count_rule(&r, "shm-not-hugetlb", 1), 1);
	assert_int_equal(count_rule(&r, "shm-not-hugetlb", 6), 1);
	assert_int_equal(count_rule(&r, "shm-hugetlb-unaligned", 4), 1);
	f = find(&r, "shm-not-hugetlb", "shm 1");
	assert_int_equal(f->sev, SEV_INFO);
	assert_non_null(strstr(f->remedy, "vm.nr_hugepages=5"));   /* 3 now + 2 for 4 MiB */
	assert_non_null(strstr(f->remedy, "SHM_HUGETLB"));
	f = find(&r, "shm-hugetlb-unaligned", NULL);
	assert_int_equal(f->sev, SEV_WARNING);
	assert_non_null(strstr(f->evidence, "1048576 bytes of the last one are unusable"));
	assert_non_null(strstr(f->remedy, "4194304 bytes"));
	assert_non_null(strstr(f->remedy, "vm.nr_hugepages"));
	audit_free(&r);
	F.mem.hugepage_size = 0;   /* no hugetlb in this kernel: no advice */
	run(&s, &F, &r, &e);
	assert_int_equal(r.n, 0);
	audit_free(&r);
}

static void test_locked(void **st)
{
	struct shm_obj shm[3] = {
		{ .c = clean_common(1), .size = 1 * GiB, .rss = 4096, .cpid = 100, .nattch = 1, .locked = true },
		{ .c = clean_common(2), .size = 2 * GiB, .cpid = 100, .nattch = 1, .locked = true },
		{ .c = clean_common(3), .size = 2 * GiB, .cpid = 100, .nattch = 1 },
	};
	struct ipc_snapshot s = { .shm = shm, .nshm = 3 };
	struct audit_env e = env();
	struct ns_facts ns;
	struct audit_facts F;
	struct audit_result r;

	default_ns(&ns, 7);
	F = facts(&ns);
	F.mem.hugepage_size = 0;
	run(&s, &F, &r, &e);
	assert_int_equal(r.n, 2);
	assert_int_equal(count_rule(&r, "shm-locked", 1), 1);
	assert_int_equal(count_rule(&r, "shm-locked", 2), 1);
	assert_int_equal(r.v[0].sev, SEV_INFO);
	assert_non_null(strstr(r.v[0].evidence, "2 locked segment(s) pin up to 3221225472 bytes in total"));
	assert_non_null(strstr(r.v[0].remedy, "SHM_UNLOCK"));
	audit_free(&r);
	F.mem.mem_total = 6 * GiB;   /* 3 GiB locked is half of RAM */
	run(&s, &F, &r, &e);
	assert_int_equal(r.v[0].sev, SEV_WARNING);
	audit_free(&r);
}

static void test_rmid_forced(void **st)
{
	struct shm_obj shm[2] = {
		{ .c = clean_common(1), .size = 4096, .cpid = 200 },   /* orphan */
		{ .c = clean_common(2), .size = 8192, .cpid = 300 },   /* orphan, zombie creator */
	};
	struct ipc_snapshot s = { .shm = shm, .nshm = 2 };
	struct audit_env e = env();
	struct ns_facts ns;
	struct audit_facts F;
	struct audit_result r;
	const struct finding *f;

	default_ns(&ns, 7);
	F = facts(&ns);
	run(&s, &F, &r, &e);
	assert_int_equal(count_rule(&r, "shm-rmid-forced-off", -1), 1);
	f = find(&r, "shm-rmid-forced-off", "sysctl kernel.shm_rmid_forced");
	assert_string_equal(f->what, "sysctl");
	assert_non_null(strstr(f->evidence, "2 orphaned segment(s), 12288 bytes"));
	assert_non_null(strstr(f->remedy, "sysctl -w kernel.shm_rmid_forced=1"));
	audit_free(&r);
	e.ns_pid = 77;
	run(&s, &F, &r, &e);
	f = find(&r, "shm-rmid-forced-off", NULL);
	assert_non_null(strstr(f->remedy, "nsenter --ipc --target 77 sysctl -w kernel.shm_rmid_forced=1"));
	audit_free(&r);
	ns.shm_rmid_forced = 1;
	run(&s, &F, &r, &e);
	assert_int_equal(count_rule(&r, "shm-rmid-forced-off", -1), 0);
	audit_free(&r);
	ns.shm_rmid_forced = -1;   /* unknown */
	run(&s, &F, &r, &e);
	assert_int_equal(count_rule(&r, "shm-rmid-forced-off", -1), 0);
	audit_free(&r);
	ns.shm_rmid_forced = 0;   /* no orphans: nothing to say */
	shm[0].cpid = shm[1].cpid = 100;
	run(&s, &F, &r, &e);
	assert_int_equal(r.n, 0);
	audit_free(&r);
}

static void test_consumer_gone(void **st)
{
	const int64_t now = 1000000000;
	struct msg_obj msg[7] = {
		{ .c = clean_common(1), .qnum = 3, .cbytes = 192, .lrpid = 200, .lspid = 100, .rtime = now - 5 },
		{ .c = clean_common(2), .qnum = 3, .cbytes = 192, .lrpid = 300, .lspid = 100, .rtime = now - 5 },
		{ .c = clean_common(3), .qnum = 3, .cbytes = 192, .lrpid = 400, .lspid = 100, .rtime = now - 5 },
		{ .c = clean_common(4), .qnum = 3, .cbytes = 192, .lrpid = 100, .lspid = 100 },  /* slow */
		{ .c = clean_common(5), .qnum = 0, .lrpid = 200 },                               /* empty */
		{ .c = clean_common(6), .qnum = 3, .cbytes = 192, .lrpid = 0 },                  /* none known */
		{ .c = clean_common(7), .qnum = 3, .cbytes = 192, .lrpid = 200 },   /* another is blocked */
	};
	struct wg_waiter w = { .pid = 500, .call = CALL_MSGRCV, .id = 7 };
	struct ipc_snapshot s = { .msg = msg, .nmsg = 7 };
	struct audit_env e = env();
	struct audit_facts F = { .waiters = &w, .nwaiters = 1 };
	struct audit_result r;
	const struct finding *f;

	run(&s, &F, &r, &e);
	assert_int_equal(r.n, 3);
	f = find(&r, "queue-consumer-gone", "msg 1");
	assert_non_null(f);
	assert_int_equal(f->sev, SEV_WARNING);
	assert_non_null(strstr(f->evidence, "last receiver pid 200 exited"));
	assert_non_null(strstr(f->remedy, "ipcrm -q 1"));
	assert_non_null(strstr(find(&r, "queue-consumer-gone", "msg 2")->evidence, "zombie"));
	assert_non_null(find(&r, "queue-consumer-gone", "msg 3"));
	audit_free(&r);
	w.call = CALL_MSGSND;   /* a blocked sender is no receiver */
	run(&s, &F, &r, &e);
	assert_int_equal(count_rule(&r, "queue-consumer-gone", 7), 1);
	audit_free(&r);
}

static void test_limit_below_host(void **st)
{
	struct ipc_snapshot s = { 0 };
	struct audit_env e = env();
	struct ns_facts ns, host;
	struct audit_facts F;
	struct audit_result r;
	const struct finding *f;

	default_ns(&ns, 7);
	default_ns(&host, 1);
	set_usage(&ns.limits.l[LIM_SHMMNI], 100, 95);
	set_usage(&ns.limits.l[LIM_MSGMNI], 4, 4);
	set_usage(&host.limits.l[LIM_MSGMNI], 6, 0);
	F = facts(&ns);
	F.host = &host;
	run(&s, &F, &r, &e);
	assert_int_equal(r.n, 2);
	f = find(&r, "limit-below-host", "limit SHMMNI");
	assert_non_null(f);
	assert_int_equal(f->sev, SEV_WARNING);
	assert_non_null(strstr(f->evidence, "lower than the host's 4096"));
	assert_non_null(strstr(f->remedy, "sysctl -w kernel.shmmni=200"));
	f = find(&r, "limit-below-host", "limit MSGMNI");
	assert_int_equal(f->sev, SEV_CRITICAL);
	assert_non_null(strstr(f->remedy, "sysctl -w kernel.msgmni=6"));   /* at most the host's */
	audit_free(&r);
	host.ipcns = 7;   /* the host's own namespace: an ordinary limit */
	run(&s, &F, &r, &e);
	assert_int_equal(count_rule(&r, "limit-near-exhaustion", -1), 2);
	assert_int_equal(count_rule(&r, "limit-below-host", -1), 0);
	audit_free(&r);
	host.ipcns = 1;   /* lower, but far from full: nothing */
	set_usage(&ns.limits.l[LIM_SHMMNI], 100, 10);
	set_usage(&ns.limits.l[LIM_MSGMNI], 4, 1);
	run(&s, &F, &r, &e);
	assert_int_equal(r.n, 0);
	audit_free(&r);
}

static void test_limit_exceeds_memory(void **st)
{
	struct ipc_snapshot s = { 0 };
	struct audit_env e = env();
	struct ns_facts ns;
	struct audit_facts F;
	struct audit_result r;

	default_ns(&ns, 7);
	F = facts(&ns);
	F.mem.mem_total = 256 * MiB;   /* defaults exempt, although msgmnb x msgmni > RAM */
	run(&s, &F, &r, &e);
	assert_int_equal(r.n, 0);
	audit_free(&r);
	F.mem.mem_total = 8 * GiB;
	ns.limits.l[LIM_SHMMAX].value = 16 * GiB;
	ns.limits.l[LIM_SHMALL].value = 4 * GiB / 4096;       /* 4 GiB: fits */
	run(&s, &F, &r, &e);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.v[0].rule, "limit-exceeds-memory");
	assert_string_equal(r.v[0].object, "limit SHMMAX");
	assert_non_null(strstr(r.v[0].remedy, "sysctl -w kernel.shmmax=8589934592"));
	audit_free(&r);
	ns.limits.l[LIM_SHMALL].value = 16 * GiB / 4096;
	ns.limits.l[LIM_MSGMNB].value = 1 * MiB;                /* x 32000 queues */
	run(&s, &F, &r, &e);
	assert_int_equal(count_rule(&r, "limit-exceeds-memory", -1), 3);
	assert_non_null(find(&r, "limit-exceeds-memory", "limit SHMALL"));
	assert_non_null(strstr(find(&r, "limit-exceeds-memory", "limit MSGMNB")->remedy, "kernel.msgmnb="));
	audit_free(&r);
}

static void test_posix(void **st)
{
	struct posix_obj shm[2] = { { .name = "ok", .mode = 0600 }, { .name = "open", .mode = 0666, .uid = 1 } };
	struct posix_obj mq[3] = { { .name = "/q1", .mode = 0600 }, { .name = "/q2", .mode = 0622 },
				   { .name = "/q3", .mode = 0600 } };
	struct posix_table t = { .shm = shm, .nshm = 2, .mq = mq, .nmq = 3 };
	/* /q1 has the defaults (at the limits, but it asked for nothing), /q2 asked for
	 * 9 messages of 8000 bytes: at 90 % and 98 % of the limits */
	struct mq_attrs at[3] = { { true, 10, 8192, 0 }, { true, 9, 8000, 0 }, { false } };
	struct devshm_facts d = { .known = true, .size = 1 * MiB, .used = 1 * MiB * 95 / 100,
				  .inodes = 1000, .inodes_used = 3 };
	struct ipc_snapshot s = { 0 };
	struct audit_env e = env();
	struct ns_facts ns;
	struct audit_facts F;
	struct audit_result r;
	const struct finding *f;

	default_ns(&ns, 7);
	ns.mq_queues_max = 3;
	F = facts(&ns);
	F.posix = &t;
	F.mq_attrs = at;
	F.devshm = &d;
	run(&s, &F, &r, &e);
	assert_non_null(f = find(&r, "world-writable", "posix-shm open"));
	assert_int_equal(f->sev, SEV_CRITICAL);
	assert_string_equal(f->what, "posix-shm");
	assert_non_null(strstr(f->remedy, "chmod o-w '/dev/shm/open'"));
	assert_non_null(find(&r, "world-writable", "posix-mq /q2"));
	assert_null(find(&r, "world-writable", "posix-shm ok"));
	assert_non_null(f = find(&r, "posix-shm-full", "tmpfs /dev/shm"));
	assert_int_equal(f->sev, SEV_WARNING);
	assert_non_null(strstr(f->evidence, "95% full"));
	assert_non_null(f = find(&r, "posix-mq-limit", "limit fs.mqueue.queues_max"));
	assert_int_equal(f->sev, SEV_CRITICAL);   /* 3 of 3 */
	assert_non_null(strstr(f->remedy, "sysctl -w fs.mqueue.queues_max=6"));
	assert_non_null(f = find(&r, "posix-mq-limit", "limit fs.mqueue.msg_max"));
	assert_int_equal(f->sev, SEV_WARNING);
	assert_non_null(strstr(f->evidence, "at 90%: the deepest queue asked for (mq_maxmsg) 9"));
	assert_non_null(f = find(&r, "posix-mq-limit", "limit fs.mqueue.msgsize_max"));
	assert_int_equal(r.n, 6);
	audit_free(&r);
	/* room everywhere and private modes: nothing */
	ns.mq_queues_max = 256;
	ns.mq_msg_max = 100;
	ns.mq_msgsize_max = 65536;
	d.used = 0;
	shm[1].mode = 0600;
	mq[1].mode = 0600;
	run(&s, &F, &r, &e);
	assert_int_equal(r.n, 0);
	audit_free(&r);
	d.used = d.size;   /* full: critical */
	run(&s, &F, &r, &e);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.v[0].sev, SEV_CRITICAL);
	audit_free(&r);
}

/* The tables side of the facts: /proc/PID/stat and /proc/meminfo text. */
static void test_fact_parsers(void **st)
{
	const char *stat_z = "4242 (a (b) c) Z 1 4242 4242 0 -1 4194564 90 0 0 0 0 0 0 0 20 0 1 0 "
			     "123456 0 0 18446744073709551615 0 0 0 0 0 0 0 0 0 17 1 0 0";
	const char *mem = "MemTotal:       16303684 kB\nMemFree: 1 kB\nHugePages_Total:       4\n"
			  "HugePages_Free:        3\nHugepagesize:       2048 kB\n";
	struct mem_facts m;
	uint64_t start;
	char state;
	FILE *f;

	assert_int_equal(pid_stat_parse(stat_z, &state, &start), 0);
	assert_int_equal(state, 'Z');
	assert_int_equal(start, 123456);
	assert_int_not_equal(pid_stat_parse("garbage", &state, &start), 0);
	f = fmemopen((void *)mem, strlen(mem), "r");
	assert_non_null(f);
	assert_int_equal(meminfo_parse(f, &m), 0);
	fclose(f);
	assert_int_equal(m.mem_total, 16303684ull * 1024);
	assert_int_equal(m.hugepage_size, 2 * MiB);
	assert_int_equal(m.hugepages_total, 4);
	assert_int_equal(m.hugepages_free, 3);
	assert_string_equal(pid_state_name(PID_ZOMBIE), "exited (zombie, not yet reaped by its parent)");
}

static void test_sev_parse(void **st)
{
	assert_int_equal(audit_sev_parse("info"), SEV_INFO);
	assert_int_equal(audit_sev_parse("warning"), SEV_WARNING);
	assert_int_equal(audit_sev_parse("critical"), SEV_CRITICAL);
	assert_int_equal(audit_sev_parse("bogus"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_tables_no_findings),
		cmocka_unit_test(test_orphaned_shm),
		cmocka_unit_test(test_removed_but_attached),
		cmocka_unit_test(test_queue_backlog),
		cmocka_unit_test(test_sem_waiters),
		cmocka_unit_test(test_permissions_and_owner),
		cmocka_unit_test(test_stale),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_orphan_creator_zombie_or_recycled),
		cmocka_unit_test(test_hugetlb),
		cmocka_unit_test(test_locked),
		cmocka_unit_test(test_rmid_forced),
		cmocka_unit_test(test_consumer_gone),
		cmocka_unit_test(test_limit_below_host),
		cmocka_unit_test(test_limit_exceeds_memory),
		cmocka_unit_test(test_posix),
		cmocka_unit_test(test_fact_parsers),
		cmocka_unit_test(test_sev_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
