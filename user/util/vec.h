/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Growing arrays kept as (pointer, count, capacity) fields of a struct.
 * The capacity doubles (from VEC_MIN_CAP), so n pushes cost O(n) copies.
 * Every macro evaluates to 0 or -ENOMEM; on failure the array is unchanged.
 *
 *   vec_reserve(arr, cap, need)   room for `need` elements in all
 *   vec_grow(arr, n, cap)         room for one more, at arr[n]
 *   vec_push(arr, n, cap, item)   vec_grow, then arr[n++] = item
 *
 * `arr` and `cap` are lvalues (evaluated more than once); `cap` may be any
 * unsigned integer type.
 */
#ifndef IPCS_UTIL_VEC_H
#define IPCS_UTIL_VEC_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#define VEC_MIN_CAP 16

/* The capacity after growing `cap` to hold `need` elements, 0 on overflow. */
static inline size_t vec_next_cap(size_t cap, size_t need, size_t size)
{
	size_t nc = cap ? cap : VEC_MIN_CAP;

	while (nc < need) {
		if (nc > SIZE_MAX / 2)
			return 0;
		nc *= 2;
	}
	return nc > SIZE_MAX / size ? 0 : nc;
}

#define vec_reserve(arr, cap, need)                                            \
	({                                                                     \
		size_t vec_need_ = (need);                                     \
		int vec_err_ = 0;                                              \
		if (vec_need_ > (size_t)(cap)) {                               \
			size_t vec_nc_ = vec_next_cap((cap), vec_need_, sizeof(*(arr))); \
			void *vec_p_ = vec_nc_ ? realloc((arr), vec_nc_ * sizeof(*(arr))) : NULL; \
			if (vec_p_) {                                          \
				(arr) = vec_p_;                                \
				(cap) = vec_nc_;                               \
			} else {                                               \
				vec_err_ = -ENOMEM;                            \
			}                                                      \
		}                                                              \
		vec_err_;                                                      \
	})

#define vec_grow(arr, n, cap) vec_reserve(arr, cap, (size_t)(n) + 1)

#define vec_push(arr, n, cap, item)                                            \
	({                                                                     \
		int vec_perr_ = vec_grow(arr, n, cap);                         \
		if (!vec_perr_)                                                \
			(arr)[(n)++] = (item);                                 \
		vec_perr_;                                                     \
	})

#endif
