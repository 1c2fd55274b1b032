// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Source: reading the streaming object's aggregation maps; see live_agg.h. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "analysis/blocked.h"
#include "source/histmap.h"
#include "source/live.h"
#include "source/live_agg.h"
#include "tables/pidstate.h"
#include "util/vec.h"

struct live_agg {
	struct histmap_reader rd;
	int calls_fd, objs_fd, holds_fd, epochs_fd, lost_fd;
};

struct live_agg *live_agg_open(struct ev_source *src)
{
	struct live_agg *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->calls_fd = live_map_fd(src, "call_hists");
	a->objs_fd = live_map_fd(src, "obj_hists");
	a->holds_fd = live_map_fd(src, "holds");
	a->epochs_fd = live_map_fd(src, "sem_epochs");
	a->lost_fd = live_map_fd(src, "agg_lost");
	if (a->calls_fd < 0 || a->objs_fd < 0 || a->holds_fd < 0 || a->epochs_fd < 0 ||
	    a->lost_fd < 0 || histmap_reader_init(&a->rd)) {
		free(a);
		errno = ENOENT;
		return NULL;
	}
	return a;
}

void live_agg_close(struct live_agg *a)
{
	if (!a)
		return;
	histmap_reader_fini(&a->rd);
	free(a);
}

int live_agg_calls(struct live_agg *a, struct hist_val out[CALL__MAX])
{
	return histmap_read_calls(&a->rd, a->calls_fd, out, false);
}

int live_agg_objects(struct live_agg *a, struct lat_table *t)
{
	t->offcpu = false;
	return histmap_read_objects(&a->rd, a->objs_fd, -1, t, false);
}

void live_agg_forget(struct live_agg *a, const struct hist_key *k)
{
	bpf_map_delete_elem(a->objs_fd, k);
}

uint64_t live_agg_lost(struct live_agg *a)
{
	return histmap_counter_sum(a->lost_fd);
}

/*
 * Has the holder exited?  A zero balance is checked cheaply (kill), a
 * held one by the one liveness rule (pidstate: a zombie has exited, its
 * plain takes are lost with it and SEM_UNDO was applied).
 */
static bool holder_gone(int32_t pid, int64_t net)
{
	enum pid_state st;

	if (pid <= 0)
		return true;
	if (!net)
		return kill(pid, 0) && errno == ESRCH;
	st = pid_state_read(pid, 0);
	return st == PID_GONE || st == PID_ZOMBIE;
}

int live_agg_holds(struct live_agg *a, struct wg_balance_ent **out, size_t *nout)
{
	struct hold_key key, next, kept, *prev = NULL;
	struct wg_balance_ent *v = NULL;
	size_t n = 0, cap = 0;
	int err = 0;

	while (bpf_map_get_next_key(a->holds_fd, prev, &next) == 0) {
		struct sem_epoch_key ek = { .ipcns = next.ipcns, .semid = next.semid };
		uint32_t epoch = 0;
		int64_t net;

		key = next;
		if (bpf_map_lookup_elem(a->holds_fd, &key, &net)) {
			prev = NULL;    /* deleted meanwhile: start over is safe, just slower */
			continue;
		}
		/* a set with no epoch (evicted, see bpf/ipcscope.bpf.c) has no
		 * balances that hold */
		if (bpf_map_lookup_elem(a->epochs_fd, &ek, &epoch) || key.epoch != epoch ||
		    holder_gone((int32_t)key.tgid, net)) {
			/* the next key is found from the last one kept (a deleted
			 * key would send the walk back to the start) */
			bpf_map_delete_elem(a->holds_fd, &key);
			continue;
		}
		kept = key;
		prev = &kept;
		if (!net)
			continue;
		if (vec_grow(v, n, cap)) {
			err = -ENOMEM;
			break;
		}
		v[n++] = (struct wg_balance_ent){
			.ipcns = key.ipcns, .semid = key.semid, .semnum = key.semnum,
			.pid = (int32_t)key.tgid, .net = net,
		};
	}
	if (err) {
		free(v);
		return err;
	}
	*out = v;
	*nout = n;
	return 0;
}

int live_agg_holders(struct live_agg *a, struct blocked *b)
{
	struct wg_balance_ent *v = NULL;
	size_t n = 0;
	int err = live_agg_holds(a, &v, &n);

	if (!err)
		err = blocked_set_balances(b, v, n);
	free(v);
	return err;
}
