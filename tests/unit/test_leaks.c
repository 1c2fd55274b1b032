// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests for the leak attribution analysis, on synthetic events and tables. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <cmocka.h>

#include "analysis/leaks.h"
#include "view/leaks_view.h"

/* ---- synthetic events ------------------------------------------------ */

static void hdr(struct ev_hdr *h, unsigned int type, size_t size, int32_t pid,
		const char *comm, uint64_t ts)
{
	h->type = type;
	h->size = size;
	h->pid = pid;
	h->tid = pid;
	h->ppid = 1;
	h->ts_ns = ts;
	snprintf(h->comm, sizeof(h->comm), "%s", comm);
}

static void emit_create(struct leaks *l, int32_t pid, const char *comm,
			const char *argv, size_t argvlen, unsigned int kind, int32_t id,
			int32_t key)
{
	struct ev_create *c = calloc(1, sizeof(*c));

	hdr(&c->h, EV_CREATE, sizeof(*c), pid, comm, 1000 + id);
	c->kind = kind;
	c->call = kind == KIND_SHM ? CALL_SHMGET : kind == KIND_SEM ? CALL_SEMGET
								  : CALL_MSGGET;
	c->id = id;
	c->key = key;
	c->stack_id = -1;
	memcpy(c->cmdline, argv, argvlen);
	c->cmdline_len = argvlen;
	c->regs[16] = 0x401000 + pid;      /* the fake unwinder reads this */
	leaks_event(l, &c->h);
	free(c);
}

static void emit_call(struct leaks *l, int32_t pid, const char *comm, unsigned int call,
		      int32_t id, int32_t key, int cmd, uint32_t iflags, int err)
{
	struct ev_call c = { 0 };

	hdr(&c.h, EV_CALL, sizeof(c), pid, comm, 5000);
	c.call = call;
	c.kind = call_kind(call);
	c.id = id;
	c.key = key;
	c.cmd = cmd;
	c.iflags = iflags;
	c.err = err;
	c.stack_id = 7;
	leaks_event(l, &c.h);
}

static void emit_exit(struct leaks *l, int32_t pid, uint64_t ts)
{
	struct ev_proc p = { 0 };

	hdr(&p.h, EV_EXIT, sizeof(p), pid, "x", ts);
	leaks_event(l, &p.h);
}

/* ---- fakes for the two outside-world callbacks ----------------------- */

static int32_t alive_pids[8];

static bool fake_alive(void *ctx, int32_t pid)
{
	for (size_t i = 0; i < 8; i++)
		if (alive_pids[i] == pid)
			return true;
	return false;
}

static int stack_calls;

/* Two frames named after the pid; the method says which event fed it. */
static struct stack_frame *fake_stack(void *ctx, const struct ev_hdr *ev, size_t *n,
				      const char **how)
{
	struct stack_frame *f = calloc(2, sizeof(*f));

	stack_calls++;
	snprintf(f[0].symbol, sizeof(f[0].symbol), "make_%u.constprop.0", ev->pid);
	snprintf(f[0].func, sizeof(f[0].func), "make_%u", ev->pid);
	snprintf(f[1].symbol, sizeof(f[1].symbol), "caller_%u", ev->pid);
	snprintf(f[1].func, sizeof(f[1].func), "caller_%u", ev->pid);
	*n = 2;
	*how = ev->type == EV_CREATE ? "dwarf" : "fp";
	return f;
}

static struct leaks_opts opts(void)
{
	return (struct leaks_opts){ .alive = fake_alive, .stack = fake_stack };
}

/* ---- tables ---------------------------------------------------------- */

struct tables {
	struct ipc_snapshot s;
	struct shm_obj shm[8];
	struct sem_obj sem[4];
	struct sem_val vals[4][2];
	struct msg_obj msg[4];
};

static void add_shm(struct tables *t, int32_t id, uint64_t size, uint64_t nattch,
		    int32_t cpid, int64_t atime)
{
	struct shm_obj *s = &t->shm[t->s.nshm++];

	memset(s, 0, sizeof(*s));
	s->c.id = id;
	s->c.key = 0x1000 + id;
	s->c.ctime = 900;
	s->size = size;
	s->nattch = nattch;
	s->cpid = cpid;
	s->lpid = cpid;
	s->atime = atime;
	t->s.shm = t->shm;
}

static void add_sem(struct tables *t, int32_t id, int32_t ncnt, int32_t pid, int64_t otime)
{
	size_t i = t->s.nsem++;
	struct sem_obj *s = &t->sem[i];

	memset(s, 0, sizeof(*s));
	s->c.id = id;
	s->c.ctime = 900;
	s->nsems = 2;
	s->otime = otime;
	memset(t->vals[i], 0, sizeof(t->vals[i]));
	t->vals[i][1].ncnt = ncnt;
	t->vals[i][0].pid = pid;
	s->sems = t->vals[i];
	t->s.sem = t->sem;
}

static void add_msg(struct tables *t, int32_t id, uint64_t cbytes, uint64_t qnum)
{
	struct msg_obj *m = &t->msg[t->s.nmsg++];

	memset(m, 0, sizeof(*m));
	m->c.id = id;
	m->c.ctime = 900;
	m->cbytes = cbytes;
	m->qnum = qnum;
	t->s.msg = t->msg;
}

static void tables_init(struct tables *t)
{
	memset(t, 0, sizeof(*t));
	t->s.taken_real = 1000;
}

static const struct leak *find(const struct leak_report *r, unsigned int kind, int32_t id)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].kind == kind && r->v[i].id == id)
			return &r->v[i];
	return NULL;
}

static void setup_each(void)
{
	memset(alive_pids, 0, sizeof(alive_pids));
	stack_calls = 0;
}

/* ---- tests ----------------------------------------------------------- */

/* A forked child makes one object of each kind and exits. */
static void test_child_leaks_each_kind(void **state)
{
	struct leaks_opts o = opts();
	struct tables start, now;
	struct leak_report r;
	struct leaks *l;
	const struct leak *k;
	static const char argv[] = "leak_fork\0--all\0";

	setup_each();
	tables_init(&start);
	l = leaks_new(&o, &start.s);
	emit_create(l, 100, "leak_fork", argv, sizeof(argv), KIND_SHM, 1, 0x10);
	emit_call(l, 100, "leak_fork", CALL_SHMGET, 1, 0x10, 0, IPC_CREAT, 0);
	emit_create(l, 100, "leak_fork", argv, sizeof(argv), KIND_SEM, 2, IPC_PRIVATE);
	emit_create(l, 100, "leak_fork", argv, sizeof(argv), KIND_MSG, 3, 0x30);
	emit_call(l, 100, "leak_fork", CALL_MSGSND, 3, 0, 0, 0, 0);
	/* made and removed at once (shm churn): its stack is never resolved */
	emit_create(l, 100, "leak_fork", argv, sizeof(argv), KIND_SHM, 4, IPC_PRIVATE);
	emit_call(l, 100, "leak_fork", CALL_SHMCTL, 4, 0, IPC_RMID, 0, 0);
	assert_int_equal(leaks_tracked(l), 3);
	assert_int_equal(stack_calls, 0);    /* stacks are resolved when looked for */

	tables_init(&now);
	add_shm(&now, 1, 4096, 0, 100, 0);
	add_sem(&now, 2, 0, 0, 0);
	add_msg(&now, 3, 10, 2);

	/* creator still alive: nothing to report yet */
	alive_pids[0] = 100;
	assert_int_equal(leaks_find(l, &now.s, &r), 0);
	assert_int_equal(r.n, 0);
	leak_report_free(&r);
	/* once each for the three left; the EV_CALL did not replace the dwarf stack */
	assert_int_equal(stack_calls, 3);

	alive_pids[0] = 0;
	emit_exit(l, 100, 7777);
	assert_int_equal(leaks_find(l, &now.s, &r), 0);
	assert_int_equal(r.n, 3);
	k = find(&r, KIND_SHM, 1);
	assert_non_null(k);
	assert_string_equal(k->reason, "never-attached");
	assert_int_equal(k->bytes, 4096);
	assert_int_equal(k->age_s, 100);
	assert_true(k->creator.known);
	assert_int_equal(k->creator.pid, 100);
	assert_string_equal(k->creator.comm, "leak_fork");
	assert_string_equal(k->creator.cmdline, "leak_fork --all");
	assert_true(k->creator.exited);
	assert_int_equal(k->creator.exit_ts_ns, 7777);
	assert_int_equal(k->creator.nstack, 2);
	assert_string_equal(k->creator.stack[0].func, "make_100");
	assert_string_equal(k->creator.stack[1].func, "caller_100");
	assert_string_equal(k->creator.stack_how, "dwarf");
	k = find(&r, KIND_SEM, 2);
	assert_non_null(k);
	assert_string_equal(k->reason, "creator-exited");
	assert_int_equal(k->nsems, 2);
	k = find(&r, KIND_MSG, 3);
	assert_non_null(k);
	assert_int_equal(k->bytes, 10);
	assert_int_equal(k->messages, 2);
	assert_int_equal(k->last_pid, 100);
	assert_int_equal(k->last_call, CALL_MSGSND);
	assert_string_equal(k->last_comm, "leak_fork");
	/* one creator: one group with everything */
	assert_int_equal(r.ngroups, 1);
	assert_int_equal(r.groups[0].count, 3);
	assert_int_equal(r.groups[0].bytes, 4106);
	leak_report_free(&r);
	leaks_free(l);
}

/* Creates and removes: nothing left, nothing reported. */
static void test_well_behaved(void **state)
{
	struct leaks_opts o = opts();
	struct tables now;
	struct leak_report r;
	struct leaks *l;

	setup_each();
	l = leaks_new(&o, NULL);
	emit_create(l, 200, "good", "good", 5, KIND_SHM, 11, 0);
	emit_create(l, 200, "good", "good", 5, KIND_MSG, 12, 0);
	emit_call(l, 200, "good", CALL_SHMCTL, 11, 0, IPC_RMID, 0, 0);
	emit_call(l, 200, "good", CALL_MSGCTL, 12, 0, IPC_RMID, 0, 0);
	emit_exit(l, 200, 1);
	assert_int_equal(leaks_tracked(l), 0);
	tables_init(&now);
	assert_int_equal(leaks_find(l, &now.s, &r), 0);
	assert_int_equal(r.n, 0);
	assert_int_equal(r.ngroups, 0);
	leak_report_free(&r);
	/* a failed removal does not count */
	emit_create(l, 201, "bad", "bad", 4, KIND_SEM, 13, 0);
	emit_call(l, 201, "bad", CALL_SEMCTL, 13, 0, IPC_RMID, 0, 1 /* EPERM */);
	assert_int_equal(leaks_tracked(l), 1);
	leaks_free(l);
}

/* Attached by a live process, or waited on: in use, not leaked. */
static void test_in_use_not_reported(void **state)
{
	struct leaks_opts o = opts();
	struct tables now;
	struct leak_report r;
	struct leaks *l;

	setup_each();
	l = leaks_new(&o, NULL);
	emit_create(l, 300, "c", "c", 2, KIND_SHM, 21, 0);
	emit_call(l, 300, "c", CALL_SHMAT, 21, 0, 0, 0, 0);
	emit_create(l, 300, "c", "c", 2, KIND_SEM, 22, 0);
	emit_create(l, 300, "c", "c", 2, KIND_SHM, 23, 0);
	emit_call(l, 300, "c", CALL_SHMAT, 23, 0, 0, 0, 0);
	emit_exit(l, 300, 1);
	tables_init(&now);
	add_shm(&now, 21, 100, 1, 300, 950);     /* still attached (by a child) */
	add_sem(&now, 22, 1, 0, 0);              /* a process waits on it */
	add_shm(&now, 23, 100, 0, 300, 950);     /* was attached, now detached */
	assert_int_equal(leaks_find(l, &now.s, &r), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.v[0].id, 23);
	assert_string_equal(r.v[0].reason, "creator-exited");
	leak_report_free(&r);
	leaks_free(l);
}

/* Objects from before tracing: shm has cpid, sem/msg have no creator. */
static void test_predates_tracing(void **state)
{
	struct leaks_opts o = opts();
	struct tables start, now;
	struct leak_report r;
	struct leaks *l;
	const struct leak *k;

	setup_each();
	tables_init(&start);
	add_shm(&start, 31, 8192, 0, 50, 0);
	add_sem(&start, 32, 0, 0, 0);
	add_msg(&start, 33, 0, 0);
	add_shm(&start, 34, 10, 0, 51, 0);      /* cpid 51 alive */
	alive_pids[0] = 51;
	l = leaks_new(&o, &start.s);
	/* an IPC_CREAT open of an existing key is not a creation */
	emit_call(l, 400, "opener", CALL_SEMGET, 32, 0x32, 0, IPC_CREAT, 0);
	emit_create(l, 400, "opener", "opener", 7, KIND_SEM, 32, 0x32);
	emit_exit(l, 400, 1);
	assert_int_equal(leaks_tracked(l), 0);
	now = start;
	now.s.shm = now.shm;
	now.s.sem = now.sem;
	now.sem[0].sems = now.vals[0];
	now.s.msg = now.msg;
	assert_int_equal(leaks_find(l, &now.s, &r), 0);
	assert_int_equal(r.n, 3);
	k = find(&r, KIND_SHM, 31);
	assert_non_null(k);
	assert_false(k->creator.known);
	assert_int_equal(k->creator.pid, 50);
	assert_true(k->creator.exited);
	k = find(&r, KIND_SEM, 32);
	assert_non_null(k);
	assert_false(k->creator.known);
	assert_int_equal(k->creator.pid, 0);
	assert_string_equal(k->reason, "never-used");
	assert_int_equal(k->last_pid, 400);          /* the opener, from events */
	k = find(&r, KIND_MSG, 33);
	assert_non_null(k);
	assert_string_equal(k->reason, "never-used");
	assert_null(find(&r, KIND_SHM, 34));
	/* by what is known: shm 31 by its cpid 50; sem 32 and msg 33 each alone */
	assert_int_equal(r.ngroups, 3);
	leak_report_free(&r);
	leaks_free(l);

	/* -- CMD: only what was created while tracing */
	o.only_traced = true;
	l = leaks_new(&o, &start.s);
	assert_int_equal(leaks_find(l, &now.s, &r), 0);
	assert_int_equal(r.n, 0);
	leak_report_free(&r);
	leaks_free(l);

	/* clean's view: no events at all */
	assert_int_equal(leaks_find_untraced(&now.s, &o, &r), 0);
	assert_int_equal(r.n, 3);
	leak_report_free(&r);
	o.kinds = KIND_BIT(KIND_MSG);
	assert_int_equal(leaks_find_untraced(&now.s, &o, &r), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.v[0].kind, KIND_MSG);
	leak_report_free(&r);
}

/* IPC_PRIVATE always creates; ids reused after a removal are new objects. */
static void test_private_and_reuse(void **state)
{
	struct leaks_opts o = opts();
	struct tables start, now;
	struct leak_report r;
	struct leaks *l;

	setup_each();
	tables_init(&start);
	add_msg(&start, 41, 0, 0);
	add_msg(&start, 42, 0, 0);
	l = leaks_new(&o, &start.s);
	emit_call(l, 500, "p", CALL_MSGGET, 41, IPC_PRIVATE, 0, 0, 0);
	emit_call(l, 501, "q", CALL_MSGCTL, 42, 0, IPC_RMID, 0, 0);
	emit_call(l, 502, "q", CALL_MSGGET, 42, 0x42, 0, IPC_CREAT, 0);
	assert_int_equal(leaks_tracked(l), 2);
	assert_int_equal(stack_calls, 2);            /* fp stacks from EV_CALL */
	emit_exit(l, 500, 1);
	emit_exit(l, 502, 1);
	tables_init(&now);
	add_msg(&now, 41, 0, 0);
	add_msg(&now, 42, 0, 0);
	assert_int_equal(leaks_find(l, &now.s, &r), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(find(&r, KIND_MSG, 41)->creator.pid, 500);
	assert_string_equal(find(&r, KIND_MSG, 41)->creator.stack_how, "fp");
	assert_int_equal(find(&r, KIND_MSG, 42)->creator.pid, 502);
	/* different creators, different stacks: two groups */
	assert_int_equal(r.ngroups, 2);
	leak_report_free(&r);
	leaks_free(l);
}

/* Kernel-side destroy (extras) removes; a ctime older than tracing means
 * our "creation" was really an open. */
static void test_kobj_and_ctime(void **state)
{
	struct leaks_opts o = opts();
	struct tables now;
	struct leak_report r;
	struct leaks *l;
	struct ev_kobj kd = { 0 };

	setup_each();
	o.start_real = 950;
	l = leaks_new(&o, NULL);
	emit_create(l, 600, "k", "k", 2, KIND_SHM, 51, 0x51);
	emit_create(l, 600, "k", "k", 2, KIND_SHM, 52, 0x52);
	hdr(&kd.h, EV_KOBJ, sizeof(kd), 600, "k", 1);
	kd.op = KOBJ_DESTROY;
	kd.kind = KIND_SHM;
	kd.id = 51;
	leaks_event(l, &kd.h);
	assert_int_equal(leaks_tracked(l), 1);
	emit_exit(l, 600, 1);
	tables_init(&now);
	add_shm(&now, 52, 1, 0, 0, 0);       /* ctime 900 < start 950 */
	assert_int_equal(leaks_find(l, &now.s, &r), 0);
	assert_int_equal(r.n, 0);            /* cpid 0: no creator to blame either */
	leak_report_free(&r);
	now.shm[0].c.ctime = 960;
	assert_int_equal(leaks_find(l, &now.s, &r), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.v[0].creator.pid, 600);
	leak_report_free(&r);
	leaks_free(l);
}

/* Groups: same cmdline + stack together, biggest first. */
static void test_grouping(void **state)
{
	struct leaks_opts o = opts();
	struct tables now;
	struct leak_report r;
	struct leaks *l;

	setup_each();
	l = leaks_new(&o, NULL);
	tables_init(&now);
	/* the fake stack names frames after the pid: 700 twice, 701 once */
	emit_create(l, 700, "a", "a\0x", 4, KIND_SHM, 61, 0);
	emit_create(l, 700, "a", "a\0x", 4, KIND_SHM, 62, 0);
	emit_create(l, 701, "b", "b", 2, KIND_SHM, 63, 0);
	emit_exit(l, 700, 1);
	emit_exit(l, 701, 1);
	add_shm(&now, 61, 10, 0, 700, 0);
	add_shm(&now, 62, 10, 0, 700, 0);
	add_shm(&now, 63, 1000, 0, 701, 0);
	assert_int_equal(leaks_find(l, &now.s, &r), 0);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.ngroups, 2);
	assert_int_equal(r.groups[0].count, 2);
	assert_int_equal(r.groups[0].bytes, 20);
	assert_string_equal(r.v[r.groups[0].first].creator.cmdline, "a x");
	assert_int_equal(r.groups[1].count, 1);
	assert_int_equal(r.groups[1].bytes, 1000);
	leak_report_free(&r);
	leaks_free(l);
}

/* Ids repeat across IPC namespaces: only the tables' namespace counts. */
static void test_other_namespace_ignored(void **state)
{
	struct leaks_opts o = opts();
	struct leaks *l;
	struct ev_call c = { 0 };

	setup_each();
	o.ipcns = 5;
	l = leaks_new(&o, NULL);
	hdr(&c.h, EV_CALL, sizeof(c), 900, "other", 1);
	c.h.ipcns = 6;
	c.call = CALL_MSGGET;
	c.kind = KIND_MSG;
	c.id = 0;
	c.key = IPC_PRIVATE;
	leaks_event(l, &c.h);
	assert_int_equal(leaks_tracked(l), 0);
	c.h.ipcns = 5;
	leaks_event(l, &c.h);
	assert_int_equal(leaks_tracked(l), 1);
	leaks_free(l);
}

/* The JSON the issue specifies: leaks[], by_creator[], lost_events. */
static void test_json_view(void **state)
{
	struct leaks_opts o = opts();
	struct tables now;
	struct leak_report r;
	struct leaks *l;
	struct jsonw w;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	setup_each();
	l = leaks_new(&o, NULL);
	emit_create(l, 800, "j", "j\0-x", 5, KIND_SHM, 71, 0x71);
	emit_exit(l, 800, 1);
	tables_init(&now);
	add_shm(&now, 71, 64, 0, 800, 0);
	add_msg(&now, 72, 5, 1);                 /* predates, users gone */
	assert_int_equal(leaks_find(l, &now.s, &r), 0);
	f = open_memstream(&buf, &len);
	jsonw_init(&w, f, false);
	leaks_json_report(&w, &r, 3);
	fclose(f);
	assert_non_null(strstr(buf, "{\"leaks\":[{\"kind\":\"shm\",\"id\":71,"
				    "\"key\":4167,\"bytes\":64,"));
	assert_non_null(strstr(buf, "\"reason\":\"never-attached\",\"age_s\":100,"));
	assert_non_null(strstr(buf, "\"creator\":{\"known\":true,\"pid\":800,"));
	assert_non_null(strstr(buf, "\"comm\":\"j\",\"cmdline\":\"j -x\",\"exe\":null,"
				    "\"cgroup\":null,\"container\":null,\"ipcns\":0,"
				    "\"exited\":true,\"stack\":[{\"addr\":\"0x0\","
				    "\"func\":\"make_800\","));
	assert_non_null(strstr(buf, "\"note\":\"creator unknown (predates tracing)\""));
	assert_non_null(strstr(buf, "\"by_creator\":[{\"count\":1,"));
	assert_non_null(strstr(buf, "\"lost_events\":3}\n"));
	free(buf);
	buf = NULL;
	f = open_memstream(&buf, &len);
	leaks_text_report(f, &r, 0);
	fclose(f);
	assert_non_null(strstr(buf, "never-attached  800 j (exited) \"j -x\""));
	assert_non_null(strstr(buf, "creator unknown (predates tracing)"));
	assert_non_null(strstr(buf, "2 leak candidates; lost events: 0"));
	free(buf);
	leak_report_free(&r);
	leaks_free(l);
}

/*
 * Churn: creations, uses and removals of ever-new ids and a fork storm of
 * short-lived creators must leave the tracker holding what exists, and the
 * one object left behind must still be found with its creator.
 */
static void test_churn_is_bounded(void **st)
{
	struct leaks_opts o = opts();
	struct tables now;
	struct leak_report r;
	size_t nobj, npid;
	struct leaks *l = leaks_new(&o, NULL);

	memset(alive_pids, 0, sizeof(alive_pids));
	for (int32_t id = 1; id <= 200000; id++) {
		int32_t pid = 1000 + id % 30000;

		emit_call(l, pid, "churn", CALL_SHMGET, id, IPC_PRIVATE, 0, IPC_CREAT, 0);
		emit_call(l, pid, "churn", CALL_SHMAT, id, 0, 0, 0, 0);
		emit_call(l, pid, "churn", CALL_SHMCTL, id, 0, IPC_RMID, 0, 0);
		emit_call(l, pid, "churn", CALL_SHMDT, id, 0, 0, 0, 0);   /* after RMID */
		emit_exit(l, pid, 10);
	}
	leaks_footprint(l, &nobj, &npid);
	assert_int_equal(nobj, 0);
	assert_true(npid < 2 * 4096 + 1);       /* pruned: no creator needs them */
	/* A leak in the middle of it, by a pid that then exits. */
	emit_call(l, 77, "leaky", CALL_SHMGET, 500000, IPC_PRIVATE, 0, IPC_CREAT, 0);
	for (int32_t pid = 40000; pid < 60000; pid++)
		emit_exit(l, pid, 10);
	emit_exit(l, 77, 20);
	for (int32_t pid = 60000; pid < 80000; pid++)
		emit_exit(l, pid, 10);
	leaks_footprint(l, &nobj, &npid);
	assert_int_equal(nobj, 1);
	assert_true(npid < 2 * 4096 + 1 + 20000);
	memset(&now, 0, sizeof(now));
	add_shm(&now, 500000, 4096, 0, 77, 0);
	assert_int_equal(leaks_find(l, &now.s, &r), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.v[0].creator.pid, 77);
	assert_true(r.v[0].creator.exited);
	leak_report_free(&r);
	/* Gone from the tables without an event we saw: forgotten. */
	memset(&now, 0, sizeof(now));
	now.s.taken_ns = 1000000;
	assert_int_equal(leaks_find(l, &now.s, &r), 0);
	assert_int_equal(r.n, 0);
	leaks_footprint(l, &nobj, &npid);
	assert_int_equal(nobj, 0);
	leaks_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_child_leaks_each_kind),
		cmocka_unit_test(test_well_behaved),
		cmocka_unit_test(test_in_use_not_reported),
		cmocka_unit_test(test_predates_tracing),
		cmocka_unit_test(test_private_and_reuse),
		cmocka_unit_test(test_kobj_and_ctime),
		cmocka_unit_test(test_grouping),
		cmocka_unit_test(test_other_namespace_ignored),
		cmocka_unit_test(test_json_view),
		cmocka_unit_test(test_churn_is_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
