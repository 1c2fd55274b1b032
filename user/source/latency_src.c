// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Loader and reader of bpf/latency.bpf.c, shared by `latency` and `metrics`.
 *
 * The syscalls are hooked with fentry/fexit where the kernel allows it and
 * runs no 32-bit programs (fentry on __x64_sys_* never sees them), else
 * with the raw sys_enter/sys_exit hooks, else with syscall tracepoints: a
 * one-instruction probe, then loading, is the test (a kernel that refuses
 * fentry says so at load or attach), and the fallback is silent (-v says
 * which is used).  IPCSCOPE_HOOKS=fentry|raw|tracepoint (or the older
 * IPCSCOPE_LATENCY_HOOKS) forces one.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ipcscope.h"
#include "latency.skel.h"
#include "source/attach.h"
#include "source/histmap.h"
#include "source/latency_src.h"
#include "source/progs.h"
#include "source/live.h"

#define MAX_LAT_LINKS 32

struct latency_src {
	struct latency_bpf *skel;
	struct bpf_link *links[MAX_LAT_LINKS];
	int nlinks;
	bool offcpu;
	enum ipcs_hooks hooks;
	const char *offcpu_note;
	struct histmap_reader rd;
};

static struct latency_bpf *open_skel(const struct latency_src_config *cfg, bool offcpu,
				     enum ipcs_hooks hooks)
{
	struct bpf_program *p;
	const struct common_opts *o = cfg->opts;
	bool pid_filter = o->pid || cfg->cmd_pid;
	struct latency_bpf *skel = latency_bpf__open();

	if (!skel)
		return NULL;
	live_set_filters(skel->rodata, o, cfg->cmd_pid);
	if (cfg->exclude_pid)
		skel->rodata->filter_exclude_pid = (uint32_t)cfg->exclude_pid;
	skel->rodata->per_object = cfg->per_object;
	skel->rodata->queue_objects = cfg->queue_objects;
	skel->rodata->want_offcpu = offcpu;
	/* Unused maps and programs cost memory and, for sched_switch, every
	 * context switch on the machine. */
	if (!cfg->per_object && !cfg->queue_objects)
		bpf_map__set_max_entries(skel->maps.hists, 1);
	if (!pid_filter)
		bpf_map__set_max_entries(skel->maps.tracked, 1);
	/* which programs load: the table (source/progs.h) */
	bpf_object__for_each_program(p, skel->obj) {
		const struct prog_row *row = prog_row_of(PROG_OBJ_LATENCY, bpf_program__name(p));
		bool on;

		if (!row) {
			debugmsg("latency: program %s is not in the program table", bpf_program__name(p));
			bpf_program__set_autoload(p, false);
			continue;
		}
		switch (row->need) {
		case PROG_NEED_SYSCALL:
			on = row->hooks == (int)hooks;
			break;
		case PROG_NEED_OFFCPU:
			on = offcpu;
			break;
		case PROG_NEED_PID:
			on = pid_filter;
			break;
		default:
			on = true;
		}
		bpf_program__set_autoload(p, on);
	}
	return skel;
}

/* Attach every program that is loaded; links are kept to be destroyed. */
static int attach_all(struct latency_src *s)
{
	struct bpf_program *p;

	bpf_object__for_each_program(p, s->skel->obj) {
		struct bpf_link *l;

		if (!bpf_program__autoload(p))
			continue;
		if (s->nlinks == MAX_LAT_LINKS)
			return -E2BIG;
		l = bpf_program__attach(p);
		if (!l)
			return -errno;
		s->links[s->nlinks++] = l;
	}
	return 0;
}

/* A refusal of fentry is expected: libbpf's messages only with -v. */
static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (ipcs_verbose > 1 || (ipcs_verbose && level != LIBBPF_DEBUG))
		return vfprintf(stderr, fmt, ap);
	return 0;
}

static void unload(struct latency_src *s)
{
	links_destroy(s->links, s->nlinks);
	s->nlinks = 0;
	latency_bpf__destroy(s->skel);
	s->skel = NULL;
}

/* One attempt: open, load, seed the pid filter, attach.  0 or -errno. */
static int try_load(struct latency_src *s, const struct latency_src_config *cfg,
		    enum ipcs_hooks hooks, bool offcpu, const char **stage)
{
	const struct common_opts *o = cfg->opts;
	int err;

	s->hooks = hooks;
	s->offcpu = offcpu;
	*stage = "open";
	s->skel = open_skel(cfg, offcpu, hooks);
	if (!s->skel)
		return -errno;
	*stage = "load";
	err = latency_bpf__load(s->skel);
	if (err)
		return err;
	if (o->pid || cfg->cmd_pid) {
		uint32_t pid = o->pid ? (uint32_t)o->pid : (uint32_t)cfg->cmd_pid;
		uint8_t one = 1;

		*stage = "track";
		if (bpf_map_update_elem(bpf_map__fd(s->skel->maps.tracked), &pid, &one, BPF_ANY))
			return -errno;
	}
	*stage = "attach";
	return attach_all(s);
}

/* The modes to try, in order, into out[3]; returns how many. */
static int hooks_wanted(enum ipcs_hooks out[3], bool *forced)
{
	enum ipcs_hooks f = hooks_forced();
	const char *e = getenv("IPCSCOPE_LATENCY_HOOKS");   /* the older name */

	if (!f && e && !strcmp(e, "fentry"))
		f = HOOKS_FENTRY;
	else if (!f && e && !strcmp(e, "tracepoint"))
		f = HOOKS_TRACEPOINT;
	else if (!f && e && !strcmp(e, "raw"))
		f = HOOKS_RAW;
	*forced = f != HOOKS_AUTO;
	if (f) {
		out[0] = f;
		return 1;
	}
	out[0] = HOOKS_FENTRY;
	out[1] = HOOKS_RAW;
	out[2] = HOOKS_TRACEPOINT;
	return 3;
}

enum ipcs_hooks latency_hooks_probe(int *fentry_err)
{
	struct common_opts o = { 0 };
	struct latency_src_config cfg = { .opts = &o };
	struct latency_src s = { 0 };
	libbpf_print_fn_t old = libbpf_set_print(quiet_print);
	const char *stage;
	int err = hooks_fentry_probe();

	if (!err)
		err = try_load(&s, &cfg, HOOKS_FENTRY, false, &stage);
	unload(&s);
	libbpf_set_print(old);
	if (fentry_err)
		*fentry_err = err;
	/* the raw hooks are tp_btf, which every kernel with BTF has; fentry
	 * on the x86_64 functions is blind to 32-bit callers */
	return err || !hooks_ia32_probe() ? HOOKS_RAW : HOOKS_FENTRY;
}

struct latency_src *latency_src_open(const struct latency_src_config *cfg, int *status)
{
	struct latency_src *s;
	const char *stage = "open";
	enum ipcs_hooks modes[3];
	bool forced;
	int n, err = -ENOENT;

	*status = live_check_env();
	if (*status)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s || histmap_reader_init(&s->rd)) {
		free(s);
		*status = errmsg(EX_OSERR, "out of memory: free some memory and retry");
		return NULL;
	}
	n = hooks_wanted(modes, &forced);
	for (int i = 0; i < n && err; i++) {
		enum ipcs_hooks m = modes[i];
		bool last = i == n - 1;
		libbpf_print_fn_t old = NULL;

		if (m == HOOKS_FENTRY && !forced && (err = hooks_fentry_probe())) {
			/* a one-instruction probe says no: skip the full load */
			debugmsg("latency: fentry refused (%s): trying the next hooks", strerror(-err));
			continue;
		}
		if (m == HOOKS_FENTRY && !forced && !hooks_ia32_probe()) {
			err = -EOPNOTSUPP;
			debugmsg("latency: 32-bit programs run here and fentry on the x86_64 syscall "
				 "functions does not see their calls: trying the next hooks");
			continue;
		}
		if (!last)      /* a refusal here is expected: quiet */
			old = libbpf_set_print(quiet_print);
		err = try_load(s, cfg, m, cfg->offcpu, &stage);
		if (err && cfg->offcpu && m != HOOKS_FENTRY && !strcmp(stage, "load")) {
			/* no tp_btf/sched_switch here: aggregate without the split */
			debugmsg("latency: loading with the sched_switch hook failed (%s): retrying without",
				 strerror(-err));
			unload(s);
			s->offcpu_note = "this kernel refused the sched_switch hook: blocked time is not split out";
			err = try_load(s, cfg, m, false, &stage);
		}
		if (!last)
			libbpf_set_print(old);
		if (err && !last) {
			debugmsg("latency: %s hooks refused at %s (%s): trying the next", hooks_name(m),
				 stage, strerror(-err));
			unload(s);
			s->offcpu_note = NULL;
		}
	}
	if (err) {
		if (!strcmp(stage, "attach"))
			*status = errmsg(EX_UNAVAILABLE, "attaching the latency programs failed: %s: see `ipcscope doctor`",
					 strerror(-err));
		else if (!strcmp(stage, "track"))
			*status = errmsg(EX_SOFTWARE, "cannot track the command's pid: %s: run with -v",
					 strerror(-err));
		else if (!strcmp(stage, "open"))
			*status = errmsg(EX_UNAVAILABLE, "cannot open the latency BPF object: %s",
					 strerror(-err));
		else
			*status = errmsg(err == -EPERM ? EX_NOPERM : EX_UNAVAILABLE,
					 "the kernel refused the latency BPF programs (%s): run with -v, see `ipcscope doctor`",
					 strerror(-err));
		latency_src_close(s);
		return NULL;
	}
	debugmsg("latency: syscalls hooked by %s, off-CPU split %s", latency_src_mechanism(s),
		 s->offcpu ? "on" : "off");
	return s;
}

void latency_src_close(struct latency_src *s)
{
	if (!s)
		return;
	unload(s);
	histmap_reader_fini(&s->rd);
	free(s);
}

bool latency_src_offcpu(const struct latency_src *s)
{
	return s->offcpu;
}

const char *latency_src_offcpu_note(const struct latency_src *s)
{
	return s->offcpu_note;
}

const char *latency_src_mechanism(const struct latency_src *s)
{
	return hooks_name(s->hooks);
}

int latency_src_calls(struct latency_src *s, struct hist_val out[CALL__MAX], bool reset)
{
	return histmap_read_calls(&s->rd, bpf_map__fd(s->skel->maps.call_hists), out, reset);
}

int latency_src_call_table(struct latency_src *s, struct lat_table *t, bool reset)
{
	struct hist_val calls[CALL__MAX];
	int err = latency_src_calls(s, calls, reset);

	memset(t, 0, sizeof(*t));
	t->offcpu = s->offcpu;
	for (unsigned int c = 0; c < CALL__MAX && !err; c++) {
		struct hist_key k = { .call = (uint8_t)c, .id = -1 };

		if (calls[c].count)
			err = lat_table_add(t, &k, &calls[c]);
	}
	if (err)
		lat_table_free(t);
	return err;
}

int latency_src_objects(struct latency_src *s, struct lat_table *t, bool reset)
{
	t->offcpu = s->offcpu;
	return histmap_read_objects(&s->rd, bpf_map__fd(s->skel->maps.hists),
				    bpf_map__fd(s->skel->maps.lost), t, reset);
}
