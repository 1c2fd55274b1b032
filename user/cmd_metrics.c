// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ipcscope metrics: Prometheus metrics from the IPC tables, the limits and
 * (when tracing is available) the in-kernel aggregation (per-syscall calls,
 * errors and histograms, semaphore holder balances) and the rare events
 * the kernel streams besides (creations, removals, long waits, a use per
 * process and object per second: leaks), served at /metrics, written to a
 * node_exporter textfile, or printed once.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "version.h"
#include "analysis/blocked.h"
#include "analysis/leaks.h"
#include "ipcscope.h"
#include "opts.h"
#include "analyses.h"
#include "source/live.h"
#include "source/live_agg.h"
#include "tables/ipcns.h"
#include "tables/limits.h"
#include "source/nsread.h"
#include "tables/nslist.h"
#include "tables/sysvipc.h"
#include "tables/waitscan.h"
#include "view/metrics.h"
#include "view/metrics_serve.h"
#include "tables/proc.h"

struct metrics_opts {
	struct common_opts c;
	const char *listen;
	const char *textfile;
	double interval;
	long top;
	bool once;
	bool no_trace;
	const char *ipcns;
	bool all_ns;
};

/*
 * `lock` guards the analysis state (sinks on the main thread vs rendering);
 * `render_lock` makes renders (HTTP thread, textfile ticks) one at a time.
 */
struct metrics_agent {
	struct metrics_opts *o;
	pthread_mutex_t lock;
	pthread_mutex_t render_lock;
	unsigned long table_errors;
	/* the live session; tracing when src (= s.src), else tables and limits only */
	struct session s;
	struct ev_source *src;
	struct live_agg *agg;               /* the kernel's counts and holders, or NULL */
	struct hist_val calls[CALL__MAX];   /* read from `agg` at each render */
	struct leaks *leaks;                /* creators of objects made while tracing */
	struct blocked *blocked;            /* waits and deadlocks (sinks + renders) */
	struct waitscan *scan;              /* the kernel's wait state (renders), or NULL */
	struct wait_facts facts;            /* the last reading (renders) */
	struct nslist *nsl;                 /* --all-namespaces: which exist (renders) */
	uint32_t self;                      /* our tgid: our own table reads are not counted */
	uint32_t ipcns;                     /* traced namespace, 0 = all */
};

enum { OPT_LISTEN = 0x2000, OPT_TEXTFILE, OPT_TOP, OPT_ONCE, OPT_NO_TRACE, OPT_IPCNS, OPT_ALLNS };

static const struct argp_option options[] = {
	{ "listen", OPT_LISTEN, "ADDR:PORT", 0,
	  "Serve /metrics over HTTP on ADDR:PORT (default " METRICS_DEFAULT_LISTEN
	  " unless --textfile or --once is given; \":PORT\" listens on every address)", 0 },
	{ "textfile", OPT_TEXTFILE, "PATH", 0,
	  "Write the metrics to PATH atomically every --interval (node_exporter textfile collector; name it *.prom)", 0 },
	{ "interval", 'i', "SECONDS", 0, "How often --textfile is rewritten (default 15)", 0 },
	{ "top", OPT_TOP, "N", 0,
	  "At most N per-queue series, the fullest queues (default 20)", 0 },
	{ "once", OPT_ONCE, NULL, 0,
	  "Write --textfile, or print to stdout (-o, --json), once and exit; "
	  "with -d, trace for that long first", 0 },
	{ "ipcns", OPT_IPCNS, "PID|INODE", 0,
	  "Watch this IPC namespace (that of PID, or the inode) instead of our own; needs CAP_SYS_ADMIN", 0 },
	{ "all-namespaces", OPT_ALLNS, NULL, 0,
	  "Every IPC namespace on the host (those with objects, and our own), labelled ipcns; "
	  "needs CAP_SYS_ADMIN; no deadlock or traced-leak metrics", 0 },
	{ "no-trace", OPT_NO_TRACE, NULL, 0,
	  "Tables and limits only: no BPF tracing (no syscall counts, latency or traced leaks)", 0 },
	{ 0 },
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct metrics_opts *o = state->input;

	switch (key) {
	case OPT_LISTEN:
		o->listen = arg;
		break;
	case OPT_TEXTFILE:
		o->textfile = arg;
		break;
	case 'i':
		o->interval = parse_duration(arg);
		if (o->interval <= 0)
			argp_error(state, "invalid --interval '%s': give seconds, e.g. 15 or 1m", arg);
		break;
	case OPT_TOP:
		if (!parse_long(arg, 1, 100000, &o->top))
			argp_error(state, "invalid --top '%s': give a number from 1 to 100000", arg);
		break;
	case OPT_ONCE:
		o->once = true;
		break;
	case OPT_NO_TRACE:
		o->no_trace = true;
		break;
	case OPT_IPCNS:
		o->ipcns = arg;
		break;
	case OPT_ALLNS:
		o->all_ns = true;
		break;
	default:
		return opts_key_default(key, arg, state, &o->c);
	}
	return 0;
}

static const struct argp_child children[] = {
	OPTS_CHILD_OUTPUT,
	OPTS_CHILD_DURATION,
	{ 0 },
};

static const struct argp metrics_argp = {
	options, parse_opt, NULL,
	"Prometheus metrics for System V IPC.\v"
	"Metrics (prefix ipcscope_, base units): objects and bytes per kind and IPC "
	"namespace; limit, usage and usage ratio per limit; blocked waiters per kind; "
	"semaphore deadlock cycles; leak candidates per kind; queue fill ratio for the "
	"fullest --top queues; and, while tracing (root, BPF), calls, errors and a "
	"latency histogram per syscall and lost events.  One IPC namespace is read and "
	"traced (ours, or --ipcns), or every one with --all-namespaces.\n\n"
	"By default /metrics is served over HTTP on " METRICS_DEFAULT_LISTEN " (loopback "
	"only) until SIGINT/SIGTERM or -d.  With --textfile, the file is replaced "
	"atomically every --interval (add --listen to serve as well).  With --once, the "
	"metrics are written once (to --textfile, or stdout; --json for JSON) and the "
	"command exits.\n\n"
	"Examples:\n"
	"  ipcscope metrics --listen 127.0.0.1:9857\n"
	"  ipcscope metrics --textfile /var/lib/prometheus/node-exporter/ipcscope.prom\n"
	"  ipcscope metrics --once --json\n"
	"  ipcscope metrics --all-namespaces --listen :9857\n\n"
	"Exit status: 0; 64 usage, 69 address in use, 73 cannot write --textfile, "
	"77 not privileged.",
	children, NULL, NULL,
};

/* A zombie has exited: proc_alive() is the one liveness rule. */
static bool pid_alive(void *ctx, int32_t pid)
{
	return proc_alive(pid);
}

static void count_leaks(struct metrics_agent *a, const struct ipc_snapshot *snap,
			struct metrics_input *in)
{
	/* ids repeat across namespaces: only this snapshot's */
	struct leaks_opts lo = { .alive = pid_alive, .ipcns = snap->ipcns ? snap->ipcns : a->ipcns };
	struct leak_report r = { 0 };
	int err;

	/* Traced creators are known exactly; otherwise shm's cpid still tells. */
	err = a->leaks ? leaks_find(a->leaks, snap, &r) : leaks_find_untraced(snap, &lo, &r);
	if (err)
		return;
	in->have_leaks = true;   /* adds up over namespaces */
	for (size_t i = 0; i < r.n; i++)
		if (r.v[i].kind < 4)
			in->leak_candidates[r.v[i].kind]++;
	leak_report_free(&r);
}

/* Per-syscall totals since start (counters: never reset), or NULL. */
static const struct hist_val *read_calls(struct metrics_agent *a)
{
	int err;

	if (!a->agg)
		return NULL;
	err = live_agg_calls(a->agg, a->calls);
	if (err) {
		debugmsg("reading the latency histograms failed: %s", strerror(-err));
		return NULL;
	}
	return a->calls;
}

/* What tracing adds to a render (nothing without it). */
static void tracing_input(struct metrics_agent *a, struct metrics_input *in)
{
	if (!a->src)
		return;
	in->tracing = true;
	in->calls = read_calls(a);
	in->lost_events = a->src->lost ? a->src->lost(a->src) : 0;
	in->uncounted_calls = a->agg ? live_agg_lost(a->agg) : 0;
}

/*
 * One reading of the wait state into the blocked analysis: 0 or -errno.
 * Under render_lock (the reading's buffers); the analysis under `lock`.
 */
static int observe_waits(struct metrics_agent *a)
{
	uint64_t now = mono_now_ns();
	int err;

	if (!a->scan || !a->blocked)
		return -ENOTSUP;
	err = waitscan_read(a->scan, &a->facts);
	if (err)
		return err;
	pthread_mutex_lock(&a->lock);
	if (a->agg && (err = live_agg_holders(a->agg, a->blocked)))
		debugmsg("reading the holder balances failed: %s", strerror(-err));
	err = blocked_observe(a->blocked, now, &a->facts);
	pthread_mutex_unlock(&a->lock);
	return err;
}

/*
 * Waiters (also waits older than the agent) and deadlocks: a cycle counts
 * once it has been present for the analysis's confirmation time, judged
 * over this and earlier scrapes (no waiting inside a scrape).
 */
static void deadlock_input(struct metrics_agent *a, const struct ipc_snapshot *snap,
			   struct metrics_input *in)
{
	pthread_mutex_lock(&a->lock);
	in->have_deadlocks = true;
	in->deadlock_cycles = blocked_deadlocks_now(a->blocked);
	in->have_waiters = true;
	in->waiters[KIND_SEM] = metrics_sem_waiters(snap);
	in->waiters[KIND_MSG] = blocked_queue_waiters(a->blocked, -1);
	pthread_mutex_unlock(&a->lock);
}

/*
 * --all-namespaces: each namespace with objects (and ours), read by a child
 * that setns()es into it.  Limits are per namespace too, but only ours can
 * be read without entering: they describe the host when run there.
 */
static int render_all(struct metrics_agent *a, struct metrics_emitter *e)
{
	struct metrics_input in = {
		.version = IPCSCOPE_VERSION,
		.top_n = (unsigned int)a->o->top,
		.have_waiters = true,
	};
	uint32_t self = self_ipcns();
	struct ipc_snapshot *v;
	const struct ipc_snapshot **pv;
	struct ipc_limits lim;
	size_t n = 0, k = 0;
	/* every namespace's blocked threads at once: their wait counts without
	 * a /proc walk per namespace */
	bool facts = a->scan && waitscan_read(a->scan, &a->facts) == 0;
	int err;

	err = snapshot_read_all_ns(a->nsl, SNAP_ALL | SNAP_SEMVALS, facts ? &a->facts : NULL,
				   &v, &n);
	if (err)
		return err;
	pv = calloc(n + 1, sizeof(*pv));
	if (!pv) {
		snapshots_free(v, n);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		/* empty namespaces would only add series */
		if (!v[i].nshm && !v[i].nsem && !v[i].nmsg && v[i].ipcns != self)
			continue;
		pv[k++] = &v[i];
	}
	in.snaps = pv;
	in.nsnaps = k;
	for (size_t i = 0; i < k; i++) {
		in.waiters[KIND_SEM] += metrics_sem_waiters(pv[i]);
		if (pv[i]->ipcns == self && limits_read(&lim, pv[i]) == 0)
			in.limits = &lim;
	}
	/* threads blocked on queues, in every namespace */
	for (size_t i = 0; facts && i < a->facts.nwaiters; i++)
		if (a->facts.waiters[i].call == CALL_MSGSND || a->facts.waiters[i].call == CALL_MSGRCV)
			in.waiters[KIND_MSG]++;
	pthread_mutex_lock(&a->lock);
	for (size_t i = 0; i < k; i++)
		count_leaks(a, pv[i], &in);
	tracing_input(a, &in);
	metrics_build(e, &in);
	pthread_mutex_unlock(&a->lock);
	free(pv);
	snapshots_free(v, n);
	return 0;
}

static int render(void *ctx, struct metrics_emitter *e)
{
	struct metrics_agent *a = ctx;
	struct ipc_snapshot snap;
	struct ipc_limits lim;
	struct metrics_input in = {
		.version = IPCSCOPE_VERSION,
		.top_n = (unsigned int)a->o->top,
	};
	bool waits;
	int err;

	if (a->o->all_ns) {
		pthread_mutex_lock(&a->render_lock);
		err = render_all(a, e);
		pthread_mutex_unlock(&a->render_lock);
		return err;
	}
	pthread_mutex_lock(&a->render_lock);
	/* the blocked threads first: they also give the semaphores' wait counts */
	waits = observe_waits(a) == 0;
	memset(&snap, 0, sizeof(snap));
	err = snapshot_read(&snap, SNAP_ALL | SNAP_SEMVALS | (waits ? SNAP_NOSEMCNT : 0));
	if (err) {
		/* Serve nothing rather than zeros that look like an empty host. */
		snapshot_free(&snap);
		pthread_mutex_unlock(&a->render_lock);
		return err;
	}
	if (waits)
		snapshot_count_waiters(&snap, &a->facts);
	in.snap = &snap;
	in.sem_values = true;
	if (limits_read(&lim, &snap) == 0)
		in.limits = &lim;

	if (waits)
		deadlock_input(a, &snap, &in);
	pthread_mutex_lock(&a->lock);
	count_leaks(a, &snap, &in);
	tracing_input(a, &in);
	metrics_build(e, &in);
	pthread_mutex_unlock(&a->lock);
	snapshot_free(&snap);
	pthread_mutex_unlock(&a->render_lock);
	return 0;
}

static int render_text(void *ctx, FILE *f)
{
	struct metrics_agent *a = ctx;
	struct metrics_emitter e;
	int err;

	metrics_text_emitter(&e, f);
	err = render(ctx, &e);
	if (err) {
		/* One line per failure burst: the scraper retries every interval. */
		if (__atomic_fetch_add(&a->table_errors, 1, __ATOMIC_RELAXED) == 0)
			warnmsg("reading the IPC tables failed: %s: check that /proc is mounted",
				strerror(-err));
		return err;
	}
	e.finish(&e);
	return ferror(f) ? -EIO : 0;
}


/* Sleep until `deadline` (mono_now_s() seconds) or a signal. */
static void sleep_until(double deadline)
{
	double left = deadline - mono_now_s();
	struct timespec ts;

	if (left <= 0)
		return;
	ts.tv_sec = (time_t)left;
	ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);   /* EINTR on SIGINT/SIGTERM: the loop checks ipcs_exiting */
}

/* A failed rewrite is a warning while serving, an error for --once. */
static int write_textfile(struct metrics_agent *a, bool fatal)
{
	int err = metrics_textfile_write(a->o->textfile, render_text, a);
	const char *why = err == -ENOENT ? "its directory does not exist" : strerror(-err);

	if (!err)
		return 0;
	if (fatal)
		return errmsg(err == -EACCES || err == -EPERM ? EX_NOPERM : EX_CANTCREAT,
			      "cannot write '%s': %s: create the directory or fix --textfile",
			      a->o->textfile, why);
	warnmsg("cannot write '%s': %s: create the directory or fix --textfile",
		a->o->textfile, why);
	return EX_CANTCREAT;
}

static int textfile_tick(void *ctx)
{
	write_textfile(ctx, false);
	return 0;
}

/* Sinks run on the main thread while /metrics renders on the HTTP thread. */
static int locked_sink(void *ctx, const struct ev_hdr *ev)
{
	struct metrics_agent *a = ctx;

	/* Our own semctl(GETVAL...) reads of the tables are not the workload's. */
	if (ev->pid == a->self)
		return 0;
	pthread_mutex_lock(&a->lock);
	if (a->blocked)
		blocked_event(a->blocked, ev);
	if (a->leaks)
		leaks_event(a->leaks, ev);
	pthread_mutex_unlock(&a->lock);
	return 0;
}

/*
 * Trace this IPC namespace (ids are per namespace and the tables are ours).
 * Without BPF (not root, no BTF) the table and limit metrics still work:
 * ipcscope_tracing says which.
 */
static void start_tracing(struct metrics_agent *a)
{
	struct live_config cfg = { .opts = &a->o->c, .calls = true, .proc_events = true,
				   .aggregate = true, .no_start_snapshot = true,
				   .no_proc_meta = true };
	struct leaks_opts lo = { .alive = pid_alive };
	struct ipc_snapshot snap;
	int status = 0;

	/* --all-namespaces traces every namespace: ids collide across them, so
	 * no leak tracker or deadlock graph then, only per-syscall totals. */
	a->o->c.ipcns = a->ipcns = a->o->all_ns ? 0 : self_ipcns();
	a->self = (uint32_t)getpid();
	a->src = live_session_open(&a->s, &cfg, &status);
	if (!a->src) {
		warnmsg("carrying on without tracing: table and limit metrics only (--no-trace skips this)");
		live_session_tables_only(&a->s);
		return;
	}
	ev_bus_add(&a->s.bus, locked_sink, a);
	/* Calls, latency and holders come from the kernel's aggregation (our
	 * own semctl(GETVAL...) reads of the tables are never counted). */
	a->agg = live_agg_open(a->src);
	if (!a->agg)
		warnmsg("carrying on without per-syscall call and latency metrics");
	memset(&snap, 0, sizeof(snap));
	if (!a->o->all_ns && snapshot_read(&snap, SNAP_ALL) == 0) {
		lo.ipcns = a->ipcns;
		lo.start_real = snap.taken_real;
		a->leaks = leaks_new(&lo, &snap);
	}
	snapshot_free(&snap);
}

static void stop_tracing(struct metrics_agent *a)
{
	live_agg_close(a->agg);
	a->agg = NULL;
	session_fini(&a->s);
	if (!a->src)
		return;
	a->src = NULL;
	if (a->leaks)
		leaks_free(a->leaks);
}

static int print_once(struct metrics_agent *a)
{
	struct metrics_emitter e;
	uint64_t until;
	int err;

	/*
	 * A cycle seen now is a deadlock once present for the confirmation
	 * time: look once, and once more when that has passed.
	 */
	if (!a->o->all_ns && observe_waits(a) == 0 &&
	    (until = blocked_pending_until(a->blocked)) > 0) {
		double left = (double)(int64_t)(until - mono_now_ns()) / 1e9;

		if (left > 0)
			sleep_until(mono_now_s() + left);
	}
	if (a->o->c.json)
		metrics_json_emitter(&e, a->o->c.out, false);
	else
		metrics_text_emitter(&e, a->o->c.out);
	err = render(a, &e);
	if (err)
		return errmsg(exit_for_errno(-err),
			      "reading the IPC tables failed: %s: %s", strerror(-err),
			      hint_for_errno(-err));
	e.finish(&e);
	return 0;
}

/*
 * `http`: already listening on `bound` (or NULL without --listen).  The
 * session's run loop, traced or not, drives the events, the textfile ticks,
 * -d and the stop flag; /metrics is served by the HTTP thread meanwhile.
 */
static int serve(struct metrics_agent *a, struct metrics_http *http, const char *bound)
{
	struct metrics_opts *o = a->o;
	struct run_loop rl = { .duration = o->c.duration, .ctx = a };
	int status = 0;

	live_catch_signals();
	if (http)
		/* The readiness line (tracing is attached): scripts and tests wait for it. */
		fprintf(stderr, "ipcscope: serving metrics at http://%s/metrics\n", bound);
	if (o->textfile) {
		status = write_textfile(a, !http);
		if (status && !http)
			return status;
		if (!status)
			fprintf(stderr, "ipcscope: wrote %s (every %gs)\n", o->textfile, o->interval);
		rl.interval = o->interval;
		rl.tick = textfile_tick;
	}
	status = session_drive(&a->s, &rl);
	if (http) {
		debugmsg("served %lu requests", metrics_http_requests(http));
		metrics_http_stop(http);
	}
	return status;
}

static int cmd_metrics(int argc, char **argv)
{
	struct metrics_opts o = { .interval = 15, .top = METRICS_TOP_N_DEFAULT };
	struct metrics_agent a = { .o = &o, .lock = PTHREAD_MUTEX_INITIALIZER,
				   .render_lock = PTHREAD_MUTEX_INITIALIZER };
	struct metrics_http *http = NULL;
	char bound[80] = "";
	int status;

	opts_init(&o.c);
	o.interval = 15;
	o.top = METRICS_TOP_N_DEFAULT;
	status = opts_parse(&metrics_argp, argc, argv, &o, &o.c);
	if (status)
		return status;
	if (o.textfile && (strlen(o.textfile) < 5 || strcmp(o.textfile + strlen(o.textfile) - 5, ".prom")))
		warnmsg("'%s' does not end in .prom: node_exporter's textfile collector only reads *.prom files",
			o.textfile);
	if (o.once && o.listen)
		return errmsg(EX_USAGE, "--once and --listen conflict: --once writes a file or stdout and exits");
	if (o.c.json && !o.once)
		return errmsg(EX_USAGE, "--json needs --once: Prometheus scrapes the text format");
	if (!o.listen && !o.textfile && !o.once)
		o.listen = METRICS_DEFAULT_LISTEN;
	if (o.all_ns && o.ipcns)
		return errmsg(EX_USAGE, "--ipcns and --all-namespaces are exclusive: pick one");
	/* Before any thread exists: they inherit the namespace. */
	if (o.ipcns && (status = ipcns_enter_arg(o.ipcns)))
		return status;

	/* --all-namespaces: ids collide across namespaces, no deadlock graph */
	if (!o.all_ns) {
		struct blocked_opts bo = { .use_lastpid = true, .self_pid = (uint32_t)getpid(),
					   .balances_given = true };

		a.blocked = blocked_new(&bo);
	}
	/*
	 * Listen first: a bad or busy address fails at once, not after the BPF
	 * programs are loaded.  Requests wait on render_lock until tracing is
	 * attached.
	 */
	if (!o.once && o.listen) {
		http = metrics_http_start(o.listen, render_text, &a, bound, sizeof(bound), &status);
		if (!http) {
			blocked_free(a.blocked);
			opts_finish(&o.c);
			return status;
		}
	}
	/* --once traces only when given time to (-d). */
	pthread_mutex_lock(&a.render_lock);
	live_session_tables_only(&a.s);
	if (!o.no_trace && (!o.once || o.c.duration > 0))
		start_tracing(&a);
	if (a.blocked) {
		/* tracing: the task iterators (waits, SEM_UNDO); else /proc */
		struct waitscan_config wc = {
			.ipcns = self_ipcns(), .bpf = a.src != NULL,
			.inflight_fd = a.src ? live_inflight_fd(a.src) : -1,
		};

		a.scan = waitscan_open(&wc);
		/* waits without a start began before this (else: the first look) */
		if (waitscan_has_starts(a.scan))
			blocked_set_trace_start(a.blocked, mono_now_ns());
	}
	if (o.all_ns) {
		/* tracing (root): task iterators list the namespaces and every
		 * namespace's waiters (for the counts only), else /proc */
		struct waitscan_config wc = { .ipcns = 0, .bpf = a.src != NULL, .inflight_fd = -1 };

		a.nsl = nslist_open(a.src != NULL);
		a.scan = waitscan_open(&wc);
		debugmsg("namespaces listed by %s, waiters by %s", nslist_method(a.nsl),
			 waitscan_method(a.scan));
	}
	pthread_mutex_unlock(&a.render_lock);
	if (o.once && a.src) {
		struct run_loop rl = { .duration = o.c.duration };

		status = session_drive(&a.s, &rl);
	}
	if (status)
		;
	else if (o.once && !o.textfile)
		status = print_once(&a);
	else if (o.once)
		status = write_textfile(&a, true);
	else
		status = serve(&a, http, bound);
	stop_tracing(&a);
	waitscan_close(a.scan);
	nslist_close(a.nsl);
	wait_facts_free(&a.facts);
	blocked_free(a.blocked);
	{
		int fin = opts_finish(&o.c);

		return status ? status : fin;
	}
}

IPCSCOPE_COMMAND(metrics, cmd_metrics, "Prometheus metrics: /metrics over HTTP or a textfile", 80);
