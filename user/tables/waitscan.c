// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Table reader: the kernel's wait state, cheaply; see waitscan.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "waiter_rec.h"
#include "waiters_iter.skel.h"
#include "tables/proc.h"
#include "tables/undo.h"
#include "tables/iterread.h"
#include "tables/waiters.h"
#include "tables/waitscan.h"
#include "util/vec.h"

union semun_ { int val; struct semid_ds *buf; unsigned short *array; };

struct waitscan {
	struct waitscan_config cfg;
	struct waiters_iter_bpf *skel;   /* NULL: /proc */
	struct undo_reader *undo;        /* NULL: no SEM_UNDO evidence */
	bool starts;                     /* the in-flight map is shared */
	uint32_t self_ns;                /* values are read in our namespace */
	struct undo_set *sets;
	size_t nsets, capsets;
	unsigned short *vals;
	size_t capvals;
};


static struct waiters_iter_bpf *iter_open(const struct waitscan_config *cfg, bool *starts)
{
	struct waiters_iter_bpf *skel = waiters_iter_bpf__open();
	int err;

	if (!skel)
		return NULL;
	skel->rodata->filter_ipcns = cfg->ipcns;
#ifdef SYS_semop
	skel->rodata->nr_semop = SYS_semop;
#endif
	skel->rodata->nr_semtimedop = SYS_semtimedop;
	skel->rodata->nr_msgsnd = SYS_msgsnd;
	skel->rodata->nr_msgrcv = SYS_msgrcv;
	/* share the tracer's in-flight calls (exact starts, sembufs); a
	 * failure leaves this object its own, empty map: starts unknown */
	*starts = cfg->inflight_fd >= 0 &&
		  !bpf_map__reuse_fd(skel->maps.inflight, cfg->inflight_fd);
	err = waiters_iter_bpf__load(skel);
	if (!err)
		err = waiters_iter_bpf__attach(skel);
	if (err) {
		waiters_iter_bpf__destroy(skel);
		return NULL;
	}
	return skel;
}

struct waitscan *waitscan_open(const struct waitscan_config *cfg)
{
	struct waitscan *ws = calloc(1, sizeof(*ws));
	int err;

	if (!ws)
		return NULL;
	ws->cfg = *cfg;
	ws->self_ns = proc_self_ipcns();
	if (cfg->bpf) {
		ws->skel = iter_open(cfg, &ws->starts);
		ws->starts &= ws->skel != NULL;
		ws->undo = undo_open(cfg->ipcns, &err);
	}
	return ws;
}

void waitscan_close(struct waitscan *ws)
{
	if (!ws)
		return;
	waiters_iter_bpf__destroy(ws->skel);
	undo_close(ws->undo);
	free(ws->sets);
	free(ws->vals);
	free(ws);
}

bool waitscan_has_undo(const struct waitscan *ws)
{
	return ws && ws->undo;
}

bool waitscan_has_starts(const struct waitscan *ws)
{
	return ws && ws->starts;
}

const char *waitscan_method(const struct waitscan *ws)
{
	return ws && ws->skel ? "task iterator" : "/proc";
}

/* Is pid `root` or one of its descendants?  (A few reads per waiter.) */
static bool descends_from(pid_t pid, pid_t root)
{
	for (int depth = 0; depth < 64 && pid > 1; depth++) {
		char path[48], buf[512];
		FILE *f;

		if (pid == root)
			return true;
		snprintf(path, sizeof(path), "/proc/%d/status", pid);
		f = fopen(path, "re");
		if (!f)
			return false;
		pid = 0;
		while (fgets(buf, sizeof(buf), f))
			if (!strncmp(buf, "PPid:", 5)) {
				pid = atoi(buf + 5);
				break;
			}
		fclose(f);
	}
	return pid == root;
}

static void from_rec(const struct waiter_rec *r, struct wg_waiter *w)
{
	char text[160];
	uint64_t sops;

	memset(w, 0, sizeof(*w));
	/* the same decoding as /proc/PID/task/TID/syscall */
	snprintf(text, sizeof(text), "%d %llx %llx %llx %llx %llx %llx", r->nr,
		 (unsigned long long)r->args[0], (unsigned long long)r->args[1],
		 (unsigned long long)r->args[2], (unsigned long long)r->args[3],
		 (unsigned long long)r->args[4], (unsigned long long)r->args[5]);
	if (waiters_parse_syscall(text, w, &sops))
		return;
	w->pid = (int32_t)r->tgid;
	w->tid = (int32_t)r->tid;
	w->ipcns = r->ipcns;
	w->since_ns = r->start_ns;
	w->from_proc = true;
	memcpy(w->comm, r->comm, sizeof(w->comm));
	w->comm[sizeof(w->comm) - 1] = 0;
	if (w->call != CALL_SEMOP && w->call != CALL_SEMTIMEDOP)
		return;
	if (r->start_ns && r->nsops_copied && r->nsops_copied >= w->nops) {
		memcpy(w->ops, r->sops, sizeof(w->ops));
		return;
	}
	waiters_read_sops(w, sops);
}

static int add_rec(const void *rec, void *ctx)
{
	struct wg_waiter w;

	from_rec(rec, &w);
	return w.call ? wait_facts_add_waiter(ctx, &w) : 0;
}

static int iter_read(struct waitscan *ws, struct wait_facts *f)
{
	struct waiter_rec rec;

	return iter_each_record(ws->skel->links.dump_waiters, &rec, sizeof(rec), add_rec, f);
}

/* Values, GETPID and SEM_UNDO holders of the sets that have waiters. */
static int read_sets(struct waitscan *ws, struct wait_facts *f)
{
	int err;

	ws->nsets = 0;
	for (size_t i = 0; i < f->nwaiters; i++) {
		const struct wg_waiter *w = &f->waiters[i];
		struct semid_ds ds;
		union semun_ arg = { .buf = &ds };
		bool seen = false;

		if ((w->call != CALL_SEMOP && w->call != CALL_SEMTIMEDOP) ||
		    (ws->self_ns && w->ipcns != ws->self_ns))
			continue;
		for (size_t k = 0; k < ws->nsets && !seen; k++)
			seen = ws->sets[k].semid == w->id;
		if (seen || semctl(w->id, 0, IPC_STAT, arg) < 0)
			continue;   /* removed meanwhile: the waiter wakes with EIDRM */
		if (vec_reserve(ws->vals, ws->capvals, ds.sem_nsems))
			return -ENOMEM;
		arg.array = ws->vals;
		if (semctl(w->id, 0, GETALL, arg) < 0)
			continue;
		for (unsigned long n = 0; n < ds.sem_nsems; n++) {
			struct wg_semval v = { w->ipcns, w->id, (uint16_t)n, ws->vals[n],
					       semctl(w->id, (int)n, GETPID) };

			if ((err = wait_facts_add_value(f, &v)))
				return err;
		}
		err = vec_push(ws->sets, ws->nsets, ws->capsets,
			       ((struct undo_set){ w->id, (uint32_t)ds.sem_nsems }));
		if (err)
			return err;
	}
	if (ws->undo && ws->nsets && (err = undo_collect(ws->undo, ws->sets, ws->nsets, f)) < 0)
		return err;
	return 0;
}

int waitscan_read(struct waitscan *ws, struct wait_facts *f)
{
	int err;

	wait_facts_reset(f);
	if (ws->skel) {
		err = iter_read(ws, f);
	} else {
		err = waiters_scan(ws->cfg.ipcns, f);
		if (err > 0)
			err = 0;
	}
	if (err)
		return err;
	if (ws->cfg.root) {
		size_t j = 0;

		for (size_t i = 0; i < f->nwaiters; i++)
			if (descends_from(f->waiters[i].pid, ws->cfg.root))
				f->waiters[j++] = f->waiters[i];
		f->nwaiters = j;
	}
	return read_sets(ws, f);
}
