// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "undo_rec.h"
#include "undo_iter.skel.h"
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

int undo_collect(struct undo_reader *r, const struct ipc_snapshot *snap, struct waitgraph *g)
{
	int map = bpf_map__fd(r->skel->maps.nsems_of), fd, added = 0, err = 0;
	struct undo_rec rec;
	size_t got = 0;
	int32_t key;

	/* the iterator reads only arrays it is told the size of */
	while (bpf_map_get_next_key(map, NULL, &key) == 0)
		bpf_map_delete_elem(map, &key);
	for (size_t i = 0; i < snap->nsem; i++) {
		uint32_t n = snap->sem[i].nsems;

		bpf_map_update_elem(map, &snap->sem[i].c.id, &n, BPF_ANY);
	}
	fd = bpf_iter_create(bpf_link__fd(r->skel->links.dump_undo));
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n = read(fd, (char *)&rec + got, sizeof(rec) - got);

		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got < sizeof(rec))
			continue;
		got = 0;
		if (!snapshot_sem(snap, rec.semid))
			continue;
		for (uint32_t j = 0; j < rec.nsems && j < UNDO_MAX_SEMS; j++) {
			struct wg_hold h = { (int32_t)rec.tgid, rec.ipcns, rec.semid, (uint16_t)j,
					     rec.adj[j], EVID_UNDO };

			if (!rec.adj[j])
				continue;
			if ((err = wg_add_hold(g, &h)))
				break;
			added++;
		}
		if (err)
			break;
	}
	close(fd);
	return err ? err : added;
}
