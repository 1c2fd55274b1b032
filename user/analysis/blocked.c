// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Analysis: blocked calls and deadlocks, live and recorded; see blocked.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/blocked.h"
#include "util/vec.h"

struct blocked {
	struct blocked_opts o;
	uint64_t t0;                    /* trace start (live) */
	uint64_t nobs;                  /* live observations so far */
	uint32_t next_serial;
	uint64_t waits_dropped;         /* ended waits not kept (BLOCKED_KEEP_WAITS) */
	struct waitgraph g;
	struct wg_balance bal;          /* live: observed holders so far */
	struct blocked_wait *waits; size_t nwaits, capwaits;
	struct blocked_cycle *cycles; size_t ncycles, capcycles;
	/* recording: semaphore calls and exits, replayed in time order */
	struct ev_call *calls; size_t ncalls, capcalls;
	/* per observation: tracked wait of each graph waiter */
	size_t *wait_of; size_t capwait_of;
};

struct blocked *blocked_new(const struct blocked_opts *o)
{
	struct blocked *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->o = *o;
	if (!b->o.confirm_ns)
		b->o.confirm_ns = BLOCKED_CONFIRM_NS;
	wg_init(&b->g);
	return b;
}

void blocked_free(struct blocked *b)
{
	if (!b)
		return;
	wg_free(&b->g);
	wg_balance_free(&b->bal);
	free(b->waits);
	free(b->cycles);
	free(b->calls);
	free(b->wait_of);
	free(b);
}

void blocked_set_trace_start(struct blocked *b, uint64_t ns)
{
	b->t0 = ns;
}

uint64_t blocked_trace_start(const struct blocked *b)
{
	return b->t0;
}

static bool is_wait_call(uint8_t c)
{
	return c == CALL_SEMOP || c == CALL_SEMTIMEDOP || c == CALL_MSGSND || c == CALL_MSGRCV;
}

/* A call that went to sleep for at least the confirmation time. */
static bool long_wait(const struct blocked *b, const struct ev_call *c)
{
	if (c->lat_ns < b->o.confirm_ns)
		return false;
	/* off-CPU tracked: switched out without EVF_WAITED is preemption */
	return (c->flags & EVF_WAITED) || !c->offcpu_ns;
}

static void waiter_of_call(const struct ev_call *c, struct wg_waiter *w)
{
	memset(w, 0, sizeof(*w));
	w->pid = (int32_t)c->h.pid;
	w->tid = (int32_t)c->h.tid;
	memcpy(w->comm, c->h.comm, sizeof(w->comm));
	w->ipcns = c->h.ipcns;
	w->call = c->call;
	w->id = c->id;
	w->since_ns = c->h.ts_ns - c->lat_ns;
	w->nops = c->nsops_copied;
	memcpy(w->ops, c->sops, sizeof(w->ops));
	w->msg_size = c->size;
	w->mtype = c->mtype;
}

static struct blocked_wait *new_wait(struct blocked *b)
{
	struct blocked_wait *t;

	if (vec_grow(b->waits, b->nwaits, b->capwaits))
		return NULL;
	t = &b->waits[b->nwaits++];
	memset(t, 0, sizeof(*t));
	t->serial = ++b->next_serial;
	return t;
}

/* A wait known from its call's events: [exit - latency, exit), or open. */
static int add_call_wait(struct blocked *b, const struct ev_call *c, bool open)
{
	struct blocked_wait *t = new_wait(b);

	if (!t)
		return -ENOMEM;
	waiter_of_call(c, &t->w);
	t->start_ns = t->w.since_ns;
	t->start_known = true;
	t->open = open;
	t->end_ns = open ? UINT64_MAX : c->h.ts_ns;
	t->end_known = !open;
	return 0;
}

static const struct blocked_wait *wait_by_serial(const struct blocked *b, uint32_t serial);

/*
 * A cycle ended when its first member's call returned: once calls' events
 * give exact ends, the earliest replaces the last time it was seen.
 * serial: the cycles with that member wait; 0: every ended cycle.
 */
static void refine_cycle_ends(struct blocked *b, uint32_t serial)
{
	for (size_t c = 0; c < b->ncycles; c++) {
		struct blocked_cycle *cy = &b->cycles[c];
		uint64_t end = UINT64_MAX;
		bool member = false;

		if (cy->open)
			continue;
		for (size_t i = 0; i < cy->n; i++) {
			const struct blocked_wait *w = wait_by_serial(b, cy->serials[i]);

			member |= !serial || cy->serials[i] == serial;
			if (w && w->end_known && w->end_ns < end)
				end = w->end_ns;
		}
		if (member && end != UINT64_MAX && end >= cy->formed_ns)
			cy->end_ns = end;
	}
}

/* Live: the call that ends a tracked wait gives its exact end (and start). */
static bool end_tracked_wait(struct blocked *b, const struct ev_call *c)
{
	uint64_t start = c->h.ts_ns - c->lat_ns;

	for (size_t i = b->nwaits; i-- > 0;) {
		struct blocked_wait *t = &b->waits[i];

		if (t->w.tid != (int32_t)c->h.tid || t->w.call != c->call || t->w.id != c->id)
			continue;
		if (t->start_known ? t->start_ns != start : !(t->open || t->end_ns >= start))
			continue;
		if (!t->start_known && !t->before_trace) {
			t->start_ns = start;
			t->start_known = true;
		}
		t->end_ns = c->h.ts_ns;
		t->end_known = true;
		t->open = false;
		refine_cycle_ends(b, t->serial);
		return true;
	}
	return false;
}

/*
 * Replay: the recorder writes EV_BLOCK for a call that has waited a while
 * (so a recorder killed during a deadlock leaves it in the file); when the
 * call's EV_CALL follows, the open wait it started is that call's: close
 * it rather than count the wait twice.  Same thread, same start.
 */
static bool close_blocked(struct blocked *b, const struct ev_call *c)
{
	uint64_t start = c->h.ts_ns - c->lat_ns;

	for (size_t i = b->nwaits; i-- > 0;) {
		struct blocked_wait *t = &b->waits[i];

		if (!t->open || t->w.tid != (int32_t)c->h.tid || t->start_ns != start)
			continue;
		t->open = false;
		t->end_ns = c->h.ts_ns;
		t->end_known = true;
		return true;
	}
	return false;
}

int blocked_event(void *ctx, const struct ev_hdr *ev)
{
	struct blocked *b = ctx;
	const struct ev_call *c = (const struct ev_call *)ev;

	if (b->o.self_pid && ev->pid == b->o.self_pid)
		return 0;
	if (b->o.replay) {
		if (ev->type == EV_BLOCK && is_wait_call(c->call))
			return add_call_wait(b, c, true);
		if (ev->type == EV_EXIT) {
			struct ev_call x = { 0 };

			memcpy(&x.h, ev, sizeof(x.h));
			return vec_push(b->calls, b->ncalls, b->capcalls, x);
		}
		if (ev->type != EV_CALL)
			return 0;
		/* the call an EV_BLOCK said was still blocked has returned */
		if (is_wait_call(c->call) && close_blocked(b, c))
			return 0;
		if (is_wait_call(c->call) && long_wait(b, c) && add_call_wait(b, c, false))
			return -ENOMEM;
		if (call_kind(c->call) == KIND_SEM)
			return vec_push(b->calls, b->ncalls, b->capcalls, *c);
		return 0;
	}
	if (!b->o.balances_given)
		wg_balance_event(&b->bal, ev);
	if (ev->type != EV_CALL || !is_wait_call(c->call))
		return 0;
	if (!end_tracked_wait(b, c) && b->o.keep_history && long_wait(b, c))
		return add_call_wait(b, c, false);
	return 0;
}

int blocked_set_balances(struct blocked *b, const struct wg_balance_ent *v, size_t n)
{
	b->bal.n = 0;
	for (size_t i = 0; i < n; i++)
		if (b->o.self_pid == 0 || v[i].pid != (int32_t)b->o.self_pid)
			if (vec_push(b->bal.v, b->bal.n, b->bal.cap, v[i]))
				return -ENOMEM;
	return 0;
}

/* ---- observations: waits and cycles ---------------------------------- */

/*
 * The tracked wait a reading's waiter continues.  With a known start it is
 * the same call even if one reading missed it (a thread caught running
 * between two sleeps of one call), unless its return was seen.
 */
static struct blocked_wait *find_wait(struct blocked *b, const struct wg_waiter *w)
{
	for (size_t i = b->nwaits; i-- > 0;) {
		struct blocked_wait *t = &b->waits[i];

		if (t->w.tid != w->tid || t->w.call != w->call || t->w.id != w->id)
			continue;
		if (w->since_ns && t->start_known) {
			if (t->start_ns != w->since_ns || t->end_known)
				continue;   /* another call on the same object */
		} else if (!t->open) {
			continue;
		}
		t->open = true;
		return t;
	}
	return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* The graph's cycle c as tracked members; false if a member is unknown. */
static bool cycle_of_graph(struct blocked *b, size_t c, struct blocked_cycle *out)
{
	const struct wg_cycle *cy = &b->g.cycles[c];

	memset(out, 0, sizeof(*out));
	out->self = cy->self;
	out->n = cy->n < BLOCKED_MAX_CYCLE ? cy->n : BLOCKED_MAX_CYCLE;
	for (size_t i = 0; i < out->n; i++) {
		const struct wg_edge *e = &b->g.edges[cy->edges[i]];
		const struct wg_waiter *w = &b->g.waiters[e->waiter];
		const struct blocked_wait *t = &b->waits[b->wait_of[e->waiter]];

		out->nodes[i] = (struct blocked_node){ w->pid, w->tid, "", w->ipcns, e->semid,
						       e->semnum, e->sem_op, e->holder_pid,
						       e->evidence };
		memcpy(out->nodes[i].comm, w->comm, sizeof(w->comm));
		out->serials[i] = t->serial;
	}
	qsort(out->serials, out->n, sizeof(out->serials[0]), cmp_u32);
	return true;
}

static bool same_members(const struct blocked_cycle *x, const struct blocked_cycle *y)
{
	return x->n == y->n && !memcmp(x->serials, y->serials, x->n * sizeof(x->serials[0]));
}

static const struct blocked_wait *wait_by_serial(const struct blocked *b, uint32_t serial)
{
	size_t lo = 0, hi = b->nwaits;

	/* serials grow with the array, except after compaction: still sorted */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (b->waits[mid].serial < serial)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < b->nwaits && b->waits[lo].serial == serial ? &b->waits[lo] : NULL;
}

/*
 * When a cycle formed: the latest start of its members.  Members waiting
 * since before tracing began started no later than it; if all did, the
 * cycle formed before tracing began, and has been present since then.
 */
static void formation(const struct blocked *b, struct blocked_cycle *c)
{
	uint64_t formed = 0;
	bool any = false;

	for (size_t i = 0; i < c->n; i++) {
		const struct blocked_wait *t = wait_by_serial(b, c->serials[i]);

		if (!t || t->before_trace)
			continue;
		any = true;
		if (t->start_ns > formed)
			formed = t->start_ns;
	}
	c->formed_before_trace = !any;
	c->formed_ns = any ? formed : b->t0;
}

/* Later observations know more (see blocked.h): keep the latest evidence. */
static void refresh_evidence(struct blocked_cycle *t, const struct blocked_cycle *cur)
{
	for (size_t i = 0; i < t->n; i++)
		for (size_t j = 0; j < cur->n; j++)
			if (t->nodes[i].tid == cur->nodes[j].tid &&
			    t->nodes[i].semid == cur->nodes[j].semid &&
			    t->nodes[i].semnum == cur->nodes[j].semnum) {
				t->nodes[i].evidence = cur->nodes[j].evidence;
				t->nodes[i].waits_for = cur->nodes[j].waits_for;
			}
}

/*
 * The cycles of the solved graph at event time `now`: the same members as
 * a tracked open cycle continue it; new ones are tracked from here.  With
 * `only_confirmed` (replay, which looks at chosen moments) a cycle is
 * tracked only once it is confirmed.
 */
static int track_cycles(struct blocked *b, uint64_t now, bool only_confirmed)
{
	for (size_t c = 0; c < b->g.ncycles; c++) {
		struct blocked_cycle cur, *t = NULL;

		cycle_of_graph(b, c, &cur);
		for (size_t i = 0; i < b->ncycles && !t; i++)
			if (same_members(&b->cycles[i], &cur))
				t = &b->cycles[i];
		if (!t) {
			formation(b, &cur);
			cur.confirmed = now >= cur.formed_ns + b->o.confirm_ns;
			if (only_confirmed && !cur.confirmed)
				continue;
			if (vec_grow(b->cycles, b->ncycles, b->capcycles))
				return -ENOMEM;
			t = &b->cycles[b->ncycles++];
			*t = cur;
		}
		refresh_evidence(t, &cur);
		t->open = true;
		t->end_ns = now;
		if (!t->confirmed)
			t->confirmed = now >= t->formed_ns + b->o.confirm_ns;
	}
	return 0;
}

static int build_graph(struct blocked *b, const struct wait_facts *f, const struct wg_balance *bal)
{
	int err;

	wg_reset(&b->g);
	b->g.use_lastpid = b->o.use_lastpid;
	if (f && (err = wg_add_facts(&b->g, f)))
		return err;
	if ((err = wg_balance_export(bal, &b->g)))
		return err;
	return wg_solve(&b->g);
}

/* Who each waiter waits for, from the solved graph. */
static void note_holders(struct blocked *b)
{
	for (size_t i = 0; i < b->g.nwaiters; i++)
		b->waits[b->wait_of[i]].nholders = 0;
	for (size_t e = 0; e < b->g.nedges; e++) {
		struct blocked_wait *t = &b->waits[b->wait_of[b->g.edges[e].waiter]];

		if (t->nholders < BLOCKED_MAX_HOLDERS) {
			t->holders[t->nholders] = b->g.edges[e].holder_pid;
			t->holder_evid[t->nholders++] = b->g.edges[e].evidence;
		}
	}
}

/* Top and metrics keep only what is open now: memory stays bounded. */
static void drop_closed(struct blocked *b)
{
	size_t j = 0;

	for (size_t i = 0; i < b->nwaits; i++)
		if (b->waits[i].open)
			b->waits[j++] = b->waits[i];
	b->nwaits = j;
	j = 0;
	for (size_t i = 0; i < b->ncycles; i++)
		if (b->cycles[i].open)
			b->cycles[j++] = b->cycles[i];
	b->ncycles = j;
}

/*
 * Live memory stays bounded however long the run: cycles that ended without
 * being confirmed are forgotten, and of the ended waits only the
 * BLOCKED_KEEP_WAITS longest are kept for the summary (the rest counted).
 */
static void bound_history(struct blocked *b, uint64_t now)
{
	size_t j = 0, ended = 0;

	for (size_t i = 0; i < b->ncycles; i++)
		if (b->cycles[i].open || b->cycles[i].confirmed)
			b->cycles[j++] = b->cycles[i];
	b->ncycles = j;
	for (size_t i = 0; i < b->nwaits; i++)
		ended += !b->waits[i].open;
	while (ended > BLOCKED_KEEP_WAITS) {
		size_t shortest = SIZE_MAX;
		uint64_t len = UINT64_MAX;

		for (size_t i = 0; i < b->nwaits; i++) {
			const struct blocked_wait *t = &b->waits[i];
			uint64_t l = (t->open ? now : t->end_ns) - t->start_ns;

			if (!t->open && l < len) {
				len = l;
				shortest = i;
			}
		}
		memmove(&b->waits[shortest], &b->waits[shortest + 1],
			(b->nwaits - shortest - 1) * sizeof(*b->waits));
		b->nwaits--;
		ended--;
		b->waits_dropped++;
	}
}

int blocked_observe(struct blocked *b, uint64_t now, const struct wait_facts *f)
{
	struct wait_facts mine = *f;   /* same holds and values, our waiters */
	struct wg_waiter *ws = NULL;
	int err = 0;

	if (!b->t0)
		b->t0 = now;
	if (f->nwaiters && !(ws = malloc(f->nwaiters * sizeof(*ws))))
		return -ENOMEM;
	if (vec_reserve(b->wait_of, b->capwait_of, f->nwaiters + 1)) {
		free(ws);
		return -ENOMEM;
	}
	/* waits: continue the tracked ones, start the new ones */
	for (size_t i = 0; i < f->nwaiters; i++) {
		struct blocked_wait *t = find_wait(b, &f->waiters[i]);

		if (!t) {
			if (!(t = new_wait(b))) {
				err = -ENOMEM;
				break;
			}
			t->open = true;
			if (f->waiters[i].since_ns) {
				t->start_ns = f->waiters[i].since_ns;
				t->start_known = true;
			} else if (!b->nobs) {
				t->start_ns = b->t0;   /* blocked before we looked */
				t->before_trace = true;
			} else {
				t->start_ns = now;     /* began since the last look */
			}
		}
		t->w = f->waiters[i];
		t->w.since_ns = t->start_ns;
		t->end_ns = now;   /* seen now */
		ws[i] = t->w;
		b->wait_of[i] = (size_t)(t - b->waits);
	}
	for (size_t i = 0; i < b->nwaits; i++)
		if (b->waits[i].open && b->waits[i].end_ns != now)
			b->waits[i].open = false;   /* returned: its EV_CALL may refine the end */
	mine.waiters = ws;
	if (!err)
		err = build_graph(b, &mine, &b->bal);
	if (!err) {
		note_holders(b);
		for (size_t i = 0; i < b->ncycles; i++)
			b->cycles[i].open = false;
		err = track_cycles(b, now, false);
		refine_cycle_ends(b, 0);
	}
	free(ws);
	b->nobs++;
	if (!b->o.keep_history)
		drop_closed(b);
	else
		bound_history(b, now);
	return err;
}

/* ---- recordings -------------------------------------------------------- */

static int cmp_call_ts(const void *a, const void *b)
{
	const struct ev_call *x = a, *y = b;

	return (x->h.ts_ns > y->h.ts_ns) - (x->h.ts_ns < y->h.ts_ns);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/*
 * A confirmed cycle formed at F is present at F + confirm_ns, and F is the
 * start of one of its members: looking at start + confirm_ns of every wait
 * finds each deadlock exactly once, at the moment it is confirmed.  The
 * holders at that moment are the balances of the calls completed by then.
 */
int blocked_replay(struct blocked *b, uint64_t end_ns)
{
	struct wg_balance bal = { 0 };
	struct wait_facts f = { 0 };
	uint64_t *when = NULL;
	size_t nwhen = 0, next = 0;
	int err = 0;

	if (!b->nwaits)
		return 0;
	qsort(b->calls, b->ncalls, sizeof(*b->calls), cmp_call_ts);
	for (size_t i = 0; i < b->nwaits; i++)
		if (b->waits[i].open)
			b->waits[i].end_ns = UINT64_MAX;
	when = calloc(b->nwaits, sizeof(*when));
	if (!when || vec_reserve(b->wait_of, b->capwait_of, b->nwaits + 1)) {
		free(when);
		return -ENOMEM;
	}
	for (size_t i = 0; i < b->nwaits; i++) {
		uint64_t t = b->waits[i].start_ns + b->o.confirm_ns;

		if (t < b->waits[i].end_ns && t <= end_ns)
			when[nwhen++] = t;
	}
	qsort(when, nwhen, sizeof(*when), cmp_u64);
	for (size_t k = 0; k < nwhen && !err; k++) {
		uint64_t t = when[k];

		if (k && when[k - 1] == t)
			continue;
		while (next < b->ncalls && b->calls[next].h.ts_ns <= t)
			wg_balance_event(&bal, &b->calls[next++].h);
		wait_facts_reset(&f);
		for (size_t i = 0; i < b->nwaits && !err; i++) {
			const struct blocked_wait *w = &b->waits[i];

			if (w->start_ns > t || w->end_ns <= t)
				continue;
			b->wait_of[f.nwaiters] = i;
			err = wait_facts_add_waiter(&f, &w->w);
		}
		if (!err)
			err = build_graph(b, &f, &bal);
		if (!err) {
			note_holders(b);
			err = track_cycles(b, t, true);
		}
	}
	/* a cycle ended when its first member's call returned */
	for (size_t c = 0; c < b->ncycles; c++) {
		struct blocked_cycle *cy = &b->cycles[c];
		uint64_t end = UINT64_MAX;

		for (size_t i = 0; i < cy->n; i++) {
			const struct blocked_wait *w = wait_by_serial(b, cy->serials[i]);

			if (w && w->end_ns < end)
				end = w->end_ns;
		}
		cy->open = end == UINT64_MAX;
		cy->end_ns = cy->open ? end_ns : end;
	}
	for (size_t i = 0; i < b->nwaits; i++)
		if (b->waits[i].open)
			b->waits[i].end_ns = end_ns;
	wait_facts_free(&f);
	wg_balance_free(&bal);
	free(when);
	return err;
}

/* ---- results ----------------------------------------------------------- */

size_t blocked_nwaits(const struct blocked *b) { return b->nwaits; }
uint64_t blocked_waits_dropped(const struct blocked *b) { return b->waits_dropped; }

const struct blocked_wait *blocked_wait_at(const struct blocked *b, size_t i)
{
	return i < b->nwaits ? &b->waits[i] : NULL;
}

size_t blocked_ncycles(const struct blocked *b) { return b->ncycles; }

const struct blocked_cycle *blocked_cycle_at(const struct blocked *b, size_t i)
{
	return i < b->ncycles ? &b->cycles[i] : NULL;
}

const struct blocked_cycle *blocked_next_deadlock(struct blocked *b)
{
	for (size_t i = 0; i < b->ncycles; i++)
		if (b->cycles[i].confirmed && !b->cycles[i].announced) {
			b->cycles[i].announced = true;
			return &b->cycles[i];
		}
	return NULL;
}

size_t blocked_deadlocks(const struct blocked *b)
{
	size_t n = 0;

	for (size_t i = 0; i < b->ncycles; i++)
		n += b->cycles[i].confirmed;
	return n;
}

size_t blocked_deadlocks_now(const struct blocked *b)
{
	size_t n = 0;

	for (size_t i = 0; i < b->ncycles; i++)
		n += b->cycles[i].confirmed && b->cycles[i].open;
	return n;
}

bool blocked_set_deadlocked(const struct blocked *b, uint32_t ipcns, int32_t semid)
{
	for (size_t i = 0; i < b->ncycles; i++) {
		const struct blocked_cycle *c = &b->cycles[i];

		if (!c->confirmed || !c->open)
			continue;
		for (size_t k = 0; k < c->n; k++)
			if (c->nodes[k].semid == semid && (!ipcns || c->nodes[k].ipcns == ipcns))
				return true;
	}
	return false;
}

uint32_t blocked_queue_waiters(const struct blocked *b, int32_t id)
{
	uint32_t n = 0;

	for (size_t i = 0; i < b->nwaits; i++) {
		const struct blocked_wait *t = &b->waits[i];

		n += t->open && (t->w.call == CALL_MSGSND || t->w.call == CALL_MSGRCV) &&
		     (id < 0 || t->w.id == id);
	}
	return n;
}

size_t blocked_open_waits(const struct blocked *b)
{
	size_t n = 0;

	for (size_t i = 0; i < b->nwaits; i++)
		n += b->waits[i].open;
	return n;
}

uint64_t blocked_pending_until(const struct blocked *b)
{
	uint64_t until = 0;

	for (size_t i = 0; i < b->ncycles; i++) {
		const struct blocked_cycle *c = &b->cycles[i];
		uint64_t t = c->formed_ns + b->o.confirm_ns;

		if (c->open && !c->confirmed && (!until || t < until))
			until = t;
	}
	return until;
}
