// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Chrome Trace Event JSON for Perfetto and chrome://tracing; see export.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/summary.h"
#include "util/vec.h"
#include "view/export.h"
#include "view/jsonw.h"

/* One call slice or one instant. */
struct pf_ev {
	uint64_t ts;               /* start, ns since base */
	uint64_t dur;
	uint64_t lat, offcpu;
	int64_t ret;
	uint32_t pid, tid, seq;
	int32_t id, key, err;
	uint8_t type, call, kind, slept;
	char *label;               /* instants: malloc'd name; NULL for slices */
};

struct pf_thread {
	uint32_t pid, tid;
	char comm[IPCS_COMM_LEN];
};

struct perfetto {
	uint64_t base;
	struct pf_ev *v;
	size_t n, cap;
	struct pf_thread *th;      /* last comm per tid */
	size_t nth, capth;
	size_t slices;
	bool oom;
};

struct perfetto *perfetto_new(uint64_t base_ns)
{
	struct perfetto *p = calloc(1, sizeof(*p));

	if (p)
		p->base = base_ns;
	return p;
}

void perfetto_free(struct perfetto *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i].label);
	free(p->v);
	free(p->th);
	free(p);
}

size_t perfetto_slices(const struct perfetto *p)
{
	return p->slices;
}

static struct pf_ev *add(struct perfetto *p)
{
	if (vec_grow(p->v, p->n, p->cap)) {
		p->oom = true;
		return NULL;
	}
	memset(&p->v[p->n], 0, sizeof(p->v[0]));
	p->v[p->n].seq = (uint32_t)p->n;
	return &p->v[p->n++];
}

static void note_thread(struct perfetto *p, const struct ev_hdr *h)
{
	/* Threads are few and mostly repeat: check the last ones first. */
	for (size_t i = p->nth; i-- > 0;)
		if (p->th[i].tid == h->tid && p->th[i].pid == h->pid) {
			memcpy(p->th[i].comm, h->comm, IPCS_COMM_LEN);
			return;
		}
	if (vec_grow(p->th, p->nth, p->capth)) {
		p->oom = true;
		return;
	}
	p->th[p->nth].pid = h->pid;
	p->th[p->nth].tid = h->tid;
	memcpy(p->th[p->nth].comm, h->comm, IPCS_COMM_LEN);
	p->nth++;
}

static uint64_t rel(const struct perfetto *p, uint64_t ts)
{
	return ts > p->base ? ts - p->base : 0;
}

int perfetto_event(void *ctx, const struct ev_hdr *h)
{
	struct perfetto *p = ctx;
	struct pf_ev *e;
	char label[96];

	switch (h->type) {
	case EV_CALL:
	case EV_BLOCK: {
		const struct ev_call *c = (const void *)h;

		note_thread(p, h);
		if (!(e = add(p)))
			return 0;
		e->type = (uint8_t)h->type;
		e->ts = rel(p, h->ts_ns > c->lat_ns ? h->ts_ns - c->lat_ns : h->ts_ns);
		e->dur = c->lat_ns;
		e->lat = c->lat_ns;
		e->offcpu = c->offcpu_ns;
		e->ret = c->ret;
		e->pid = h->pid;
		e->tid = h->tid;
		e->id = c->id;
		e->key = c->key;
		e->err = c->err;
		e->call = c->call;
		e->kind = c->kind;
		e->slept = h->type == EV_BLOCK || summary_call_slept(c);
		p->slices++;
		return 0;
	}
	case EV_FORK:
		snprintf(label, sizeof(label), "fork %u", ((const struct ev_proc *)h)->child_pid);
		break;
	case EV_EXEC:
		snprintf(label, sizeof(label), "exec %.64s", ((const struct ev_proc *)h)->filename);
		break;
	case EV_EXIT:
		snprintf(label, sizeof(label), "exit %d", ((const struct ev_proc *)h)->exit_code);
		break;
	case EV_CREATE: {
		const struct ev_create *c = (const void *)h;

		snprintf(label, sizeof(label), "created %s %d", kind_name(c->kind), c->id);
		break;
	}
	default:
		return 0;
	}
	note_thread(p, h);
	if (!(e = add(p)))
		return 0;
	e->label = strdup(label);
	e->type = (uint8_t)h->type;
	e->ts = rel(p, h->ts_ns);
	e->pid = h->pid;
	e->tid = h->tid;
	return 0;
}

int perfetto_global_instant(struct perfetto *p, uint64_t ts_ns, const char *name,
			    const char *detail)
{
	struct pf_ev *e = add(p);

	if (!e)
		return -ENOMEM;
	e->label = strdup(name);
	e->ts = rel(p, ts_ns);
	e->type = 0;               /* global */
	(void)detail;
	return 0;
}

static int cmp_ev(const void *a, const void *b)
{
	const struct pf_ev *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int cmp_thread(const void *a, const void *b)
{
	const struct pf_thread *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return (x->tid > y->tid) - (x->tid < y->tid);
}

/* Events are top-level values to jsonw; the array around them is ours. */
static void begin(struct jsonw *w)
{
	if (w->need_comma[0])
		fputs(",\n", w->f);
	w->need_comma[0] = false;
	jsonw_start_object(w);
}

static void meta(struct jsonw *w, const char *what, uint32_t pid, uint32_t tid, const char *name)
{
	begin(w);
	jsonw_string_field(w, "name", what);
	jsonw_string_field(w, "ph", "M");
	jsonw_uint_field(w, "pid", pid);
	jsonw_uint_field(w, "tid", tid);
	jsonw_name(w, "args");
	jsonw_start_object(w);
	jsonw_string_field(w, "name", name);
	jsonw_end_object(w);
	jsonw_end_object(w);
}

static void comm_str(char *out, const char *comm)
{
	memcpy(out, comm, IPCS_COMM_LEN);
	out[IPCS_COMM_LEN] = '\0';
}

int perfetto_write(struct perfetto *p, FILE *f, const struct procmeta_cache *procs)
{
	struct jsonw w;
	char comm[IPCS_COMM_LEN + 1], name[160];

	if (p->oom)
		return -ENOMEM;
	if (p->n)
		qsort(p->v, p->n, sizeof(*p->v), cmp_ev);
	if (p->nth)
		qsort(p->th, p->nth, sizeof(*p->th), cmp_thread);
	/* One JSON object per line inside the array: diff- and grep-friendly. */
	fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n", f);
	jsonw_init(&w, f, false);
	for (size_t i = 0; i < p->nth; i++) {
		const struct pf_thread *t = &p->th[i];

		if (i == 0 || t->pid != p->th[i - 1].pid) {
			const struct proc_meta *m = procmeta_get(procs, (int32_t)t->pid);
			const char *pn = NULL;

			for (size_t k = i; k < p->nth && p->th[k].pid == t->pid; k++)
				if (p->th[k].tid == t->pid) {
					comm_str(comm, p->th[k].comm);
					pn = comm;
				}
			if (!pn && m && m->comm[0])
				pn = m->comm;
			if (!pn) {
				comm_str(comm, t->comm);
				pn = comm;
			}
			snprintf(name, sizeof(name), "%s %u", pn, t->pid);
			meta(&w, "process_name", t->pid, t->pid, name);
		}
		comm_str(comm, t->comm);
		snprintf(name, sizeof(name), "%s %u", comm, t->tid);
		meta(&w, "thread_name", t->pid, t->tid, name);
	}
	for (size_t i = 0; i < p->n; i++) {
		const struct pf_ev *e = &p->v[i];

		begin(&w);
		if (e->label) {
			jsonw_string_field(&w, "name", e->label);
			jsonw_string_field(&w, "cat", e->type ? ev_type_name(e->type) : "analysis");
			jsonw_string_field(&w, "ph", "i");
			jsonw_string_field(&w, "s", e->type ? "t" : "g");
			jsonw_name(&w, "ts");
			jsonw_decimal(&w, (int64_t)e->ts, 3);
			jsonw_uint_field(&w, "pid", e->pid);
			jsonw_uint_field(&w, "tid", e->tid);
			jsonw_end_object(&w);
			continue;
		}
		if (e->id >= 0)
			snprintf(name, sizeof(name), "%s %s %d", call_name(e->call), kind_name(e->kind), e->id);
		else
			snprintf(name, sizeof(name), "%s %s", call_name(e->call), kind_name(e->kind));
		jsonw_string_field(&w, "name", name);
		jsonw_string_field(&w, "cat", e->slept ? "ipc,blocked" : "ipc");
		jsonw_string_field(&w, "ph", "X");
		jsonw_name(&w, "ts");
		jsonw_decimal(&w, (int64_t)e->ts, 3);
		jsonw_name(&w, "dur");
		jsonw_decimal(&w, (int64_t)e->dur, 3);
		jsonw_uint_field(&w, "pid", e->pid);
		jsonw_uint_field(&w, "tid", e->tid);
		jsonw_name(&w, "args");
		jsonw_start_object(&w);
		jsonw_string_field(&w, "call", call_name(e->call));
		jsonw_string_field(&w, "kind", kind_name(e->kind));
		jsonw_int_field(&w, "id", e->id);
		if (e->call == CALL_SHMGET || e->call == CALL_SEMGET || e->call == CALL_MSGGET)
			jsonw_uint_field(&w, "key", (uint32_t)e->key);
		if (e->type == EV_BLOCK) {
			jsonw_bool_field(&w, "unfinished", true);
		} else {
			jsonw_int_field(&w, "ret", e->ret);
			jsonw_string_field(&w, "errno", errno_name(e->err));
		}
		jsonw_uint_field(&w, "lat_ns", e->lat);
		jsonw_uint_field(&w, "offcpu_ns", e->offcpu);
		jsonw_bool_field(&w, "blocked", e->slept);
		jsonw_end_object(&w);
		jsonw_end_object(&w);
	}
	fputs("\n]}\n", f);
	return ferror(f) ? -EIO : 0;
}
