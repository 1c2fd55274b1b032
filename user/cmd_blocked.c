// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ipcscope blocked: IPC calls blocked right now, who holds what they wait
 * for, and deadlock cycles.
 *
 * Every SCAN_MS the tables are read (semaphore values, GETPID), blocked
 * threads are found in /proc (so waits that began before ipcscope are seen
 * at once), SEM_UNDO holders come from the task iterator and observed
 * holders from the event stream; the wait-for graph is rebuilt and solved.
 * A cycle is reported once it has persisted over CONFIRM_SCANS scans of the
 * same wait instances, so waits that resolve normally (ping-pong) are not
 * reported as deadlocks.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "analyses.h"
#include "analysis/waitgraph.h"
#include "ipcscope.h"
#include "source/live.h"
#include "tables/ipcns.h"
#include "tables/proc.h"
#include "tables/undo.h"
#include "tables/waiters.h"
#include "util/vec.h"

#define SCAN_MS        150
#define CONFIRM_SCANS  3
#define MAX_CYCLE      16

struct wait_track {
	struct wg_waiter w;
	uint64_t first_ns, last_ns;   /* when this scan saw it first/last */
	uint64_t since_ns;            /* when the call began (inflight), or 0 */
	bool predates;                /* already blocked at the first scan */
	bool open;
	int32_t holders[4];
	uint32_t holder_evid[4];
	int nholders;
};

struct cyc_node {
	int32_t pid, tid;
	char comm[16];
	int32_t semid;
	uint16_t semnum;
	int16_t sem_op;
	int32_t waits_for;
	uint32_t evidence;
};

struct cycle_track {
	struct cyc_node nodes[MAX_CYCLE];
	size_t n;
	bool self;
	uint64_t first_ns, last_ns;
	uint64_t since_sig;           /* sum of the waits' start times: same instances */
	int seen;
	bool reported, open;
};

struct blocked_state {
	struct common_opts *o;
	struct session *s;
	struct waitgraph g;
	struct wg_balance bal;
	struct undo_reader *undo;
	uint32_t ipcns;
	struct ev_source *live;       /* live source (call start times), or NULL */
	pid_t root;                   /* -- CMD: only its descendants */
	bool first_scan_done;
	uint64_t next_scan, next_print;
	double print_interval;
	struct wait_track *waits; size_t nwaits, capwaits;
	struct cycle_track *cycles; size_t ncycles, capcycles;
	struct jsonw w;
	int status;
};

static bool descends_from(pid_t pid, pid_t root)
{
	for (int depth = 0; depth < 64 && pid > 1; depth++) {
		char path[48], buf[512], *p;
		FILE *f;

		if (pid == root)
			return true;
		snprintf(path, sizeof(path), "/proc/%d/status", pid);
		f = fopen(path, "re");
		if (!f)
			return false;
		pid = 0;
		while (fgets(buf, sizeof(buf), f))
			if ((p = strstr(buf, "PPid:")) == buf) {
				pid = atoi(buf + 5);
				break;
			}
		fclose(f);
	}
	return pid == root;
}

static int blocked_sink(void *ctx, const struct ev_hdr *ev)
{
	struct blocked_state *b = ctx;

	wg_balance_event(&b->bal, ev);
	return 0;
}

static struct wait_track *find_wait(struct blocked_state *b, const struct wg_waiter *w)
{
	for (size_t i = 0; i < b->nwaits; i++) {
		struct wait_track *t = &b->waits[i];

		if (t->open && t->w.tid == w->tid && t->w.call == w->call && t->w.id == w->id)
			return t;
	}
	return NULL;
}

static uint64_t inflight_start(struct blocked_state *b, int32_t tid)
{
	return b->live ? live_inflight_start(b->live, tid) : 0;
}

static void track_waits(struct blocked_state *b, uint64_t now)
{
	for (size_t i = 0; i < b->g.nwaiters; i++) {
		struct wg_waiter *w = &b->g.waiters[i];
		struct wait_track *t = find_wait(b, w);
		uint64_t since = inflight_start(b, w->tid);

		/* a different start time means a new call on the same object */
		if (t && since && t->since_ns && since != t->since_ns) {
			t->open = false;
			t = NULL;
		}
		if (!t) {
			if (vec_grow(b->waits, b->nwaits, b->capwaits))
				return;
			t = &b->waits[b->nwaits++];
			memset(t, 0, sizeof(*t));
			t->first_ns = now;
			t->predates = !b->first_scan_done && !since;
			t->open = true;
		}
		t->w = *w;
		if (since)
			t->since_ns = since;
		w->since_ns = t->since_ns ? t->since_ns : t->first_ns;
		t->last_ns = now;
		t->nholders = 0;
		for (size_t e = 0; e < b->g.nedges && t->nholders < 4; e++)
			if (b->g.edges[e].waiter == i) {
				t->holders[t->nholders] = b->g.edges[e].holder_pid;
				t->holder_evid[t->nholders++] = b->g.edges[e].evidence;
			}
	}
	for (size_t i = 0; i < b->nwaits; i++)
		if (b->waits[i].open && b->waits[i].last_ns != now)
			b->waits[i].open = false;
}

static void cycle_from_graph(struct blocked_state *b, size_t c, struct cycle_track *out)
{
	const struct wg_cycle *cy = &b->g.cycles[c];

	memset(out, 0, sizeof(*out));
	out->self = cy->self;
	for (size_t i = 0; i < cy->n && i < MAX_CYCLE; i++) {
		const struct wg_edge *e = &b->g.edges[cy->edges[i]];
		const struct wg_waiter *w = &b->g.waiters[e->waiter];

		out->nodes[i] = (struct cyc_node){ w->pid, w->tid, "", e->semid, e->semnum,
						   e->sem_op, e->holder_pid, e->evidence };
		memcpy(out->nodes[i].comm, w->comm, sizeof(w->comm));
		out->since_sig += w->since_ns;
	}
	out->n = cy->n < MAX_CYCLE ? cy->n : MAX_CYCLE;
}

static bool same_cycle(const struct cycle_track *a, const struct cycle_track *b)
{
	if (a->n != b->n)
		return false;
	/* same members and semaphores, whichever node the chain starts at */
	for (size_t i = 0; i < a->n; i++) {
		bool found = false;

		for (size_t j = 0; j < b->n && !found; j++)
			found = a->nodes[i].tid == b->nodes[j].tid &&
				a->nodes[i].semid == b->nodes[j].semid &&
				a->nodes[i].semnum == b->nodes[j].semnum &&
				a->nodes[i].waits_for == b->nodes[j].waits_for;
		if (!found)
			return false;
	}
	return true;
}

/*
 * Later scans know more: the events of the calls that took a semaphore may
 * still have been in the ring buffer when the cycle was first seen (named
 * by lastpid then, by observed balances now).  Keep the latest evidence.
 */
static void refresh_evidence(struct cycle_track *t, const struct cycle_track *cur)
{
	for (size_t i = 0; i < t->n; i++)
		for (size_t j = 0; j < cur->n; j++)
			if (t->nodes[i].tid == cur->nodes[j].tid &&
			    t->nodes[i].semid == cur->nodes[j].semid &&
			    t->nodes[i].semnum == cur->nodes[j].semnum)
				t->nodes[i].evidence = cur->nodes[j].evidence;
}

static void print_cycle_text(struct blocked_state *b, const struct cycle_track *c, uint64_t now)
{
	FILE *f = b->o->out;
	char when[32];

	format_ts(when, sizeof(when), c->first_ns, b->s->mono_to_real_ns);
	fprintf(f, "DEADLOCK%s formed %s, lasting %.1fs:\n", c->self ? " (self-wait)" : "", when,
		(double)((c->open ? now : c->last_ns) - c->first_ns) / 1e9);
	for (size_t i = 0; i < c->n; i++) {
		const struct cyc_node *n = &c->nodes[i];

		fprintf(f, "  pid %d (%s) waits for sem %d[%u] (sem_op %d), held by pid %d [%s]\n",
			n->pid, n->comm, n->semid, n->semnum, n->sem_op, n->waits_for,
			wg_evidence_name(n->evidence));
	}
	fflush(f);
}

static void track_cycles(struct blocked_state *b, uint64_t now)
{
	for (size_t c = 0; c < b->g.ncycles; c++) {
		struct cycle_track cur, *t = NULL;

		cycle_from_graph(b, c, &cur);
		for (size_t i = 0; i < b->ncycles && !t; i++)
			if (b->cycles[i].open && same_cycle(&b->cycles[i], &cur))
				t = &b->cycles[i];
		/* new wait instances (different start times): a new cycle */
		if (t && t->since_sig != cur.since_sig) {
			t->open = false;
			t = NULL;
		}
		if (!t) {
			if (vec_grow(b->cycles, b->ncycles, b->capcycles))
				return;
			t = &b->cycles[b->ncycles++];
			*t = cur;
			t->first_ns = now;
			t->open = true;
			/* waits that predate us: the cycle is old, not new */
			for (size_t i = 0; i < b->g.cycles[c].n; i++) {
				uint64_t s = b->g.waiters[b->g.edges[b->g.cycles[c].edges[i]].waiter].since_ns;

				if (s && s < t->first_ns)
					t->first_ns = s;
			}
		}
		t->last_ns = now;
		t->seen++;
		refresh_evidence(t, &cur);
		/*
		 * A cycle of waits that were already blocked when we started,
		 * every edge named by the kernel's own SEM_UNDO lists, is a
		 * deadlock at once; anything else must persist over scans.
		 */
		bool old_and_certain = true;

		for (size_t i = 0; i < b->g.cycles[c].n; i++) {
			const struct wg_edge *e = &b->g.edges[b->g.cycles[c].edges[i]];
			const struct wait_track *wt = find_wait(b, &b->g.waiters[e->waiter]);

			if (!(e->evidence & EVID_UNDO) || !wt || !wt->predates)
				old_and_certain = false;
		}
		if (!t->reported && (t->seen >= CONFIRM_SCANS || old_and_certain)) {
			t->reported = true;
			if (!b->o->json)
				print_cycle_text(b, t, now);
		}
	}
	for (size_t i = 0; i < b->ncycles; i++)
		if (b->cycles[i].open && b->cycles[i].last_ns != now)
			b->cycles[i].open = false;
}

static int scan(struct blocked_state *b)
{
	struct ipc_snapshot snap;
	uint64_t now = mono_now_ns();
	int err;

	err = snapshot_read(&snap, SNAP_SEM | SNAP_MSG | SNAP_SEMVALS);
	if (err)
		return errmsg(exit_for_errno(-err), "cannot read the IPC tables: %s", strerror(-err));
	wg_reset(&b->g);
	err = waiters_scan(b->ipcns, &b->g);
	if (err >= 0 && b->root) {
		/* -p or -- CMD: only that process and its descendants */
		size_t j = 0;

		for (size_t i = 0; i < b->g.nwaiters; i++)
			if (descends_from(b->g.waiters[i].pid, b->root))
				b->g.waiters[j++] = b->g.waiters[i];
		b->g.nwaiters = j;
	}
	for (size_t i = 0; err >= 0 && i < snap.nsem; i++)
		for (uint32_t n = 0; snap.sem[i].sems && n < snap.sem[i].nsems; n++) {
			struct wg_semval v = { snap.ipcns, snap.sem[i].c.id, (uint16_t)n,
					       snap.sem[i].sems[n].val, snap.sem[i].sems[n].pid };

			if ((err = wg_add_value(&b->g, &v)))
				break;
		}
	if (err >= 0 && b->undo)
		err = undo_collect(b->undo, &snap, &b->g);
	if (err >= 0)
		err = wg_balance_export(&b->bal, &b->g);
	if (err >= 0)
		err = wg_solve(&b->g);
	snapshot_free(&snap);
	if (err < 0)
		return errmsg(EX_SOFTWARE, "building the wait graph failed: %s", strerror(-err));
	track_waits(b, now);
	track_cycles(b, now);
	b->first_scan_done = true;
	return 0;
}

static const char *call_short(uint8_t c)
{
	return call_name(c);
}

static void print_waits_text(struct blocked_state *b, uint64_t now)
{
	FILE *f = b->o->out;
	size_t open = 0, dl = 0;
	char when[32];

	for (size_t i = 0; i < b->nwaits; i++)
		open += b->waits[i].open;
	for (size_t i = 0; i < b->ncycles; i++)
		dl += b->cycles[i].open && b->cycles[i].reported;
	format_ts(when, sizeof(when), now, b->s->mono_to_real_ns);
	fprintf(f, "%s  %zu blocked call%s, %zu deadlock%s\n", when, open, open == 1 ? "" : "s",
		dl, dl == 1 ? "" : "s");
	if (!open)
		return;
	fprintf(f, "  %-7s %-7s %-15s %-10s %-12s %9s  %-16s %s\n", "PID", "TID", "COMM", "CALL",
		"OBJECT", "WAITING", "OPS", "HOLDERS");
	for (size_t i = 0; i < b->nwaits; i++) {
		struct wait_track *t = &b->waits[i];
		char obj[24], ops[64] = "", hold[96] = "";
		size_t len = 0;
		uint64_t start = t->since_ns ? t->since_ns : t->first_ns;

		if (!t->open)
			continue;
		snprintf(obj, sizeof(obj), "%s %d", call_kind(t->w.call) == KIND_SEM ? "sem" : "msg",
			 t->w.id);
		for (uint32_t k = 0; k < t->w.nops && k < 4; k++)
			len += (size_t)snprintf(ops + len, sizeof(ops) - len, "%s%u:%+d", k ? "," : "",
						t->w.ops[k].num, t->w.ops[k].op);
		if (t->w.call == CALL_MSGSND)
			snprintf(ops, sizeof(ops), "send %" PRIu64 "B", t->w.msg_size);
		else if (t->w.call == CALL_MSGRCV)
			snprintf(ops, sizeof(ops), "recv type %" PRId64, t->w.mtype);
		len = 0;
		for (int k = 0; k < t->nholders; k++)
			len += (size_t)snprintf(hold + len, sizeof(hold) - len, "%s%d(%s)", k ? " " : "",
						t->holders[k], wg_evidence_name(t->holder_evid[k]));
		fprintf(f, "  %-7d %-7d %-15s %-10s %-12s %8.1fs%s %-16s %s\n", t->w.pid, t->w.tid,
			t->w.comm, call_short(t->w.call), obj, (double)(now - start) / 1e9,
			t->predates && !t->since_ns ? "+" : " ", ops, hold[0] ? hold : "-");
	}
	fflush(f);
}

static int tick(void *ctx)
{
	struct blocked_state *b = ctx;
	uint64_t now = mono_now_ns();
	int err;

	if (now >= b->next_scan) {
		err = scan(b);
		if (err)
			return err;
		b->next_scan = now + SCAN_MS * 1000000ull;
	}
	if (b->print_interval > 0 && now >= b->next_print) {
		if (!b->o->json)
			print_waits_text(b, now);
		b->next_print = now + (uint64_t)(b->print_interval * 1e9);
	}
	return 0;
}

static void json_waits(struct blocked_state *b, uint64_t now)
{
	struct jsonw *w = &b->w;

	jsonw_name(w, "waits");
	jsonw_start_array(w);
	/* longest first */
	for (;;) {
		struct wait_track *best = NULL;
		uint64_t best_len = 0;

		for (size_t i = 0; i < b->nwaits; i++) {
			struct wait_track *t = &b->waits[i];
			uint64_t start = t->since_ns ? t->since_ns : t->first_ns;
			uint64_t len = (t->open ? now : t->last_ns) - start;

			if (t->w.pid && (!best || len > best_len)) {
				best = t;
				best_len = len;
			}
		}
		if (!best)
			break;
		jsonw_start_object(w);
		jsonw_int_field(w, "pid", best->w.pid);
		jsonw_int_field(w, "tid", best->w.tid);
		jsonw_string_field(w, "comm", best->w.comm);
		jsonw_string_field(w, "call", call_name(best->w.call));
		jsonw_string_field(w, "kind", kind_name(call_kind(best->w.call)));
		jsonw_int_field(w, "id", best->w.id);
		jsonw_uint_field(w, "ipcns", best->w.ipcns);
		jsonw_uint_field(w, "wait_ns", best_len);
		jsonw_bool_field(w, "predates_tracing", best->predates && !best->since_ns);
		jsonw_bool_field(w, "still_blocked", best->open);
		if (call_kind(best->w.call) == KIND_SEM) {
			jsonw_name(w, "sops");
			jsonw_start_array(w);
			for (uint32_t k = 0; k < best->w.nops && k < WG_MAX_OPS; k++) {
				jsonw_start_object(w);
				jsonw_uint_field(w, "num", best->w.ops[k].num);
				jsonw_int_field(w, "op", best->w.ops[k].op);
				jsonw_int_field(w, "flg", best->w.ops[k].flg);
				jsonw_end_object(w);
			}
			jsonw_end_array(w);
		} else {
			jsonw_uint_field(w, "size", best->w.msg_size);
			if (best->w.call == CALL_MSGRCV)
				jsonw_int_field(w, "mtype", best->w.mtype);
		}
		jsonw_name(w, "holders");
		jsonw_start_array(w);
		for (int k = 0; k < best->nholders; k++) {
			jsonw_start_object(w);
			jsonw_int_field(w, "pid", best->holders[k]);
			jsonw_string_field(w, "evidence", wg_evidence_name(best->holder_evid[k]));
			jsonw_end_object(w);
		}
		jsonw_end_array(w);
		jsonw_end_object(w);
		best->w.pid = 0;   /* printed */
	}
	jsonw_end_array(w);
}

static void json_report(struct blocked_state *b, uint64_t now)
{
	struct jsonw *w = &b->w;

	jsonw_start_object(w);
	jsonw_name(w, "deadlocks");
	jsonw_start_array(w);
	for (size_t i = 0; i < b->ncycles; i++) {
		const struct cycle_track *c = &b->cycles[i];

		if (!c->reported)
			continue;
		jsonw_start_object(w);
		jsonw_name(w, "cycle");
		jsonw_start_array(w);
		for (size_t k = 0; k < c->n; k++) {
			const struct cyc_node *n = &c->nodes[k];

			jsonw_start_object(w);
			jsonw_int_field(w, "pid", n->pid);
			jsonw_int_field(w, "tid", n->tid);
			jsonw_string_field(w, "comm", n->comm);
			jsonw_int_field(w, "semid", n->semid);
			jsonw_uint_field(w, "semnum", n->semnum);
			jsonw_int_field(w, "sem_op", n->sem_op);
			jsonw_int_field(w, "waits_for_pid", n->waits_for);
			jsonw_string_field(w, "evidence", wg_evidence_name(n->evidence));
			jsonw_end_object(w);
		}
		jsonw_end_array(w);
		jsonw_bool_field(w, "self", c->self);
		jsonw_float_field(w, "formed_at",
				  (double)((int64_t)c->first_ns + b->s->mono_to_real_ns) / 1e9);
		jsonw_uint_field(w, "formed_at_mono_ns", c->first_ns);
		jsonw_uint_field(w, "duration_ns", (c->open ? now : c->last_ns) - c->first_ns);
		jsonw_bool_field(w, "still_deadlocked", c->open);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
	json_waits(b, now);
	jsonw_uint_field(w, "lost_events", b->s->lost_events);
	jsonw_bool_field(w, "undo_evidence", b->undo != NULL);
	jsonw_end_object(w);
	jsonw_eol(w);
}

/* ---- replay: the same analysis over a recording's events ---- */

#define REPLAY_MIN_WAIT_NS 100000000ull   /* calls this long count as waits */
#define REPLAY_STEP_NS      50000000ull

struct replay {
	struct ev_call *v;          /* semaphore calls and exits, as recorded */
	size_t n, cap;
	struct ev_call *waits;      /* calls that slept (EV_BLOCK: still blocked) */
	size_t nwaits, capwaits;
};

static int replay_sink(void *ctx, const struct ev_hdr *ev)
{
	struct replay *r = ctx;
	struct ev_call c = { 0 };

	if (ev->type == EV_EXIT) {
		memcpy(&c.h, ev, sizeof(c.h));
		return vec_push(r->v, r->n, r->cap, c);
	}
	if (ev->type != EV_CALL && ev->type != EV_BLOCK)
		return 0;
	memcpy(&c, ev, sizeof(c));
	if (ev->type == EV_BLOCK || c.lat_ns >= REPLAY_MIN_WAIT_NS)
		if ((c.call == CALL_SEMOP || c.call == CALL_SEMTIMEDOP || c.call == CALL_MSGSND ||
		     c.call == CALL_MSGRCV) && vec_push(r->waits, r->nwaits, r->capwaits, c))
			return -ENOMEM;
	if (ev->type == EV_CALL && call_kind(c.call) == KIND_SEM)
		return vec_push(r->v, r->n, r->cap, c);
	return 0;
}

static int cmp_ts(const void *a, const void *b)
{
	const struct ev_call *x = a, *y = b;

	return (x->h.ts_ns > y->h.ts_ns) - (x->h.ts_ns < y->h.ts_ns);
}

static uint64_t wait_start(const struct ev_call *c) { return c->h.ts_ns - c->lat_ns; }
static uint64_t wait_end(const struct ev_call *c)
{
	return c->h.type == EV_BLOCK ? UINT64_MAX : c->h.ts_ns;
}

/*
 * Sample the recording every REPLAY_STEP_NS: the calls in progress at that
 * moment are the waiters, the balances of calls completed before it are
 * the observed holders.  A cycle formed when its last member began to wait
 * and ended when its first member's call returned.
 */
static int replay_analyse(struct blocked_state *b, struct replay *r, uint64_t span_end)
{
	struct wg_balance bal = { 0 };
	size_t next = 0;
	uint64_t t0, t;
	int err = 0;

	if (!r->nwaits)
		return 0;
	qsort(r->v, r->n, sizeof(*r->v), cmp_ts);
	t0 = UINT64_MAX;
	for (size_t i = 0; i < r->nwaits; i++)
		if (wait_start(&r->waits[i]) < t0)
			t0 = wait_start(&r->waits[i]);
	for (t = t0 + REPLAY_STEP_NS / 2; t <= span_end && !err; t += REPLAY_STEP_NS) {
		while (next < r->n && r->v[next].h.ts_ns <= t)
			wg_balance_event(&bal, &r->v[next++].h);
		wg_reset(&b->g);
		b->g.use_lastpid = false;   /* not recorded */
		for (size_t i = 0; i < r->nwaits && !err; i++) {
			const struct ev_call *c = &r->waits[i];
			struct wg_waiter w = { 0 };

			if (wait_start(c) > t || wait_end(c) <= t)
				continue;
			w.pid = (int32_t)c->h.pid;
			w.tid = (int32_t)c->h.tid;
			memcpy(w.comm, c->h.comm, sizeof(w.comm));
			w.ipcns = c->h.ipcns;
			w.call = c->call;
			w.id = c->id;
			w.since_ns = wait_start(c);
			w.nops = c->nsops_copied;
			memcpy(w.ops, c->sops, sizeof(w.ops));
			w.msg_size = c->size;
			w.mtype = c->mtype;
			err = wg_add_waiter(&b->g, &w);
		}
		if (!err)
			err = wg_balance_export(&bal, &b->g);
		if (!err)
			err = wg_solve(&b->g);
		for (size_t c = 0; !err && c < b->g.ncycles; c++) {
			struct cycle_track cur;
			bool known = false;
			uint64_t formed = 0, ended = UINT64_MAX;

			cycle_from_graph(b, c, &cur);
			for (size_t i = 0; i < b->ncycles && !known; i++)
				known = same_cycle(&b->cycles[i], &cur) &&
					b->cycles[i].since_sig == cur.since_sig;
			if (known)
				continue;
			for (size_t i = 0; i < b->g.cycles[c].n; i++) {
				size_t wi = b->g.edges[b->g.cycles[c].edges[i]].waiter;
				const struct wg_waiter *w = &b->g.waiters[wi];

				for (size_t k = 0; k < r->nwaits; k++)
					if ((int32_t)r->waits[k].h.tid == w->tid &&
					    wait_start(&r->waits[k]) == w->since_ns) {
						if (w->since_ns > formed)
							formed = w->since_ns;
						if (wait_end(&r->waits[k]) < ended)
							ended = wait_end(&r->waits[k]);
					}
			}
			err = vec_grow(b->cycles, b->ncycles, b->capcycles);
			if (err)
				break;
			cur.first_ns = formed;
			cur.open = ended == UINT64_MAX;
			cur.last_ns = cur.open ? span_end : ended;
			cur.reported = true;
			b->cycles[b->ncycles++] = cur;
		}
	}
	/* the waits, longest first, as the live view lists them */
	for (size_t i = 0; !err && i < r->nwaits; i++) {
		const struct ev_call *c = &r->waits[i];
		struct wait_track *wt;

		err = vec_grow(b->waits, b->nwaits, b->capwaits);
		if (err)
			break;
		wt = &b->waits[b->nwaits++];
		memset(wt, 0, sizeof(*wt));
		wt->w.pid = (int32_t)c->h.pid;
		wt->w.tid = (int32_t)c->h.tid;
		memcpy(wt->w.comm, c->h.comm, sizeof(wt->w.comm));
		wt->w.ipcns = c->h.ipcns;
		wt->w.call = c->call;
		wt->w.id = c->id;
		wt->w.nops = c->nsops_copied;
		memcpy(wt->w.ops, c->sops, sizeof(wt->w.ops));
		wt->w.msg_size = c->size;
		wt->w.mtype = c->mtype;
		wt->since_ns = wait_start(c);
		wt->first_ns = wt->since_ns;
		wt->open = c->h.type == EV_BLOCK;
		wt->last_ns = wt->open ? span_end : c->h.ts_ns;
	}
	wg_balance_free(&bal);
	return err;
}

struct blocked_replay {
	struct replay r;
	struct blocked_state b;
};

struct blocked_replay *blocked_replay_new(void)
{
	struct blocked_replay *x = calloc(1, sizeof(*x));

	if (x) {
		wg_init(&x->b.g);
		x->b.live = NULL;
	}
	return x;
}

int blocked_replay_event(void *ctx, const struct ev_hdr *ev)
{
	return replay_sink(&((struct blocked_replay *)ctx)->r, ev);
}

long blocked_replay_count(struct blocked_replay *x, struct session *s)
{
	x->b.s = s;
	if (replay_analyse(&x->b, &x->r, s->last_ts_ns))
		return -1;
	return (long)x->b.ncycles;
}

bool blocked_replay_cycle(const struct blocked_replay *x, size_t i, uint64_t *formed_ns,
			  uint64_t *dur_ns, int32_t *pids, size_t max, size_t *npids)
{
	const struct cycle_track *c;

	if (i >= x->b.ncycles)
		return false;
	c = &x->b.cycles[i];
	*formed_ns = c->first_ns;
	*dur_ns = c->last_ns > c->first_ns ? c->last_ns - c->first_ns : 0;
	*npids = 0;
	for (size_t k = 0; k < c->n && *npids < max; k++)
		pids[(*npids)++] = c->nodes[k].pid;
	return true;
}

void blocked_replay_free(struct blocked_replay *x)
{
	if (!x)
		return;
	wg_free(&x->b.g);
	free(x->b.waits);
	free(x->b.cycles);
	free(x->r.v);
	free(x->r.waits);
	free(x);
}

static void print_summary(struct blocked_state *b, struct common_opts *o, uint64_t now)
{
	if (o->json) {
		json_report(b, now);
		return;
	}
	size_t dl = 0;

	for (size_t i = 0; i < b->ncycles; i++)
		dl += b->cycles[i].reported;
	fprintf(o->out, "--- %zu deadlock%s during the run, %" PRIu64 " lost events ---\n",
		dl, dl == 1 ? "" : "s", b->s->lost_events);
	for (size_t i = 0; i < b->ncycles; i++)
		if (b->cycles[i].reported)
			print_cycle_text(b, &b->cycles[i], now);
	print_waits_text(b, now);
}

static int blocked_replay(struct session *s, struct common_opts *o, struct run_loop *rl)
{
	struct blocked_state b = { .o = o, .s = s, .live = NULL };
	struct replay r = { 0 };
	int err;

	wg_init(&b.g);
	jsonw_init(&b.w, o->out, false);
	if (ev_bus_add(&s->bus, replay_sink, &r))
		return errmsg(EX_SOFTWARE, "too many event consumers: report this bug");
	err = session_drive(s, rl);
	if (!err && replay_analyse(&b, &r, s->last_ts_ns))
		err = errmsg(EX_SOFTWARE, "out of memory analysing the recording");
	if (!err)
		print_summary(&b, o, s->last_ts_ns);
	wg_free(&b.g);
	free(b.waits);
	free(b.cycles);
	free(r.v);
	free(r.waits);
	return err;
}

int blocked_session(struct session *s, struct common_opts *o, struct run_loop *rl)
{
	struct blocked_state *b = rl && s->live ? rl->ctx : NULL;
	int r;

	if (!s->live)
		return blocked_replay(s, o, rl);
	if (!b)
		return errmsg(EX_SOFTWARE, "blocked_session needs its state: report this bug");
	if (ev_bus_add(&s->bus, blocked_sink, b))
		return errmsg(EX_SOFTWARE, "too many event consumers: report this bug");
	r = scan(b);   /* existing waits and deadlocks, at once */
	if (!r && b->print_interval > 0 && !o->json)
		print_waits_text(b, mono_now_ns());
	if (!r)
		r = session_drive(s, rl);
	if (!r && !ipcs_exiting)
		r = scan(b);
	print_summary(b, o, mono_now_ns());
	if (s->lost_events)
		warnmsg("%" PRIu64 " events were lost: observed holders may be incomplete",
			s->lost_events);
	return r;
}

/* ------------------------------------------------------------- command */

struct blocked_args {
	struct common_opts o;
	double interval;
	bool fail_on_deadlock;   /* --fail-on deadlock: exit 1 on one even with -- CMD */
};

enum { OPT_FAIL_ON = 0x3000 };

static const struct argp_option blocked_options[] = {
	{ "fail-on", OPT_FAIL_ON, "deadlock", 0,
	  "With -- CMD: exit 1 if a deadlock was found and CMD itself succeeded (CMD's "
	  "status when it failed), for CI", 0 },
	{ 0 },
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct blocked_args *a = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		opts_child_inputs(state, &a->o);
		break;
	case OPT_FAIL_ON:
		if (strcmp(arg, "deadlock"))
			argp_error(state, "invalid --fail-on '%s': blocked fails on 'deadlock'", arg);
		a->fail_on_deadlock = true;
		break;
	case ARGP_KEY_ARG:
		if (state->arg_num > 0)
			argp_error(state, "unexpected argument '%s' (a command goes after `--`)", arg);
		a->interval = parse_duration(arg);
		if (a->interval <= 0)
			argp_error(state, "invalid interval '%s': give seconds, e.g. 1 or 0.5", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_child children[] = {
	OPTS_CHILD_OUTPUT, OPTS_CHILD_FILTER, OPTS_CHILD_DURATION, { 0 },
};

static const struct argp argp = {
	blocked_options, parse_opt, "[interval] [-- CMD [ARGS...]]",
	"Show IPC calls blocked right now (semop/semtimedop waiting, msgsnd on a full "
	"queue, msgrcv on an empty one), how long they have waited, who holds what they "
	"wait for, and deadlock cycles.\n\n"
	"Holders are named with their evidence: `undo` (SEM_UNDO adjustments read from the "
	"kernel), `observed` (net sem_op applied while tracing), `lastpid` (semctl GETPID). "
	"Waits that began before ipcscope started are found at once from /proc.  A deadlock "
	"is reported when the same waits stay in a cycle for about half a second.\v"
	"The table is printed every interval (default 1 s).  With -- CMD or -d, a summary of "
	"every deadlock during the run (when it formed, how long it lasted) and the longest "
	"waits is printed at the end; --json prints it as one object.\n\n"
	"Examples:\n"
	"  ipcscope blocked                 live, this IPC namespace\n"
	"  ipcscope blocked --ipcns 1234    the namespace of pid 1234\n"
	"  ipcscope blocked --json -- ./app\n"
	"  ipcscope blocked --fail-on deadlock -- ./app    for CI\n\n"
	"Exit status: 1 if a deadlock was found, else 0.  With -- CMD: CMD's status; "
	"with --fail-on deadlock, CMD's status if it failed, else 1 if a deadlock was "
	"found, else 0.  64 usage, 77 not privileged.",
	children, NULL, NULL,
};

static int cmd_blocked(int argc, char **argv)
{
	struct blocked_args a = { 0 };
	struct blocked_state b = { 0 };
	struct live_config cfg = { 0 };
	struct live_cmd cmd;
	struct run_loop rl = { 0 };
	struct ev_source *src;
	struct session s;
	int status, err;
	size_t dl = 0;

	opts_init(&a.o);
	status = opts_parse(&argp, argc, argv, &a, &a.o);
	if (status)
		return status;
	/* one namespace at a time: --ipcns, else our own */
	b.ipcns = a.o.ipcns ? a.o.ipcns : self_ipcns();
	if (a.o.ipcns && a.o.ipcns != self_ipcns()) {
		char arg[32];

		snprintf(arg, sizeof(arg), "%u", a.o.ipcns);
		if ((err = ipcns_enter(arg)))
			return errmsg(exit_for_errno(-err),
				      "cannot enter IPC namespace %u: %s: run as root", a.o.ipcns,
				      strerror(-err));
	}
	a.o.ipcns = b.ipcns;   /* the kernel-side filter too */
	b.o = &a.o;
	b.s = &s;
	b.live = NULL;
	b.print_interval = a.interval > 0 ? a.interval : (a.o.cmd_argv || a.o.duration ? 0 : 1);
	b.root = a.o.pid;   /* -p: that process and its descendants */
	wg_init(&b.g);

	cfg.opts = &a.o;
	cfg.calls = true;
	cfg.proc_events = true;
	cfg.no_start_snapshot = true;
	src = live_command_open(&s, &cfg, &cmd, &rl, &status);
	if (!src) {
		opts_finish(&a.o);
		return status;
	}
	if (rl.cmd)
		b.root = cmd.pid;
	b.live = src;
	b.undo = undo_open(b.ipcns, &err);
	if (!b.undo)
		warnmsg("SEM_UNDO holders unavailable (task iterator: %s): holders come from "
			"observed calls and GETPID only", strerror(-err));
	rl.duration = a.o.duration;
	rl.interval = SCAN_MS / 1000.0;
	rl.tick = tick;
	rl.ctx = &b;
	status = live_command_start(&rl);
	if (status)
		goto out;
	if (!rl.cmd && !a.o.json)
		fprintf(stderr, "Watching blocked IPC calls... Hit Ctrl-C to end.\n");
	jsonw_init(&b.w, a.o.out, false);
	status = blocked_session(&s, &a.o, &rl);
	for (size_t i = 0; i < b.ncycles; i++)
		dl += b.cycles[i].reported;
out:
	undo_close(b.undo);
	session_fini(&s);
	err = opts_finish(&a.o);
	wg_free(&b.g);
	wg_balance_free(&b.bal);
	free(b.waits);
	free(b.cycles);
	if (status || err)
		return status ? status : err;
	status = live_command_status(&rl, dl ? EXIT_FINDINGS : 0);
	return !status && dl && a.fail_on_deadlock ? EXIT_FINDINGS : status;
}

IPCSCOPE_COMMAND(blocked, cmd_blocked, "blocked IPC calls, their holders, deadlock cycles", 30);
