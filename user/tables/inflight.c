// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Waiters from the in-flight map, and deadlocks over them; see inflight.h. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>

#include "tables/inflight.h"

static bool blocking_call(unsigned int call)
{
	return call == CALL_SEMOP || call == CALL_SEMTIMEDOP ||
	       call == CALL_MSGSND || call == CALL_MSGRCV;
}

int inflight_waiters(int fd, uint64_t min_age_ns, uint32_t ipcns, struct waitgraph *g)
{
	struct timespec ts;
	struct inflight in;
	uint32_t key, next;
	uint64_t now;
	bool first = true;
	int n = 0, err;

	if (fd < 0)
		return -EBADF;
	/* bpf_ktime_get_ns() is CLOCK_MONOTONIC. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	while (bpf_map_get_next_key(fd, first ? NULL : &key, &next) == 0) {
		struct wg_waiter w;

		first = false;
		key = next;
		if (bpf_map_lookup_elem(fd, &key, &in))
			continue;      /* the call returned meanwhile */
		if (!blocking_call(in.call) || now < in.start_ns || now - in.start_ns < min_age_ns)
			continue;
		memset(&w, 0, sizeof(w));
		w.pid = (int32_t)in.pid;
		w.tid = (int32_t)key;
		w.ipcns = ipcns;
		w.call = in.call;
		w.id = (int32_t)in.arg[0];
		w.since_ns = in.start_ns;
		if (in.call == CALL_MSGSND || in.call == CALL_MSGRCV) {
			w.msg_size = in.arg[2];
			w.mtype = in.call == CALL_MSGRCV ? (int64_t)in.arg[3] : 0;
		} else {
			w.nops = in.nsops_copied;
			memcpy(w.ops, in.sops, sizeof(w.ops[0]) * in.nsops_copied);
		}
		if ((err = wg_add_waiter(g, &w)))
			return err;
		n++;
	}
	return n;
}

int inflight_deadlocks(struct waitgraph *g, int fd, uint64_t min_age_ns,
		       const struct wg_balance *bal, const struct ipc_snapshot *s)
{
	int err;

	wg_reset(g);
	err = inflight_waiters(fd, min_age_ns, s->ipcns, g);
	if (err < 0)
		return err;
	if (bal && (err = wg_balance_export(bal, g)))
		return err;
	for (size_t i = 0; i < s->nsem; i++) {
		const struct sem_obj *o = &s->sem[i];

		for (uint32_t j = 0; o->sems && j < o->nsems; j++) {
			struct wg_semval v = {
				.ipcns = s->ipcns, .semid = o->c.id, .semnum = (uint16_t)j,
				.value = o->sems[j].val, .lastpid = o->sems[j].pid,
			};

			if ((err = wg_add_value(g, &v)))
				return err;
		}
	}
	return wg_solve(g);
}

bool inflight_id_in_cycle(const struct waitgraph *g, int32_t semid)
{
	for (size_t c = 0; c < g->ncycles; c++)
		for (size_t i = 0; i < g->cycles[c].n; i++)
			if (g->edges[g->cycles[c].edges[i]].semid == semid)
				return true;
	return false;
}
