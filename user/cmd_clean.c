// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ipcscope clean: remove leaked System V objects, safely.
 *
 * Only leak candidates (analysis/leaks.h, judged from the tables: shm with
 * nothing attached whose creator is gone, sem/msg whose last users are all
 * gone and with nobody waiting) that pass the filters are touched.  Dry run
 * unless --yes.  Each object is re-checked right before removal (same key,
 * same ctime, still unattached / no waiters / queue unchanged) and skipped
 * with a message if anything changed since the tables were read.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

#include "analysis/leaks.h"
#include "ipcscope.h"
#include "opts.h"
#include "tables/ipcns.h"
#include "action/ipcremove.h"
#include "action/ipcsave.h"
#include "tables/sysvipc.h"
#include "view/leaks_view.h"
#include "tables/proc.h"

#define MAX_IDS 64

enum {
	OPT_DRY = 0x2200, OPT_OLDER, OPT_SAVE, OPT_ID, OPT_KEY, OPT_IPCNS,
};

struct clean_args {
	struct common_opts o;
	bool dry_run, yes;
	double older_than;       /* seconds, < 0: any age */
	const char *save;
	int ids[MAX_IDS];
	int nids;
	bool have_key;
	int32_t key;
	const char *ipcns;
	unsigned int kinds;
};

/* A zombie has exited: proc_alive() is the one liveness rule. */
static bool pid_alive(void *ctx, int32_t pid)
{
	return proc_alive(pid);
}

static const char *ipcrm_flag(unsigned int kind)
{
	return kind == KIND_SHM ? "-m" : kind == KIND_SEM ? "-s" : "-q";
}

static bool id_selected(const struct clean_args *a, int32_t id)
{
	if (!a->nids)
		return true;
	for (int i = 0; i < a->nids; i++)
		if (a->ids[i] == id)
			return true;
	return false;
}

static bool selected(const struct clean_args *a, const struct leak *k)
{
	if (!id_selected(a, k->id))
		return false;
	if (a->have_key && k->key != a->key)
		return false;
	/* clean never sees a creation: the kernel's ctime is all there is */
	if (a->older_than >= 0 && k->changed_s < a->older_than)
		return false;
	return true;
}

/* ---- re-check and remove ------------------------------------------ */

/* Why an object the user named with --id is not a candidate; false if
 * there is no such object (of the selected kinds). */
static bool why_not(const struct ipc_snapshot *snap, int32_t id, unsigned int kinds,
		    char *buf, size_t len)
{
	const struct shm_obj *shm = NULL;
	const struct sem_obj *sem = NULL;
	const struct msg_obj *msg = NULL;

	for (size_t i = 0; i < snap->nshm; i++)
		if (snap->shm[i].c.id == id)
			shm = &snap->shm[i];
	for (size_t i = 0; i < snap->nsem; i++)
		if (snap->sem[i].c.id == id)
			sem = &snap->sem[i];
	for (size_t i = 0; i < snap->nmsg; i++)
		if (snap->msg[i].c.id == id)
			msg = &snap->msg[i];

	if (shm && (kinds & KIND_BIT(KIND_SHM))) {
		if (shm->nattch)
			snprintf(buf, len, "shm %d is attached (nattch %" PRIu64 ")", id, shm->nattch);
		else
			snprintf(buf, len, "shm %d: its creator (pid %d) is still running", id,
				 shm->cpid);
	} else if (sem && (kinds & KIND_BIT(KIND_SEM))) {
		snprintf(buf, len, "sem %d is in use (waiters, or a process that used it "
			 "is still running)", id);
	} else if (msg && (kinds & KIND_BIT(KIND_MSG))) {
		snprintf(buf, len, "msg %d is in use (a process that used it is still running)",
			 id);
	} else {
		snprintf(buf, len, "no object with id %d%s", id, kinds != (unsigned)~0u ?
			 " of the selected kinds" : "");
		return false;
	}
	return true;
}

/* ---- output -------------------------------------------------------- */

static void describe(char *buf, size_t len, const struct leak *k)
{
	char key[16], age[16];

	leaks_format_key(key, sizeof(key), k->key);
	/* ctime: created, or changed by IPC_SET/SETVAL/SETALL since */
	leaks_format_age(age, sizeof(age), k->changed_s);
	if (k->kind == KIND_SEM)
		snprintf(buf, len, "sem %d (key %s, %u sems, %s, changed %s ago)", k->id, key, k->nsems,
			 k->reason, age);
	else if (k->kind == KIND_MSG)
		snprintf(buf, len, "msg %d (key %s, %" PRIu64 " messages, %" PRIu64 " bytes, "
			 "%s, changed %s ago)", k->id, key, k->messages, k->bytes, k->reason, age);
	else
		snprintf(buf, len, "shm %d (key %s, %" PRIu64 " bytes, %s, changed %s ago)", k->id, key,
			 k->bytes, k->reason, age);
}

static void json_item(struct jsonw *w, const struct leak *k, const char *action,
		      const char *why)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "ipcrm %s %d", ipcrm_flag(k->kind), k->id);
	jsonw_start_object(w);
	jsonw_string_field(w, "kind", kind_name(k->kind));
	jsonw_int_field(w, "id", k->id);
	jsonw_uint_field(w, "key", (uint32_t)k->key);
	jsonw_uint_field(w, "bytes", k->bytes);
	jsonw_string_field(w, "reason", k->reason);
	jsonw_int_field(w, "changed_s", k->changed_s);
	jsonw_string_field(w, "action", action);
	jsonw_string_field(w, "why", why);
	jsonw_string_field(w, "ipcrm", cmd);
	jsonw_end_object(w);
}

/* ---- command ------------------------------------------------------- */

static const struct argp_option clean_options[] = {
	{ "dry-run", OPT_DRY, NULL, 0, "Only show what would be removed (the default "
	  "without --yes)", 0 },
	{ "yes", 'y', NULL, 0, "Remove the leak candidates", 0 },
	{ "older-than", OPT_OLDER, "DURATION", 0, "Only objects unchanged for this long "
	  "(30s, 10m, 2h, 7d): by the kernel's ctime, which is the creation or the last "
	  "IPC_SET/SETVAL/SETALL", 0 },
	{ "save", OPT_SAVE, "DIR", 0, "Before removing, save shm contents, semaphore "
	  "values and queued messages to DIR (see `ipcscope restore`)", 0 },
	{ "id", OPT_ID, "ID", 0, "Only this object id (repeatable)", 1 },
	{ "key", OPT_KEY, "KEY", 0, "Only objects with this key (0x1234 or decimal)", 1 },
	{ "type", 't', "KINDS", 0, "Only these kinds: shm,sem,msg", 1 },
	{ "ipcns", OPT_IPCNS, "PID|INODE", 0, "Clean in this IPC namespace", 1 },
	{ 0 },
};

static error_t clean_parse(int key, char *arg, struct argp_state *state)
{
	struct clean_args *a = state->input;
	long v;
	int k;

	switch (key) {
	case OPT_DRY:
		a->dry_run = true;
		break;
	case 'y':
		a->yes = true;
		break;
	case OPT_OLDER:
		a->older_than = parse_duration(arg);
		if (a->older_than < 0)
			argp_error(state, "bad duration '%s' (examples: 30s, 10m, 2h, 7d)", arg);
		break;
	case OPT_SAVE:
		a->save = arg;
		break;
	case OPT_ID:
		if (!parse_long(arg, 0, INT32_MAX, &v))
			argp_error(state, "bad id '%s'", arg);
		if (a->nids == MAX_IDS)
			argp_error(state, "at most %d --id options", MAX_IDS);
		a->ids[a->nids++] = v;
		break;
	case OPT_KEY: {
		char *end;
		long long kv = strtoll(arg, &end, 0);

		if (*end || end == arg || kv < INT32_MIN || kv > UINT32_MAX)
			argp_error(state, "bad key '%s'", arg);
		a->key = (int32_t)(uint32_t)kv;
		a->have_key = true;
		break;
	}
	case 't':
		k = parse_kinds(arg);
		if (k < 0)
			argp_error(state, "bad kinds '%s' (expected shm,sem,msg)", arg);
		a->kinds = k;
		break;
	case OPT_IPCNS:
		a->ipcns = arg;
		break;
	default:
		return opts_key_default(key, arg, state, &a->o);
	}
	return 0;
}

static const struct argp_child clean_children[] = { OPTS_CHILD_OUTPUT, { 0 } };

static const struct argp clean_argp = {
	clean_options, clean_parse, NULL,
	"Remove leaked System V IPC objects: shm segments nothing has attached whose "
	"creator is gone, semaphores and queues whose last users are all gone and "
	"that nobody waits on.  Semaphores and queues keep no creator, so for them "
	"the last processes to use them stand in (their pids from the kernel).\n\n"
	"Without --yes nothing is changed: the objects that would be removed are "
	"listed with the equivalent ipcrm commands.  With --yes each object is "
	"checked again right before its removal and skipped, with a message, if it "
	"changed meanwhile (attached, waited on, messages moved, id reused).  A "
	"segment with attachments or a semaphore with waiters is never removed.\n\n"
	"--save DIR writes, before each removal, the segment's bytes, the "
	"semaphores' values and the queue's messages (type and body) with a "
	"manifest, so that `ipcscope restore DIR` can recreate them.  Queues are "
	"copied with msgrcv(MSG_COPY), leaving them untouched; on kernels without "
	"it the messages are taken out only when the queue is removed right after, "
	"and sent back if the removal does not happen.\v"
	"Examples:\n"
	"  ipcscope clean                          what would go (dry run)\n"
	"  ipcscope clean --older-than 1d --yes    remove day-old leaks\n"
	"  ipcscope clean -t shm --save /var/tmp/ipc-save --yes\n\n"
	"Exit status: 0; 1 if an object was skipped or refused; 66 if an --id names "
	"no object; 64 usage, "
	"77 not privileged.",
	clean_children, NULL, NULL,
};

static int cmd_clean(int argc, char **argv)
{
	struct clean_args a = { .older_than = -1, .kinds = ~0u };
	struct ipc_snapshot snap;
	struct leak_report r;
	struct leaks_opts lo = { 0 };
	struct ipcsave *save = NULL;
	struct jsonw w;
	size_t removed = 0, skipped = 0, listed = 0, missing = 0;
	bool dry;
	int status, err;

	opts_init(&a.o);
	status = opts_parse(&clean_argp, argc, argv, &a, &a.o);
	if (status)
		return status;
	dry = a.dry_run || !a.yes;
	if (a.ipcns && (err = ipcns_enter(a.ipcns))) {
		opts_finish(&a.o);
		if (err == -ESRCH || err == -EINVAL || err == -ENOENT)
			return errmsg(EX_USAGE,
				      "--ipcns '%s' names no IPC namespace: give a live PID or a namespace inode (see `lsns -t ipc`)",
				      a.ipcns);
		if (err == -EACCES)   /* /proc/PID/ns/ipc of another user's process */
			return errmsg(EX_NOPERM, "cannot enter IPC namespace %s: cannot read "
				      "/proc/%s/ns/ipc: %s: run as root or as that process's user",
				      a.ipcns, a.ipcns, strerror(EACCES));
		return errmsg(exit_for_errno(-err), "cannot enter IPC namespace %s: %s: %s",
			      a.ipcns, strerror(-err), hint_for_errno(-err));
	}
	memset(&snap, 0, sizeof(snap));
	err = snapshot_read(&snap, SNAP_ALL | SNAP_SEMVALS);
	if (err) {
		opts_finish(&a.o);
		return errmsg(exit_for_errno(-err), "cannot read the IPC tables: %s",
			      hint_for_errno(-err));
	}
	lo.kinds = a.kinds;
	lo.alive = pid_alive;
	err = leaks_find_untraced(&snap, &lo, &r);
	if (err) {
		snapshot_free(&snap);
		opts_finish(&a.o);
		return errmsg(EX_SOFTWARE, "finding leaks: %s", strerror(-err));
	}
	if (!dry && a.save && (err = ipcsave_open(&save, a.save))) {
		leak_report_free(&r);
		snapshot_free(&snap);
		opts_finish(&a.o);
		return errmsg(err == -EEXIST ? EX_CANTCREAT : exit_for_errno(-err),
			      "cannot save to %s: %s", a.save,
			      err == -EEXIST ? "it already holds a saved set; use an empty "
			      "directory" : strerror(-err));
	}
	if (a.o.json) {
		jsonw_init(&w, a.o.out, false);
		jsonw_start_object(&w);
		jsonw_bool_field(&w, "dry_run", dry);
		jsonw_name(&w, "objects");
		jsonw_start_array(&w);
	}
	for (size_t i = 0; i < r.n; i++) {
		const struct leak *k = &r.v[i];
		char desc[256], why[256] = "";
		int rc;

		if (!selected(&a, k))
			continue;
		listed++;
		describe(desc, sizeof(desc), k);
		if (dry) {
			if (a.o.json)
				json_item(&w, k, "would-remove", NULL);
			else
				fprintf(a.o.out, "would remove %s%s\n  ipcrm %s %d\n", desc,
					a.save ? " (saving it first)" : "", ipcrm_flag(k->kind),
					k->id);
			continue;
		}
		rc = ipc_remove_checked(k, save, why, sizeof(why));
		if (rc)
			skipped++;
		else
			removed++;
		if (a.o.json)
			json_item(&w, k, rc ? "skipped" : "removed", rc ? why : NULL);
		else if (rc)
			fprintf(a.o.out, "skipped %s: %s\n", desc, why);
		else
			fprintf(a.o.out, "removed %s%s\n", desc, save ? ", saved" : "");
	}
	/* objects named with --id that are not leak candidates: say why not */
	for (int i = 0; i < a.nids; i++) {
		bool found = false;
		char why[256];

		for (size_t j = 0; j < r.n && !found; j++)
			found = r.v[j].id == a.ids[i];
		if (found)
			continue;
		if (!why_not(&snap, a.ids[i], a.kinds, why, sizeof(why))) {
			/* nothing to refuse: the id is wrong (exit 66, as for any
			 * missing input), said on stderr as every error is */
			missing++;
			errmsg(EX_NOINPUT, "%s: list the ids with `ipcscope snapshot`", why);
			if (a.o.json) {
				jsonw_start_object(&w);
				jsonw_int_field(&w, "id", a.ids[i]);
				jsonw_string_field(&w, "action", "missing");
				jsonw_string_field(&w, "why", why);
				jsonw_end_object(&w);
			}
			continue;
		}
		skipped++;
		if (a.o.json) {
			jsonw_start_object(&w);
			jsonw_int_field(&w, "id", a.ids[i]);
			jsonw_string_field(&w, "action", "refused");
			jsonw_string_field(&w, "why", why);
			jsonw_end_object(&w);
		} else {
			fprintf(a.o.out, "refusing to remove %s\n", why);
		}
	}
	if (a.o.json) {
		jsonw_end_array(&w);
		jsonw_uint_field(&w, "removed", removed);
		jsonw_uint_field(&w, "skipped", skipped);
		jsonw_string_field(&w, "saved_to", save ? a.save : NULL);
		jsonw_end_object(&w);
		jsonw_eol(&w);
	} else if (dry) {
		fprintf(a.o.out, "%zu object%s would be removed (dry run: add --yes to remove)\n",
			listed, listed == 1 ? "" : "s");
	} else {
		fprintf(a.o.out, "%zu removed, %zu skipped\n", removed, skipped);
	}
	status = 0;
	if (save && (err = ipcsave_close(save)))
		status = errmsg(EX_IOERR, "writing the manifest in %s: %s", a.save, strerror(-err));
	if (!status && missing)
		status = EX_NOINPUT;
	if (!status && skipped)
		status = EXIT_FINDINGS;
	leak_report_free(&r);
	snapshot_free(&snap);
	err = opts_finish(&a.o);
	return status ? status : err;
}

IPCSCOPE_COMMAND(clean, cmd_clean, "remove leaked IPC objects (dry run by default)", 45);
