// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Text and JSON for the POSIX table (see posix_view.h). */
#include <inttypes.h>
#include <stdbool.h>

#include "view/posix_view.h"

void posix_text(const struct posix_table *t, FILE *f)
{
	fprintf(f, "POSIX shared memory (/dev/shm): %zu\n", t->nshm);
	if (t->nshm)
		fprintf(f, "%-32s %12s %6s %6s %5s  %s\n", "NAME", "SIZE", "UID", "GID", "MODE",
			"HOLDERS");
	for (size_t i = 0; i < t->nshm; i++) {
		const struct posix_obj *o = &t->shm[i];

		fprintf(f, "%-32.32s %12" PRIu64 " %6u %6u %5o  ", o->name, o->size, o->uid,
			o->gid, o->mode);
		if (!o->nholders)
			fputs("-", f);
		for (size_t j = 0; j < o->nholders; j++)
			fprintf(f, "%s%d", j ? "," : "", o->holders[j]);
		fputc('\n', f);
	}
	fprintf(f, "POSIX message queues: %zu%s\n", t->nmq,
		t->mq_err ? " (could not mount mqueue: run as root)" : "");
	for (size_t i = 0; i < t->nmq; i++)
		fprintf(f, "  %-32.32s queued=%" PRIu64 "B uid=%u gid=%u mode=%o\n", t->mq[i].name,
			t->mq[i].size, t->mq[i].uid, t->mq[i].gid, t->mq[i].mode);
}

static void json_list(struct jsonw *w, const char *name, const struct posix_obj *v,
		      size_t n, bool holders)
{
	jsonw_name(w, name);
	jsonw_start_array(w);
	for (size_t i = 0; i < n; i++) {
		jsonw_start_object(w);
		jsonw_string_field(w, "name", v[i].name);
		jsonw_uint_field(w, holders ? "size" : "qsize", v[i].size);
		jsonw_uint_field(w, "uid", v[i].uid);
		jsonw_uint_field(w, "gid", v[i].gid);
		jsonw_uint_field(w, "mode", v[i].mode);
		jsonw_int_field(w, "mtime", v[i].mtime);
		if (holders) {
			jsonw_name(w, "holders");
			jsonw_start_array(w);
			for (size_t j = 0; j < v[i].nholders; j++)
				jsonw_int(w, v[i].holders[j]);
			jsonw_end_array(w);
		}
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
}

void posix_json(const struct posix_table *t, struct jsonw *w)
{
	jsonw_name(w, "posix");
	jsonw_start_object(w);
	json_list(w, "shm", t->shm, t->nshm, true);
	json_list(w, "mqueue", t->mq, t->nmq, false);
	jsonw_bool_field(w, "mqueue_complete", t->mq_err == 0);
	jsonw_end_object(w);
}
