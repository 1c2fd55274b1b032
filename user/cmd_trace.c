// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* ipcscope trace: one line (or JSON object) per System V IPC call. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyses.h"
#include "ipcscope.h"
#include "source/live.h"
#include "view/trace_fmt.h"

/* ------------------------------------------------------------- command */

enum { OPT_PROC = 0x2000, OPT_CREATORS, OPT_OFFCPU, OPT_BUFFER };

struct trace_args {
	struct common_opts o;
	bool proc;
	bool creators;
	bool offcpu;
	unsigned int buffer;
};

/* "64K", "16M", "4096": a power of two of at least one page, at most 1 GiB. */
static long parse_buffer_size(const char *arg)
{
	char num[32], *end;
	size_t n = strlen(arg);
	long v, mult = 1, p = 4096;

	if (!n || n >= sizeof(num))
		return -1;
	memcpy(num, arg, n + 1);
	end = num + n - 1;
	if (*end == 'K' || *end == 'k')
		mult = 1 << 10;
	else if (*end == 'M' || *end == 'm')
		mult = 1 << 20;
	if (mult > 1)
		*end = 0;
	if (!parse_long(num, 1, (1L << 30) / mult, &v))
		return -1;
	v *= mult;
	while (p < v)
		p <<= 1;
	return p <= (1L << 30) ? p : -1;
}

static const struct argp_option trace_options[] = {
	{ "proc", OPT_PROC, NULL, 0, "Also show fork, exec and exit of traced processes", 0 },
	{ "creators", OPT_CREATORS, NULL, 0,
	  "Also show who created each new object: the creating call's user registers, "
	  "stack pointer, stack bytes copied and command line (`create` events)", 0 },
	{ "offcpu", OPT_OFFCPU, NULL, 0,
	  "Also measure the time each call spent switched out (offcpu_ns) and mark the "
	  "calls that went to sleep (waited); hooks every context switch of the machine "
	  "while tracing", 0 },
	{ "buffer-size", OPT_BUFFER, "SIZE", 0,
	  "Ring buffer size, e.g. 64M (default 16M; rounded up to a power of two): "
	  "raise it if events are lost", 0 },
	{ 0 },
};

static error_t trace_parse(int key, char *arg, struct argp_state *state)
{
	struct trace_args *a = state->input;

	switch (key) {
	case OPT_PROC:
		a->proc = true;
		break;
	case OPT_CREATORS:
		a->creators = true;
		break;
	case OPT_OFFCPU:
		a->offcpu = true;
		break;
	case OPT_BUFFER: {
		long v = parse_buffer_size(arg);

		if (v < 0)
			argp_error(state, "invalid --buffer-size '%s': give a size such as 256K or 64M (at most 1G)",
				   arg);
		a->buffer = v;
		break;
	}
	default:
		return opts_key_default(key, arg, state, &a->o);
	}
	return 0;
}

static const struct argp_child trace_children[] = {
	OPTS_CHILD_OUTPUT, OPTS_CHILD_FILTER, OPTS_CHILD_DURATION, { 0 },
};

static const struct argp trace_argp = {
	trace_options, trace_parse, "[-- CMD [ARGS...]]",
	"Trace every System V IPC call (shmget shmat shmdt shmctl semget semop "
	"semtimedop semctl msgget msgsnd msgrcv msgctl), one line per completed call "
	"with its arguments, result and latency (in seconds, at the end).\n\n"
	"Without -- CMD it traces the whole machine (or what the filters select) until "
	"Ctrl-C or -d; with -- CMD it runs CMD, follows its children, and exits with "
	"CMD's status; its output then goes to stderr unless -o is given (`-o -`: "
	"stdout), so that it never mixes with CMD's stdout.  --json prints one "
	"object per line and a final "
	"{\"summary\": {..., \"lost_events\": N}} line.\v"
	"Examples:\n"
	"  ipcscope trace -t sem --errors        failed semaphore calls, machine-wide\n"
	"  ipcscope trace --json -o t.jsonl -- ./app\n"
	"  ipcscope trace -p 1234 -d 10s\n\n"
	"Exit status: CMD's status with -- CMD (127/126 if it cannot be executed); "
	"else 0, 64 usage, 69 kernel feature missing, 77 not privileged.",
	trace_children, NULL, NULL,
};

/*
 * With -- CMD and no -o, CMD owns stdout: the trace goes to stderr, as
 * strace's does, a whole line per write (line-buffered) so that it never
 * splits a line of CMD's and CMD's output never splits one of ours.
 * opts_finish() closes the stream (a dup of fd 2).
 */
static int trace_to_stderr(struct common_opts *o)
{
	static char lbuf[1 << 16];
	int fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

	if (!f) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return errmsg(EX_OSERR, "cannot write the trace to stderr: %s: give -o FILE",
			      strerror(e));
	}
	setvbuf(f, lbuf, _IOLBF, sizeof(lbuf));
	o->out = f;
	return 0;
}

static int cmd_trace(int argc, char **argv)
{
	struct trace_args a;
	struct live_config cfg = { 0 };
	struct live_cmd cmd;
	struct run_loop rl = { 0 };
	struct session s;
	int status, err;

	opts_init(&a.o);
	a.proc = a.creators = a.offcpu = false;
	a.buffer = 0;
	status = opts_parse(&trace_argp, argc, argv, &a, &a.o);
	if (status)
		return status;
	if (a.o.cmd_argc && !a.o.out_path) {
		status = trace_to_stderr(&a.o);
		if (status)
			return status;
	}

	cfg.opts = &a.o;
	cfg.calls = true;
	cfg.proc_events = a.proc;
	cfg.create_ctx = a.creators;
	cfg.offcpu = a.offcpu;
	cfg.ringbuf_bytes = a.buffer;
	cfg.no_start_snapshot = true;
	if (!live_command_open(&s, &cfg, &cmd, &rl, &status)) {
		opts_finish(&a.o);
		return status;
	}
	rl.duration = a.o.duration;
	status = live_command_start(&rl);
	if (!status) {
		if (!rl.cmd)
			fprintf(stderr, "Tracing System V IPC calls... Hit Ctrl-C to end.\n");
		status = trace_session(&s, &a.o, &rl);
	}
	session_fini(&s);
	err = opts_finish(&a.o);
	return status ? status : err ? err : live_command_status(&rl, 0);
}

IPCSCOPE_COMMAND(trace, cmd_trace, "trace every System V IPC call, strace-like", 20);
