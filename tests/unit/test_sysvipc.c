// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* /proc/sysvipc parsers, limits and process helpers on fixed text. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <errno.h>
#include <unistd.h>

#include "tables/limits.h"
#include "tables/proc.h"
#include "tables/sysvipc.h"

static FILE *text(const char *s)
{
	return fmemopen((void *)s, strlen(s), "r");
}

/* Header and two rows as kernel 6.x prints them. */
static const char SHM[] =
"       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap\n"
"  12345678         7  1666                  4096   100   101      0  1000  1000     0     0          0          0 1700000000                  4096                     0\n"
"         0         3   600              16777216   200   200      2     0     0     0     0 1700000001 1700000002 1700000003                     0                     0\n";

static void test_shm(void **st)
{
	struct ipc_snapshot s = { 0 };
	FILE *f = text(SHM);
	const struct shm_obj *o;

	assert_int_equal(parse_sysvipc_shm(f, &s), 0);
	fclose(f);
	assert_int_equal(s.nshm, 2);
	assert_int_equal(s.warnings, 0);
	/* sorted by id */
	assert_int_equal(s.shm[0].c.id, 3);
	o = snapshot_shm(&s, 7);
	assert_non_null(o);
	assert_int_equal(o->c.key, 12345678);
	assert_int_equal(o->c.mode & 0777, 0666);
	assert_true(o->dest);            /* 01000 = SHM_DEST */
	assert_false(o->locked);
	assert_int_equal(o->size, 4096);
	assert_int_equal(o->cpid, 100);
	assert_int_equal(o->lpid, 101);
	assert_int_equal(o->c.uid, 1000);
	assert_int_equal(o->c.ctime, 1700000000);
	assert_int_equal(o->rss, 4096);
	o = snapshot_shm(&s, 3);
	assert_int_equal(o->nattch, 2);
	assert_int_equal(o->size, 16777216);
	assert_null(snapshot_shm(&s, 99));
	snapshot_free(&s);
}

/* Columns in another order, one extra unknown column: found by name. */
static const char SEM_REORDERED[] =
"semid key perms nsems uid gid cuid cgid otime ctime future\n"
"5 -1 644 3 0 0 0 0 0 1700000000 9\n";

static void test_sem_columns_by_name(void **st)
{
	struct ipc_snapshot s = { 0 };
	FILE *f = text(SEM_REORDERED);

	assert_int_equal(parse_sysvipc_sem(f, &s), 0);
	fclose(f);
	assert_int_equal(s.nsem, 1);
	assert_int_equal(s.sem[0].c.id, 5);
	assert_int_equal(s.sem[0].c.key, -1);
	assert_int_equal(s.sem[0].nsems, 3);
	assert_int_equal(s.sem[0].c.mode, 0644);
	snapshot_free(&s);
}

static const char MSG_BAD[] =
"       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid      stime      rtime      ctime\n"
"         1          2   666         128          2    10    11     0     0     0     0          5          6          7\n"
"garbage line\n"
"         1          x   666         128          2    10    11     0     0     0     0          5          6          7\n"
"         3          4   666          64          1    10    11     0     0     0     0          5          6          7\n"
"         5          6   666";   /* truncated, no newline */

static void test_msg_malformed(void **st)
{
	struct ipc_snapshot s = { 0 };
	FILE *f = text(MSG_BAD);

	assert_int_equal(parse_sysvipc_msg(f, &s), 0);
	fclose(f);
	assert_int_equal(s.nmsg, 2);
	assert_int_equal(s.warnings, 3);   /* short line, bad number, truncated */
	assert_int_equal(snapshot_msg(&s, 2)->cbytes, 128);
	assert_int_equal(snapshot_msg(&s, 2)->qnum, 2);
	assert_int_equal(snapshot_msg(&s, 4)->lrpid, 11);
	snapshot_free(&s);
}

static void test_not_a_table(void **st)
{
	struct ipc_snapshot s = { 0 };
	FILE *f = text("hello world\n1 2\n");

	assert_int_equal(parse_sysvipc_shm(f, &s), -22);
	fclose(f);
	f = text("");
	assert_int_equal(parse_sysvipc_shm(f, &s), 0);   /* empty: no objects */
	fclose(f);
	assert_int_equal(s.nshm, 0);
}

static void test_every_truncation(void **st)
{
	/* Any prefix of a valid table parses without error or crash. */
	for (size_t n = 0; n <= sizeof(SHM) - 1; n++) {
		struct ipc_snapshot s = { 0 };
		FILE *f = fmemopen((void *)SHM, n ? n : 1, "r");

		if (n == 0) {
			fclose(f);
			continue;
		}
		int err = parse_sysvipc_shm(f, &s);

		fclose(f);
		assert_true(err == 0 || err == -22);
		assert_true(s.nshm <= 2);
		snapshot_free(&s);
	}
}

static void test_sysctl_line(void **st)
{
	struct ipc_limits L = { 0 };
	char buf[128];

	L.l[LIM_SEMMSL] = (struct ipc_limit){ .name = "SEMMSL", .value = 32000, .sysctl = "kernel.sem" };
	L.l[LIM_SEMMNS] = (struct ipc_limit){ .name = "SEMMNS", .value = 1024000000, .sysctl = "kernel.sem" };
	L.l[LIM_SEMOPM] = (struct ipc_limit){ .name = "SEMOPM", .value = 500, .sysctl = "kernel.sem" };
	L.l[LIM_SEMMNI] = (struct ipc_limit){ .name = "SEMMNI", .value = 32000, .sysctl = "kernel.sem" };
	L.l[LIM_SHMMNI] = (struct ipc_limit){ .name = "SHMMNI", .value = 4096, .sysctl = "kernel.shmmni" };
	limits_sysctl_line(&L, LIM_SEMMNI, 64000, buf, sizeof(buf));
	assert_string_equal(buf, "sysctl -w kernel.sem='32000 1024000000 500 64000'");
	limits_sysctl_line(&L, LIM_SHMMNI, 8192, buf, sizeof(buf));
	assert_string_equal(buf, "sysctl -w kernel.shmmni=8192");
}

static void test_container_id(void **st)
{
	char id[80];
	const char *cg = "/system.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope";

	assert_true(cgroup_container_id(cg, id, sizeof(id)));
	assert_string_equal(id, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	/* containerd's cri and podman's names, and the first run is not taken */
	assert_true(cgroup_container_id("/kubepods/burstable/pod1/cri-containerd-"
					"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.scope",
					id, sizeof(id)));
	assert_int_equal(strlen(id), 64);
	assert_false(cgroup_container_id("/user.slice/deadbeefdeadbeefdeadbeefdeadbeefx", id, sizeof(id)));
	assert_false(cgroup_container_id("/user.slice/user-0.slice/session-1.scope", id, sizeof(id)));
}

static void test_self_proc(void **st)
{
	struct proc_info pi;

	assert_int_equal(proc_info_read(getpid(), &pi), 0);
	assert_true(pi.alive);
	assert_string_equal(pi.comm, "test_sysvipc");
	assert_non_null(strstr(pi.cmdline, "test_sysvipc"));
	assert_true(pi.ipcns != 0);
	assert_true(pi.starttime != 0);
	assert_int_equal(proc_info_read(0x7ffffff0, &pi), -ESRCH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shm),
		cmocka_unit_test(test_sem_columns_by_name),
		cmocka_unit_test(test_msg_malformed),
		cmocka_unit_test(test_not_a_table),
		cmocka_unit_test(test_every_truncation),
		cmocka_unit_test(test_sysctl_line),
		cmocka_unit_test(test_container_id),
		cmocka_unit_test(test_self_proc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
