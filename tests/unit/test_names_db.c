// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* names_db reads passwd/group lines itself: ids, comments, NIS entries, long names. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/names_db.h"

static char path[64];

static int setup(void **st)
{
	static const char text[] =
		"# a comment:x:7:\n"
		"root:x:0:0:root:/root:/bin/bash\n"
		"+nisuser:x:5:\n"
		"-other::6:\n"
		"broken line without colons\n"
		"badid:x:12ab:1::/:/bin/sh\n"
		"daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
		"first:x:1000:1000::/home/first:/bin/sh\n"
		"second:x:1000:1000::/home/second:/bin/sh\n"
		"averyveryverylongusername:x:2000:2000::/:/bin/sh\n"
		"big:x:4294967295:1::/:/bin/sh\n"
		"users:x:100:alice,bob\n"
		"nonl:x:42:";
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/names_db_test.%d", (int)getpid());
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static int teardown(void **st)
{
	unlink(path);
	return 0;
}

static void test_finds_names(void **st)
{
	char buf[32];

	assert_int_equal(names_db_lookup(path, 0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "root");
	assert_int_equal(names_db_lookup(path, 1, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "daemon");
	assert_int_equal(names_db_lookup(path, 100, buf, sizeof(buf)), 0);   /* group line */
	assert_string_equal(buf, "users");
	assert_int_equal(names_db_lookup(path, UINT32_MAX, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "big");
	assert_int_equal(names_db_lookup(path, 42, buf, sizeof(buf)), 0);    /* no newline */
	assert_string_equal(buf, "nonl");
}

static void test_first_line_wins(void **st)
{
	char buf[32];

	assert_int_equal(names_db_lookup(path, 1000, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "first");
}

static void test_skips_comments_nis_and_garbage(void **st)
{
	char buf[32];

	assert_int_equal(names_db_lookup(path, 7, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(names_db_lookup(path, 5, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(names_db_lookup(path, 6, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(names_db_lookup(path, 12, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(names_db_lookup(path, 4242, buf, sizeof(buf)), -ENOENT);
}

static void test_long_name_and_missing_file(void **st)
{
	char buf[16];

	assert_int_equal(names_db_lookup(path, 2000, buf, sizeof(buf)), -ERANGE);
	assert_int_equal(names_db_lookup("/nonexistent/passwd", 0, buf, sizeof(buf)), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_finds_names),
		cmocka_unit_test(test_first_line_wins),
		cmocka_unit_test(test_skips_comments_nis_and_garbage),
		cmocka_unit_test(test_long_name_and_missing_file),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
