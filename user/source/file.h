/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The recording event source: a session over a file written by `ipcscope
 * record`.  Opening reads the header and every chunk that is not events
 * (table snapshots, process metadata, stacks, loss counters, notes) so the
 * session is complete before the first event is delivered; poll() then
 * replays the event chunks in file order.  Damage is reported once, as one
 * line per problem, at open; what is readable is used.
 */
#ifndef IPCS_FILE_SOURCE_H
#define IPCS_FILE_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include "record/writer.h"
#include "session.h"

struct file_info {
	struct rec_host host;
	uint32_t chunks;             /* good chunks */
	uint32_t corrupt;            /* damaged chunks or regions skipped */
	bool truncated;              /* cut short or no end marker */
	bool ended;                  /* end marker present */
	uint64_t end_mono_ns;        /* end marker, else the last timestamp seen */
	int64_t end_real_ns;         /* end marker only, else 0 */
	uint64_t events_recorded;    /* the end marker's count (0 without one) */
	uint64_t event_chunks;
	uint64_t lost_events;        /* kernel drops while recording */
	uint64_t malformed;          /* records the recorder's bus rejected */
	uint32_t nprocs, nstacks, nsnapshots;
	const char *argv;            /* "argv" note: how it was recorded, or NULL */
	const char *cmd;             /* "cmd" note: the `-- CMD` recorded, or NULL */
	unsigned int kinds;          /* "kinds" note: the -t mask recorded with, 0 = all */
};

/*
 * Fill `s` (zeroed here, bus initialised) from the recording at path.
 * Returns 0, or an exit status after a one-line error: 66 missing file,
 * 65 not a recording / newer version / nothing readable.
 */
int file_session_open(struct session *s, const char *path);
void file_session_close(struct session *s);
const struct file_info *file_session_info(const struct session *s);

/* The recorded user stack of a stack id: frame count, or -ENOENT. */
int file_stack_ips(struct session *s, int32_t id, uint64_t *ips, size_t max);

/* Same, over a memory buffer (tests, fuzzing); quiet suppresses warnings. */
int file_session_open_mem(struct session *s, const void *p, size_t len, const char *name,
			  bool quiet);

#endif
