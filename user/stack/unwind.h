/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Unwind a user context captured by BPF (registers + a copy of the top of
 * the user stack, struct ev_create) with libdw's CFI unwinder, the way
 * perf's libdw unwinder does: the process's modules come from a symbolizer
 * (struct proc_meta mappings), memory reads are served from the stack copy,
 * the initial registers from the capture.  Works through .eh_frame, so
 * binaries built without frame pointers (every Debian binary) unwind.
 */
#ifndef IPCS_UNWIND_H
#define IPCS_UNWIND_H

#include <stddef.h>
#include <stdint.h>

#include "events.h"
#include "stack/symbolize.h"

#define UNWIND_NREGS 17            /* DWARF x86_64 0..15 + return address 16 */
#define UNWIND_MAX_FRAMES 64

struct unwind_ctx {
	uint64_t regs[UNWIND_NREGS];   /* 0 rax 1 rdx 2 rcx 3 rbx 4 rsi 5 rdi 6 rbp
					  7 rsp 8..15 r8..r15 16 rip */
	uint64_t sp;                   /* address of stack[0] */
	const uint8_t *stack;
	size_t stack_len;
};

/* The context carried by an EV_CREATE record. */
void unwind_ctx_from_create(struct unwind_ctx *ctx, const struct ev_create *ev);

/*
 * Unwind into ips[] (ips[0] = the captured rip, then return addresses).
 * The symbolizer can serve any number of calls for its process (its CFI
 * and modules are read once).  Returns the number of frames (>= 1 when rip is known), or
 * -EINVAL/-ENOENT when nothing could be unwound.  Frames stop at the first
 * one libdw cannot find (no CFI, or memory outside the copy).
 */
int unwind_user(struct symbolizer *sy, const struct unwind_ctx *ctx,
		uint64_t *ips, size_t max);

#endif
