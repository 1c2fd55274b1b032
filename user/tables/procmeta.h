/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Process metadata kept for attribution and symbolization after a process
 * is gone: captured live (from /proc while the process exists) and stored
 * in recordings, so that a stack can be symbolized later, elsewhere.
 */
#ifndef IPCS_PROCMETA_H
#define IPCS_PROCMETA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROCMETA_BUILD_ID_MAX 20

struct proc_map {
	uint64_t start, end, pgoff;      /* executable mappings only */
	char path[256];
	uint8_t build_id[PROCMETA_BUILD_ID_MAX];
	uint8_t build_id_len;
	/* In proc_meta.old only: the image this mapping belonged to was the
	 * process's from since_ns until its exec at until_ns (CLOCK_MONOTONIC). */
	uint64_t since_ns, until_ns;
};

struct proc_meta {
	int32_t pid;
	int32_t ppid;
	uint32_t uid;
	uint64_t cgroup_id;
	uint32_t ipcns;
	char comm[16];
	char cmdline[512];
	char exe[256];
	char cgroup[256];
	char container[80];
	bool exited;
	uint64_t exit_ts_ns;
	struct proc_map *maps;
	size_t nmaps;
	/* Not recorded: the cache's change counter at this entry's last
	 * change (a writer re-writes an entry only when it moved on), and
	 * when /proc was last read for it (CLOCK_MONOTONIC ns, 0 never). */
	uint64_t gen;
	uint64_t captured_ns;
	/*
	 * Not recorded: when the current image began (its exec, CLOCK_MONOTONIC,
	 * 0 unknown), and the mappings of the images before it (a process that
	 * created something and then exec'd: its stack is unwound against the
	 * mappings it had at the creation).  Bounded: the oldest images go.
	 */
	uint64_t image_ns;
	struct proc_map *old;
	size_t nold;
};

struct procmeta_cache;

struct procmeta_cache *procmeta_new(void);
void procmeta_free(struct procmeta_cache *c);
/* Capture pid from /proc now (replaces an older entry for the same pid). */
const struct proc_meta *procmeta_capture(struct procmeta_cache *c, int32_t pid);
/* The same facts without the cache or the mappings (the one /proc parser,
 * proc_info_read() uses it).  0, or -ESRCH when the process is gone. */
int procmeta_read(int32_t pid, struct proc_meta *out);
/* Insert a copy (used by the recording reader). */
const struct proc_meta *procmeta_put(struct procmeta_cache *c, const struct proc_meta *m);
const struct proc_meta *procmeta_get(const struct procmeta_cache *c, int32_t pid);
void procmeta_mark_exit(struct procmeta_cache *c, int32_t pid, uint64_t ts_ns);
/* Iterate: returns entry i or NULL past the end. */
const struct proc_meta *procmeta_at(const struct procmeta_cache *c, size_t i);
/* The mapping holding addr, or NULL. */
const struct proc_map *procmeta_find_map(const struct proc_meta *m, uint64_t addr);

/*
 * A forked child that did not exec shares its parent's mappings: copy the
 * parent's entry under the child's pid (no /proc access).  NULL if the
 * parent is unknown.
 */
const struct proc_meta *procmeta_inherit(struct procmeta_cache *c, int32_t child,
					 int32_t parent);
/*
 * Mappings learnt from elsewhere (perf mmap records, see mmaptrack.h), for
 * processes that are gone before /proc could be read: add one executable
 * mapping (replacing any that overlaps it), or forget them all (exec).
 * The entry is created if missing.  0 or -ENOMEM.
 */
int procmeta_add_map(struct procmeta_cache *c, int32_t pid, const struct proc_map *m);
/*
 * An exec at ts_ns: the current mappings become the previous image's (kept
 * in `old` for creations made before it), and the new image starts empty.
 */
int procmeta_end_image(struct procmeta_cache *c, int32_t pid, uint64_t ts_ns);
/*
 * The process as it was at ts_ns: `m` itself when that is its current image
 * (or ts_ns is 0), else a copy in *tmp whose maps are the image of that
 * time (pointing into m->old: valid while m is).
 */
const struct proc_meta *procmeta_at_time(const struct proc_meta *m, uint64_t ts_ns,
					 struct proc_meta *tmp);
/* After an exec: the new comm and executable (either may be NULL). */
int procmeta_set_image(struct procmeta_cache *c, int32_t pid, const char *comm,
		       const char *exe);
/*
 * Forget processes that exited before `before_ns` (CLOCK_MONOTONIC), so a
 * long machine-wide run does not keep every process it ever saw.  Pointers
 * to the forgotten entries become invalid.  Returns how many went.
 */
size_t procmeta_prune(struct procmeta_cache *c, uint64_t before_ns);
/* Number of entries. */
size_t procmeta_count(const struct procmeta_cache *c);
/*
 * Parse one /proc/PID/maps line; true if it is an executable mapping of a
 * file (path set, " (deleted)" kept).  Build-id left empty.
 */
bool procmeta_parse_map_line(const char *line, struct proc_map *m);
/* GNU build-id of an ELF file (libelf); its length, or 0 if it has none. */
size_t procmeta_build_id_fd(int fd, uint8_t *out, size_t len);
/* "0123ab..." for a build-id; out needs 2*len+1 bytes. */
void procmeta_build_id_hex(const uint8_t *id, size_t len, char *out);

#endif
