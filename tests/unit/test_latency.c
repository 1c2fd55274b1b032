// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Latency table: merging, EV_CALL accounting, per-call folding, percentiles, views. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "analysis/latency.h"
#include "view/latency_view.h"
#include "event.h"

#define NS 4026531839u

static struct ev_call call_ev(unsigned int call, int id, uint64_t lat, uint64_t off, int64_t ret,
			      uint64_t size)
{
	struct ev_call c;

	memset(&c, 0, sizeof(c));
	c.h.type = EV_CALL;
	c.h.size = sizeof(c);
	c.h.ipcns = NS;
	c.call = (uint8_t)call;
	c.kind = (uint8_t)call_kind(call);
	c.id = id;
	c.lat_ns = lat;
	c.offcpu_ns = off;
	c.ret = ret;
	c.size = size;
	return c;
}

static void test_log2_slots(void **state)
{
	assert_int_equal(log2_slot(0), 0);
	assert_int_equal(log2_slot(1), 0);
	assert_int_equal(log2_slot(2), 1);
	assert_int_equal(log2_slot(3), 1);
	assert_int_equal(log2_slot(1024), 10);
	assert_int_equal(log2_slot(2047), 10);
	assert_int_equal(log2_slot(UINT64_MAX), IPCS_HIST_SLOTS - 1);
}

/* Per-CPU values for one key merge: counts add, max is the largest. */
static void test_merge_per_cpu(void **state)
{
	struct lat_table t = { 0 };
	struct hist_key k = { .call = CALL_SEMTIMEDOP, .id = -1, .ipcns = NS };
	struct hist_val a = { 0 }, b = { 0 };

	a.slots[10] = 3; a.count = 3; a.sum_ns = 3000; a.max_ns = 1100; a.errors = 1;
	b.slots[10] = 1; b.slots[20] = 2; b.count = 3; b.sum_ns = 2000000; b.max_ns = 1500000;
	assert_int_equal(lat_table_add(&t, &k, &a), 0);
	assert_int_equal(lat_table_add(&t, &k, &b), 0);
	assert_int_equal(t.n, 1);
	assert_int_equal(t.v[0].val.slots[10], 4);
	assert_int_equal(t.v[0].val.slots[20], 2);
	assert_int_equal(t.v[0].val.count, 6);
	assert_int_equal(t.v[0].val.errors, 1);
	assert_int_equal(t.v[0].val.sum_ns, 2003000);
	assert_int_equal(t.v[0].val.max_ns, 1500000);
	/* another namespace is another entry */
	k.ipcns = NS + 1;
	assert_int_equal(lat_table_add(&t, &k, &a), 0);
	assert_int_equal(t.n, 2);
	assert_int_equal(lat_total_count(&t), 9);
	lat_table_free(&t);
}

/* Percentiles interpolate within a bucket and never exceed the largest seen. */
static void test_percentiles(void **state)
{
	__u64 slots[IPCS_HIST_SLOTS] = { 0 };

	assert_int_equal(lat_percentile(slots, 0, 0, 0.5), 0);
	/* 100 calls in [1024, 2048) */
	slots[10] = 100;
	assert_int_equal(lat_percentile(slots, 100, 2000, 0.5), 1536);
	assert_int_equal(lat_percentile(slots, 100, 2000, 0.99), 2000);  /* capped at max */
	/* 90 fast in [256, 512), 10 slow in [1 ms bucket) */
	memset(slots, 0, sizeof(slots));
	slots[8] = 90;
	slots[20] = 10;
	uint64_t p50 = lat_percentile(slots, 100, 1500000, 0.5);
	uint64_t p90 = lat_percentile(slots, 100, 1500000, 0.9);
	uint64_t p99 = lat_percentile(slots, 100, 1500000, 0.99);

	assert_true(p50 >= 256 && p50 < 512);
	assert_true(p90 >= 256 && p90 <= 512);
	assert_true(p99 >= (1u << 20) && p99 <= 1500000);
	assert_true(p50 <= p90 && p90 <= p99);
}

/* `report latency` fills the same table from EV_CALL events. */
static void test_from_events(void **state)
{
	struct lat_table t = { 0 }, byc = { 0 };
	struct ev_call e1 = call_ev(CALL_SEMTIMEDOP, 7, 1500, 0, 0, 0);
	struct ev_call e2 = call_ev(CALL_SEMTIMEDOP, 7, 3000000, 2900000, 0, 0);
	struct ev_call e3 = call_ev(CALL_SEMTIMEDOP, 9, 800, 0, -11, 0);
	struct ev_call s1 = call_ev(CALL_MSGSND, 3, 5000, 4000, 0, 64);
	struct ev_call r1 = call_ev(CALL_MSGRCV, 3, 6000, 0, 64, 128);
	struct ev_call r2 = call_ev(CALL_MSGRCV, 3, 6000, 0, -42, 128);  /* ENOMSG: no bytes */
	struct ev_proc p = { 0 };

	e2.flags = EVF_WAITED;      /* slept for the semaphore */
	s1.flags = EVF_WAITED;      /* waited for room in the queue */
	p.h.type = EV_EXIT;
	p.h.size = sizeof(p);
	assert_int_equal(lat_table_event(&t, &p.h, true), 0);   /* ignored */
	assert_int_equal(lat_table_event(&t, &e1.h, true), 0);
	assert_int_equal(lat_table_event(&t, &e2.h, true), 0);
	assert_int_equal(lat_table_event(&t, &e3.h, true), 0);
	assert_int_equal(lat_table_event(&t, &s1.h, true), 0);
	assert_int_equal(lat_table_event(&t, &r1.h, true), 0);
	assert_int_equal(lat_table_event(&t, &r2.h, true), 0);
	assert_int_equal(t.n, 4);      /* sem 7, sem 9, msgsnd 3, msgrcv 3 */
	assert_int_equal(lat_total_count(&t), 6);

	assert_int_equal(t.v[0].key.id, 7);
	assert_int_equal(t.v[0].val.count, 2);
	assert_int_equal(t.v[0].val.slots[log2_slot(1500)], 1);
	assert_int_equal(t.v[0].val.slots[log2_slot(3000000)], 1);
	assert_int_equal(t.v[0].val.offcpu_slots[0], 1);           /* never blocked */
	assert_int_equal(t.v[0].val.offcpu_slots[log2_slot(2900000)], 1);
	assert_int_equal(t.v[0].val.max_ns, 3000000);
	assert_int_equal(t.v[0].val.waited, 1);
	assert_int_equal(t.v[1].val.errors, 1);
	assert_int_equal(t.v[1].val.waited, 0);

	/* queues: sends, receives, bytes only for successful calls, blocked time */
	t.offcpu = true;
	struct lat_queue *q;
	size_t nq = lat_queues(&t, &q);

	assert_int_equal(nq, 1);
	assert_int_equal(q[0].id, 3);
	assert_int_equal(q[0].sends, 1);
	assert_int_equal(q[0].recvs, 1);
	assert_int_equal(q[0].send_bytes, 64);
	assert_int_equal(q[0].recv_bytes, 64);
	assert_int_equal(q[0].send_blocked_ns, 4000);
	assert_int_equal(q[0].send_waits, 1);
	assert_int_equal(q[0].recv_waits, 0);
	free(q);

	/* folded by call: both semaphores in one semtimedop histogram */
	assert_int_equal(lat_table_by_call(&t, &byc), 0);
	assert_int_equal(byc.n, 3);
	assert_int_equal(byc.v[0].key.call, CALL_SEMTIMEDOP);
	assert_int_equal(byc.v[0].key.id, -1);
	assert_int_equal(byc.v[0].val.count, 3);
	assert_int_equal(byc.v[0].val.errors, 1);
	assert_int_equal(lat_total_count(&byc), lat_total_count(&t));
	lat_table_free(&byc);

	/* not per object: one entry per call */
	lat_table_free(&t);
	assert_int_equal(lat_table_event(&t, &e1.h, false), 0);
	assert_int_equal(lat_table_event(&t, &e3.h, false), 0);
	assert_int_equal(t.n, 1);
	assert_int_equal(t.v[0].key.id, -1);
	lat_table_free(&t);
}

static char *render(const struct lat_table *t, bool json, bool per_object)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	if (json) {
		struct jsonw w;

		jsonw_init(&w, f, false);
		jsonw_start_object(&w);
		lat_print_json(&w, t, per_object);
		jsonw_end_object(&w);
		jsonw_eol(&w);
	} else {
		lat_print_text(f, t, per_object);
	}
	fclose(f);
	return buf;
}

/* Queues from many entries: merged per (namespace, id), sorted. */
static void test_queues_merge_and_sort(void **state)
{
	static const struct { uint8_t call; int32_t id; uint32_t ns; uint64_t count, waited; } in[] = {
		{ CALL_MSGSND, 5, 1, 10, 4 }, { CALL_MSGRCV, 2, 1, 3, 1 },
		{ CALL_SEMOP, 5, 1, 7, 7 },   /* not a queue call */
		{ CALL_MSGRCV, 5, 1, 9, 2 }, { CALL_MSGSND, 2, 2, 6, 0 },
		{ CALL_MSGSND, -1, 1, 8, 0 }, /* folded by call: no object */
	};
	struct lat_table t = { 0 };
	struct lat_queue *q;
	size_t n;

	(void)state;
	t.offcpu = true;
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		struct hist_key k = { .call = in[i].call, .id = in[i].id, .ipcns = in[i].ns };
		struct hist_val v = { .count = in[i].count, .waited = in[i].waited };

		assert_int_equal(lat_table_add(&t, &k, &v), 0);
	}
	n = lat_queues(&t, &q);
	assert_int_equal(n, 3);
	assert_int_equal(q[0].ipcns, 1);
	assert_int_equal(q[0].id, 2);
	assert_int_equal(q[0].recvs, 3);
	assert_int_equal(q[0].recv_waits, 1);
	assert_int_equal(q[1].ipcns, 1);
	assert_int_equal(q[1].id, 5);
	assert_int_equal(q[1].sends, 10);
	assert_int_equal(q[1].recvs, 9);
	assert_int_equal(q[1].send_waits, 4);
	assert_int_equal(q[1].recv_waits, 2);
	assert_int_equal(q[2].ipcns, 2);
	assert_int_equal(q[2].id, 2);
	assert_int_equal(q[2].sends, 6);
	assert_int_equal(q[2].recvs, 0);
	free(q);
	lat_table_free(&t);
}

static void test_views(void **state)
{
	struct lat_table t = { 0 };
	struct hist_key k = { .call = CALL_SEMTIMEDOP, .id = 5, .ipcns = NS };
	struct hist_val v = { 0 };
	char *s;

	v.slots[10] = 4;
	v.slots[12] = 2;
	v.count = 6;
	v.sum_ns = 6 * 2000;
	v.max_ns = 5000;
	assert_int_equal(lat_table_add(&t, &k, &v), 0);

	s = render(&t, false, true);
	assert_non_null(strstr(s, "semtimedop sem 5: count 6"));
	assert_non_null(strstr(s, "nsecs (total)"));
	/* the fullest bucket gets the full 40-star bar; empty buckets between are shown */
	assert_non_null(strstr(s, "      1024 -> 2047       : 4        |****************************************|"));
	assert_non_null(strstr(s, "      2048 -> 4095       : 0 "));
	assert_non_null(strstr(s, "      4096 -> 8191       : 2        |********************"));
	free(s);

	s = render(&t, true, true);
	assert_non_null(strstr(s, "\"call\":\"semtimedop\""));
	assert_non_null(strstr(s, "\"id\":5"));
	assert_non_null(strstr(s, "\"count\":6"));
	assert_non_null(strstr(s, "\"max_ns\":5000"));
	assert_non_null(strstr(s, "{\"ge_ns\":1024,\"lt_ns\":2048,\"count\":4}"));
	assert_non_null(strstr(s, "{\"ge_ns\":4096,\"lt_ns\":8192,\"count\":2}"));
	assert_null(strstr(s, "offcpu_buckets"));   /* not tracked: not claimed */
	free(s);
	lat_table_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log2_slots),
		cmocka_unit_test(test_merge_per_cpu),
		cmocka_unit_test(test_percentiles),
		cmocka_unit_test(test_from_events),
		cmocka_unit_test(test_queues_merge_and_sort),
		cmocka_unit_test(test_views),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
