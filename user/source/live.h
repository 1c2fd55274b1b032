/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The live event source: loads bpf/ipcscope.bpf.c (streaming) with the
 * filters from common_opts, attaches it, and delivers ring-buffer records to
 * a bus.  Also the run loop and `-- CMD` handling shared by every live
 * command.
 */
#ifndef IPCS_LIVE_H
#define IPCS_LIVE_H

#include <stdbool.h>
#include <signal.h>
#include <sys/types.h>

#include "event.h"
#include "opts.h"
#include "session.h"
#include "source/progs.h"

struct live_config {
	const struct common_opts *opts;   /* filters */
	bool create_ctx;     /* EV_CREATE with regs, stack copy, cmdline on *get */
	bool stack_ids;      /* frame-pointer user stacks in ev_call.stack_id */
	bool offcpu;         /* sched_switch accounting into ev_call.offcpu_ns */
	bool proc_events;    /* EV_FORK/EV_EXEC/EV_EXIT */
	bool calls;          /* EV_CALL per completed call (false: in-flight map only) */
	pid_t cmd_pid;       /* `-- CMD` child (live_command_open): tracked with its
				descendants, turns the pid filter on; 0 = none */
	unsigned int ringbuf_bytes;  /* ring buffer size (power of 2); 0 = 16 MiB */
	bool no_start_snapshot;      /* live_session_open: leave session.start NULL
					(the command never reads it) */
	bool no_proc_meta;           /* live_session_open: no process metadata
					(session.procs NULL: nothing read from
					/proc at exec or creation) */
	bool aggregate;      /* per-call figures kept in the kernel, only rare
				calls streamed (top, metrics): source/live_agg.h */
};

/*
 * Load and attach.  Prints a one-line error (needs root, no BTF, ...) and
 * returns NULL with *status set to the exit status on failure.
 */
struct ev_source *live_open(const struct live_config *cfg, struct ev_bus *bus, int *status);
/* Add a tgid to the -p/-- CMD filter (and its future children). */
int live_track_pid(struct ev_source *src, pid_t pid);
/* Map fds for analyses that read BPF maps directly (or -1). */
int live_inflight_fd(struct ev_source *src);   /* task storage: pidfd -> struct inflight_task */
/* When thread `tid`'s current IPC call began (CLOCK_MONOTONIC ns), or 0. */
uint64_t live_inflight_start(struct ev_source *src, int32_t tid);
int live_stack_fd(struct ev_source *src);      /* stack id -> u64 ips[IPCS_STACK_DEPTH] */
/* Any map of the streaming object by name (-1 if none). */
int live_map_fd(struct ev_source *src, const char *name);

/*
 * `-- CMD ARGS`: CMD is forked stopped before exec, so it can be tracked
 * before it makes a call, then let exec; exec failure is reported as
 * "cannot execute 'CMD': <reason>" with status 127/126.  Commands hold
 * one of these and go through live_command_open()/_start()/_status()
 * (below), the one `-- CMD` path.
 */
struct live_cmd {
	pid_t pid;
	int go_fd;           /* write end: release the child */
	int err_fd;          /* read end: exec errno, closed on success */
	int status;          /* wait status once exited */
	bool exited;
	const char *argv0;   /* for messages */
};

/*
 * Run any live source until -d elapses, the command exits, SIGINT/SIGTERM
 * arrives or a tick asks to stop: waits on src->wait_fd (if any) and CMD's
 * exit, calls src->poll(src, 0) at each wake-up and tick(ctx) every
 * `interval` seconds if interval > 0, and polls the source once more at
 * the end (what it already holds belongs to the run).  Returns 0, or the
 * first non-zero tick()/sink status.
 */
struct run_loop {
	struct ev_source *src;
	double duration;
	double interval;
	int (*tick)(void *ctx);
	void *ctx;
	struct live_cmd *cmd;   /* NULL unless `-- CMD` */
	bool tick_at_start;     /* the first tick at once, not an interval in */
	/*
	 * Input besides the source (a terminal's keys): when set, the loop
	 * also wakes for input_fd and calls input(ctx) after every wake-up
	 * (so input its library buffered, or a resize, is not left waiting);
	 * it returns 0, RUN_STOP or an exit status.
	 */
	int input_fd;
	int (*input)(void *ctx);
	bool stopped;           /* out: a tick or input returned RUN_STOP */
};
/*
 * A tick's "the run is complete" (its count is reached): a clean end, status 0.
 * rl->src may be NULL: a run of ticks and input alone (a view without tracing).
 */
#define RUN_STOP (-4096)        /* below every -errno */
int run_loop(struct run_loop *rl);
/*
 * The one stop flag: set by the SIGINT/SIGTERM handlers that run_loop
 * installs (no SA_RESTART: a sleep returns at once).  A command calls
 * live_catch_signals() itself only to be covered before its loop starts
 * (top before ncurses takes the terminal, metrics before its readiness
 * line).
 */
extern volatile sig_atomic_t ipcs_exiting;
void live_catch_signals(void);

/* The streaming object's programs: live_progs[] in source/progs.h. */

/*
 * For doctor: load and attach each program of the table on its own.
 * err[i] (live_nprogs entries) gets 0 or -errno; stage[i] "load"/"attach".
 * Returns 0, or the exit status of an environment check that failed first
 * (no BTF, no privileges, no tracefs), after printing it.
 */
int live_probe_progs(int *err, const char **stage);
/*
 * Before loading any BPF object: BTF present, privileges, tracefs mounted
 * (mounts it if missing), RLIMIT_MEMLOCK raised if possible.  0 or the exit
 * status after a one-line error.
 */
int live_check_env(void);

/*
 * Copy the filters of common_opts into an object's rodata that includes
 * bpf/filter.bpf.h (same names in every skeleton).  cmd_pid: `-- CMD`.
 * ipcscope's own calls (its reads of the tables) are never the workload's,
 * nor those of any process named ipcscope (live_exclude_ipcscope()).
 */
#define live_set_filters(r, o, cmd_pid)                                        \
	do {                                                                   \
		(r)->filter_pid = (o)->pid ? (uint32_t)(o)->pid : (uint32_t)(cmd_pid); \
		(r)->filter_cgroup_id = (o)->cgroup_id;                        \
		if ((o)->comm) {                                               \
			char comm_[IPCS_COMM_LEN] = {};                        \
			strncpy(comm_, (o)->comm, sizeof(comm_) - 1);          \
			memcpy((void *)&(r)->filter_comm_lo, comm_, 8);        \
			memcpy((void *)&(r)->filter_comm_hi, comm_ + 8, 8);    \
			(r)->filter_comm_on = true;                            \
		}                                                              \
		(r)->filter_ipcns = (o)->ipcns;                                \
		(r)->filter_kinds = (o)->kinds;                                \
		(r)->filter_min_lat_ns = (o)->min_lat_ns;                      \
		(r)->filter_errors_only = (o)->errors_only;                    \
		(r)->filter_exclude_pid = (uint32_t)getpid();                  \
		(r)->filter_exclude_ipcscope = live_exclude_ipcscope();        \
	} while (0)

/*
 * Calls of processes named "ipcscope" (other instances, our forked
 * namespace readers) are not traced unless IPCSCOPE_TRACE_SELF=1.
 */
bool live_exclude_ipcscope(void);

/* Effective CAP_BPF + CAP_PERFMON (or root / CAP_SYS_ADMIN). */
bool live_have_privileges(void);

/*
 * Fill a session (zeroed, bus initialised) for a live source opened onto
 * its bus: /proc-backed snapshot_now and process facts, and the tables at
 * start if `start_snapshot`.
 */
int live_session_init(struct session *s, struct ev_source *src, bool start_snapshot);
/*
 * The usual sequence in one call: zero `s`, init its bus, live_open() onto
 * it and live_session_init().  Returns the source, or NULL with *status set.
 */
struct ev_source *live_session_open(struct session *s, const struct live_config *cfg,
				    int *status);
/*
 * A live session with no source: a view of the tables alone (not root, no
 * BPF, --no-trace), still driven by session_drive() for its ticks, input,
 * -d and the stop flag.
 */
void live_session_tables_only(struct session *s);
void session_fini(struct session *s);

/*
 * The `-- CMD` sequence of a live command, in three calls:
 *   live_command_open()    with cfg->opts->cmd_argv: fork CMD stopped into
 *                          *cmd, trace it (cfg->cmd_pid) and point rl->cmd
 *                          at it; then live_session_open().  On failure CMD
 *                          is reaped unexecuted and NULL returned with
 *                          *status set (the caller still owns opts).  On
 *                          success SIGINT/SIGTERM already set ipcs_exiting.
 *   live_command_start()   once everything is ready: let CMD exec (0 without
 *                          a command, else 0 or the exit status after an error)
 *   live_command_status()  after the run: CMD's status as ours (128 + signal
 *                          if we stopped first), `dflt` without a command or
 *                          when -d (or a tick's RUN_STOP) ended the run first:
 *                          CMD is left running, said once on stderr
 */
struct ev_source *live_command_open(struct session *s, struct live_config *cfg,
				    struct live_cmd *cmd, struct run_loop *rl, int *status);
/*
 * The same for any live source: open(s, cmd_pid, ctx, status) zeroes `s`,
 * opens the source onto s->bus tracking cmd_pid (0: no command) and fills
 * the session (live_session_init), or returns NULL with *status set after
 * a one-line error.  live_command_open() is this with the ring buffer.
 */
typedef struct ev_source *(*live_open_fn)(struct session *s, pid_t cmd_pid, void *ctx,
					  int *status);
struct ev_source *live_command_open_src(struct session *s, const struct common_opts *o,
					live_open_fn open, void *ctx, struct live_cmd *cmd,
					struct run_loop *rl, int *status);
int live_command_start(struct run_loop *rl);
int live_command_status(const struct run_loop *rl, int dflt);

#endif
