// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Wait-for graph: edges, evidence, cycles (several, self, multi-op), balances. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sys/ipc.h>

#include "analysis/waitgraph.h"

#define NS 4026531839u

static void waiter(struct waitgraph *g, int pid, int semid, int nops, const struct ipcs_sembuf *ops)
{
	struct wg_waiter w = { .pid = pid, .tid = pid, .ipcns = NS, .call = CALL_SEMTIMEDOP,
			       .id = semid, .nops = (uint32_t)nops };

	memcpy(w.ops, ops, sizeof(*ops) * (size_t)nops);
	assert_int_equal(wg_add_waiter(g, &w), 0);
}

static void wait1(struct waitgraph *g, int pid, int semid, int num, int op)
{
	struct ipcs_sembuf b = { (uint16_t)num, (int16_t)op, 0 };

	waiter(g, pid, semid, 1, &b);
}

static void hold(struct waitgraph *g, int pid, int semid, int num, int amount, uint32_t ev)
{
	struct wg_hold h = { pid, NS, semid, (uint16_t)num, amount, ev };

	assert_int_equal(wg_add_hold(g, &h), 0);
}

static void val(struct waitgraph *g, int semid, int num, int value, int lastpid)
{
	struct wg_semval v = { NS, semid, (uint16_t)num, value, lastpid };

	assert_int_equal(wg_add_value(g, &v), 0);
}

/* The pids along cycle c, in order. */
static void cycle_pids(const struct waitgraph *g, size_t c, int *out)
{
	for (size_t i = 0; i < g->cycles[c].n; i++)
		out[i] = g->waiters[g->edges[g->cycles[c].edges[i]].waiter].pid;
}

static bool cycle_has(const struct waitgraph *g, size_t c, int pid)
{
	int p[16];

	cycle_pids(g, c, p);
	for (size_t i = 0; i < g->cycles[c].n; i++)
		if (p[i] == pid)
			return true;
	return false;
}

static void test_abba_undo(void **st)
{
	struct waitgraph g;

	wg_init(&g);
	/* sem 7: [0] taken by 100, [1] taken by 200; each waits for the other */
	val(&g, 7, 0, 0, 100);
	val(&g, 7, 1, 0, 200);
	hold(&g, 100, 7, 0, 1, EVID_UNDO);
	hold(&g, 200, 7, 1, 1, EVID_UNDO);
	wait1(&g, 100, 7, 1, -1);
	wait1(&g, 200, 7, 0, -1);
	assert_int_equal(wg_solve(&g), 0);
	assert_int_equal(g.nedges, 2);
	assert_int_equal(g.ncycles, 1);
	assert_int_equal(g.cycles[0].n, 2);
	assert_false(g.cycles[0].self);
	for (size_t i = 0; i < 2; i++) {
		const struct wg_edge *e = &g.edges[g.cycles[0].edges[i]];
		int from = g.waiters[e->waiter].pid;

		assert_int_equal(e->holder_pid, from == 100 ? 200 : 100);
		assert_int_equal(e->semnum, from == 100 ? 1 : 0);
		assert_int_equal(e->sem_op, -1);
		assert_string_equal(wg_evidence_name(e->evidence), "undo");
	}
	wg_free(&g);
}

static void test_several_cycles_and_bystander(void **st)
{
	struct waitgraph g;

	wg_init(&g);
	/* cycle 1: 1 <-> 2 on sem 10; cycle 2: 3 -> 4 -> 5 -> 3 on sem 20; 6 waits on 1 */
	for (int n = 0; n < 2; n++)
		val(&g, 10, n, 0, 0);
	for (int n = 0; n < 3; n++)
		val(&g, 20, n, 0, 0);
	hold(&g, 1, 10, 0, 1, EVID_UNDO);
	hold(&g, 2, 10, 1, 1, EVID_OBSERVED);
	wait1(&g, 1, 10, 1, -1);
	wait1(&g, 2, 10, 0, -1);
	hold(&g, 3, 20, 0, 1, EVID_UNDO);
	hold(&g, 4, 20, 1, 1, EVID_UNDO);
	hold(&g, 5, 20, 2, 1, EVID_UNDO);
	wait1(&g, 3, 20, 1, -1);
	wait1(&g, 4, 20, 2, -1);
	wait1(&g, 5, 20, 0, -1);
	wait1(&g, 6, 10, 0, -1);   /* waits on 1, but is not in a cycle */
	assert_int_equal(wg_solve(&g), 0);
	assert_int_equal(g.ncycles, 2);
	size_t two = g.cycles[0].n == 2 ? 0 : 1;
	assert_int_equal(g.cycles[two].n, 2);
	assert_int_equal(g.cycles[1 - two].n, 3);
	assert_true(cycle_has(&g, two, 1) && cycle_has(&g, two, 2));
	assert_true(cycle_has(&g, 1 - two, 3) && cycle_has(&g, 1 - two, 4) && cycle_has(&g, 1 - two, 5));
	assert_false(cycle_has(&g, 0, 6) || cycle_has(&g, 1, 6));
	/* the chain is ordered: each edge's holder is the next edge's waiter */
	for (size_t c = 0; c < 2; c++)
		for (size_t i = 0; i < g.cycles[c].n; i++) {
			const struct wg_edge *e = &g.edges[g.cycles[c].edges[i]];
			const struct wg_edge *n = &g.edges[g.cycles[c].edges[(i + 1) % g.cycles[c].n]];

			assert_int_equal(e->holder_pid, g.waiters[n->waiter].pid);
		}
	wg_free(&g);
}

static void test_self_wait(void **st)
{
	struct waitgraph g;

	wg_init(&g);
	/* a non-recursive mutex taken twice with SEM_UNDO */
	val(&g, 3, 0, 0, 9);
	hold(&g, 9, 3, 0, 1, EVID_UNDO);
	wait1(&g, 9, 3, 0, -1);
	assert_int_equal(wg_solve(&g), 0);
	assert_int_equal(g.ncycles, 1);
	assert_true(g.cycles[0].self);
	assert_int_equal(g.cycles[0].n, 1);
	wg_free(&g);

	/* a consumer that took earlier items (observed only) is not self-deadlocked */
	wg_init(&g);
	val(&g, 3, 0, 0, 8);
	hold(&g, 9, 3, 0, 5, EVID_OBSERVED);
	hold(&g, 8, 3, 0, -5, EVID_OBSERVED);   /* the producer fed it */
	wait1(&g, 9, 3, 0, -1);
	assert_int_equal(wg_solve(&g), 0);
	assert_int_equal(g.ncycles, 0);
	assert_int_equal(g.nedges, 1);           /* 9 -> itself, evidence observed */
	assert_int_equal(g.edges[0].holder_pid, 9);
	wg_free(&g);
}

static void test_multi_op(void **st)
{
	struct waitgraph g;
	struct ipcs_sembuf ops[2] = { { 0, -1, 0 }, { 1, -1, 0 } };

	wg_init(&g);
	/* 100 needs both sem 0 (available) and sem 1 (held by 200) */
	val(&g, 5, 0, 1, 0);
	val(&g, 5, 1, 0, 0);
	val(&g, 5, 2, 0, 0);
	hold(&g, 200, 5, 1, 1, EVID_UNDO);
	hold(&g, 100, 5, 2, 1, EVID_UNDO);
	waiter(&g, 100, 5, 2, ops);
	wait1(&g, 200, 5, 2, -1);
	assert_int_equal(wg_solve(&g), 0);
	/* only the blocking op makes an edge */
	size_t from100 = 0;
	for (size_t i = 0; i < g.nedges; i++)
		if (g.waiters[g.edges[i].waiter].pid == 100) {
			from100++;
			assert_int_equal(g.edges[i].semnum, 1);
		}
	assert_int_equal(from100, 1);
	assert_int_equal(g.ncycles, 1);
	wg_free(&g);

	/* the same, but sem 1 has a unit free: nothing blocks, no cycle */
	wg_init(&g);
	val(&g, 5, 0, 1, 0);
	val(&g, 5, 1, 1, 0);
	hold(&g, 200, 5, 1, 1, EVID_UNDO);
	waiter(&g, 100, 5, 2, ops);
	assert_int_equal(wg_solve(&g), 0);
	assert_int_equal(g.nedges, 0);
	assert_int_equal(g.ncycles, 0);
	wg_free(&g);
}

static void test_ops_accumulate(void **st)
{
	struct waitgraph g;
	struct ipcs_sembuf ops[2] = { { 0, -1, 0 }, { 0, -1, 0 } };

	wg_init(&g);
	val(&g, 5, 0, 1, 0);          /* one unit: the second decrement waits */
	hold(&g, 300, 5, 0, 1, EVID_UNDO);
	waiter(&g, 100, 5, 2, ops);
	assert_int_equal(wg_solve(&g), 0);
	assert_int_equal(g.nedges, 1);
	assert_int_equal(g.edges[0].holder_pid, 300);
	wg_free(&g);
	assert_true(wg_op_blocks(-2, 1));
	assert_false(wg_op_blocks(-2, 2));
	assert_true(wg_op_blocks(0, 1));
	assert_false(wg_op_blocks(0, 0));
	assert_false(wg_op_blocks(3, 0));
}

static void test_wait_for_zero(void **st)
{
	struct waitgraph g;

	wg_init(&g);
	val(&g, 4, 0, 2, 0);
	hold(&g, 500, 4, 0, -2, EVID_UNDO);   /* 500 added 2 */
	hold(&g, 600, 4, 0, 1, EVID_UNDO);    /* 600 took one: irrelevant to a zero-wait */
	wait1(&g, 100, 4, 0, 0);
	assert_int_equal(wg_solve(&g), 0);
	assert_int_equal(g.nedges, 1);
	assert_int_equal(g.edges[0].holder_pid, 500);
	assert_int_equal(g.edges[0].sem_op, 0);
	wg_free(&g);
}

static void test_lastpid_fallback(void **st)
{
	struct waitgraph g;

	wg_init(&g);
	val(&g, 7, 0, 0, 100);
	val(&g, 7, 1, 0, 200);
	wait1(&g, 100, 7, 1, -1);
	wait1(&g, 200, 7, 0, -1);
	assert_int_equal(wg_solve(&g), 0);
	assert_int_equal(g.ncycles, 1);
	assert_string_equal(wg_evidence_name(g.edges[0].evidence), "lastpid");
	wg_free(&g);

	wg_init(&g);
	g.use_lastpid = false;
	val(&g, 7, 0, 0, 100);
	val(&g, 7, 1, 0, 200);
	wait1(&g, 100, 7, 1, -1);
	wait1(&g, 200, 7, 0, -1);
	assert_int_equal(wg_solve(&g), 0);
	assert_int_equal(g.ncycles, 0);
	wg_free(&g);
}

static void test_other_namespace_is_separate(void **st)
{
	struct waitgraph g;
	struct wg_hold h = { 200, NS + 1, 7, 1, 1, EVID_UNDO };   /* same id, other ns */

	wg_init(&g);
	val(&g, 7, 1, 0, 0);
	assert_int_equal(wg_add_hold(&g, &h), 0);
	wait1(&g, 100, 7, 1, -1);
	assert_int_equal(wg_solve(&g), 0);
	assert_int_equal(g.nedges, 0);
	wg_free(&g);
}

static struct ev_call semop_ev(int pid, int semid, int num, int op, long ret)
{
	struct ev_call c = { .h = { .type = EV_CALL, .size = sizeof(c), .pid = (uint32_t)pid,
				    .ipcns = NS },
			     .call = CALL_SEMTIMEDOP, .kind = KIND_SEM, .id = semid, .ret = ret,
			     .nsops = 1, .nsops_copied = 1 };

	c.sops[0] = (struct ipcs_sembuf){ (uint16_t)num, (int16_t)op, 0 };
	return c;
}

static void test_balances(void **st)
{
	struct wg_balance b = { 0 };
	struct waitgraph g;
	struct ev_call e;

	e = semop_ev(100, 7, 0, -1, 0);   /* 100 takes twice, gives once */
	wg_balance_event(&b, &e.h);
	wg_balance_event(&b, &e.h);
	e = semop_ev(100, 7, 0, 1, 0);
	wg_balance_event(&b, &e.h);
	e = semop_ev(200, 7, 1, -1, -11);   /* failed call: not applied */
	wg_balance_event(&b, &e.h);
	e = semop_ev(300, 8, 0, 2, 0);      /* 300 feeds sem 8 */
	wg_balance_event(&b, &e.h);

	wg_init(&g);
	assert_int_equal(wg_balance_export(&b, &g), 0);
	assert_int_equal(g.nholds, 2);
	for (size_t i = 0; i < g.nholds; i++) {
		if (g.holds[i].pid == 100)
			assert_int_equal(g.holds[i].amount, 1);
		else
			assert_int_equal(g.holds[i].amount, -2);
		assert_int_equal(g.holds[i].evidence, EVID_OBSERVED);
	}
	wg_free(&g);

	/* IPC_RMID of sem 7 forgets it; exit of 300 forgets 300 */
	struct ev_call rm = { .h = { .type = EV_CALL, .size = sizeof(rm), .pid = 1, .ipcns = NS },
			      .call = CALL_SEMCTL, .kind = KIND_SEM, .id = 7, .cmd = IPC_RMID };
	wg_balance_event(&b, &rm.h);
	assert_int_equal(b.n, 1);
	struct ev_proc ex = { .h = { .type = EV_EXIT, .size = sizeof(ex), .pid = 300 } };
	wg_balance_event(&b, &ex.h);
	assert_int_equal(b.n, 0);
	wg_balance_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_abba_undo),
		cmocka_unit_test(test_several_cycles_and_bystander),
		cmocka_unit_test(test_self_wait),
		cmocka_unit_test(test_multi_op),
		cmocka_unit_test(test_ops_accumulate),
		cmocka_unit_test(test_wait_for_zero),
		cmocka_unit_test(test_lastpid_fallback),
		cmocka_unit_test(test_other_namespace_is_separate),
		cmocka_unit_test(test_balances),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
