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
#include "tables/auditfacts.h"
#include "tables/limits.h"
#include "source/nsread.h"
#include "tables/pidstate.h"
#include "tables/posix.h"
#include "tables/waiters.h"
#include "view/names.h"

enum { OPT_FAIL_ON = 0x2100, OPT_STALE, OPT_STALE_OLD, OPT_NS, OPT_WARN, OPT_POSIX };

struct audit_args {
	struct common_opts c;
	int fail_on;
	double stale_days;
	long ns_pid;
	long warn_pct;
	bool posix;
};

static const struct argp_option options[] = {
	{ "fail-on", OPT_FAIL_ON, "LEVEL", 0,
	  "Exit 1 when a finding is at or above LEVEL: info, warning (default), critical", 0 },
	{ "stale-after", OPT_STALE, "DAYS", 0,
	  "Report objects no call touched for more than DAYS (default 7; 0 turns the rule off)", 0 },
	{ "stale", OPT_STALE_OLD, "DAYS", OPTION_HIDDEN, "The old spelling of --stale-after", 0 },
	{ "warn", OPT_WARN, "PCT", 0,
	  "Usage that counts as near a limit: IPC and mqueue limits, /dev/shm (default 90)", 0 },
	{ "posix", OPT_POSIX, NULL, 0,
	  "Also audit POSIX IPC: /dev/shm fill, fs.mqueue limits, world-writable objects", 0 },
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
	case OPT_STALE:
	case OPT_STALE_OLD: {
		char *end;

		a->stale_days = strtod(arg, &end);
		if (*end || end == arg || a->stale_days < 0)
			argp_error(state, "invalid %s '%s': give a number of days (0: off)",
				   key == OPT_STALE ? "--stale-after" : "--stale", arg);
		break;
	}
	case OPT_WARN:
		if (!parse_long(arg, 1, 100, &a->warn_pct))
			argp_error(state, "invalid --warn '%s': give a percentage from 1 to 100", arg);
		break;
	case OPT_POSIX:
		a->posix = true;
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
	"Audit System V IPC (and POSIX IPC with --posix): each finding has a rule, a "
	"severity, the object, the evidence and what fixes it.\v"
	"Rules, severity:\n"
	"  orphaned-shm          warning   unattached segment, creator exited\n"
	"  shm-rmid-forced-off   info      orphans, and kernel.shm_rmid_forced is 0\n"
	"  removed-but-attached  warning   removed with IPC_RMID, still attached\n"
	"  shm-locked            info*     SHM_LOCKED segment, with the total pinned\n"
	"  shm-not-hugetlb       info      mapped, >= a huge page, on small pages\n"
	"  shm-hugetlb-unaligned warning   SHM_HUGETLB size not a huge page multiple\n"
	"  queue-backlog         warning*  queue at 80% of qbytes or more\n"
	"  queue-consumer-gone   warning   messages queued, their receiver exited\n"
	"  sem-waiters           warning   a semaphore with processes waiting\n"
	"  world-writable        critical  mode o+w (--posix: /dev/shm, mqueues too)\n"
	"  world-readable        warning   mode o+r\n"
	"  owner-missing         warning   owner uid has no passwd entry\n"
	"  stale                 info      untouched for more than --stale-after days\n"
	"  limit-near-exhaustion warning*  a limit used at or above --warn\n"
	"  limit-below-host      warning*  the same, a limit set below the host's\n"
	"  limit-exceeds-memory  warning   shmmax, shmall, msgmnb x msgmni above RAM\n"
	"  posix-shm-full        warning*  --posix: /dev/shm tmpfs at or above --warn\n"
	"  posix-mq-limit        warning*  --posix: fs.mqueue.* at or above --warn\n"
	"  * critical when full or at 100% (posix-mq-limit: for queues_max only;\n"
	"    shm-locked: warning when locked segments add up to half of RAM)\n"
	"\nExit status: 0 no finding at or above --fail-on, 1 findings, 64 bad usage, "
	"77 needs root.\n\n"
	"Example (cron):\n  ipcscope audit --fail-on critical --json -o /var/log/ipc-audit.json",
	children, NULL, NULL,
};

static enum pid_state pid_state_cb(int32_t pid, int64_t since, void *ctx)
{
	return pid_state_read(pid, since);
}
static bool uid_exists_cb(uint32_t uid, void *ctx) { return uid_exists(uid); }

static void print_text(FILE *f, const struct audit_result *r)
{
	if (!r->n) {
		fprintf(f, "No findings.\n");
		return;
	}
	int w = 14;   /* object column: as wide as the widest object, within reason */

	for (size_t i = 0; i < r->n; i++)
		if ((int)strlen(r->v[i].object) > w)
			w = (int)strlen(r->v[i].object);
	if (w > 32)
		w = 32;
	for (int sev = SEV_CRITICAL; sev >= SEV_INFO; sev--)
		for (size_t i = 0; i < r->n; i++) {
			const struct finding *x = &r->v[i];

			if ((int)x->sev != sev)
				continue;
			fprintf(f, "%-8s %-22s %-*s %s\n", audit_sev_name(x->sev), x->rule,
				w, x->object, x->evidence);
			fprintf(f, "%-8s %-22s %-*s fix: %s\n", "", "", w, "", x->remedy);
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
		jsonw_string_field(&w, "kind", x->what);
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

/* Everything beside the tables that the rules judge (tables/auditfacts.h). */
struct facts_store {
	struct audit_facts f;
	struct ns_facts ns, host;
	struct wait_facts g;
	struct posix_table posix;
	struct mq_attrs *mq_attrs;
	struct devshm_facts devshm;
};

static void read_facts(const struct audit_args *a, const struct ipc_snapshot *s,
		       struct facts_store *st)
{
	uint32_t hostns;
	int32_t hostpid;

	memset(st, 0, sizeof(*st));
	meminfo_read(&st->f.mem);
	/* the sysctls are per IPC namespace: read inside the audited one */
	if (ns_facts_read((int32_t)a->ns_pid, s, &st->ns) == 0)
		st->f.ns = &st->ns;
	if (!st->f.ns || !st->ns.have_limits)
		warnmsg("IPC limits of %s namespace not readable: limit rules skipped",
			a->ns_pid ? "that" : "this");
	/* the host: the initial IPC namespace when we run in it (auditing a container's
	 * with --ns), else PID 1's; compared only when it is another namespace */
	hostpid = ipcns_of(0) == IPC_INIT_INO ? 0 : 1;
	hostns = ipcns_of(hostpid);
	if (st->f.ns && hostns && hostns != st->ns.ipcns &&
	    ns_facts_read(hostpid, NULL, &st->host) == 0)
		st->f.host = &st->host;
	/* threads blocked on queues (a /proc walk of every thread): only with queues */
	memset(&st->g, 0, sizeof(st->g));
	if (s->nmsg && waiters_scan(s->ipcns, &st->g) >= 0) {
		st->f.waiters = st->g.waiters;
		st->f.nwaiters = st->g.nwaiters;
	}
	if (a->posix) {
		if (posix_read(&st->posix) < 0)
			warnmsg("POSIX IPC partly unreadable: holders may be missing");
		if (st->posix.mq_err)
			warnmsg("POSIX message queues not listed (%s): fs.mqueue.queues_max rule skipped",
				strerror(-st->posix.mq_err));
		if (!mq_attrs_read(&st->posix, &st->mq_attrs))
			st->f.mq_attrs = st->mq_attrs;
		if (!devshm_read("/dev/shm", &st->devshm))
			st->f.devshm = &st->devshm;
		st->f.posix = &st->posix;
	}
}

static void free_facts(struct facts_store *st)
{
	wait_facts_free(&st->g);
	if (st->f.posix)
		posix_free(&st->posix);
	free(st->mq_attrs);
}

static int cmd_audit(int argc, char **argv)
{
	struct audit_args a = { .fail_on = SEV_WARNING, .warn_pct = 90, .stale_days = 7 };
	struct facts_store fs;
	struct ipc_snapshot s;
	struct audit_env env;
	struct audit_result r;
	const unsigned int what = SNAP_ALL | SNAP_SEMVALS | SNAP_ATTACH;
	int st, err;
	char path[64];

	opts_init(&a.c);
	st = opts_parse(&argp, argc, argv, &a, &a.c);
	if (st)
		return st;
	if (a.posix && a.ns_pid)
		return errmsg(EX_USAGE, "--posix audits this process's /dev/shm and mqueue, not "
			      "another namespace's: run it there (nsenter --ipc --mount --target PID "
			      "ipcscope audit --posix)");
	snprintf(path, sizeof(path), "/proc/%ld/ns/ipc", a.ns_pid);
	if (a.ns_pid && access(path, F_OK))
		return errmsg(EX_USAGE, "no process with PID %ld: give a live PID in the namespace to audit",
			      a.ns_pid);
	if (a.ns_pid)
		err = snapshot_read_pid_ns((int32_t)a.ns_pid, &s, what, NULL);
	else
		err = snapshot_read(&s, what);
	if (err)
		return errmsg(err == -ENOENT || err == -ESRCH ? EX_USAGE : exit_for_errno(-err),
			      "cannot read the IPC tables%s: %s: %s", a.ns_pid ? " of that namespace" : "",
			      strerror(-err), a.ns_pid ? "give a live PID and run as root" : "run as root");
	read_facts(&a, &s, &fs);

	audit_env_defaults(&env);
	env.now = time(NULL);
	env.limit_warn_pct = (double)a.warn_pct;
	env.stale_secs = (int64_t)(a.stale_days * 86400);
	env.pid_state = pid_state_cb;
	env.uid_exists = uid_exists_cb;
	env.ns_pid = (int32_t)a.ns_pid;
	if (audit_run(&env, &s, &fs.f, &r)) {
		free_facts(&fs);
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
	free_facts(&fs);
	snapshot_free(&s);
	names_cache_free();
	return st;
}

IPCSCOPE_COMMAND(audit, cmd_audit, "audit IPC objects and limits; findings with fixes", 12);
