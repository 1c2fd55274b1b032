// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * perf side-band records (PERF_RECORD_MMAP2, COMM with exec, FORK) from a
 * dummy software event per CPU, as `perf record` collects them, applied to
 * a procmeta cache.  Records from different CPUs are merged by time
 * (sample_id_all + PERF_SAMPLE_TIME) so that a fork is applied before the
 * child's own mappings.
 */
#include <errno.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "source/mmaptrack.h"

#define DATA_PAGES 64                /* per CPU: 256 KiB of records */

struct cpu_buf {
	int fd;
	struct perf_event_mmap_page *meta;
	uint8_t *data;
	size_t size;                 /* data area, a power of two */
};

struct mmaptrack {
	struct cpu_buf *cpus;
	int ncpus;
	size_t page;
	uint64_t lost;
	/* pids that exec'd and whose first mapping (the executable) is due */
	int32_t *execd;
	size_t nexecd;
};

struct rec {
	uint64_t time;
	uint64_t seq;                /* arrival order: ties keep it */
	struct perf_event_header *h; /* copy, malloc'd */
};

static int perf_open(struct perf_event_attr *attr, int cpu)
{
	return syscall(SYS_perf_event_open, attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

static void attr_init(struct perf_event_attr *a, bool build_id)
{
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->type = PERF_TYPE_SOFTWARE;
	a->config = PERF_COUNT_SW_DUMMY;
	a->sample_type = PERF_SAMPLE_TIME;
	a->sample_id_all = 1;
	a->mmap = 1;                 /* executable mappings only */
	a->mmap2 = 1;
	a->comm = 1;
	a->comm_exec = 1;
	a->task = 1;
	a->build_id = build_id;
	a->use_clockid = 1;
	a->clockid = CLOCK_MONOTONIC;
}

struct mmaptrack *mmaptrack_open(int *err)
{
	struct mmaptrack *t = calloc(1, sizeof(*t));
	struct perf_event_attr attr;
	bool build_id = true;
	int n = libbpf_num_possible_cpus();

	*err = 0;
	if (!t || n <= 0) {
		free(t);
		*err = n <= 0 ? n : -ENOMEM;
		return NULL;
	}
	t->page = sysconf(_SC_PAGESIZE);
	t->cpus = calloc(n, sizeof(*t->cpus));
	if (!t->cpus) {
		free(t);
		*err = -ENOMEM;
		return NULL;
	}
	t->ncpus = n;
	for (int cpu = 0; cpu < n; cpu++) {
		struct cpu_buf *b = &t->cpus[cpu];
		void *p;

		b->fd = -1;
		attr_init(&attr, build_id);
		b->fd = perf_open(&attr, cpu);
		if (b->fd < 0 && errno == EINVAL && build_id) {
			build_id = false;    /* before 5.12: read build-ids from files */
			attr_init(&attr, false);
			b->fd = perf_open(&attr, cpu);
		}
		if (b->fd < 0) {
			if (errno == ENODEV)
				continue;    /* offline CPU */
			*err = -errno;
			mmaptrack_close(t);
			return NULL;
		}
		b->size = DATA_PAGES * t->page;
		p = mmap(NULL, b->size + t->page, PROT_READ | PROT_WRITE, MAP_SHARED, b->fd, 0);
		if (p == MAP_FAILED) {
			*err = -errno;
			mmaptrack_close(t);
			return NULL;
		}
		b->meta = p;
		b->data = (uint8_t *)p + t->page;
	}
	return t;
}

void mmaptrack_close(struct mmaptrack *t)
{
	if (!t)
		return;
	for (int i = 0; i < t->ncpus; i++) {
		if (t->cpus[i].meta)
			munmap(t->cpus[i].meta, t->cpus[i].size + t->page);
		if (t->cpus[i].fd >= 0)
			close(t->cpus[i].fd);
	}
	free(t->cpus);
	free(t->execd);
	free(t);
}

uint64_t mmaptrack_lost(const struct mmaptrack *t)
{
	return t ? t->lost : 0;
}

/* Copy the records pending in one buffer (they may wrap around its end). */
static int take(struct cpu_buf *b, struct rec **v, size_t *n, size_t *cap, uint64_t *seq)
{
	uint64_t head = __atomic_load_n(&b->meta->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = b->meta->data_tail;

	while (tail + sizeof(struct perf_event_header) <= head) {
		struct perf_event_header hdr, *h;
		size_t off = tail & (b->size - 1);

		for (size_t i = 0; i < sizeof(hdr); i++)
			((uint8_t *)&hdr)[i] = b->data[(off + i) & (b->size - 1)];
		if (hdr.size < sizeof(hdr) || tail + hdr.size > head)
			break;
		h = malloc(hdr.size);
		if (!h)
			return -ENOMEM;
		for (size_t i = 0; i < hdr.size; i++)
			((uint8_t *)h)[i] = b->data[(off + i) & (b->size - 1)];
		tail += hdr.size;
		if (*n == *cap) {
			size_t nc = *cap ? *cap * 2 : 256;
			struct rec *nv = realloc(*v, nc * sizeof(*nv));

			if (!nv) {
				free(h);
				return -ENOMEM;
			}
			*v = nv;
			*cap = nc;
		}
		/* sample_id_all with PERF_SAMPLE_TIME: the time ends the record */
		(*v)[*n].time = hdr.size >= sizeof(hdr) + 8 ?
			*(uint64_t *)((uint8_t *)h + hdr.size - 8) : 0;
		(*v)[*n].seq = (*seq)++;
		(*v)[(*n)++].h = h;
	}
	__atomic_store_n(&b->meta->data_tail, tail, __ATOMIC_RELEASE);
	return 0;
}

static int cmp_rec(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

struct mmap2_rec {
	struct perf_event_header h;
	uint32_t pid, tid;
	uint64_t addr, len, pgoff;
	union {
		struct {
			uint32_t maj, min;
			uint64_t ino, ino_generation;
		};
		struct {
			uint8_t build_id_size, res1;
			uint16_t res2;
			uint8_t build_id[20];
		};
	};
	uint32_t prot, flags;
	char filename[];
};

struct fork_rec {
	struct perf_event_header h;
	uint32_t pid, ppid, tid, ptid;
	uint64_t time;
};

struct comm_rec {
	struct perf_event_header h;
	uint32_t pid, tid;
	char comm[];
};

/* Forget pid from the exec'd set; true if it was there. */
static bool take_execd(struct mmaptrack *t, int32_t pid)
{
	for (size_t i = 0; i < t->nexecd; i++)
		if (t->execd[i] == pid) {
			t->execd[i] = t->execd[--t->nexecd];
			return true;
		}
	return false;
}

static void apply(struct mmaptrack *t, struct procmeta_cache *c,
		  const struct perf_event_header *h, uint64_t time)
{
	switch (h->type) {
	case PERF_RECORD_MMAP2: {
		const struct mmap2_rec *r = (const void *)h;
		size_t room = h->size - sizeof(*r);
		struct proc_map m = { 0 };

		if (h->size < sizeof(*r) || !(r->prot & PROT_EXEC) || r->filename[0] != '/')
			return;
		m.start = r->addr;
		m.end = r->addr + r->len;
		m.pgoff = r->pgoff;
		if (room > sizeof(m.path) - 1)
			room = sizeof(m.path) - 1;
		memcpy(m.path, r->filename, room);
		m.path[room] = '\0';
		if ((h->misc & PERF_RECORD_MISC_MMAP_BUILD_ID) && r->build_id_size <= 20) {
			memcpy(m.build_id, r->build_id, r->build_id_size);
			m.build_id_len = r->build_id_size;
		}
		/* the kernel maps the new executable first, then its interpreter */
		if (take_execd(t, r->pid))
			procmeta_set_image(c, r->pid, NULL, m.path);
		procmeta_add_map(c, r->pid, &m);
		break;
	}
	case PERF_RECORD_COMM: {
		const struct comm_rec *r = (const void *)h;

		int32_t *v;

		if (!(h->misc & PERF_RECORD_MISC_COMM_EXEC) || r->pid != r->tid)
			break;
		procmeta_end_image(c, r->pid, time);   /* a new image follows */
		procmeta_set_image(c, r->pid, r->comm, "");
		take_execd(t, r->pid);
		v = realloc(t->execd, (t->nexecd + 1) * sizeof(*v));
		if (v) {
			t->execd = v;
			t->execd[t->nexecd++] = r->pid;
		}
		break;
	}
	case PERF_RECORD_FORK: {
		const struct fork_rec *r = (const void *)h;

		if (r->pid == r->ppid)
			break;                           /* a new thread */
		if (!procmeta_get(c, r->ppid))
			procmeta_capture(c, r->ppid);    /* started before us */
		procmeta_inherit(c, r->pid, r->ppid);
		break;
	}
	case PERF_RECORD_EXIT: {
		const struct fork_rec *r = (const void *)h;   /* same layout */

		if (r->pid == r->tid)
			procmeta_mark_exit(c, r->pid, r->time ? r->time : 1);
		break;
	}
	case PERF_RECORD_LOST:
		break;
	default:
		break;
	}
}

int mmaptrack_drain(struct mmaptrack *t, struct procmeta_cache *c)
{
	struct rec *v = NULL;
	size_t n = 0, cap = 0;
	uint64_t seq = 0;
	int err = 0;

	if (!t || !c)
		return 0;
	for (int i = 0; i < t->ncpus && !err; i++)
		if (t->cpus[i].meta)
			err = take(&t->cpus[i], &v, &n, &cap, &seq);
	if (n)
		qsort(v, n, sizeof(*v), cmp_rec);
	for (size_t i = 0; i < n; i++) {
		if (v[i].h->type == PERF_RECORD_LOST)
			t->lost += ((const uint64_t *)(v[i].h + 1))[1];
		else
			apply(t, c, v[i].h, v[i].time);
		free(v[i].h);
	}
	free(v);
	return err ? err : (int)n;
}
