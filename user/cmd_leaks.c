// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ipcscope leaks: options and wiring; the analysis and its view run in the
 * leaks job (job/leaks_job.c), which `report FILE leaks` runs too.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "analyses.h"
#include "ipcscope.h"
#include "source/live.h"
#include "tables/ipcns.h"

/* ------------------------------------------------------------- command */

enum { OPT_FAIL = 0x2100, OPT_FAIL_ON };

struct leaks_args {
	struct common_opts o;
	bool fail;
};

static const struct argp_option leaks_options[] = {
	{ "fail-on", OPT_FAIL_ON, "leak", 0,
	  "Exit with status 1 when leak candidates are found (with -- CMD: CMD's status "
	  "if it failed, else 1 on leaks), for CI", 0 },
	{ "fail", OPT_FAIL, NULL, 0, "The same as --fail-on leak", 0 },
	{ 0 },
};

static error_t leaks_parse(int key, char *arg, struct argp_state *state)
{
	struct leaks_args *a = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		opts_child_inputs(state, &a->o);
		break;
	case OPT_FAIL_ON:
		if (strcmp(arg, "leak"))
			argp_error(state, "invalid --fail-on '%s': leaks fails on 'leak'", arg);
		/* fallthrough */
	case OPT_FAIL:
		a->fail = true;
		break;
	case ARGP_KEY_ARG: {
		double iv = parse_duration(arg);

		if (state->arg_num > 0 || iv <= 0)
			argp_error(state, "unexpected argument '%s' (expected an interval "
				   "in seconds; a command goes after `--`)", arg);
		a->o.interval = iv;
		break;
	}
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_child leaks_children[] = {
	OPTS_CHILD_OUTPUT, OPTS_CHILD_FILTER, OPTS_CHILD_DURATION, { 0 },
};

static const struct argp leaks_argp = {
	leaks_options, leaks_parse, "[INTERVAL] [-- CMD [ARGS...]]",
	"Show System V IPC objects left behind, and who made them.\n\n"
	"While tracing, every object created (a shmget/semget/msgget that made a new "
	"id) is attributed to its creator at once, while it is alive: pid, comm, "
	"command line, and its user stack, unwound from .eh_frame so that binaries "
	"without frame pointers still show their functions.  A leak candidate is an "
	"object still present whose creator has exited (shm: and nothing has it "
	"attached; sem: and nobody waits on it).  The reason is one word: "
	"never-attached, creator-exited, users-exited, never-used.  Objects that "
	"existed before tracing began have no known creator (shm shows its cpid).\n\n"
	"Reports at the end (Ctrl-C, -d, or when CMD exits) and every INTERVAL "
	"seconds if given.  With -- CMD only objects that CMD or its descendants "
	"created are reported.  Results are grouped by creator (command line and "
	"stack) with counts and bytes.\v"
	"Examples:\n"
	"  ipcscope leaks -- ./test-suite        what the tests left behind\n"
	"  ipcscope leaks -d 60 --json           one minute, machine-wide\n"
	"  ipcscope leaks -t shm 10              refresh every 10 s, shm only\n\n"
	"AGE is the time since the creation leaks saw; objects it did not see created "
	"show CHANGED, the time since the kernel's ctime (reset by IPC_SET, SETVAL).  "
	"\"last traced call\" is the last call seen on the object; \"kernel's last pid\" "
	"is the kernel's lpid/sempid/lspid/lrpid, which audit uses.\n\n"
	"JSON: {\"leaks\": [{\"kind\", \"id\", \"key\", \"bytes\", \"reason\", \"age_s\", "
	"\"age_from\" (creation|ctime), \"changed_s\", \"last_user\" {pid, comm, call, "
	"source (traced|kernel)}, \"kernel_last_pid\", "
	"\"creator\": {\"pid\", \"comm\", \"cmdline\", \"exited\", \"stack\": [...]}}], "
	"\"by_creator\": [...], \"lost_events\": N}\n\n"
	"Exit status: 0, or with -- CMD CMD's status; with --fail-on leak, 1 when "
	"leaks are found unless CMD failed (then CMD's status); 64 usage, 69 kernel "
	"feature missing, 77 not privileged.",
	leaks_children, NULL, NULL,
};

static int cmd_leaks(int argc, char **argv)
{
	struct leaks_args a = { 0 };
	struct live_config cfg = { 0 };
	struct live_cmd cmd;
	struct run_loop rl = { 0 };
	struct session s;
	int status, err;

	opts_init(&a.o);
	status = opts_parse(&leaks_argp, argc, argv, &a, &a.o);
	if (status)
		return status;
	/*
	 * The tables we compare with are those of our IPC namespace: enter the
	 * one asked for, and trace only it (ids repeat across namespaces).
	 */
	if (a.o.ipcns_arg) {
		err = ipcns_enter(a.o.ipcns_arg);
		if (err) {
			opts_finish(&a.o);
			return errmsg(exit_for_errno(-err), "cannot enter IPC namespace %s: %s",
				      a.o.ipcns_arg, hint_for_errno(-err));
		}
	} else {
		a.o.ipcns = self_ipcns();
	}
	cfg.opts = &a.o;
	cfg.calls = true;
	/*
	 * The creator's stack comes with EV_CREATE (its own stack id too):
	 * per-call stacks would cost a frame-pointer walk in every call.
	 */
	cfg.create_ctx = true;
	cfg.stack_ids = false;
	cfg.proc_events = true;
	if (!live_command_open(&s, &cfg, &cmd, &rl, &status)) {
		opts_finish(&a.o);
		return status;
	}
	rl.duration = a.o.duration;
	rl.interval = a.o.interval;
	status = live_command_start(&rl);
	if (status) {
		session_fini(&s);
		opts_finish(&a.o);
		return status;
	}
	if (!rl.cmd)
		fprintf(stderr, "Tracing System V IPC object creation... Hit Ctrl-C to end.\n");
	a.o.fail_findings = a.fail;
	status = leaks_session(&s, &a.o, &rl);
	session_fini(&s);
	err = opts_finish(&a.o);
	if (status && status != EXIT_FINDINGS)
		return status;
	if (err)
		return err;
	/* CMD's own failure comes first: CI sees why it failed */
	err = live_command_status(&rl, status);
	return err ? err : status;
}

IPCSCOPE_COMMAND(leaks, cmd_leaks, "who created the IPC objects left behind", 40);
