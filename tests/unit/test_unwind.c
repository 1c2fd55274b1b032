// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests for the libdw unwinder and the symbolizer, hermetic: the test
 * captures its own registers and a copy of its own stack at a known call
 * depth (like the BPF program does at sys_exit_*get), then unwinds that copy
 * with user/stack/unwind.c and checks the callers' names.  The helpers are
 * plain -O2 (the build's CFLAGS), so no frame pointers: only .eh_frame can
 * walk them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <cmocka.h>

#include "stack/symbolize.h"
#include "stack/resolve.h"
#include "stack/unwind.h"
#include "tables/procmeta.h"

#define COPY_LEN 4096

struct capture {
	uint64_t regs[18];      /* DWARF numbering, rip at [16] */
	uint64_t sp;
	uint64_t len;
	uint8_t stack[COPY_LEN];
};

_Static_assert(offsetof(struct capture, sp) == 144, "asm offsets");
_Static_assert(offsetof(struct capture, stack) == 160, "asm offsets");

/*
 * capture_context(struct capture *c): the caller's state as it will be
 * right after this call returns (rip = return address, rsp = rsp + 8,
 * callee-saved registers unchanged), and a copy of the stack from there.
 */
void capture_context(struct capture *c);
__asm__(
	".text\n"
	".globl capture_context\n"
	".type capture_context,@function\n"
	"capture_context:\n"
	"	mov %rax, 0(%rdi)\n"
	"	mov %rdx, 8(%rdi)\n"
	"	mov %rcx, 16(%rdi)\n"
	"	mov %rbx, 24(%rdi)\n"
	"	mov %rsi, 32(%rdi)\n"
	"	mov %rdi, 40(%rdi)\n"
	"	mov %rbp, 48(%rdi)\n"
	"	lea 8(%rsp), %rax\n"
	"	mov %rax, 56(%rdi)\n"
	"	mov %r8, 64(%rdi)\n"
	"	mov %r9, 72(%rdi)\n"
	"	mov %r10, 80(%rdi)\n"
	"	mov %r11, 88(%rdi)\n"
	"	mov %r12, 96(%rdi)\n"
	"	mov %r13, 104(%rdi)\n"
	"	mov %r14, 112(%rdi)\n"
	"	mov %r15, 120(%rdi)\n"
	"	mov (%rsp), %rax\n"
	"	mov %rax, 128(%rdi)\n"
	"	movq $0, 136(%rdi)\n"
	"	lea 8(%rsp), %rsi\n"
	"	mov %rsi, 144(%rdi)\n"
	"	mov $" "4096" ", %rcx\n"
	"	mov %rcx, 152(%rdi)\n"
	"	lea 160(%rdi), %rdi\n"
	"	rep movsb\n"
	"	ret\n"
	".size capture_context, .-capture_context\n");

static volatile int sink;

/* Three levels with distinctive names; noipa: no inlining, no clones. */
__attribute__((noipa)) static int unwtest_leaf_captures(struct capture *c, int x)
{
	capture_context(c);
	sink = x;
	return x + 1;
}

__attribute__((noipa)) static int unwtest_middle_creator(struct capture *c, int x)
{
	int r = unwtest_leaf_captures(c, x * 3);

	sink = r;
	return r + 2;
}

__attribute__((noipa)) static int unwtest_outer_caller(struct capture *c, int x)
{
	int r = unwtest_middle_creator(c, x + 5);

	sink = r;
	return r * 2;
}

static void to_ctx(const struct capture *c, struct unwind_ctx *ctx)
{
	memcpy(ctx->regs, c->regs, sizeof(ctx->regs));
	ctx->sp = c->sp;
	ctx->stack = c->stack;
	ctx->stack_len = c->len;
}

static struct procmeta_cache *cache;

static const struct proc_meta *self_meta(void)
{
	const struct proc_meta *m = procmeta_capture(cache, getpid());

	assert_non_null(m);
	return m;
}

static int unwind_names(const struct capture *c, size_t stack_len, char names[][128],
			size_t max)
{
	struct symbolizer *sy = symbolizer_new(self_meta());
	struct unwind_ctx ctx;
	uint64_t ips[UNWIND_MAX_FRAMES];
	int n;

	assert_non_null(sy);
	assert_true(symbolizer_modules(sy) >= 2);   /* the test binary and libc */
	to_ctx(c, &ctx);
	ctx.stack_len = stack_len;
	n = unwind_user(sy, &ctx, ips, UNWIND_MAX_FRAMES);
	assert_true(n >= 1);
	assert_int_equal(ips[0], c->regs[16]);
	for (int i = 0; i < n && (size_t)i < max; i++) {
		struct stack_frame f;

		symbolize(sy, ips[i], i > 0, &f);
		snprintf(names[i], 128, "%s", f.func);
	}
	symbolizer_free(sy);
	return n;
}

static void test_unwind_own_stack(void **state)
{
	struct capture *c = calloc(1, sizeof(*c));
	char names[UNWIND_MAX_FRAMES][128];
	int n;

	assert_int_equal(unwtest_outer_caller(c, 1), 2 * ((3 * 6 + 1) + 2));
	assert_int_equal(c->len, COPY_LEN);
	n = unwind_names(c, c->len, names, UNWIND_MAX_FRAMES);
	assert_true(n >= 4);
	assert_string_equal(names[0], "unwtest_leaf_captures");
	assert_string_equal(names[1], "unwtest_middle_creator");
	assert_string_equal(names[2], "unwtest_outer_caller");
	assert_string_equal(names[3], "test_unwind_own_stack");
	free(c);
}

/* A copy too short for the callers: the walk stops, nothing is invented. */
static void test_unwind_short_copy(void **state)
{
	struct capture *c = calloc(1, sizeof(*c));
	char names[UNWIND_MAX_FRAMES][128];
	int n;

	unwtest_outer_caller(c, 2);
	n = unwind_names(c, 0, names, UNWIND_MAX_FRAMES);
	/* the leaf's frame is known from rip; its return address is not */
	assert_true(n >= 1 && n <= 2);
	assert_string_equal(names[0], "unwtest_leaf_captures");
	for (int i = 1; i < n; i++)
		assert_string_not_equal(names[i], "unwtest_outer_caller");
	free(c);
}

__attribute__((noipa)) static int unwtest_other_path(struct capture *c, int x)
{
	int r = unwtest_leaf_captures(c, x + 7);

	sink = r;
	return r - 1;
}

/* Names of one unwind with an existing symbolizer (reused across calls). */
static int names_with(struct symbolizer *sy, const struct capture *c, char names[][128],
		      size_t max)
{
	struct unwind_ctx ctx;
	uint64_t ips[UNWIND_MAX_FRAMES];
	int n;

	to_ctx(c, &ctx);
	n = unwind_user(sy, &ctx, ips, UNWIND_MAX_FRAMES);
	for (int i = 0; i < n && (size_t)i < max; i++) {
		struct stack_frame f;

		symbolize(sy, ips[i], i > 0, &f);
		snprintf(names[i], 128, "%s", f.func);
	}
	return n;
}

/*
 * One symbolizer serves many unwinds of its process (the resolver keeps it
 * between creations): each call unwinds its own context, not the first.
 */
static void test_unwind_reuses_symbolizer(void **state)
{
	struct capture *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct symbolizer *sy = symbolizer_new(self_meta());
	char names[UNWIND_MAX_FRAMES][128];
	int n;

	assert_non_null(sy);
	unwtest_outer_caller(a, 3);
	unwtest_other_path(b, 4);
	for (int round = 0; round < 3; round++) {
		n = names_with(sy, a, names, UNWIND_MAX_FRAMES);
		assert_true(n >= 3);
		assert_string_equal(names[1], "unwtest_middle_creator");
		assert_string_equal(names[2], "unwtest_outer_caller");
		n = names_with(sy, b, names, UNWIND_MAX_FRAMES);
		assert_true(n >= 3);
		assert_string_equal(names[0], "unwtest_leaf_captures");
		assert_string_equal(names[1], "unwtest_other_path");
		assert_string_equal(names[2], "test_unwind_reuses_symbolizer");
	}
	symbolizer_free(sy);
	free(a);
	free(b);
}

/* An EV_CREATE of this process carrying the captured context. */
static struct ev_create *create_of(const struct capture *c)
{
	struct ev_create *ev = calloc(1, sizeof(*ev));

	assert_non_null(ev);
	ev->h.type = EV_CREATE;
	ev->h.size = sizeof(*ev);
	ev->h.pid = ev->h.tid = (uint32_t)getpid();
	memcpy(ev->regs, c->regs, sizeof(c->regs));
	ev->sp = c->sp;
	ev->stack_len = c->len;
	memcpy(ev->stack, c->stack, c->len);
	ev->stack_id = -1;
	return ev;
}

/*
 * The resolver keeps one symbolizer while the creator's process model is
 * unchanged, and builds a new one when it changes (here: captured again),
 * so new mappings are never missed; every stack comes out whole either way.
 */
static void test_resolver_keeps_symbolizer_until_mappings_change(void **state)
{
	struct capture *c = calloc(1, sizeof(*c));
	struct stack_resolver r = { .procs = cache, .live = true };
	struct ev_create *ev;
	struct stack_frame *f;
	const char *how;
	size_t n;

	assert_non_null(c);
	unwtest_outer_caller(c, 5);
	ev = create_of(c);
	self_meta();
	for (int i = 0; i < 4; i++) {
		if (i == 3)
			self_meta();     /* /proc read again: the entry changed */
		f = stack_resolve(&r, &ev->h, &n, &how);
		assert_non_null(f);
		assert_true(n >= 3);
		assert_string_equal(how, "dwarf");
		assert_string_equal(f[0].func, "unwtest_leaf_captures");
		assert_string_equal(f[1].func, "unwtest_middle_creator");
		assert_string_equal(f[2].func, "unwtest_outer_caller");
		free(f);
		assert_int_equal(r.sy_built, i < 3 ? 1 : 2);
	}
	stack_resolver_fini(&r);
	free(ev);
	free(c);
}

/* No mappings at all: one frame, the captured rip; no crash. */
static void test_unwind_no_modules(void **state)
{
	struct capture *c = calloc(1, sizeof(*c));
	struct proc_meta empty = { .pid = getpid() };
	struct symbolizer *sy = symbolizer_new(&empty);
	struct unwind_ctx ctx;
	uint64_t ips[8];
	struct stack_frame f;
	char buf[512];

	unwtest_outer_caller(c, 3);
	to_ctx(c, &ctx);
	assert_int_equal(unwind_user(sy, &ctx, ips, 8), 1);
	assert_int_equal(ips[0], c->regs[16]);
	assert_false(symbolize(sy, ips[0], false, &f));
	stack_frame_format(&f, buf, sizeof(buf));
	assert_true(!strncmp(buf, "0x", 2));
	ctx.regs[16] = 0;
	assert_int_equal(unwind_user(sy, &ctx, ips, 8), -EINVAL);
	symbolizer_free(sy);
	free(c);
}

static void test_symbolize_self_and_libc(void **state)
{
	const struct proc_meta *m = self_meta();
	struct symbolizer *sy = symbolizer_new(m);
	uint64_t fn = (uint64_t)(uintptr_t)&unwtest_middle_creator;
	uint64_t lc = (uint64_t)(uintptr_t)&getpid;
	const struct proc_map *pm = procmeta_find_map(m, fn);
	struct stack_frame f;
	char buf[512];

	assert_non_null(pm);
	assert_true(symbolize(sy, fn + 3, false, &f));
	assert_string_equal(f.func, "unwtest_middle_creator");
	assert_int_equal(f.offset, 3);
	assert_string_equal(f.module, pm->path);
	assert_int_equal(f.build_id_len, pm->build_id_len);
	assert_int_equal(f.file_offset, fn + 3 - pm->start + pm->pgoff);
	stack_frame_format(&f, buf, sizeof(buf));
	assert_string_equal(buf, "unwtest_middle_creator+0x3 (test_unwind)");

	/* a return address right after a call at the end of a function */
	assert_true(symbolize(sy, fn + 1, true, &f));
	assert_string_equal(f.func, "unwtest_middle_creator");
	assert_int_equal(f.offset, 1);

	/* shared library at its ASLR load address */
	assert_true(symbolize(sy, lc, false, &f));
	assert_non_null(strstr(f.func, "getpid"));
	assert_non_null(strstr(f.module, "libc"));
	assert_int_equal(f.offset, 0);

	/* outside every mapping */
	assert_false(symbolize(sy, 16, false, &f));
	assert_string_equal(f.module, "");
	symbolizer_free(sy);
}

/* The binary is gone or replaced: keep build-id + file offset. */
static void test_symbolize_missing_binary(void **state)
{
	struct proc_map map = { .start = 0x400000, .end = 0x401000, .pgoff = 0x1000,
				.path = "/nonexistent/ipcscope-test (deleted)",
				.build_id = { 0xab, 0xcd, 0xef }, .build_id_len = 3 };
	struct proc_meta m = { .pid = 999999, .exited = true, .maps = &map, .nmaps = 1 };
	struct symbolizer *sy = symbolizer_new(&m);
	struct stack_frame f;
	char buf[512];

	assert_int_equal(symbolizer_modules(sy), 0);
	assert_false(symbolize(sy, 0x400123, false, &f));
	assert_int_equal(f.file_offset, 0x1123);
	assert_int_equal(f.build_id_len, 3);
	stack_frame_format(&f, buf, sizeof(buf));
	assert_string_equal(buf, "[abcdef+0x1123] (ipcscope-test (deleted))");
	symbolizer_free(sy);
}

static void test_base_name(void **state)
{
	char out[64];

	symbol_base_name("make_seg.constprop.0", out, sizeof(out));
	assert_string_equal(out, "make_seg");
	symbol_base_name("make_seg.isra.0.cold", out, sizeof(out));
	assert_string_equal(out, "make_seg");
	symbol_base_name("f.part.1", out, sizeof(out));
	assert_string_equal(out, "f");
	symbol_base_name("_ZN3foo3barEv", out, sizeof(out));
	assert_string_equal(out, "_ZN3foo3barEv");
	symbol_base_name(".hidden", out, sizeof(out));
	assert_string_equal(out, ".hidden");
	symbol_base_name("averyveryverylongname", out, 5);
	assert_string_equal(out, "aver");
	symbol_base_name("", out, sizeof(out));
	assert_string_equal(out, "");
}

static void test_ctx_from_create(void **state)
{
	struct ev_create *ev = calloc(1, sizeof(*ev));
	struct unwind_ctx ctx;

	ev->h.size = sizeof(*ev);
	ev->regs[16] = 0x1234;
	ev->regs[7] = 0x7000;
	ev->sp = 0x7000;
	ev->stack_len = 100;
	unwind_ctx_from_create(&ctx, ev);
	assert_int_equal(ctx.regs[16], 0x1234);
	assert_int_equal(ctx.stack_len, 100);
	assert_ptr_equal(ctx.stack, ev->stack);
	/* a length beyond the record is clamped to what is there */
	ev->stack_len = 1u << 30;
	unwind_ctx_from_create(&ctx, ev);
	assert_int_equal(ctx.stack_len, IPCS_STACK_COPY);
	ev->h.size = offsetof(struct ev_create, stack) + 10;
	unwind_ctx_from_create(&ctx, ev);
	assert_int_equal(ctx.stack_len, 10);
	free(ev);
}

static int setup(void **state)
{
	cache = procmeta_new();
	return cache ? 0 : -1;
}

static int teardown(void **state)
{
	procmeta_free(cache);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unwind_own_stack),
		cmocka_unit_test(test_unwind_short_copy),
		cmocka_unit_test(test_unwind_reuses_symbolizer),
		cmocka_unit_test(test_resolver_keeps_symbolizer_until_mappings_change),
		cmocka_unit_test(test_unwind_no_modules),
		cmocka_unit_test(test_symbolize_self_and_libc),
		cmocka_unit_test(test_symbolize_missing_binary),
		cmocka_unit_test(test_base_name),
		cmocka_unit_test(test_ctx_from_create),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
