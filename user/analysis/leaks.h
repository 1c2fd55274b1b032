/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Leak attribution: who created each System V object and whether it was
 * left behind.  Pure: consumes events (EV_CREATE, EV_CALL, EV_EXIT,
 * EV_KOBJ) and table snapshots; the two things that need the outside world
 * (is a pid alive, what is a creator's stack) are callbacks, so the same
 * code runs live, on recordings and in unit tests.
 *
 * EV_STACK (a creation's frames resolved when it was recorded) replaces the
 * stack the callback would resolve.
 *
 * A leak candidate is an object still present whose creator has exited;
 * shm also needs nattch == 0, and a semaphore with waiters is in use.
 * Objects that predate tracing: shm names its creator pid (cpid); sem and
 * msg keep none, so their creator is reported unknown rather than guessed.
 */
#ifndef IPCS_LEAKS_H
#define IPCS_LEAKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "stack/frame.h"
#include "tables/sysvipc.h"

struct leak_creator {
	bool known;                /* false: predates tracing, see `pid` */
	int32_t pid, tid, ppid;    /* pid: tgid; from cpid for old shm, else 0 */
	uint32_t uid;
	uint32_t ipcns;
	uint64_t cgroup_id;
	char comm[16];
	char cmdline[IPCS_CMDLINE_LEN + 4];   /* argv joined with spaces */
	char exe[256];             /* "" if unknown (filled by leaks_opts.describe) */
	char cgroup[256];          /* cgroup v2 path */
	char container[80];        /* container id from the cgroup path */
	bool exited;
	uint64_t create_ts_ns;     /* CLOCK_MONOTONIC, 0 if unknown */
	uint64_t exit_ts_ns;
	struct stack_frame *stack; /* innermost first; owned by the tracker */
	size_t nstack;
	const char *stack_how;     /* "dwarf", "fp", or NULL */
};

struct leak {
	uint8_t kind;              /* KIND_* */
	int32_t id, key;
	uint32_t mode, uid, cuid;
	uint64_t bytes;            /* shm size, msg queued bytes, 0 for sem */
	uint32_t nsems;            /* sem */
	uint64_t messages;         /* msg qnum */
	const char *reason;        /* one word: creator-exited, never-attached, ... */
	int64_t age_s;             /* since the traced creation if age_from_creation,
	                              else since ctime (= changed_s) */
	bool age_from_creation;    /* ipcscope saw the creation */
	int64_t changed_s;         /* now - ctime: the kernel's ctime is creation or
	                              the last IPC_SET/SETVAL/SETALL, not an age */
	int64_t ctime;
	int32_t last_pid;          /* last process to use it, 0 if unknown: the last
	                              traced call's, else the kernel's (last_call
	                              CALL_NONE) */
	char last_comm[16];        /* "" unless seen while tracing */
	uint8_t last_call;         /* CALL_*, CALL_NONE if from the tables */
	int32_t kernel_last_pid;   /* the kernel's: shm lpid, sem sempid (first
	                              set), msg lspid/lrpid (the later); 0 if none */
	struct leak_creator creator;
};

struct leak_group {
	size_t first;              /* index in leak_report.v of one member */
	size_t count;
	uint64_t bytes;
};

struct leak_report {
	struct leak *v;
	size_t n;
	struct leak_group *groups; /* by creator (cmdline + stack), biggest first */
	size_t ngroups;
};

struct leaks_opts {
	unsigned int kinds;        /* KIND_BIT mask, 0 = all */
	uint32_t ipcns;            /* only events from this IPC namespace (the
				      tables'), 0 = any: ids repeat across them */
	bool only_traced;          /* report only objects created while tracing */
	int64_t start_real;        /* when tracing began (s since epoch), 0 = unknown */
	/* Is pid alive now?  NULL: only EV_EXIT tells. */
	bool (*alive)(void *ctx, int32_t pid);
	void *alive_ctx;
	/*
	 * The creator's stack: `ev` is the EV_CREATE (registers and stack
	 * copy), kept and passed by leaks_find() only for objects not removed
	 * by then (the creator may have exited: use cached mappings), or,
	 * without one, the *get EV_CALL (stack_id), at once.  Return a malloc'd
	 * array (owned by the tracker) or NULL; *how names the method.
	 */
	struct stack_frame *(*stack)(void *ctx, const struct ev_hdr *ev, size_t *n,
				     const char **how);
	void *stack_ctx;
	/* Optional, same ctx: fill exe/cgroup/container of a new creator. */
	void (*describe)(void *ctx, const struct ev_hdr *ev, struct leak_creator *cr);
};

struct leaks;

/* `start`: the tables when tracing began (may be NULL; not kept). */
struct leaks *leaks_new(const struct leaks_opts *o, const struct ipc_snapshot *start);
void leaks_free(struct leaks *l);
/* An ev_sink_fn: register with ev_bus_add(bus, leaks_event, l). */
int leaks_event(void *l, const struct ev_hdr *ev);
/* Objects seen created while tracing (and not removed since). */
size_t leaks_tracked(const struct leaks *l);
/* What the tracker holds: object entries and exited pids (bounded by what
 * exists, whatever the churn; for tests and self-monitoring). */
void leaks_footprint(const struct leaks *l, size_t *objects, size_t *exited_pids);

/*
 * Resolve now the stacks of creations made before `before_ns` whose object
 * is still there (not removed since), and give each to `done` (a recorder
 * stores them as EV_STACK, so that the recording names the functions
 * without the binaries).  A creation is given once.  Returns how many.
 */
typedef void (*leaks_stack_fn)(void *ctx, const struct ev_hdr *create, unsigned int kind,
			       int32_t id, const struct leak_creator *cr);
size_t leaks_resolve_pending(struct leaks *l, uint64_t before_ns, leaks_stack_fn done,
			     void *ctx);

/*
 * Leak candidates in `now`.  The report borrows stacks from the tracker:
 * free it before leaks_free().  0 or -ENOMEM.
 */
int leaks_find(struct leaks *l, const struct ipc_snapshot *now, struct leak_report *r);
void leak_report_free(struct leak_report *r);

/* Candidates in `now` without any tracing (clean): creators predate us. */
int leaks_find_untraced(const struct ipc_snapshot *now, const struct leaks_opts *o,
			struct leak_report *r);

#endif
