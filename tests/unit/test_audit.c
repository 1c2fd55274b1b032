// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Each audit rule fires on a synthetic object that breaks it and not on a clean one. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "analysis/audit.h"
#include "events.h"

static bool alive_cb(int32_t pid, void *ctx) { return pid == 100; }   /* only pid 100 lives */
static bool uid_cb(uint32_t uid, void *ctx) { return uid < 5000; }     /* uids >= 5000 vanished */

static struct audit_env env(void)
{
	struct audit_env e;

	audit_env_defaults(&e);
	e.now = 1000000000;
	e.pid_alive = alive_cb;
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

static void run(struct ipc_snapshot *s, const struct ipc_limits *L, struct audit_result *r,
		const struct audit_env *e)
{
	assert_int_equal(audit_run(e, s, L, r), 0);
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
	struct shm_obj shm[2] = {
		{ .c = clean_common(1), .cpid = 100, .nattch = 1, .atime = 1000000000 - 10 * 86400 },
		{ .c = clean_common(2), .cpid = 100, .nattch = 1, .atime = 1000000000 - 3600 },
	};
	struct ipc_snapshot s = { .shm = shm, .nshm = 2 };
	struct audit_env e = env();
	struct audit_result r;

	shm[0].c.ctime = 1000000000 - 30 * 86400;
	e.stale_secs = 7 * 86400;
	run(&s, NULL, &r, &e);
	assert_int_equal(r.n, 1);
	assert_int_equal(count_rule(&r, "stale", 1), 1);
	assert_int_equal(r.v[0].sev, SEV_INFO);
	audit_free(&r);
	e.stale_secs = 0;   /* off */
	run(&s, NULL, &r, &e);
	assert_int_equal(r.n, 0);
	audit_free(&r);
}

static void test_limits(void **st)
{
	struct ipc_limits L = { 0 };
	struct ipc_snapshot s = { 0 };
	struct audit_env e = env();
	struct audit_result r;

	L.l[LIM_SHMMNI] = (struct ipc_limit){ .name = "SHMMNI", .unit = "segments", .value = 100,
		.has_usage = true, .usage = 95, .use_pct = 95, .sysctl = "kernel.shmmni" };
	L.l[LIM_MSGMNI] = (struct ipc_limit){ .name = "MSGMNI", .unit = "queues", .value = 100,
		.has_usage = true, .usage = 89, .use_pct = 89, .sysctl = "kernel.msgmni" };
	L.l[LIM_SEMOPM] = (struct ipc_limit){ .name = "SEMOPM", .value = 500 };
	run(&s, &L, &r, &e);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.v[0].rule, "limit-near-exhaustion");
	assert_string_equal(r.v[0].object, "limit SHMMNI");
	assert_string_equal(r.v[0].remedy, "sysctl -w kernel.shmmni=200");
	audit_free(&r);
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
		cmocka_unit_test(test_sev_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
