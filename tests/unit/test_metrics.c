// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests for the Prometheus metrics view: exposition format, label
 * escaping, log2 -> cumulative bucket conversion, the per-queue top-N cap.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include "analysis/objstats.h"
#include "event.h"
#include "view/metrics.h"
#include "view/metrics_serve.h"
#include "view/top.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/ipc.h>

#define NS 4026532000u

static char *render_text(const struct metrics_input *in)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(metrics_write_text(f, in), 0);
	fclose(f);
	return buf;
}

static char *render_label(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	metrics_escape_label(f, s);
	fclose(f);
	return buf;
}

/* The value of the sample line that starts with `prefix` (name + labels). */
static double sample(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (!strncmp(p, prefix, n) && p[n] == ' ')
			return strtod(p + n + 1, NULL);
	}
	fail_msg("no sample '%s' in:\n%s", prefix, text);
	return NAN;
}

static int count_lines_starting(const char *text, const char *prefix)
{
	int c = 0;
	size_t n = strlen(prefix);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		c += !strncmp(p, prefix, n);
	return c;
}

static void test_escape_label(void **st)
{
	char *s = render_label("a\"b\\c\nd");

	assert_string_equal(s, "a\\\"b\\\\c\\nd");
	free(s);
	s = render_label("plain /dev/shm-ok");
	assert_string_equal(s, "plain /dev/shm-ok");
	free(s);
}

static void test_hist_buckets(void **st)
{
	__u64 slots[IPCS_HIST_SLOTS] = { 0 };
	double le[METRICS_HIST_BUCKETS];
	uint64_t cum[METRICS_HIST_BUCKETS];
	uint64_t total;

	/* 0 ns and 1 ns land in slot 0; 1500 ns in slot 10; huge in the last. */
	slots[log2_slot(0)]++;
	slots[log2_slot(1)]++;
	slots[log2_slot(1500)] += 3;
	slots[log2_slot(UINT64_MAX)] += 2;
	assert_int_equal(log2_slot(1500), 10);

	total = metrics_hist_buckets(slots, le, cum);
	assert_int_equal(total, 7);
	assert_true(fabs(le[0] - 2e-9) < 1e-18);
	assert_true(fabs(le[10] - 2048e-9) < 1e-15);
	assert_true(fabs(le[METRICS_HIST_BUCKETS - 1] - ldexp(1, 31) / 1e9) < 1e-9);
	assert_int_equal(cum[0], 2);
	assert_int_equal(cum[9], 2);
	assert_int_equal(cum[10], 5);
	assert_int_equal(cum[METRICS_HIST_BUCKETS - 1], 5);   /* the 2 huge ones only in +Inf */
	/* Every value counted in bucket b is <= le[b]: the largest in slot 10 is 2047 ns. */
	assert_true(2047e-9 <= le[10]);
	for (unsigned int b = 1; b < METRICS_HIST_BUCKETS; b++) {
		assert_true(cum[b] >= cum[b - 1]);
		assert_true(le[b] > le[b - 1]);
	}
}

static struct ipc_snapshot *make_snap(size_t nshm, size_t nmsg)
{
	struct ipc_snapshot *s = calloc(1, sizeof(*s));

	s->ipcns = NS;
	s->nshm = nshm;
	s->shm = calloc(nshm ? nshm : 1, sizeof(*s->shm));
	for (size_t i = 0; i < nshm; i++) {
		s->shm[i].c.id = (int32_t)i;
		s->shm[i].size = 4096 * (i + 1);
		s->shm[i].nattch = i % 2;
	}
	s->nmsg = nmsg;
	s->msg = calloc(nmsg ? nmsg : 1, sizeof(*s->msg));
	for (size_t i = 0; i < nmsg; i++) {
		s->msg[i].c.id = (int32_t)(100 + i);
		s->msg[i].c.key = (int32_t)(0x1000 + i);
		s->msg[i].qbytes = 1000;
		s->msg[i].cbytes = (i * 37) % 1000;    /* distinct fills */
		s->msg[i].qnum = i;
	}
	return s;
}

static void free_snap(struct ipc_snapshot *s)
{
	free(s->shm);
	free(s->msg);
	free(s->sem);
	free(s);
}

static void test_tables_exposition(void **st)
{
	struct ipc_snapshot *s = make_snap(3, 2);
	struct metrics_input in = { .snap = s, .version = "t\"1" };
	char *t = render_text(&in);

	assert_int_equal((int)sample(t, "ipcscope_objects{kind=\"shm\",ipcns=\"4026532000\"}"), 3);
	assert_int_equal((int)sample(t, "ipcscope_objects{kind=\"sem\",ipcns=\"4026532000\"}"), 0);
	assert_int_equal((int)sample(t, "ipcscope_objects{kind=\"msg\",ipcns=\"4026532000\"}"), 2);
	assert_int_equal((int)sample(t, "ipcscope_bytes{kind=\"shm\",ipcns=\"4026532000\"}"),
			 4096 + 8192 + 12288);
	assert_int_equal((int)sample(t, "ipcscope_shm_unattached_segments{ipcns=\"4026532000\"}"), 2);
	assert_int_equal((int)sample(t, "ipcscope_tracing"), 0);
	assert_int_equal((int)sample(t, "ipcscope_build_info{version=\"t\\\"1\"}"), 1);
	/* Every family has exactly one HELP and one TYPE, before its samples. */
	assert_int_equal(count_lines_starting(t, "# TYPE ipcscope_objects gauge\n"), 1);
	assert_int_equal(count_lines_starting(t, "# HELP ipcscope_objects "), 1);
	assert_true(strstr(t, "# TYPE ipcscope_objects gauge") < strstr(t, "ipcscope_objects{"));
	/* No tracing: no syscall or lost-event families. */
	assert_null(strstr(t, "ipcscope_syscalls_total"));
	assert_null(strstr(t, "ipcscope_lost_events_total"));
	/* Every line is a comment or `name[{labels}] value`, ending in newline. */
	assert_int_equal(t[strlen(t) - 1], '\n');
	for (char *p = t; *p; p = strchr(p, '\n') + 1) {
		char *nl = strchr(p, '\n');

		if (*p == '#')
			continue;
		assert_true((*p >= 'a' && *p <= 'z') || *p == '_');
		assert_non_null(memchr(p, ' ', (size_t)(nl - p)));
	}
	free(t);
	free_snap(s);
}

static void test_top_n_cap(void **st)
{
	struct ipc_snapshot *s = make_snap(0, 30);
	struct metrics_input in = { .snap = s, .top_n = 5 };
	char *t, *p;
	double prev = 2;

	t = render_text(&in);
	assert_int_equal(count_lines_starting(t, "ipcscope_msg_queue_fill_ratio{"), 5);
	assert_int_equal((int)sample(t, "ipcscope_msg_queue_series_omitted"), 25);
	/* Fullest first: cbytes = (i*37)%1000 is largest at i=27 (999), id 127. */
	p = strstr(t, "ipcscope_msg_queue_fill_ratio{");
	assert_non_null(strstr(p, "id=\"127\""));
	assert_true(strstr(p, "id=\"127\"") < strchr(p, '\n'));
	for (; p && !strncmp(p, "ipcscope_msg_queue_fill_ratio{", 30); p = strchr(p, '\n') + 1) {
		double f = strtod(strchr(p, ' ') + 1, NULL);

		assert_true(f <= prev);
		prev = f;
	}
	assert_true(fabs(sample(t, "ipcscope_msg_queue_fill_ratio{ipcns=\"4026532000\",id=\"127\",key=\"0x0000101b\"}")
			 - 0.999) < 1e-9);
	free(t);
	/* A cap larger than the table emits every queue. */
	in.top_n = 100;
	t = render_text(&in);
	assert_int_equal(count_lines_starting(t, "ipcscope_msg_queue_fill_ratio{"), 30);
	assert_int_equal((int)sample(t, "ipcscope_msg_queue_series_omitted"), 0);
	free(t);
	free_snap(s);
}

static void test_several_namespaces(void **st)
{
	struct ipc_snapshot *a = make_snap(2, 3), *b = make_snap(1, 30);
	const struct ipc_snapshot *v[] = { a, b };
	struct metrics_input in = { .snaps = v, .nsnaps = 2, .top_n = 4 };
	char *t;

	b->ipcns = NS + 1;
	a->msg[2].cbytes = 1000;          /* a's queue 102 is the fullest of all */
	t = render_text(&in);
	assert_int_equal((int)sample(t, "ipcscope_objects{kind=\"shm\",ipcns=\"4026532000\"}"), 2);
	assert_int_equal((int)sample(t, "ipcscope_objects{kind=\"shm\",ipcns=\"4026532001\"}"), 1);
	assert_int_equal((int)sample(t, "ipcscope_msg_messages{ipcns=\"4026532001\"}"), 435);
	/* One family header for both namespaces. */
	assert_int_equal(count_lines_starting(t, "# TYPE ipcscope_objects "), 1);
	/* The cap is over all namespaces: 4 series of 33 queues. */
	assert_int_equal(count_lines_starting(t, "ipcscope_msg_queue_fill_ratio{"), 4);
	assert_int_equal((int)sample(t, "ipcscope_msg_queue_series_omitted"), 29);
	{
		const char *want = "ipcscope_msg_queue_fill_ratio{ipcns=\"4026532000\",id=\"102\",";

		assert_true(!strncmp(strstr(t, "ipcscope_msg_queue_fill_ratio{"), want, strlen(want)));
	}
	free(t);
	free_snap(a);
	free_snap(b);
}

static void test_histogram_exposition(void **st)
{
	struct hist_val calls[CALL__MAX];
	struct metrics_input in = { .calls = calls, .tracing = true, .lost_events = 7 };
	char *t;
	char prefix[128];
	double prev = -1;

	memset(calls, 0, sizeof(calls));
	calls[CALL_SEMTIMEDOP].slots[log2_slot(3000)] = 4;        /* slot 11 */
	calls[CALL_SEMTIMEDOP].slots[log2_slot(5000000)] = 1;     /* slot 22 */
	calls[CALL_SEMTIMEDOP].count = 5;
	calls[CALL_SEMTIMEDOP].errors = 1;
	calls[CALL_SEMTIMEDOP].sum_ns = 4 * 3000 + 5000000;
	t = render_text(&in);

	assert_int_equal(count_lines_starting(t, "# TYPE ipcscope_syscall_duration_seconds histogram\n"), 1);
	assert_int_equal((int)sample(t, "ipcscope_syscalls_total{syscall=\"semtimedop\"}"), 5);
	assert_int_equal((int)sample(t, "ipcscope_syscall_errors_total{syscall=\"semtimedop\"}"), 1);
	assert_int_equal((int)sample(t, "ipcscope_syscalls_total{syscall=\"shmget\"}"), 0);
	assert_int_equal((int)sample(t, "ipcscope_lost_events_total"), 7);
	/* Only syscalls with data get histogram series. */
	assert_null(strstr(t, "ipcscope_syscall_duration_seconds_bucket{syscall=\"shmget\""));
	assert_int_equal(count_lines_starting(t,
		"ipcscope_syscall_duration_seconds_bucket{syscall=\"semtimedop\""),
		METRICS_HIST_BUCKETS + 1);
	/* le for slot 11 is 4096 ns; 3000 ns calls are in it, 5 ms is not. */
	assert_int_equal((int)sample(t,
		"ipcscope_syscall_duration_seconds_bucket{syscall=\"semtimedop\",le=\"2.048e-06\"}"), 0);
	assert_int_equal((int)sample(t,
		"ipcscope_syscall_duration_seconds_bucket{syscall=\"semtimedop\",le=\"4.096e-06\"}"), 4);
	assert_int_equal((int)sample(t,
		"ipcscope_syscall_duration_seconds_bucket{syscall=\"semtimedop\",le=\"0.008388608\"}"), 5);
	assert_int_equal((int)sample(t,
		"ipcscope_syscall_duration_seconds_bucket{syscall=\"semtimedop\",le=\"+Inf\"}"), 5);
	assert_int_equal((int)sample(t, "ipcscope_syscall_duration_seconds_count{syscall=\"semtimedop\"}"), 5);
	assert_true(fabs(sample(t, "ipcscope_syscall_duration_seconds_sum{syscall=\"semtimedop\"}")
			 - 0.005012) < 1e-12);
	/* Cumulative: non-decreasing in the order written. */
	snprintf(prefix, sizeof(prefix), "ipcscope_syscall_duration_seconds_bucket{syscall=\"semtimedop\"");
	for (char *p = strstr(t, prefix); p && !strncmp(p, prefix, strlen(prefix));
	     p = strchr(p, '\n') + 1) {
		double v = strtod(strchr(p, ' ') + 1, NULL);

		assert_true(v >= prev);
		prev = v;
	}
	free(t);
}

static void test_limits_and_analyses(void **st)
{
	struct ipc_limits L;
	struct ipc_snapshot *s = make_snap(1, 0);
	struct sem_val vals[2] = { { .ncnt = 2 }, { .zcnt = 1 } };
	struct metrics_input in = { .limits = &L, .snap = s, .sem_values = true,
				    .have_leaks = true, .have_deadlocks = true,
				    .deadlock_cycles = 1 };
	char *t;

	memset(&L, 0, sizeof(L));
	L.page_size = 4096;
	L.l[LIM_SHMMNI] = (struct ipc_limit){ .name = "SHMMNI", .unit = "segments", .value = 4096,
					      .has_usage = true, .usage = 3686 };
	L.l[LIM_SHMALL] = (struct ipc_limit){ .name = "SHMALL", .unit = "pages", .value = 10,
					      .has_usage = true, .usage = 5 };
	L.l[LIM_SEMVMX] = (struct ipc_limit){ .name = "SEMVMX", .unit = "value", .value = 32767 };
	in.leak_candidates[KIND_SHM] = 2;
	s->nsem = 1;
	s->sem = calloc(1, sizeof(*s->sem));
	s->sem[0].nsems = 2;
	s->sem[0].sems = vals;
	t = render_text(&in);

	assert_int_equal((int)sample(t, "ipcscope_limit{limit=\"shmmni\",unit=\"segments\"}"), 4096);
	assert_int_equal((int)sample(t, "ipcscope_limit_usage{limit=\"shmmni\",unit=\"segments\"}"), 3686);
	assert_true(fabs(sample(t, "ipcscope_limit_usage_ratio{limit=\"shmmni\"}") - 0.9) < 1e-3);
	/* Pages are exposed in bytes. */
	assert_int_equal((int)sample(t, "ipcscope_limit{limit=\"shmall\",unit=\"bytes\"}"), 40960);
	assert_int_equal((int)sample(t, "ipcscope_limit_usage{limit=\"shmall\",unit=\"bytes\"}"), 20480);
	/* A limit without usage has no usage series. */
	assert_int_equal((int)sample(t, "ipcscope_limit{limit=\"semvmx\",unit=\"value\"}"), 32767);
	assert_null(strstr(t, "ipcscope_limit_usage{limit=\"semvmx\""));
	assert_int_equal((int)sample(t, "ipcscope_blocked_waiters{kind=\"sem\"}"), 3);
	assert_int_equal((int)sample(t, "ipcscope_leak_candidates{kind=\"shm\"}"), 2);
	assert_int_equal((int)sample(t, "ipcscope_leak_candidates{kind=\"msg\"}"), 0);
	assert_int_equal((int)sample(t, "ipcscope_deadlock_cycles"), 1);
	free(t);
	s->sem[0].sems = NULL;
	free_snap(s);
}

static void test_json_emitter(void **st)
{
	struct ipc_snapshot *s = make_snap(2, 0);
	struct metrics_input in = { .snap = s };
	struct metrics_emitter e;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	metrics_json_emitter(&e, f, false);
	assert_true(metrics_build(&e, &in) > 5);
	e.finish(&e);
	fclose(f);
	assert_true(!strncmp(buf, "{\"metrics\":[{\"name\":\"ipcscope_build_info\"", 41));
	assert_non_null(strstr(buf, "{\"name\":\"ipcscope_objects\",\"labels\":{\"kind\":\"shm\",\"ipcns\":\"4026532000\"},\"value\":2}"));
	assert_true(!strcmp(buf + strlen(buf) - 4, "]}]}") || !strcmp(buf + strlen(buf) - 5, "]}]}\n"));
	free(buf);
	free_snap(s);
}

static void test_parse_listen(void **st)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char buf[64];

	assert_int_equal(metrics_parse_listen("127.0.0.1:9857", &ss, &len), 0);
	metrics_format_addr((struct sockaddr *)&ss, buf, sizeof(buf));
	assert_string_equal(buf, "127.0.0.1:9857");
	assert_int_equal(metrics_parse_listen("9100", &ss, &len), 0);    /* loopback */
	metrics_format_addr((struct sockaddr *)&ss, buf, sizeof(buf));
	assert_string_equal(buf, "127.0.0.1:9100");
	assert_int_equal(metrics_parse_listen(":9100", &ss, &len), 0);   /* every address */
	metrics_format_addr((struct sockaddr *)&ss, buf, sizeof(buf));
	assert_string_equal(buf, "0.0.0.0:9100");
	assert_int_equal(metrics_parse_listen("[::1]:0", &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(len, sizeof(struct sockaddr_in6));
	metrics_format_addr((struct sockaddr *)&ss, buf, sizeof(buf));
	assert_string_equal(buf, "[::1]:0");
	assert_int_equal(metrics_parse_listen("localhost:80", &ss, &len), 0);
	{
		const char *bad[] = { "", "x:1", "1.2.3.4:", "1.2.3.4:65536", "[::1]", "[::1]9",
				      "1.2.3.4:-1", "::1:80", "300.1.1.1:80" };

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			assert_int_equal(metrics_parse_listen(bad[i], &ss, &len), -EINVAL);
	}
}

static void test_quantile(void **st)
{
	uint64_t slots[IPCS_HIST_SLOTS] = { 0 };

	assert_int_equal(hist_quantile_ns(slots, IPCS_HIST_SLOTS, 0.99), 0);
	slots[log2_slot(1000)] = 99;     /* slot 9: 512..1023 ns */
	slots[log2_slot(1 << 20)] = 1;   /* slot 20 */
	/* 99 of 100 are <= 1023 ns: the p99 bound is 1024 ns; the max is in slot 20. */
	assert_int_equal(hist_quantile_ns(slots, IPCS_HIST_SLOTS, 0.99), 1024);
	assert_int_equal(hist_quantile_ns(slots, IPCS_HIST_SLOTS, 1.0), 1 << 21);
	assert_int_equal(hist_quantile_ns(slots, IPCS_HIST_SLOTS, 0.5), 1024);
	slots[log2_slot(1 << 20)] = 2;   /* now 2 of 101 above: p99 is the slow one */
	assert_int_equal(hist_quantile_ns(slots, IPCS_HIST_SLOTS, 0.99), 1 << 21);
}

static struct ev_call call_ev(unsigned int call, unsigned int kind, int32_t id,
			      uint64_t lat, int err, const char *comm)
{
	struct ev_call c;

	memset(&c, 0, sizeof(c));
	c.h.type = EV_CALL;
	c.h.size = sizeof(c);
	c.h.pid = 42;
	snprintf(c.h.comm, sizeof(c.h.comm), "%s", comm);
	c.call = (uint8_t)call;
	c.kind = (uint8_t)kind;
	c.id = id;
	c.lat_ns = lat;
	c.err = err;
	return c;
}

/* A reading of the kernel's per-object histograms: id -> (count, slot). */
struct reading {
	unsigned int kind;
	int32_t id;
	uint32_t ns;
	uint64_t count_fast, count_slow;   /* in slots 11 (2 us) and 22 (4 ms) */
};

static void read_into(struct lat_table *t, const struct reading *r, size_t n)
{
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < n; i++) {
		struct hist_key k = { .call = CALL_NONE, .kind = (uint8_t)r[i].kind, .id = r[i].id,
				      .ipcns = r[i].ns };
		struct hist_val v = { 0 };

		v.slots[11] = r[i].count_fast;
		v.slots[22] = r[i].count_slow;
		v.count = r[i].count_fast + r[i].count_slow;
		assert_int_equal(lat_table_append(t, &k, &v), 0);
	}
}

static void take(struct objstats *s, const struct reading *r, size_t n)
{
	struct lat_table t;

	read_into(&t, r, n);
	assert_int_equal(objstats_take(s, &t), 0);
	lat_table_free(&t);
}

static int nforgot;

static void count_forgot(void *ctx, const struct objstat *o)
{
	(void)ctx;
	(void)o;
	nforgot++;
}

static void test_objstats(void **st)
{
	struct objstats s;
	struct ipc_snapshot snap = { 0 };
	struct msg_obj q = { .c = { .id = 7 } };
	const uint32_t ns0 = NS;
	const struct objstat *o;
	struct ev_call c;

	assert_int_equal(objstats_init(&s), 0);
	snap.msg = &q;
	snap.nmsg = 1;
	objstats_mark_preexisting(&s, &snap, NS);

	/* A semaphore set created while tracing: its creator is the first semget. */
	c = call_ev(CALL_SEMGET, KIND_SEM, 3, 500, 0, "maker");
	c.h.ipcns = NS;
	objstats_event(&s, &c.h);
	c = call_ev(CALL_SEMGET, KIND_SEM, 3, 500, 0, "user");
	c.h.ipcns = NS;
	objstats_event(&s, &c.h);
	/* The preexisting queue: a msgget is not its creation. */
	c = call_ev(CALL_MSGGET, KIND_MSG, 7, 100, 0, "opener");
	c.h.ipcns = NS;
	objstats_event(&s, &c.h);
	/* The kernel counted 100 calls on set 3 (2 slow), 2 on queue 7, and
	 * 50 on a set 3 of another namespace. */
	{
		const struct reading r[] = {
			{ KIND_SEM, 3, NS, 98, 2 }, { KIND_MSG, 7, NS, 2, 0 },
			{ KIND_SEM, 3, NS + 1, 50, 0 },
		};

		struct hist_val calls[CALL__MAX] = { 0 };

		take(&s, r, 3);
		/* the per-call totals also hold 48 calls on objects already gone */
		calls[CALL_SEMTIMEDOP].count = 150;
		calls[CALL_MSGSND].count = 50;
		objstats_take_calls(&s, calls);
	}
	objstats_tick(&s, 2.0);
	o = objstats_get(&s, NS, KIND_SEM, 3);
	assert_non_null(o);
	assert_string_equal(o->creator, "maker");
	assert_true(o->rate > 49.9 && o->rate < 50.1);          /* 100 calls in 2 s */
	assert_int_equal(o->p99_ns, 1 << 23);                   /* 2 of 100 took 4 ms */
	assert_int_equal(objstats_get(&s, NS + 1, KIND_SEM, 3)->calls_total, 50);
	assert_true(s.rate > 99.9 && s.rate < 100.1);           /* 200 calls in 2 s, every one */
	o = objstats_get(&s, NS, KIND_MSG, 7);
	assert_string_equal(o->creator, "");
	assert_null(objstats_get(&s, NS, KIND_SHM, 3));

	/* The next reading is cumulative: only the difference is new. */
	{
		const struct reading r[] = { { KIND_SEM, 3, NS, 108, 2 } };

		take(&s, r, 1);
	}
	objstats_tick(&s, 1.0);
	o = objstats_get(&s, NS, KIND_SEM, 3);
	assert_true(o->rate > 9.9 && o->rate < 10.1);
	assert_int_equal(o->calls_total, 110);
	assert_int_equal(o->p99_ns, 1 << 23);                   /* still in the last two windows */
	/* A quiet window: rate drops to 0, p99 still covers the previous one. */
	take(&s, (const struct reading[]){ { KIND_SEM, 3, NS, 108, 2 } }, 1);
	objstats_tick(&s, 1.0);
	o = objstats_get(&s, NS, KIND_SEM, 3);
	assert_true(o->rate == 0 && o->p99_ns == 1 << 12);
	objstats_tick(&s, 1.0);
	assert_int_equal(objstats_get(&s, NS, KIND_SEM, 3)->p99_ns, 0);

	/* IPC_RMID forgets the object; the kernel's histogram of a reused id
	 * starts afresh and counts from zero. */
	c = call_ev(CALL_SEMCTL, KIND_SEM, 3, 100, 0, "user");
	c.cmd = IPC_RMID;
	c.h.ipcns = NS;
	objstats_event(&s, &c.h);
	assert_null(objstats_get(&s, NS, KIND_SEM, 3));
	assert_non_null(objstats_get(&s, NS + 1, KIND_SEM, 3));  /* another namespace's */
	take(&s, (const struct reading[]){ { KIND_SEM, 3, NS, 4, 0 } }, 1);
	assert_int_equal(objstats_get(&s, NS, KIND_SEM, 3)->calls_total, 4);
	/* a lower count than last time: restarted, all of it new */
	take(&s, (const struct reading[]){ { KIND_SEM, 3, NS, 1, 0 } }, 1);
	assert_int_equal(objstats_get(&s, NS, KIND_SEM, 3)->calls_total, 5);

	/* Many objects: the table grows and keeps every entry. */
	{
		struct reading r[2000];

		for (int id = 1000; id < 3000; id++)
			r[id - 1000] = (struct reading){ KIND_SHM, id, NS, 1, 0 };
		take(&s, r, 2000);
	}
	for (int id = 1000; id < 3000; id++)
		assert_int_equal(objstats_get(&s, NS, KIND_SHM, id)->calls_total, 1);

	/* Churn: 100 k objects made and removed leave nothing behind, and every
	 * deletion keeps the other entries reachable (probe chains intact). */
	for (int id = 10000; id < 110000; id++) {
		c = call_ev(CALL_SHMGET, KIND_SHM, id, 10, 0, "churn");
		c.h.ipcns = NS;
		objstats_event(&s, &c.h);
		c = call_ev(CALL_SHMCTL, KIND_SHM, id, 10, 0, "churn");
		c.cmd = IPC_RMID;
		c.h.ipcns = NS;
		objstats_event(&s, &c.h);
	}
	assert_int_equal(s.n, 2000 + 3);        /* the shm above, queue 7, both sets 3 */
	for (int id = 1000; id < 3000; id++)
		assert_int_equal(objstats_get(&s, NS, KIND_SHM, id)->calls_total, 1);

	/* Removed unseen: gone from the tables and quiet for two windows; only
	 * the namespaces read are judged, and each is told to `forgot`. */
	objstats_retain(&s, &snap, &ns0, 1, count_forgot, NULL);   /* every shm was busy lately */
	assert_int_equal(s.n, 2003);
	objstats_tick(&s, 1.0);
	{
		struct reading r[1000];

		for (int id = 1000; id < 3000; id += 2)   /* even ids busy in the next window */
			r[(id - 1000) / 2] = (struct reading){ KIND_SHM, id, NS, 2, 0 };
		take(&s, r, 1000);
	}
	objstats_tick(&s, 1.0);
	nforgot = 0;
	objstats_retain(&s, &snap, &ns0, 1, count_forgot, NULL);   /* odd ids quiet for two windows */
	assert_int_equal(nforgot, 1000 + 1);                       /* and set 3, quiet too */
	assert_int_equal(s.n, 1002);
	for (int id = 1000; id < 3000; id += 2)
		assert_non_null(objstats_get(&s, NS, KIND_SHM, id));
	objstats_tick(&s, 1.0);
	objstats_tick(&s, 1.0);
	objstats_retain(&s, &snap, &ns0, 1, NULL, NULL);
	assert_int_equal(s.n, 2);
	assert_non_null(objstats_get(&s, NS, KIND_MSG, 7));       /* still in the tables */
	assert_non_null(objstats_get(&s, NS + 1, KIND_SEM, 3));   /* its namespace not read */
	objstats_fini(&s);
}

static void test_top_rows(void **st)
{
	struct top_model m = { 0 };
	struct top_row *r;
	char line[256];

	r = top_add_row(&m);
	*r = (struct top_row){ .kind = KIND_SHM, .id = 1, .key = 0x7777, .size = 100,
			       .calls_per_s = 5, .owner = "alice", .comm = "db" };
	r = top_add_row(&m);
	*r = (struct top_row){ .kind = KIND_SEM, .id = 2, .waiters = 3, .calls_per_s = 50,
			       .p99_ns = 2048, .owner = "bob" };
	r = top_add_row(&m);
	*r = (struct top_row){ .kind = KIND_MSG, .id = 3, .size = 5000, .fill = 0.5,
			       .p99_ns = 1 << 20, .owner = "carol", .comm = "queue-writer" };
	top_sort_rows(&m, TOP_SORT_CALLS);
	assert_int_equal(m.rows[0].id, 2);
	top_sort_rows(&m, TOP_SORT_SIZE);
	assert_int_equal(m.rows[0].id, 3);
	top_sort_rows(&m, TOP_SORT_LATENCY);
	assert_int_equal(m.rows[0].id, 3);
	top_sort_rows(&m, TOP_SORT_WAITERS);
	assert_int_equal(m.rows[0].id, 2);
	/* A deadlocked object comes first whatever the key. */
	m.rows[2].in_deadlock = true;
	top_sort_rows(&m, TOP_SORT_WAITERS);
	assert_true(m.rows[0].in_deadlock);

	assert_true(top_row_visible(&m.rows[0], 0, NULL));
	for (size_t i = 0; i < m.n; i++) {
		r = &m.rows[i];
		assert_int_equal(top_row_visible(r, KIND_BIT(KIND_MSG), ""), r->kind == KIND_MSG);
		assert_int_equal(top_row_visible(r, 0, "writer"), r->id == 3);
		assert_int_equal(top_row_visible(r, 0, "7777"), r->id == 1);   /* key */
		assert_int_equal(top_row_visible(r, 0, "2"), r->id == 2);      /* id, exact */
		assert_int_equal(top_row_visible(r, 0, "bob"), r->id == 2);
	}
	/* Rows fit the width: 80 columns, the comm column shrinks first. */
	for (size_t i = 0; i < m.n; i++) {
		top_format_row(&m.rows[i], line, sizeof(line), 80, false);
		assert_true(strlen(line) <= 80);
	}
	top_format_columns(line, sizeof(line), 80, false);
	assert_true(strlen(line) <= 80);
	top_format_ns(0, line, sizeof(line));
	assert_string_equal(line, "-");
	top_format_ns(1500, line, sizeof(line));
	assert_string_equal(line, "2us");
	top_format_ns(12345678, line, sizeof(line));
	assert_string_equal(line, "12.3ms");
	top_model_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_label),
		cmocka_unit_test(test_hist_buckets),
		cmocka_unit_test(test_tables_exposition),
		cmocka_unit_test(test_top_n_cap),
		cmocka_unit_test(test_several_namespaces),
		cmocka_unit_test(test_histogram_exposition),
		cmocka_unit_test(test_limits_and_analyses),
		cmocka_unit_test(test_json_emitter),
		cmocka_unit_test(test_parse_listen),
		cmocka_unit_test(test_quantile),
		cmocka_unit_test(test_objstats),
		cmocka_unit_test(test_top_rows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
