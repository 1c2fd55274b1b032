// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests for tables/nslist.h: one entry per namespace, sorted, the first kept. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "tables/nslist.h"

static struct ipcns_entry ent(uint32_t inode, int32_t pid)
{
	struct ipcns_entry e = { .inode = inode, .pid = pid };

	snprintf(e.comm, sizeof(e.comm), "p%d", pid);
	return e;
}

static void unique_sorts_and_keeps_the_first(void **state)
{
	/* the iterator's order: a namespace seen again after the LRU dropped it */
	struct ipcns_entry v[] = { ent(40, 1), ent(7, 2), ent(40, 3), ent(9, 4), ent(7, 5),
				   ent(40, 6), ent(9, 7) };
	size_t n = sizeof(v) / sizeof(v[0]);

	ipcns_entries_unique(v, &n);
	assert_int_equal(n, 3);
	assert_int_equal(v[0].inode, 7);
	assert_int_equal(v[0].pid, 2);
	assert_string_equal(v[0].comm, "p2");
	assert_int_equal(v[1].inode, 9);
	assert_int_equal(v[1].pid, 4);
	assert_int_equal(v[2].inode, 40);
	assert_int_equal(v[2].pid, 1);
}

static void unique_of_none_and_one(void **state)
{
	struct ipcns_entry v[1] = { ent(5, 9) };
	size_t n = 0;

	ipcns_entries_unique(v, &n);
	assert_int_equal(n, 0);
	n = 1;
	ipcns_entries_unique(v, &n);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].inode, 5);
	assert_int_equal(v[0].pid, 9);
}

/* The /proc reading: our own namespace is there, with a process that lives in it. */
static void proc_list_has_ours(void **state)
{
	struct ipcns_entry *v = NULL;
	struct stat st;
	size_t n = 0;
	bool found = false;

	assert_int_equal(stat("/proc/self/ns/ipc", &st), 0);
	assert_int_equal(ipcns_list(&v, &n), 0);
	assert_true(n >= 1);
	for (size_t i = 0; i < n; i++) {
		if (i)
			assert_true(v[i - 1].inode < v[i].inode);
		if (v[i].inode == (uint32_t)st.st_ino)
			found = true;
	}
	assert_true(found);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unique_sorts_and_keeps_the_first),
		cmocka_unit_test(unique_of_none_and_one),
		cmocka_unit_test(proc_list_has_ours),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
