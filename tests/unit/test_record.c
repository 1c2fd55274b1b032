// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests for the recording format: writer -> reader round trip of every
 * chunk type, truncation at every byte offset, a flipped byte at every
 * offset, wrong magic, newer version, damaged header, write errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "event.h"
#include "record/codec.h"
#include "record/format.h"
#include "record/reader.h"
#include "record/writer.h"
#include "source/file.h"
#include "analyses.h"
#include "ipcscope.h"
#include "analysis/summary.h"
#include "view/export.h"

/* ------------------------------------------------------------ fixtures */

static void make_snapshot(struct ipc_snapshot *s, int salt)
{
	memset(s, 0, sizeof(*s));
	s->ipcns = 0xeffff123u;
	s->taken_ns = 1000000 + salt;
	s->taken_real = 1700000000 + salt;
	s->warnings = 1;
	s->nshm = 2;
	s->shm = calloc(2, sizeof(*s->shm));
	s->shm[0].c = (struct ipc_common){ .id = 32768, .key = 0x1234, .mode = 0600 | 01000,
					   .uid = 1000, .gid = 1000, .cuid = 0, .cgid = 0,
					   .ctime = 1700000001, .ipcns = s->ipcns };
	s->shm[0].size = 1 << 20;
	s->shm[0].cpid = 42;
	s->shm[0].lpid = 43;
	s->shm[0].nattch = 2;
	s->shm[0].atime = -1;
	s->shm[0].rss = 4096;
	s->shm[0].dest = true;
	s->shm[0].hugetlb = true;
	s->shm[0].attached = malloc(2 * sizeof(int32_t));
	s->shm[0].attached[0] = 42;
	s->shm[0].attached[1] = 43;
	s->shm[0].nattached = 2;
	s->shm[1].c.id = 5 + salt;
	s->shm[1].c.key = -1;
	s->nsem = 2;
	s->sem = calloc(2, sizeof(*s->sem));
	s->sem[0].c.id = 7;
	s->sem[0].nsems = 3;
	s->sem[0].otime = 99;
	s->sem[0].sems = calloc(3, sizeof(struct sem_val));
	for (int i = 0; i < 3; i++)
		s->sem[0].sems[i] = (struct sem_val){ .val = i - 1, .ncnt = i, .zcnt = 2 * i, .pid = 100 + i };
	s->sem[1].c.id = 8;
	s->sem[1].nsems = 4;           /* semctl failed: no values */
	s->nmsg = 1;
	s->msg = calloc(1, sizeof(*s->msg));
	s->msg[0].c.id = 9;
	s->msg[0].cbytes = 300;
	s->msg[0].qnum = 3;
	s->msg[0].qbytes = 16384;
	s->msg[0].lspid = 50;
	s->msg[0].lrpid = 51;
	s->msg[0].stime = 5;
	s->msg[0].rtime = 6;
}

static void assert_snapshot_equal(const struct ipc_snapshot *a, const struct ipc_snapshot *b)
{
	assert_int_equal(a->ipcns, b->ipcns);
	assert_int_equal(a->taken_ns, b->taken_ns);
	assert_int_equal(a->taken_real, b->taken_real);
	assert_int_equal(a->warnings, b->warnings);
	assert_int_equal(a->nshm, b->nshm);
	assert_int_equal(a->nsem, b->nsem);
	assert_int_equal(a->nmsg, b->nmsg);
	for (size_t i = 0; i < a->nshm; i++) {
		assert_memory_equal(&a->shm[i].c, &b->shm[i].c, sizeof(a->shm[i].c));
		assert_int_equal(a->shm[i].size, b->shm[i].size);
		assert_int_equal(a->shm[i].cpid, b->shm[i].cpid);
		assert_int_equal(a->shm[i].lpid, b->shm[i].lpid);
		assert_int_equal(a->shm[i].nattch, b->shm[i].nattch);
		assert_int_equal(a->shm[i].atime, b->shm[i].atime);
		assert_int_equal(a->shm[i].rss, b->shm[i].rss);
		assert_int_equal(a->shm[i].dest, b->shm[i].dest);
		assert_int_equal(a->shm[i].locked, b->shm[i].locked);
		assert_int_equal(a->shm[i].hugetlb, b->shm[i].hugetlb);
		assert_int_equal(a->shm[i].nattached, b->shm[i].nattached);
		if (a->shm[i].nattached)
			assert_memory_equal(a->shm[i].attached, b->shm[i].attached,
					    a->shm[i].nattached * sizeof(int32_t));
	}
	for (size_t i = 0; i < a->nsem; i++) {
		assert_memory_equal(&a->sem[i].c, &b->sem[i].c, sizeof(a->sem[i].c));
		assert_int_equal(a->sem[i].nsems, b->sem[i].nsems);
		assert_int_equal(a->sem[i].otime, b->sem[i].otime);
		assert_int_equal(!a->sem[i].sems, !b->sem[i].sems);
		if (a->sem[i].sems)
			assert_memory_equal(a->sem[i].sems, b->sem[i].sems,
					    a->sem[i].nsems * sizeof(struct sem_val));
	}
	for (size_t i = 0; i < a->nmsg; i++)
		assert_memory_equal(&a->msg[i], &b->msg[i], sizeof(a->msg[i]));
}

static void make_procmeta(struct proc_meta *m, int32_t pid)
{
	memset(m, 0, sizeof(*m));
	m->pid = pid;
	m->ppid = 1;
	m->uid = 1000;
	m->cgroup_id = 0x1122334455667788ull;
	m->ipcns = 0xeffff123u;
	strcpy(m->comm, "worker");
	strcpy(m->cmdline, "./worker --leak 3");
	strcpy(m->exe, "/usr/bin/worker");
	strcpy(m->cgroup, "/system.slice/x.service");
	m->exited = true;
	m->exit_ts_ns = 555;
	m->nmaps = 2;
	m->maps = calloc(2, sizeof(*m->maps));
	m->maps[0] = (struct proc_map){ .start = 0x400000, .end = 0x401000, .pgoff = 0x1000,
					.path = "/usr/bin/worker", .build_id_len = 20 };
	for (int i = 0; i < 20; i++)
		m->maps[0].build_id[i] = (uint8_t)(0xa0 + i);
	m->maps[1] = (struct proc_map){ .start = 0x7f0000000000, .end = 0x7f0000200000,
					.path = "/usr/lib/libc.so.6", .build_id_len = 0 };
}

/* Events: calls, a process event, a creation context with a cut stack copy. */
#define NEV 7
static union {
	struct ev_call call;
	struct ev_proc proc;
	struct ev_create create;
} events[NEV];

static void make_events(void)
{
	memset(events, 0, sizeof(events));
	for (int i = 0; i < NEV; i++) {
		struct ev_hdr *h = &events[i].call.h;

		h->ts_ns = 1000 + 10 * i;
		h->pid = 42;
		h->tid = 42 + i;
		h->cpu = i;
		strcpy(h->comm, "worker");
		if (i == 2) {
			h->type = EV_EXEC;
			h->size = sizeof(struct ev_proc);
			strcpy(events[i].proc.filename, "/usr/bin/worker");
		} else if (i == 4) {
			h->type = EV_CREATE;
			/* an odd size: the writer pads to 8, the reader must skip it */
			h->size = offsetof(struct ev_create, stack) + 101;
			events[i].create.stack_len = 101;
			events[i].create.stack_id = 3;
			for (int k = 0; k < 101; k++)
				events[i].create.stack[k] = (uint8_t)k;
			strcpy(events[i].create.cmdline, "./worker");
		} else {
			h->type = EV_CALL;
			h->size = sizeof(struct ev_call);
			events[i].call.call = CALL_SEMOP;
			events[i].call.kind = KIND_SEM;
			events[i].call.id = 7;
			events[i].call.lat_ns = 1000000ull * i;
			events[i].call.stack_id = i == 1 ? 3 : -1;
		}
	}
}

struct file { uint8_t *p; size_t len; };

/* A complete recording: every chunk type, NEV events in 3 event chunks. */
static struct file write_recording(void)
{
	int fd = memfd_create("rec", 0);
	struct rec_host h;
	struct rec_writer *w;
	struct ipc_snapshot s1, s2;
	struct proc_meta m;
	uint64_t ips[3] = { 0x400123, 0x7f0000001234, 0x400456 };
	struct file f;
	struct stat st;
	int err = 0;

	assert_true(fd >= 0);
	rec_host_fill(&h);
	snprintf(h.hostname, sizeof(h.hostname), "testhost");
	w = rec_writer_new(fd, &h, &err);
	assert_non_null(w);
	assert_int_equal(rec_writer_note(w, "argv", "ipcscope record -o x -- ./worker"), 0);
	make_snapshot(&s1, 0);
	assert_int_equal(rec_writer_snapshot(w, REC_SNAP_START, &s1), 0);
	make_procmeta(&m, 42);
	assert_int_equal(rec_writer_procmeta(w, &m), 0);
	assert_int_equal(rec_writer_stack(w, 3, ips, 3), 0);
	assert_true(rec_writer_has_stack(w, 3));
	assert_int_equal(rec_writer_stack(w, 3, ips, 1), 0);   /* ignored: known */
	make_events();
	for (int i = 0; i < NEV; i++) {
		assert_int_equal(rec_writer_event(w, &events[i].call.h), 0);
		if (i == 2 || i == 4)
			assert_int_equal(rec_writer_flush(w), 0);
	}
	rec_writer_lost(w, 17, 2);
	make_snapshot(&s2, 1);
	assert_int_equal(rec_writer_snapshot(w, REC_SNAP_END, &s2), 0);
	assert_int_equal(rec_writer_finish(w, 99999, 1700000099000000000ll), 0);
	assert_int_equal(rec_writer_stats(w)->events, NEV);
	rec_writer_free(w);
	rec_snapshot_clear(&s1);
	rec_snapshot_clear(&s2);
	free(m.maps);

	assert_int_equal(fstat(fd, &st), 0);
	f.len = (size_t)st.st_size;
	f.p = malloc(f.len);
	assert_int_equal(pread(fd, f.p, f.len, 0), (ssize_t)f.len);
	close(fd);
	return f;
}

/* Events replayed from a session, compared with what was written. */
struct collect {
	int n;
	int idx[NEV];
};

static int collect_sink(void *ctx, const struct ev_hdr *ev)
{
	struct collect *c = ctx;
	int i;

	for (i = 0; i < NEV; i++)
		if (events[i].call.h.ts_ns == ev->ts_ns)
			break;
	assert_true(i < NEV);
	assert_int_equal(ev->size, events[i].call.h.size);
	assert_memory_equal(ev, &events[i], ev->size);
	assert_true(c->n < NEV);
	c->idx[c->n++] = i;
	return 0;
}

static int replay(struct session *s, struct collect *c)
{
	int n;

	memset(c, 0, sizeof(*c));
	ev_bus_add(&s->bus, collect_sink, c);
	while ((n = s->src->poll(s->src, 0)) != -ENODATA)
		assert_true(n >= 0);
	return c->n;
}

/* ------------------------------------------------------------ tests */

static void test_round_trip(void **state)
{
	struct file f = write_recording();
	struct session s;
	struct collect c;
	struct ipc_snapshot want, now;
	struct proc_meta m;
	const struct proc_meta *got;
	const struct file_info *fi;
	uint64_t ips[IPCS_STACK_DEPTH];

	assert_int_equal(file_session_open_mem(&s, f.p, f.len, "mem", true), 0);
	fi = file_session_info(&s);
	assert_non_null(fi);
	assert_true(fi->ended);
	assert_false(fi->truncated);
	assert_int_equal(fi->corrupt, 0);
	assert_int_equal(fi->host.version, REC_VERSION);
	assert_int_equal(fi->host.abi, IPCS_ABI_VERSION);
	assert_string_equal(fi->host.hostname, "testhost");
	assert_int_equal(fi->events_recorded, NEV);
	assert_int_equal(fi->event_chunks, 3);
	assert_int_equal(fi->lost_events, 17);
	assert_int_equal(fi->malformed, 2);
	assert_int_equal(fi->end_mono_ns, 99999);
	assert_string_equal(fi->argv, "ipcscope record -o x -- ./worker");
	assert_int_equal(s.lost_events, 17);
	assert_false(s.live);

	make_snapshot(&want, 0);
	assert_non_null(s.start);
	assert_snapshot_equal(s.start, &want);
	rec_snapshot_clear(&want);
	make_snapshot(&want, 1);
	assert_non_null(s.end);
	assert_snapshot_equal(s.end, &want);
	assert_int_equal(s.snapshot_now(&s, &now), 0);
	assert_snapshot_equal(&now, &want);
	assert_ptr_not_equal(now.shm, s.end->shm);   /* a copy the caller owns */
	rec_snapshot_clear(&now);
	rec_snapshot_clear(&want);

	make_procmeta(&m, 42);
	got = procmeta_get(s.procs, 42);
	assert_non_null(got);
	assert_string_equal(got->comm, m.comm);
	assert_string_equal(got->cmdline, m.cmdline);
	assert_string_equal(got->exe, m.exe);
	assert_string_equal(got->cgroup, m.cgroup);
	assert_int_equal(got->cgroup_id, m.cgroup_id);
	assert_int_equal(got->exited, true);
	assert_int_equal(got->exit_ts_ns, 555);
	assert_int_equal(got->nmaps, 2);
	assert_memory_equal(&got->maps[0], &m.maps[0], sizeof(m.maps[0]));
	assert_string_equal(got->maps[1].path, "/usr/lib/libc.so.6");
	free(m.maps);

	assert_int_equal(s.stack_ips(&s, 3, ips, IPCS_STACK_DEPTH), 3);
	assert_int_equal(ips[0], 0x400123);
	assert_int_equal(ips[2], 0x400456);
	assert_int_equal(s.stack_ips(&s, 4, ips, IPCS_STACK_DEPTH), -ENOENT);

	assert_int_equal(replay(&s, &c), NEV);
	for (int i = 0; i < NEV; i++)
		assert_int_equal(c.idx[i], i);          /* file order = written order */
	assert_int_equal(s.bus.malformed, 0);
	file_session_close(&s);
	free(f.p);
}

/* Offsets just past each complete chunk, found by reading the good file. */
static size_t chunk_ends(const struct file *f, uint64_t *ends, uint16_t *types, size_t max)
{
	struct rec_reader r;
	struct rec_chunk c;
	size_t n = 0;

	assert_int_equal(rec_reader_open_mem(&r, f->p, f->len, "mem"), 0);
	r.quiet = true;
	while (rec_reader_next(&r, &c) > 0) {
		assert_true(n < max);
		ends[n] = c.off + REC_CHUNK_HDR_LEN + c.clen;
		types[n++] = c.type;
		free(c.data);
	}
	assert_true(r.ended);
	assert_int_equal(ends[n - 1], f->len);
	rec_reader_close(&r);
	return n;
}

static void test_truncation_every_offset(void **state)
{
	struct file f = write_recording();
	uint64_t ends[32];
	uint16_t types[32];
	size_t nchunks = chunk_ends(&f, ends, types, 32);

	for (size_t len = 0; len < f.len; len++) {
		/* a private copy so ASan catches any read past len */
		uint8_t *p = malloc(len ? len : 1);
		struct session s;
		struct collect c;
		size_t complete = 0, ev_chunks = 0;
		int status;

		memcpy(p, f.p, len);
		for (size_t i = 0; i < nchunks; i++)
			if (ends[i] <= len) {
				complete++;
				ev_chunks += types[i] == REC_CHUNK_EVENTS;
			}
		status = file_session_open_mem(&s, p, len, "mem", true);
		if (complete == 0) {
			assert_int_equal(status, 65);
			free(p);
			continue;
		}
		assert_int_equal(status, 0);
		const struct file_info *fi = file_session_info(&s);

		assert_true(fi->truncated);
		assert_false(fi->ended);
		assert_int_equal(fi->chunks, complete);
		assert_int_equal(fi->corrupt, 0);
		assert_int_equal(fi->event_chunks, ev_chunks);
		/* 3 events in the first event chunk, 2 in each of the others */
		assert_int_equal(replay(&s, &c), ev_chunks == 0 ? 0 : ev_chunks == 1 ? 3 :
						   ev_chunks == 2 ? 5 : NEV);
		file_session_close(&s);
		free(p);
	}
	free(f.p);
}

static void test_truncated_message(void **state)
{
	struct file f = write_recording();
	uint64_t ends[32];
	uint16_t types[32];
	size_t n = chunk_ends(&f, ends, types, 32);
	struct rec_reader r;
	struct rec_chunk c;
	char want[128];

	/* cut inside the second-last chunk */
	assert_int_equal(rec_reader_open_mem(&r, f.p, ends[n - 2] - 5, "x.rec"), 0);
	r.quiet = true;
	while (rec_reader_next(&r, &c) > 0)
		free(c.data);
	snprintf(want, sizeof(want), "'x.rec' is truncated at offset %llu (chunk %zu, snapshot",
		 (unsigned long long)ends[n - 3], n - 2);
	assert_non_null(strstr(r.last_warning, want));
	assert_int_equal(r.chunks, n - 2);

	/* cut exactly at a chunk boundary: no end marker */
	assert_int_equal(rec_reader_open_mem(&r, f.p, ends[n - 2], "x.rec"), 0);
	r.quiet = true;
	while (rec_reader_next(&r, &c) > 0)
		free(c.data);
	assert_true(r.truncated);
	assert_non_null(strstr(r.last_warning, "no end marker"));
	free(f.p);
}

static void test_crc_flip_payload(void **state)
{
	struct file f = write_recording();
	uint64_t ends[32];
	uint16_t types[32];
	size_t n = chunk_ends(&f, ends, types, 32);
	size_t k;
	struct session s;
	struct collect c;
	const struct file_info *fi;

	/* the second event chunk: damage one payload byte */
	for (k = 0; k < n; k++)
		if (types[k] == REC_CHUNK_EVENTS && k > 0 && types[k - 1] == REC_CHUNK_EVENTS)
			break;
	assert_true(k < n);
	f.p[ends[k - 1] + REC_CHUNK_HDR_LEN + 3] ^= 0x40;
	assert_int_equal(file_session_open_mem(&s, f.p, f.len, "mem", true), 0);
	fi = file_session_info(&s);
	assert_int_equal(fi->corrupt, 1);
	assert_int_equal(fi->chunks, n - 1);
	assert_true(fi->ended);
	assert_non_null(s.end);               /* chunks after the damage were read */
	assert_int_equal(replay(&s, &c), NEV - 2);
	file_session_close(&s);
	free(f.p);
}

static void test_crc_message(void **state)
{
	struct file f = write_recording();
	uint64_t ends[32];
	uint16_t types[32];
	size_t n = chunk_ends(&f, ends, types, 32);
	struct rec_reader r;
	struct rec_chunk c;
	char want[160];

	(void)n;
	f.p[ends[0] + REC_CHUNK_HDR_LEN] ^= 1;      /* payload of chunk 1 */
	assert_int_equal(rec_reader_open_mem(&r, f.p, f.len, "x.rec"), 0);
	r.quiet = true;
	while (rec_reader_next(&r, &c) > 0)
		free(c.data);
	snprintf(want, sizeof(want), "'x.rec': chunk 1 (%s) at offset %llu is corrupt (CRC mismatch)",
		 rec_chunk_name(types[1]), (unsigned long long)ends[0]);
	assert_non_null(strstr(r.last_warning, want));
	assert_int_equal(r.corrupt, 1);
	assert_true(r.ended);
	free(f.p);
}

/* Any single damaged byte costs at most the chunk that holds it. */
static void test_flip_every_byte(void **state)
{
	struct file f = write_recording();
	uint64_t ends[32];
	uint16_t types[32];
	size_t n = chunk_ends(&f, ends, types, 32);

	for (size_t off = 0; off < f.len; off++) {
		struct rec_reader r;
		struct rec_chunk c;
		uint32_t got = 0;
		int err;

		f.p[off] ^= 0x10;
		err = rec_reader_open_mem(&r, f.p, f.len, "mem");
		if (off < REC_HDR_LEN) {
			assert_int_not_equal(err, 0);
		} else {
			assert_int_equal(err, 0);
			r.quiet = true;
			while (rec_reader_next(&r, &c) > 0) {
				got++;
				free(c.data);
			}
			assert_true(got >= n - 1);
			assert_true(got < n || r.corrupt == 0);
			assert_true(r.corrupt <= 1);
		}
		rec_reader_close(&r);
		f.p[off] ^= 0x10;
	}
	free(f.p);
}

static void test_wrong_magic(void **state)
{
	static const char text[] = "key        msqid perms      cbytes       qnum\n";
	struct rec_reader r;
	char msg[256];
	struct session s;

	assert_int_equal(rec_reader_open_mem(&r, text, sizeof(text), "notes.txt"),
			 REC_ERR_NOT_RECORDING);
	rec_open_strerror(&r, REC_ERR_NOT_RECORDING, msg, sizeof(msg));
	assert_non_null(strstr(msg, "'notes.txt' is not an ipcscope recording"));
	assert_int_equal(rec_reader_open_mem(&r, "", 0, "empty"), REC_ERR_NOT_RECORDING);
	rec_open_strerror(&r, REC_ERR_NOT_RECORDING, msg, sizeof(msg));
	assert_non_null(strstr(msg, "empty file"));
	assert_int_equal(file_session_open_mem(&s, text, sizeof(text), "notes.txt", true), 65);
}

static void test_newer_version(void **state)
{
	struct file f = write_recording();
	struct rec_reader r;
	char msg[256];

	le16_put(f.p + REC_HOFF_VERSION, REC_VERSION + 1);
	/* the version is checked before the header CRC: a newer layout may differ */
	assert_int_equal(rec_reader_open_mem(&r, f.p, f.len, "new.rec"), REC_ERR_NEWER);
	rec_open_strerror(&r, REC_ERR_NEWER, msg, sizeof(msg));
	assert_non_null(strstr(msg, "format version 2, newer than this ipcscope reads (1)"));
	free(f.p);
}

static void test_header_damage(void **state)
{
	struct file f = write_recording();
	struct rec_reader r;

	f.p[REC_HOFF_RELEASE] ^= 1;
	assert_int_equal(rec_reader_open_mem(&r, f.p, f.len, "x"), REC_ERR_HEADER_CRC);
	f.p[REC_HOFF_RELEASE] ^= 1;
	assert_int_equal(rec_reader_open_mem(&r, f.p, 100, "x"), REC_ERR_SHORT_HEADER);
	assert_int_equal(rec_reader_open_mem(&r, f.p, REC_HDR_LEN, "x"), 0);
	free(f.p);
}

static void test_write_error_sticky(void **state)
{
	int fd = open("/dev/full", O_WRONLY);
	struct rec_host h;
	int err = 0;
	struct rec_writer *w;

	if (fd < 0)
		skip();
	rec_host_fill(&h);
	w = rec_writer_new(fd, &h, &err);
	assert_null(w);
	assert_int_equal(err, -ENOSPC);
	close(fd);
}

/* Hand-crafted payloads with absurd counts must fail without allocating. */
static void test_decode_absurd_counts(void **state)
{
	struct rbuf b = { 0 };
	struct rcur r;
	struct ipc_snapshot s;
	struct proc_meta m;
	unsigned int role;

	rbuf_u8(&b, 0);
	rbuf_u32(&b, 1);
	rbuf_u64(&b, 2);
	rbuf_u64(&b, 3);
	rbuf_u32(&b, 0);
	rbuf_u32(&b, 0xffffffffu);       /* nshm */
	rcur_init(&r, b.p, b.len);
	assert_int_equal(rec_decode_snapshot(&r, &role, &s), -EBADMSG);
	assert_null(s.shm);
	b.len = 0;
	rbuf_zeros(&b, 28);
	rbuf_u32(&b, 0);                 /* comm .. container as empty strings follow */
	rcur_init(&r, b.p, b.len);
	assert_int_equal(rec_decode_procmeta(&r, &m), -EBADMSG);
	rbuf_free(&b);
}

/* ------------------------------------------------------------ summary, exports */

static struct ev_call mkcall(unsigned int call, int32_t id, uint32_t pid, uint64_t end_ns,
			     uint64_t lat, uint64_t offcpu)
{
	struct ev_call c;

	memset(&c, 0, sizeof(c));
	c.h.type = EV_CALL;
	c.h.size = sizeof(c);
	c.h.ts_ns = end_ns;
	c.h.pid = pid;
	c.h.tid = pid;
	c.h.ipcns = 7;
	strcpy(c.h.comm, pid == 1 ? "alpha" : "beta");
	c.call = (uint8_t)call;
	c.kind = (uint8_t)call_kind(call);
	c.id = id;
	c.lat_ns = lat;
	c.offcpu_ns = offcpu;
	c.stack_id = -1;
	return c;
}

static void test_summary(void **state)
{
	struct summary sm;
	const struct summary_obj *top[4];
	struct ev_call c;

	summary_init(&sm);
	c = mkcall(CALL_SEMGET, 1, 1, 100, 10, 0);
	c.key = 0x1234;
	summary_event(&sm, &c.h);
	for (int i = 0; i < 3; i++) {
		/* i == 1 slept; i == 2 was switched out without sleeping: preempted */
		c = mkcall(CALL_SEMTIMEDOP, 1, 1, 200 + i, 5000, i == 1 ? 4000 : i == 2 ? 3000 : 0);
		c.flags = i == 1 ? EVF_WAITED : 0;
		summary_event(&sm, &c.h);
	}
	c = mkcall(CALL_SEMTIMEDOP, 1, 1, 300, 2 * SUMMARY_SLEPT_NS, 0); /* slept, untracked */
	c.err = EAGAIN;
	summary_event(&sm, &c.h);
	for (int i = 0; i < 6; i++) {
		c = mkcall(CALL_MSGSND, 2, 2, 400 + i, 100, 0);
		summary_event(&sm, &c.h);
	}
	c = mkcall(CALL_SEMGET, -1, 2, 500, 10, 0);     /* failed *get: no object */
	c.err = ENOENT;
	summary_event(&sm, &c.h);

	assert_int_equal(sm.calls[CALL_SEMTIMEDOP].count, 4);
	assert_int_equal(sm.calls[CALL_SEMTIMEDOP].errors, 1);
	assert_int_equal(sm.calls[CALL_SEMTIMEDOP].blocked_calls, 2);
	assert_int_equal(sm.calls[CALL_SEMTIMEDOP].blocked_ns, 5000 + 2 * SUMMARY_SLEPT_NS);
	assert_int_equal(sm.calls[CALL_SEMGET].count, 2);
	assert_int_equal(sm.calls[CALL_MSGSND].blocked_calls, 0);
	assert_int_equal(sm.nobjs, 2);
	assert_int_equal(summary_top(&sm, false, top, 4), 2);
	assert_int_equal(top[0]->kind, KIND_MSG);
	assert_int_equal(top[0]->calls, 6);
	assert_int_equal(top[1]->calls, 5);
	assert_true(top[1]->key_known);
	assert_int_equal(top[1]->key, 0x1234);
	assert_int_equal(summary_top(&sm, true, top, 4), 1);    /* only what slept */
	assert_int_equal(top[0]->id, 1);
	assert_int_equal(summary_top(&sm, false, top, 1), 1);
	assert_int_equal(top[0]->kind, KIND_MSG);
	assert_int_equal(sm.first_ts, 100);
	assert_int_equal(sm.last_ts, 500);
	summary_fini(&sm);
}

static void test_perfetto_sorted_slices(void **state)
{
	struct perfetto *p = perfetto_new(1000);
	/* ends later but starts first: must come first */
	struct ev_call a = mkcall(CALL_SEMOP, 3, 1, 1000 + 9000, 8500, 8000);
	struct ev_call b = mkcall(CALL_MSGSND, 4, 2, 1000 + 2000, 1000, 0);
	char *buf = NULL;

	a.flags = EVF_WAITED;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	char *pa, *pb;

	perfetto_event(p, &b.h);
	perfetto_event(p, &a.h);
	assert_int_equal(perfetto_slices(p), 2);
	assert_int_equal(perfetto_write(p, f, NULL), 0);
	fclose(f);
	pa = strstr(buf, "\"name\":\"semop sem 3\",\"cat\":\"ipc,blocked\",\"ph\":\"X\",\"ts\":0.500,\"dur\":8.500");
	pb = strstr(buf, "\"name\":\"msgsnd msg 4\",\"cat\":\"ipc\",\"ph\":\"X\",\"ts\":1.000,\"dur\":1.000");
	assert_non_null(pa);
	assert_non_null(pb);
	assert_true(pa < pb);
	assert_non_null(strstr(buf, "\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"tid\":1,\"args\":{\"name\":\"alpha 1\"}"));
	assert_true(strstr(buf, "process_name") < pa);
	assert_int_equal(strncmp(buf, "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n", 40), 0);
	assert_non_null(strstr(buf, "}\n]}\n"));
	free(buf);
	perfetto_free(p);
}

static int fake_stack(struct session *s, int32_t id, uint64_t *ips, size_t max)
{
	if (id != 9 || max < 2)
		return -ENOENT;
	ips[0] = 0x1000;            /* leaf */
	ips[1] = 0x2000;
	return 2;
}

static void test_folded_weights(void **state)
{
	struct session s = { .stack_ips = fake_stack };
	struct folded *f = folded_new(&s);
	struct ev_call c;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	int64_t total;

	c = mkcall(CALL_SEMOP, 1, 1, 10, 3 * SUMMARY_SLEPT_NS, 0);
	c.stack_id = 9;
	folded_blocked_event(f, &c.h);
	c.lat_ns = SUMMARY_SLEPT_NS;
	folded_blocked_event(f, &c.h);
	c = mkcall(CALL_SEMOP, 1, 1, 10, 500, 0);          /* did not sleep: no weight */
	folded_blocked_event(f, &c.h);
	c = mkcall(CALL_MSGRCV, 2, 2, 10, 7, 5);           /* slept, no stack */
	c.flags = EVF_WAITED;
	folded_blocked_event(f, &c.h);
	total = folded_write(f, out);
	fclose(out);
	assert_int_equal(total, 4 * SUMMARY_SLEPT_NS + 7);
	/* no process metadata: frames fall back to the raw address; the stack
	 * walk is trusted only to its first frame without known mappings */
	assert_string_equal(buf, "alpha;0x1000;semop 4000000\n"
				 "beta;[no stack];msgrcv 7\n");
	free(buf);
	folded_free(f);
}

/* Event chunks are cut at REC_EVENTS_FLUSH without an explicit flush. */
static void test_auto_flush_and_malformed(void **state)
{
	int fd = memfd_create("big", 0);
	struct rec_host h;
	struct rec_writer *w;
	struct session s;
	struct stat st;
	uint8_t *p;
	int err = 0, n, total = 0;
	const int N = 6000;

	rec_host_fill(&h);
	w = rec_writer_new(fd, &h, &err);
	assert_non_null(w);
	for (int i = 0; i < N; i++) {
		struct ev_call c = mkcall(CALL_SEMOP, 1, 1, 1000 + i, 10, 0);

		assert_int_equal(rec_writer_event(w, &c.h), 0);
	}
	assert_int_equal(rec_writer_finish(w, 1, 1), 0);
	assert_true(rec_writer_stats(w)->chunks >= 3);
	rec_writer_free(w);
	fstat(fd, &st);
	p = malloc(st.st_size);
	assert_int_equal(pread(fd, p, st.st_size, 0), st.st_size);
	close(fd);
	assert_int_equal(file_session_open_mem(&s, p, st.st_size, "big", true), 0);
	assert_true(file_session_info(&s)->event_chunks >= 2);
	while ((n = s.src->poll(s.src, 0)) != -ENODATA)
		total += n;
	assert_int_equal(total, N);
	assert_int_equal(s.bus.delivered, N);
	file_session_close(&s);
	free(p);

	/* A record claiming fewer bytes than its header: the rest of the chunk is dropped. */
	{
		struct ev_call c[3] = { mkcall(CALL_SEMOP, 1, 1, 1, 1, 0), mkcall(CALL_SEMOP, 1, 1, 2, 1, 0),
					mkcall(CALL_SEMOP, 1, 1, 3, 1, 0) };
		uint8_t hdr[REC_HDR_LEN], *chunk, *file;
		size_t clen;

		c[1].h.size = 10;
		assert_int_equal(rec_encode_chunk(REC_CHUNK_EVENTS, 0, c, sizeof(c), &chunk, &clen), 0);
		rec_encode_header(&h, hdr);
		file = malloc(sizeof(hdr) + clen);
		memcpy(file, hdr, sizeof(hdr));
		memcpy(file + sizeof(hdr), chunk, clen);
		assert_int_equal(file_session_open_mem(&s, file, sizeof(hdr) + clen, "bad", true), 0);
		total = 0;
		while ((n = s.src->poll(s.src, 0)) != -ENODATA)
			total += n;
		assert_int_equal(total, 1);
		assert_int_equal(s.bus.malformed, 1);
		file_session_close(&s);
		free(chunk);
		free(file);
	}
}

/* The seed corpus: real recordings (and damaged ones) read without harm. */
static void test_corpus(void **state)
{
	static const char *const files[] = {
		"allcalls.ipcs", "leaker-fork.ipcs", "recmix.ipcs",
		"recmix-truncated.ipcs", "recmix-flipped.ipcs",
	};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[256];
		struct session s;
		const struct file_info *fi;
		int n, total = 0;

		snprintf(path, sizeof(path), "../fuzz/corpus/%s", files[i]);
		assert_int_equal(file_session_open(&s, path), 0);
		fi = file_session_info(&s);
		while ((n = s.src->poll(s.src, 0)) != -ENODATA)
			total += n;
		if (strstr(files[i], "truncated")) {
			assert_true(fi->truncated);
			assert_false(fi->ended);
		} else if (strstr(files[i], "flipped")) {
			assert_int_equal(fi->corrupt, 1);    /* a procmeta chunk */
			assert_true(fi->ended);
			assert_int_equal(fi->events_recorded, (uint64_t)total);
		} else {
			assert_true(fi->ended);
			assert_false(fi->truncated);
			assert_int_equal(fi->corrupt, 0);
			assert_int_equal(fi->events_recorded, (uint64_t)total);
		}
		assert_non_null(s.start);
		file_session_close(&s);
	}
}

static int failing_sink(void *ctx, const struct ev_hdr *ev)
{
	int *n = ctx;

	return ++*n == 2 ? -ENOMEM : 0;
}

/* A sink that fails during replay fails the run, as it does live. */
static void test_replay_sink_error(void **state)
{
	struct file f = write_recording();
	struct session s;
	int n = 0;

	assert_int_equal(file_session_open_mem(&s, f.p, f.len, "mem", true), 0);
	assert_int_equal(ev_bus_add(&s.bus, failing_sink, &n), 0);
	assert_int_equal(session_drive(&s, NULL), EX_SOFTWARE);
	assert_int_equal(n, 2);                  /* no event after the failure */
	file_session_close(&s);
	free(f.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay_sink_error),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_truncation_every_offset),
		cmocka_unit_test(test_truncated_message),
		cmocka_unit_test(test_crc_flip_payload),
		cmocka_unit_test(test_crc_message),
		cmocka_unit_test(test_flip_every_byte),
		cmocka_unit_test(test_wrong_magic),
		cmocka_unit_test(test_newer_version),
		cmocka_unit_test(test_header_damage),
		cmocka_unit_test(test_write_error_sticky),
		cmocka_unit_test(test_decode_absurd_counts),
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_perfetto_sorted_slices),
		cmocka_unit_test(test_folded_weights),
		cmocka_unit_test(test_auto_flush_and_malformed),
		cmocka_unit_test(test_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
