// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libdw unwinding of a captured user context.  libdw asks for the initial
 * registers and for memory words; the only memory we have is the copy of
 * the stack from sp, so reads elsewhere fail, which ends the walk cleanly.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <elfutils/libdwfl.h>

#include "stack/unwind.h"

/* Attached to the symbolizer's Dwfl once; each unwind points it at its context. */
struct unwind_state {
	const struct unwind_ctx *ctx;
	pid_t pid;
	bool attached;           /* false: libdw refused it (no architecture) */
	uint64_t *ips;
	size_t max, n;
};

void unwind_ctx_from_create(struct unwind_ctx *ctx, const struct ev_create *ev)
{
	size_t len = ev->stack_len;

	memcpy(ctx->regs, ev->regs, sizeof(ctx->regs));
	if (len > sizeof(ev->stack))
		len = sizeof(ev->stack);
	/* the record may be shorter than the struct: only valid bytes count */
	if (ev->h.size < offsetof(struct ev_create, stack))
		len = 0;
	else if (len > ev->h.size - offsetof(struct ev_create, stack))
		len = ev->h.size - offsetof(struct ev_create, stack);
	ctx->sp = ev->sp;
	ctx->stack = ev->stack;
	ctx->stack_len = len;
}

static pid_t next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	struct unwind_state *st = arg;

	if (*thread_argp)
		return 0;
	*thread_argp = st;
	return st->pid;
}

static bool get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp)
{
	struct unwind_state *st = arg;

	*thread_argp = st;
	return tid == st->pid;
}

static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	struct unwind_state *st = arg;
	const struct unwind_ctx *c = st->ctx;

	if (addr < c->sp || addr - c->sp > c->stack_len ||
	    c->stack_len - (addr - c->sp) < sizeof(*result))
		return false;
	memcpy(result, c->stack + (addr - c->sp), sizeof(*result));
	return true;
}

static bool set_initial_registers(Dwfl_Thread *thread, void *arg)
{
	struct unwind_state *st = arg;
	Dwarf_Word regs[UNWIND_NREGS];

	for (int i = 0; i < UNWIND_NREGS; i++)
		regs[i] = st->ctx->regs[i];
	if (!dwfl_thread_state_registers(thread, 0, UNWIND_NREGS, regs))
		return false;
	dwfl_thread_state_register_pc(thread, regs[16]);
	return true;
}

static const Dwfl_Thread_Callbacks callbacks = {
	.next_thread = next_thread,
	.get_thread = get_thread,
	.memory_read = memory_read,
	.set_initial_registers = set_initial_registers,
};

static int frame_cb(Dwfl_Frame *frame, void *arg)
{
	struct unwind_state *st = arg;
	Dwarf_Addr pc;

	if (!dwfl_frame_pc(frame, &pc, NULL) || !pc)
		return DWARF_CB_ABORT;
	st->ips[st->n++] = pc;
	return st->n < st->max ? DWARF_CB_OK : DWARF_CB_ABORT;
}

/* The symbolizer's attached state, attaching it on first use; NULL: no memory. */
static struct unwind_state *state_of(struct symbolizer *sy)
{
	const struct proc_meta *m = symbolizer_proc(sy);
	struct unwind_state *st = symbolizer_unwind_state(sy);
	Dwfl *dwfl = symbolizer_dwfl(sy);

	if (st)
		return st;
	if (!(st = calloc(1, sizeof(*st))))
		return NULL;
	st->pid = m && m->pid > 0 ? m->pid : 1;
	/* without modules libdw cannot pick an architecture */
	st->attached = dwfl && symbolizer_modules(sy) &&
		       dwfl_attach_state(dwfl, NULL, st->pid, &callbacks, st);
	symbolizer_set_unwind_state(sy, st);
	return st;
}

int unwind_user(struct symbolizer *sy, const struct unwind_ctx *ctx,
		uint64_t *ips, size_t max)
{
	struct unwind_state *st;
	size_t n;

	if (!sy || !ctx || !ips || !max || !ctx->regs[16])
		return -EINVAL;
	st = state_of(sy);
	if (!st || !st->attached) {
		ips[0] = ctx->regs[16];    /* the one frame we know */
		return 1;
	}
	st->ctx = ctx;
	st->ips = ips;
	st->max = max;
	st->n = 0;
	dwfl_getthread_frames(symbolizer_dwfl(sy), st->pid, frame_cb, st);
	n = st->n;
	st->ctx = NULL;
	st->ips = NULL;
	if (!n) {
		ips[0] = ctx->regs[16];
		return 1;
	}
	return (int)n;
}
