// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ipcscope top: a live, full-screen view of the busiest System V IPC
 * objects (ncurses), or the same table in batch form for scripts.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "analyses.h"
#include "analysis/blocked.h"
#include "analysis/objstats.h"
#include "event.h"
#include "ipcscope.h"
#include "opts.h"
#include "source/live.h"
#include "source/live_agg.h"
#include "source/nsread.h"
#include "tables/nslist.h"
#include "tables/ipcns.h"
#include "tables/limits.h"
#include "tables/sysvipc.h"
#include "tables/waitscan.h"
#include "util/names_db.h"
#include "view/jsonw.h"
#include "view/top.h"

struct top_opts {
	struct common_opts c;
	double delay;
	bool batch;
	long iterations;
	long max_rows;
	enum top_sort sort;
	bool no_trace;
	bool all_ns;
};

enum { OPT_SORT = 0x2100, OPT_NO_TRACE, OPT_ALLNS };


static const struct argp_option options[] = {
	{ "delay", 'D', "SECONDS", 0, "Refresh every SECONDS (default 1)", 0 },
	{ "batch", 'b', NULL, 0, "Print the table every refresh instead of the full-screen view", 0 },
	{ "iterations", 'n', "N", 0, "Stop after N refreshes", 0 },
	{ "rows", 'r', "N", 0, "Batch mode: at most N rows per refresh (default all)", 0 },
	{ "sort", OPT_SORT, "KEY", 0, "Initial sort: calls, latency, waiters or size", 0 },
	{ "no-trace", OPT_NO_TRACE, NULL, 0,
	  "Tables only: no BPF tracing (no calls/s, p99 or queue waiters)", 0 },
	{ "all-namespaces", OPT_ALLNS, NULL, 0,
	  "Objects of every IPC namespace on the host, with an NS column; needs CAP_SYS_ADMIN; "
	  "no deadlocks (ids collide across namespaces); waiters counted per namespace", 0 },
	{ 0 },
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct top_opts *o = state->input;

	switch (key) {
	case 'D':
		o->delay = parse_duration(arg);
		if (o->delay < 0.1)
			argp_error(state, "invalid --delay '%s': give seconds, at least 0.1", arg);
		break;
	case 'b':
		o->batch = true;
		break;
	case OPT_NO_TRACE:
		o->no_trace = true;
		break;
	case OPT_ALLNS:
		o->all_ns = true;
		break;
	case 'n':
		if (!parse_long(arg, 1, 1000000000, &o->iterations))
			argp_error(state, "invalid -n '%s': give a positive number of refreshes", arg);
		break;
	case 'r':
		if (!parse_long(arg, 1, 1000000, &o->max_rows))
			argp_error(state, "invalid --rows '%s': give a positive number", arg);
		break;
	case OPT_SORT:
		if (!strcmp(arg, "calls"))
			o->sort = TOP_SORT_CALLS;
		else if (!strcmp(arg, "latency"))
			o->sort = TOP_SORT_LATENCY;
		else if (!strcmp(arg, "waiters"))
			o->sort = TOP_SORT_WAITERS;
		else if (!strcmp(arg, "size"))
			o->sort = TOP_SORT_SIZE;
		else
			argp_error(state, "invalid --sort '%s': use calls, latency, waiters or size", arg);
		break;
	default:
		return opts_key_default(key, arg, state, &o->c);
	}
	return 0;
}

static const struct argp_child children[] = {
	OPTS_CHILD_OUTPUT,
	OPTS_CHILD_FILTER,
	OPTS_CHILD_DURATION,
	{ 0 },
};

static const struct argp top_argp = {
	options, parse_opt, NULL,
	"Live view of the busiest System V IPC objects.\v"
	"A header with totals and the limits closest to exhaustion, then one row per "
	"object: kind, id, key, owner, calls per second, p99 latency, blocked waiters, "
	"fill % (queues), nattch (segments) or semaphore count, and the creator's comm.  "
	"Objects in a deadlock are shown first, highlighted.\n\n"
	"Keys: c l w s sort by calls, latency, waiters, size; t switch kind (0 1 2 3 "
	"pick all, shm, sem, msg); / filter by comm, owner, id or key; p or space pause; "
	"? help; q quit.\n\n"
	"--ipcns PID shows another IPC namespace (setns: needs CAP_SYS_ADMIN); without "
	"it, the namespace top runs in; --all-namespaces shows every namespace's objects "
	"with an NS column (the limits in the header are top's own namespace's).  -t limits "
	"the kinds shown.  --batch prints the table every refresh (with --json, one JSON "
	"object per line) for scripts and logs.\n\n"
	"Calls/s and p99 are counted in the kernel (per object), and only rare events "
	"(creations, removals, long waits) are streamed, so top keeps up at any call rate: "
	"the header's `lost` counts events the ring buffer dropped, `uncounted` calls the "
	"kernel's per-object table had no room for (both should stay 0).\n\n"
	"Examples:\n"
	"  ipcscope top\n"
	"  ipcscope top --ipcns 4242 --sort waiters\n"
	"  ipcscope top --all-namespaces --batch -n 1\n"
	"  ipcscope top --batch --json -n 60 -o top.jsonl\n\n"
	"Exit status: 0; 64 usage (or no terminal without --batch), 77 not privileged.",
	children, NULL, NULL,
};

/* ---- owner names (cached: each lookup reads /etc/passwd) --------------- */

struct owner_cache {
	uint32_t uid[64];
	char name[64][16];
	size_t n;
};

static const char *owner_name(struct owner_cache *oc, uint32_t uid)
{
	size_t i;

	for (i = 0; i < oc->n; i++)
		if (oc->uid[i] == uid)
			return oc->name[i];
	i = oc->n < 64 ? oc->n++ : uid % 64;
	oc->uid[i] = uid;
	/* util/names_db.h: the passwd file itself, never NSS; a name too long for the column shows the uid. */
	if (names_db_lookup(NAMES_DB_PASSWD, uid, oc->name[i], sizeof(oc->name[i])))
		snprintf(oc->name[i], sizeof(oc->name[i]), "%u", uid);
	return oc->name[i];
}

/* comm of a live process, "" if gone. */
static void pid_comm(int32_t pid, char *out, size_t len)
{
	char path[48];
	ssize_t n;
	int fd;

	out[0] = '\0';
	if (pid <= 0)
		return;
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, out, len - 1);
	close(fd);
	if (n <= 0) {
		out[0] = '\0';
		return;
	}
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
}

/* ---- building one refresh -------------------------------------------- */

struct top_ctx {
	struct top_opts *o;
	struct top_model m;
	struct ipc_limits lim;
	struct owner_cache owners;
	/* the live session; tracing when src (= s.src) is not NULL, else tables only */
	struct session s;
	struct ev_source *src;
	struct live_agg *agg;           /* the kernel's per-object counts, holders */
	struct objstats st;
	double last_tick;
	uint32_t self_ns;               /* our IPC namespace (after --ipcns) */
	/* who waits on what, and deadlocks (analysis/blocked.h), per build */
	struct blocked *an;
	struct waitscan *scan;          /* the kernel's wait state */
	struct nslist *nsl;             /* --all-namespaces: which namespaces exist */
	struct wait_facts facts;
	bool have_graph;
	bool have_facts;                /* facts read this refresh (graph or not) */
	/* the run: one refresh per tick of the session's run loop */
	struct top_ui ui;
	struct jsonw w;
	long done;                      /* refreshes made */
};

/* Threads blocked on queue (ns, id): without a wait graph (--all-namespaces). */
static uint32_t facts_queue_waiters(const struct wait_facts *f, uint32_t ns, int32_t id)
{
	uint32_t n = 0;

	for (size_t i = 0; i < f->nwaiters; i++) {
		const struct wg_waiter *w = &f->waiters[i];

		n += (w->call == CALL_MSGSND || w->call == CALL_MSGRCV) && w->id == id &&
		     (!w->ipcns || w->ipcns == ns);
	}
	return n;
}

/* Calls/s, p99 and the creator seen while tracing. */
static void add_stats(struct top_ctx *t, struct top_row *r)
{
	const struct objstat *os;

	if (!t->src)
		return;
	r->have_calls = true;
	os = objstats_get(&t->st, r->ipcns, r->kind, r->id);
	if (!os)
		return;
	r->calls_per_s = os->rate;
	r->calls = os->win_calls[1];    /* the window objstats_tick() just closed */
	r->p99_ns = os->p99_ns;
	if (!r->comm[0] && os->creator[0])
		snprintf(r->comm, sizeof(r->comm), "%s", os->creator);
}

static void fill_common(struct top_ctx *t, struct top_row *r, unsigned int kind,
			const struct ipc_common *c, uint32_t ns)
{
	r->kind = kind;
	r->ipcns = ns;
	r->id = c->id;
	r->key = c->key;
	r->uid = c->uid;
	snprintf(r->owner, sizeof(r->owner), "%s", owner_name(&t->owners, c->uid));
}

/* One namespace's objects as rows, and into the header's totals. */
static void add_rows(struct top_ctx *t, const struct ipc_snapshot *snap, uint32_t ns)
{
	struct top_model *m = &t->m;
	unsigned int kinds = t->o->c.kinds;

	m->objects[KIND_SHM] += snap->nshm;
	m->objects[KIND_SEM] += snap->nsem;
	m->objects[KIND_MSG] += snap->nmsg;
	for (size_t i = 0; i < snap->nshm; i++) {
		const struct shm_obj *s = &snap->shm[i];
		struct top_row *r;

		m->shm_bytes += s->size;
		if (kinds && !(kinds & KIND_BIT(KIND_SHM)))
			continue;
		if (!(r = top_add_row(m)))
			break;
		fill_common(t, r, KIND_SHM, &s->c, ns);
		r->size = s->size;
		r->nattch = s->nattch;
		/* shm is the only kind whose table names its creator. */
		pid_comm(s->cpid, r->comm, sizeof(r->comm));
		add_stats(t, r);
	}
	for (size_t i = 0; i < snap->nsem; i++) {
		const struct sem_obj *s = &snap->sem[i];
		struct top_row *r;
		uint32_t w = 0;

		m->sem_count += s->nsems;
		for (uint32_t j = 0; s->sems && j < s->nsems; j++)
			w += (uint32_t)(s->sems[j].ncnt > 0 ? s->sems[j].ncnt : 0) +
			     (uint32_t)(s->sems[j].zcnt > 0 ? s->sems[j].zcnt : 0);
		m->waiters += w;
		if (kinds && !(kinds & KIND_BIT(KIND_SEM)))
			continue;
		if (!(r = top_add_row(m)))
			break;
		fill_common(t, r, KIND_SEM, &s->c, ns);
		r->nsems = s->nsems;
		r->size = s->nsems;
		r->waiters = w;
		r->in_deadlock = t->have_graph && blocked_set_deadlocked(t->an, 0, s->c.id);
		add_stats(t, r);
	}
	for (size_t i = 0; i < snap->nmsg; i++) {
		const struct msg_obj *q = &snap->msg[i];
		struct top_row *r;
		uint32_t w = t->have_graph ? blocked_queue_waiters(t->an, q->c.id)
					   : t->have_facts ? facts_queue_waiters(&t->facts, ns, q->c.id) : 0;

		m->msg_bytes += q->cbytes;
		m->msg_count += q->qnum;
		m->waiters += w;
		if (kinds && !(kinds & KIND_BIT(KIND_MSG)))
			continue;
		if (!(r = top_add_row(m)))
			break;
		fill_common(t, r, KIND_MSG, &q->c, ns);
		r->size = q->cbytes;
		r->fill = q->qbytes ? (double)q->cbytes / (double)q->qbytes : 0;
		r->waiters = w;
		add_stats(t, r);
	}
}

/* The tables of every namespace (--all-namespaces) or of ours. */
struct tables {
	struct ipc_snapshot *snaps;
	uint32_t *nss;
	size_t n;
	struct ipc_snapshot *self;   /* our namespace's, for the limits; may be NULL */
};

static void tables_free(struct tables *tb)
{
	for (size_t i = 0; i < tb->n; i++)
		snapshot_free(&tb->snaps[i]);
	free(tb->snaps);
	free(tb->nss);
	memset(tb, 0, sizeof(*tb));
}

/*
 * Ours, or every namespace's; `facts` (or NULL): the blocked threads that
 * give the semaphores' wait counts (of every namespace with
 * --all-namespaces), instead of a /proc walk per namespace.
 */
static int read_tables(struct top_ctx *t, struct tables *tb, unsigned int what,
		       const struct wait_facts *facts)
{
	int err;

	memset(tb, 0, sizeof(*tb));
	if (t->o->all_ns) {
		err = snapshot_read_all_ns(t->nsl, what, facts, &tb->snaps, &tb->n);
	} else if (!(tb->snaps = calloc(1, sizeof(*tb->snaps)))) {
		err = -ENOMEM;
	} else {
		bool count = facts && (what & SNAP_SEMVALS);

		err = snapshot_read(tb->snaps, what | (count ? SNAP_NOSEMCNT : 0));
		if (!err && count)
			snapshot_count_waiters(tb->snaps, facts);
		tb->n = err ? 0 : 1;
	}
	if (!err && !(tb->nss = calloc(tb->n ? tb->n : 1, sizeof(*tb->nss))))
		err = -ENOMEM;
	if (err) {
		tables_free(tb);
		return err;
	}
	for (size_t i = 0; i < tb->n; i++) {
		tb->nss[i] = t->o->all_ns ? tb->snaps[i].ipcns : t->self_ns;
		if (tb->nss[i] == t->self_ns)
			tb->self = &tb->snaps[i];
	}
	return 0;
}

/* The kernel's histogram of an object top forgot goes with it. */
static void forget_hist(void *ctx, const struct objstat *o)
{
	struct top_ctx *t = ctx;
	struct hist_key k = { .call = CALL_NONE, .kind = o->kind, .id = o->id, .ipcns = o->ipcns };

	live_agg_forget(t->agg, &k);
}

/* What the kernel counted since the last refresh, and who holds what now. */
static void take_counts(struct top_ctx *t, const struct tables *tb)
{
	struct top_model *m = &t->m;
	struct lat_table tab = { 0 };
	struct hist_val calls[CALL__MAX];
	double now = mono_now_s();
	int err;

	if (live_agg_calls(t->agg, calls) == 0)
		objstats_take_calls(&t->st, calls);
	err = live_agg_objects(t->agg, &tab);
	if (!err) {
		err = objstats_take(&t->st, &tab);
		lat_table_free(&tab);
	}
	if (err)
		debugmsg("reading the per-object counts failed: %s", strerror(-err));
	objstats_tick(&t->st, now - t->last_tick);
	objstats_retain(&t->st, tb->snaps, tb->nss, tb->n, forget_hist, t);
	t->last_tick = now;
	if (t->have_graph && (err = live_agg_holders(t->agg, t->an)))
		debugmsg("reading the holder balances failed: %s", strerror(-err));
	m->tracing = true;
	m->calls_per_s = t->st.rate;
	m->lost_events = t->src->lost ? t->src->lost(t->src) : 0;
	m->uncounted_calls = live_agg_lost(t->agg);
}

static int build(struct top_ctx *t)
{
	struct tables tb;
	struct top_model *m = &t->m;
	int err;

	/* the blocked threads first: they also give the semaphores' wait counts
	 * (with --all-namespaces every namespace's, but no graph: ids collide) */
	t->have_facts = t->scan && waitscan_read(t->scan, &t->facts) == 0;
	t->have_graph = t->have_facts && !t->o->all_ns;
	err = read_tables(t, &tb, SNAP_ALL | SNAP_SEMVALS, t->have_facts ? &t->facts : NULL);
	if (err)
		return err;
	top_model_reset(m);
	m->all_ns = t->o->all_ns;
	if (t->src)
		take_counts(t, &tb);
	/* Waiters work without tracing (/proc); tracing adds holder evidence. */
	t->have_graph = t->have_graph && blocked_observe(t->an, mono_now_ns(), &t->facts) == 0;
	if (t->have_graph) {
		m->have_deadlocks = true;
		m->deadlocks = (unsigned int)blocked_deadlocks_now(t->an);
	}
	m->limits = tb.self && limits_read(&t->lim, tb.self) == 0 ? &t->lim : NULL;
	for (size_t i = 0; i < tb.n; i++)
		add_rows(t, &tb.snaps[i], tb.nss[i]);
	tables_free(&tb);
	return 0;
}

/* ---- the run ----------------------------------------------------------- */

static int table_error(int err)
{
	return errmsg(exit_for_errno(-err), "reading the IPC tables failed: %s: %s",
		      strerror(-err), hint_for_errno(-err));
}

/* --batch: one refresh printed per tick. */
static int batch_tick(void *ctx)
{
	struct top_ctx *t = ctx;
	struct top_opts *o = t->o;
	int err = build(t);

	if (err)
		return table_error(err);
	top_sort_rows(&t->m, o->sort);
	if (o->c.json)
		top_print_json(&t->w, &t->m, o->sort, 0, NULL, (size_t)o->max_rows);
	else
		top_print_text(o->c.out, &t->m, o->sort, 0, NULL, (size_t)o->max_rows);
	fflush(o->c.out);
	return o->iterations && ++t->done >= o->iterations ? RUN_STOP : 0;
}

/* The full screen: a refresh per tick (unless paused), drawn. */
static int screen_tick(void *ctx)
{
	struct top_ctx *t = ctx;
	int err;

	if (!t->ui.paused) {
		err = build(t);
		if (err) {
			top_ui_stop();
			return table_error(err);
		}
		t->done++;
	}
	top_sort_rows(&t->m, t->ui.sort);
	top_ui_draw(&t->ui, &t->m);
	return t->o->iterations && t->done >= t->o->iterations ? RUN_STOP : 0;
}

/* Keys (and resizes, which ncurses reports as a key) between refreshes. */
static int screen_input(void *ctx)
{
	struct top_ctx *t = ctx;

	if (top_ui_handle_key(&t->ui, 0)) {
		top_sort_rows(&t->m, t->ui.sort);
		top_ui_draw(&t->ui, &t->m);
	}
	return t->ui.quit ? RUN_STOP : 0;
}

/*
 * Through the session, like every live command: its run loop delivers the
 * events, ticks the refreshes, ends at -d or a signal (the one stop flag),
 * and reports source and sink errors in the one way.
 */
static int run(struct top_ctx *t)
{
	struct top_opts *o = t->o;
	struct run_loop rl = {
		.duration = o->c.duration, .interval = o->delay, .tick_at_start = true, .ctx = t,
	};
	int status;

	if (o->batch) {
		jsonw_init(&t->w, o->c.out, false);
		rl.tick = batch_tick;
		return session_drive(&t->s, &rl);
	}
	t->ui = (struct top_ui){ .sort = o->sort, .interval_ms = (int)(o->delay * 1000) };
	if (top_ui_start(&t->ui))
		return errmsg(EX_USAGE, "top needs a terminal: use `ipcscope top --batch` in scripts");
	if (!t->src)
		snprintf(t->ui.status, sizeof(t->ui.status), "%s",
			 o->no_trace ? "tracing off (--no-trace): calls/s and p99 not shown"
				     : "tracing unavailable: calls/s and p99 need root and BPF");
	rl.tick = screen_tick;
	rl.input = screen_input;
	rl.input_fd = STDIN_FILENO;
	status = session_drive(&t->s, &rl);
	top_ui_stop();
	return status;
}

/* Our own semctl reads of the tables are not the workload's. */
static int stats_sink(void *ctx, const struct ev_hdr *ev)
{
	struct top_ctx *t = ctx;
	static uint32_t self;

	if (!self)
		self = (uint32_t)getpid();
	if (ev->pid == self)
		return 0;
	if (blocked_event(t->an, ev))
		return -ENOMEM;
	return objstats_event(&t->st, ev);
}

/*
 * Trace this IPC namespace only (the tables are this namespace's, and ids
 * are per namespace), or every one with --all-namespaces.  Calls are
 * counted in the kernel; the stream brings only rare events.  Without BPF
 * (not root, no BTF) carry on with tables.
 */
static int start_tracing(struct top_ctx *t)
{
	struct live_config cfg = { .opts = &t->o->c, .calls = true, .aggregate = true,
				   .no_start_snapshot = true, .no_proc_meta = true };
	struct tables tb;
	int status = 0;

	t->o->c.ipcns = t->o->all_ns ? 0 : t->self_ns;   /* --ipcns was entered already */
	if (objstats_init(&t->st))
		return errmsg(EX_SOFTWARE, "out of memory: free some memory and retry");
	t->src = live_session_open(&t->s, &cfg, &status);
	if (t->src && !(t->agg = live_agg_open(t->src))) {
		session_fini(&t->s);
		t->src = NULL;
	}
	if (!t->src) {
		warnmsg("carrying on without tracing: the tables only (use --no-trace to skip this)");
		objstats_fini(&t->st);
		live_session_tables_only(&t->s);
		return 0;
	}
	ev_bus_add(&t->s.bus, stats_sink, t);
	if (read_tables(t, &tb, SNAP_ALL, NULL) == 0) {
		for (size_t i = 0; i < tb.n; i++)
			objstats_mark_preexisting(&t->st, &tb.snaps[i], tb.nss[i]);
		tables_free(&tb);
	}
	t->last_tick = mono_now_s();
	return 0;
}

static int cmd_top(int argc, char **argv)
{
	struct top_opts o = { .delay = 1, .sort = TOP_SORT_CALLS };
	struct top_ctx t = { .o = &o };
	int status, fin;

	opts_init(&o.c);
	status = opts_parse(&top_argp, argc, argv, &o, &o.c);
	if (status)
		return status;
	if (o.c.json && !o.batch)
		return errmsg(EX_USAGE, "--json needs --batch: the full-screen view is for people");
	if (o.c.out_path && !o.batch)
		return errmsg(EX_USAGE, "-o needs --batch: the full-screen view draws on the terminal");
	if (o.c.duration > 0 && o.c.duration < o.delay)
		o.delay = o.c.duration;
	if (o.all_ns && o.c.ipcns_arg)
		return errmsg(EX_USAGE, "--all-namespaces and --ipcns exclude each other: give one");
	/* The tables are read in our own namespace: move there first. */
	if (o.c.ipcns_arg && (status = ipcns_enter_arg(o.c.ipcns_arg)))
		return status;
	t.self_ns = self_ipcns();
	{
		struct blocked_opts bo = { .use_lastpid = true, .self_pid = (uint32_t)getpid(),
					   .balances_given = true };

		if (!(t.an = blocked_new(&bo)))
			return errmsg(EX_OSERR, "out of memory: free some memory and retry");
	}
	if (o.no_trace) {
		live_session_tables_only(&t.s);
	} else if ((status = start_tracing(&t))) {
		blocked_free(t.an);
		return status;
	}
	if (o.all_ns) {
		/* tracing (root): a task iterator lists the namespaces, else /proc */
		t.nsl = nslist_open(t.src != NULL);
		debugmsg("namespaces listed by %s", nslist_method(t.nsl));
	}
	{
		/* tracing: the task iterators (waits, SEM_UNDO); else /proc.
		 * --all-namespaces: every namespace's waiters, for the counts only
		 * (a wait graph is one namespace's ids) */
		struct waitscan_config wc = {
			.ipcns = o.all_ns ? 0 : self_ipcns(), .bpf = t.src != NULL,
			.inflight_fd = t.src ? live_inflight_fd(t.src) : -1,
		};

		t.scan = waitscan_open(&wc);
		/* waits without a start began before this (else: the first look) */
		if (waitscan_has_starts(t.scan))
			blocked_set_trace_start(t.an, mono_now_ns());
		if (t.src && !waitscan_has_undo(t.scan))
			debugmsg("no SEM_UNDO evidence");
	}
	/* Before initscr, so ncurses leaves our handlers alone. */
	live_catch_signals();

	status = run(&t);
	if (t.src) {
		live_agg_close(t.agg);
		objstats_fini(&t.st);
	}
	session_fini(&t.s);
	waitscan_close(t.scan);
	nslist_close(t.nsl);
	wait_facts_free(&t.facts);
	blocked_free(t.an);
	top_model_free(&t.m);
	fin = opts_finish(&o.c);
	return status ? status : fin;
}

IPCSCOPE_COMMAND(top, cmd_top, "Live full-screen view of the busiest IPC objects", 70);
