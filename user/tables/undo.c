// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Table reader: SEM_UNDO holders from the task iterator; see undo.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "undo_rec.h"
#include "undo_iter.skel.h"
#include "tables/iterread.h"
#include "tables/undo.h"

struct undo_reader {
	struct undo_iter_bpf *skel;
	uint32_t ipcns;
};

struct undo_reader *undo_open(uint32_t ipcns, int *err)
{
	struct undo_reader *r = calloc(1, sizeof(*r));

	if (!r) {
		*err = -ENOMEM;
		return NULL;
	}
	r->ipcns = ipcns;
	r->skel = undo_iter_bpf__open();
	if (!r->skel) {
		*err = -errno;
		free(r);
		return NULL;
	}
	r->skel->rodata->filter_ipcns = ipcns;
	*err = undo_iter_bpf__load(r->skel);
	if (!*err)
		*err = undo_iter_bpf__attach(r->skel);
	if (*err) {
		undo_iter_bpf__destroy(r->skel);
		free(r);
		return NULL;
	}
	return r;
}

void undo_close(struct undo_reader *r)
{
	if (!r)
		return;
	undo_iter_bpf__destroy(r->skel);
	free(r);
}

static bool asked(const struct undo_set *sets, size_t n, int32_t semid)
{
	for (size_t i = 0; i < n; i++)
		if (sets[i].semid == semid)
			return true;
	return false;
}

struct collect_job {
	const struct undo_set *sets;
	size_t nsets;
	struct wait_facts *f;
	int added;
};

/* One process's adjustments on one set: a hold per semaphore it moved. */
static int add_rec(const void *p, void *ctx)
{
	const struct undo_rec *rec = p;
	struct collect_job *j = ctx;
	int err;

	if (!asked(j->sets, j->nsets, rec->semid))
		return 0;
	for (uint32_t k = 0; k < rec->nsems && k < UNDO_MAX_SEMS; k++) {
		struct wg_hold h = { (int32_t)rec->tgid, rec->ipcns, rec->semid, (uint16_t)k,
				     rec->adj[k], EVID_UNDO };

		if (!rec->adj[k])
			continue;
		if ((err = wait_facts_add_hold(j->f, &h)))
			return err;
		j->added++;
	}
	return 0;
}

int undo_collect(struct undo_reader *r, const struct undo_set *sets, size_t nsets,
		 struct wait_facts *f)
{
	struct collect_job j = { .sets = sets, .nsets = nsets, .f = f };
	int map = bpf_map__fd(r->skel->maps.nsems_of), err;
	struct undo_rec rec;
	int32_t key;

	/* the iterator reads only arrays it is told the size of */
	while (bpf_map_get_next_key(map, NULL, &key) == 0)
		bpf_map_delete_elem(map, &key);
	if (!nsets)
		return 0;
	for (size_t i = 0; i < nsets; i++)
		bpf_map_update_elem(map, &sets[i].semid, &sets[i].nsems, BPF_ANY);
	err = iter_each_record(r->skel->links.dump_undo, &rec, sizeof(rec), add_rec, &j);
	return err ? err : j.added;
}
