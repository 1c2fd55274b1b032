/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The on-disk layout of a recording.  docs/recording-format.md is the
 * reference; keep the two in step.  Everything is little-endian with fixed
 * widths; nothing is a raw C struct except the event records, which are the
 * ABI structs of bpf/events.h exactly as the ring buffer gave them.
 *
 *   file   = header chunk*
 *   header = REC_HDR_LEN bytes, CRC32 in its last 4 bytes
 *   chunk  = REC_CHUNK_HDR_LEN-byte chunk header + zlib-compressed payload
 *
 * Readers stop at the first short chunk (a recorder killed mid-write) and
 * skip chunks whose CRC does not match, resynchronising on the next chunk
 * magic, so a damaged file yields everything that is intact.
 */
#ifndef IPCS_RECORD_FORMAT_H
#define IPCS_RECORD_FORMAT_H

#include <stdint.h>

/* PNG-style: a non-ASCII byte, a name, and bytes that text-mode copies mangle. */
#define REC_MAGIC        "\x89IPCSREC\r\n\x1a\n"
#define REC_MAGIC_LEN    12
#define REC_VERSION      1        /* bump on any incompatible layout change */

/* Header.  Offsets 0..15 stay the same in every version. */
#define REC_HDR_LEN          320
#define REC_HOFF_MAGIC       0    /* 12 bytes REC_MAGIC */
#define REC_HOFF_VERSION     12   /* u16 format version */
#define REC_HOFF_HDR_LEN     14   /* u16 header length, CRC included */
#define REC_HOFF_ABI         16   /* u32 IPCS_ABI_VERSION of the event records */
#define REC_HOFF_FLAGS       20   /* u32, 0 (reserved) */
#define REC_HOFF_START_MONO  24   /* u64 CLOCK_MONOTONIC ns when recording began */
#define REC_HOFF_START_REAL  32   /* s64 CLOCK_REALTIME ns at the same instant */
#define REC_HOFF_MONO2REAL   40   /* s64 add to a monotonic ts_ns for wall time */
#define REC_HOFF_BOOT_REAL   48   /* s64 CLOCK_REALTIME ns of the machine's boot */
#define REC_HOFF_IPCNS       56   /* u32 IPC namespace inode the tables were read in */
#define REC_HOFF_PID         60   /* u32 the recorder's pid */
#define REC_HOFF_RELEASE     64   /* 64 bytes: kernel release (uname -r) */
#define REC_HOFF_MACHINE     128  /* 64 bytes: uname -m */
#define REC_HOFF_HOSTNAME    192  /* 64 bytes: hostname */
#define REC_HOFF_TOOLVER     256  /* 32 bytes: ipcscope version */
#define REC_HOFF_CRC         316  /* u32 CRC-32 (zlib) of bytes 0..315 */
/* Strings are NUL-padded and NOT necessarily NUL-terminated when full. */
#define REC_HSTR_LEN         64
#define REC_HVER_LEN         32

/* Chunk header. */
#define REC_CHUNK_MAGIC      "CHNK"
#define REC_CHUNK_HDR_LEN    24
#define REC_COFF_MAGIC       0    /* 4 bytes "CHNK" */
#define REC_COFF_TYPE        4    /* u16 enum rec_chunk_type */
#define REC_COFF_FLAGS       6    /* u16, 0 (reserved) */
#define REC_COFF_CLEN        8    /* u32 payload bytes in the file (compressed) */
#define REC_COFF_RLEN        12   /* u32 payload bytes after inflating */
#define REC_COFF_SEQ         16   /* u32 chunk number, 0 for the first */
#define REC_COFF_CRC         20   /* u32 CRC-32 of bytes 0..19 then the payload */

/* Sanity limits: a reader rejects claims beyond these without allocating. */
#define REC_MAX_RAW          (256u << 20)
#define REC_MAX_RATIO        1100u     /* zlib cannot inflate more than ~1032:1 */
#define REC_EVENTS_FLUSH     (1u << 20)  /* writer: event chunk target raw size */

enum rec_chunk_type {
	REC_CHUNK_SNAPSHOT = 1,  /* u8 role, then a serialized ipc_snapshot */
	REC_CHUNK_EVENTS = 2,    /* event records, each padded to 8 bytes */
	REC_CHUNK_PROCMETA = 3,  /* u32 count, then serialized proc_meta entries */
	REC_CHUNK_STACKS = 4,    /* u32 count, then (s32 id, u32 nframes, u64 ips[]) */
	REC_CHUNK_LOST = 5,      /* u64 lost events, u64 malformed, u64 ts (cumulative) */
	REC_CHUNK_NOTE = 6,      /* u32 count, then (string key, string value) */
	REC_CHUNK_END = 7,       /* u64 end mono ns, s64 end real ns, u64 events, u64 lost */
	REC_CHUNK__MAX,
};

/* Snapshot roles. */
enum rec_snap_role {
	REC_SNAP_START = 0,
	REC_SNAP_END = 1,
	REC_SNAP_OTHER = 2,
};

/* Events are stored at 8-byte boundaries inside the inflated payload. */
#define REC_EV_ALIGN 8

const char *rec_chunk_name(unsigned int type);

#endif
