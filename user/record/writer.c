// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Writing recordings; see writer.h and docs/recording-format.md. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "version.h"
#include "opts.h"
#include "record/codec.h"
#include "record/format.h"
#include "record/writer.h"

struct rec_writer {
	int fd;
	int err;                   /* sticky -errno */
	uint32_t seq;
	struct rec_writer_stats st;
	struct rbuf events;
	struct rbuf procs;  uint32_t nprocs;
	struct rbuf stacks; uint32_t nstacks;
	struct rbuf notes;  uint32_t nnotes;
	uint64_t lost, malformed;
	uint64_t lost_written, malformed_written;
	int32_t *stack_ids;        /* open-addressing set of stored stack ids */
	size_t nstack_ids, stack_cap;
};

static int64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void rec_host_fill(struct rec_host *h)
{
	struct utsname u;
	int64_t real, boot;

	memset(h, 0, sizeof(*h));
	h->version = REC_VERSION;
	h->abi = IPCS_ABI_VERSION;
	h->start_mono_ns = (uint64_t)clock_ns(CLOCK_MONOTONIC);
	real = clock_ns(CLOCK_REALTIME);
	boot = clock_ns(CLOCK_BOOTTIME);
	h->start_real_ns = real;
	h->mono_to_real_ns = mono_to_real_offset();
	h->boot_real_ns = real - boot;
	h->ipcns = self_ipcns();
	h->pid = (uint32_t)getpid();
	if (!uname(&u)) {
		snprintf(h->release, sizeof(h->release), "%s", u.release);
		snprintf(h->machine, sizeof(h->machine), "%s", u.machine);
		snprintf(h->hostname, sizeof(h->hostname), "%s", u.nodename);
	}
	snprintf(h->tool_version, sizeof(h->tool_version), "%s", IPCSCOPE_VERSION);
}

static void put_str(uint8_t *p, const char *s, size_t field)
{
	size_t n = strnlen(s, field);

	memset(p, 0, field);
	memcpy(p, s, n);
}

void rec_encode_header(const struct rec_host *h, uint8_t out[])
{
	memset(out, 0, REC_HDR_LEN);
	memcpy(out + REC_HOFF_MAGIC, REC_MAGIC, REC_MAGIC_LEN);
	le16_put(out + REC_HOFF_VERSION, (uint16_t)h->version);
	le16_put(out + REC_HOFF_HDR_LEN, REC_HDR_LEN);
	le32_put(out + REC_HOFF_ABI, h->abi);
	le32_put(out + REC_HOFF_FLAGS, 0);
	le64_put(out + REC_HOFF_START_MONO, h->start_mono_ns);
	le64_put(out + REC_HOFF_START_REAL, (uint64_t)h->start_real_ns);
	le64_put(out + REC_HOFF_MONO2REAL, (uint64_t)h->mono_to_real_ns);
	le64_put(out + REC_HOFF_BOOT_REAL, (uint64_t)h->boot_real_ns);
	le32_put(out + REC_HOFF_IPCNS, h->ipcns);
	le32_put(out + REC_HOFF_PID, h->pid);
	put_str(out + REC_HOFF_RELEASE, h->release, REC_HSTR_LEN);
	put_str(out + REC_HOFF_MACHINE, h->machine, REC_HSTR_LEN);
	put_str(out + REC_HOFF_HOSTNAME, h->hostname, REC_HSTR_LEN);
	put_str(out + REC_HOFF_TOOLVER, h->tool_version, REC_HVER_LEN);
	le32_put(out + REC_HOFF_CRC, (uint32_t)crc32(0, out, REC_HOFF_CRC));
}

int rec_encode_chunk(unsigned int type, uint32_t seq, const void *raw, size_t rlen,
		     uint8_t **out, size_t *olen)
{
	uLongf clen;
	uint8_t *buf;
	uLong crc;

	if (rlen > REC_MAX_RAW)
		return -EFBIG;
	clen = compressBound(rlen);
	buf = malloc(REC_CHUNK_HDR_LEN + clen);
	if (!buf)
		return -ENOMEM;
	/* Level 1: recording must keep up with the ring buffer; events still
	 * shrink several-fold because most of each record is zero padding. */
	if (compress2(buf + REC_CHUNK_HDR_LEN, &clen, raw ? raw : (const void *)"", rlen,
		      Z_BEST_SPEED) != Z_OK) {
		free(buf);
		return -ENOMEM;
	}
	memcpy(buf + REC_COFF_MAGIC, REC_CHUNK_MAGIC, 4);
	le16_put(buf + REC_COFF_TYPE, (uint16_t)type);
	le16_put(buf + REC_COFF_FLAGS, 0);
	le32_put(buf + REC_COFF_CLEN, (uint32_t)clen);
	le32_put(buf + REC_COFF_RLEN, (uint32_t)rlen);
	le32_put(buf + REC_COFF_SEQ, seq);
	crc = crc32(0, buf, REC_COFF_CRC);
	crc = crc32(crc, buf + REC_CHUNK_HDR_LEN, clen);
	le32_put(buf + REC_COFF_CRC, (uint32_t)crc);
	*out = buf;
	*olen = REC_CHUNK_HDR_LEN + clen;
	return 0;
}

static int write_all(struct rec_writer *w, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t k = write(w->fd, p, n);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return w->err = -errno;
		}
		p += k;
		n -= (size_t)k;
		w->st.bytes += (uint64_t)k;
	}
	return 0;
}

static int write_chunk(struct rec_writer *w, unsigned int type, const void *raw, size_t rlen)
{
	uint8_t *buf;
	size_t len;
	int err;

	if (w->err)
		return w->err;
	err = rec_encode_chunk(type, w->seq, raw, rlen, &buf, &len);
	if (err)
		return w->err = err;
	err = write_all(w, buf, len);
	free(buf);
	if (!err) {
		w->seq++;
		w->st.chunks++;
	}
	return err;
}

struct rec_writer *rec_writer_new(int fd, const struct rec_host *h, int *err)
{
	struct rec_writer *w = calloc(1, sizeof(*w));
	uint8_t hdr[REC_HDR_LEN];

	if (!w) {
		*err = -ENOMEM;
		return NULL;
	}
	w->fd = fd;
	rec_encode_header(h, hdr);
	if (write_all(w, hdr, sizeof(hdr))) {
		*err = w->err;
		free(w);
		return NULL;
	}
	return w;
}

static int check(struct rec_writer *w, struct rbuf *b)
{
	if (b->oom && !w->err)
		w->err = -ENOMEM;
	return w->err;
}

int rec_writer_event(struct rec_writer *w, const struct ev_hdr *ev)
{
	size_t n = ev->size;

	if (w->err)
		return w->err;
	if (n < sizeof(*ev))
		return 0;         /* not a record; the bus already counts these */
	rbuf_bytes(&w->events, ev, n);
	rbuf_zeros(&w->events, (REC_EV_ALIGN - n % REC_EV_ALIGN) % REC_EV_ALIGN);
	if (check(w, &w->events))
		return w->err;
	w->st.events++;
	if (w->events.len >= REC_EVENTS_FLUSH)
		return rec_writer_flush(w);
	return 0;
}

int rec_writer_snapshot(struct rec_writer *w, unsigned int role, const struct ipc_snapshot *s)
{
	struct rbuf b = { 0 };
	int err;

	if (w->err)
		return w->err;
	/* Pending process metadata and events come first: file order is time order. */
	err = rec_writer_flush(w);
	if (err)
		return err;
	rec_encode_snapshot(&b, role, s);
	err = b.oom ? (w->err = -ENOMEM) : write_chunk(w, REC_CHUNK_SNAPSHOT, b.p, b.len);
	rbuf_free(&b);
	return err;
}

int rec_writer_procmeta(struct rec_writer *w, const struct proc_meta *m)
{
	if (w->err)
		return w->err;
	rec_encode_procmeta(&w->procs, m);
	w->nprocs++;
	return check(w, &w->procs);
}

static size_t stack_slot(int32_t id, size_t cap)
{
	return ((uint32_t)id * 2654435761u) & (cap - 1);
}

int rec_writer_has_stack(struct rec_writer *w, int32_t id)
{
	if (!w->stack_cap)
		return 0;
	for (size_t i = stack_slot(id, w->stack_cap);; i = (i + 1) & (w->stack_cap - 1)) {
		if (w->stack_ids[i] == -1)
			return 0;
		if (w->stack_ids[i] == id)
			return 1;
	}
}

static int remember_stack(struct rec_writer *w, int32_t id)
{
	if ((w->nstack_ids + 1) * 2 > w->stack_cap) {
		size_t cap = w->stack_cap ? w->stack_cap * 2 : 256;
		int32_t *v = malloc(cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		memset(v, 0xff, cap * sizeof(*v));
		for (size_t k = 0; k < w->stack_cap; k++) {
			if (w->stack_ids[k] == -1)
				continue;
			size_t i = stack_slot(w->stack_ids[k], cap);

			while (v[i] != -1)
				i = (i + 1) & (cap - 1);
			v[i] = w->stack_ids[k];
		}
		free(w->stack_ids);
		w->stack_ids = v;
		w->stack_cap = cap;
	}
	size_t i = stack_slot(id, w->stack_cap);

	while (w->stack_ids[i] != -1)
		i = (i + 1) & (w->stack_cap - 1);
	w->stack_ids[i] = id;
	w->nstack_ids++;
	return 0;
}

int rec_writer_stack(struct rec_writer *w, int32_t id, const uint64_t *ips, unsigned int n)
{
	if (w->err)
		return w->err;
	if (id < 0 || rec_writer_has_stack(w, id))
		return 0;
	if (remember_stack(w, id))
		return w->err = -ENOMEM;
	if (n > IPCS_STACK_DEPTH)
		n = IPCS_STACK_DEPTH;
	rbuf_u32(&w->stacks, (uint32_t)id);
	rbuf_u32(&w->stacks, n);
	for (unsigned int k = 0; k < n; k++)
		rbuf_u64(&w->stacks, ips[k]);
	w->nstacks++;
	return check(w, &w->stacks);
}

int rec_writer_note(struct rec_writer *w, const char *key, const char *value)
{
	if (w->err)
		return w->err;
	rbuf_str(&w->notes, key, UINT16_MAX);
	rbuf_str(&w->notes, value, UINT16_MAX);
	w->nnotes++;
	return check(w, &w->notes);
}

void rec_writer_lost(struct rec_writer *w, uint64_t lost, uint64_t malformed)
{
	w->lost = lost;
	w->malformed = malformed;
}

/* A counted list: u32 count then the entries, as one chunk. */
static int flush_list(struct rec_writer *w, unsigned int type, struct rbuf *b, uint32_t *n)
{
	struct rbuf out = { 0 };
	int err;

	if (!*n)
		return 0;
	rbuf_u32(&out, *n);
	rbuf_bytes(&out, b->p, b->len);
	err = out.oom ? (w->err = -ENOMEM) : write_chunk(w, type, out.p, out.len);
	rbuf_free(&out);
	b->len = 0;
	*n = 0;
	return err;
}

int rec_writer_flush(struct rec_writer *w)
{
	if (w->err)
		return w->err;
	if (flush_list(w, REC_CHUNK_NOTE, &w->notes, &w->nnotes) ||
	    flush_list(w, REC_CHUNK_PROCMETA, &w->procs, &w->nprocs) ||
	    flush_list(w, REC_CHUNK_STACKS, &w->stacks, &w->nstacks))
		return w->err;
	if (w->events.len) {
		if (write_chunk(w, REC_CHUNK_EVENTS, w->events.p, w->events.len))
			return w->err;
		w->events.len = 0;
	}
	if (w->lost != w->lost_written || w->malformed != w->malformed_written) {
		struct rbuf b = { 0 };

		rbuf_u64(&b, w->lost);
		rbuf_u64(&b, w->malformed);
		rbuf_u64(&b, (uint64_t)clock_ns(CLOCK_MONOTONIC));
		if (!b.oom && !write_chunk(w, REC_CHUNK_LOST, b.p, b.len)) {
			w->lost_written = w->lost;
			w->malformed_written = w->malformed;
		} else if (!w->err) {
			w->err = -ENOMEM;
		}
		rbuf_free(&b);
	}
	return w->err;
}

int rec_writer_finish(struct rec_writer *w, uint64_t end_mono_ns, int64_t end_real_ns)
{
	struct rbuf b = { 0 };
	int err;

	if (rec_writer_flush(w))
		return w->err;
	rbuf_u64(&b, end_mono_ns);
	rbuf_u64(&b, (uint64_t)end_real_ns);
	rbuf_u64(&b, w->st.events);
	rbuf_u64(&b, w->lost);
	err = b.oom ? (w->err = -ENOMEM) : write_chunk(w, REC_CHUNK_END, b.p, b.len);
	rbuf_free(&b);
	return err;
}

const struct rec_writer_stats *rec_writer_stats(const struct rec_writer *w)
{
	return &w->st;
}

void rec_writer_free(struct rec_writer *w)
{
	if (!w)
		return;
	rbuf_free(&w->events);
	rbuf_free(&w->procs);
	rbuf_free(&w->stacks);
	rbuf_free(&w->notes);
	free(w->stack_ids);
	free(w);
}
