/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The IPC audit as findings (pure: snapshot + facts in, findings out; the
 * facts are read by user/tables/auditfacts.c and the world is reached only
 * through the callbacks, so rules are unit-tested on synthetic tables).
 */
#ifndef IPCS_AUDIT_H
#define IPCS_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analysis/waitgraph.h"
#include "tables/auditfacts.h"
#include "tables/limits.h"
#include "tables/pidstate.h"
#include "tables/posix.h"
#include "tables/sysvipc.h"

enum audit_sev { SEV_INFO = 0, SEV_WARNING = 1, SEV_CRITICAL = 2 };

struct finding {
	enum audit_sev sev;
	const char *rule;        /* stable id: "orphaned-shm", ... */
	unsigned int kind;       /* KIND_* or KIND_NONE (then `what` says) */
	const char *what;        /* "shm"... or "limit", "sysctl", "posix-shm", "posix-mq", "tmpfs" */
	int32_t id, key;
	uint32_t ipcns;
	char object[80];         /* "shm 123" / "limit SHMMNI" / "posix-shm NAME" */
	char evidence[384];
	char remedy[384];        /* a command to run, or what to do */
};

struct audit_env {
	int64_t now;                       /* seconds since the epoch */
	double limit_warn_pct;             /* default 90 */
	double queue_warn_pct;             /* default 80 */
	int64_t stale_secs;                /* 0: rule off; default 7 days */
	/* since: when pid was seen using the object (0 unknown); a zombie is exited */
	enum pid_state (*pid_state)(int32_t pid, int64_t since, void *ctx);
	bool (*uid_exists)(uint32_t uid, void *ctx);
	int32_t ns_pid;                    /* audited with --ns PID: fixes run there */
	void *ctx;
};

struct audit_result {
	struct finding *v;
	size_t n, cap;
};

/* What the rules know beside the tables; every member may be absent (NULL/0). */
struct audit_facts {
	struct mem_facts mem;               /* MemTotal, huge pages */
	const struct ns_facts *ns;          /* sysctls of the audited namespace */
	const struct ns_facts *host;        /* of PID 1's namespace, when another one */
	const struct wg_waiter *waiters;    /* threads blocked in IPC calls now */
	size_t nwaiters;
	/* --posix */
	const struct posix_table *posix;
	const struct mq_attrs *mq_attrs;    /* posix->nmq entries */
	const struct devshm_facts *devshm;
};

/* Kernel defaults that mean "no limit" (ipc/shm.c: ULONG_MAX - 2^24) and
 * the message queue defaults (include/uapi/linux/msg.h). */
#define AUDIT_SHM_UNLIMITED 0xfffffffffeffffffull
#define AUDIT_MSGMNB_DEFAULT 16384
#define AUDIT_MSGMNI_DEFAULT 32000

void audit_env_defaults(struct audit_env *e);
/* Run every rule.  facts may be NULL.  0 or -ENOMEM. */
int audit_run(const struct audit_env *e, const struct ipc_snapshot *s,
	      const struct audit_facts *facts, struct audit_result *out);
void audit_free(struct audit_result *r);
const char *audit_sev_name(enum audit_sev s);
int audit_sev_parse(const char *s);     /* -1 if unknown */
enum audit_sev audit_max_sev(const struct audit_result *r);

#endif
