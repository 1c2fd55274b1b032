/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Reading a recording chunk by chunk.  The reader never trusts the file:
 * every length is checked against the file size and the sanity limits of
 * format.h before anything is allocated, every chunk's CRC is verified, and
 * a damaged region is skipped by searching for the next chunk whose CRC is
 * good.  It stops cleanly at a short chunk (recorder killed) and says so.
 * A regular file is read in place (up to its size at open: a recording
 * still growing reads as cut short); a pipe, FIFO or device has its header
 * checked as soon as it arrives, then is copied to an unlinked spool file
 * as it streams in, and read from there (bounded memory, re-readable).
 */
#ifndef IPCS_RECORD_READER_H
#define IPCS_RECORD_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record/writer.h"

/* rec_reader_open results (negative values are -errno). */
enum rec_open_err {
	REC_OPEN_OK = 0,
	REC_ERR_NOT_RECORDING = 1,   /* magic does not match */
	REC_ERR_NEWER = 2,           /* format version newer than REC_VERSION */
	REC_ERR_SHORT_HEADER = 3,    /* magic ok, header cut short */
	REC_ERR_HEADER_CRC = 4,      /* header damaged */
};

struct rec_chunk {
	uint16_t type;
	uint32_t seq;
	uint64_t off;                /* of the chunk header in the file */
	uint32_t clen, rlen;
	uint8_t *data;               /* inflated payload (malloc'd), NULL if not loaded */
	size_t len;
};

struct rec_reader {
	const char *name;            /* for messages */
	int fd;                      /* -1 when reading memory */
	const uint8_t *mem;
	bool spooled;                /* fd is our unlinked copy of a pipe/FIFO, closed with us */
	uint64_t size;
	struct rec_host host;
	uint64_t off;                /* where the next chunk header is expected */
	bool quiet;                  /* no warnings on stderr (fuzzing, tests) */
	uint32_t skip_inflate;       /* bit per chunk type: verify CRC, do not inflate */
	/* What was found, for callers and messages. */
	uint32_t chunks;             /* good chunks returned */
	uint32_t corrupt;            /* chunks or regions skipped */
	uint64_t corrupt_bytes;
	bool ended;                  /* END chunk seen */
	bool truncated;              /* stopped at a short chunk, or no END chunk */
	uint64_t trunc_off;
	char last_warning[256];
	bool warn_pending;           /* last_warning not printed yet (no good chunk so far) */
};

/* 0, a REC_ERR_* value, or -errno.  `name` names the file in messages. */
int rec_reader_open_fd(struct rec_reader *r, int fd, const char *name);
int rec_reader_open_mem(struct rec_reader *r, const void *p, size_t len, const char *name);
/* One line describing an open error, e.g. for errmsg(). */
const char *rec_open_strerror(const struct rec_reader *r, int err, char *buf, size_t len);
/*
 * The next good chunk: 1 with *c filled (free c->data), 0 at the end of the
 * usable data (see ended/truncated), -errno on allocation failure.
 */
int rec_reader_next(struct rec_reader *r, struct rec_chunk *c);
/* Re-read and inflate a chunk returned earlier by rec_reader_next(). */
int rec_reader_load(struct rec_reader *r, struct rec_chunk *c);
void rec_reader_close(struct rec_reader *r);

#endif
