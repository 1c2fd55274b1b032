// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Loader and reader of bpf/latency.bpf.c, shared by `latency` and `metrics`.
 *
 * The syscalls are hooked with fentry/fexit where the kernel allows it, else
 * with syscall tracepoints: loading is the probe (a kernel that refuses
 * fentry says so at load or attach), and the fallback is silent (-v says
 * which is used).  IPCSCOPE_LATENCY_HOOKS=fentry|tracepoint forces one.
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
#include "source/latency_src.h"
#include "source/live.h"

#define MAX_LAT_LINKS 32

struct latency_src {
	struct latency_bpf *skel;
	struct bpf_link *links[MAX_LAT_LINKS];
	int nlinks;
	int ncpus;
	bool offcpu;
	enum latency_hooks hooks;
	const char *offcpu_note;
	struct hist_val *percpu;    /* ncpus values, for reads */
};

static bool is_fentry(const struct bpf_program *p)
{
	const char *sec = bpf_program__section_name(p);

	return !strncmp(sec, "fentry/", 7) || !strncmp(sec, "fexit/", 6);
}

static bool is_tracepoint(const struct bpf_program *p)
{
	return !strncmp(bpf_program__section_name(p), "tracepoint/", 11);
}

const char *latency_hooks_name(enum latency_hooks h)
{
	return h == LATENCY_HOOKS_FENTRY ? "fentry" : "tracepoint";
}

static struct latency_bpf *open_skel(const struct latency_src_config *cfg, bool offcpu,
				     enum latency_hooks hooks)
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
	bpf_object__for_each_program(p, skel->obj) {
		if (is_fentry(p))
			bpf_program__set_autoload(p, hooks == LATENCY_HOOKS_FENTRY);
		else if (is_tracepoint(p))
			bpf_program__set_autoload(p, hooks == LATENCY_HOOKS_TRACEPOINT);
	}
	if (!offcpu)
		bpf_program__set_autoload(skel->progs.lat_switch, false);
	if (!pid_filter) {
		bpf_program__set_autoload(skel->progs.lat_fork, false);
		bpf_program__set_autoload(skel->progs.lat_exit, false);
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
	while (s->nlinks > 0)
		bpf_link__destroy(s->links[--s->nlinks]);
	latency_bpf__destroy(s->skel);
	s->skel = NULL;
}

/* One attempt: open, load, seed the pid filter, attach.  0 or -errno. */
static int try_load(struct latency_src *s, const struct latency_src_config *cfg,
		    enum latency_hooks hooks, bool offcpu, const char **stage)
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

/* The hooks to try, from IPCSCOPE_LATENCY_HOOKS (default: both). */
static void hooks_wanted(bool *fentry, bool *tp)
{
	const char *e = getenv("IPCSCOPE_LATENCY_HOOKS");

	*fentry = *tp = true;
	if (e && !strcmp(e, "fentry"))
		*tp = false;
	else if (e && !strcmp(e, "tracepoint"))
		*fentry = false;
}

enum latency_hooks latency_hooks_probe(int *fentry_err)
{
	struct common_opts o = { 0 };
	struct latency_src_config cfg = { .opts = &o };
	struct latency_src s = { 0 };
	libbpf_print_fn_t old = libbpf_set_print(quiet_print);
	const char *stage;
	int err = try_load(&s, &cfg, LATENCY_HOOKS_FENTRY, false, &stage);

	unload(&s);
	libbpf_set_print(old);
	if (fentry_err)
		*fentry_err = err;
	return err ? LATENCY_HOOKS_TRACEPOINT : LATENCY_HOOKS_FENTRY;
}

struct latency_src *latency_src_open(const struct latency_src_config *cfg, int *status)
{
	struct latency_src *s;
	const char *stage = "open";
	bool fentry, tp;
	int err = -ENOENT;

	*status = live_check_env();
	if (*status)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (s)
		s->ncpus = libbpf_num_possible_cpus();
	if (!s || s->ncpus <= 0 || !(s->percpu = calloc((size_t)s->ncpus, sizeof(*s->percpu)))) {
		free(s);
		*status = errmsg(EX_OSERR, "out of memory: free some memory and retry");
		return NULL;
	}
	hooks_wanted(&fentry, &tp);
	if (fentry) {
		libbpf_print_fn_t old = libbpf_set_print(quiet_print);

		err = try_load(s, cfg, LATENCY_HOOKS_FENTRY, cfg->offcpu, &stage);
		libbpf_set_print(old);
		if (err) {
			debugmsg("latency: fentry refused at %s (%s): %s", stage, strerror(-err),
				 tp ? "using syscall tracepoints" : "IPCSCOPE_LATENCY_HOOKS=fentry");
			unload(s);
		}
	}
	if (err && tp) {
		err = try_load(s, cfg, LATENCY_HOOKS_TRACEPOINT, cfg->offcpu, &stage);
		if (err && cfg->offcpu && !strcmp(stage, "load")) {
			/* no tp_btf/sched_switch here: aggregate without the split */
			debugmsg("latency: loading with the sched_switch hook failed (%s): retrying without",
				 strerror(-err));
			unload(s);
			s->offcpu_note = "this kernel refused the sched_switch hook: blocked time is not split out";
			err = try_load(s, cfg, LATENCY_HOOKS_TRACEPOINT, false, &stage);
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
	free(s->percpu);
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
	return latency_hooks_name(s->hooks);
}

/* Sum n per-CPU values into *out (max of max). */
static void sum_cpus(struct hist_val *out, const struct hist_val *v, int n)
{
	memset(out, 0, sizeof(*out));
	for (int c = 0; c < n; c++)
		hist_val_add(out, &v[c]);
}

int latency_src_calls(struct latency_src *s, struct hist_val out[CALL__MAX], bool reset)
{
	int fd = bpf_map__fd(s->skel->maps.call_hists);

	for (uint32_t c = 0; c < CALL__MAX; c++) {
		if (bpf_map_lookup_elem(fd, &c, s->percpu))
			return -errno;
		sum_cpus(&out[c], s->percpu, s->ncpus);
		if (reset && out[c].count) {
			memset(s->percpu, 0, (size_t)s->ncpus * sizeof(*s->percpu));
			if (bpf_map_update_elem(fd, &c, s->percpu, BPF_ANY))
				return -errno;
		}
	}
	return 0;
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
	int fd = bpf_map__fd(s->skel->maps.hists);
	struct hist_key key, next, *prev = NULL;
	uint64_t *d;
	uint32_t zero = 0;
	int err = 0;

	memset(t, 0, sizeof(*t));
	t->offcpu = s->offcpu;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		struct hist_val v;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, s->percpu))
			continue;   /* deleted meanwhile */
		sum_cpus(&v, s->percpu, s->ncpus);
		err = lat_table_add(t, &key, &v);
		if (err)
			break;
	}
	if (reset)
		while (bpf_map_get_next_key(fd, NULL, &next) == 0)
			if (bpf_map_delete_elem(fd, &next))
				break;
	d = calloc((size_t)s->ncpus, sizeof(*d));
	fd = bpf_map__fd(s->skel->maps.dropped);
	if (d && !bpf_map_lookup_elem(fd, &zero, d)) {
		for (int c = 0; c < s->ncpus; c++)
			t->dropped += d[c];
		if (reset) {
			memset(d, 0, (size_t)s->ncpus * sizeof(*d));
			bpf_map_update_elem(fd, &zero, d, BPF_ANY);
		}
	}
	free(d);
	if (err)
		lat_table_free(t);
	return err;
}
