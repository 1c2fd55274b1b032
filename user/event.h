/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The event model.  Records are the ABI structs of bpf/events.h, unchanged:
 * the BPF side already decodes arguments, so userspace hands the same bytes
 * to every consumer, whether they came from the ring buffer (live) or from a
 * recording file.
 *
 *   source (live ring buffer | recording file)
 *      -> ev_bus_emit()  -> every registered sink (analyses, views, writer)
 *
 * Sinks must not keep the pointer past the callback; copy what they need.
 */
#ifndef IPCS_EVENT_H
#define IPCS_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "events.h"

typedef int (*ev_sink_fn)(void *ctx, const struct ev_hdr *ev);

#define EV_BUS_MAX_SINKS 16

struct ev_bus {
	struct { ev_sink_fn fn; void *ctx; } sinks[EV_BUS_MAX_SINKS];
	int n;
	uint64_t delivered;
	uint64_t malformed;      /* records too short for their type: counted, dropped */
};

void ev_bus_init(struct ev_bus *bus);
int ev_bus_add(struct ev_bus *bus, ev_sink_fn fn, void *ctx);
/* Remove a sink added with the same fn and ctx (no-op if absent). */
void ev_bus_del(struct ev_bus *bus, ev_sink_fn fn, void *ctx);
/*
 * Validate the record (type known, size fits its type) and hand it to every
 * sink in order.  A sink returning non-zero stops the run (returned).
 */
int ev_bus_emit(struct ev_bus *bus, const void *rec, size_t len);

/* Minimum record size for each type, 0 for unknown types. */
size_t ev_min_size(unsigned int type);

/*
 * An event source.  poll() delivers what is available to `bus`, waiting at
 * most timeout_ms; it returns the number of records delivered, 0 on
 * timeout, -ENODATA at the end of a finite source, or another -errno.
 * A live source may deliver no events at all (latency's in-kernel
 * histograms): its poll() returns 0 and the run loop only keeps time.
 */
struct ev_source {
	const char *name;                 /* "live", "latency", "file" */
	struct ev_bus *bus;
	/*
	 * Readable when poll() has records (the live run loop waits on it),
	 * or -1: nothing to wait for, only ticks, -d and CMD's exit.
	 */
	int wait_fd;
	int (*poll)(struct ev_source *src, int timeout_ms);
	uint64_t (*lost)(struct ev_source *src);   /* events the kernel dropped */
	void (*destroy)(struct ev_source *src);
	int64_t mono_to_real_ns;          /* add to ts_ns for wall-clock time */
	uint64_t boot_mono_ns;            /* CLOCK_MONOTONIC when the source began */
	/*
	 * The first non-zero a sink returned (an exit status, or -errno): the
	 * source stops delivering, live and file alike, and session_drive()
	 * makes it the run's status (a failed replay never exits 0).
	 */
	int sink_status;
};

/* Names */
const char *call_name(unsigned int call);        /* "semtimedop", "?" */
int call_from_name(const char *name);            /* CALL_*, or -1 */
unsigned int call_kind(unsigned int call);       /* KIND_* */
const char *kind_name(unsigned int kind);        /* "shm", "sem", "msg", "none" */
const char *errno_name(int err);                 /* "EIDRM", or "E<number>" (static buffer);
                                                    the kernel's restart codes (512-516) as
                                                    what the program saw: "EINTR"/"ERESTART" */
/* An IPC key in text, everywhere (lsipc's format); JSON: the unsigned number. */
#define IPCS_KEY_FMT "0x%08x"
const char *ctl_cmd_name(unsigned int kind, int cmd); /* "IPC_RMID", "GETVAL", ... */
/* A *ctl command that only reads (IPC_STAT, GETVAL, ...): a monitor's look, not use. */
bool ctl_cmd_reads_only(unsigned int kind, int cmd);
const char *ev_type_name(unsigned int type);     /* "call", "fork", ... */

/* Wall-clock time of an event for display, e.g. "12:03:04.123456". */
void format_ts(char *buf, size_t len, uint64_t ts_ns, int64_t mono_to_real_ns);
/* CLOCK_MONOTONIC now, in nanoseconds (the clock of ev_hdr.ts_ns). */
uint64_t mono_now_ns(void);
/* The same in seconds, for loops that keep -d and intervals as doubles. */
static inline double mono_now_s(void) { return (double)mono_now_ns() / 1e9; }
/* Offset to add to CLOCK_MONOTONIC nanoseconds to get CLOCK_REALTIME. */
int64_t mono_to_real_offset(void);

/* Latency helpers shared by histograms: log2 slot of a value, and its bounds. */
unsigned int log2_slot(uint64_t v);

#endif
