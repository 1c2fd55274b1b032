// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "event.h"
#include "util/vec.h"
#include "view/names.h"
#include "view/snapshot_view.h"

void snap_view_init(struct snap_view *v, unsigned int kinds)
{
	memset(v, 0, sizeof(*v));
	v->kinds = kinds;
	v->now = time(NULL);
}

struct ipc_snapshot *snap_view_add(struct snap_view *v, int32_t pid, uint32_t inode)
{
	if (vec_grow(v->snaps, v->nsnaps, v->cap))
		return NULL;
	memset(&v->snaps[v->nsnaps], 0, sizeof(v->snaps[0]));
	v->snaps[v->nsnaps].pid = pid;
	v->snaps[v->nsnaps].inode = inode;
	return &v->snaps[v->nsnaps++].s;
}

void snap_view_free(struct snap_view *v)
{
	for (size_t i = 0; i < v->nsnaps; i++)
		snapshot_free(&v->snaps[i].s);
	free(v->snaps);
	free(v->procs);
	if (v->posix) {
		posix_free(v->posix);
		free(v->posix);
	}
	memset(v, 0, sizeof(*v));
}

const struct proc_info *snap_view_proc(struct snap_view *v, int32_t pid)
{
	struct proc_info pi;

	for (size_t i = 0; i < v->nprocs; i++)
		if (v->procs[i].pid == pid)
			return &v->procs[i];
	if (proc_info_read(pid, &pi))
		pi.alive = false;
	if (vec_grow(v->procs, v->nprocs, v->proccap))
		return NULL;
	v->procs[v->nprocs] = pi;
	return &v->procs[v->nprocs++];
}

void mode_string(uint32_t mode, char out[10])
{
	static const char rwx[] = "rwxrwxrwx";

	for (int i = 0; i < 9; i++)
		out[i] = (mode & (0400 >> i)) ? rwx[i] : '-';
	out[9] = 0;
}

void human_bytes(uint64_t v, char *out, size_t len)
{
	static const char units[] = "BKMGTPE";
	double d = (double)v;
	int u = 0;

	while (d >= 1024 && u < 6) {
		d /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, len, "%" PRIu64 "B", v);
	else
		snprintf(out, len, d < 10 ? "%.1f%c" : "%.0f%c", d, units[u]);
}

void human_age(int64_t s, char *out, size_t len)
{
	if (s < 0)
		s = 0;
	if (s < 120)
		snprintf(out, len, "%" PRId64 "s", s);
	else if (s < 7200)
		snprintf(out, len, "%" PRId64 "m", s / 60);
	else if (s < 172800)
		snprintf(out, len, "%" PRId64 "h", s / 3600);
	else
		snprintf(out, len, "%" PRId64 "d", s / 86400);
}

static const char *owner(uint32_t uid, char *buf, size_t len)
{
	const char *n = uid_name(uid);

	if (n)
		return n;
	snprintf(buf, len, "%u", uid);
	return buf;
}

/* "1234 (comm)" or "1234 (exited)" or "-" */
static void pid_desc(struct snap_view *v, int32_t pid, char *out, size_t len)
{
	const struct proc_info *pi;

	if (pid <= 0) {
		snprintf(out, len, "-");
		return;
	}
	pi = snap_view_proc(v, pid);
	snprintf(out, len, "%d (%s)", pid, pi && pi->alive ? pi->comm : "exited");
}

static void text_time(int64_t t, char *out, size_t len)
{
	struct tm tm;
	time_t tt = t;

	if (!t) {
		snprintf(out, len, "-");
		return;
	}
	localtime_r(&tt, &tm);
	strftime(out, len, "%Y-%m-%d %H:%M", &tm);
}

static void text_shm(struct snap_view *v, struct snap_ns *ns, FILE *f)
{
	const struct ipc_snapshot *s = &ns->s;

	fprintf(f, "Shared memory segments: %zu\n", s->nshm);
	if (!s->nshm)
		return;
	/* CHANGED: since the kernel's ctime, the creation or the last IPC_SET
	 * (SETVAL/SETALL for semaphores): a snapshot never sees a creation */
	fprintf(f, "%-10s %-10s %-10s %-9s %8s %6s %-11s %-22s %-22s %7s  %s\n",
		"ID", "KEY", "OWNER", "PERMS", "SIZE", "NATTCH", "STATUS", "CREATOR(CPID)",
		"LAST(LPID)", "CHANGED", "ATTACHED");
	for (size_t i = 0; i < s->nshm; i++) {
		const struct shm_obj *o = &s->shm[i];
		char own[16], perms[10], size[16], cp[40], lp[40], age[16], status[16];
		int n;

		mode_string(o->c.mode, perms);
		human_bytes(o->size, size, sizeof(size));
		pid_desc(v, o->cpid, cp, sizeof(cp));
		pid_desc(v, o->lpid, lp, sizeof(lp));
		human_age(v->now - o->c.ctime, age, sizeof(age));
		n = snprintf(status, sizeof(status), "%s%s%s", o->dest ? "dest," : "",
			     o->locked ? "locked," : "", o->hugetlb ? "huge," : "");
		if (n > 0)
			status[n - 1] = 0;
		else
			snprintf(status, sizeof(status), "-");
		fprintf(f, "%-10d " IPCS_KEY_FMT " %-10.10s %-9s %8s %6" PRIu64 " %-11s %-22.22s %-22.22s %7s  ",
			o->c.id, (uint32_t)o->c.key, owner(o->c.uid, own, sizeof(own)), perms,
			size, o->nattch, status, cp, lp, age);
		if (!o->nattached)
			fputs("-", f);
		for (size_t j = 0; j < o->nattached; j++) {
			const struct proc_info *pi = snap_view_proc(v, o->attached[j]);

			fprintf(f, "%s%d(%s)", j ? "," : "", o->attached[j],
				pi && pi->alive ? pi->comm : "?");
		}
		fputc('\n', f);
	}
}

static void text_sem(struct snap_view *v, struct snap_ns *ns, FILE *f)
{
	const struct ipc_snapshot *s = &ns->s;

	fprintf(f, "Semaphore arrays: %zu\n", s->nsem);
	if (!s->nsem)
		return;
	fprintf(f, "%-10s %-10s %-10s %-9s %5s %-16s %7s\n", "ID", "KEY", "OWNER", "PERMS",
		"NSEMS", "LAST-OP", "CHANGED");
	for (size_t i = 0; i < s->nsem; i++) {
		const struct sem_obj *o = &s->sem[i];
		char own[16], perms[10], ot[32], age[16];

		mode_string(o->c.mode, perms);
		text_time(o->otime, ot, sizeof(ot));
		human_age(v->now - o->c.ctime, age, sizeof(age));
		fprintf(f, "%-10d " IPCS_KEY_FMT " %-10.10s %-9s %5u %-16s %7s\n", o->c.id,
			(uint32_t)o->c.key, owner(o->c.uid, own, sizeof(own)), perms, o->nsems,
			ot, age);
		for (uint32_t j = 0; o->sems && j < o->nsems; j++) {
			char lp[48] = "";

			if (o->sems[j].pid >= 0) {   /* -1: not read (see --sem-pids) */
				memcpy(lp, " lastpid=", 10);
				pid_desc(v, o->sems[j].pid, lp + 9, sizeof(lp) - 9);
			}
			fprintf(f, "    sem[%u] value=%d ncnt=%d zcnt=%d%s%s\n", j,
				o->sems[j].val, o->sems[j].ncnt, o->sems[j].zcnt, lp,
				o->sems[j].ncnt || o->sems[j].zcnt ? "  <- waiters" : "");
		}
	}
}

static void text_msg(struct snap_view *v, struct snap_ns *ns, FILE *f)
{
	const struct ipc_snapshot *s = &ns->s;

	fprintf(f, "Message queues: %zu\n", s->nmsg);
	if (!s->nmsg)
		return;
	fprintf(f, "%-10s %-10s %-10s %-9s %8s %6s %8s %5s %-20s %-20s %7s\n", "ID", "KEY",
		"OWNER", "PERMS", "CBYTES", "QNUM", "QBYTES", "FILL", "LAST-SEND(LSPID)",
		"LAST-RECV(LRPID)", "CHANGED");
	for (size_t i = 0; i < s->nmsg; i++) {
		const struct msg_obj *o = &s->msg[i];
		char own[16], perms[10], sp[40], rp[40], age[16], fill[8];

		mode_string(o->c.mode, perms);
		pid_desc(v, o->lspid, sp, sizeof(sp));
		pid_desc(v, o->lrpid, rp, sizeof(rp));
		human_age(v->now - o->c.ctime, age, sizeof(age));
		if (o->qbytes)
			snprintf(fill, sizeof(fill), "%.0f%%", 100.0 * (double)o->cbytes / (double)o->qbytes);
		else
			snprintf(fill, sizeof(fill), "?");
		fprintf(f, "%-10d " IPCS_KEY_FMT " %-10.10s %-9s %8" PRIu64 " %6" PRIu64 " %8" PRIu64
			" %5s %-20.20s %-20.20s %7s\n", o->c.id, (uint32_t)o->c.key,
			owner(o->c.uid, own, sizeof(own)), perms, o->cbytes, o->qnum, o->qbytes,
			fill, sp, rp, age);
	}
}

void snap_view_text(struct snap_view *v, FILE *f)
{
	for (size_t i = 0; i < v->nsnaps; i++) {
		struct snap_ns *ns = &v->snaps[i];

		if (v->nsnaps > 1 || ns->pid) {
			const struct proc_info *pi = ns->pid ? snap_view_proc(v, ns->pid) : NULL;

			fprintf(f, "%s== IPC namespace %u (pid %d %s) ==\n", i ? "\n" : "",
				ns->inode, ns->pid, pi && pi->alive ? pi->comm : "");
		}
		if (v->kinds & SNAP_SHM)
			text_shm(v, ns, f);
		if (v->kinds & SNAP_SEM)
			text_sem(v, ns, f);
		if (v->kinds & SNAP_MSG)
			text_msg(v, ns, f);
	}
	if (v->posix)
		posix_text(v->posix, f);
}

static void json_common(struct jsonw *w, struct snap_view *v, const struct snap_ns *ns,
			const struct ipc_common *c)
{
	const char *n;

	jsonw_int_field(w, "id", c->id);
	jsonw_uint_field(w, "key", (uint32_t)c->key);
	jsonw_uint_field(w, "mode", c->mode & 0777);
	jsonw_uint_field(w, "uid", c->uid);
	n = uid_name(c->uid);
	jsonw_string_field(w, "user", n);
	jsonw_uint_field(w, "gid", c->gid);
	n = gid_name(c->gid);
	jsonw_string_field(w, "group", n);
	jsonw_uint_field(w, "cuid", c->cuid);
	jsonw_uint_field(w, "cgid", c->cgid);
	jsonw_int_field(w, "ctime", c->ctime);
	/* ctime is the creation or the last IPC_SET/SETVAL/SETALL: not an age */
	jsonw_int_field(w, "changed_s", v->now - c->ctime);
	jsonw_uint_field(w, "ipcns", ns->inode);
	if (ns->pid)
		jsonw_int_field(w, "ns_pid", ns->pid);
}

static void json_proc(struct jsonw *w, struct snap_view *v, const char *name, int32_t pid)
{
	const struct proc_info *pi;

	jsonw_name(w, name);
	if (pid <= 0) {
		jsonw_null(w);
		return;
	}
	pi = snap_view_proc(v, pid);
	jsonw_start_object(w);
	jsonw_int_field(w, "pid", pid);
	jsonw_bool_field(w, "exited", !(pi && pi->alive));
	if (pi && pi->alive) {
		jsonw_string_field(w, "comm", pi->comm);
		jsonw_string_field(w, "cmdline", pi->cmdline);
	}
	jsonw_end_object(w);
}

static void json_shm(struct jsonw *w, struct snap_view *v, const struct snap_ns *ns)
{
	for (size_t i = 0; i < ns->s.nshm; i++) {
		const struct shm_obj *o = &ns->s.shm[i];

		jsonw_start_object(w);
		json_common(w, v, ns, &o->c);
		jsonw_uint_field(w, "size", o->size);
		jsonw_uint_field(w, "nattch", o->nattch);
		jsonw_int_field(w, "cpid", o->cpid);
		jsonw_int_field(w, "lpid", o->lpid);
		jsonw_int_field(w, "atime", o->atime);
		jsonw_int_field(w, "dtime", o->dtime);
		jsonw_uint_field(w, "rss", o->rss);
		jsonw_uint_field(w, "swap", o->swap);
		jsonw_bool_field(w, "dest", o->dest);
		jsonw_bool_field(w, "locked", o->locked);
		jsonw_bool_field(w, "hugetlb", o->hugetlb);
		jsonw_name(w, "attached");
		jsonw_start_array(w);
		for (size_t j = 0; j < o->nattached; j++)
			jsonw_int(w, o->attached[j]);
		jsonw_end_array(w);
		json_proc(w, v, "creator", o->cpid);
		json_proc(w, v, "last", o->lpid);
		jsonw_end_object(w);
	}
}

static void json_sem(struct jsonw *w, struct snap_view *v, const struct snap_ns *ns)
{
	for (size_t i = 0; i < ns->s.nsem; i++) {
		const struct sem_obj *o = &ns->s.sem[i];

		jsonw_start_object(w);
		json_common(w, v, ns, &o->c);
		jsonw_uint_field(w, "nsems", o->nsems);
		jsonw_int_field(w, "otime", o->otime);
		jsonw_name(w, "sems");
		if (!o->sems) {
			jsonw_null(w);
		} else {
			jsonw_start_array(w);
			for (uint32_t j = 0; j < o->nsems; j++) {
				jsonw_start_object(w);
				jsonw_uint_field(w, "num", j);
				jsonw_int_field(w, "value", o->sems[j].val);
				jsonw_int_field(w, "ncnt", o->sems[j].ncnt);
				jsonw_int_field(w, "zcnt", o->sems[j].zcnt);
				if (o->sems[j].pid >= 0)   /* -1: not read (--sem-pids) */
					jsonw_int_field(w, "pid", o->sems[j].pid);
				jsonw_end_object(w);
			}
			jsonw_end_array(w);
		}
		jsonw_end_object(w);
	}
}

static void json_msg(struct jsonw *w, struct snap_view *v, const struct snap_ns *ns)
{
	for (size_t i = 0; i < ns->s.nmsg; i++) {
		const struct msg_obj *o = &ns->s.msg[i];

		jsonw_start_object(w);
		json_common(w, v, ns, &o->c);
		jsonw_uint_field(w, "cbytes", o->cbytes);
		jsonw_uint_field(w, "qnum", o->qnum);
		jsonw_uint_field(w, "qbytes", o->qbytes);
		jsonw_name(w, "fill_pct");
		if (o->qbytes)
			jsonw_float(w, 100.0 * (double)o->cbytes / (double)o->qbytes);
		else
			jsonw_null(w);
		jsonw_int_field(w, "lspid", o->lspid);
		jsonw_int_field(w, "lrpid", o->lrpid);
		jsonw_int_field(w, "stime", o->stime);
		jsonw_int_field(w, "rtime", o->rtime);
		jsonw_end_object(w);
	}
}

void snap_view_json(struct snap_view *v, FILE *f)
{
	static const struct { unsigned int bit; const char *name;
		void (*fn)(struct jsonw *, struct snap_view *, const struct snap_ns *); } kinds[] = {
		{ SNAP_SHM, "shm", json_shm },
		{ SNAP_SEM, "sem", json_sem },
		{ SNAP_MSG, "msg", json_msg },
	};
	struct jsonw w;
	unsigned int warnings = 0;

	jsonw_init(&w, f, false);
	jsonw_start_object(&w);
	jsonw_int_field(&w, "taken", v->now);
	jsonw_name(&w, "namespaces");
	jsonw_start_array(&w);
	for (size_t i = 0; i < v->nsnaps; i++) {
		jsonw_start_object(&w);
		jsonw_uint_field(&w, "ipcns", v->snaps[i].inode);
		jsonw_int_field(&w, "pid", v->snaps[i].pid);
		jsonw_end_object(&w);
		warnings += v->snaps[i].s.warnings;
	}
	jsonw_end_array(&w);
	for (size_t k = 0; k < 3; k++) {
		if (!(v->kinds & kinds[k].bit))
			continue;
		jsonw_name(&w, kinds[k].name);
		jsonw_start_array(&w);
		for (size_t i = 0; i < v->nsnaps; i++)
			kinds[k].fn(&w, v, &v->snaps[i]);
		jsonw_end_array(&w);
	}
	if (v->posix)
		posix_json(v->posix, &w);
	jsonw_uint_field(&w, "warnings", warnings);
	jsonw_bool_field(&w, "partial", v->partial);
	jsonw_end_object(&w);
	fputc('\n', f);
}
