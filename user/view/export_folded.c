// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Folded stacks ("comm;outer;...;inner;leaf weight") for flamegraph.pl and
 * speedscope; see export.h.  Blocked calls are first aggregated by (pid,
 * stack id, call) so that each stack is symbolized once, then by the text
 * of the line, so equal stacks from different processes add up.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/summary.h"
#include "util/vec.h"
#include "view/export.h"

struct fold_raw {
	uint32_t pid;
	int32_t stack_id;
	uint8_t call;
	char comm[IPCS_COMM_LEN + 1];
	uint64_t weight;
};

struct fold_line {
	char *line;
	uint64_t weight;
};

struct folded {
	struct session *s;
	struct fold_raw *raw;
	size_t nraw, capraw;
	struct fold_line *lines;
	size_t nlines, caplines;
	bool oom;
};

struct folded *folded_new(struct session *s)
{
	struct folded *f = calloc(1, sizeof(*f));

	if (f)
		f->s = s;
	return f;
}

void folded_free(struct folded *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->nlines; i++)
		free(f->lines[i].line);
	free(f->lines);
	free(f->raw);
	free(f);
}

int folded_blocked_event(void *ctx, const struct ev_hdr *ev)
{
	struct folded *f = ctx;
	const struct ev_call *c = (const void *)ev;
	struct fold_raw *r;

	if (ev->type != EV_CALL || !summary_call_slept(c) || !c->lat_ns)
		return 0;
	if (vec_grow(f->raw, f->nraw, f->capraw)) {
		f->oom = true;
		return 0;
	}
	r = &f->raw[f->nraw++];
	memset(r, 0, sizeof(*r));
	r->pid = ev->pid;
	r->stack_id = c->stack_id;
	r->call = c->call;
	memcpy(r->comm, ev->comm, IPCS_COMM_LEN);
	r->weight = c->lat_ns;
	return 0;
}

/* Folded lines use ';' between frames and a space before the weight. */
static void clean(char *s)
{
	for (; *s; s++)
		if (*s == ';' || *s == '\n')
			*s = ':';
}

void folded_frame_name(const struct stack_frame *fr, char *buf, size_t len)
{
	const char *mod = strrchr(fr->module, '/');

	mod = mod ? mod + 1 : fr->module;
	if (fr->func[0])
		snprintf(buf, len, "%s", fr->func);
	else if (fr->module[0])
		snprintf(buf, len, "%s+0x%" PRIx64, mod, fr->file_offset);
	else if (fr->build_id_len) {
		char hex[2 * PROCMETA_BUILD_ID_MAX + 1];

		for (unsigned int i = 0; i < fr->build_id_len; i++)
			snprintf(hex + 2 * i, 3, "%02x", fr->build_id[i]);
		snprintf(buf, len, "[%s]+0x%" PRIx64, hex, fr->file_offset);
	} else {
		snprintf(buf, len, "0x%" PRIx64, fr->addr);
	}
	clean(buf);
}

static int add_line(struct folded *f, char *line, uint64_t weight)
{
	if (!line)
		return -ENOMEM;
	if (vec_grow(f->lines, f->nlines, f->caplines)) {
		free(line);
		return -ENOMEM;
	}
	f->lines[f->nlines].line = line;
	f->lines[f->nlines++].weight = weight;
	return 0;
}

int folded_add_frames(struct folded *f, const char *comm, const struct stack_frame *frames,
		      size_t nframes, const char *leaf, uint64_t weight)
{
	char *buf = NULL, name[320];
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	if (!m)
		return -ENOMEM;
	snprintf(name, sizeof(name), "%s", comm && comm[0] ? comm : "?");
	clean(name);
	fputs(name, m);
	if (!nframes)
		fputs(";[no stack]", m);
	for (size_t i = nframes; i-- > 0;) {      /* outermost first */
		folded_frame_name(&frames[i], name, sizeof(name));
		fprintf(m, ";%s", name);
	}
	if (leaf)
		fprintf(m, ";%s", leaf);
	if (fclose(m)) {
		free(buf);
		return -ENOMEM;
	}
	return add_line(f, buf, weight);
}

static int cmp_raw(const void *a, const void *b)
{
	const struct fold_raw *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->stack_id != y->stack_id)
		return x->stack_id < y->stack_id ? -1 : 1;
	if (x->call != y->call)
		return x->call < y->call ? -1 : 1;
	return strcmp(x->comm, y->comm);
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(((const struct fold_line *)a)->line, ((const struct fold_line *)b)->line);
}

static int flush_raw(struct folded *f)
{
	struct stack_frame frames[IPCS_STACK_DEPTH];
	struct stack_resolver res;
	int err = 0;

	if (f->nraw)
		qsort(f->raw, f->nraw, sizeof(*f->raw), cmp_raw);
	session_stack_resolver(f->s, &res);
	for (size_t i = 0; i < f->nraw && !err;) {
		const struct fold_raw *r = &f->raw[i];
		uint64_t w = 0;
		size_t n, k;

		for (k = i; k < f->nraw && !cmp_raw(&f->raw[k], r); k++)
			w += f->raw[k].weight;
		n = stack_resolve_id(&res, (int32_t)r->pid, r->stack_id, frames, IPCS_STACK_DEPTH);
		err = folded_add_frames(f, r->comm, frames, n, call_name(r->call), w);
		i = k;
	}
	stack_resolver_fini(&res);
	f->nraw = 0;
	return err;
}

int64_t folded_write(struct folded *f, FILE *out)
{
	uint64_t total = 0;
	int err;

	if (f->oom)
		return -ENOMEM;
	err = flush_raw(f);
	if (err)
		return err;
	if (f->nlines)
		qsort(f->lines, f->nlines, sizeof(*f->lines), cmp_line);
	for (size_t i = 0; i < f->nlines;) {
		uint64_t w = 0;
		size_t k;

		for (k = i; k < f->nlines && !strcmp(f->lines[k].line, f->lines[i].line); k++)
			w += f->lines[k].weight;
		if (w)
			fprintf(out, "%s %" PRIu64 "\n", f->lines[i].line, w);
		total += w;
		i = k;
	}
	return ferror(out) ? -EIO : (int64_t)total;
}
