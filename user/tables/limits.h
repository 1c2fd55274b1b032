/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* IPC limits (/proc/sys/kernel/{shm*,sem,msg*}) and their usage. */
#ifndef IPCS_LIMITS_H
#define IPCS_LIMITS_H

#include <stdbool.h>
#include <stdint.h>

#include "tables/sysvipc.h"

enum ipc_limit_id {
	LIM_SHMMAX, LIM_SHMALL, LIM_SHMMNI, LIM_SHMMIN,
	LIM_SEMMSL, LIM_SEMMNS, LIM_SEMOPM, LIM_SEMMNI, LIM_SEMVMX,
	LIM_MSGMAX, LIM_MSGMNB, LIM_MSGMNI,
	LIM__COUNT,
};

struct ipc_limit {
	const char *name;        /* "SHMMNI" */
	const char *unit;        /* "bytes", "pages", "segments", ... */
	uint64_t value;
	bool has_usage;          /* usage is meaningful for this limit */
	uint64_t usage;
	double use_pct;
	const char *sysctl;      /* "kernel.shmmni" (sem limits share kernel.sem) */
};

struct ipc_limits {
	struct ipc_limit l[LIM__COUNT];
	uint64_t page_size;
};

/* Read limits and compute usage from a snapshot of the same namespace. */
int limits_read(struct ipc_limits *out, const struct ipc_snapshot *snap);
/* The sysctl command that would raise limit `id` to `new_value`. */
void limits_sysctl_line(const struct ipc_limits *l, enum ipc_limit_id id,
			uint64_t new_value, char *buf, size_t len);

/* A value worth raising a limit to: twice the larger of limit and usage, saturating. */
uint64_t limits_suggest(const struct ipc_limit *l);

#endif
