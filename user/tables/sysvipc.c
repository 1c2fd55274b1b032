// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * /proc/sysvipc/{shm,sem,msg} parsers and the snapshot reader.
 *
 * Columns are found by their header names, so a kernel that adds or moves
 * columns still parses.  A line that does not parse is counted in
 * s->warnings and skipped, never fatal.  Files are read whole with a few
 * large reads: at 24k objects this is the difference between lsipc-speed
 * and ipcs-speed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "tables/proc.h"
#include "tables/statwalk.h"
#include "tables/sysvipc.h"
#include "tables/waiters.h"
#include "util/vec.h"

#define MAX_COLS 24

#ifndef SHM_DEST
#define SHM_DEST 01000
#endif
#ifndef SHM_LOCKED
#define SHM_LOCKED 02000
#endif

enum col {
	C_KEY, C_ID, C_PERMS, C_SIZE, C_CPID, C_LPID, C_NATTCH, C_UID, C_GID,
	C_CUID, C_CGID, C_ATIME, C_DTIME, C_CTIME, C_RSS, C_SWAP, C_NSEMS,
	C_OTIME, C_CBYTES, C_QNUM, C_LSPID, C_LRPID, C_STIME, C_RTIME, C__N,
};

static const char *const col_names[C__N] = {
	[C_KEY] = "key", [C_ID] = "id", [C_PERMS] = "perms", [C_SIZE] = "size",
	[C_CPID] = "cpid", [C_LPID] = "lpid", [C_NATTCH] = "nattch",
	[C_UID] = "uid", [C_GID] = "gid", [C_CUID] = "cuid", [C_CGID] = "cgid",
	[C_ATIME] = "atime", [C_DTIME] = "dtime", [C_CTIME] = "ctime",
	[C_RSS] = "rss", [C_SWAP] = "swap", [C_NSEMS] = "nsems",
	[C_OTIME] = "otime", [C_CBYTES] = "cbytes", [C_QNUM] = "qnum",
	[C_LSPID] = "lspid", [C_LRPID] = "lrpid", [C_STIME] = "stime",
	[C_RTIME] = "rtime",
};

struct layout {
	int idx[C__N];      /* field index of each column, -1 if absent */
	int ncols;
};

/* Read a whole stream into a NUL-terminated buffer. */
static char *slurp(FILE *f, size_t *len)
{
	size_t cap = 1 << 16, n = 0, r;
	char *buf = malloc(cap);

	if (!buf)
		return NULL;
	while ((r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += r;
		if (cap - n - 1 == 0) {
			char *nb = realloc(buf, cap * 2);

			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
	}
	buf[n] = 0;
	*len = n;
	return buf;
}

/* Split a line in place on blanks; returns the number of fields. */
static int split(char *line, char **f, int max)
{
	int n = 0;

	while (*line) {
		while (*line == ' ' || *line == '\t')
			line++;
		if (!*line)
			break;
		if (n == max)
			return max + 1;   /* too many fields */
		f[n++] = line;
		while (*line && *line != ' ' && *line != '\t')
			line++;
		if (*line)
			*line++ = 0;
	}
	return n;
}

static int parse_header(char *line, struct layout *lo)
{
	char *f[MAX_COLS + 1];
	int n = split(line, f, MAX_COLS);

	if (n <= 2 || n > MAX_COLS)
		return -EINVAL;
	for (int c = 0; c < C__N; c++)
		lo->idx[c] = -1;
	for (int i = 0; i < n; i++) {
		const char *name = f[i];

		if (!strcmp(name, "shmid") || !strcmp(name, "semid") || !strcmp(name, "msqid"))
			name = "id";
		for (int c = 0; c < C__N; c++)
			if (!strcmp(name, col_names[c]))
				lo->idx[c] = i;
	}
	lo->ncols = n;
	if (lo->idx[C_KEY] < 0 || lo->idx[C_ID] < 0 || lo->idx[C_PERMS] < 0)
		return -EINVAL;
	return 0;
}

struct row {
	char *f[MAX_COLS + 1];
	const struct layout *lo;
	bool bad;
};

static long long num(struct row *r, enum col c, int base, long long def)
{
	char *end;
	long long v;
	int i = r->lo->idx[c];

	if (i < 0)
		return def;
	if (base == 10) {
		/* fast path: plain decimal (~360k fields at 24k objects) */
		const char *p = r->f[i];
		bool neg = *p == '-';
		unsigned long long u = 0;
		int nd = 0;

		p += neg;
		for (; *p >= '0' && *p <= '9' && nd < 18; p++, nd++)
			u = u * 10 + (unsigned long long)(*p - '0');
		if (!*p && nd)
			return neg ? -(long long)u : (long long)u;
	}
	errno = 0;
	v = strtoll(r->f[i], &end, base);
	if (errno || *end || end == r->f[i]) {
		/* 64-bit unsigned columns (size, rss) may exceed LLONG_MAX */
		unsigned long long u = strtoull(r->f[i], &end, base);

		if (*end || end == r->f[i]) {
			r->bad = true;
			return def;
		}
		v = (long long)u;
	}
	return v;
}

static void common_fields(struct row *r, struct ipc_common *c, uint32_t ns)
{
	c->key = (int32_t)num(r, C_KEY, 10, 0);
	c->id = (int32_t)num(r, C_ID, 10, -1);
	c->mode = (uint32_t)num(r, C_PERMS, 8, 0);
	c->uid = (uint32_t)num(r, C_UID, 10, 0);
	c->gid = (uint32_t)num(r, C_GID, 10, 0);
	c->cuid = (uint32_t)num(r, C_CUID, 10, 0);
	c->cgid = (uint32_t)num(r, C_CGID, 10, 0);
	c->ctime = num(r, C_CTIME, 10, 0);
	c->ipcns = ns;
}

/*
 * Generic table parse: calls `row_fn` for every data line.  Returns 0 (the
 * header was understood) or -EINVAL when the file is not a sysvipc table.
 */
static int parse_table(FILE *f, struct ipc_snapshot *s,
		       int (*row_fn)(struct row *r, struct ipc_snapshot *s))
{
	struct layout lo;
	size_t len;
	char *buf = slurp(f, &len), *line, *next;
	int err = 0;

	if (!buf)
		return -ENOMEM;
	next = strchr(buf, '\n');
	if (!next) {   /* no complete header line */
		free(buf);
		return len ? -EINVAL : 0;
	}
	*next++ = 0;
	if (parse_header(buf, &lo)) {
		free(buf);
		return -EINVAL;
	}
	for (line = next; line && *line; line = next) {
		struct row r = { .lo = &lo };
		int n;

		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		else if (!next) {
			/* a last line without newline is a truncated read */
			s->warnings++;
			break;
		}
		n = split(line, r.f, MAX_COLS);
		if (n == 0)
			continue;
		if (n != lo.ncols) {
			s->warnings++;
			continue;
		}
		err = row_fn(&r, s);
		if (err < 0)
			break;
		if (r.bad)
			s->warnings++;
	}
	free(buf);
	return err < 0 ? err : 0;
}

struct caps { size_t shm, sem, msg; };
static __thread struct caps *cur_caps;

static int shm_row(struct row *r, struct ipc_snapshot *s)
{
	struct shm_obj *o;

	if (vec_grow(s->shm, s->nshm, cur_caps->shm))
		return -ENOMEM;
	o = &s->shm[s->nshm];
	memset(o, 0, sizeof(*o));
	common_fields(r, &o->c, s->ipcns);
	o->size = (uint64_t)num(r, C_SIZE, 10, 0);
	o->cpid = (int32_t)num(r, C_CPID, 10, 0);
	o->lpid = (int32_t)num(r, C_LPID, 10, 0);
	o->nattch = (uint64_t)num(r, C_NATTCH, 10, 0);
	o->atime = num(r, C_ATIME, 10, 0);
	o->dtime = num(r, C_DTIME, 10, 0);
	o->rss = (uint64_t)num(r, C_RSS, 10, 0);
	o->swap = (uint64_t)num(r, C_SWAP, 10, 0);
	o->dest = o->c.mode & SHM_DEST;
	o->locked = o->c.mode & SHM_LOCKED;
	if (!r->bad)
		s->nshm++;
	return 0;
}

static int sem_row(struct row *r, struct ipc_snapshot *s)
{
	struct sem_obj *o;

	if (vec_grow(s->sem, s->nsem, cur_caps->sem))
		return -ENOMEM;
	o = &s->sem[s->nsem];
	memset(o, 0, sizeof(*o));
	common_fields(r, &o->c, s->ipcns);
	o->nsems = (uint32_t)num(r, C_NSEMS, 10, 0);
	o->otime = num(r, C_OTIME, 10, 0);
	if (!r->bad)
		s->nsem++;
	return 0;
}

static int msg_row(struct row *r, struct ipc_snapshot *s)
{
	struct msg_obj *o;

	if (vec_grow(s->msg, s->nmsg, cur_caps->msg))
		return -ENOMEM;
	o = &s->msg[s->nmsg];
	memset(o, 0, sizeof(*o));
	common_fields(r, &o->c, s->ipcns);
	o->cbytes = (uint64_t)num(r, C_CBYTES, 10, 0);
	o->qnum = (uint64_t)num(r, C_QNUM, 10, 0);
	o->lspid = (int32_t)num(r, C_LSPID, 10, 0);
	o->lrpid = (int32_t)num(r, C_LRPID, 10, 0);
	o->stime = num(r, C_STIME, 10, 0);
	o->rtime = num(r, C_RTIME, 10, 0);
	if (!r->bad)
		s->nmsg++;
	return 0;
}

static int cmp_shm(const void *a, const void *b)
{
	const struct shm_obj *x = a, *y = b;

	return (x->c.id > y->c.id) - (x->c.id < y->c.id);
}

static int cmp_sem(const void *a, const void *b)
{
	const struct sem_obj *x = a, *y = b;

	return (x->c.id > y->c.id) - (x->c.id < y->c.id);
}

static int cmp_msg(const void *a, const void *b)
{
	const struct msg_obj *x = a, *y = b;

	return (x->c.id > y->c.id) - (x->c.id < y->c.id);
}

void snapshot_sort(struct ipc_snapshot *s)
{
	if (s->nshm)
		qsort(s->shm, s->nshm, sizeof(*s->shm), cmp_shm);
	if (s->nsem)
		qsort(s->sem, s->nsem, sizeof(*s->sem), cmp_sem);
	if (s->nmsg)
		qsort(s->msg, s->nmsg, sizeof(*s->msg), cmp_msg);
}

static int parse_with_caps(FILE *f, struct ipc_snapshot *s,
			   int (*fn)(struct row *, struct ipc_snapshot *))
{
	struct caps caps = { s->nshm, s->nsem, s->nmsg };
	int err;

	cur_caps = &caps;
	err = parse_table(f, s, fn);
	cur_caps = NULL;
	return err;
}

int parse_sysvipc_shm(FILE *f, struct ipc_snapshot *s)
{
	int err = parse_with_caps(f, s, shm_row);

	if (s->nshm)
		qsort(s->shm, s->nshm, sizeof(*s->shm), cmp_shm);
	return err;
}

int parse_sysvipc_sem(FILE *f, struct ipc_snapshot *s)
{
	int err = parse_with_caps(f, s, sem_row);

	if (s->nsem)
		qsort(s->sem, s->nsem, sizeof(*s->sem), cmp_sem);
	return err;
}

int parse_sysvipc_msg(FILE *f, struct ipc_snapshot *s)
{
	int err = parse_with_caps(f, s, msg_row);

	if (s->nmsg)
		qsort(s->msg, s->nmsg, sizeof(*s->msg), cmp_msg);
	return err;
}

/*
 * Per-semaphore state.  GETALL gives the values in one call per array and
 * GETPID needs one per semaphore; the waiter counts (GETNCNT/GETZCNT, one
 * call each) are derived from the blocked threads instead when we can see
 * them all (root): at 10k arrays that halves the syscalls.
 */
static void read_semvals(struct sem_obj *o, bool counts, bool pids)
{
	unsigned short *vals;
	union semun { int val; struct semid_ds *buf; unsigned short *array; } arg;

	if (!o->nsems || o->nsems > 65536)
		return;
	vals = calloc(o->nsems, sizeof(*vals));
	o->sems = calloc(o->nsems, sizeof(*o->sems));
	if (!vals || !o->sems)
		goto fail;
	arg.array = vals;
	if (semctl(o->c.id, 0, GETALL, arg) < 0)
		goto fail;
	for (uint32_t i = 0; i < o->nsems; i++) {
		o->sems[i].val = vals[i];
		o->sems[i].pid = pids ? semctl(o->c.id, (int)i, GETPID) : -1;
		if (counts) {
			o->sems[i].ncnt = semctl(o->c.id, (int)i, GETNCNT);
			o->sems[i].zcnt = semctl(o->c.id, (int)i, GETZCNT);
		}
	}
	free(vals);
	return;
fail:
	/* removed meanwhile, or not permitted: leave per-sem state unknown */
	free(vals);
	free(o->sems);
	o->sems = NULL;
}

/*
 * The kernel counts a blocked semop once, on its blocking operation: the
 * first one that cannot proceed at the current values (ops apply in order).
 */
static bool count_waiter(struct ipc_snapshot *s, const struct wg_waiter *w)
{
	struct sem_obj *o = (struct sem_obj *)snapshot_sem(s, w->id);
	int32_t val[WG_MAX_OPS];

	if (!o || !o->sems)
		return true;
	if (!w->nops || w->nops > WG_MAX_OPS)
		return false;   /* sembufs unreadable: ask the kernel */
	for (uint32_t i = 0; i < w->nops; i++) {
		const struct ipcs_sembuf *op = &w->ops[i];

		if (op->num >= o->nsems)
			return false;
		val[i] = o->sems[op->num].val;
		for (uint32_t j = 0; j < i; j++)
			if (w->ops[j].num == op->num)
				val[i] += w->ops[j].op;
		if (wg_op_blocks(op->op, val[i])) {
			if (op->op < 0)
				o->sems[op->num].ncnt++;
			else
				o->sems[op->num].zcnt++;
			return true;
		}
	}
	return false;   /* it would proceed: values moved under us, ask the kernel */
}

/* With root, the waiter counts come from the blocked threads (derive). */
static bool semvals_derive(void)
{
	return geteuid() == 0;
}

static void read_all_semvals(struct ipc_snapshot *s, bool pids)
{
	bool derive = semvals_derive();

	for (size_t i = 0; i < s->nsem; i++)
		read_semvals(&s->sem[i], !derive, pids);
}

void snapshot_count_waiters(struct ipc_snapshot *s, const struct wait_facts *given)
{
	struct wait_facts own = { 0 }, g = { 0 };

	if (!semvals_derive() || !s->nsem)
		return;
	if (given)
		g = *given;
	if (given || waiters_scan(s->ipcns, &own) >= 0) {
		if (!given)
			g = own;
		for (size_t i = 0; i < g.nwaiters; i++) {
			const struct wg_waiter *w = &g.waiters[i];
			struct sem_obj *o;

			if (w->call != CALL_SEMOP && w->call != CALL_SEMTIMEDOP)
				continue;
			if (w->ipcns && s->ipcns && w->ipcns != s->ipcns)
				continue;   /* the same id in another namespace */
			if (count_waiter(s, w))
				continue;
			/* cannot tell: take this array's counts from the kernel */
			o = (struct sem_obj *)snapshot_sem(s, w->id);
			for (uint32_t n = 0; o && o->sems && n < o->nsems; n++) {
				o->sems[n].ncnt = semctl(o->c.id, (int)n, GETNCNT);
				o->sems[n].zcnt = semctl(o->c.id, (int)n, GETZCNT);
			}
		}
	} else {
		for (size_t i = 0; i < s->nsem; i++) {
			struct sem_obj *o = &s->sem[i];

			for (uint32_t n = 0; o->sems && n < o->nsems; n++) {
				o->sems[n].ncnt = semctl(o->c.id, (int)n, GETNCNT);
				o->sems[n].zcnt = semctl(o->c.id, (int)n, GETZCNT);
			}
		}
	}
	wait_facts_free(&own);
}

static int add_attached(struct shm_obj *o, int32_t pid)
{
	int32_t *p;

	for (size_t i = 0; i < o->nattached; i++)
		if (o->attached[i] == pid)
			return 0;
	p = realloc(o->attached, (o->nattached + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	o->attached = p;
	o->attached[o->nattached++] = pid;
	return 0;
}

/* Device of the kernel's internal tmpfs (shm_mnt), where non-hugetlb SysV
 * segments live: a memfd is created on the same mount. */
static dev_t shmem_dev(void)
{
	struct stat st;
	int fd = memfd_create("ipcscope-probe", MFD_CLOEXEC);
	dev_t d = 0;

	if (fd >= 0) {
		if (!fstat(fd, &st))
			d = st.st_dev;
		close(fd);
	}
	return d;
}

struct attach_job {
	struct ipc_snapshot *s;
	dev_t shmdev;
};

static int attached_one(int32_t pid, uint32_t ipcns, void *ctx)
{
	struct attach_job *j = ctx;
	char path[64], line[512];
	FILE *f;

	if (j->s->ipcns && ipcns != j->s->ipcns)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *sysv = strstr(line, " /SYSV");
		unsigned long long ino;
		unsigned int maj, min;
		struct shm_obj key, *o;

		if (!sysv)
			continue;
		/* addr perms offset dev inode path */
		if (sscanf(line, "%*s %*s %*s %x:%x %llu", &maj, &min, &ino) != 3)
			continue;
		key.c.id = (int32_t)ino;
		o = bsearch(&key, j->s->shm, j->s->nshm, sizeof(*j->s->shm), cmp_shm);
		if (!o)
			continue;
		add_attached(o, pid);
		if (j->shmdev && makedev(maj, min) != j->shmdev)
			o->hugetlb = true;
	}
	fclose(f);
	return 0;
}

/*
 * SysV segments appear in /proc/PID/maps as "/SYSV<key> (deleted)" with the
 * shmid as the inode number (newseg sets i_ino to the id).  Ids repeat across
 * IPC namespaces (every new namespace starts again at 0), so only processes
 * in the snapshot's namespace count.  A mapping on another device than
 * shm_mnt is on hugetlbfs.
 */
static void read_attached(struct ipc_snapshot *s)
{
	struct attach_job j = { .s = s, .shmdev = shmem_dev() };

	proc_each_ipcns(attached_one, &j);
}

static int read_one(const char *path, struct ipc_snapshot *s,
		    int (*parse)(FILE *, struct ipc_snapshot *))
{
	FILE *f = fopen(path, "re");
	int err;

	if (!f)
		return errno == ENOENT ? 0 : -errno;  /* no CONFIG_SYSVIPC table */
	setvbuf(f, NULL, _IONBF, 0);  /* slurp() reads in large chunks itself */
	err = parse(f, s);
	fclose(f);
	return err;
}

/*
 * The semaphore table and its values (two syscalls per array) are read on a
 * second thread while this one reads the segments and queues: at 10k arrays
 * that is most of a listing's time.  Only s->sem is touched there.
 */
struct sem_job {
	struct ipc_snapshot *s;
	unsigned int what;
	int err;
};

/* IPCSCOPE_INVENTORY=text: read /proc/sysvipc as kernels before 4.17 need
 * (tests compare both paths on the same objects). */
static bool text_only(void)
{
	const char *e = getenv("IPCSCOPE_INVENTORY");

	return e && !strcmp(e, "text");
}

static void *sem_part(void *arg)
{
	struct sem_job *j = arg;

	j->err = text_only() ? -EOPNOTSUPP : statwalk_sem(j->s);   /* binary where the kernel can: statwalk.h */
	if (j->err == -EOPNOTSUPP)
		j->err = read_one("/proc/sysvipc/sem", j->s, parse_sysvipc_sem);
	if (!j->err && (j->what & SNAP_SEMVALS))
		read_all_semvals(j->s, !(j->what & SNAP_NOSEMPID));
	return NULL;
}

static int msg_part(struct ipc_snapshot *s)
{
	int err = text_only() ? -EOPNOTSUPP : statwalk_msg(s);

	if (err != -EOPNOTSUPP)
		return err;
	err = read_one("/proc/sysvipc/msg", s, parse_sysvipc_msg);
	/* qbytes is not in /proc/sysvipc/msg */
	for (size_t i = 0; !err && i < s->nmsg; i++) {
		struct msqid_ds ds;

		if (msgctl(s->msg[i].c.id, IPC_STAT, &ds) == 0)
			s->msg[i].qbytes = ds.msg_qbytes;
	}
	return err;
}

int snapshot_read(struct ipc_snapshot *s, unsigned int what)
{
	struct sem_job job = { .s = s, .what = what };
	bool threaded = false;
	struct timespec ts;
	pthread_t tid;
	struct stat st;
	int err = 0;

	memset(s, 0, sizeof(*s));
	/*
	 * Without /proc (a container or chroot that did not mount it) the tables
	 * below would read as empty, and be reported as namespace 0: fail
	 * instead.  A /proc without ns/ipc (an old kernel) still reads as 0.
	 */
	if (!stat("/proc/self/ns/ipc", &st))
		s->ipcns = (uint32_t)st.st_ino;
	else if (stat("/proc/self", &st))
		return errno == ENOENT ? -ENOENT : -errno;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	s->taken_ns = (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
	s->taken_real = time(NULL);

	if (what & SNAP_SEM) {
		threaded = (what & (SNAP_SHM | SNAP_MSG)) &&
			   !pthread_create(&tid, NULL, sem_part, &job);
		if (!threaded)
			sem_part(&job);
	}
	if (what & SNAP_SHM)
		err = read_one("/proc/sysvipc/shm", s, parse_sysvipc_shm);
	if (!err && (what & SNAP_MSG))
		err = msg_part(s);
	if (threaded)
		pthread_join(tid, NULL);
	if (!err)
		err = job.err;
	if (err)
		goto out;
	if ((what & SNAP_SEMVALS) && !(what & SNAP_NOSEMCNT) && s->nsem)
		snapshot_count_waiters(s, NULL);
	if (what & SNAP_ATTACH)
		for (size_t i = 0; i < s->nshm; i++)
			if (s->shm[i].nattch) {   /* else nothing to find: skip /proc */
				read_attached(s);
				break;
			}
out:
	if (err)
		snapshot_free(s);
	return err;
}

void snapshot_free(struct ipc_snapshot *s)
{
	for (size_t i = 0; i < s->nshm; i++)
		free(s->shm[i].attached);
	for (size_t i = 0; i < s->nsem; i++)
		free(s->sem[i].sems);
	free(s->shm);
	free(s->sem);
	free(s->msg);
	s->shm = NULL;
	s->sem = NULL;
	s->msg = NULL;
	s->nshm = s->nsem = s->nmsg = 0;
}

size_t snapshot_keep_id(struct ipc_snapshot *s, int32_t id)
{
	size_t k = 0;

	for (size_t i = 0; i < s->nshm; i++)
		if (s->shm[i].c.id == id)
			s->shm[k++] = s->shm[i];
		else
			free(s->shm[i].attached);
	s->nshm = k;
	k = 0;
	for (size_t i = 0; i < s->nsem; i++)
		if (s->sem[i].c.id == id)
			s->sem[k++] = s->sem[i];
		else
			free(s->sem[i].sems);
	s->nsem = k;
	k = 0;
	for (size_t i = 0; i < s->nmsg; i++)
		if (s->msg[i].c.id == id)
			s->msg[k++] = s->msg[i];
	s->nmsg = k;
	return s->nshm + s->nsem + s->nmsg;
}

/*
 * Parsed arrays are sorted by id, so lookups are a binary search; snapshots
 * built elsewhere (tests, recordings) may not be, so a miss falls back to a
 * linear scan rather than giving a wrong answer.
 */
#define FIND(arr, n, cmp, id_)                                               \
	do {                                                                 \
		__typeof__(*(arr)) key_, *hit_;                              \
		key_.c.id = (id_);                                           \
		if (!(n))                                                    \
			return NULL;                                         \
		hit_ = bsearch(&key_, (arr), (n), sizeof(*(arr)), cmp);      \
		if (hit_)                                                    \
			return hit_;                                         \
		for (size_t i_ = 0; i_ < (n); i_++)                          \
			if ((arr)[i_].c.id == (id_))                         \
				return &(arr)[i_];                           \
		return NULL;                                                 \
	} while (0)

const struct shm_obj *snapshot_shm(const struct ipc_snapshot *s, int32_t id)
{
	FIND(s->shm, s->nshm, cmp_shm, id);
}

const struct sem_obj *snapshot_sem(const struct ipc_snapshot *s, int32_t id)
{
	FIND(s->sem, s->nsem, cmp_sem, id);
}

const struct msg_obj *snapshot_msg(const struct ipc_snapshot *s, int32_t id)
{
	FIND(s->msg, s->nmsg, cmp_msg, id);
}
