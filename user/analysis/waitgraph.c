// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Wait-for graph over blocked semops; see waitgraph.h for the model. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>

#include "analysis/waitgraph.h"
#include "util/vec.h"

void wg_init(struct waitgraph *g)
{
	memset(g, 0, sizeof(*g));
	g->use_lastpid = true;
}

static void free_cycles(struct waitgraph *g)
{
	for (size_t i = 0; i < g->ncycles; i++)
		free(g->cycles[i].edges);
	g->ncycles = 0;
}

void wg_reset(struct waitgraph *g)
{
	free_cycles(g);
	g->nwaiters = g->nholds = g->nvals = g->nedges = 0;
}

void wg_free(struct waitgraph *g)
{
	free_cycles(g);
	free(g->waiters);
	free(g->holds);
	free(g->vals);
	free(g->edges);
	free(g->cycles);
	memset(g, 0, sizeof(*g));
}

int wg_add_waiter(struct waitgraph *g, const struct wg_waiter *w)
{
	return vec_push(g->waiters, g->nwaiters, g->capw, *w);
}

int wg_add_hold(struct waitgraph *g, const struct wg_hold *h)
{
	return vec_push(g->holds, g->nholds, g->caph, *h);
}

int wg_add_value(struct waitgraph *g, const struct wg_semval *v)
{
	return vec_push(g->vals, g->nvals, g->capv, *v);
}

int wg_add_facts(struct waitgraph *g, const struct wait_facts *f)
{
	int err = 0;

	for (size_t i = 0; !err && i < f->nwaiters; i++)
		err = wg_add_waiter(g, &f->waiters[i]);
	for (size_t i = 0; !err && i < f->nholds; i++)
		err = wg_add_hold(g, &f->holds[i]);
	for (size_t i = 0; !err && i < f->nvals; i++)
		err = wg_add_value(g, &f->vals[i]);
	return err;
}

const char *wg_evidence_name(uint32_t e)
{
	if (e & EVID_UNDO)
		return "undo";
	if (e & EVID_OBSERVED)
		return "observed";
	if (e & EVID_LASTPID)
		return "lastpid";
	return "none";
}

static const struct wg_semval *find_val(const struct waitgraph *g, uint32_t ns, int32_t id,
					uint16_t num)
{
	for (size_t i = 0; i < g->nvals; i++)
		if (g->vals[i].semid == id && g->vals[i].semnum == num && g->vals[i].ipcns == ns)
			return &g->vals[i];
	return NULL;
}

static int add_edge(struct waitgraph *g, size_t w, int32_t holder, int32_t id, uint16_t num,
		    int16_t op, uint32_t evid)
{
	struct wg_edge e = { w, holder, id, num, op, evid };

	/* one edge per (waiter, holder, semaphore): merge the evidence */
	for (size_t i = 0; i < g->nedges; i++) {
		struct wg_edge *x = &g->edges[i];

		if (x->waiter == w && x->holder_pid == holder && x->semid == id && x->semnum == num) {
			x->evidence |= evid;
			return 0;
		}
	}
	return vec_push(g->edges, g->nedges, g->cape, e);
}

static int edges_for_op(struct waitgraph *g, size_t wi, const struct ipcs_sembuf *op)
{
	const struct wg_waiter *w = &g->waiters[wi];
	bool named = false;
	int err;

	for (size_t i = 0; i < g->nholds; i++) {
		const struct wg_hold *h = &g->holds[i];

		if (h->semid != w->id || h->semnum != op->num || h->ipcns != w->ipcns)
			continue;
		/* op < 0 waits for a taker to give back; op == 0 for a feeder to take */
		if ((op->op < 0 && h->amount <= 0) || (op->op == 0 && h->amount >= 0))
			continue;
		if ((err = add_edge(g, wi, h->pid, w->id, op->num, op->op, h->evidence)))
			return err;
		named = true;
	}
	if (!named && g->use_lastpid) {
		const struct wg_semval *v = find_val(g, w->ipcns, w->id, op->num);

		if (v && v->lastpid > 0 && v->lastpid != w->pid)
			return add_edge(g, wi, v->lastpid, w->id, op->num, op->op, EVID_LASTPID);
	}
	return 0;
}

/* Edges from one semop waiter: every operation that cannot proceed now. */
static int edges_for_waiter(struct waitgraph *g, size_t wi)
{
	const struct wg_waiter *w = &g->waiters[wi];
	uint32_t n = w->nops < WG_MAX_OPS ? w->nops : WG_MAX_OPS;

	for (uint32_t i = 0; i < n; i++) {
		const struct ipcs_sembuf *op = &w->ops[i];
		const struct wg_semval *v = find_val(g, w->ipcns, w->id, op->num);
		int32_t val;
		int err;

		if (!v) {
			/* unknown value: a decrement or zero-wait may be what blocks */
			if (op->op > 0)
				continue;
		} else {
			/* ops on one semaphore in one call apply in order */
			val = v->value;
			for (uint32_t j = 0; j < i; j++)
				if (w->ops[j].num == op->num)
					val += w->ops[j].op;
			if (!wg_op_blocks(op->op, val))
				continue;
		}
		if ((err = edges_for_op(g, wi, op)))
			return err;
	}
	return 0;
}

/* ---- cycles: strongly connected components over blocked pids ---- */

struct tarjan {
	struct waitgraph *g;
	int32_t *pids;          /* distinct blocked pids (graph nodes) */
	size_t n;
	int *index, *low, *comp;
	bool *on;
	size_t *stack, sp;
	int counter, ncomp;
};

static long node_of(const struct tarjan *t, int32_t pid)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->pids[i] == pid)
			return (long)i;
	return -1;
}

static void strongconnect(struct tarjan *t, size_t v)
{
	t->index[v] = t->low[v] = t->counter++;
	t->stack[t->sp++] = v;
	t->on[v] = true;
	for (size_t e = 0; e < t->g->nedges; e++) {
		const struct wg_edge *x = &t->g->edges[e];
		long w;

		if (t->g->waiters[x->waiter].pid != t->pids[v])
			continue;
		w = node_of(t, x->holder_pid);
		if (w < 0)
			continue;   /* holder is not blocked: no cycle through it */
		if (t->index[w] < 0) {
			strongconnect(t, (size_t)w);
			if (t->low[w] < t->low[v])
				t->low[v] = t->low[w];
		} else if (t->on[w] && t->index[w] < t->low[v]) {
			t->low[v] = t->index[w];
		}
	}
	if (t->low[v] == t->index[v]) {
		size_t w;

		do {
			w = t->stack[--t->sp];
			t->on[w] = false;
			t->comp[w] = t->ncomp;
		} while (w != v);
		t->ncomp++;
	}
}

/* First edge from pid `from` to pid `to` (optionally requiring it). */
static long edge_between(const struct waitgraph *g, int32_t from, int32_t to)
{
	long best = -1;

	for (size_t e = 0; e < g->nedges; e++) {
		const struct wg_edge *x = &g->edges[e];

		if (g->waiters[x->waiter].pid != from || x->holder_pid != to)
			continue;
		/* prefer the strongest evidence */
		if (best < 0 || (x->evidence & (EVID_UNDO | EVID_OBSERVED)) >
				(g->edges[best].evidence & (EVID_UNDO | EVID_OBSERVED)))
			best = (long)e;
	}
	return best;
}

/* A shortest cycle through node s inside its component (BFS). */
static int extract_cycle(struct waitgraph *g, struct tarjan *t, size_t s)
{
	size_t n = t->n, *queue, *prev, qh = 0, qt = 0, *path, len = 0;
	bool *seen;
	long hit = -1;
	struct wg_cycle c = { 0 };
	int err = -ENOMEM;

	queue = calloc(n, sizeof(*queue));
	prev = calloc(n, sizeof(*prev));
	seen = calloc(n, sizeof(*seen));
	path = calloc(n + 1, sizeof(*path));
	if (!queue || !prev || !seen || !path)
		goto out;
	queue[qt++] = s;
	seen[s] = true;
	while (qh < qt && hit < 0) {
		size_t u = queue[qh++];

		for (size_t v = 0; v < n; v++) {
			if (t->comp[v] != t->comp[s] || edge_between(g, t->pids[u], t->pids[v]) < 0)
				continue;
			if (v == s) {
				hit = (long)u;
				break;
			}
			if (!seen[v]) {
				seen[v] = true;
				prev[v] = u;
				queue[qt++] = v;
			}
		}
	}
	if (hit < 0) {
		err = 0;
		goto out;
	}
	/* path s -> ... -> hit, then back to s */
	for (size_t u = (size_t)hit;; u = prev[u]) {
		path[len++] = u;
		if (u == s)
			break;
	}
	c.edges = calloc(len, sizeof(*c.edges));
	if (!c.edges)
		goto out;
	for (size_t i = 0; i < len; i++) {
		size_t from = path[len - 1 - i];
		size_t to = i + 1 < len ? path[len - 2 - i] : s;

		c.edges[c.n++] = (size_t)edge_between(g, t->pids[from], t->pids[to]);
	}
	c.self = len == 1;
	err = vec_push(g->cycles, g->ncycles, g->capc, c);
	if (err)
		free(c.edges);
out:
	free(queue);
	free(prev);
	free(seen);
	free(path);
	return err;
}

static int find_cycles(struct waitgraph *g)
{
	struct tarjan t = { .g = g };
	int err = -ENOMEM;
	bool *done = NULL;

	t.pids = calloc(g->nwaiters + 1, sizeof(*t.pids));
	if (!t.pids)
		return -ENOMEM;
	for (size_t i = 0; i < g->nwaiters; i++)
		if (node_of(&t, g->waiters[i].pid) < 0)
			t.pids[t.n++] = g->waiters[i].pid;
	t.index = malloc((t.n + 1) * sizeof(int));
	t.low = malloc((t.n + 1) * sizeof(int));
	t.comp = malloc((t.n + 1) * sizeof(int));
	t.on = calloc(t.n + 1, sizeof(bool));
	t.stack = malloc((t.n + 1) * sizeof(size_t));
	done = calloc(t.n + 1, sizeof(bool));
	if (!t.index || !t.low || !t.comp || !t.on || !t.stack || !done)
		goto out;
	for (size_t i = 0; i < t.n; i++)
		t.index[i] = -1;
	for (size_t i = 0; i < t.n; i++)
		if (t.index[i] < 0)
			strongconnect(&t, i);
	err = 0;
	for (size_t i = 0; i < t.n && !err; i++) {
		int size = 0;
		long self;

		if (done[t.comp[i]])
			continue;
		for (size_t j = 0; j < t.n; j++)
			size += t.comp[j] == t.comp[i];
		self = edge_between(g, t.pids[i], t.pids[i]);
		/*
		 * A self-wait counts only on kernel evidence: a consumer that
		 * took earlier items is not holding what it waits for now.
		 */
		if (size == 1 && (self < 0 || !(g->edges[self].evidence & EVID_UNDO)))
			continue;
		done[t.comp[i]] = true;
		err = extract_cycle(g, &t, i);
	}
out:
	free(t.pids);
	free(t.index);
	free(t.low);
	free(t.comp);
	free(t.on);
	free(t.stack);
	free(done);
	return err;
}

int wg_solve(struct waitgraph *g)
{
	int err;

	free_cycles(g);
	g->nedges = 0;
	for (size_t i = 0; i < g->nwaiters; i++) {
		uint8_t c = g->waiters[i].call;

		if (c != CALL_SEMOP && c != CALL_SEMTIMEDOP)
			continue;
		if ((err = edges_for_waiter(g, i)))
			return err;
	}
	return find_cycles(g);
}

/* ---- observed balances ---- */

void wg_balance_free(struct wg_balance *b)
{
	free(b->v);
	memset(b, 0, sizeof(*b));
}

static struct wg_balance_ent *bal_get(struct wg_balance *b, uint32_t ns, int32_t id,
				      uint16_t num, int32_t pid)
{
	struct wg_balance_ent e = { ns, id, num, pid, 0 };

	/* recent entries are the likeliest: search backwards */
	for (size_t i = b->n; i-- > 0;) {
		struct wg_balance_ent *x = &b->v[i];

		if (x->semid == id && x->semnum == num && x->pid == pid && x->ipcns == ns)
			return x;
	}
	if (vec_push(b->v, b->n, b->cap, e))
		return NULL;
	return &b->v[b->n - 1];
}

void wg_balance_forget_id(struct wg_balance *b, uint32_t ns, int32_t id)
{
	size_t j = 0;

	for (size_t i = 0; i < b->n; i++)
		if (!(b->v[i].semid == id && b->v[i].ipcns == ns))
			b->v[j++] = b->v[i];
	b->n = j;
}

void wg_balance_forget_pid(struct wg_balance *b, int32_t pid)
{
	size_t j = 0;

	for (size_t i = 0; i < b->n; i++)
		if (b->v[i].pid != pid)
			b->v[j++] = b->v[i];
	b->n = j;
}

void wg_balance_event(struct wg_balance *b, const struct ev_hdr *ev)
{
	const struct ev_call *c = (const struct ev_call *)ev;

	if (ev->type == EV_EXIT) {
		/* SEM_UNDO is applied at exit; plain takes are lost with it */
		wg_balance_forget_pid(b, (int32_t)ev->pid);
		return;
	}
	if (ev->type != EV_CALL || c->ret < 0)
		return;
	switch (c->call) {
	case CALL_SEMOP:
	case CALL_SEMTIMEDOP:
		for (unsigned int i = 0; i < c->nsops_copied && i < IPCS_MAX_SOPS; i++) {
			struct wg_balance_ent *e;

			if (!c->sops[i].op)
				continue;
			e = bal_get(b, ev->ipcns, c->id, c->sops[i].num, (int32_t)ev->pid);
			if (e)
				e->net += c->sops[i].op;
		}
		break;
	case CALL_SEMGET:
		/* a (re)created id starts clean */
		wg_balance_forget_id(b, ev->ipcns, (int32_t)c->ret);
		break;
	case CALL_SEMCTL:
		if (c->cmd == IPC_RMID || c->cmd == SETVAL || c->cmd == SETALL)
			wg_balance_forget_id(b, ev->ipcns, c->id);
		break;
	}
}

int wg_balance_export(const struct wg_balance *b, struct waitgraph *g)
{
	for (size_t i = 0; i < b->n; i++) {
		const struct wg_balance_ent *e = &b->v[i];
		int64_t amount = -e->net;   /* took (net < 0) -> holds a positive amount */
		struct wg_hold h = { e->pid, e->ipcns, e->semid, e->semnum, 0, EVID_OBSERVED };

		if (amount > INT32_MAX)
			amount = INT32_MAX;
		if (amount < -INT32_MAX)
			amount = -INT32_MAX;
		h.amount = (int32_t)amount;
		int err;

		if (!e->net)
			continue;
		if ((err = wg_add_hold(g, &h)))
			return err;
	}
	return 0;
}
