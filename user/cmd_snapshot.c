// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ipcscope snapshot: every System V IPC object, like `ipcs -a`/`lsipc`, plus
 * what they leave out: per-semaphore state for every array, pids attached
 * to each segment, live creator/last-user processes, queue fill, and other
 * IPC namespaces.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ipcscope.h"
#include "opts.h"
#include "source/nsread.h"
#include "tables/nslist.h"
#include "tables/posix.h"
#include "tables/proc.h"
#include "tables/sysvipc.h"
#include "view/names.h"
#include "view/snapshot_view.h"

enum { OPT_NS = 0x2000, OPT_ALLNS, OPT_POSIX, OPT_SEMPIDS };

struct snap_args {
	struct common_opts c;
	unsigned int kinds;
	long ns_pid;
	bool all_ns;
	bool posix;
	bool sem_pids;
	bool have_id;
	int32_t id;
};

static const struct argp_option options[] = {
	{ "shm", 'm', NULL, 0, "Shared memory segments only (combinable)", 0 },
	{ "sem", 's', NULL, 0, "Semaphore arrays only (combinable)", 0 },
	{ "queues", 'q', NULL, 0, "Message queues only (combinable)", 0 },
	{ "ns", OPT_NS, "PID", 0, "Read the IPC namespace PID lives in", 0 },
	{ "all-namespaces", OPT_ALLNS, NULL, 0,
	  "Every IPC namespace on the host, objects labelled with it", 0 },
	{ "posix", OPT_POSIX, NULL, 0,
	  "Also POSIX IPC: /dev/shm files and POSIX message queues", 0 },
	{ "id", 'i', "ID", 0,
	  "Only the object(s) with this id, every detail (like ipcs -i)", 0 },
	{ "sem-pids", OPT_SEMPIDS, NULL, 0,
	  "Also the last pid of every semaphore (one semctl per semaphore: "
	  "slow with many arrays; implied by --id)", 0 },
	{ 0 },
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct snap_args *a = state->input;
	long id;

	switch (key) {
	case ARGP_KEY_INIT:
		opts_child_inputs(state, &a->c);
		break;
	case 'm': a->kinds |= SNAP_SHM; break;
	case 's': a->kinds |= SNAP_SEM; break;
	case 'q': a->kinds |= SNAP_MSG; break;
	case OPT_NS:
		if (!parse_long(arg, 1, 0x7fffffff, &a->ns_pid))
			argp_error(state, "invalid --ns '%s': give the PID of a process in that namespace", arg);
		break;
	case OPT_ALLNS: a->all_ns = true; break;
	case OPT_POSIX: a->posix = true; break;
	case OPT_SEMPIDS: a->sem_pids = true; break;
	case 'i':
		if (!parse_long(arg, 0, INT32_MAX, &id))
			argp_error(state, "invalid --id '%s': give an IPC id as ipcs or snapshot lists it", arg);
		a->have_id = true;
		a->id = (int32_t)id;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	case ARGP_KEY_END:
		if (a->ns_pid && a->all_ns)
			argp_error(state, "--ns and --all-namespaces are exclusive: pick one");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_child children[] = { OPTS_CHILD_OUTPUT, { 0 } };

static const struct argp argp = {
	options, parse_opt, NULL,
	"List every System V IPC object with what ipcs and lsipc leave out.\v"
	"Without -m/-s/-q all three kinds are listed.  Needs root to see objects "
	"whose permissions hide them and to read other processes' mappings.\n\n"
	"Examples:\n"
	"  ipcscope snapshot                 everything in this IPC namespace\n"
	"  ipcscope snapshot -m --json       segments as JSON\n"
	"  ipcscope snapshot --ns 1234       the namespace of pid 1234 (a container)\n"
	"  ipcscope snapshot -s -i 32769     one array with its last pids\n"
	"  ipcscope snapshot --all-namespaces --posix",
	children, NULL, NULL,
};

static int read_ns(struct snap_view *v, int32_t pid, uint32_t inode, unsigned int what)
{
	struct ipc_snapshot *s;
	int err;

	s = snap_view_add(v, pid, inode);
	if (!s)
		return -ENOMEM;
	if (pid)
		err = snapshot_read_pid_ns(pid, s, what, NULL);
	else
		err = snapshot_read(s, what);
	return err;
}

static int cmd_snapshot(int argc, char **argv)
{
	struct snap_args a = { 0 };
	struct snap_view v;
	unsigned int what;
	int st, err = 0;

	opts_init(&a.c);
	st = opts_parse(&argp, argc, argv, &a, &a.c);
	if (st)
		return st;
	/* A listing is written at once: big writes (stdio picks 4 KiB for a
	 * pipe or file; -o gets 1 MiB from opts_parse). */
	if (a.c.out == stdout && !isatty(STDOUT_FILENO)) {
		static char obuf[1 << 20];   /* glibc ignores the size of its own */

		setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	}
	what = (a.kinds ? a.kinds : SNAP_ALL) | SNAP_SEMVALS | SNAP_ATTACH;
	/* Listings, like ipcs and lsipc, leave out what costs a syscall per
	 * semaphore; the detail view and --sem-pids ask for it. */
	if (!a.sem_pids && !a.have_id)
		what |= SNAP_NOSEMPID;
	snap_view_init(&v, a.kinds ? a.kinds : SNAP_ALL);

	if (a.all_ns) {
		struct ipcns_entry *ns;
		size_t n;

		err = ipcns_list(&ns, &n);
		if (err) {
			st = errmsg(EX_OSERR, "cannot list IPC namespaces: %s: is /proc mounted?",
				    strerror(-err));
			goto out;
		}
		for (size_t i = 0; i < n; i++) {
			err = read_ns(&v, ns[i].pid, ns[i].inode, what);
			if (err) {
				/* the process may have exited meanwhile: partial, say so */
				warnmsg("IPC namespace %u (pid %d) not read: %s",
					ns[i].inode, ns[i].pid, strerror(-err));
				v.partial = true;
			}
		}
		free(ns);
		err = 0;
	} else if (a.ns_pid) {
		char path[64];
		uint32_t inode;

		struct stat sb;

		snprintf(path, sizeof(path), "/proc/%ld/ns/ipc", a.ns_pid);
		if (stat(path, &sb)) {
			st = errmsg(EX_USAGE, "no process with PID %ld: give a live PID in the namespace to read",
				    a.ns_pid);
			goto out;
		}
		inode = (uint32_t)sb.st_ino;
		err = read_ns(&v, (int32_t)a.ns_pid, inode, what);
	} else {
		err = read_ns(&v, 0, self_ipcns(), what);
	}
	if (err) {
		st = errmsg(err == -EPERM || err == -EACCES ? EX_NOPERM : EX_OSERR,
			    "cannot read the IPC tables: %s: %s", strerror(-err),
			    err == -EPERM || err == -EACCES ? "run as root" : "is /proc mounted?");
		goto out;
	}
	if (a.have_id) {
		size_t found = 0;

		for (size_t i = 0; i < v.nsnaps; i++)
			found += snapshot_keep_id(&v.snaps[i].s, a.id);
		if (!found) {
			st = errmsg(EX_NOINPUT, "no %s with id %d: list the ids with `ipcscope snapshot`",
				    a.kinds == SNAP_SHM ? "shared memory segment" :
				    a.kinds == SNAP_SEM ? "semaphore array" :
				    a.kinds == SNAP_MSG ? "message queue" : "IPC object", a.id);
			goto out;
		}
	}
	if (a.posix) {
		v.posix = calloc(1, sizeof(*v.posix));
		if (v.posix && posix_read(v.posix) < 0)
			warnmsg("POSIX IPC not fully read: run as root to see every process");
	}
	if (a.c.json)
		snap_view_json(&v, a.c.out);
	else
		snap_view_text(&v, a.c.out);
	for (size_t i = 0; i < v.nsnaps; i++)
		if (v.snaps[i].s.warnings)
			warnmsg("%u lines of /proc/sysvipc could not be parsed and were skipped",
				v.snaps[i].s.warnings);
	st = opts_finish(&a.c);
out:
	snap_view_free(&v);
	names_cache_free();
	return st;
}

IPCSCOPE_COMMAND(snapshot, cmd_snapshot,
		 "every IPC object, richer than ipcs -a / lsipc", 10);
