/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Little-endian, fixed-width encoding of what a recording holds besides the
 * raw event records: table snapshots, process metadata, stacks.  Encoding
 * appends to a growable buffer; decoding reads through a bounds-checked
 * cursor that turns every short or absurd field into "bad" instead of an
 * out-of-bounds read or a huge allocation (the reader is fuzzed).
 */
#ifndef IPCS_RECORD_CODEC_H
#define IPCS_RECORD_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tables/procmeta.h"
#include "tables/sysvipc.h"

struct rbuf {
	uint8_t *p;
	size_t len, cap;
	bool oom;            /* an append failed: the content is incomplete */
};

void rbuf_free(struct rbuf *b);
bool rbuf_reserve(struct rbuf *b, size_t more);
void rbuf_u8(struct rbuf *b, uint8_t v);
void rbuf_u16(struct rbuf *b, uint16_t v);
void rbuf_u32(struct rbuf *b, uint32_t v);
void rbuf_u64(struct rbuf *b, uint64_t v);
void rbuf_bytes(struct rbuf *b, const void *p, size_t n);
void rbuf_zeros(struct rbuf *b, size_t n);
/* u16 length, then the bytes of the C string (at most max bytes, no NUL). */
void rbuf_str(struct rbuf *b, const char *s, size_t max);

struct rcur {
	const uint8_t *p;
	size_t len, off;
	bool bad;            /* a read went past the end: results are zero */
};

static inline void rcur_init(struct rcur *c, const void *p, size_t len)
{
	c->p = p;
	c->len = len;
	c->off = 0;
	c->bad = false;
}
static inline size_t rcur_left(const struct rcur *c) { return c->len - c->off; }
uint8_t rcur_u8(struct rcur *c);
uint16_t rcur_u16(struct rcur *c);
uint32_t rcur_u32(struct rcur *c);
uint64_t rcur_u64(struct rcur *c);
void rcur_bytes(struct rcur *c, void *dst, size_t n);
/* A string written by rbuf_str into dst[dstlen], truncated, NUL-terminated. */
void rcur_str(struct rcur *c, char *dst, size_t dstlen);
/* A count of items each at least min_item bytes: bad if it cannot fit. */
uint32_t rcur_count(struct rcur *c, size_t min_item);

/* Little-endian loads/stores on raw bytes (headers). */
static inline void le16_put(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static inline void le32_put(uint8_t *p, uint32_t v)
{ for (int i = 0; i < 4; i++) p[i] = v >> (8 * i); }
static inline void le64_put(uint8_t *p, uint64_t v)
{ for (int i = 0; i < 8; i++) p[i] = v >> (8 * i); }
static inline uint16_t le16_get(const uint8_t *p) { return p[0] | (uint16_t)p[1] << 8; }
static inline uint32_t le32_get(const uint8_t *p)
{ uint32_t v = 0; for (int i = 3; i >= 0; i--) v = v << 8 | p[i]; return v; }
static inline uint64_t le64_get(const uint8_t *p)
{ uint64_t v = 0; for (int i = 7; i >= 0; i--) v = v << 8 | p[i]; return v; }

/* Snapshots.  Decoded snapshots own malloc'd arrays (shm, sem, msg, and
 * each object's attached[] / sems[]), the layout snapshot_free() releases. */
void rec_encode_snapshot(struct rbuf *b, unsigned int role, const struct ipc_snapshot *s);
int rec_decode_snapshot(struct rcur *c, unsigned int *role, struct ipc_snapshot *s);
void rec_snapshot_clear(struct ipc_snapshot *s);
int rec_snapshot_copy(struct ipc_snapshot *dst, const struct ipc_snapshot *src);

/* Process metadata; a decoded entry owns m->maps (malloc'd). */
void rec_encode_procmeta(struct rbuf *b, const struct proc_meta *m);
int rec_decode_procmeta(struct rcur *c, struct proc_meta *m);

#endif
