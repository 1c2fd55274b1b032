// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* ipcscope audit: the IPC audit as findings with evidence and a remedy. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analysis/audit.h"
#include "events.h"
#include "ipcscope.h"
#include "opts.h"
#include "tables/limits.h"
#include "tables/nsread.h"
#include "tables/proc.h"
#include "view/names.h"

enum { OPT_FAIL_ON = 0x2100, OPT_STALE, OPT_NS, OPT_WARN };

struct audit_args {
	struct common_opts c;
	int fail_on;
	double stale_days;
	long ns_pid;
	long warn_pct;
};

static const struct argp_option options[] = {
	{ "fail-on", OPT_FAIL_ON, "LEVEL", 0,
	  "Exit 1 when a finding is at or above LEVEL: info, warning (default), critical", 0 },
	{ "stale", OPT_STALE, "DAYS", 0, "Report objects untouched for more than DAYS", 0 },
	{ "warn", OPT_WARN, "PCT", 0, "Limit usage that counts as near exhaustion (default 90)", 0 },
	{ "ns", OPT_NS, "PID", 0, "Audit the IPC namespace PID lives in", 0 },
	{ 0 },
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct audit_args *a = state->input;

	switch (key) {
	case OPT_FAIL_ON:
		a->fail_on = audit_sev_parse(arg);
		if (a->fail_on < 0)
			argp_error(state, "invalid --fail-on '%s': use info, warning or critical", arg);
		break;
	case OPT_STALE: {
		char *end;

		a->stale_days = strtod(arg, &end);
		if (*end || a->stale_days <= 0)
			argp_error(state, "invalid --stale '%s': give a number of days", arg);
		break;
	}
	case OPT_WARN:
		if (!parse_long(arg, 1, 100, &a->warn_pct))
			argp_error(state, "invalid --warn '%s': give a percentage from 1 to 100", arg);
		break;
	case OPT_NS:
		if (!parse_long(arg, 1, 0x7fffffff, &a->ns_pid))
			argp_error(state, "invalid --ns '%s': give the PID of a process in that namespace", arg);
		break;
	default:
		return opts_key_default(key, arg, state, &a->c);
	}
	return 0;
}

static const struct argp_child children[] = { OPTS_CHILD_OUTPUT, { 0 } };

static const struct argp argp = {
	options, parse_opt, NULL,
	"Audit System V IPC: orphaned segments, removals still attached, queues their "
	"consumers cannot keep up with, semaphores with waiters, world-accessible objects, "
	"owners that no longer exist, limits near exhaustion, stale objects.\v"
	"Each finding has a severity, the object, the evidence and a command that fixes it.\n"
	"Exit status: 0 no finding at or above --fail-on, 1 findings, 64 bad usage, "
	"77 needs root.\n\n"
	"Example (cron): ipcscope audit --fail-on critical --json -o /var/log/ipc-audit.json",
	children, NULL, NULL,
};

static bool pid_alive_cb(int32_t pid, void *ctx) { return proc_alive(pid); }
static bool uid_exists_cb(uint32_t uid, void *ctx) { return uid_exists(uid); }

static void print_text(FILE *f, const struct audit_result *r)
{
	if (!r->n) {
		fprintf(f, "No findings.\n");
		return;
	}
	for (int sev = SEV_CRITICAL; sev >= SEV_INFO; sev--)
		for (size_t i = 0; i < r->n; i++) {
			const struct finding *x = &r->v[i];

			if ((int)x->sev != sev)
				continue;
			fprintf(f, "%-8s %-22s %-14s %s\n", audit_sev_name(x->sev), x->rule,
				x->object, x->evidence);
			fprintf(f, "%-8s %-22s %-14s fix: %s\n", "", "", "", x->remedy);
		}
	size_t n[3] = { 0 };
	for (size_t i = 0; i < r->n; i++)
		n[r->v[i].sev]++;
	fprintf(f, "%zu findings: %zu critical, %zu warning, %zu info\n", r->n, n[2], n[1], n[0]);
}

static void print_json(FILE *out, const struct audit_result *r)
{
	struct jsonw w;

	jsonw_init(&w, out, false);
	jsonw_start_object(&w);
	jsonw_name(&w, "findings");
	jsonw_start_array(&w);
	for (size_t i = 0; i < r->n; i++) {
		const struct finding *x = &r->v[i];

		jsonw_start_object(&w);
		jsonw_string_field(&w, "severity", audit_sev_name(x->sev));
		jsonw_string_field(&w, "rule", x->rule);
		jsonw_string_field(&w, "kind", x->kind == KIND_SHM ? "shm" : x->kind == KIND_SEM ?
				   "sem" : x->kind == KIND_MSG ? "msg" : "limit");
		if (x->kind != KIND_NONE) {
			jsonw_int_field(&w, "id", x->id);
			jsonw_uint_field(&w, "key", (uint32_t)x->key);
			jsonw_uint_field(&w, "ipcns", x->ipcns);
		}
		jsonw_string_field(&w, "object", x->object);
		jsonw_string_field(&w, "evidence", x->evidence);
		jsonw_string_field(&w, "remedy", x->remedy);
		jsonw_end_object(&w);
	}
	jsonw_end_array(&w);
	jsonw_string_field(&w, "max_severity", r->n ? audit_sev_name(audit_max_sev(r)) : NULL);
	jsonw_end_object(&w);
	fputc('\n', out);
}

static int cmd_audit(int argc, char **argv)
{
	struct audit_args a = { .fail_on = SEV_WARNING, .warn_pct = 90 };
	struct ipc_snapshot s;
	struct ipc_limits L;
	struct audit_env env;
	struct audit_result r;
	bool have_limits;
	int st, err;
	char path[64];

	opts_init(&a.c);
	st = opts_parse(&argp, argc, argv, &a, &a.c);
	if (st)
		return st;
	snprintf(path, sizeof(path), "/proc/%ld/ns/ipc", a.ns_pid);
	if (a.ns_pid && access(path, F_OK))
		return errmsg(EX_USAGE, "no process with PID %ld: give a live PID in the namespace to audit",
			      a.ns_pid);
	if (a.ns_pid)
		err = snapshot_read_pid_ns((int32_t)a.ns_pid, &s, SNAP_ALL | SNAP_SEMVALS);
	else
		err = snapshot_read(&s, SNAP_ALL | SNAP_SEMVALS);
	if (err)
		return errmsg(err == -ENOENT || err == -ESRCH ? EX_USAGE : exit_for_errno(-err),
			      "cannot read the IPC tables%s: %s: %s", a.ns_pid ? " of that namespace" : "",
			      strerror(-err), a.ns_pid ? "give a live PID and run as root" : "run as root");
	/* limits are per namespace too; --ns reads ours, so skip them there */
	have_limits = !a.ns_pid && limits_read(&L, &s) == 0;
	if (!have_limits && !a.ns_pid)
		warnmsg("IPC limits not readable: limit rules skipped");

	audit_env_defaults(&env);
	env.now = time(NULL);
	env.limit_warn_pct = (double)a.warn_pct;
	env.stale_secs = (int64_t)(a.stale_days * 86400);
	env.pid_alive = pid_alive_cb;
	env.uid_exists = uid_exists_cb;
	if (audit_run(&env, &s, have_limits ? &L : NULL, &r)) {
		snapshot_free(&s);
		return errmsg(EX_OSERR, "out of memory while auditing: free memory and retry");
	}
	if (a.c.json)
		print_json(a.c.out, &r);
	else
		print_text(a.c.out, &r);
	st = opts_finish(&a.c);
	if (!st && r.n && (int)audit_max_sev(&r) >= a.fail_on)
		st = EXIT_FINDINGS;
	audit_free(&r);
	snapshot_free(&s);
	names_cache_free();
	return st;
}

IPCSCOPE_COMMAND(audit, cmd_audit, "audit IPC objects and limits; findings with fixes", 12);
