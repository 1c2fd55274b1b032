// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The blocked analysis on both paths: live readings (struct wait_facts at
 * chosen event times) and recorded events (blocked_replay).  The same
 * ABBA deadlock through both gives the same cycle, formation and end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "analysis/blocked.h"

#define NS   4026531839u
#define MS   1000000ull
#define SEM  7
#define A    100
#define B    200
#define T0   (10000 * MS)   /* trace start */

/* A semtimedop call event: one op on SEM, started at `start`, `lat` long. */
static struct ev_call call(int pid, int num, int op, uint64_t start, uint64_t lat, int err)
{
	struct ev_call c = { 0 };

	c.h.type = EV_CALL;
	c.h.size = sizeof(c);
	c.h.pid = c.h.tid = (uint32_t)pid;
	c.h.ipcns = NS;
	c.h.ts_ns = start + lat;
	strcpy(c.h.comm, "abba");
	c.call = CALL_SEMTIMEDOP;
	c.kind = KIND_SEM;
	c.id = SEM;
	c.err = err;
	c.ret = err ? -1 : 0;
	c.lat_ns = lat;
	c.nsops_copied = 1;
	c.nsops = 1;
	c.sops[0] = (struct ipcs_sembuf){ (uint16_t)num, (int16_t)op, 0 };
	if (lat >= 50 * MS)
		c.flags = EVF_WAITED;
	return c;
}

static void feed(struct blocked *b, struct ev_call c)
{
	assert_int_equal(blocked_event(b, &c.h), 0);
}

/* A reading: the given pids waiting (num they want, start or 0), values 0. */
static void reading(struct wait_facts *f, int n, const int *pids, const int *nums,
		    const uint64_t *starts, bool undo)
{
	wait_facts_reset(f);
	for (int i = 0; i < n; i++) {
		struct wg_waiter w = { .pid = pids[i], .tid = pids[i], .ipcns = NS,
				       .call = CALL_SEMTIMEDOP, .id = SEM, .nops = 1,
				       .since_ns = starts[i], .from_proc = true };

		strcpy(w.comm, "abba");
		w.ops[0] = (struct ipcs_sembuf){ (uint16_t)nums[i], -1, 0 };
		assert_int_equal(wait_facts_add_waiter(f, &w), 0);
	}
	for (int num = 0; num < 2; num++) {
		struct wg_semval v = { NS, SEM, (uint16_t)num, 0, num ? B : A };

		assert_int_equal(wait_facts_add_value(f, &v), 0);
		if (undo) {
			struct wg_hold h = { num ? B : A, NS, SEM, (uint16_t)num, 1, EVID_UNDO };

			assert_int_equal(wait_facts_add_hold(f, &h), 0);
		}
	}
}

/* ABBA: A takes 0 at 1000 ms, B takes 1 at 1010; A waits for 1 from 1020, B for 0 from 1050. */
static const int pids[2] = { A, B }, nums[2] = { 1, 0 };
static const uint64_t starts[2] = { T0 + 1020 * MS, T0 + 1050 * MS };

static void check_abba(const struct blocked_cycle *c, const char *evidence)
{
	assert_int_equal(c->n, 2);
	for (size_t i = 0; i < 2; i++) {
		const struct blocked_node *n = &c->nodes[i];

		assert_int_equal(n->waits_for, n->pid == A ? B : A);
		assert_int_equal(n->semnum, n->pid == A ? 1 : 0);
		assert_int_equal(n->sem_op, -1);
		assert_string_equal(wg_evidence_name(n->evidence), evidence);
		assert_string_equal(n->comm, "abba");
	}
}

static struct blocked *live(bool history)
{
	struct blocked_opts o = { .keep_history = history, .use_lastpid = true };
	struct blocked *b = blocked_new(&o);

	assert_non_null(b);
	blocked_set_trace_start(b, T0);
	return b;
}

static void test_live_formation_and_confirmation(void **st)
{
	struct wait_facts f = { 0 };
	struct blocked *b = live(true);

	(void)st;
	reading(&f, 2, pids, nums, starts, true);
	/* 50 ms after the last wait began: a cycle, not yet a deadlock */
	assert_int_equal(blocked_observe(b, T0 + 1100 * MS, &f), 0);
	assert_int_equal(blocked_ncycles(b), 1);
	assert_false(blocked_cycle_at(b, 0)->confirmed);
	assert_null(blocked_next_deadlock(b));
	assert_int_equal(blocked_pending_until(b), T0 + 1150 * MS);
	assert_int_equal(blocked_deadlocks_now(b), 0);
	/* 100 ms: confirmed, formed when the last edge appeared (B's wait) */
	assert_int_equal(blocked_observe(b, T0 + 1150 * MS, &f), 0);
	const struct blocked_cycle *c = blocked_next_deadlock(b);
	assert_non_null(c);
	assert_null(blocked_next_deadlock(b));
	check_abba(c, "undo");
	assert_int_equal(c->formed_ns, starts[1]);
	assert_false(c->formed_before_trace);
	assert_true(c->open);
	assert_int_equal(blocked_deadlocks_now(b), 1);
	assert_true(blocked_set_deadlocked(b, NS, SEM));
	assert_false(blocked_set_deadlocked(b, NS, SEM + 1));
	assert_int_equal(blocked_pending_until(b), 0);
	/* A's call times out at 2020 ms: its event ends the cycle exactly */
	assert_int_equal(blocked_observe(b, T0 + 2100 * MS, &(struct wait_facts){ 0 }), 0);
	feed(b, call(A, 1, -1, starts[0], 1000 * MS, 11));
	c = blocked_cycle_at(b, 0);
	assert_false(c->open);
	assert_int_equal(c->end_ns, T0 + 2020 * MS);
	assert_int_equal(blocked_deadlocks(b), 1);
	assert_int_equal(blocked_deadlocks_now(b), 0);
	assert_int_equal(blocked_nwaits(b), 2);
	assert_false(blocked_wait_at(b, 0)->open);
	assert_int_equal(blocked_wait_at(b, 0)->end_ns, T0 + 2020 * MS);
	wait_facts_free(&f);
	blocked_free(b);
}

static void test_live_before_trace(void **st)
{
	static const uint64_t unknown[2] = { 0, 0 };
	struct wait_facts f = { 0 };
	struct blocked *b = live(true);

	(void)st;
	/* both blocked before tracing began: no start from the tracer */
	reading(&f, 2, pids, nums, unknown, true);
	assert_int_equal(blocked_observe(b, T0 + 20 * MS, &f), 0);
	assert_false(blocked_cycle_at(b, 0)->confirmed);
	assert_true(blocked_wait_at(b, 0)->before_trace);
	/* present since tracing began, at least: 100 ms after it, a deadlock */
	assert_int_equal(blocked_observe(b, T0 + 100 * MS, &f), 0);
	const struct blocked_cycle *c = blocked_next_deadlock(b);
	assert_non_null(c);
	assert_true(c->formed_before_trace);
	assert_int_equal(c->formed_ns, T0);
	/* one member known to have begun later: it formed then, exactly */
	wait_facts_free(&f);
	blocked_free(b);

	b = live(true);
	uint64_t mixed[2] = { 0, T0 + 5 * MS };
	reading(&f, 2, pids, nums, mixed, true);
	assert_int_equal(blocked_observe(b, T0 + 200 * MS, &f), 0);
	c = blocked_next_deadlock(b);
	assert_non_null(c);
	assert_false(c->formed_before_trace);
	assert_int_equal(c->formed_ns, T0 + 5 * MS);
	wait_facts_free(&f);
	blocked_free(b);
}

static void test_live_evidence_refreshed(void **st)
{
	struct wait_facts f = { 0 };
	struct blocked *b = live(true);

	(void)st;
	/* no SEM_UNDO: named by GETPID first */
	reading(&f, 2, pids, nums, starts, false);
	assert_int_equal(blocked_observe(b, T0 + 1200 * MS, &f), 0);
	check_abba(blocked_next_deadlock(b), "lastpid");
	/* the takes' events arrive (late, from the ring buffer): observed */
	feed(b, call(A, 0, -1, T0 + 1000 * MS, 10000, 0));
	feed(b, call(B, 1, -1, T0 + 1010 * MS, 10000, 0));
	assert_int_equal(blocked_observe(b, T0 + 1350 * MS, &f), 0);
	assert_int_equal(blocked_ncycles(b), 1);
	check_abba(blocked_cycle_at(b, 0), "observed");
	wait_facts_free(&f);
	blocked_free(b);
}

/*
 * top and metrics: the holders come from the kernel's balances
 * (blocked_set_balances), not from the semops in the stream, which are
 * thinned out there: a streamed take must not count twice, and a balance
 * that is gone (released, or its holder exited) is gone from the graph.
 */
static void test_live_balances_given(void **st)
{
	struct blocked_opts o = { .keep_history = true, .balances_given = true, .self_pid = 999 };
	struct wait_facts f = { 0 };
	struct blocked *b = blocked_new(&o);
	const struct wg_balance_ent held[] = {
		{ NS, SEM, 0, A, -1 }, { NS, SEM, 1, B, -1 },
		{ NS, SEM, 0, 999, -5 },        /* our own: never a holder */
	};

	(void)st;
	assert_non_null(b);
	blocked_set_trace_start(b, T0);
	/* events naming the takes arrive too: ignored for balances */
	feed(b, call(A, 0, -1, T0 + 1000 * MS, 10000, 0));
	feed(b, call(B, 1, -1, T0 + 1010 * MS, 10000, 0));
	/* without the kernel's balances (and no GETPID, no undo): no holder known */
	reading(&f, 2, pids, nums, starts, false);
	for (size_t i = 0; i < f.nvals; i++)
		f.vals[i].lastpid = 0;
	assert_int_equal(blocked_observe(b, T0 + 1200 * MS, &f), 0);
	assert_int_equal(blocked_ncycles(b), 0);
	/* the kernel's balances name both holders: the cycle, as observed */
	assert_int_equal(blocked_set_balances(b, held, 3), 0);
	assert_int_equal(blocked_observe(b, T0 + 1300 * MS, &f), 0);
	assert_int_equal(blocked_ncycles(b), 1);
	check_abba(blocked_cycle_at(b, 0), "observed");
	/* B's hold is gone from the kernel's balances: no more cycle */
	assert_int_equal(blocked_set_balances(b, held, 1), 0);
	assert_int_equal(blocked_observe(b, T0 + 1400 * MS, &f), 0);
	assert_int_equal(blocked_deadlocks_now(b), 0);
	wait_facts_free(&f);
	blocked_free(b);
}

static void test_live_new_instances_are_a_new_cycle(void **st)
{
	struct wait_facts f = { 0 };
	struct blocked *b = live(false);

	(void)st;
	reading(&f, 2, pids, nums, starts, true);
	assert_int_equal(blocked_observe(b, T0 + 1200 * MS, &f), 0);
	assert_int_equal(blocked_deadlocks_now(b), 1);
	/* the same pids, new calls (new starts): a new cycle, not yet confirmed */
	uint64_t again[2] = { T0 + 3000 * MS, T0 + 3010 * MS };
	reading(&f, 2, pids, nums, again, true);
	assert_int_equal(blocked_observe(b, T0 + 3050 * MS, &f), 0);
	/* top and metrics keep only what is open now */
	assert_int_equal(blocked_ncycles(b), 1);
	assert_int_equal(blocked_nwaits(b), 2);
	assert_int_equal(blocked_deadlocks_now(b), 0);
	assert_int_equal(blocked_cycle_at(b, 0)->formed_ns, again[1]);
	assert_int_equal(blocked_observe(b, T0 + 3110 * MS, &f), 0);
	assert_int_equal(blocked_deadlocks_now(b), 1);
	/* gone */
	assert_int_equal(blocked_observe(b, T0 + 3200 * MS, &(struct wait_facts){ 0 }), 0);
	assert_int_equal(blocked_ncycles(b), 0);
	assert_int_equal(blocked_nwaits(b), 0);
	wait_facts_free(&f);
	blocked_free(b);
}

static void test_live_missed_reading_same_deadlock(void **st)
{
	struct wait_facts f = { 0 };
	struct blocked *b = live(true);

	(void)st;
	reading(&f, 2, pids, nums, starts, true);
	assert_int_equal(blocked_observe(b, T0 + 1200 * MS, &f), 0);
	assert_int_equal(blocked_deadlocks(b), 1);
	/* one reading caught A running between two sleeps of the same call */
	reading(&f, 1, pids + 1, nums + 1, starts + 1, true);
	assert_int_equal(blocked_observe(b, T0 + 1350 * MS, &f), 0);
	assert_int_equal(blocked_deadlocks_now(b), 0);
	reading(&f, 2, pids, nums, starts, true);
	assert_int_equal(blocked_observe(b, T0 + 1500 * MS, &f), 0);
	/* the same call (same start): the same deadlock, not a second one */
	assert_int_equal(blocked_deadlocks(b), 1);
	assert_int_equal(blocked_deadlocks_now(b), 1);
	assert_int_equal(blocked_nwaits(b), 2);
	assert_int_equal(blocked_cycle_at(b, 0)->formed_ns, starts[1]);
	wait_facts_free(&f);
	blocked_free(b);
}

static void test_live_queue_waiters(void **st)
{
	struct wait_facts f = { 0 };
	struct blocked *b = live(false);
	struct wg_waiter w = { .pid = 5, .tid = 5, .ipcns = NS, .call = CALL_MSGRCV, .id = 3 };

	(void)st;
	assert_int_equal(wait_facts_add_waiter(&f, &w), 0);
	w.tid = 6;
	w.call = CALL_MSGSND;
	assert_int_equal(wait_facts_add_waiter(&f, &w), 0);
	assert_int_equal(blocked_observe(b, T0 + MS, &f), 0);
	assert_int_equal(blocked_queue_waiters(b, 3), 2);
	assert_int_equal(blocked_queue_waiters(b, 4), 0);
	assert_int_equal(blocked_queue_waiters(b, -1), 2);
	assert_int_equal(blocked_open_waits(b), 2);
	assert_int_equal(blocked_ncycles(b), 0);
	wait_facts_free(&f);
	blocked_free(b);
}

/* The same ABBA, recorded: the takes, then two 1 s waits that time out. */
static struct blocked *recorded(uint64_t wait_a, uint64_t wait_b)
{
	struct blocked_opts o = { .replay = true, .keep_history = true };
	struct blocked *b = blocked_new(&o);

	assert_non_null(b);
	feed(b, call(A, 0, -1, T0 + 1000 * MS, 10000, 0));
	feed(b, call(B, 1, -1, T0 + 1010 * MS, 10000, 0));
	feed(b, call(A, 1, -1, starts[0], wait_a, 11));
	feed(b, call(B, 0, -1, starts[1], wait_b, 11));
	return b;
}

static void test_replay_abba(void **st)
{
	struct blocked *b = recorded(1000 * MS, 1000 * MS);

	(void)st;
	assert_int_equal(blocked_replay(b, T0 + 5000 * MS), 0);
	assert_int_equal(blocked_deadlocks(b), 1);
	const struct blocked_cycle *c = blocked_cycle_at(b, 0);
	check_abba(c, "observed");
	assert_int_equal(c->formed_ns, starts[1]);
	assert_int_equal(c->end_ns, T0 + 2020 * MS);   /* A returned first */
	assert_false(c->open);
	assert_false(c->formed_before_trace);
	assert_int_equal(blocked_nwaits(b), 2);
	blocked_free(b);
}

static void test_replay_short_cycle_is_no_deadlock(void **st)
{
	/* B gives up after 80 ms: the cycle lasted 50 ms */
	struct blocked *b = recorded(1000 * MS, 80 * MS);

	(void)st;
	assert_int_equal(blocked_replay(b, T0 + 5000 * MS), 0);
	assert_int_equal(blocked_deadlocks(b), 0);
	blocked_free(b);
	/* 100 ms exactly is enough */
	b = recorded(1000 * MS, 101 * MS);
	assert_int_equal(blocked_replay(b, T0 + 5000 * MS), 0);
	assert_int_equal(blocked_deadlocks(b), 1);
	blocked_free(b);
}

static void test_replay_pingpong(void **st)
{
	struct blocked_opts o = { .replay = true, .keep_history = true };
	struct blocked *b = blocked_new(&o);
	uint64_t t = T0;

	(void)st;
	/* two processes hand a token back and forth: each waits ~1 ms */
	for (int i = 0; i < 1000; i++, t += MS) {
		feed(b, call(A, 0, -1, t, MS, 0));
		feed(b, call(B, 1, -1, t + MS / 2, MS, 0));
		feed(b, call(A, 1, 1, t + MS, 1000, 0));
		feed(b, call(B, 0, 1, t + MS, 1000, 0));
	}
	assert_int_equal(blocked_replay(b, t), 0);
	assert_int_equal(blocked_deadlocks(b), 0);
	assert_int_equal(blocked_nwaits(b), 0);
	blocked_free(b);
}

/* Both paths over one run: the same cycle, formed and ended at the same times. */
static void test_live_and_replay_agree(void **st)
{
	struct wait_facts f = { 0 };
	struct blocked *l = live(true), *r = recorded(1000 * MS, 1000 * MS);
	const struct blocked_cycle *lc, *rc;

	(void)st;
	feed(l, call(A, 0, -1, T0 + 1000 * MS, 10000, 0));
	feed(l, call(B, 1, -1, T0 + 1010 * MS, 10000, 0));
	reading(&f, 2, pids, nums, starts, false);
	for (uint64_t t = T0 + 1060 * MS; t < T0 + 2000 * MS; t += 150 * MS)
		assert_int_equal(blocked_observe(l, t, &f), 0);
	assert_int_equal(blocked_observe(l, T0 + 2100 * MS, &(struct wait_facts){ 0 }), 0);
	feed(l, call(A, 1, -1, starts[0], 1000 * MS, 11));
	feed(l, call(B, 0, -1, starts[1], 1000 * MS, 11));
	assert_int_equal(blocked_replay(r, T0 + 5000 * MS), 0);
	assert_int_equal(blocked_deadlocks(l), 1);
	assert_int_equal(blocked_deadlocks(r), 1);
	lc = blocked_cycle_at(l, 0);
	rc = blocked_cycle_at(r, 0);
	assert_int_equal(lc->formed_ns, rc->formed_ns);
	assert_int_equal(lc->end_ns, rc->end_ns);
	check_abba(lc, "observed");
	check_abba(rc, "observed");
	wait_facts_free(&f);
	blocked_free(l);
	blocked_free(r);
}

static void test_recording_ends_while_blocked(void **st)
{
	struct blocked_opts o = { .replay = true, .keep_history = true };
	struct blocked *b = blocked_new(&o);
	struct ev_call x;

	(void)st;
	feed(b, call(A, 0, -1, T0 + 1000 * MS, 10000, 0));
	feed(b, call(B, 1, -1, T0 + 1010 * MS, 10000, 0));
	/* EV_BLOCK: still blocked when the recording ended, 500 ms in */
	x = call(A, 1, -1, starts[0], 480 * MS, 0);
	x.h.type = EV_BLOCK;
	feed(b, x);
	x = call(B, 0, -1, starts[1], 450 * MS, 0);
	x.h.type = EV_BLOCK;
	feed(b, x);
	assert_int_equal(blocked_replay(b, T0 + 1500 * MS), 0);
	assert_int_equal(blocked_deadlocks(b), 1);
	assert_true(blocked_cycle_at(b, 0)->open);
	assert_int_equal(blocked_cycle_at(b, 0)->end_ns, T0 + 1500 * MS);
	assert_true(blocked_wait_at(b, 0)->open);
	blocked_free(b);
}

static void test_live_memory_is_bounded(void **st)
{
	struct wait_facts f = { 0 };
	struct blocked *b = live(true);
	uint64_t t = T0 + MS;

	(void)st;
	/* 300 waits of 100..399 ms, each known from its event only */
	for (int i = 0; i < 300; i++, t += 500 * MS)
		feed(b, call(1000 + i, 0, -1, t, (uint64_t)(100 + i) * MS, 11));
	assert_int_equal(blocked_nwaits(b), 300);
	/* a cycle seen once and gone before it was confirmed is forgotten */
	reading(&f, 2, pids, nums, (uint64_t[]){ t, t + MS }, true);
	assert_int_equal(blocked_observe(b, t + 10 * MS, &f), 0);
	assert_int_equal(blocked_ncycles(b), 1);
	assert_int_equal(blocked_observe(b, t + 20 * MS, &(struct wait_facts){ 0 }), 0);
	assert_int_equal(blocked_ncycles(b), 0);
	assert_int_equal(blocked_nwaits(b), BLOCKED_KEEP_WAITS);
	assert_int_equal(blocked_waits_dropped(b), 300 + 2 - BLOCKED_KEEP_WAITS);
	/* the longest are kept */
	for (size_t i = 0; i < blocked_nwaits(b); i++) {
		const struct blocked_wait *w = blocked_wait_at(b, i);

		assert_true(w->end_ns - w->start_ns >= (uint64_t)(300 - BLOCKED_KEEP_WAITS + 100) * MS);
	}
	wait_facts_free(&f);
	blocked_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_live_formation_and_confirmation),
		cmocka_unit_test(test_live_before_trace),
		cmocka_unit_test(test_live_evidence_refreshed),
		cmocka_unit_test(test_live_new_instances_are_a_new_cycle),
		cmocka_unit_test(test_live_missed_reading_same_deadlock),
		cmocka_unit_test(test_live_queue_waiters),
		cmocka_unit_test(test_replay_abba),
		cmocka_unit_test(test_replay_short_cycle_is_no_deadlock),
		cmocka_unit_test(test_replay_pingpong),
		cmocka_unit_test(test_live_and_replay_agree),
		cmocka_unit_test(test_recording_ends_while_blocked),
		cmocka_unit_test(test_live_memory_is_bounded),
		cmocka_unit_test(test_live_balances_given),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
