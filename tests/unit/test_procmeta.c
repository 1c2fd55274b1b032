// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests for the process metadata cache (user/tables/procmeta.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "source/mmaptrack.h"
#include "tables/procmeta.h"

static void test_parse_map_line(void **state)
{
	struct proc_map m;

	assert_true(procmeta_parse_map_line(
		"55d0c8a01000-55d0c8a05000 r-xp 00001000 fe:01 1234   /usr/bin/cat\n", &m));
	assert_int_equal(m.start, 0x55d0c8a01000ull);
	assert_int_equal(m.end, 0x55d0c8a05000ull);
	assert_int_equal(m.pgoff, 0x1000);
	assert_string_equal(m.path, "/usr/bin/cat");
	assert_int_equal(m.build_id_len, 0);
	/* deleted files keep their marker: the build-id is what identifies them */
	assert_true(procmeta_parse_map_line(
		"7f0000001000-7f0000002000 r-xp 00000000 00:1f 99 /tmp/a b (deleted)", &m));
	assert_string_equal(m.path, "/tmp/a b (deleted)");
	/* not executable, anonymous, pseudo-files */
	assert_false(procmeta_parse_map_line(
		"55d0c8a00000-55d0c8a01000 r--p 00000000 fe:01 1234 /usr/bin/cat", &m));
	assert_false(procmeta_parse_map_line(
		"7ffd1000-7ffd2000 r-xp 00000000 00:00 0 ", &m));
	assert_false(procmeta_parse_map_line(
		"7ffd1000-7ffd2000 r-xp 00000000 00:00 0   [vdso]", &m));
	assert_false(procmeta_parse_map_line("garbage", &m));
	assert_false(procmeta_parse_map_line("", &m));
}

static void test_capture_self(void **state)
{
	struct procmeta_cache *c = procmeta_new();
	const struct proc_meta *m;
	const struct proc_map *pm;
	char exe[256] = "";
	uint8_t id[PROCMETA_BUILD_ID_MAX];
	size_t idlen;
	struct stat st;
	int fd;

	assert_non_null(c);
	m = procmeta_capture(c, getpid());
	assert_non_null(m);
	assert_int_equal(m->pid, getpid());
	assert_int_equal(m->ppid, getppid());
	assert_int_equal(m->uid, getuid());
	assert_string_equal(m->comm, "test_procmeta");
	assert_non_null(strstr(m->cmdline, "test_procmeta"));
	assert_true(readlink("/proc/self/exe", exe, sizeof(exe) - 1) > 0);
	assert_string_equal(m->exe, exe);
	assert_int_equal(stat("/proc/self/ns/ipc", &st), 0);
	assert_int_equal(m->ipcns, st.st_ino);
	assert_true(m->cgroup[0] == '/' || m->cgroup[0] == '\0');

	/* this function's code is in an executable mapping of our binary */
	pm = procmeta_find_map(m, (uint64_t)(uintptr_t)&test_capture_self);
	assert_non_null(pm);
	assert_string_equal(pm->path, exe);
	fd = open("/proc/self/exe", O_RDONLY);
	assert_true(fd >= 0);
	idlen = procmeta_build_id_fd(fd, id, sizeof(id));
	close(fd);
	assert_true(idlen > 0);            /* Debian's gcc links with --build-id */
	assert_int_equal(pm->build_id_len, idlen);
	assert_memory_equal(pm->build_id, id, idlen);

	/* libc is mapped too, with its own build-id */
	pm = procmeta_find_map(m, (uint64_t)(uintptr_t)&getpid);
	assert_non_null(pm);
	assert_non_null(strstr(pm->path, "libc"));
	assert_true(pm->build_id_len >= 16);
	assert_null(procmeta_find_map(m, 0));

	assert_ptr_equal(procmeta_get(c, getpid()), m);
	/* recapture updates the same entry in place */
	assert_ptr_equal(procmeta_capture(c, getpid()), m);
	assert_int_equal(procmeta_count(c), 1);
	procmeta_free(c);
}

/* A child, captured while alive, stays known after it is reaped. */
static void test_capture_child_outlives(void **state)
{
	struct procmeta_cache *c = procmeta_new();
	const struct proc_meta *m;
	int go[2];
	pid_t pid;
	char b;

	assert_int_equal(pipe(go), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(go[1]);
		if (read(go[0], &b, 1) < 0)
			_exit(2);
		_exit(0);
	}
	close(go[0]);
	m = procmeta_capture(c, pid);
	assert_non_null(m);
	assert_int_equal(m->ppid, getpid());
	assert_true(m->nmaps > 0);
	assert_false(m->exited);
	close(go[1]);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	/* gone: capture fails, the entry captured before is kept */
	assert_null(procmeta_capture(c, pid));
	assert_ptr_equal(procmeta_get(c, pid), m);
	assert_true(m->nmaps > 0);
	procmeta_mark_exit(c, pid, 1234);
	assert_true(m->exited);
	assert_int_equal(m->exit_ts_ns, 1234);
	procmeta_mark_exit(c, pid, 9999);      /* first exit wins */
	assert_int_equal(m->exit_ts_ns, 1234);
	procmeta_free(c);
}

static void test_put_inherit_many(void **state)
{
	struct procmeta_cache *c = procmeta_new();
	struct proc_map maps[2] = {
		{ .start = 0x1000, .end = 0x2000, .path = "/bin/a" },
		{ .start = 0x7000, .end = 0x9000, .pgoff = 0x3000, .path = "/lib/b.so",
		  .build_id = { 0xde, 0xad }, .build_id_len = 2 },
	};
	struct proc_meta in = { .pid = 10, .ppid = 1, .uid = 1000, .comm = "a",
				.cmdline = "a --x", .maps = maps, .nmaps = 2 };
	const struct proc_meta *m, *k;
	char hex[2 * PROCMETA_BUILD_ID_MAX + 1];

	m = procmeta_put(c, &in);
	assert_non_null(m);
	assert_ptr_not_equal(m->maps, maps);       /* deep copy */
	maps[0].start = 0;
	assert_int_equal(procmeta_find_map(m, 0x1800)->start, 0x1000);
	assert_string_equal(procmeta_find_map(m, 0x8000)->path, "/lib/b.so");
	assert_null(procmeta_find_map(m, 0x2000));  /* end is exclusive */

	k = procmeta_inherit(c, 11, 10);
	assert_non_null(k);
	assert_int_equal(k->pid, 11);
	assert_int_equal(k->ppid, 10);
	assert_string_equal(k->cmdline, "a --x");
	assert_int_equal(k->nmaps, 2);
	assert_ptr_not_equal(k->maps, m->maps);
	assert_null(procmeta_inherit(c, 12, 4242));

	/* many pids: the table grows, earlier pointers stay valid */
	for (int32_t pid = 100; pid < 5100; pid++) {
		struct proc_meta x = { .pid = pid };

		snprintf(x.comm, sizeof(x.comm), "p%d", pid);
		assert_non_null(procmeta_put(c, &x));
	}
	assert_int_equal(procmeta_count(c), 5002);
	assert_ptr_equal(procmeta_get(c, 10), m);
	assert_string_equal(procmeta_get(c, 4321)->comm, "p4321");
	assert_null(procmeta_get(c, 99));
	assert_int_equal(procmeta_at(c, 0)->pid, 10);
	assert_int_equal(procmeta_at(c, 5001)->pid, 5099);
	assert_null(procmeta_at(c, 5002));

	procmeta_build_id_hex(m->maps[1].build_id, m->maps[1].build_id_len, hex);
	assert_string_equal(hex, "dead");
	procmeta_free(c);
	procmeta_free(NULL);
}

static void test_add_clear_maps(void **state)
{
	struct procmeta_cache *c = procmeta_new();
	struct proc_map a = { .start = 0x1000, .end = 0x3000, .path = "/a" };
	struct proc_map b = { .start = 0x2000, .end = 0x4000, .path = "/b" };
	struct proc_map d = { .start = 0x8000, .end = 0x9000, .path = "/d" };
	const struct proc_meta *m;

	assert_int_equal(procmeta_add_map(c, 7, &a), 0);
	assert_int_equal(procmeta_add_map(c, 7, &d), 0);
	m = procmeta_get(c, 7);
	assert_int_equal(m->nmaps, 2);
	/* b overlaps a: a mapping at the same place replaces the old one */
	assert_int_equal(procmeta_add_map(c, 7, &b), 0);
	assert_int_equal(m->nmaps, 2);
	assert_string_equal(procmeta_find_map(m, 0x2800)->path, "/b");
	assert_null(procmeta_find_map(m, 0x1800));
	assert_string_equal(procmeta_find_map(m, 0x8800)->path, "/d");
	/* an exec at t=1000: the image goes to history, the new one starts empty */
	assert_int_equal(procmeta_end_image(c, 7, 1000), 0);
	assert_int_equal(m->nmaps, 0);
	assert_null(procmeta_find_map(m, 0x8800));
	{
		struct proc_map e = { .start = 0x8000, .end = 0xa000, .path = "/e" };
		struct proc_meta tmp;
		const struct proc_meta *then;

		assert_int_equal(procmeta_add_map(c, 7, &e), 0);
		/* a creation before the exec sees the old image, after it the new */
		then = procmeta_at_time(m, 999, &tmp);
		assert_ptr_equal(then, &tmp);
		assert_int_equal(then->nmaps, 2);
		assert_string_equal(procmeta_find_map(then, 0x8800)->path, "/d");
		assert_string_equal(procmeta_find_map(then, 0x2800)->path, "/b");
		assert_ptr_equal(procmeta_at_time(m, 1000, &tmp), m);
		assert_string_equal(procmeta_find_map(m, 0x8800)->path, "/e");
		assert_ptr_equal(procmeta_at_time(m, 0, &tmp), m);
		/* a second exec: three images, each found at its own time */
		assert_int_equal(procmeta_end_image(c, 7, 2000), 0);
		assert_string_equal(procmeta_find_map(procmeta_at_time(m, 1500, &tmp), 0x8800)->path,
				    "/e");
		assert_string_equal(procmeta_find_map(procmeta_at_time(m, 500, &tmp), 0x8800)->path,
				    "/d");
		assert_int_equal(procmeta_at_time(m, 2500, &tmp)->nmaps, 0);
		/* many execs: the history stays bounded */
		for (uint64_t t = 3000; t < 3000 + 1000; t++) {
			assert_int_equal(procmeta_add_map(c, 7, &e), 0);
			assert_int_equal(procmeta_end_image(c, 7, t), 0);
		}
		assert_true(m->nold <= 256);
		assert_string_equal(procmeta_find_map(procmeta_at_time(m, 3998, &tmp), 0x8800)->path,
				    "/e");
	}
	procmeta_free(c);
}

/* Exited long enough ago: forgotten; the rest stay findable. */
static void test_prune(void **state)
{
	struct procmeta_cache *c = procmeta_new();
	struct proc_map map = { .start = 1, .end = 2, .path = "/x" };

	for (int32_t pid = 1; pid <= 1000; pid++) {
		struct proc_meta m = { .pid = pid, .maps = &map, .nmaps = 1 };

		assert_non_null(procmeta_put(c, &m));
		if (pid % 3 == 0)
			procmeta_mark_exit(c, pid, 100);       /* long ago */
		else if (pid % 3 == 1)
			procmeta_mark_exit(c, pid, 5000);      /* just now */
	}
	assert_int_equal(procmeta_prune(c, 1000), 333);
	assert_int_equal(procmeta_count(c), 667);
	for (int32_t pid = 1; pid <= 1000; pid++) {
		const struct proc_meta *m = procmeta_get(c, pid);

		if (pid % 3 == 0) {
			assert_null(m);
		} else {
			assert_non_null(m);
			assert_int_equal(m->pid, pid);
			assert_int_equal(m->nmaps, 1);
		}
	}
	assert_int_equal(procmeta_prune(c, 1000), 0);
	/* new entries still go in after a prune */
	assert_non_null(procmeta_add_map(c, 3, &map) == 0 ? procmeta_get(c, 3) : NULL);
	procmeta_free(c);
}

/*
 * A child that execs and exits before /proc could be read: perf's mmap
 * records still give its new image's mappings, with build-ids.
 */
static void test_mmaptrack_short_lived(void **state)
{
	struct procmeta_cache *c = procmeta_new();
	const struct proc_meta *m;
	struct mmaptrack *t;
	bool exe = false, libc = false;
	char *argv[] = { "/bin/true", NULL };
	int err;
	pid_t pid;

	t = mmaptrack_open(&err);
	if (!t && (err == -EACCES || err == -EPERM || err == -ENOENT || err == -ENOSYS)) {
		print_message("perf events unavailable here (%d): skipped\n", err);
		procmeta_free(c);
		skip();
	}
	assert_non_null(t);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	assert_null(procmeta_capture(c, pid));       /* gone: /proc cannot help */
	assert_true(mmaptrack_drain(t, c) > 0);
	m = procmeta_get(c, pid);
	assert_non_null(m);
	for (size_t i = 0; i < m->nmaps; i++) {
		/* nothing of the parent's image survives the exec */
		assert_null(strstr(m->maps[i].path, "test_procmeta"));
		if (strstr(m->maps[i].path, "/true"))
			exe = true;
		if (strstr(m->maps[i].path, "libc")) {
			libc = true;
			assert_true(m->maps[i].build_id_len >= 16);
		}
	}
	assert_true(exe);
	assert_true(libc);
	/* the new image's name and executable, not the parent's */
	assert_string_equal(m->comm, "true");
	assert_non_null(strstr(m->exe, "/true"));
	assert_int_equal(mmaptrack_lost(t), 0);
	mmaptrack_close(t);
	procmeta_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_map_line),
		cmocka_unit_test(test_capture_self),
		cmocka_unit_test(test_capture_child_outlives),
		cmocka_unit_test(test_put_inherit_many),
		cmocka_unit_test(test_add_clear_maps),
		cmocka_unit_test(test_prune),
		cmocka_unit_test(test_mmaptrack_short_lived),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
