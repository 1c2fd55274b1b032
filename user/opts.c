// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Shared option parsing; see opts.h. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "events.h"
#include "ipcscope.h"
#include "opts.h"
#include "tables/proc.h"

enum {
	OPT_JSON = 0x1000,
	OPT_COMM,
	OPT_IPCNS,
	OPT_MIN_LAT,
	OPT_ERRORS,
};

bool parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!s || !*s)
		return false;
	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

double parse_duration(const char *s)
{
	char *end;
	double v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v < 0)
		return -1;
	if (!strcmp(end, "") || !strcmp(end, "s"))
		return v;
	if (!strcmp(end, "ms"))
		return v / 1000;
	if (!strcmp(end, "m"))
		return v * 60;
	if (!strcmp(end, "h"))
		return v * 3600;
	if (!strcmp(end, "d"))
		return v * 86400;
	return -1;
}

int parse_kinds(const char *s)
{
	unsigned int mask = 0;
	char *dup = strdup(s), *tok, *save = NULL;

	if (!dup)
		return -1;
	for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "shm") || !strcmp(tok, "m"))
			mask |= KIND_BIT(KIND_SHM);
		else if (!strcmp(tok, "sem") || !strcmp(tok, "s"))
			mask |= KIND_BIT(KIND_SEM);
		else if (!strcmp(tok, "msg") || !strcmp(tok, "q"))
			mask |= KIND_BIT(KIND_MSG);
		else {
			free(dup);
			return -1;
		}
	}
	free(dup);
	return mask ? (int)mask : -1;
}

uint32_t self_ipcns(void)
{
	return proc_self_ipcns();
}

int resolve_ipcns(const char *arg, uint32_t *inode)
{
	char path[64];
	long v;

	if (!parse_long(arg, 1, UINT32_MAX, &v))
		return -EINVAL;
	/* Namespace inodes are large (0xEFFFFFFF-based); pids are small. */
	if (v < 0x10000000L) {
		struct stat st;

		snprintf(path, sizeof(path), "/proc/%ld/ns/ipc", v);
		/* the real cause: EACCES for another user's process, ENOENT/ESRCH
		 * for none */
		if (stat(path, &st))
			return errno == ENOENT ? -ESRCH : -errno;
		*inode = (uint32_t)st.st_ino;
		return 0;
	}
	*inode = (uint32_t)v;
	return 0;
}

static error_t output_parser(int key, char *arg, struct argp_state *state)
{
	struct common_opts *c = state->input;

	switch (key) {
	case OPT_JSON:
		c->json = true;
		break;
	case 'o':
		c->out_path = arg;
		break;
	case 'v':
		ipcs_verbose++;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_option output_options[] = {
	{ "json", OPT_JSON, NULL, 0, "Machine-readable JSON output", 0 },
	{ "output", 'o', "FILE", 0, "Write output to FILE instead of stdout", 0 },
	{ "verbose", 'v', NULL, 0, "Explain more (repeat for libbpf debug output)", 0 },
	{ 0 },
};

const struct argp output_argp = { output_options, output_parser, NULL, NULL, NULL, NULL, NULL };

static error_t filter_parser(int key, char *arg, struct argp_state *state)
{
	struct common_opts *c = state->input;
	long v;
	int k;

	switch (key) {
	case 'p':
		if (!parse_long(arg, 1, INT_MAX, &v))
			argp_error(state, "invalid PID '%s': give a positive process id", arg);
		c->pid = (int)v;
		break;
	case 'c':
		c->cgroup_path = arg;
		break;
	case OPT_COMM:
		if (strlen(arg) >= IPCS_COMM_LEN)
			argp_error(state, "--comm '%s' is longer than the kernel's %d-byte comm",
				   arg, IPCS_COMM_LEN - 1);
		c->comm = arg;
		break;
	case OPT_IPCNS:
		c->ipcns_arg = arg;
		break;
	case 't':
		k = parse_kinds(arg);
		if (k < 0)
			argp_error(state, "invalid -t '%s': use a list of shm, sem, msg", arg);
		c->kinds = (unsigned int)k;
		break;
	case OPT_MIN_LAT:
		if (!parse_long(arg, 0, LONG_MAX / 1000, &v))
			argp_error(state, "invalid --min-lat '%s': give microseconds", arg);
		c->min_lat_ns = (uint64_t)v * 1000;
		break;
	case OPT_ERRORS:
		c->errors_only = true;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_option filter_options[] = {
	{ "pid", 'p', "PID", 0, "Only this process and its future children", 0 },
	{ "cgroup", 'c', "PATH", 0, "Only tasks in this cgroup v2 directory", 0 },
	{ "comm", OPT_COMM, "NAME", 0, "Only tasks whose comm is NAME", 0 },
	{ "ipcns", OPT_IPCNS, "PID|INODE", 0,
	  "Only this IPC namespace (that of PID, or the inode)", 0 },
	{ "type", 't', "KINDS", 0, "Only these kinds: shm,sem,msg", 0 },
	{ "min-lat", OPT_MIN_LAT, "USEC", 0, "Only calls slower than USEC", 0 },
	{ "errors", OPT_ERRORS, NULL, 0, "Only failed calls", 0 },
	{ 0 },
};

const struct argp filter_argp = { filter_options, filter_parser, NULL, NULL, NULL, NULL, NULL };

static error_t duration_parser(int key, char *arg, struct argp_state *state)
{
	struct common_opts *c = state->input;

	switch (key) {
	case 'd':
		c->duration = parse_duration(arg);
		if (c->duration <= 0)
			argp_error(state, "invalid -d '%s': give seconds, e.g. 10 or 5m", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_option duration_options[] = {
	{ "duration", 'd', "SECONDS", 0, "Stop after SECONDS (also 5m, 1h)", 0 },
	{ 0 },
};

const struct argp duration_argp = { duration_options, duration_parser, NULL, NULL, NULL, NULL, NULL };

void opts_init(struct common_opts *c)
{
	memset(c, 0, sizeof(*c));
	c->out = stdout;
	c->out_mode = 0644;
}

/*
 * The command's own argp: argp_parse() wraps it (first child) in a root that
 * adds --help and --usage, so the root's children are not the command's.
 */
static const struct argp *command_argp(const struct argp *a)
{
	for (int depth = 0; a && depth < 4; depth++) {
		const struct argp_child *ch = a->children;

		for (int i = 0; ch && ch[i].argp; i++)
			if (ch[i].argp == &output_argp || ch[i].argp == &filter_argp ||
			    ch[i].argp == &duration_argp)
				return a;
		a = ch ? ch[0].argp : NULL;
	}
	return NULL;
}

void opts_child_inputs(struct argp_state *state, struct common_opts *c)
{
	const struct argp *cmd = command_argp(state->root_argp);
	const struct argp_child *ch = cmd ? cmd->children : NULL;

	for (int i = 0; ch && ch[i].argp; i++)
		state->child_inputs[i] = c;
}

error_t opts_key_default(int key, char *arg, struct argp_state *state, struct common_opts *c)
{
	const struct argp *cmd;

	switch (key) {
	case ARGP_KEY_INIT:
		opts_child_inputs(state, c);
		return 0;
	case ARGP_KEY_ARG:
		cmd = command_argp(state->root_argp);
		argp_error(state, "unexpected argument '%s'%s", arg,
			   cmd && cmd->args_doc && strstr(cmd->args_doc, "-- CMD") ?
			   " (a command goes after `--`)" : "");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static int resolve_filters(struct common_opts *c)
{
	struct stat st;
	char path[64];

	if (c->pid) {
		snprintf(path, sizeof(path), "/proc/%d", c->pid);
		if (access(path, F_OK))
			return errmsg(EX_USAGE, "no process with PID %d: check the pid with `ps -p %d`",
				      c->pid, c->pid);
	}
	if (c->cgroup_path) {
		if (stat(c->cgroup_path, &st) || !S_ISDIR(st.st_mode))
			return errmsg(EX_USAGE,
				      "cgroup '%s' is not a directory: give a cgroup v2 path such as /sys/fs/cgroup/system.slice",
				      c->cgroup_path);
		c->cgroup_id = st.st_ino;
	}
	if (c->ipcns_arg) {
		int err = resolve_ipcns(c->ipcns_arg, &c->ipcns);

		if (err == -EACCES || err == -EPERM)
			return errmsg(EX_NOPERM,
				      "--ipcns '%s': cannot read /proc/%s/ns/ipc: %s: run as root or "
				      "as that process's user", c->ipcns_arg, c->ipcns_arg,
				      strerror(-err));
		if (err)
			return errmsg(EX_USAGE,
				      "--ipcns '%s' names no IPC namespace: give a live PID or a namespace inode (see `lsns -t ipc`)",
				      c->ipcns_arg);
	}
	return 0;
}

/*
 * argp reports a bad command line in two lines (getopt's or argp_error()'s
 * message, then "Try `ipcscope CMD --help'...") and exits.  The parse runs
 * with stderr pointed at a memory stream; if argp exits, an atexit handler
 * says the same in one line, `ipcscope: CMD: <problem>: <what to do>`.
 * glibc's argp and getopt both write to whatever `stderr` is at the time.
 */
static struct {
	FILE *real;          /* the real stderr while a parse is captured */
	char *text;
	size_t len;
	const char *cmd;
} argp_cap;

/* One line from what argp wrote: its first message, without the prefix
 * "ipcscope CMD: " and the "Try ..." hint, plus what to do. */
void opts_error_line(const char *cmd, const char *text, char *out, size_t outlen)
{
	char prefix[80], msg[512];
	size_t n = 0, plen;

	snprintf(prefix, sizeof(prefix), "ipcscope %s: ", cmd);
	plen = strlen(prefix);
	for (const char *l = text; l && *l && !n; ) {
		const char *e = strchr(l, '\n');
		size_t ll = e ? (size_t)(e - l) : strlen(l);

		if (ll >= plen && !strncmp(l, prefix, plen)) {
			l += plen;
			ll -= plen;
		} else if (ll >= 10 && !strncmp(l, "ipcscope: ", 10)) {
			l += 10;
			ll -= 10;
		}
		if (ll && strncmp(l, "Try `", 5) && strncmp(l, "Usage:", 6)) {
			n = ll < sizeof(msg) - 1 ? ll : sizeof(msg) - 1;
			memcpy(msg, l, n);
		}
		l = e ? e + 1 : NULL;
	}
	if (!n)
		n = (size_t)snprintf(msg, sizeof(msg), "bad arguments");
	msg[n] = 0;
	if (msg[0] >= 'A' && msg[0] <= 'Z' && msg[1] >= 'a' && msg[1] <= 'z')
		msg[0] = (char)(msg[0] - 'A' + 'a');   /* argp's "Too many arguments" */
	if (strstr(msg, ": "))   /* says what to do already */
		snprintf(out, outlen, "%s: %s", cmd, msg);
	else
		snprintf(out, outlen, "%s: %s: see `ipcscope %s --help`", cmd, msg, cmd);
}

static void argp_cap_end(bool show_raw)
{
	char line[700];

	if (!argp_cap.real)
		return;
	fclose(stderr);   /* sets argp_cap.text/len */
	stderr = argp_cap.real;
	argp_cap.real = NULL;
	if (show_raw) {
		if (argp_cap.len)   /* a parser's own warnings: pass them on */
			fwrite(argp_cap.text, 1, argp_cap.len, stderr);
	} else {
		opts_error_line(argp_cap.cmd, argp_cap.text ? argp_cap.text : "", line, sizeof(line));
		errmsg(EX_USAGE, "%s", line);
	}
	free(argp_cap.text);
	argp_cap.text = NULL;
}

/* argp exited on a bad command line (--help exits 0 with nothing captured). */
static void argp_cap_atexit(void)
{
	if (!argp_cap.real)
		return;
	fflush(stderr);   /* updates argp_cap.len */
	argp_cap_end(argp_cap.len == 0);   /* nothing captured: show nothing */
}

int opts_parse(const struct argp *argp, int argc, char **argv, void *input,
	       struct common_opts *c)
{
	static bool registered;
	FILE *mem;
	char name[64];
	int i, err;

	/* `-- CMD ARGS` belongs to the traced command, not to us. */
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			c->cmd_argv = argv + i + 1;
			c->cmd_argc = argc - i - 1;
			argc = i;
			break;
		}
	}
	if (c->cmd_argv && c->cmd_argc == 0)
		return errmsg(EX_USAGE, "nothing after `--`: give the command to run, e.g. `-- ./app arg`");
	/* The usage line is the declaration: only commands that say `-- CMD` run one. */
	if (c->cmd_argv && !(argp->args_doc && strstr(argp->args_doc, "-- CMD")))
		return errmsg(EX_USAGE, "`ipcscope %s` runs no command: drop `-- %s...` "
			      "(trace, latency, leaks, blocked and record run one)",
			      argv[0], c->cmd_argv[0]);

	snprintf(name, sizeof(name), "ipcscope %s", argv[0]);
	argp_cap.cmd = argv[0];
	argv[0] = name;
	argp_err_exit_status = EX_USAGE;
	fflush(stderr);
	mem = open_memstream(&argp_cap.text, &argp_cap.len);
	if (mem) {
		if (!registered)
			registered = !atexit(argp_cap_atexit);
		argp_cap.real = stderr;
		stderr = mem;
	}
	err = argp_parse(argp, argc, argv, 0, NULL, input);
	argp_cap_end(!err);
	if (err)
		return EX_USAGE;

	err = resolve_filters(c);
	if (err)
		return err;

	if (c->out_path && strcmp(c->out_path, "-")) {
		int fd = open(c->out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, c->out_mode);

		if (fd < 0 || !(c->out = fdopen(fd, "w"))) {
			int e = errno;

			if (fd >= 0)
				close(fd);
			c->out = stdout;
			return errmsg(exit_for_errno(e) == EX_NOINPUT ? EX_CANTCREAT : exit_for_errno(e),
				      "cannot write '%s': %s: choose a writable path for -o",
				      c->out_path, strerror(e));
		}
		/* Big buffer: streaming output should be a few writes per second.
		 * (glibc ignores the size when it allocates the buffer itself.) */
		static char obuf[1 << 20];

		setvbuf(c->out, obuf, _IOFBF, sizeof(obuf));
	}
	return 0;
}

int opts_finish(struct common_opts *c)
{
	int bad = 0;

	if (fflush(c->out))
		bad = errno;
	if (c->out != stdout) {
		if (fclose(c->out) && !bad)
			bad = errno;
		c->out = stdout;
	}
	if (bad)
		return errmsg(EX_IOERR, "writing output failed: %s: check free space on the -o target",
			      strerror(bad));
	return 0;
}
