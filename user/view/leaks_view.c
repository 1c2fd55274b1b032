// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Text and JSON output for leak reports. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "stack/symbolize.h"
#include "tables/procmeta.h"
#include "view/leaks_view.h"

#define PREDATES "creator unknown (predates tracing)"

void leaks_format_key(char *buf, size_t len, int32_t key)
{
	snprintf(buf, len, IPCS_KEY_FMT, (uint32_t)key);
}

void leaks_format_age(char *buf, size_t len, int64_t s)
{
	if (s < 60)
		snprintf(buf, len, "%" PRId64 "s", s);
	else if (s < 3600)
		snprintf(buf, len, "%" PRId64 "m%02" PRId64 "s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%" PRId64 "h%02" PRId64 "m", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, len, "%" PRId64 "d%02" PRId64 "h", s / 86400, s % 86400 / 3600);
}

static void json_frame(struct jsonw *w, const struct stack_frame *f)
{
	char buf[64];

	jsonw_start_object(w);
	snprintf(buf, sizeof(buf), "0x%" PRIx64, f->addr);
	jsonw_string_field(w, "addr", buf);
	jsonw_string_field(w, "func", f->func[0] ? f->func : NULL);
	jsonw_string_field(w, "symbol", f->symbol[0] ? f->symbol : NULL);
	jsonw_uint_field(w, "offset", f->offset);
	jsonw_string_field(w, "module", f->module[0] ? f->module : NULL);
	if (f->build_id_len) {
		char hex[2 * PROCMETA_BUILD_ID_MAX + 1];

		procmeta_build_id_hex(f->build_id, f->build_id_len, hex);
		jsonw_string_field(w, "build_id", hex);
		jsonw_uint_field(w, "file_offset", f->file_offset);
	}
	jsonw_end_object(w);
}

static void json_stack(struct jsonw *w, const struct leak_creator *c)
{
	jsonw_name(w, "stack");
	jsonw_start_array(w);
	for (size_t i = 0; i < c->nstack; i++)
		json_frame(w, &c->stack[i]);
	jsonw_end_array(w);
	jsonw_string_field(w, "stack_method", c->stack_how);
}

void leaks_json_creator(struct jsonw *w, const struct leak *k)
{
	const struct leak_creator *c = &k->creator;

	jsonw_start_object(w);
	jsonw_bool_field(w, "known", c->known);
	if (c->pid)
		jsonw_int_field(w, "pid", c->pid);
	else
		jsonw_string_field(w, "pid", NULL);
	if (c->known) {
		jsonw_int_field(w, "tid", c->tid);
		jsonw_int_field(w, "ppid", c->ppid);
		jsonw_uint_field(w, "uid", c->uid);
		jsonw_string_field(w, "comm", c->comm);
		jsonw_string_field(w, "cmdline", c->cmdline);
		jsonw_string_field(w, "exe", c->exe[0] ? c->exe : NULL);
		jsonw_string_field(w, "cgroup", c->cgroup[0] ? c->cgroup : NULL);
		jsonw_string_field(w, "container", c->container[0] ? c->container : NULL);
		jsonw_uint_field(w, "ipcns", c->ipcns);
	} else {
		jsonw_string_field(w, "comm", NULL);
		jsonw_string_field(w, "cmdline", NULL);
		jsonw_string_field(w, "note", c->pid ? "predates tracing: pid from the shm cpid"
						     : PREDATES);
	}
	jsonw_bool_field(w, "exited", c->exited);
	json_stack(w, c);
	jsonw_end_object(w);
}

void leaks_json_leak(struct jsonw *w, const struct leak *k)
{
	jsonw_start_object(w);
	jsonw_string_field(w, "kind", kind_name(k->kind));
	jsonw_int_field(w, "id", k->id);
	jsonw_uint_field(w, "key", (uint32_t)k->key);
	jsonw_uint_field(w, "bytes", k->bytes);
	if (k->kind == KIND_SEM)
		jsonw_uint_field(w, "sems", k->nsems);
	if (k->kind == KIND_MSG)
		jsonw_uint_field(w, "messages", k->messages);
	jsonw_string_field(w, "reason", k->reason);
	/* age_s: since the creation ipcscope saw, else since the kernel's ctime
	 * (age_from says which); changed_s: since ctime, always */
	jsonw_int_field(w, "age_s", k->age_s);
	jsonw_string_field(w, "age_from", k->age_from_creation ? "creation" : "ctime");
	jsonw_int_field(w, "changed_s", k->changed_s);
	jsonw_uint_field(w, "mode", k->mode & 0777);
	jsonw_uint_field(w, "uid", k->uid);
	jsonw_name(w, "last_user");
	if (k->last_pid) {
		jsonw_start_object(w);
		jsonw_int_field(w, "pid", k->last_pid);
		jsonw_string_field(w, "comm", k->last_comm[0] ? k->last_comm : NULL);
		jsonw_string_field(w, "call", k->last_call ? call_name(k->last_call) : NULL);
		/* "traced": the last call ipcscope saw; "kernel": lpid/sempid/lspid/lrpid */
		jsonw_string_field(w, "source", k->last_call ? "traced" : "kernel");
		jsonw_end_object(w);
	} else {
		jsonw_null(w);
	}
	jsonw_int_field(w, "kernel_last_pid", k->kernel_last_pid);
	jsonw_name(w, "creator");
	leaks_json_creator(w, k);
	jsonw_end_object(w);
}

void leaks_json_report(struct jsonw *w, const struct leak_report *r, uint64_t lost)
{
	jsonw_start_object(w);
	jsonw_name(w, "leaks");
	jsonw_start_array(w);
	for (size_t i = 0; i < r->n; i++)
		leaks_json_leak(w, &r->v[i]);
	jsonw_end_array(w);
	jsonw_name(w, "by_creator");
	jsonw_start_array(w);
	for (size_t g = 0; g < r->ngroups; g++) {
		const struct leak *k = &r->v[r->groups[g].first];

		jsonw_start_object(w);
		jsonw_uint_field(w, "count", r->groups[g].count);
		jsonw_uint_field(w, "bytes", r->groups[g].bytes);
		jsonw_name(w, "creator");
		leaks_json_creator(w, k);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
	jsonw_uint_field(w, "lost_events", lost);
	jsonw_end_object(w);
	jsonw_eol(w);
}

static void creator_line(char *buf, size_t len, const struct leak_creator *c)
{
	if (c->known)
		snprintf(buf, len, "%d %s%s \"%s\"", c->pid, c->comm,
			 c->exited ? " (exited)" : "", c->cmdline);
	else if (c->pid)
		snprintf(buf, len, "%d (cpid, exited; predates tracing)", c->pid);
	else
		snprintf(buf, len, PREDATES);
}

static void size_text(char *buf, size_t len, const struct leak *k)
{
	if (k->kind == KIND_SEM)
		snprintf(buf, len, "%u sems", k->nsems);
	else if (k->kind == KIND_MSG)
		snprintf(buf, len, "%" PRIu64 "B/%" PRIu64 "msg", k->bytes, k->messages);
	else
		snprintf(buf, len, "%" PRIu64 "B", k->bytes);
}

/* "inner < caller < ..." by function, at most n frames */
static void stack_short(char *buf, size_t len, const struct leak_creator *c, size_t n)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < c->nstack && i < n && off < len; i++) {
		const struct stack_frame *f = &c->stack[i];
		char one[160];

		if (f->func[0])
			snprintf(one, sizeof(one), "%s", f->func);
		else
			snprintf(one, sizeof(one), "0x%" PRIx64, f->addr);
		off += snprintf(buf + off, len - off, "%s%s", i ? " < " : "", one);
	}
}

void leaks_text_report(FILE *f, const struct leak_report *r, uint64_t lost)
{
	char key[16], age[20], size[48], who[700], frame[600];
	size_t seen = 0;

	for (size_t i = 0; i < r->n; i++)
		seen += r->v[i].age_from_creation;
	/*
	 * AGE only where ipcscope saw the creation; the kernel's ctime is the
	 * creation or the last IPC_SET/SETVAL/SETALL, so it is CHANGED, and in
	 * a mixed table those ages are starred.
	 */
	if (!r->n) {
		fprintf(f, "No leak candidates.\n");
	} else {
		fprintf(f, "%-4s %-10s %-10s %-16s %-8s %-15s %s\n", "KIND", "ID", "KEY",
			"SIZE", seen ? "AGE" : "CHANGED", "REASON", "CREATOR");
	}
	for (size_t i = 0; i < r->n; i++) {
		const struct leak *k = &r->v[i];

		leaks_format_key(key, sizeof(key), k->key);
		leaks_format_age(age, sizeof(age) - 1, k->age_s);
		if (seen && !k->age_from_creation)
			strcat(age, "*");
		size_text(size, sizeof(size), k);
		creator_line(who, sizeof(who), &k->creator);
		fprintf(f, "%-4s %-10d %-10s %-16s %-8s %-15s %s\n", kind_name(k->kind),
			k->id, key, size, age, k->reason, who);
		for (size_t j = 0; j < k->creator.nstack; j++) {
			stack_frame_format(&k->creator.stack[j], frame, sizeof(frame));
			fprintf(f, "      %s %s\n", j ? "  " : "at", frame);
		}
		/* the traced call and the kernel's pid can differ: say which is which */
		if (k->last_call)
			fprintf(f, "      last traced call: %d%s%s in %s\n", k->last_pid,
				k->last_comm[0] ? " " : "", k->last_comm, call_name(k->last_call));
		if (k->kernel_last_pid && (!k->last_call || k->kernel_last_pid != k->last_pid))
			fprintf(f, "      kernel's last pid (%s): %d\n",
				k->kind == KIND_SHM ? "lpid" : k->kind == KIND_SEM ? "sempid" :
				"lspid/lrpid", k->kernel_last_pid);
	}
	if (r->ngroups) {
		fprintf(f, "\nBy creator:\n%7s %12s  %s\n", "COUNT", "BYTES", "CREATOR");
		for (size_t g = 0; g < r->ngroups; g++) {
			const struct leak_creator *c = &r->v[r->groups[g].first].creator;

			creator_line(who, sizeof(who), c);
			stack_short(frame, sizeof(frame), c, 4);
			fprintf(f, "%7zu %12" PRIu64 "  %s%s%s%s\n", r->groups[g].count,
				r->groups[g].bytes, who, frame[0] ? " [" : "", frame,
				frame[0] ? "]" : "");
		}
	}
	if (seen && seen < r->n)
		fprintf(f, "* not seen created: time since the kernel's ctime (created, or "
			"changed by IPC_SET/SETVAL/SETALL)\n");
	fprintf(f, "%zu leak candidate%s; lost events: %" PRIu64 "%s\n", r->n,
		r->n == 1 ? "" : "s", lost, lost ? " (WARNING: attribution may be incomplete)" : "");
}
