/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A snapshot of the kernel's System V IPC tables as one namespace sees them
 * (/proc/sysvipc/shm, a SEM_STAT_ANY/MSG_STAT_ANY walk or the sem/msg text,
 * plus semctl for per-semaphore state).
 * Analyses take snapshots, never read /proc themselves, so they can be
 * unit-tested on synthetic tables and run on recorded ones.
 */
#ifndef IPCS_SYSVIPC_H
#define IPCS_SYSVIPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct ipc_common {
	int32_t id;
	int32_t key;
	uint32_t mode;          /* perms incl. SHM_DEST/SHM_LOCKED bits as /proc shows */
	uint32_t uid, gid, cuid, cgid;
	int64_t ctime;          /* seconds since the epoch */
	uint32_t ipcns;         /* namespace inode the object lives in */
};

struct shm_obj {
	struct ipc_common c;
	uint64_t size;
	int32_t cpid, lpid;
	uint64_t nattch;
	int64_t atime, dtime;
	uint64_t rss, swap;     /* bytes */
	bool dest;              /* SHM_DEST: marked for removal */
	bool locked;            /* SHM_LOCKED */
	bool hugetlb;           /* backed by hugetlbfs */
	int32_t *attached;      /* pids with it mapped (from /proc/PID/maps), optional */
	size_t nattached;
};

struct sem_val {
	int32_t val;
	int32_t ncnt, zcnt;
	int32_t pid;            /* GETPID: last process to operate, -1 not read */
};

struct sem_obj {
	struct ipc_common c;
	uint32_t nsems;
	int64_t otime;
	struct sem_val *sems;   /* nsems entries, NULL if semctl failed */
};

struct msg_obj {
	struct ipc_common c;
	uint64_t cbytes, qnum, qbytes;
	int32_t lspid, lrpid;
	int64_t stime, rtime;
};

struct ipc_snapshot {
	uint32_t ipcns;         /* namespace the tables were read in */
	uint64_t taken_ns;      /* CLOCK_MONOTONIC */
	int64_t taken_real;     /* seconds since the epoch */
	struct shm_obj *shm; size_t nshm;
	struct sem_obj *sem; size_t nsem;
	struct msg_obj *msg; size_t nmsg;
	unsigned int warnings;  /* lines that could not be parsed (counted, reported) */
};

/* Which tables to read. */
#define SNAP_SHM  (1u << 0)
#define SNAP_SEM  (1u << 1)
#define SNAP_MSG  (1u << 2)
#define SNAP_ALL  (SNAP_SHM | SNAP_SEM | SNAP_MSG)
#define SNAP_SEMVALS (1u << 3)   /* also per-semaphore values via semctl */
#define SNAP_ATTACH  (1u << 4)   /* also attached pids from /proc/PID/maps */
/* With SNAP_SEMVALS: skip the last pid of each semaphore (GETPID is one
 * semctl per semaphore, the bulk of a listing's cost); sem_val.pid = -1. */
#define SNAP_NOSEMPID (1u << 5)
/* With SNAP_SEMVALS: leave semncnt/semzcnt to snapshot_count_waiters() (the
 * caller has read the waiters already: no /proc walk here). */
#define SNAP_NOSEMCNT (1u << 6)

/* Read the tables of the caller's IPC namespace.  0 or -errno. */
int snapshot_read(struct ipc_snapshot *s, unsigned int what);
struct wait_facts;
/*
 * SNAP_NOSEMCNT: semncnt/semzcnt from the blocked threads in `f` (read by
 * tables/waitscan.h; NULL: scan /proc for them), as snapshot_read does.
 * Threads of other namespaces than s's are not counted: `f` may hold every
 * namespace's.
 */
void snapshot_count_waiters(struct ipc_snapshot *s, const struct wait_facts *f);
/* Parsers for one /proc/sysvipc file's text (unit-tested).  0 or -errno. */
int parse_sysvipc_shm(FILE *f, struct ipc_snapshot *s);
int parse_sysvipc_sem(FILE *f, struct ipc_snapshot *s);
int parse_sysvipc_msg(FILE *f, struct ipc_snapshot *s);
void snapshot_free(struct ipc_snapshot *s);
/* Keep only the objects with this id (a detail view).  Returns how many remain. */
size_t snapshot_keep_id(struct ipc_snapshot *s, int32_t id);

/* Sort each table by id, as the kernel's are read (lookups bsearch). */
void snapshot_sort(struct ipc_snapshot *s);
/* Lookups by id (linear or indexed; NULL if absent). */
const struct shm_obj *snapshot_shm(const struct ipc_snapshot *s, int32_t id);
const struct sem_obj *snapshot_sem(const struct ipc_snapshot *s, int32_t id);
const struct msg_obj *snapshot_msg(const struct ipc_snapshot *s, int32_t id);

#endif
