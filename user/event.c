// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The event bus and the names every view uses. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <time.h>

#include "event.h"

void ev_bus_init(struct ev_bus *bus)
{
	memset(bus, 0, sizeof(*bus));
}

int ev_bus_add(struct ev_bus *bus, ev_sink_fn fn, void *ctx)
{
	if (bus->n >= EV_BUS_MAX_SINKS)
		return -ENOSPC;
	bus->sinks[bus->n].fn = fn;
	bus->sinks[bus->n].ctx = ctx;
	bus->n++;
	return 0;
}

void ev_bus_del(struct ev_bus *bus, ev_sink_fn fn, void *ctx)
{
	for (int i = 0; i < bus->n; i++) {
		if (bus->sinks[i].fn != fn || bus->sinks[i].ctx != ctx)
			continue;
		memmove(&bus->sinks[i], &bus->sinks[i + 1],
			(size_t)(bus->n - i - 1) * sizeof(bus->sinks[0]));
		bus->n--;
		return;
	}
}

size_t ev_min_size(unsigned int type)
{
	switch (type) {
	case EV_CALL:
	case EV_BLOCK:
		return sizeof(struct ev_call);
	case EV_FORK:
	case EV_EXEC:
	case EV_EXIT:
		return sizeof(struct ev_proc);
	case EV_CREATE:
		/* the raw stack copy may be cut to stack_len */
		return offsetof(struct ev_create, stack);
	case EV_KOBJ:
		return sizeof(struct ev_kobj);
	case EV_STACK:
		return sizeof(struct ev_stack);
	default:
		return 0;
	}
}

int ev_bus_emit(struct ev_bus *bus, const void *rec, size_t len)
{
	const struct ev_hdr *h = rec;
	size_t min;

	if (len < sizeof(*h) || !(min = ev_min_size(h->type)) || len < min || h->size > len) {
		bus->malformed++;
		return 0;
	}
	bus->delivered++;
	for (int i = 0; i < bus->n; i++) {
		int r = bus->sinks[i].fn(bus->sinks[i].ctx, h);

		if (r)
			return r;
	}
	return 0;
}

#define CALL_NAME_ROW(name, NAME, KIND, NARGS) [CALL_##NAME] = #name,
static const char *const call_names[CALL__MAX] = {
	[CALL_NONE] = "none",
	IPCS_SYSCALLS(CALL_NAME_ROW)     /* bpf/syscalls.h */
};
#undef CALL_NAME_ROW

const char *call_name(unsigned int call)
{
	return call < CALL__MAX ? call_names[call] : "?";
}

int call_from_name(const char *name)
{
	for (int i = 1; i < CALL__MAX; i++)
		if (!strcmp(call_names[i], name))
			return i;
	return -1;
}

unsigned int call_kind(unsigned int call)
{
#define CALL_KIND_ROW(name, NAME, KIND, NARGS) [CALL_##NAME] = KIND_##KIND,
	static const unsigned char kinds[CALL__MAX] = { IPCS_SYSCALLS(CALL_KIND_ROW) };
#undef CALL_KIND_ROW

	return call < CALL__MAX ? kinds[call] : KIND_NONE;
}

const char *kind_name(unsigned int kind)
{
	switch (kind) {
	case KIND_SHM: return "shm";
	case KIND_SEM: return "sem";
	case KIND_MSG: return "msg";
	default: return "none";
	}
}

const char *ev_type_name(unsigned int type)
{
	switch (type) {
	case EV_CALL: return "call";
	case EV_FORK: return "fork";
	case EV_EXEC: return "exec";
	case EV_EXIT: return "exit";
	case EV_CREATE: return "create";
	case EV_KOBJ: return "kobj";
	case EV_BLOCK: return "block";
	case EV_STACK: return "stack";
	default: return "?";
	}
}

const char *errno_name(int err)
{
	static __thread char buf[16];
	const char *n;

	if (err == 0)
		return "0";
	/* ERESTARTSYS, ERESTARTNOHAND, ERESTART_RESTARTBLOCK: EINTR when a handler
	 * ran (trace says the call may have restarted instead); ERESTARTNOINTR
	 * always restarts */
	if (err == 512 || err == 514 || err == 516)
		return "EINTR";
	if (err == 513)
		return "ERESTART";
	n = strerrorname_np(err);
	if (n)
		return n;
	snprintf(buf, sizeof(buf), "E%d", err);
	return buf;
}

const char *ctl_cmd_name(unsigned int kind, int cmd)
{
	static __thread char buf[16];

	switch (cmd) {
	case IPC_RMID: return "IPC_RMID";
	case IPC_SET: return "IPC_SET";
	case IPC_STAT: return "IPC_STAT";
	case IPC_INFO: return "IPC_INFO";
	}
	if (kind == KIND_SHM) {
		switch (cmd) {
		case SHM_LOCK: return "SHM_LOCK";
		case SHM_UNLOCK: return "SHM_UNLOCK";
		case SHM_STAT: return "SHM_STAT";
		case SHM_INFO: return "SHM_INFO";
		case SHM_STAT_ANY: return "SHM_STAT_ANY";
		}
	} else if (kind == KIND_SEM) {
		switch (cmd) {
		case GETPID: return "GETPID";
		case GETVAL: return "GETVAL";
		case GETALL: return "GETALL";
		case GETNCNT: return "GETNCNT";
		case GETZCNT: return "GETZCNT";
		case SETVAL: return "SETVAL";
		case SETALL: return "SETALL";
		case SEM_STAT: return "SEM_STAT";
		case SEM_INFO: return "SEM_INFO";
		case SEM_STAT_ANY: return "SEM_STAT_ANY";
		}
	} else if (kind == KIND_MSG) {
		switch (cmd) {
		case MSG_STAT: return "MSG_STAT";
		case MSG_INFO: return "MSG_INFO";
		case MSG_STAT_ANY: return "MSG_STAT_ANY";
		}
	}
	snprintf(buf, sizeof(buf), "%d", cmd);
	return buf;
}

bool ctl_cmd_reads_only(unsigned int kind, int cmd)
{
	switch (cmd) {
	case IPC_STAT: case IPC_INFO:
		return true;
	}
	switch (kind) {
	case KIND_SHM:
		return cmd == SHM_STAT || cmd == SHM_INFO || cmd == SHM_STAT_ANY;
	case KIND_SEM:
		return cmd == GETPID || cmd == GETVAL || cmd == GETALL || cmd == GETNCNT ||
		       cmd == GETZCNT || cmd == SEM_STAT || cmd == SEM_INFO || cmd == SEM_STAT_ANY;
	case KIND_MSG:
		return cmd == MSG_STAT || cmd == MSG_INFO || cmd == MSG_STAT_ANY;
	}
	return false;
}

uint64_t mono_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int64_t mono_to_real_offset(void)
{
	struct timespec m1, r, m2;

	/* Bracket the realtime read with two monotonic reads; take the middle. */
	clock_gettime(CLOCK_MONOTONIC, &m1);
	clock_gettime(CLOCK_REALTIME, &r);
	clock_gettime(CLOCK_MONOTONIC, &m2);
	int64_t mono = ((int64_t)m1.tv_sec * 1000000000 + m1.tv_nsec +
			(int64_t)m2.tv_sec * 1000000000 + m2.tv_nsec) / 2;
	return (int64_t)r.tv_sec * 1000000000 + r.tv_nsec - mono;
}

void format_ts(char *buf, size_t len, uint64_t ts_ns, int64_t mono_to_real_ns)
{
	int64_t real = (int64_t)ts_ns + mono_to_real_ns;
	time_t sec = real / 1000000000;
	struct tm tm;

	localtime_r(&sec, &tm);
	snprintf(buf, len, "%02d:%02d:%02d.%06ld", tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (long)(real % 1000000000) / 1000);
}

unsigned int log2_slot(uint64_t v)
{
	unsigned int s = 0;

	while (v > 1 && s < IPCS_HIST_SLOTS - 1) {
		v >>= 1;
		s++;
	}
	return s;
}
