// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Kernel-internal extras (bpf/extras.bpf.c): load the fentry/fexit set, or
 * failing that the kprobe/kretprobe set, and attach what this kernel has.
 * Loading and attaching is the probe: a kernel that refuses a mechanism
 * says so at load (fentry: EPERM under lockdown) or at attach (kprobes not
 * built in), and we fall back silently.  Hooks whose function this kernel
 * does not have (renamed, inlined) are skipped, not fatal.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "events.h"
#include "extras.skel.h"
#include "ipcscope.h"
#include "source/attach.h"
#include "source/extras.h"
#include "source/histmap.h"
#include "source/progs.h"

#define EXTRAS_MAX_LINKS 16

struct extras {
	struct extras_bpf *skel;
	struct bpf_link *links[EXTRAS_MAX_LINKS];
	int nlinks;
	int nhooks;           /* links that are hooks, not fork/exit helpers */
	enum extras_mech mech;
};

/* libbpf's own messages during a probe are noise: a refusal is expected. */
static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (ipcs_verbose > 1 || (ipcs_verbose && level != LIBBPF_DEBUG))
		return vfprintf(stderr, fmt, ap);
	return 0;
}

static const char *target_of(const struct bpf_program *p)
{
	const char *sec = bpf_program__section_name(p), *slash = strchr(sec, '/');

	return slash ? slash + 1 : sec;
}

enum prog_class { PC_FENTRY, PC_KPROBE, PC_HELPER };

/* The program's mechanism, from the program table (source/progs.h). */
static enum prog_class class_of(const struct bpf_program *p)
{
	const struct prog_row *row = prog_row_of(PROG_OBJ_EXTRAS, bpf_program__name(p));

	if (row && row->mech == MECH_FENTRY)
		return PC_FENTRY;
	if (row && row->mech == MECH_KPROBE)
		return PC_KPROBE;
	return PC_HELPER;
}

static void set_filters(struct extras_bpf *skel, const struct common_opts *o, int tracked_fd)
{
	if (!o)
		return;
	if (tracked_fd >= 0)
		/* any non-zero value turns the `tracked` lookup on */
		skel->rodata->filter_pid = o->pid > 0 ? (__u32)o->pid : (__u32)-1;
	else if (o->pid > 0) {
		skel->rodata->filter_pid = o->pid;
		skel->rodata->own_tracked = true;
	}
	skel->rodata->filter_cgroup_id = o->cgroup_id;
	if (o->comm) {
		char comm[IPCS_COMM_LEN] = {};

		strncpy(comm, o->comm, sizeof(comm) - 1);
		memcpy((void *)&skel->rodata->filter_comm_lo, comm, 8);
		memcpy((void *)&skel->rodata->filter_comm_hi, comm + 8, 8);
		skel->rodata->filter_comm_on = true;
	}
	skel->rodata->filter_ipcns = o->ipcns;
	skel->rodata->filter_kinds = o->kinds;
	skel->rodata->filter_min_lat_ns = o->min_lat_ns;
	skel->rodata->filter_errors_only = o->errors_only;
}

static void extras_free(struct extras *x)
{
	if (!x)
		return;
	links_destroy(x->links, x->nlinks);
	extras_bpf__destroy(x->skel);
	free(x);
}

/*
 * One attempt with one mechanism.  Returns the extras with at least one
 * hook attached, or NULL with *err = -errno of the refusal.
 */
static struct extras *try_mech(enum extras_mech mech, const struct common_opts *o,
			       int events_fd, int tracked_fd, struct btf *vmlinux, int *err)
{
	enum prog_class want = mech == EXTRAS_FENTRY ? PC_FENTRY : PC_KPROBE;
	struct extras *x = calloc(1, sizeof(*x));
	struct bpf_program *p;
	int first_err = 0, hooks = 0;

	*err = -ENOMEM;
	if (!x)
		return NULL;
	x->mech = mech;
	x->skel = extras_bpf__open();
	if (!x->skel) {
		*err = -errno;
		goto fail;
	}
	set_filters(x->skel, o, tracked_fd);
	bpf_object__for_each_program(p, x->skel->obj) {
		enum prog_class c = class_of(p);
		bool on = c == want;

		if (c == PC_HELPER)
			on = x->skel->rodata->own_tracked;
		/* fentry needs the function in BTF; kprobes find it at attach */
		if (on && c == PC_FENTRY && vmlinux &&
		    btf__find_by_name_kind(vmlinux, target_of(p), BTF_KIND_FUNC) < 0) {
			debugmsg("extras: no %s in this kernel's BTF", target_of(p));
			on = false;
		}
		bpf_program__set_autoload(p, on);
	}
	if (events_fd >= 0 && (*err = bpf_map__reuse_fd(x->skel->maps.events, events_fd)))
		goto fail;
	if (tracked_fd >= 0 && (*err = bpf_map__reuse_fd(x->skel->maps.tracked, tracked_fd)))
		goto fail;
	if ((*err = extras_bpf__load(x->skel)))
		goto fail;
	if (x->skel->rodata->own_tracked) {
		__u32 pid = o->pid;
		__u8 one = 1;

		bpf_map__update_elem(x->skel->maps.tracked, &pid, sizeof(pid), &one, sizeof(one),
				     BPF_ANY);
	}
	bpf_object__for_each_program(p, x->skel->obj) {
		struct bpf_link *l;

		if (!bpf_program__autoload(p) || x->nlinks == EXTRAS_MAX_LINKS)
			continue;
		l = bpf_program__attach(p);
		if (!l) {
			if (!first_err)
				first_err = -errno;
			debugmsg("extras: cannot attach %s: %s", bpf_program__section_name(p),
				 strerror(errno));
			continue;
		}
		x->links[x->nlinks++] = l;
		if (class_of(p) != PC_HELPER)
			hooks++;
	}
	if (!hooks) {
		*err = first_err ? first_err : -ENOENT;
		goto fail;
	}
	x->nhooks = hooks;
	*err = 0;
	return x;
fail:
	extras_free(x);
	return NULL;
}

static const char *errname(int err)
{
	switch (-err) {
	case 0:       return "ok";
	case EPERM:   return "EPERM";
	case EACCES:  return "EACCES";
	case ENOENT:  return "ENOENT";
	case EINVAL:  return "EINVAL";
	case 524:     return "ENOTSUPP";   /* kernel-internal errno */
	case ECANCELED: return "not tried: IPCSCOPE_EXTRAS";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	default:      return strerror(-err);
	}
}

struct extras *extras_open(const struct common_opts *o, int events_fd, int tracked_fd,
			   struct extras_status *st)
{
	libbpf_print_fn_t old = libbpf_set_print(quiet_print);
	struct btf *vmlinux = hooks_vmlinux_btf();
	struct extras *x;
	struct extras_status tmp;

	if (!st)
		st = &tmp;
	memset(st, 0, sizeof(*st));
	const char *only = getenv("IPCSCOPE_EXTRAS");   /* tests: fentry|kprobe|none */

	x = NULL;
	st->fentry_err = st->kprobe_err = -ECANCELED;
	/* without BTF, fentry fails to load and says so; a refusal found by
	 * the cheap probes (attach.h) skips the full load */
	if ((!only || !strcmp(only, "fentry")) && !(st->fentry_err = hooks_fentry_probe()))
		x = try_mech(EXTRAS_FENTRY, o, events_fd, tracked_fd, vmlinux, &st->fentry_err);
	if (!x && (!only || !strcmp(only, "kprobe")) && !(st->kprobe_err = hooks_kprobe_probe()))
		x = try_mech(EXTRAS_KPROBE, o, events_fd, tracked_fd, vmlinux, &st->kprobe_err);
	libbpf_set_print(old);
	if (!x) {
		st->mech = EXTRAS_NONE;
		snprintf(st->why, sizeof(st->why),
			 "kernel refuses kprobes (%s) and fentry (%s)",
			 errname(st->kprobe_err), errname(st->fentry_err));
		debugmsg("extras: %s", st->why);
		return NULL;
	}
	st->mech = x->mech;
	st->nhooks = x->nhooks;
	debugmsg("extras: %d hooks via %s", st->nhooks,
		 x->mech == EXTRAS_FENTRY ? "fentry" : "kprobes");
	return x;
}

/* Both mechanisms, each on its own, so that doctor can say which work. */
void extras_probe(struct extras_status *st)
{
	libbpf_print_fn_t old = libbpf_set_print(quiet_print);
	struct btf *vmlinux = hooks_vmlinux_btf();
	struct extras *f, *k;

	memset(st, 0, sizeof(*st));
	f = k = NULL;
	if (!(st->fentry_err = hooks_fentry_probe()))
		f = try_mech(EXTRAS_FENTRY, NULL, -1, -1, vmlinux, &st->fentry_err);
	if (!(st->kprobe_err = hooks_kprobe_probe()))
		k = try_mech(EXTRAS_KPROBE, NULL, -1, -1, vmlinux, &st->kprobe_err);
	st->mech = f ? EXTRAS_FENTRY : k ? EXTRAS_KPROBE : EXTRAS_NONE;
	st->nhooks = f ? f->nhooks : k ? k->nhooks : 0;
	if (!f && !k)
		snprintf(st->why, sizeof(st->why), "kernel refuses kprobes (%s) and fentry (%s)",
			 errname(st->kprobe_err), errname(st->fentry_err));
	extras_free(f);
	extras_free(k);
	libbpf_set_print(old);
}

uint64_t extras_lost(struct extras *x)
{
	return x ? histmap_counter_sum(bpf_map__fd(x->skel->maps.lost)) : 0;
}

const char *extras_mech_name(enum extras_mech m)
{
	switch (m) {
	case EXTRAS_FENTRY: return "fentry";
	case EXTRAS_KPROBE: return "kprobe";
	default:            return "none";
	}
}

void extras_close(struct extras *x)
{
	extras_free(x);
}
