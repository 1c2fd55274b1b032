// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The wait graph of one namespace for top and metrics; see deadlocks.h. */
#include <errno.h>
#include <stdlib.h>

#include "tables/deadlocks.h"
#include "tables/waiters.h"
#include "util/vec.h"

int deadlocks_scan(struct waitgraph *g, const struct ipc_snapshot *snap,
		   const struct wg_balance *bal, struct undo_reader *undo)
{
	int err;

	wg_reset(g);
	err = waiters_scan(snap->ipcns, g);
	if (err < 0)
		return err;
	for (size_t i = 0; i < snap->nsem; i++) {
		const struct sem_obj *o = &snap->sem[i];

		for (uint32_t j = 0; o->sems && j < o->nsems; j++) {
			struct wg_semval v = {
				.ipcns = snap->ipcns, .semid = o->c.id, .semnum = (uint16_t)j,
				.value = o->sems[j].val, .lastpid = o->sems[j].pid,
			};

			if ((err = wg_add_value(g, &v)))
				return err;
		}
	}
	if (undo && (err = undo_collect(undo, snap, g)) < 0)
		return err;
	if (bal && (err = wg_balance_export(bal, g)))
		return err;
	return wg_solve(g);
}

static int cmp_id(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return (x > y) - (x < y);
}

int deadlock_ids_of(const struct waitgraph *g, struct deadlock_ids *out)
{
	size_t j = 0;

	out->n = 0;
	for (size_t c = 0; c < g->ncycles; c++)
		for (size_t i = 0; i < g->cycles[c].n; i++) {
			if (vec_grow(out->v, out->n, out->cap))
				return -ENOMEM;
			out->v[out->n++] = g->edges[g->cycles[c].edges[i]].semid;
		}
	if (!out->n)
		return 0;
	qsort(out->v, out->n, sizeof(*out->v), cmp_id);
	for (size_t i = 1; i < out->n; i++)
		if (out->v[i] != out->v[j])
			out->v[++j] = out->v[i];
	out->n = j + 1;
	return 0;
}

bool deadlock_ids_has(const struct deadlock_ids *ids, int32_t semid)
{
	return ids->n && bsearch(&semid, ids->v, ids->n, sizeof(*ids->v), cmp_id);
}

void deadlock_ids_free(struct deadlock_ids *ids)
{
	free(ids->v);
	ids->v = NULL;
	ids->n = ids->cap = 0;
}

size_t deadlocks_stable(const struct waitgraph *g, const struct deadlock_ids *before)
{
	size_t n = 0;

	for (size_t c = 0; c < g->ncycles; c++) {
		bool all = true;

		for (size_t i = 0; all && i < g->cycles[c].n; i++)
			all = deadlock_ids_has(before, g->edges[g->cycles[c].edges[i]].semid);
		n += all;
	}
	return n;
}

uint32_t deadlocks_queue_waiters(const struct waitgraph *g, int32_t id)
{
	uint32_t n = 0;

	for (size_t i = 0; i < g->nwaiters; i++)
		n += (g->waiters[i].call == CALL_MSGSND || g->waiters[i].call == CALL_MSGRCV) &&
		     (id < 0 || g->waiters[i].id == id);
	return n;
}
