// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Reading recordings defensively; see reader.h and docs/recording-format.md. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "ipcscope.h"
#include "record/codec.h"
#include "record/format.h"
#include "record/reader.h"

/* The largest compressed payload a valid chunk can have. */
#define REC_MAX_CLEN ((uint64_t)REC_MAX_RAW + REC_MAX_RAW / 1000 + 64)

const char *rec_chunk_name(unsigned int type)
{
	switch (type) {
	case REC_CHUNK_SNAPSHOT: return "snapshot";
	case REC_CHUNK_EVENTS: return "events";
	case REC_CHUNK_PROCMETA: return "procmeta";
	case REC_CHUNK_STACKS: return "stacks";
	case REC_CHUNK_LOST: return "lost";
	case REC_CHUNK_NOTE: return "note";
	case REC_CHUNK_END: return "end";
	default: return "unknown type";
	}
}

/* Copy up to n bytes at off; returns how many were available. */
static size_t in_read(struct rec_reader *r, uint64_t off, void *buf, size_t n)
{
	size_t got = 0;

	if (off >= r->size)
		return 0;
	if (n > r->size - off)
		n = (size_t)(r->size - off);
	if (r->mem) {
		memcpy(buf, r->mem + off, n);
		return n;
	}
	while (got < n) {
		ssize_t k = pread(r->fd, (uint8_t *)buf + got, n - got, (off_t)(off + got));

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	return got;
}

static void warn(struct rec_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(struct rec_reader *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	/* Before the first good chunk, hold the warning back: if none follows,
	 * the caller's one-line error carries it instead of a second line. */
	if (r->warn_pending && !r->quiet)
		warnmsg("%s", r->last_warning);
	vsnprintf(r->last_warning, sizeof(r->last_warning), fmt, ap);
	va_end(ap);
	r->warn_pending = !r->chunks;
	if (!r->quiet && !r->warn_pending)
		warnmsg("%s", r->last_warning);
}

static void get_str(char *dst, size_t dstlen, const uint8_t *p, size_t field)
{
	size_t n = strnlen((const char *)p, field);

	if (n >= dstlen)
		n = dstlen - 1;
	memcpy(dst, p, n);
	dst[n] = '\0';
	/* Strings come from another machine: keep them printable. */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)dst[i] < 0x20 || dst[i] == 0x7f)
			dst[i] = '?';
}

static int open_common(struct rec_reader *r)
{
	uint8_t h[REC_HDR_LEN];
	size_t n = in_read(r, 0, h, sizeof(h));
	struct rec_host *ho = &r->host;
	uint16_t hlen;

	if (n < REC_MAGIC_LEN || memcmp(h, REC_MAGIC, REC_MAGIC_LEN))
		return REC_ERR_NOT_RECORDING;
	if (n < REC_HOFF_HDR_LEN + 2)
		return REC_ERR_SHORT_HEADER;
	ho->version = le16_get(h + REC_HOFF_VERSION);
	if (ho->version > REC_VERSION)
		return REC_ERR_NEWER;
	hlen = le16_get(h + REC_HOFF_HDR_LEN);
	if (ho->version < 1 || hlen != REC_HDR_LEN)
		return REC_ERR_HEADER_CRC;
	if (n < REC_HDR_LEN)
		return REC_ERR_SHORT_HEADER;
	if (le32_get(h + REC_HOFF_CRC) != (uint32_t)crc32(0, h, REC_HOFF_CRC))
		return REC_ERR_HEADER_CRC;
	ho->abi = le32_get(h + REC_HOFF_ABI);
	ho->start_mono_ns = le64_get(h + REC_HOFF_START_MONO);
	ho->start_real_ns = (int64_t)le64_get(h + REC_HOFF_START_REAL);
	ho->mono_to_real_ns = (int64_t)le64_get(h + REC_HOFF_MONO2REAL);
	ho->boot_real_ns = (int64_t)le64_get(h + REC_HOFF_BOOT_REAL);
	ho->ipcns = le32_get(h + REC_HOFF_IPCNS);
	ho->pid = le32_get(h + REC_HOFF_PID);
	get_str(ho->release, sizeof(ho->release), h + REC_HOFF_RELEASE, REC_HSTR_LEN);
	get_str(ho->machine, sizeof(ho->machine), h + REC_HOFF_MACHINE, REC_HSTR_LEN);
	get_str(ho->hostname, sizeof(ho->hostname), h + REC_HOFF_HOSTNAME, REC_HSTR_LEN);
	get_str(ho->tool_version, sizeof(ho->tool_version), h + REC_HOFF_TOOLVER, REC_HVER_LEN);
	r->off = REC_HDR_LEN;
	return 0;
}

static void reset(struct rec_reader *r, const char *name)
{
	memset(r, 0, sizeof(*r));
	r->fd = -1;
	r->name = name ? name : "recording";
}

int rec_reader_open_mem(struct rec_reader *r, const void *p, size_t len, const char *name)
{
	reset(r, name);
	r->mem = p;
	r->size = len;
	return open_common(r);
}

/* read() until n bytes or the end of the input; -errno on error. */
static ssize_t read_full(int fd, uint8_t *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k = read(fd, buf + got, n - got);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			break;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

/* An unlinked file to spool a stream into: $TMPDIR, else /tmp. */
static int spool_open(void)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd;

	if (!dir || !*dir)
		dir = "/tmp";
	fd = open(dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return fd >= 0 ? fd : -errno;
	snprintf(path, sizeof(path), "%s/ipcscope-spool.XXXXXX", dir);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	unlink(path);
	return fd;
}

/*
 * A pipe, FIFO or device: check the header as soon as it has arrived (a
 * stream that is not a recording, /dev/zero say, fails at once), then copy
 * the stream as it comes into an unlinked spool file and read that like a
 * regular file: memory stays bounded whatever the stream's length, and
 * event chunks are read again later, as from a file.
 */
static int open_stream(struct rec_reader *r, int fd)
{
	static uint8_t buf[1 << 16];
	ssize_t n = read_full(fd, buf, REC_HDR_LEN);
	uint64_t total;
	int sp, err;

	if (n < 0)
		return (int)n;
	if ((size_t)n < REC_MAGIC_LEN || memcmp(buf, REC_MAGIC, REC_MAGIC_LEN)) {
		r->mem = buf;
		r->size = (uint64_t)n;
		err = open_common(r);     /* says which header error */
		r->mem = NULL;
		return err;
	}
	sp = spool_open();
	if (sp < 0)
		return sp;
	total = 0;
	for (;;) {
		if (n > 0 && write(sp, buf, (size_t)n) != n) {
			err = errno ? -errno : -EIO;
			close(sp);
			return err;
		}
		total += (uint64_t)n;
		if (n == 0)
			break;
		n = read_full(fd, buf, sizeof(buf));
		if (n < 0) {
			close(sp);
			return (int)n;
		}
	}
	r->fd = sp;
	r->spooled = true;
	r->size = total;
	return open_common(r);
}

int rec_reader_open_fd(struct rec_reader *r, int fd, const char *name)
{
	struct stat st;

	reset(r, name);
	if (fstat(fd, &st))
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (S_ISREG(st.st_mode)) {
		/* what is there now: a file still being recorded reads as cut short */
		r->fd = fd;
		r->size = (uint64_t)st.st_size;
		return open_common(r);
	}
	return open_stream(r, fd);
}

const char *rec_open_strerror(const struct rec_reader *r, int err, char *buf, size_t len)
{
	switch (err) {
	case REC_ERR_NOT_RECORDING:
		snprintf(buf, len, "'%s' is not an ipcscope recording (%s): give a file written by `ipcscope record -o FILE`",
			 r->name, r->size ? "no recording magic at offset 0" : "empty file");
		break;
	case REC_ERR_NEWER:
		snprintf(buf, len, "'%s' uses recording format version %u, newer than this ipcscope reads (%u): read it with a newer ipcscope",
			 r->name, r->host.version, REC_VERSION);
		break;
	case REC_ERR_SHORT_HEADER:
		snprintf(buf, len, "'%s' is truncated inside its %u-byte header (%" PRIu64 " bytes): nothing was recorded",
			 r->name, REC_HDR_LEN, r->size);
		break;
	case REC_ERR_HEADER_CRC:
		snprintf(buf, len, "'%s' has a corrupt header (offset 0, CRC mismatch): the file is damaged",
			 r->name);
		break;
	default:
		snprintf(buf, len, "cannot read '%s': %s: check the path and permissions",
			 r->name, strerror(err < 0 ? -err : err));
	}
	return buf;
}

enum try_res { TRY_GOOD, TRY_SHORT, TRY_BAD };

/*
 * Examine the chunk at off.  GOOD: header and CRC check out, *payload holds
 * the compressed bytes (malloc'd).  SHORT: runs past the end of the file.
 * BAD: anything else (*why says what).
 */
static enum try_res try_chunk(struct rec_reader *r, uint64_t off, struct rec_chunk *c,
			      uint8_t **payload, const char **why)
{
	uint8_t h[REC_CHUNK_HDR_LEN];
	size_t n = in_read(r, off, h, sizeof(h));
	uint32_t crc;
	uint8_t *p;

	*payload = NULL;
	memset(c, 0, sizeof(*c));
	c->off = off;
	if (n < 4) {
		*why = memcmp(h, REC_CHUNK_MAGIC, n) ? "no chunk magic" : "chunk header cut short";
		return memcmp(h, REC_CHUNK_MAGIC, n) ? TRY_BAD : TRY_SHORT;
	}
	if (memcmp(h, REC_CHUNK_MAGIC, 4)) {
		*why = "no chunk magic";
		return TRY_BAD;
	}
	if (n < sizeof(h)) {
		*why = "chunk header cut short";
		return TRY_SHORT;
	}
	c->type = le16_get(h + REC_COFF_TYPE);
	c->clen = le32_get(h + REC_COFF_CLEN);
	c->rlen = le32_get(h + REC_COFF_RLEN);
	c->seq = le32_get(h + REC_COFF_SEQ);
	if (c->clen > REC_MAX_CLEN || c->rlen > REC_MAX_RAW ||
	    c->rlen > (uint64_t)c->clen * REC_MAX_RATIO + 64) {
		*why = "impossible length";
		return TRY_BAD;
	}
	if (c->clen > r->size - off - sizeof(h)) {
		*why = "payload cut short";
		return TRY_SHORT;
	}
	p = malloc(c->clen ? c->clen : 1);
	if (!p) {
		*why = "out of memory";
		return TRY_BAD;
	}
	if (in_read(r, off + sizeof(h), p, c->clen) != c->clen) {
		free(p);
		*why = "read error";
		return TRY_SHORT;
	}
	crc = (uint32_t)crc32(0, h, REC_COFF_CRC);
	crc = (uint32_t)crc32(crc, p, c->clen);
	if (crc != le32_get(h + REC_COFF_CRC)) {
		free(p);
		*why = "CRC mismatch";
		return TRY_BAD;
	}
	*payload = p;
	return TRY_GOOD;
}

/* The offset of the next good chunk after `from`, or 0 if there is none. */
static uint64_t resync(struct rec_reader *r, uint64_t from)
{
	uint8_t buf[65536];
	uint64_t base = from;

	while (base + 4 <= r->size) {
		size_t n = in_read(r, base, buf, sizeof(buf));

		if (n < 4)
			break;
		for (size_t i = 0; i + 4 <= n; i++) {
			struct rec_chunk c;
			uint8_t *p;
			const char *why;

			if (memcmp(buf + i, REC_CHUNK_MAGIC, 4))
				continue;
			if (try_chunk(r, base + i, &c, &p, &why) == TRY_GOOD) {
				free(p);
				return base + i;
			}
		}
		base += n - 3;      /* overlap: a magic may straddle blocks */
	}
	return 0;
}

static int inflate_chunk(struct rec_chunk *c, const uint8_t *payload)
{
	uLongf dlen = c->rlen;
	uint8_t *d = malloc(c->rlen ? c->rlen : 1);

	if (!d)
		return -ENOMEM;
	if (uncompress(d, &dlen, payload, c->clen) != Z_OK || dlen != c->rlen) {
		free(d);
		return -EBADMSG;
	}
	c->data = d;
	c->len = dlen;
	return 0;
}

static void report_truncated(struct rec_reader *r, const struct rec_chunk *c, const char *why)
{
	r->truncated = true;
	r->trunc_off = c->off;
	if (!strcmp(why, "chunk header cut short"))
		warn(r, "'%s' is truncated at offset %" PRIu64 " (chunk %u: header cut short, %" PRIu64
		     " of %u bytes): using the %u complete chunks before it",
		     r->name, c->off, r->chunks, r->size - c->off, REC_CHUNK_HDR_LEN, r->chunks);
	else
		warn(r, "'%s' is truncated at offset %" PRIu64 " (chunk %u, %s: %" PRIu64
		     " of %" PRIu64 " bytes): using the %u complete chunks before it",
		     r->name, c->off, c->seq, rec_chunk_name(c->type), r->size - c->off,
		     (uint64_t)REC_CHUNK_HDR_LEN + c->clen, r->chunks);
}

static void report_corrupt(struct rec_reader *r, const struct rec_chunk *c, bool hdr_ok,
			   const char *why, uint64_t next)
{
	char what[96];

	r->corrupt++;
	if (hdr_ok)
		snprintf(what, sizeof(what), "chunk %u (%s)", c->seq, rec_chunk_name(c->type));
	else
		snprintf(what, sizeof(what), "chunk %u", r->chunks + r->corrupt - 1);
	if (next) {
		r->corrupt_bytes += next - c->off;
		warn(r, "'%s': %s at offset %" PRIu64 " is corrupt (%s): skipped %" PRIu64
		     " bytes, reading on from offset %" PRIu64,
		     r->name, what, c->off, why, next - c->off, next);
	} else {
		r->corrupt_bytes += r->size - c->off;
		warn(r, "'%s': %s at offset %" PRIu64 " is corrupt (%s): nothing after it is readable",
		     r->name, what, c->off, why);
	}
}

int rec_reader_next(struct rec_reader *r, struct rec_chunk *c)
{
	for (;;) {
		const char *why = "";
		uint8_t *payload;
		enum try_res t;
		uint64_t next;
		int err;

		if (r->ended)
			return 0;
		if (r->off >= r->size) {
			if (!r->truncated) {
				r->truncated = true;
				r->trunc_off = r->off;
				warn(r, "'%s' is truncated at offset %" PRIu64 " after chunk %u (no end marker: the recorder was killed or is still running): using the %u chunks recorded",
				     r->name, r->off, r->chunks ? r->chunks - 1 : 0, r->chunks);
			}
			return 0;
		}
		t = try_chunk(r, r->off, c, &payload, &why);
		if (t == TRY_GOOD) {
			r->off += REC_CHUNK_HDR_LEN + (uint64_t)c->clen;
			if (!(r->skip_inflate & (1u << (c->type & 31))) || c->type >= 32) {
				err = inflate_chunk(c, payload);
				if (err == -ENOMEM) {
					free(payload);
					return err;
				}
				if (err) {
					free(payload);
					report_corrupt(r, c, true, "payload does not inflate", r->off);
					continue;
				}
			}
			free(payload);
			if (r->warn_pending && !r->quiet)
				warnmsg("%s", r->last_warning);
			r->warn_pending = false;
			r->chunks++;
			if (c->type == REC_CHUNK_END)
				r->ended = true;
			return 1;
		}
		if (!strcmp(why, "out of memory"))
			return -ENOMEM;
		/* Damage or a cut: a good chunk further on means damage. */
		next = resync(r, r->off + 1);
		if (t == TRY_SHORT && !next) {
			report_truncated(r, c, why);
			r->off = r->size;
			return 0;
		}
		report_corrupt(r, c, t == TRY_SHORT || strcmp(why, "no chunk magic"), why, next);
		if (!next) {
			r->truncated = true;       /* no end marker can follow */
			r->trunc_off = r->off;
			r->off = r->size;
			return 0;
		}
		r->off = next;
	}
}

int rec_reader_load(struct rec_reader *r, struct rec_chunk *c)
{
	struct rec_chunk again;
	const char *why;
	uint8_t *payload;
	int err;

	if (try_chunk(r, c->off, &again, &payload, &why) != TRY_GOOD)
		return -EBADMSG;
	err = inflate_chunk(&again, payload);
	free(payload);
	if (err)
		return err;
	*c = again;
	return 0;
}

void rec_reader_close(struct rec_reader *r)
{
	if (r->spooled && r->fd >= 0)
		close(r->fd);
	r->spooled = false;
	r->mem = NULL;
}
