/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The IPC audit as findings (pure: snapshot + limits in, findings out; the
 * world is reached only through the callbacks, so rules are unit-tested on
 * synthetic tables).
 */
#ifndef IPCS_AUDIT_H
#define IPCS_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tables/limits.h"
#include "tables/sysvipc.h"

enum audit_sev { SEV_INFO = 0, SEV_WARNING = 1, SEV_CRITICAL = 2 };

struct finding {
	enum audit_sev sev;
	const char *rule;        /* stable id: "orphaned-shm", ... */
	unsigned int kind;       /* KIND_* or KIND_NONE for limits */
	int32_t id, key;
	uint32_t ipcns;
	char object[48];         /* "shm 123" / "limit SHMMNI" */
	char evidence[256];
	char remedy[256];        /* a command to run, or what to do */
};

struct audit_env {
	int64_t now;                       /* seconds since the epoch */
	double limit_warn_pct;             /* default 90 */
	double queue_warn_pct;             /* default 80 */
	int64_t stale_secs;                /* 0: rule off */
	bool (*pid_alive)(int32_t pid, void *ctx);
	bool (*uid_exists)(uint32_t uid, void *ctx);
	void *ctx;
};

struct audit_result {
	struct finding *v;
	size_t n, cap;
};

void audit_env_defaults(struct audit_env *e);
/* Run every rule.  limits may be NULL.  0 or -ENOMEM. */
int audit_run(const struct audit_env *e, const struct ipc_snapshot *s,
	      const struct ipc_limits *limits, struct audit_result *out);
void audit_free(struct audit_result *r);
const char *audit_sev_name(enum audit_sev s);
int audit_sev_parse(const char *s);     /* -1 if unknown */
enum audit_sev audit_max_sev(const struct audit_result *r);

#endif
