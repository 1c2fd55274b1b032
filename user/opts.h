/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Options shared by subcommands, as argp children so every command spells
 * them the same way:
 *   output_argp:   --json, -o FILE, -v
 *   filter_argp:   -p PID, -c CGROUP, --comm NAME, --ipcns PID|INODE,
 *                  -t shm,sem,msg, --min-lat USEC, --errors
 *   duration_argp: -d SECONDS
 * and `-- CMD ARGS...` (split off before argp sees argv).
 */
#ifndef IPCS_OPTS_H
#define IPCS_OPTS_H

#include <argp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "view/jsonw.h"

struct common_opts {
	/* output */
	bool json;
	const char *out_path;
	FILE *out;               /* stdout or the -o file, opened by opts_parse */
	int out_mode;            /* creation mode for -o (default 0644) */
	/* filters, resolved to kernel-comparable values by opts_parse */
	int pid;                 /* -p: tgid, 0 = any */
	const char *cgroup_path; /* -c */
	uint64_t cgroup_id;      /* inode of the cgroup v2 directory */
	const char *comm;        /* --comm */
	const char *ipcns_arg;   /* --ipcns as given */
	uint32_t ipcns;          /* resolved namespace inode, 0 = any */
	unsigned int kinds;      /* KIND_BIT mask, 0 = all */
	uint64_t min_lat_ns;     /* --min-lat (given in usec) */
	bool errors_only;        /* --errors */
	/* duration and command */
	double duration;         /* -d seconds, 0 = until Ctrl-C or CMD exits */
	int cmd_argc;            /* after `--` */
	char **cmd_argv;
	/* positional [interval [count]] for periodic commands */
	double interval;
	long count;
	/* report: a directory of better symbols (unstripped binaries, .debug
	 * files by build-id) to name recorded frames with */
	const char *symfs;
	/* exit 1 when the analysis finds something (--fail, --fail-on) */
	bool fail_findings;
};

extern const struct argp output_argp;
extern const struct argp filter_argp;
extern const struct argp duration_argp;

/* Children vector helpers; use in a command's struct argp. */
#define OPTS_CHILD_OUTPUT   { &output_argp, 0, "Output:", 10 }
#define OPTS_CHILD_FILTER   { &filter_argp, 0, "Filters (applied in the kernel):", 20 }
#define OPTS_CHILD_DURATION { &duration_argp, 0, "Duration:", 30 }

/* Initialise defaults (call before opts_parse). */
void opts_init(struct common_opts *c);

/*
 * Parse argv for command `name`: splits off `-- CMD`, runs argp with `input`
 * as the command's own state (its parser must call opts_child_inputs() on
 * ARGP_KEY_INIT), then resolves filters and opens -o.  Returns 0 or an exit
 * status after printing a one-line error.
 */
int opts_parse(const struct argp *argp, int argc, char **argv, void *input,
	       struct common_opts *c);

/* The one-line form of what argp printed for a bad command line of `cmd`
 * (exposed for unit tests). */
void opts_error_line(const char *cmd, const char *text, char *out, size_t outlen);

/* In a command's parser, on ARGP_KEY_INIT: give the children their input. */
void opts_child_inputs(struct argp_state *state, struct common_opts *c);
/*
 * The rest of a parser for a command without positional arguments, as its
 * `default:` case: ARGP_KEY_INIT gives the children their input, an
 * argument is a usage error (hinting at `--` if the usage names -- CMD),
 * any other key is unknown.
 */
error_t opts_key_default(int key, char *arg, struct argp_state *state, struct common_opts *c);

/* Parse "shm,sem,msg" into a KIND_BIT mask; -1 on error. */
int parse_kinds(const char *s);
/* Parse a duration like "1.5", "30s", "10m", "2h", "7d" into seconds; -1 on error. */
double parse_duration(const char *s);
/* Parse a whole number with bounds; false on junk or out of range. */
bool parse_long(const char *s, long min, long max, long *out);

/* Resolve --ipcns: a PID (its /proc/PID/ns/ipc inode) or an inode number. */
int resolve_ipcns(const char *arg, uint32_t *inode);
/* Inode of this process's IPC namespace (0 if unreadable). */
uint32_t self_ipcns(void);

/* Close -o output (flushes; reports write errors). Returns 0 or exit status. */
int opts_finish(struct common_opts *c);

#endif
