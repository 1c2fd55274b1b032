// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Table types: the arrays of struct wait_facts; see waitfacts.h. */
#include <stdlib.h>
#include <string.h>

#include "tables/waitfacts.h"
#include "util/vec.h"

void wait_facts_free(struct wait_facts *f)
{
	free(f->waiters);
	free(f->holds);
	free(f->vals);
	memset(f, 0, sizeof(*f));
}

int wait_facts_add_waiter(struct wait_facts *f, const struct wg_waiter *w)
{
	return vec_push(f->waiters, f->nwaiters, f->capw, *w);
}

int wait_facts_add_hold(struct wait_facts *f, const struct wg_hold *h)
{
	return vec_push(f->holds, f->nholds, f->caph, *h);
}

int wait_facts_add_value(struct wait_facts *f, const struct wg_semval *v)
{
	return vec_push(f->vals, f->nvals, f->capv, *v);
}
