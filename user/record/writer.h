/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Writing a recording (format.h, docs/recording-format.md).  Events,
 * process metadata and stacks are buffered and written as chunks by
 * rec_writer_flush(), which the recorder calls every second; each chunk is
 * one write() so a killed recorder leaves complete chunks and at most one
 * partial one at the end.  Errors are sticky: after the first failure every
 * call returns the same -errno.
 */
#ifndef IPCS_RECORD_WRITER_H
#define IPCS_RECORD_WRITER_H

#include <stdint.h>

#include "event.h"
#include "tables/procmeta.h"
#include "tables/sysvipc.h"

/* Facts stored in the file header. */
struct rec_host {
	uint32_t version;          /* format version (REC_VERSION when writing) */
	uint32_t abi;              /* IPCS_ABI_VERSION of the event records */
	uint64_t start_mono_ns;
	int64_t start_real_ns;
	int64_t mono_to_real_ns;
	int64_t boot_real_ns;
	uint32_t ipcns;
	uint32_t pid;
	char release[65];
	char machine[65];
	char hostname[65];
	char tool_version[33];
};

/* Fill from this machine and process, now. */
void rec_host_fill(struct rec_host *h);

struct rec_writer_stats {
	uint64_t events;           /* records accepted */
	uint64_t bytes;            /* bytes written to the file, header included */
	uint64_t chunks;
};

struct rec_writer;

/* Write the header to fd (not closed by the writer).  NULL with *err set. */
struct rec_writer *rec_writer_new(int fd, const struct rec_host *h, int *err);
int rec_writer_event(struct rec_writer *w, const struct ev_hdr *ev);
int rec_writer_snapshot(struct rec_writer *w, unsigned int role, const struct ipc_snapshot *s);
int rec_writer_procmeta(struct rec_writer *w, const struct proc_meta *m);
/* Stacks are stored once per id; true if id was already stored. */
int rec_writer_has_stack(struct rec_writer *w, int32_t id);
int rec_writer_stack(struct rec_writer *w, int32_t id, const uint64_t *ips, unsigned int n);
int rec_writer_note(struct rec_writer *w, const char *key, const char *value);
/* Cumulative loss counters, written with the next flush when they change. */
void rec_writer_lost(struct rec_writer *w, uint64_t lost, uint64_t malformed);
/* Write what is buffered (notes, process metadata, stacks, events, loss). */
int rec_writer_flush(struct rec_writer *w);
/* Flush, then the end marker. */
int rec_writer_finish(struct rec_writer *w, uint64_t end_mono_ns, int64_t end_real_ns);
const struct rec_writer_stats *rec_writer_stats(const struct rec_writer *w);
void rec_writer_free(struct rec_writer *w);

/*
 * Low level, for tests and tools: encode one chunk (header + compressed
 * payload) into *out (malloc'd).  0 or -errno.
 */
int rec_encode_chunk(unsigned int type, uint32_t seq, const void *raw, size_t rlen,
		     uint8_t **out, size_t *olen);
void rec_encode_header(const struct rec_host *h, uint8_t out[]);

#endif
