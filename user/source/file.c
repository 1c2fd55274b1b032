// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Replaying a recording as a session; see file.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipcscope.h"
#include "record/codec.h"
#include "record/format.h"
#include "record/reader.h"
#include "source/file.h"
#include "util/vec.h"

struct stack_rec {
	int32_t id;
	uint32_t n;
	uint64_t ips[IPCS_STACK_DEPTH];
};

struct file_source {
	struct ev_source src;            /* first: the session holds &src */
	struct rec_reader rd;
	int fd;
	struct file_info info;
	struct rec_chunk *ev;            /* event chunks, in file order */
	size_t nev, capev, next_ev;
	struct stack_rec *stacks;        /* sorted by id after open */
	size_t nstacks, capstacks;
	struct ipc_snapshot *latest;     /* the last snapshot in the file */
	char *argv_note, *cmd_note;
	uint64_t last_ts;                /* last event time seen while replaying */
};

static struct file_source *fs_of(const struct session *s)
{
	return s && s->src && s->src->name && !strcmp(s->src->name, "file")
	       ? (struct file_source *)s->src : NULL;
}

/* ------------------------------------------------------------ replay */

static int fs_poll(struct ev_source *src, int timeout_ms)
{
	struct file_source *fs = (struct file_source *)src;
	struct rec_chunk c = { 0 };
	bool got = false;
	int delivered = 0;
	size_t o = 0;

	(void)timeout_ms;
	while (!got && fs->next_ev < fs->nev) {
		c = fs->ev[fs->next_ev++];
		/* Re-verified: a chunk that changed since open is skipped. */
		got = rec_reader_load(&fs->rd, &c) == 0;
		if (!got)
			src->bus->malformed++;
	}
	if (!got)
		return -ENODATA;
	while (o + sizeof(struct ev_hdr) <= c.len) {
		const struct ev_hdr *h = (const struct ev_hdr *)(c.data + o);
		size_t sz = h->size;
		int r;

		if (sz < sizeof(*h) || sz > c.len - o) {
			src->bus->malformed++;      /* the rest of the chunk is unusable */
			break;
		}
		if (h->ts_ns > fs->last_ts)
			fs->last_ts = h->ts_ns;
		r = ev_bus_emit(src->bus, h, sz);
		delivered++;
		if (r) {
			/* a sink failed or asked to stop: no more events, and the
			 * session says why (not a normal end of file) */
			if (!src->sink_status)
				src->sink_status = r;
			fs->next_ev = fs->nev;
			break;
		}
		o += (sz + REC_EV_ALIGN - 1) & ~(size_t)(REC_EV_ALIGN - 1);
	}
	free(c.data);
	return delivered;
}

static uint64_t fs_lost(struct ev_source *src)
{
	return ((struct file_source *)src)->info.lost_events;
}

static void fs_destroy(struct ev_source *src)
{
	struct file_source *fs = (struct file_source *)src;

	rec_reader_close(&fs->rd);
	if (fs->fd >= 0)
		close(fs->fd);
	if (fs->latest) {
		rec_snapshot_clear(fs->latest);
		free(fs->latest);
	}
	free(fs->ev);
	free(fs->stacks);
	free(fs->argv_note);
	free(fs->cmd_note);
	free(fs);
}

/* ------------------------------------------------------------ loading */

static int cmp_stack(const void *a, const void *b)
{
	const struct stack_rec *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

int file_stack_ips(struct session *s, int32_t id, uint64_t *ips, size_t max)
{
	struct file_source *fs = fs_of(s);
	struct stack_rec key = { .id = id }, *e;
	size_t n;

	if (!fs || !fs->nstacks)
		return -ENOENT;
	e = bsearch(&key, fs->stacks, fs->nstacks, sizeof(*e), cmp_stack);
	if (!e)
		return -ENOENT;
	n = e->n < max ? e->n : max;
	memcpy(ips, e->ips, n * sizeof(*ips));
	return (int)n;
}

static int load_stacks(struct file_source *fs, struct rcur *r)
{
	uint32_t n = rcur_count(r, 8);

	for (uint32_t i = 0; i < n && !r->bad; i++) {
		struct stack_rec *e;
		uint32_t nf;

		if (vec_grow(fs->stacks, fs->nstacks, fs->capstacks))
			return -ENOMEM;
		e = &fs->stacks[fs->nstacks];
		e->id = (int32_t)rcur_u32(r);
		nf = rcur_u32(r);
		if (nf > IPCS_STACK_DEPTH) {
			r->bad = true;
			break;
		}
		e->n = nf;
		for (uint32_t k = 0; k < nf; k++)
			e->ips[k] = rcur_u64(r);
		if (!r->bad)
			fs->nstacks++;
	}
	return r->bad ? -EBADMSG : 0;
}

static int load_procs(struct session *s, struct rcur *r)
{
	uint32_t n = rcur_count(r, 30);

	for (uint32_t i = 0; i < n && !r->bad; i++) {
		struct proc_meta m;
		int err = rec_decode_procmeta(r, &m);

		if (err)
			return err;
		if (s->procs && !procmeta_put(s->procs, &m)) {
			free(m.maps);
			return -ENOMEM;
		}
		free(m.maps);
	}
	return r->bad ? -EBADMSG : 0;
}

static int load_snapshot(struct file_source *fs, struct session *s, struct rcur *r)
{
	struct ipc_snapshot *snap = calloc(1, sizeof(*snap));
	struct ipc_snapshot **slot;
	unsigned int role;
	int err;

	if (!snap)
		return -ENOMEM;
	err = rec_decode_snapshot(r, &role, snap);
	if (err) {
		free(snap);
		return err;
	}
	fs->info.nsnapshots++;
	/* Keep a copy of the latest for snapshot_now(), whatever its role. */
	if (!fs->latest && !(fs->latest = calloc(1, sizeof(*fs->latest)))) {
		err = -ENOMEM;
	} else {
		rec_snapshot_clear(fs->latest);
		err = rec_snapshot_copy(fs->latest, snap);
	}
	slot = role == REC_SNAP_START ? &s->start : role == REC_SNAP_END ? &s->end : NULL;
	if (slot && !err) {
		if (*slot) {
			rec_snapshot_clear(*slot);
			free(*slot);
		}
		*slot = snap;
	} else {
		rec_snapshot_clear(snap);
		free(snap);
	}
	return err;
}

static int load_notes(struct file_source *fs, struct rcur *r)
{
	uint32_t n = rcur_count(r, 4);

	for (uint32_t i = 0; i < n && !r->bad; i++) {
		char key[64], val[4096];

		rcur_str(r, key, sizeof(key));
		rcur_str(r, val, sizeof(val));
		if (!r->bad && !strcmp(key, "argv")) {
			free(fs->argv_note);
			fs->argv_note = strdup(val);
			fs->info.argv = fs->argv_note;
		} else if (!r->bad && !strcmp(key, "cmd")) {
			free(fs->cmd_note);
			fs->cmd_note = strdup(val);
			fs->info.cmd = fs->cmd_note;
		} else if (!r->bad && !strcmp(key, "kinds")) {
			fs->info.kinds = (unsigned int)strtoul(val, NULL, 0) & 0xe;
		}
	}
	return r->bad ? -EBADMSG : 0;
}

/* One non-event chunk into the session. */
static int load_chunk(struct file_source *fs, struct session *s, const struct rec_chunk *c)
{
	struct rcur r;

	rcur_init(&r, c->data, c->len);
	switch (c->type) {
	case REC_CHUNK_SNAPSHOT:
		return load_snapshot(fs, s, &r);
	case REC_CHUNK_PROCMETA:
		return load_procs(s, &r);
	case REC_CHUNK_STACKS:
		return load_stacks(fs, &r);
	case REC_CHUNK_NOTE:
		return load_notes(fs, &r);
	case REC_CHUNK_LOST:
		fs->info.lost_events = rcur_u64(&r);
		fs->info.malformed = rcur_u64(&r);
		if (!r.bad) {
			uint64_t ts = rcur_u64(&r);

			if (ts > fs->info.end_mono_ns)
				fs->info.end_mono_ns = ts;
		}
		return r.bad ? -EBADMSG : 0;
	case REC_CHUNK_END:
		fs->info.end_mono_ns = rcur_u64(&r);
		fs->info.end_real_ns = (int64_t)rcur_u64(&r);
		fs->info.events_recorded = rcur_u64(&r);
		fs->info.lost_events = rcur_u64(&r);
		return r.bad ? -EBADMSG : 0;
	default:
		return 0;      /* unknown types are skipped: newer writers may add some */
	}
}

static int snapshot_now(struct session *s, struct ipc_snapshot *out)
{
	struct file_source *fs = fs_of(s);
	const struct ipc_snapshot *src = fs ? fs->latest : NULL;

	memset(out, 0, sizeof(*out));
	if (!src)
		return -ENOENT;
	return rec_snapshot_copy(out, src);
}

static int add_event_chunk(struct file_source *fs, const struct rec_chunk *c)
{
	if (vec_grow(fs->ev, fs->nev, fs->capev))
		return -ENOMEM;
	fs->ev[fs->nev++] = *c;
	fs->info.event_chunks++;
	return 0;
}

static int load(struct session *s, struct file_source *fs, const char *name)
{
	struct rec_chunk c;
	int r;

	fs->rd.skip_inflate = 1u << REC_CHUNK_EVENTS;
	while ((r = rec_reader_next(&fs->rd, &c)) > 0) {
		int err = 0;

		if (c.type == REC_CHUNK_EVENTS) {
			c.data = NULL;
			err = add_event_chunk(fs, &c);
		} else {
			err = load_chunk(fs, s, &c);
			free(c.data);
			if (err == -EBADMSG) {
				/* Good CRC, bad content: a writer bug, not disk damage. */
				fs->info.corrupt++;
				if (!fs->rd.quiet)
					warnmsg("'%s': chunk %u (%s) at offset %" PRIu64
						" does not decode: skipped it", name, c.seq,
						rec_chunk_name(c.type), c.off);
				err = 0;
			}
		}
		if (err)
			return errmsg(EX_OSERR, "reading '%s': %s", name, strerror(-err));
	}
	if (r < 0)
		return errmsg(EX_OSERR, "reading '%s': %s", name, strerror(-r));

	fs->info.host = fs->rd.host;
	fs->info.chunks = fs->rd.chunks;
	fs->info.corrupt += fs->rd.corrupt;
	fs->info.truncated = fs->rd.truncated;
	fs->info.ended = fs->rd.ended;
	fs->info.nstacks = (uint32_t)fs->nstacks;
	if (fs->nstacks)
		qsort(fs->stacks, fs->nstacks, sizeof(*fs->stacks), cmp_stack);
	fs->info.nprocs = 0;
	while (procmeta_at(s->procs, fs->info.nprocs))
		fs->info.nprocs++;
	if (!fs->rd.chunks && fs->rd.quiet)
		return EX_DATAERR;
	if (!fs->rd.chunks && fs->rd.warn_pending)
		return errmsg(EX_DATAERR, "%s; no readable chunk: the file is damaged beyond use",
			      fs->rd.last_warning);
	if (!fs->rd.chunks)
		return errmsg(EX_DATAERR, "'%s' holds no readable chunk: nothing was recorded, or the file is damaged beyond use",
			      name);
	return 0;
}

static int open_common(struct session *s, struct file_source *fs, int err, const char *name)
{
	char msg[512];
	int status;

	memset(s, 0, sizeof(*s));
	ev_bus_init(&s->bus);
	fs->src.name = "file";
	fs->src.bus = &s->bus;
	fs->src.wait_fd = -1;       /* a file is always readable: no run loop waits */
	fs->src.poll = fs_poll;
	fs->src.lost = fs_lost;
	fs->src.destroy = fs_destroy;
	s->src = &fs->src;
	if (err) {
		status = err < 0 ? exit_for_errno(-err) : EX_DATAERR;
		if (!fs->rd.quiet)
			errmsg(status, "%s", rec_open_strerror(&fs->rd, err, msg, sizeof(msg)));
		file_session_close(s);
		return status;
	}
	s->procs = procmeta_new();
	if (!s->procs) {
		file_session_close(s);
		return errmsg(EX_OSERR, "out of memory");
	}
	status = load(s, fs, name);
	if (status) {
		file_session_close(s);
		return status;
	}
	fs->src.mono_to_real_ns = fs->info.host.mono_to_real_ns;
	fs->src.boot_mono_ns = fs->info.host.start_mono_ns;
	s->live = false;
	s->mono_to_real_ns = fs->info.host.mono_to_real_ns;
	s->ipcns = fs->info.host.ipcns;
	s->snapshot_now = snapshot_now;
	s->stack_ips = file_stack_ips;
	s->lost_events = fs->info.lost_events;
	return 0;
}

static struct file_source *fs_new(void)
{
	struct file_source *fs = calloc(1, sizeof(*fs));

	if (fs)
		fs->fd = -1;
	return fs;
}

int file_session_open(struct session *s, const char *path)
{
	struct file_source *fs;
	int fd, err;

	memset(s, 0, sizeof(*s));
	fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : dup(0);
	if (fd < 0) {
		err = errno;
		return errmsg(err == ENOENT ? EX_NOINPUT : exit_for_errno(err),
			      "cannot open '%s': %s: give the file written by `ipcscope record -o FILE`",
			      path, strerror(err));
	}
	fs = fs_new();
	if (!fs) {
		close(fd);
		return errmsg(EX_OSERR, "out of memory");
	}
	fs->fd = fd;
	err = rec_reader_open_fd(&fs->rd, fd, path);
	if (err == -EISDIR) {
		/* missing input, as for a path that does not exist (not "internal") */
		fs_destroy(&fs->src);
		return errmsg(EX_NOINPUT, "'%s' is a directory: give the file written by "
			      "`ipcscope record -o FILE`", path);
	}
	return open_common(s, fs, err, path);
}

int file_session_open_mem(struct session *s, const void *p, size_t len, const char *name,
			  bool quiet)
{
	struct file_source *fs = fs_new();
	int err;

	memset(s, 0, sizeof(*s));
	if (!fs)
		return EX_OSERR;
	err = rec_reader_open_mem(&fs->rd, p, len, name);
	fs->rd.quiet = quiet;
	return open_common(s, fs, err, name);
}

void file_session_close(struct session *s)
{
	if (s->src && s->src->destroy)
		s->src->destroy(s->src);
	s->src = NULL;
	if (s->start) {
		rec_snapshot_clear(s->start);
		free(s->start);
	}
	if (s->end) {
		rec_snapshot_clear(s->end);
		free(s->end);
	}
	s->start = s->end = NULL;
	procmeta_free(s->procs);
	s->procs = NULL;
}

const struct file_info *file_session_info(const struct session *s)
{
	struct file_source *fs = fs_of(s);

	if (!fs)
		return NULL;
	if (!fs->info.ended && fs->last_ts > fs->info.end_mono_ns)
		fs->info.end_mono_ns = fs->last_ts;
	return &fs->info;
}
