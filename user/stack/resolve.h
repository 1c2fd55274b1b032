/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Stack resolution, the one entry point every command uses (leaks, record,
 * export, report): a creation's context (EV_CREATE: registers and a copy of
 * the user stack, unwound through .eh_frame) or a stack id (the
 * frame-pointer stack BPF recorded for an EV_CALL) becomes symbolized
 * frames, against the process's mappings as the process model
 * (struct procmeta_cache) knows them.  Live and recorded sessions differ
 * only in the callbacks they pass.
 * Frames travel as an event too: stack/frame.h.
 */
#ifndef IPCS_STACK_RESOLVE_H
#define IPCS_STACK_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "events.h"
#include "stack/symbolize.h"
#include "tables/procmeta.h"

struct stack_resolver {
	struct procmeta_cache *procs;  /* mappings by pid (may be NULL) */
	bool live;                     /* pids name live processes: /proc may be read */
	/* The frame-pointer stack of a stack id, leaf first: count or -errno. */
	int (*stack_ips)(void *ctx, int32_t id, uint64_t *ips, size_t max);
	/* Bring `procs` up to date before a lookup (perf mmap records), or NULL. */
	void (*refresh)(void *ctx);
	void *ctx;
	uint64_t dwarf, fp, bare;      /* stacks resolved, by method (for -v) */
	/*
	 * The last symbolizer, kept while the process and what is known of its
	 * mappings stay the same (pid, procmeta change counter, image, exited):
	 * a burst of creations by one process reads its modules and CFI once.
	 */
	struct symbolizer *sy;
	struct stack_sy_key {
		int32_t pid;
		bool exited;
		uint64_t gen;
		const void *maps;
		size_t nmaps;
	} sy_key;
	uint64_t sy_built;             /* symbolizers made (for the tests and -v) */
};

/* Free what the resolver keeps between calls. */
void stack_resolver_fini(struct stack_resolver *r);

/*
 * The stack of a creation (EV_CREATE) or of a call (EV_CALL's stack id):
 * CFI unwinding first, the frame-pointer walk when it got fewer frames,
 * trimmed at the first frame outside every known mapping.  A malloc'd
 * array (innermost first) with *n frames, or NULL; *how is "dwarf", "fp"
 * or NULL.
 */
struct stack_frame *stack_resolve(struct stack_resolver *r, const struct ev_hdr *ev,
				  size_t *n, const char **how);

/*
 * The frame-pointer stack `stack_id` of process `pid` into out[0..max):
 * trusted while it stays in known mappings (a frame-pointer walk through
 * code built without them wanders off after the first frame), symbolized.
 * Calls in pid order reuse one symbolizer.  Returns the frame count.
 */
size_t stack_resolve_id(struct stack_resolver *r, int32_t pid, int32_t stack_id,
			struct stack_frame *out, size_t max);

#endif
