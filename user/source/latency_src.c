// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Loader and reader of bpf/latency.bpf.c, shared by `latency` and `metrics`.
 */
#include <errno.h>
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
	const char *offcpu_note;
	struct hist_val *percpu;    /* ncpus values, for reads */
};

static struct latency_bpf *open_skel(const struct latency_src_config *cfg, bool offcpu)
{
	const struct common_opts *o = cfg->opts;
	bool pid_filter = o->pid || cfg->cmd_pid;
	struct latency_bpf *skel = latency_bpf__open();

	if (!skel)
		return NULL;
	live_set_filters(skel->rodata, o, cfg->cmd_pid);
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

struct latency_src *latency_src_open(const struct latency_src_config *cfg, int *status)
{
	const struct common_opts *o = cfg->opts;
	struct latency_src *s;
	int err;

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
	s->offcpu = cfg->offcpu;
	s->skel = open_skel(cfg, s->offcpu);
	if (!s->skel) {
		*status = errmsg(EX_UNAVAILABLE, "cannot open the latency BPF object: %s",
				 strerror(errno));
		goto fail;
	}
	err = latency_bpf__load(s->skel);
	if (err && s->offcpu) {
		/* no tp_btf/sched_switch here: aggregate without the split */
		debugmsg("latency: loading with the sched_switch hook failed (%s): retrying without",
			 strerror(-err));
		latency_bpf__destroy(s->skel);
		s->offcpu = false;
		s->offcpu_note = "this kernel refused the sched_switch hook: blocked time is not split out";
		s->skel = open_skel(cfg, false);
		if (!s->skel) {
			*status = errmsg(EX_UNAVAILABLE, "cannot open the latency BPF object: %s",
					 strerror(errno));
			goto fail;
		}
		err = latency_bpf__load(s->skel);
	}
	if (err) {
		*status = errmsg(err == -EPERM ? EX_NOPERM : EX_UNAVAILABLE,
				 "the kernel refused the latency BPF programs (%s): run with -v, see `ipcscope doctor`",
				 strerror(-err));
		goto fail;
	}
	if (o->pid || cfg->cmd_pid) {
		uint32_t pid = o->pid ? (uint32_t)o->pid : (uint32_t)cfg->cmd_pid;
		uint8_t one = 1;

		if (bpf_map_update_elem(bpf_map__fd(s->skel->maps.tracked), &pid, &one, BPF_ANY)) {
			*status = errmsg(EX_SOFTWARE, "cannot track pid %u: %s: run with -v", pid,
					 strerror(errno));
			goto fail;
		}
	}
	err = attach_all(s);
	if (err) {
		*status = errmsg(EX_UNAVAILABLE, "attaching the latency programs failed: %s: see `ipcscope doctor`",
				 strerror(-err));
		goto fail;
	}
	debugmsg("latency: syscalls hooked by %s, off-CPU split %s", latency_src_mechanism(s),
		 s->offcpu ? "on" : "off");
	return s;
fail:
	latency_src_close(s);
	return NULL;
}

void latency_src_close(struct latency_src *s)
{
	if (!s)
		return;
	while (s->nlinks > 0)
		bpf_link__destroy(s->links[--s->nlinks]);
	latency_bpf__destroy(s->skel);
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
	(void)s;
	return "tracepoint";
}

/* Sum n per-CPU values into *out (max of max). */
static void sum_cpus(struct hist_val *out, const struct hist_val *v, int n)
{
	memset(out, 0, sizeof(*out));
	for (int c = 0; c < n; c++) {
		for (int i = 0; i < IPCS_HIST_SLOTS; i++) {
			out->slots[i] += v[c].slots[i];
			out->offcpu_slots[i] += v[c].offcpu_slots[i];
		}
		out->count += v[c].count;
		out->errors += v[c].errors;
		out->sum_ns += v[c].sum_ns;
		out->offcpu_sum_ns += v[c].offcpu_sum_ns;
		out->bytes += v[c].bytes;
		if (v[c].max_ns > out->max_ns)
			out->max_ns = v[c].max_ns;
	}
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
