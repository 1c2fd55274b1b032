// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Source: the in-kernel aggregation maps read into tables; see histmap.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "source/histmap.h"

int histmap_reader_init(struct histmap_reader *r)
{
	memset(r, 0, sizeof(*r));
	r->ncpus = libbpf_num_possible_cpus();
	if (r->ncpus <= 0)
		return r->ncpus ? r->ncpus : -EINVAL;
	/* a u64 counter per CPU fits in a hist_val per CPU: one buffer serves both */
	r->percpu = calloc((size_t)r->ncpus, sizeof(*r->percpu));
	return r->percpu ? 0 : -ENOMEM;
}

void histmap_reader_fini(struct histmap_reader *r)
{
	free(r->percpu);
	r->percpu = NULL;
}

/* Sum n per-CPU values into *out (max of max). */
static void sum_cpus(struct hist_val *out, const struct hist_val *v, int n)
{
	memset(out, 0, sizeof(*out));
	for (int c = 0; c < n; c++)
		hist_val_add(out, &v[c]);
}

int histmap_read_calls(struct histmap_reader *r, int fd, struct hist_val out[CALL__MAX],
		       bool reset)
{
	for (uint32_t c = 0; c < CALL__MAX; c++) {
		if (bpf_map_lookup_elem(fd, &c, r->percpu))
			return -errno;
		sum_cpus(&out[c], r->percpu, r->ncpus);
		if (reset && out[c].count) {
			memset(r->percpu, 0, (size_t)r->ncpus * sizeof(*r->percpu));
			if (bpf_map_update_elem(fd, &c, r->percpu, BPF_ANY))
				return -errno;
		}
	}
	return 0;
}

uint64_t histmap_counter_sum(int fd)
{
	int ncpus = libbpf_num_possible_cpus();
	uint64_t *d, sum = 0;
	uint32_t zero = 0;

	if (fd < 0 || ncpus <= 0 || !(d = calloc((size_t)ncpus, sizeof(*d))))
		return 0;
	if (!bpf_map_lookup_elem(fd, &zero, d))
		for (int c = 0; c < ncpus; c++)
			sum += d[c];
	free(d);
	return sum;
}

static void reset_counter(struct histmap_reader *r, int fd)
{
	uint32_t zero = 0;

	memset(r->percpu, 0, (size_t)r->ncpus * sizeof(uint64_t));
	bpf_map_update_elem(fd, &zero, r->percpu, BPF_ANY);
}

int histmap_read_objects(struct histmap_reader *r, int fd, int lost_fd, struct lat_table *t,
			 bool reset)
{
	struct hist_key key, next, *prev = NULL;
	bool offcpu = t->offcpu;
	int err = 0;

	memset(t, 0, sizeof(*t));
	t->offcpu = offcpu;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		struct hist_val v;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, r->percpu))
			continue;   /* deleted meanwhile */
		sum_cpus(&v, r->percpu, r->ncpus);
		err = lat_table_append(t, &key, &v);   /* a map's keys are unique */
		if (err)
			break;
	}
	if (reset)
		while (bpf_map_get_next_key(fd, NULL, &next) == 0)
			if (bpf_map_delete_elem(fd, &next))
				break;
	if (lost_fd >= 0) {
		t->dropped = histmap_counter_sum(lost_fd);
		if (reset)
			reset_counter(r, lost_fd);
	}
	if (err)
		lat_table_free(t);
	return err;
}
