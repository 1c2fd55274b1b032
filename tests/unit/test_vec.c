// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests for util/vec.h: growth, pushes, overflow refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <errno.h>
#include <cmocka.h>

#include "util/vec.h"

struct pair {
	int a;
	long b;
};

static void push_keeps_order(void **state)
{
	struct pair *v = NULL;
	size_t n = 0, cap = 0;

	for (int i = 0; i < 1000; i++)
		assert_int_equal(vec_push(v, n, cap, ((struct pair){ i, -i })), 0);
	assert_int_equal(n, 1000);
	assert_true(cap >= 1000);
	assert_true(cap < 2000);   /* doubling: never more than twice the need */
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(v[i].a, i);
		assert_int_equal(v[i].b, -i);
	}
	free(v);
}

static void grow_makes_room_for_one(void **state)
{
	unsigned int *v = NULL;
	unsigned int n = 0, cap = 0;   /* a narrower capacity type works too */

	assert_int_equal(vec_grow(v, n, cap), 0);
	assert_int_equal(cap, VEC_MIN_CAP);
	for (n = 0; n < VEC_MIN_CAP; n++)
		v[n] = n;
	/* full: the next grow doubles, the contents stay */
	assert_int_equal(vec_grow(v, n, cap), 0);
	assert_int_equal(cap, 2 * VEC_MIN_CAP);
	assert_int_equal(v[VEC_MIN_CAP - 1], VEC_MIN_CAP - 1);
	/* room left: no change */
	assert_int_equal(vec_grow(v, n, cap), 0);
	assert_int_equal(cap, 2 * VEC_MIN_CAP);
	free(v);
}

static void reserve_jumps_to_need(void **state)
{
	char *v = NULL;
	size_t cap = 0;

	assert_int_equal(vec_reserve(v, cap, 1000), 0);
	assert_int_equal(cap, 1024);
	assert_int_equal(vec_reserve(v, cap, 10), 0);   /* never shrinks */
	assert_int_equal(cap, 1024);
	free(v);
}

static void overflow_is_enomem(void **state)
{
	long *v = NULL;
	size_t n = 0, cap = 0;

	assert_int_equal(vec_next_cap(0, SIZE_MAX, 1), 0);
	assert_int_equal(vec_next_cap(0, SIZE_MAX / 4, sizeof(long)), 0);
	assert_int_equal(vec_reserve(v, cap, SIZE_MAX / 2), -ENOMEM);
	assert_null(v);
	assert_int_equal(cap, 0);
	/* the array is unchanged by a refused growth */
	assert_int_equal(vec_push(v, n, cap, 7L), 0);
	assert_int_equal(vec_reserve(v, cap, SIZE_MAX / 2), -ENOMEM);
	assert_int_equal(n, 1);
	assert_int_equal(v[0], 7);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(push_keeps_order),
		cmocka_unit_test(grow_makes_room_for_one),
		cmocka_unit_test(reserve_jumps_to_need),
		cmocka_unit_test(overflow_is_enomem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
