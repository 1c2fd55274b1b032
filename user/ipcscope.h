/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Common declarations: the subcommand registry, exit codes, errors. */
#ifndef IPCSCOPE_H
#define IPCSCOPE_H

#include <stdbool.h>
#include <stdio.h>
#include <sysexits.h>

/*
 * Exit statuses (documented in docs/ipcscope.1 and `ipcscope --help`):
 *   0  success, nothing to report
 *   1  findings at or above the threshold (audit --fail-on, deadlock found,
 *      leaks found with --fail), or a partial failure
 *   2  a limit at or above --warn (limits)
 *   64 bad usage (EX_USAGE)       65 corrupt input (EX_DATAERR)
 *   66 missing input (EX_NOINPUT) 69 kernel feature unavailable (EX_UNAVAILABLE)
 *   70 internal error (EX_SOFTWARE) 77 insufficient privileges (EX_NOPERM)
 * With `-- CMD`, trace-like commands exit with CMD's status instead.
 */
#define EXIT_FINDINGS 1
#define EXIT_LIMIT_WARN 2

struct command {
	const char *name;
	const char *summary;     /* one line for `ipcscope --help` */
	int (*run)(int argc, char **argv);   /* argv[0] is the command name */
	int order;               /* position in the help listing */
};

/*
 * Each cmd_*.c registers itself; main.c finds them through the linker
 * section, so adding a command touches no shared file.
 */
#define IPCSCOPE_COMMAND(nm, fn, summ, ord)                                  \
	static const struct command __ipcs_cmd_##nm                          \
	__attribute__((used, section("ipcs_cmds"), aligned(8))) = {          \
		.name = #nm, .summary = summ, .run = fn, .order = ord }

/* Weak so that a build with no command (unit tests) still links. */
extern const struct command __start_ipcs_cmds[] __attribute__((weak));
extern const struct command __stop_ipcs_cmds[] __attribute__((weak));

const struct command *command_find(const char *name);

/* Global verbosity (-v), shared by all commands. */
extern int ipcs_verbose;

/*
 * One-line error in the form "ipcscope: <what went wrong>: <how to fix it>".
 * Returns `status` so callers can write `return die(EX_USAGE, ...)`.
 */
int errmsg(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void warnmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void debugmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Map an errno from a kernel interaction to an exit status and a hint. */
int exit_for_errno(int err);
const char *hint_for_errno(int err);

#endif
