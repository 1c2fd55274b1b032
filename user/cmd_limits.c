// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* ipcscope limits: every IPC limit with its usage, like ipcs -l -u / lsipc --global. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "ipcscope.h"
#include "opts.h"
#include "tables/limits.h"

enum { OPT_WARN = 0x2200 };

struct limits_args {
	struct common_opts c;
	long warn;
};

static const struct argp_option options[] = {
	{ "warn", OPT_WARN, "PCT", 0,
	  "Warn (and exit 2) when a usage is at or above PCT percent (default 90)", 0 },
	{ 0 },
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct limits_args *a = state->input;

	switch (key) {
	case OPT_WARN:
		if (!parse_long(arg, 1, 100, &a->warn))
			argp_error(state, "invalid --warn '%s': give a percentage from 1 to 100", arg);
		break;
	default:
		return opts_key_default(key, arg, state, &a->c);
	}
	return 0;
}

static const struct argp_child children[] = { OPTS_CHILD_OUTPUT, { 0 } };

static const struct argp argp = {
	options, parse_opt, NULL,
	"Show every System V IPC limit of this IPC namespace with current usage.\v"
	"Usage is shown where it is meaningful: SHMMAX and SEMMSL against the largest "
	"segment/array, MSGMNB against the fullest queue, the others against totals.\n"
	"Exit status: 0 all below --warn, 2 at least one at or above it (a warning with the "
	"sysctl line that would raise it is printed), 64 bad usage.",
	children, NULL, NULL,
};

static int cmd_limits(int argc, char **argv)
{
	struct limits_args a = { .warn = 90 };
	struct ipc_snapshot s;
	struct ipc_limits L;
	struct jsonw w;
	int st, err, over = 0;

	opts_init(&a.c);
	st = opts_parse(&argp, argc, argv, &a, &a.c);
	if (st)
		return st;
	err = snapshot_read(&s, SNAP_ALL);
	if (err)
		return errmsg(exit_for_errno(-err), "cannot read /proc/sysvipc: %s: run as root",
			      strerror(-err));
	err = limits_read(&L, &s);
	snapshot_free(&s);
	if (err)
		return errmsg(EX_OSERR, "cannot read the IPC sysctls in /proc/sys/kernel: %s: is /proc mounted?",
			      strerror(-err));

	if (a.c.json) {
		jsonw_init(&w, a.c.out, false);
		jsonw_start_object(&w);
		jsonw_name(&w, "limits");
		jsonw_start_array(&w);
	} else {
		fprintf(a.c.out, "%-7s %20s  %-22s %14s %6s\n", "LIMIT", "VALUE", "UNIT", "USAGE", "USE%");
	}
	for (int i = 0; i < LIM__COUNT; i++) {
		const struct ipc_limit *l = &L.l[i];
		bool warn = l->has_usage && l->use_pct >= (double)a.warn;
		char line[160] = "";

		if (warn) {
			limits_sysctl_line(&L, (enum ipc_limit_id)i, limits_suggest(l), line, sizeof(line));
			over++;
		}
		if (a.c.json) {
			jsonw_start_object(&w);
			jsonw_string_field(&w, "name", l->name);
			jsonw_uint_field(&w, "value", l->value);
			jsonw_string_field(&w, "unit", l->unit);
			jsonw_string_field(&w, "sysctl", l->sysctl);
			jsonw_name(&w, "usage");
			if (l->has_usage)
				jsonw_uint(&w, l->usage);
			else
				jsonw_null(&w);
			jsonw_name(&w, "use_pct");
			if (l->has_usage)
				jsonw_float(&w, l->use_pct);
			else
				jsonw_null(&w);
			jsonw_bool_field(&w, "warning", warn);
			if (warn)
				jsonw_string_field(&w, "raise", line);
			jsonw_end_object(&w);
		} else {
			char usage[24] = "-", pct[16] = "-";

			if (l->has_usage) {
				snprintf(usage, sizeof(usage), "%" PRIu64, l->usage);
				snprintf(pct, sizeof(pct), "%.1f", l->use_pct);
			}
			fprintf(a.c.out, "%-7s %20" PRIu64 "  %-22s %14s %6s%s\n", l->name, l->value,
				l->unit, usage, pct, warn ? "  <- WARNING" : "");
		}
		if (warn)
			warnmsg("%s at %.0f%% (%" PRIu64 " of %" PRIu64 " %s): raise it with: %s",
				l->name, l->use_pct, l->usage, l->value, l->unit, line);
	}
	if (a.c.json) {
		jsonw_end_array(&w);
		jsonw_uint_field(&w, "warn_pct", (uint64_t)a.warn);
		jsonw_uint_field(&w, "warnings", (uint64_t)over);
		jsonw_end_object(&w);
		fputc('\n', a.c.out);
	}
	st = opts_finish(&a.c);
	return st ? st : over ? EXIT_LIMIT_WARN : 0;
}

IPCSCOPE_COMMAND(limits, cmd_limits, "IPC limits with usage; exit 2 near exhaustion", 11);
