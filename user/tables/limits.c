// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * IPC limits of the caller's IPC namespace and their usage, like
 * `ipcs -l`/`ipcs -u` and `lsipc --global`.  The sysctls under
 * /proc/sys/kernel are per IPC namespace.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tables/limits.h"

static int read_u64s(const char *path, uint64_t *v, int n)
{
	FILE *f = fopen(path, "re");
	int got = 0;

	if (!f)
		return -errno;
	while (got < n) {
		unsigned long long x;

		if (fscanf(f, "%llu", &x) != 1)
			break;
		v[got++] = x;
	}
	fclose(f);
	return got == n ? 0 : -EINVAL;
}

static void set(struct ipc_limits *L, enum ipc_limit_id id, const char *name,
		const char *unit, const char *sysctl, uint64_t value)
{
	L->l[id].name = name;
	L->l[id].unit = unit;
	L->l[id].sysctl = sysctl;
	L->l[id].value = value;
}

static void use(struct ipc_limits *L, enum ipc_limit_id id, uint64_t usage)
{
	struct ipc_limit *l = &L->l[id];

	l->has_usage = true;
	l->usage = usage;
	l->use_pct = l->value ? 100.0 * (double)usage / (double)l->value : 0;
}

int limits_read(struct ipc_limits *L, const struct ipc_snapshot *s)
{
	uint64_t shmmax = 0, shmall = 0, shmmni = 0, sem[4] = { 0 }, msgmax = 0, msgmnb = 0, msgmni = 0;
	uint64_t pages = 0, biggest = 0, nsems = 0, maxnsems = 0, maxq = 0;
	int err;

	memset(L, 0, sizeof(*L));
	L->page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	if ((err = read_u64s("/proc/sys/kernel/shmmax", &shmmax, 1)) ||
	    (err = read_u64s("/proc/sys/kernel/shmall", &shmall, 1)) ||
	    (err = read_u64s("/proc/sys/kernel/shmmni", &shmmni, 1)) ||
	    (err = read_u64s("/proc/sys/kernel/sem", sem, 4)) ||
	    (err = read_u64s("/proc/sys/kernel/msgmax", &msgmax, 1)) ||
	    (err = read_u64s("/proc/sys/kernel/msgmnb", &msgmnb, 1)) ||
	    (err = read_u64s("/proc/sys/kernel/msgmni", &msgmni, 1)))
		return err;

	set(L, LIM_SHMMAX, "SHMMAX", "bytes", "kernel.shmmax", shmmax);
	set(L, LIM_SHMALL, "SHMALL", "pages", "kernel.shmall", shmall);
	set(L, LIM_SHMMNI, "SHMMNI", "segments", "kernel.shmmni", shmmni);
	set(L, LIM_SHMMIN, "SHMMIN", "bytes", NULL, 1);   /* fixed in the kernel */
	set(L, LIM_SEMMSL, "SEMMSL", "semaphores per array", "kernel.sem", sem[0]);
	set(L, LIM_SEMMNS, "SEMMNS", "semaphores", "kernel.sem", sem[1]);
	set(L, LIM_SEMOPM, "SEMOPM", "operations per semop", "kernel.sem", sem[2]);
	set(L, LIM_SEMMNI, "SEMMNI", "arrays", "kernel.sem", sem[3]);
	set(L, LIM_SEMVMX, "SEMVMX", "value", NULL, 32767);  /* fixed in the kernel */
	set(L, LIM_MSGMAX, "MSGMAX", "bytes per message", "kernel.msgmax", msgmax);
	set(L, LIM_MSGMNB, "MSGMNB", "bytes per queue", "kernel.msgmnb", msgmnb);
	set(L, LIM_MSGMNI, "MSGMNI", "queues", "kernel.msgmni", msgmni);

	if (!s)
		return 0;
	for (size_t i = 0; i < s->nshm; i++) {
		pages += (s->shm[i].size + L->page_size - 1) / L->page_size;
		if (s->shm[i].size > biggest)
			biggest = s->shm[i].size;
	}
	for (size_t i = 0; i < s->nsem; i++) {
		nsems += s->sem[i].nsems;
		if (s->sem[i].nsems > maxnsems)
			maxnsems = s->sem[i].nsems;
	}
	for (size_t i = 0; i < s->nmsg; i++)
		if (s->msg[i].cbytes > maxq)
			maxq = s->msg[i].cbytes;

	use(L, LIM_SHMMAX, biggest);      /* largest segment */
	use(L, LIM_SHMALL, pages);
	use(L, LIM_SHMMNI, s->nshm);
	use(L, LIM_SEMMSL, maxnsems);     /* largest array */
	use(L, LIM_SEMMNS, nsems);
	use(L, LIM_SEMMNI, s->nsem);
	use(L, LIM_MSGMNB, maxq);         /* fullest queue (bytes queued) */
	use(L, LIM_MSGMNI, s->nmsg);
	return 0;
}

void limits_sysctl_line(const struct ipc_limits *L, enum ipc_limit_id id,
			uint64_t v, char *buf, size_t len)
{
	const struct ipc_limit *l = &L->l[id];

	if (!l->sysctl) {
		snprintf(buf, len, "# %s is fixed in the kernel", l->name);
		return;
	}
	if (!strcmp(l->sysctl, "kernel.sem")) {
		/* kernel.sem is "SEMMSL SEMMNS SEMOPM SEMMNI" */
		uint64_t f[4] = { L->l[LIM_SEMMSL].value, L->l[LIM_SEMMNS].value,
				  L->l[LIM_SEMOPM].value, L->l[LIM_SEMMNI].value };

		f[id - LIM_SEMMSL] = v;
		snprintf(buf, len, "sysctl -w kernel.sem='%" PRIu64 " %" PRIu64 " %" PRIu64
			 " %" PRIu64 "'", f[0], f[1], f[2], f[3]);
		return;
	}
	snprintf(buf, len, "sysctl -w %s=%" PRIu64, l->sysctl, v);
}

uint64_t limits_suggest(const struct ipc_limit *l)
{
	uint64_t base = l->value > l->usage ? l->value : l->usage;

	return base > UINT64_MAX / 2 ? UINT64_MAX : base * 2;
}
