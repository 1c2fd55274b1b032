// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ipcscope record -o FILE: everything ipcscope sees, into one file for
 * `report` and `export` later, elsewhere (docs/recording-format.md).
 *
 * The live source delivers events to a sink that appends them to the
 * writer; a one-second tick flushes, so a killed recorder loses at most a
 * second.  Alongside the events go what the analyses need afterwards: the
 * IPC tables at start and end, process metadata (captured while each
 * process lives, with perf's mmap records for those that exit at once) and
 * the frame-pointer stacks named by stack ids.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "analyses.h"
#include "analysis/leaks.h"
#include "analysis/summary.h"
#include "ipcscope.h"
#include "record/format.h"
#include "record/writer.h"
#include "source/live.h"
#include "tables/waitscan.h"
#include "util/vec.h"
#include "tables/ipcns.h"
#include "source/mmaptrack.h"

#pragma weak snapshot_free

struct recorder {
	struct session *s;
	struct common_opts *o;
	struct rec_writer *w;
	int stack_fd;
	/*
	 * Creations whose object outlives a second get their stack resolved
	 * here, while the binaries are at hand, and stored as EV_STACK: the
	 * leak tracker keeps each EV_CREATE until its object is removed, so
	 * churned objects cost nothing.
	 */
	struct leaks *pending;
	struct stack_resolver res;
	/*
	 * Calls still blocked: written as EV_BLOCK once they have waited
	 * BLOCK_AFTER_NS (once per wait), so that a recorder killed during a
	 * deadlock leaves its cycle in the file.
	 */
	struct waitscan *scan;
	struct wait_facts facts;
	struct blocked_mark { int32_t tid; uint64_t since; } *marks;
	size_t nmarks, capmarks;
	struct written {            /* pids whose metadata is written */
		int32_t pid;
		uint64_t gen;       /* proc_meta.gen when it was */
	} *pids;
	size_t npids, cap;
	uint64_t start_ns;
	bool tty;
	int err;                    /* first write error (-errno) */
};

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * The entry for pid in the set of pids whose metadata is written (added
 * with gen 0 when `add`), or NULL.  Open addressing, grown at half full.
 */
static struct written *pid_slot(struct recorder *r, int32_t pid, bool add)
{
	size_t i;

	if (add && (r->npids + 1) * 2 > r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 256;
		struct written *v = calloc(cap, sizeof(*v));

		if (!v)
			return NULL;       /* out of memory: skip metadata, keep recording */
		for (size_t k = 0; k < r->cap; k++) {
			if (!r->pids[k].pid)
				continue;
			for (i = ((uint32_t)r->pids[k].pid * 2654435761u) & (cap - 1); v[i].pid;
			     i = (i + 1) & (cap - 1))
				;
			v[i] = r->pids[k];
		}
		free(r->pids);
		r->pids = v;
		r->cap = cap;
	}
	if (!r->cap)
		return NULL;
	for (i = ((uint32_t)pid * 2654435761u) & (r->cap - 1); r->pids[i].pid;
	     i = (i + 1) & (r->cap - 1))
		if (r->pids[i].pid == pid)
			return &r->pids[i];
	if (!add)
		return NULL;
	r->pids[i].pid = pid;
	r->pids[i].gen = 0;
	r->npids++;
	return &r->pids[i];
}

static bool pid_seen(struct recorder *r, int32_t pid)
{
	return pid_slot(r, pid, false) != NULL;
}

static int fail(struct recorder *r, int err)
{
	if (!r->err) {
		r->err = err;
		if (r->tty)
			fputs("\r\033[K", stderr);
		errmsg(EX_IOERR, "writing '%s' failed: %s: free some space or record to another file system",
		       r->o->out_path, strerror(-err));
	}
	return EX_IOERR;
}

/*
 * Metadata of pid as known now (captured at once if new), written when it
 * changed since it was last written for this pid: creations come by the
 * hundred thousand a second from one process.
 */
/* Write m unless what was last written for its pid is this version. */
static int write_meta(struct recorder *r, const struct proc_meta *m, bool add)
{
	struct written *seen = pid_slot(r, m->pid, add);
	int err;

	if (seen && seen->gen == m->gen)
		return 0;
	if (seen)
		seen->gen = m->gen;
	err = rec_writer_procmeta(r->w, m);
	return err ? fail(r, err) : 0;
}

static int write_proc(struct recorder *r, int32_t pid, bool recapture)
{
	const struct proc_meta *m;

	if (!r->s->procs || pid <= 0)
		return 0;
	session_procs_refresh(r->s);
	m = procmeta_get(r->s->procs, pid);
	if (!m || (recapture && !m->nmaps)) {
		const struct proc_meta *c = procmeta_capture(r->s->procs, pid);

		if (c)
			m = c;
	}
	if (!m) {
		pid_slot(r, pid, true);   /* seen: not looked up again at every event */
		return 0;
	}
	return write_meta(r, m, true);
}

static int write_stack(struct recorder *r, int32_t id)
{
	uint64_t ips[IPCS_STACK_DEPTH] = { 0 };
	unsigned int n = 0;
	int err;

	if (id < 0 || r->stack_fd < 0 || rec_writer_has_stack(r->w, id))
		return 0;
	if (bpf_map_lookup_elem(r->stack_fd, &id, ips))
		return 0;
	while (n < IPCS_STACK_DEPTH && ips[n])
		n++;
	err = rec_writer_stack(r->w, id, ips, n);
	return err ? fail(r, err) : 0;
}

static bool is_get(unsigned int call)
{
	return call == CALL_SHMGET || call == CALL_SEMGET || call == CALL_MSGGET;
}

static int record_sink(void *ctx, const struct ev_hdr *ev)
{
	struct recorder *r = ctx;
	int err;

	if (r->err)
		return EX_IOERR;
	/* Metadata first: its chunk precedes the events' in the file. */
	if (ev->type == EV_CREATE || ev->type == EV_EXEC) {
		if (write_proc(r, (int32_t)ev->pid, ev->type == EV_EXEC))
			return EX_IOERR;
	} else if (!pid_seen(r, (int32_t)ev->pid)) {
		if (write_proc(r, (int32_t)ev->pid, false))
			return EX_IOERR;
	}
	if (ev->type == EV_FORK) {
		const struct ev_proc *p = (const void *)ev;

		/* a child that still lives has its own maps; else replay inherits */
		if (p->child_pid && write_proc(r, (int32_t)p->child_pid, false))
			return EX_IOERR;
	}
	/*
	 * Stacks are looked up one syscall each: only those the analyses use,
	 * of calls that slept (folded export) and of creations (leaks).
	 */
	if (ev->type == EV_CALL && (summary_call_slept((const struct ev_call *)ev) ||
				    is_get(((const struct ev_call *)ev)->call)))
		err = write_stack(r, ((const struct ev_call *)ev)->stack_id);
	else if (ev->type == EV_CREATE)
		err = write_stack(r, ((const struct ev_create *)ev)->stack_id);
	else
		err = 0;
	if (err)
		return err;
	err = rec_writer_event(r->w, ev);
	if (err)
		return fail(r, err);
	if (r->pending)
		leaks_event(r->pending, ev);
	return 0;
}

static void human_bytes(char *buf, size_t len, uint64_t b)
{
	if (b >= 1ull << 30)
		snprintf(buf, len, "%.1f GiB", b / (double)(1ull << 30));
	else if (b >= 1ull << 20)
		snprintf(buf, len, "%.1f MiB", b / (double)(1ull << 20));
	else
		snprintf(buf, len, "%.1f KiB", b / 1024.0);
}

static void status_line(struct recorder *r, bool final)
{
	const struct rec_writer_stats *st = rec_writer_stats(r->w);
	uint64_t el = now_ns(CLOCK_MONOTONIC) - r->start_ns;
	char bytes[32];

	if (!r->tty)
		return;
	human_bytes(bytes, sizeof(bytes), st->bytes);
	fprintf(stderr, "\r\033[K%s %" PRIu64 ":%02" PRIu64 "  %" PRIu64 " events  %s  %" PRIu64
		" lost%s", final ? "recorded" : "recording", (uint64_t)(el / 60000000000ull),
		(uint64_t)(el / 1000000000ull % 60), st->events, bytes, r->s->lost_events,
		final ? "\n" : "");
}

static struct stack_frame *resolve_cb(void *ctx, const struct ev_hdr *ev, size_t *n,
				      const char **how)
{
	struct recorder *r = ctx;

	*how = NULL;
	if (ev->type != EV_CREATE)
		return NULL;       /* the EV_CREATE that follows every creation has it */
	return stack_resolve(&r->res, ev, n, how);
}

static void stack_done(void *ctx, const struct ev_hdr *create, unsigned int kind, int32_t id,
		       const struct leak_creator *cr)
{
	struct recorder *r = ctx;
	struct ev_hdr *ev;
	int err;

	if (r->err)
		return;
	ev = stack_event_new(create, kind, id, cr->stack, cr->nstack, cr->stack_how);
	if (!ev)
		return;
	err = rec_writer_event(r->w, ev);
	if (err)
		fail(r, err);
	free(ev);
}

/* Stacks of creations older than `age_ns` whose object is still there. */
static void resolve_stacks(struct recorder *r, uint64_t age_ns)
{
	uint64_t now = now_ns(CLOCK_MONOTONIC);

	size_t n;

	if (!r->pending)
		return;
	n = leaks_resolve_pending(r->pending, age_ns < now ? now - age_ns : 0, stack_done, r);
	if (n)
		debugmsg("resolved %zu creation stack(s) for the recording in %.1f ms", n,
			 (double)(now_ns(CLOCK_MONOTONIC) - now) / 1e6);
}

/*
 * Processes that exited a while ago: their last state goes to the file,
 * then out of memory (a fork storm must not grow the recorder; their
 * creations' stacks were resolved by then).  The set of pids written is
 * started afresh when it is large: a live pid is then written once more.
 */
/* 5 s: as leaks (a fork storm held 40 k processes' maps for 30 s: +81 % RSS
 * between 5 s and 5 min); creation stacks are resolved at 1 s. */
#define RECORD_FORGET_NS (5 * 1000000000ull)
#define RECORD_PIDS_MAX 65536

static int forget_exited(struct recorder *r)
{
	uint64_t now = now_ns(CLOCK_MONOTONIC), cutoff;
	const struct proc_meta *m;

	if (!r->s->procs || now < RECORD_FORGET_NS)
		return 0;
	cutoff = now - RECORD_FORGET_NS;
	for (size_t i = 0; (m = procmeta_at(r->s->procs, i)); i++)
		if (m->exited && m->exit_ts_ns && m->exit_ts_ns < cutoff && write_meta(r, m, false))
			return EX_IOERR;
	procmeta_prune(r->s->procs, cutoff);
	if (r->npids > RECORD_PIDS_MAX) {
		free(r->pids);
		r->pids = NULL;
		r->npids = r->cap = 0;
	}
	return 0;
}

#define BLOCK_AFTER_NS 100000000ull

static bool marked(const struct recorder *r, int32_t tid, uint64_t since)
{
	for (size_t i = 0; i < r->nmarks; i++)
		if (r->marks[i].tid == tid && r->marks[i].since == since)
			return true;
	return false;
}

/* Calls blocked for a while, as EV_BLOCK records (the call, unfinished). */
static int write_blocked(struct recorder *r)
{
	uint64_t now = now_ns(CLOCK_MONOTONIC);
	size_t keep = 0;

	if (!r->scan || waitscan_read(r->scan, &r->facts))
		return 0;
	/* forget marks of waits that are over (not in this reading) */
	for (size_t i = 0; i < r->nmarks; i++) {
		bool still = false;

		for (size_t k = 0; !still && k < r->facts.nwaiters; k++)
			still = r->facts.waiters[k].tid == r->marks[i].tid &&
				r->facts.waiters[k].since_ns == r->marks[i].since;
		if (still)
			r->marks[keep++] = r->marks[i];
	}
	r->nmarks = keep;
	for (size_t k = 0; k < r->facts.nwaiters; k++) {
		const struct wg_waiter *w = &r->facts.waiters[k];
		struct ev_call c = { 0 };
		int err;

		if (!w->since_ns || now - w->since_ns < BLOCK_AFTER_NS ||
		    marked(r, w->tid, w->since_ns))
			continue;
		c.h.type = EV_BLOCK;
		c.h.size = sizeof(c);
		c.h.ts_ns = now;
		c.h.pid = (uint32_t)w->pid;
		c.h.tid = (uint32_t)w->tid;
		c.h.ipcns = w->ipcns;
		memcpy(c.h.comm, w->comm, sizeof(c.h.comm));
		c.call = w->call;
		c.kind = (uint8_t)call_kind(w->call);
		c.id = w->id;
		c.stack_id = -1;
		c.lat_ns = now - w->since_ns;
		c.size = w->msg_size;
		c.mtype = w->mtype;
		c.nsops = w->nops;
		c.nsops_copied = (uint8_t)(w->nops < IPCS_MAX_SOPS ? w->nops : IPCS_MAX_SOPS);
		memcpy(c.sops, w->ops, sizeof(c.sops));
		err = rec_writer_event(r->w, &c.h);
		if (err)
			return fail(r, err);
		if (!vec_grow(r->marks, r->nmarks, r->capmarks))
			r->marks[r->nmarks++] = (struct blocked_mark){ w->tid, w->since_ns };
	}
	return 0;
}

static int record_tick(void *ctx)
{
	struct recorder *r = ctx;
	int err;

	resolve_stacks(r, 1000000000ull);
	if (write_blocked(r))
		return EX_IOERR;
	if (forget_exited(r))
		return EX_IOERR;

	if (r->s->src->lost)
		r->s->lost_events = r->s->src->lost(r->s->src);
	rec_writer_lost(r->w, r->s->lost_events, r->s->bus.malformed);
	session_procs_refresh(r->s);
	err = rec_writer_flush(r->w);
	if (err)
		return fail(r, err);
	status_line(r, false);
	return 0;
}

static int write_snapshot(struct recorder *r, unsigned int role)
{
	struct ipc_snapshot snap;
	int err;

	if (role == REC_SNAP_START) {
		if (!r->s->start)
			return 0;
		err = rec_writer_snapshot(r->w, role, r->s->start);
		return err ? fail(r, err) : 0;
	}
	memset(&snap, 0, sizeof(snap));
	if (!r->s->snapshot_now || r->s->snapshot_now(r->s, &snap)) {
		warnmsg("cannot read the IPC tables at the end: the recording has no end snapshot");
		return 0;
	}
	err = rec_writer_snapshot(r->w, role, &snap);
	if (snapshot_free)
		snapshot_free(&snap);
	return err ? fail(r, err) : 0;
}

/* Every process known at the end: exits and late mappings included. */
static int write_all_procs(struct recorder *r)
{
	const struct proc_meta *m;
	int err;

	session_procs_refresh(r->s);
	for (size_t i = 0; (m = procmeta_at(r->s->procs, i)); i++) {
		err = rec_writer_procmeta(r->w, m);
		if (err)
			return fail(r, err);
	}
	return 0;
}

static void join_argv(char *buf, size_t len, int argc, char **argv)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; i < argc && off + 1 < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? " " : "", argv[i]);
}

/* ------------------------------------------------------------- command */

static const struct argp_child record_children[] = {
	OPTS_CHILD_OUTPUT, OPTS_CHILD_FILTER, OPTS_CHILD_DURATION, { 0 },
};

enum { OPT_STACKS = 0x2300 };

struct record_args {
	struct common_opts o;
	bool stacks;
};

static const struct argp_option record_options[] = {
	{ "stacks", OPT_STACKS, NULL, 0,
	  "Also record the frame-pointer user stack of every call (for export "
	  "--format folded); costs several times more per call", 0 },
	{ 0 },
};

static error_t record_parse(int key, char *arg, struct argp_state *state)
{
	struct record_args *a = state->input;
	struct common_opts *o = &a->o;

	switch (key) {
	case OPT_STACKS:
		a->stacks = true;
		break;
	case ARGP_KEY_END:
		if (!o->out_path)
			argp_error(state, "give the file to write: -o FILE");
		break;
	default:
		return opts_key_default(key, arg, state, o);
	}
	return 0;
}

static const struct argp record_argp = {
	record_options, record_parse, "-o FILE [-- CMD [ARGS...]]",
	"Record everything ipcscope sees into FILE, to analyse later, elsewhere, with "
	"`ipcscope report` and `ipcscope export`: every System V IPC call, fork, exec "
	"and exit, creation contexts and user stacks, the IPC tables at start and at "
	"end, process metadata (command lines, executable mappings and build-ids for "
	"symbolization), lost-event counters, and host facts.\n\n"
	"Records until Ctrl-C, -d, or the end of CMD (whose children are followed).  "
	"The file is written in chunks at least every second, so a recorder that is "
	"killed leaves a file that `report` reads up to its last complete chunk.  "
	"FILE is created mode 0600: it holds command lines.  Creations always carry "
	"their registers and stack top (unwound later with .eh_frame); --stacks adds "
	"a frame-pointer stack to every call, which only helps programs built with "
	"frame pointers.  On a terminal a status "
	"line shows elapsed time, events, bytes written and lost events.  --json "
	"prints a summary object on stdout at the end.\v"
	"Examples:\n"
	"  ipcscope record -o night.ipcs -d 8h\n"
	"  ipcscope record -o t.ipcs -t sem -- ./app\n"
	"  ipcscope record -o fp.ipcs --stacks -p 1234 -d 60\n"
	"  ipcscope report night.ipcs leaks\n\n"
	"Exit status: CMD's status with -- CMD; else 0; 64 usage, 69 kernel feature "
	"missing, 73 cannot create FILE, 74 write error, 77 not privileged.",
	record_children, NULL, NULL,
};

static int cmd_record(int argc, char **argv)
{
	struct record_args a = { 0 };
	struct live_config cfg = { 0 };
	struct live_cmd cmd;
	struct run_loop rl = { 0 };
	struct recorder r = { 0 };
	struct rec_host host;
	struct session s;
	struct stat st;
	char note[4096];
	int status, err = 0, fd;

	opts_init(&a.o);
	a.o.out_mode = 0600;
	status = opts_parse(&record_argp, argc, argv, &a, &a.o);
	if (status)
		return status;
	fd = fileno(a.o.out);
	if (isatty(fd)) {
		opts_finish(&a.o);
		return errmsg(EX_USAGE, "will not write a binary recording to a terminal: give -o FILE");
	}
	if (a.o.out == stdout) {
		/* -o -: the recording owns the real stdout; CMD's output (and ours)
		 * goes to stderr instead of into the recording. */
		fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
		if (fd < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
			opts_finish(&a.o);
			return errmsg(EX_OSERR, "cannot set up the output: %s", strerror(errno));
		}
	}
	/*
	 * The tables recorded (start, end) are those of the namespace traced:
	 * enter the one asked for (ids mean nothing in another).
	 */
	if (a.o.ipcns_arg && (err = ipcns_enter(a.o.ipcns_arg))) {
		opts_finish(&a.o);
		return errmsg(exit_for_errno(-err), "cannot enter IPC namespace %s: %s",
			      a.o.ipcns_arg, hint_for_errno(-err));
	}
	/* An existing file keeps its mode through O_TRUNC: tighten it. */
	if (!fstat(fd, &st) && S_ISREG(st.st_mode) && (st.st_mode & 077))
		fchmod(fd, 0600);

	cfg.opts = &a.o;
	cfg.calls = true;
	cfg.proc_events = true;
	cfg.create_ctx = true;
	cfg.stack_ids = a.stacks;
	cfg.offcpu = true;
	if (!live_command_open(&s, &cfg, &cmd, &rl, &status)) {
		opts_finish(&a.o);
		return status;
	}
	r.s = &s;
	r.o = &a.o;
	r.tty = isatty(2);
	r.stack_fd = live_stack_fd(s.src);
	session_stack_resolver(&s, &r.res);
	{
		struct waitscan_config wc = {
			.ipcns = a.o.ipcns, .inflight_fd = live_inflight_fd(s.src), .bpf = true,
			.root = rl.cmd ? cmd.pid : a.o.pid,
		};

		/* only with exact starts: a wait is written once, by its start */
		r.scan = waitscan_open(&wc);
		if (r.scan && !waitscan_has_starts(r.scan)) {
			waitscan_close(r.scan);
			r.scan = NULL;
		}
	}
	{
		struct leaks_opts lo = { .stack = resolve_cb, .stack_ctx = &r,
					 .ipcns = a.o.ipcns };

		r.pending = leaks_new(&lo, s.start);
	}
	rec_host_fill(&host);
	host.mono_to_real_ns = s.mono_to_real_ns ? s.mono_to_real_ns : host.mono_to_real_ns;
	r.w = rec_writer_new(fd, &host, &err);
	if (!r.w) {
		errmsg(EX_IOERR, "writing '%s' failed: %s: check the path and free space",
		       a.o.out_path, strerror(-err));
		status = EX_IOERR;
		goto out_live;
	}
	r.start_ns = now_ns(CLOCK_MONOTONIC);
	/* argv[0] is rewritten by opts_parse: name the command ourselves */
	memcpy(note, "ipcscope record ", 16);
	join_argv(note + 16, sizeof(note) - 16, argc - 1, argv + 1);
	rec_writer_note(r.w, "argv", note);
	if (a.o.cmd_argv) {
		join_argv(note, sizeof(note), a.o.cmd_argc, a.o.cmd_argv);
		rec_writer_note(r.w, "cmd", note);
	}
	snprintf(note, sizeof(note), "%u", a.o.kinds);
	rec_writer_note(r.w, "kinds", note);
	if (write_snapshot(&r, REC_SNAP_START) || rec_writer_flush(r.w)) {
		status = fail(&r, rec_writer_flush(r.w));
		goto out_writer;
	}
	if (ev_bus_add(&s.bus, record_sink, &r)) {
		status = errmsg(EX_SOFTWARE, "too many event consumers: report this bug");
		goto out_writer;
	}
	rl.duration = a.o.duration;
	rl.interval = 1;
	rl.tick = record_tick;
	rl.ctx = &r;
	status = live_command_start(&rl);
	if (status)
		goto out_writer;
	if (!rl.cmd && r.tty)
		fprintf(stderr, "Recording System V IPC to %s... Hit Ctrl-C to end.\n", a.o.out_path);

	status = session_drive(&s, &rl);
	resolve_stacks(&r, 0);         /* every object still there */
	if (!r.err) {
		rec_writer_lost(r.w, s.lost_events, s.bus.malformed);
		if (!write_all_procs(&r) && !write_snapshot(&r, REC_SNAP_END)) {
			err = rec_writer_finish(r.w, now_ns(CLOCK_MONOTONIC),
						(int64_t)now_ns(CLOCK_REALTIME));
			if (err)
				fail(&r, err);
		}
	}
	status_line(&r, true);
	if (r.err)
		status = EX_IOERR;
	if (a.o.json) {
		const struct rec_writer_stats *ws = rec_writer_stats(r.w);
		struct jsonw w;

		jsonw_init(&w, stdout, false);
		jsonw_start_object(&w);
		jsonw_string_field(&w, "file", a.o.out_path);
		jsonw_uint_field(&w, "events", ws->events);
		jsonw_uint_field(&w, "bytes", ws->bytes);
		jsonw_uint_field(&w, "chunks", ws->chunks);
		jsonw_bool_field(&w, "complete", !r.err);
		jsonw_uint_field(&w, "lost_events", s.lost_events);
		jsonw_end_object(&w);
		jsonw_eol(&w);
		fflush(w.f);
	}
	if (s.lost_events)
		warnmsg("%" PRIu64 " events were lost (the recorder fell behind): use filters to record less",
			s.lost_events);
out_writer:
	rec_writer_free(r.w);
out_live:
	leaks_free(r.pending);
	stack_resolver_fini(&r.res);
	if (r.scan)
		waitscan_close(r.scan);
	wait_facts_free(&r.facts);
	free(r.marks);
	free(r.pids);
	session_fini(&s);
	if (a.o.out == stdout && fd >= 0)
		close(fd);
	err = opts_finish(&a.o);
	return status ? status : err ? err : live_command_status(&rl, 0);
}

IPCSCOPE_COMMAND(record, cmd_record, "record everything to a file for report and export", 55);
