// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Process metadata captured from /proc/PID while the process lives, so that
 * attribution and stack symbolization still work after it has exited.
 *
 * Entries are heap-allocated and never move: a pointer returned by the cache
 * stays valid until procmeta_free(); recapturing a pid updates its entry in
 * place.  Build-ids are read with libelf once per file (dev, inode, size,
 * mtime), not once per process: every process maps the same libc.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <elfutils/libdwelf.h>
#include <gelf.h>
#include <libelf.h>

#include "event.h"
#include "tables/proc.h"
#include "tables/procmeta.h"
#include "util/vec.h"

struct bid_entry {
	dev_t dev;
	ino_t ino;
	off_t size;
	int64_t mtime;
	uint8_t id[PROCMETA_BUILD_ID_MAX];
	uint8_t len;
};

struct procmeta_cache {
	struct proc_meta **v;       /* insertion order, for procmeta_at() */
	size_t n, cap;
	struct proc_meta **hash;    /* open addressing on pid, size hcap (power of 2) */
	size_t hcap;
	struct bid_entry *bids;     /* build-id cache */
	size_t nbids, capbids;
	uint64_t gen;               /* bumped on every change of an entry */
};

static void touch(struct procmeta_cache *c, struct proc_meta *e)
{
	e->gen = ++c->gen;
}

struct procmeta_cache *procmeta_new(void)
{
	struct procmeta_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	elf_version(EV_CURRENT);
	return c;
}

void procmeta_free(struct procmeta_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i]->maps);
		free(c->v[i]->old);
		free(c->v[i]);
	}
	free(c->v);
	free(c->hash);
	free(c->bids);
	free(c);
}

static size_t slot_of(int32_t pid, size_t hcap)
{
	return ((uint32_t)pid * 2654435761u) & (hcap - 1);
}

static struct proc_meta *lookup(const struct procmeta_cache *c, int32_t pid)
{
	if (!c->hcap)
		return NULL;
	for (size_t i = slot_of(pid, c->hcap);; i = (i + 1) & (c->hcap - 1)) {
		if (!c->hash[i])
			return NULL;
		if (c->hash[i]->pid == pid)
			return c->hash[i];
	}
}

static int rehash(struct procmeta_cache *c, size_t hcap)
{
	struct proc_meta **h = calloc(hcap, sizeof(*h));

	if (!h)
		return -ENOMEM;
	for (size_t k = 0; k < c->n; k++) {
		size_t i = slot_of(c->v[k]->pid, hcap);

		while (h[i])
			i = (i + 1) & (hcap - 1);
		h[i] = c->v[k];
	}
	free(c->hash);
	c->hash = h;
	c->hcap = hcap;
	return 0;
}

/* The entry for pid, created empty if missing. */
static struct proc_meta *slot_for(struct procmeta_cache *c, int32_t pid)
{
	struct proc_meta *m = lookup(c, pid);

	if (m)
		return m;
	if (vec_grow(c->v, c->n, c->cap))
		return NULL;
	if ((c->n + 1) * 2 > c->hcap && rehash(c, c->hcap ? c->hcap * 2 : 128))
		return NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->pid = pid;
	c->v[c->n++] = m;
	size_t i = slot_of(pid, c->hcap);

	while (c->hash[i])
		i = (i + 1) & (c->hcap - 1);
	c->hash[i] = m;
	return m;
}

const struct proc_meta *procmeta_get(const struct procmeta_cache *c, int32_t pid)
{
	return c ? lookup(c, pid) : NULL;
}

const struct proc_meta *procmeta_at(const struct procmeta_cache *c, size_t i)
{
	return c && i < c->n ? c->v[i] : NULL;
}

size_t procmeta_count(const struct procmeta_cache *c)
{
	return c ? c->n : 0;
}

void procmeta_mark_exit(struct procmeta_cache *c, int32_t pid, uint64_t ts_ns)
{
	struct proc_meta *m = c ? lookup(c, pid) : NULL;

	if (m && !m->exited) {
		m->exited = true;
		m->exit_ts_ns = ts_ns;
		touch(c, m);
	}
}

const struct proc_map *procmeta_find_map(const struct proc_meta *m, uint64_t addr)
{
	if (!m)
		return NULL;
	for (size_t i = 0; i < m->nmaps; i++)
		if (addr >= m->maps[i].start && addr < m->maps[i].end)
			return &m->maps[i];
	return NULL;
}

/* Copy `src` into `dst` (an entry of the cache), deep-copying the maps. */
static int assign(struct proc_meta *dst, const struct proc_meta *src, int32_t pid)
{
	struct proc_map *maps = NULL;

	if (src->nmaps) {
		maps = malloc(src->nmaps * sizeof(*maps));
		if (!maps)
			return -ENOMEM;
		memcpy(maps, src->maps, src->nmaps * sizeof(*maps));
	}
	free(dst->maps);
	free(dst->old);
	*dst = *src;
	dst->pid = pid;
	dst->maps = maps;
	dst->old = NULL;        /* a copy (child, recording) has no earlier image */
	dst->nold = 0;
	return 0;
}

const struct proc_meta *procmeta_put(struct procmeta_cache *c, const struct proc_meta *m)
{
	struct proc_meta *e;

	if (!c || !m)
		return NULL;
	e = slot_for(c, m->pid);
	if (!e || assign(e, m, m->pid))
		return NULL;
	touch(c, e);
	return e;
}

const struct proc_meta *procmeta_inherit(struct procmeta_cache *c, int32_t child,
					 int32_t parent)
{
	const struct proc_meta *p = procmeta_get(c, parent);
	struct proc_meta tmp;
	struct proc_meta *e;

	if (!p)
		return NULL;
	tmp = *p;          /* p may move into a rehashed table, not in memory */
	tmp.ppid = parent;
	tmp.exited = false;
	tmp.exit_ts_ns = 0;
	e = slot_for(c, child);
	if (!e || assign(e, &tmp, child))
		return NULL;
	touch(c, e);
	return e;
}

size_t procmeta_prune(struct procmeta_cache *c, uint64_t before_ns)
{
	size_t j = 0, gone;

	if (!c)
		return 0;
	for (size_t i = 0; i < c->n; i++) {
		struct proc_meta *m = c->v[i];

		if (m->exited && m->exit_ts_ns && m->exit_ts_ns < before_ns) {
			free(m->maps);
			free(m->old);
			free(m);
		} else {
			c->v[j++] = m;       /* keeps insertion order */
		}
	}
	gone = c->n - j;
	c->n = j;
	if (gone && rehash(c, c->hcap ? c->hcap : 128)) {
		/* out of memory for a new table: clear the old one and retry small */
		memset(c->hash, 0, c->hcap * sizeof(*c->hash));
		for (size_t k = 0; k < c->n; k++) {
			size_t i = slot_of(c->v[k]->pid, c->hcap);

			while (c->hash[i])
				i = (i + 1) & (c->hcap - 1);
			c->hash[i] = c->v[k];
		}
	}
	return gone;
}

int procmeta_add_map(struct procmeta_cache *c, int32_t pid, const struct proc_map *pm)
{
	struct proc_meta *e = c ? slot_for(c, pid) : NULL;
	struct proc_map *v;
	size_t j = 0;

	if (!e)
		return -ENOMEM;
	/* a new mapping replaces whatever it overlaps (mmap MAP_FIXED, munmap) */
	for (size_t i = 0; i < e->nmaps; i++)
		if (e->maps[i].end <= pm->start || e->maps[i].start >= pm->end)
			e->maps[j++] = e->maps[i];
	e->nmaps = j;
	v = realloc(e->maps, (e->nmaps + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	e->maps = v;
	e->maps[e->nmaps++] = *pm;
	touch(c, e);
	return 0;
}

/* At most this many mappings of earlier images are kept per process. */
#define OLD_MAPS_MAX 256

int procmeta_end_image(struct procmeta_cache *c, int32_t pid, uint64_t ts_ns)
{
	struct proc_meta *e = c ? slot_for(c, pid) : NULL;
	struct proc_map *v;
	size_t drop = 0;

	if (!e)
		return -ENOMEM;
	if (e->nmaps > OLD_MAPS_MAX) {
		e->nmaps = 0;             /* never: an image has a few dozen */
	}
	/* the oldest images go first when the history is full */
	while (e->nold - drop + e->nmaps > OLD_MAPS_MAX) {
		uint64_t until = e->old[drop].until_ns;

		while (drop < e->nold && e->old[drop].until_ns == until)
			drop++;
	}
	if (drop) {
		memmove(e->old, e->old + drop, (e->nold - drop) * sizeof(*e->old));
		e->nold -= drop;
		touch(c, e);   /* the old images moved: a kept view of them is stale */
	}
	if (e->nmaps) {
		v = realloc(e->old, (e->nold + e->nmaps) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		e->old = v;
		for (size_t i = 0; i < e->nmaps; i++) {
			e->old[e->nold + i] = e->maps[i];
			e->old[e->nold + i].since_ns = e->image_ns;
			e->old[e->nold + i].until_ns = ts_ns ? ts_ns : 1;
		}
		e->nold += e->nmaps;
	}
	free(e->maps);
	e->maps = NULL;
	e->nmaps = 0;
	e->image_ns = ts_ns;
	touch(c, e);
	return 0;
}

const struct proc_meta *procmeta_at_time(const struct proc_meta *m, uint64_t ts_ns,
					 struct proc_meta *tmp)
{
	size_t i, n;

	if (!m || !ts_ns || !m->nold || ts_ns >= m->image_ns)
		return m;
	/* images are appended in order, each a run with one (since, until) */
	for (i = 0; i < m->nold; i++)
		if (m->old[i].since_ns <= ts_ns && ts_ns < m->old[i].until_ns)
			break;
	*tmp = *m;
	tmp->maps = NULL;
	tmp->nmaps = 0;
	tmp->old = NULL;
	tmp->nold = 0;
	if (i == m->nold)
		return tmp;             /* an image we never saw: no mappings */
	for (n = i; n < m->nold && m->old[n].until_ns == m->old[i].until_ns; n++)
		;
	tmp->maps = &m->old[i];
	tmp->nmaps = n - i;
	return tmp;
}

int procmeta_set_image(struct procmeta_cache *c, int32_t pid, const char *comm,
		       const char *exe)
{
	struct proc_meta *e = c ? slot_for(c, pid) : NULL;

	if (!e)
		return -ENOMEM;
	if (comm) {
		strncpy(e->comm, comm, sizeof(e->comm) - 1);
		e->comm[sizeof(e->comm) - 1] = '\0';
	}
	if (exe)
		snprintf(e->exe, sizeof(e->exe), "%s", exe);
	touch(c, e);
	return 0;
}

/* ---- /proc readers -------------------------------------------------- */

static ssize_t read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;

	if (fd < 0)
		return -errno;
	while (got + 1 < len) {
		ssize_t r = read(fd, buf + got, len - 1 - got);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			close(fd);
			return r;
		}
		if (r == 0)
			break;
		got += r;
	}
	close(fd);
	buf[got] = '\0';
	return got;
}

/* argv joined with spaces; "..." marks truncation. */
static void read_cmdline(int32_t pid, char *out, size_t len)
{
	char path[64], buf[4096];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	n = read_file(path, buf, sizeof(buf));
	out[0] = '\0';
	if (n <= 0)
		return;
	while (n > 0 && buf[n - 1] == '\0')
		n--;
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	buf[n] = '\0';
	if ((size_t)n >= len) {
		memcpy(out, buf, len - 4);
		strcpy(out + len - 4, "...");
	} else {
		memcpy(out, buf, n + 1);
	}
}

static void read_cgroup(struct proc_meta *m)
{
	char path[64], buf[4096];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", m->pid);
	if (read_file(path, buf, sizeof(buf)) <= 0)
		return;
	/* cgroup v2: the "0::/path" line; v1 only: the first line's path */
	{
		char *save = NULL, *first = NULL;

		for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			if (!first)
				first = line;
			if (strncmp(line, "0::", 3))
				continue;
			snprintf(m->cgroup, sizeof(m->cgroup), "%s", line + 3);
			break;
		}
		if (!m->cgroup[0] && first && strrchr(first, ':'))
			snprintf(m->cgroup, sizeof(m->cgroup), "%s", strrchr(first, ':') + 1);
	}
	if (!m->cgroup[0])
		return;
	cgroup_container_id(m->cgroup, m->container, sizeof(m->container));
	/* The cgroup id BPF reports is the cgroup directory's inode. */
	char dir[sizeof(m->cgroup) + 32];

	snprintf(dir, sizeof(dir), "/sys/fs/cgroup%s", m->cgroup);
	if (!stat(dir, &st))
		m->cgroup_id = st.st_ino;
}

static void read_status(struct proc_meta *m)
{
	char path[64], buf[4096];

	snprintf(path, sizeof(path), "/proc/%d/status", m->pid);
	if (read_file(path, buf, sizeof(buf)) <= 0)
		return;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		if (!strncmp(line, "PPid:", 5))
			m->ppid = strtol(line + 5, NULL, 10);
		else if (!strncmp(line, "Uid:", 4))
			m->uid = strtoul(line + 4, NULL, 10);
	}
}

/*
 * Whether the process still has its address space: /proc/PID/stat shows a
 * vsize of 0 once exit_mm() has dropped it (and for a zombie).  True after
 * a read of /proc/PID/maps means that read saw every mapping: the kernel
 * lists them only while the mm has users, and an exiting task never gets
 * its mm back.
 */
static bool has_mm(int32_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long vsize = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (read_file(path, buf, sizeof(buf)) <= 0 || !(p = strrchr(buf, ')')))
		return false;
	/* after "pid (comm)": fields 3 (state) to 22 (starttime), then vsize */
	if (sscanf(p + 1, "%*s %*s %*s %*s %*s %*s %*s %*s %*s %*s "
		   "%*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu", &vsize) != 1)
		return false;
	return vsize > 0;
}

bool procmeta_parse_map_line(const char *line, struct proc_map *m)
{
	unsigned long long start, end, pgoff, ino;
	char perms[8];
	int pathpos = 0;
	size_t len;

	memset(m, 0, sizeof(*m));
	if (sscanf(line, "%llx-%llx %7s %llx %*x:%*x %llu %n",
		   &start, &end, perms, &pgoff, &ino, &pathpos) != 5 || !pathpos)
		return false;
	if (strlen(perms) < 3 || perms[2] != 'x' || line[pathpos] != '/')
		return false;
	m->start = start;
	m->end = end;
	m->pgoff = pgoff;
	snprintf(m->path, sizeof(m->path), "%s", line + pathpos);
	len = strlen(m->path);
	if (len && m->path[len - 1] == '\n')
		m->path[len - 1] = '\0';
	return true;
}

size_t procmeta_build_id_fd(int fd, uint8_t *out, size_t len)
{
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	const void *id = NULL;
	ssize_t n;

	if (!elf)
		return 0;
	n = dwelf_elf_gnu_build_id(elf, &id);   /* id points into elf's data */
	if (n <= 0 || !id) {
		elf_end(elf);
		return 0;
	}
	if ((size_t)n > len)
		n = len;
	memcpy(out, id, n);
	elf_end(elf);
	return n;
}

void procmeta_build_id_hex(const uint8_t *id, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hex[id[i] >> 4];
		out[2 * i + 1] = hex[id[i] & 15];
	}
	out[2 * len] = '\0';
}

/*
 * Open the file behind a mapping: map_files/ works for deleted files and
 * across mount namespaces; the process's root is the next best thing.
 */
static int open_mapped(int32_t pid, const struct proc_map *pm)
{
	char path[sizeof(pm->path) + 64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64,
		 pid, pm->start, pm->end);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	snprintf(path, sizeof(path), "/proc/%d/root%s", pid, pm->path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	return open(pm->path, O_RDONLY | O_CLOEXEC);
}

static void fill_build_id(struct procmeta_cache *c, int32_t pid, struct proc_map *pm)
{
	struct bid_entry *b;
	struct stat st;
	int fd = open_mapped(pid, pm);

	if (fd < 0)
		return;
	if (fstat(fd, &st)) {
		close(fd);
		return;
	}
	for (size_t i = 0; i < c->nbids; i++) {
		b = &c->bids[i];
		if (b->dev == st.st_dev && b->ino == st.st_ino && b->size == st.st_size &&
		    b->mtime == (int64_t)st.st_mtime) {
			memcpy(pm->build_id, b->id, b->len);
			pm->build_id_len = b->len;
			close(fd);
			return;
		}
	}
	pm->build_id_len = procmeta_build_id_fd(fd, pm->build_id, sizeof(pm->build_id));
	close(fd);
	if (vec_grow(c->bids, c->nbids, c->capbids))
		return;
	b = &c->bids[c->nbids++];
	b->dev = st.st_dev;
	b->ino = st.st_ino;
	b->size = st.st_size;
	b->mtime = st.st_mtime;
	memcpy(b->id, pm->build_id, pm->build_id_len);
	b->len = pm->build_id_len;
}

static int read_maps(struct procmeta_cache *c, int32_t pid, struct proc_map **out, size_t *nout)
{
	char path[64], *line = NULL;
	size_t cap = 0, n = 0, linecap = 0;
	struct proc_map *v = NULL, pm;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (getline(&line, &linecap, f) > 0) {
		if (!procmeta_parse_map_line(line, &pm))
			continue;
		if (n == cap) {
			struct proc_map *nv;

			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv)
				break;
			v = nv;
		}
		fill_build_id(c, pid, &pm);
		v[n++] = pm;
	}
	free(line);
	fclose(f);
	*out = v;
	*nout = n;
	return 0;
}

/*
 * One process's facts from /proc (the one parser: `proc_info` is filled
 * from it too): comm, cmdline, exe, status (uid, ppid), cgroup and
 * container, IPC namespace.  0, or -ESRCH when the process is gone.
 */
int procmeta_read(int32_t pid, struct proc_meta *out)
{
	struct proc_meta tmp = { .pid = pid };
	char path[64], buf[64];
	struct stat st;
	ssize_t n;

	if (pid <= 0)
		return -ESRCH;
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	n = read_file(path, buf, sizeof(buf));
	if (n < 0)
		return -ESRCH;
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	buf[sizeof(tmp.comm) - 1] = '\0';
	memcpy(tmp.comm, buf, sizeof(tmp.comm));
	read_cmdline(pid, tmp.cmdline, sizeof(tmp.cmdline));
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, tmp.exe, sizeof(tmp.exe) - 1);
	tmp.exe[n > 0 ? n : 0] = '\0';
	read_status(&tmp);
	read_cgroup(&tmp);
	snprintf(path, sizeof(path), "/proc/%d/ns/ipc", pid);
	if (!stat(path, &st))
		tmp.ipcns = st.st_ino;
	*out = tmp;
	return 0;
}

const struct proc_meta *procmeta_capture(struct procmeta_cache *c, int32_t pid)
{
	struct proc_meta tmp;
	struct proc_meta *e;

	if (!c || procmeta_read(pid, &tmp))
		return NULL;          /* gone: keep whatever we had */
	read_maps(c, pid, &tmp.maps, &tmp.nmaps);
	/*
	 * A zombie still has /proc/PID but no mappings any more, and a process
	 * that exits while its maps are read leaves the list cut short (the
	 * executable's lines, not the libraries' above them: a creator's stack
	 * then stopped at an unknown libc frame).  Either way keep the entry
	 * captured earlier (or inherited at fork) rather than this one.
	 */
	e = lookup(c, pid);
	if ((!tmp.nmaps || !has_mm(pid)) && e && e->nmaps) {
		free(tmp.maps);
		return e;
	}
	e = slot_for(c, pid);
	if (!e) {
		free(tmp.maps);
		return NULL;
	}
	free(e->maps);
	tmp.image_ns = e->image_ns;       /* /proc shows the current image only */
	tmp.old = e->old;
	tmp.nold = e->nold;
	*e = tmp;
	e->captured_ns = mono_now_ns();
	touch(c, e);
	return e;
}
