// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The live event source: the streaming BPF object's lifecycle (checks,
 * knobs, one program table, load, attach), its ring buffer, `-- CMD`
 * handling and the run loop shared by every live command.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ipcscope.h"
#include "ipcscope.skel.h"
#include "source/attach.h"
#include "source/extras.h"
#include "source/histmap.h"
#include "source/live.h"
#include "source/mmaptrack.h"

#define DEFAULT_RINGBUF   (16u << 20)
#define POLL_MS           100      /* bounds the delay of unwoken events */
#define LIVE_MAX_PROGS    64       /* >= live_nprogs, checked at open */

/* ------------------------------------------------------------ program table */

/* Which programs load: the rows of live_progs (source/progs.h). */

static bool prog_needed(const struct prog_row *p, const struct live_config *cfg, bool pid_filter,
			enum ipcs_hooks mode)
{
	const struct common_opts *o = cfg->opts;

	if (p->hooks && p->hooks != (int)mode)
		return false;
	switch (p->need) {
	case PROG_NEED_SYSCALL:
		/* the raw hooks filter kinds in the program (filter_kinds) */
		return !p->kind || !o->kinds || (o->kinds & KIND_BIT(p->kind));
	case PROG_NEED_PID:
		return pid_filter || cfg->proc_events;
	case PROG_NEED_PROC:
		return cfg->proc_events;
	case PROG_NEED_OFFCPU:
		return cfg->offcpu;
	case PROG_NEED_ALWAYS:
		return true;
	case PROG_NEED_KOBJ:
		return false;        /* extras' rows, never the streaming object's */
	}
	return false;
}

/* ------------------------------------------------------------- libbpf log */

/*
 * libbpf's messages (the verifier log among them) are kept, not printed:
 * on failure -v shows the last lines, -vv shows everything as it comes.
 */
static char libbpf_log[16384];
static size_t libbpf_log_len;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char *msg = NULL;
	size_t n;
	int len;

	if (level == LIBBPF_DEBUG && ipcs_verbose < 2)
		return 0;
	len = vasprintf(&msg, fmt, ap);
	if (len < 0)
		return 0;
	if (ipcs_verbose >= 2)
		fputs(msg, stderr);
	/* keep the newest bytes: the verifier's verdict is at the end */
	n = len;
	if (n >= sizeof(libbpf_log)) {
		memcpy(libbpf_log, msg + n - (sizeof(libbpf_log) - 1), sizeof(libbpf_log) - 1);
		libbpf_log_len = sizeof(libbpf_log) - 1;
	} else {
		if (libbpf_log_len + n >= sizeof(libbpf_log)) {
			size_t drop = libbpf_log_len + n - (sizeof(libbpf_log) - 1);

			memmove(libbpf_log, libbpf_log + drop, libbpf_log_len - drop);
			libbpf_log_len -= drop;
		}
		memcpy(libbpf_log + libbpf_log_len, msg, n);
		libbpf_log_len += n;
	}
	libbpf_log[libbpf_log_len] = 0;
	free(msg);
	return 0;
}

/* With -v, the last `lines` lines libbpf printed (the verifier's verdict). */
static void show_log_tail(int lines)
{
	const char *p;

	if (!ipcs_verbose || ipcs_verbose >= 2 || !libbpf_log_len)
		return;
	p = libbpf_log + libbpf_log_len;
	while (p > libbpf_log && lines >= 0) {
		p--;
		if (*p == '\n')
			lines--;
	}
	if (*p == '\n')
		p++;
	fputs("ipcscope: last lines from libbpf and the verifier:\n", stderr);
	fputs(p, stderr);
}

/* ------------------------------------------------------------ environment */

bool live_have_privileges(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = {};
	const int cap_perfmon = 38, cap_bpf = 39;
	uint64_t eff;

	if (geteuid() == 0)
		return true;
	if (syscall(SYS_capget, &h, d))
		return false;
	eff = d[0].effective | (uint64_t)d[1].effective << 32;
	if (eff & (1ull << CAP_SYS_ADMIN))
		return true;
	return (eff & (1ull << cap_bpf)) && (eff & (1ull << cap_perfmon));
}

/*
 * libbpf finds syscall tracepoints' ids in tracefs: mount it if missing.
 * Only the tracepoint hook mode needs it: otherwise a failed mount is not
 * an error (a fallback to tracepoints then fails at attach, saying so).
 */
static int ensure_tracefs(void)
{
	if (!access("/sys/kernel/tracing/events", F_OK) ||
	    !access("/sys/kernel/debug/tracing/events", F_OK))
		return 0;
	if (mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL) == 0) {
		debugmsg("mounted tracefs at /sys/kernel/tracing");
		return 0;
	}
	if (hooks_forced() != HOOKS_TRACEPOINT) {
		debugmsg("tracefs is not mounted and mounting it failed (%s): the raw hooks do without",
			 strerror(errno));
		return 0;
	}
	return errmsg(EX_UNAVAILABLE,
		      "tracefs is not mounted and mounting it failed (%s): run `mount -t tracefs tracefs /sys/kernel/tracing`",
		      strerror(errno));
}

int live_check_env(void)
{
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };

	if (access("/sys/kernel/btf/vmlinux", R_OK))
		return errmsg(EX_UNAVAILABLE,
			      "this kernel has no BTF (/sys/kernel/btf/vmlinux): use a kernel built with CONFIG_DEBUG_INFO_BTF=y");
	if (!live_have_privileges())
		return errmsg(EX_NOPERM,
			      "needs root (CAP_BPF and CAP_PERFMON) to load its BPF programs: run it with sudo");
	/* Not fatal: kernels >= 5.11 charge BPF memory to the cgroup instead. */
	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		debugmsg("setrlimit(RLIMIT_MEMLOCK) failed (%s); relying on cgroup accounting",
			 strerror(errno));
	return ensure_tracefs();
}

/* ----------------------------------------------------------------- source */

struct live_src {
	struct ev_source base;
	struct ipcscope_bpf *skel;
	struct ring_buffer *rb;
	struct extras *extras;  /* kernel-internal hooks, when this kernel allows */
	enum ipcs_hooks hooks;  /* how the syscalls are hooked */
	struct bpf_link *links[LIVE_MAX_PROGS];
};

static struct live_src *to_live(struct ev_source *src)
{
	return (struct live_src *)src;
}

static int on_sample(void *ctx, void *data, size_t len)
{
	struct live_src *ls = ctx;
	int r = ev_bus_emit(ls->base.bus, data, len);

	if (r) {
		if (!ls->base.sink_status)
			ls->base.sink_status = r;
		return -ECANCELED;     /* stops libbpf's consume loop */
	}
	return 0;
}

static int live_poll(struct ev_source *src, int timeout_ms)
{
	struct live_src *ls = to_live(src);
	int n, m;

	/* Wake-ups are batched in the kernel: after the wait, read everything. */
	n = ring_buffer__poll(ls->rb, timeout_ms);
	if (n == -EINTR)
		n = 0;
	if (n < 0)
		return ls->base.sink_status ? 0 : n;
	m = ring_buffer__consume(ls->rb);
	if (m < 0)
		return ls->base.sink_status ? n : m;
	return n + m;
}

static uint64_t live_lost(struct ev_source *src)
{
	struct live_src *ls = to_live(src);

	return histmap_counter_sum(bpf_map__fd(ls->skel->maps.lost)) + extras_lost(ls->extras);
}

static void unload(struct live_src *ls)
{
	links_destroy(ls->links, live_nprogs);
	ipcscope_bpf__destroy(ls->skel);
	ls->skel = NULL;
}

static void live_destroy(struct ev_source *src)
{
	struct live_src *ls = to_live(src);

	if (!ls)
		return;
	extras_close(ls->extras);
	ring_buffer__free(ls->rb);
	unload(ls);
	free(ls);
}

int live_track_pid(struct ev_source *src, pid_t pid)
{
	struct live_src *ls = to_live(src);
	uint32_t key = pid;
	uint8_t one = 1;

	if (bpf_map_update_elem(bpf_map__fd(ls->skel->maps.tracked), &key, &one, BPF_ANY))
		return -errno;
	/* tasks cache their -p decision (filter.bpf.h): make them redo it */
	if (ls->skel->bss)
		__atomic_fetch_add(&ls->skel->bss->ipcs_tracked_gen, 1, __ATOMIC_RELAXED);
	return 0;
}

int live_inflight_fd(struct ev_source *src)
{
	return src ? bpf_map__fd(to_live(src)->skel->maps.inflight) : -1;
}

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

uint64_t live_inflight_start(struct ev_source *src, int32_t tid)
{
	struct inflight_task v;
	int pfd, err;

	if (!src || tid <= 0)
		return 0;
	/* task storage is keyed by pidfd: a thread's own needs PIDFD_THREAD (6.9) */
	pfd = syscall(SYS_pidfd_open, tid, PIDFD_THREAD);
	if (pfd < 0)
		pfd = syscall(SYS_pidfd_open, tid, 0);   /* older: thread-group leaders */
	if (pfd < 0)
		return 0;
	err = bpf_map_lookup_elem(bpf_map__fd(to_live(src)->skel->maps.inflight), &pfd, &v);
	close(pfd);
	return err || v.in.call == CALL_NONE ? 0 : v.in.start_ns;
}

bool live_exclude_ipcscope(void)
{
	const char *v = getenv("IPCSCOPE_TRACE_SELF");

	return !(v && *v && strcmp(v, "0"));
}

int live_stack_fd(struct ev_source *src)
{
	return src ? bpf_map__fd(to_live(src)->skel->maps.stacks) : -1;
}

int live_map_fd(struct ev_source *src, const char *name)
{
	struct bpf_map *m;

	if (!src)
		return -1;
	m = bpf_object__find_map_by_name(to_live(src)->skel->obj, name);
	return m ? bpf_map__fd(m) : -1;
}

/* session.stack_ips, live: the BPF stack map. */
static int live_stack_ips(struct session *s, int32_t id, uint64_t *ips, size_t max)
{
	uint64_t v[IPCS_STACK_DEPTH] = { 0 };
	int fd = live_stack_fd(s->src);
	size_t n = 0;

	if (fd < 0 || id < 0)
		return -ENOENT;
	if (bpf_map_lookup_elem(fd, &id, v))
		return -errno;
	while (n < IPCS_STACK_DEPTH && n < max && v[n]) {
		ips[n] = v[n];
		n++;
	}
	return (int)n;
}

static void set_knobs(struct ipcscope_bpf *skel, const struct live_config *cfg, uint32_t rb_size)
{
	const struct common_opts *o = cfg->opts;
	typeof(skel->rodata) r = skel->rodata;

	live_set_filters(r, o, cfg->cmd_pid);

	r->want_calls = cfg->calls;
	r->want_proc = cfg->proc_events;
	r->want_create = cfg->create_ctx;
	r->want_stack = cfg->stack_ids;
	r->want_offcpu = cfg->offcpu;
	r->aggregate = cfg->aggregate;
	/* Each CPU wakes the reader once per its share of an eighth of the
	 * ring (bpf/ipcscope.bpf.c:submit_flags); POLL_MS bounds the rest. */
	{
		int ncpu = libbpf_num_possible_cpus();
		uint64_t w = rb_size / 8 / (ncpu > 0 ? (uint64_t)ncpu : 1);

		r->wakeup_bytes = w < 4096 ? 4096 : w;
	}
}

static int load_error(int err)
{
	show_log_tail(20);
	/* EACCES is the verifier saying no; EPERM is missing privileges */
	if (err == EPERM)
		return errmsg(EX_NOPERM,
			      "needs root (CAP_BPF and CAP_PERFMON) to load its BPF programs: run it with sudo");
	return errmsg(EX_UNAVAILABLE,
		      "the kernel refused the BPF programs (%s)%s",
		      strerror(err), ipcs_verbose ? ": see `ipcscope doctor`" :
		      ": run with -v to see the verifier's last lines");
}

/*
 * The aggregation maps (bpf/ipcscope.bpf.c, `aggregate`): one entry each
 * when unused.  The per-object histograms are per CPU and preallocated:
 * their size is what 64 MiB buys on this machine, between 1024 and 16384
 * objects (a full map is counted, see live_agg_lost()).
 */
static void size_aggregation(struct ipcscope_bpf *skel, bool on)
{
	int ncpus = libbpf_num_possible_cpus();
	uint64_t n;

	if (!on) {
		bpf_map__set_max_entries(skel->maps.obj_hists, 1);
		bpf_map__set_max_entries(skel->maps.holds, 1);
		bpf_map__set_max_entries(skel->maps.sem_epochs, 1);
		bpf_map__set_max_entries(skel->maps.uses, 1);
		return;
	}
	n = (64ull << 20) / ((ncpus > 0 ? (uint64_t)ncpus : 1) * sizeof(struct hist_val));
	n = n < 1024 ? 1024 : n > 16384 ? 16384 : n;
	bpf_map__set_max_entries(skel->maps.obj_hists, (uint32_t)n);
}

/*
 * Open, load and attach the streaming object with one hook mode.  0, or
 * the exit status after a one-line error (none when `quiet`: the caller
 * falls back to another mode).
 */
static int load_attach(struct live_src *ls, const struct live_config *cfg, uint32_t rb_size,
		       bool pid_filter, enum ipcs_hooks mode, bool quiet)
{
	int err;

	ls->hooks = mode;
	ls->skel = ipcscope_bpf__open();
	if (!ls->skel)
		return quiet ? EX_UNAVAILABLE : load_error(errno);
	set_knobs(ls->skel, cfg, rb_size);
	bpf_map__set_max_entries(ls->skel->maps.events, rb_size);
	if (!cfg->stack_ids && !cfg->create_ctx)
		bpf_map__set_max_entries(ls->skel->maps.stacks, 1);
	size_aggregation(ls->skel, cfg->aggregate);
	for (unsigned int i = 0; i < live_nprogs; i++) {
		struct bpf_program *p = bpf_object__find_program_by_name(ls->skel->obj,
									  live_progs[i].prog);

		if (!p)
			return errmsg(EX_SOFTWARE, "BPF program %s missing from the object: rebuild ipcscope",
				      live_progs[i].prog);
		bpf_program__set_autoload(p, prog_needed(&live_progs[i], cfg, pid_filter, mode));
	}
	err = ipcscope_bpf__load(ls->skel);
	if (err)
		return quiet ? EX_UNAVAILABLE : load_error(-err);
	for (unsigned int i = 0; i < live_nprogs; i++) {
		struct bpf_program *p = bpf_object__find_program_by_name(ls->skel->obj,
									  live_progs[i].prog);
		struct bpf_link *l;

		if (!bpf_program__autoload(p))
			continue;
		l = bpf_program__attach(p);
		if (!l) {
			err = errno;
			if (quiet)
				return EX_UNAVAILABLE;
			show_log_tail(5);
			return errmsg(err == EPERM ? EX_NOPERM : EX_UNAVAILABLE,
				      "cannot attach to %s (%s): check `ipcscope doctor`",
				      live_progs[i].hook, strerror(err));
		}
		ls->links[i] = l;
	}
	return 0;
}

struct ev_source *live_open(const struct live_config *cfg, struct ev_bus *bus, int *status)
{
	uint32_t rb_size = cfg->ringbuf_bytes ? cfg->ringbuf_bytes : DEFAULT_RINGBUF;
	bool pid_filter = cfg->opts->pid || cfg->cmd_pid;
	struct live_src *ls;

	*status = live_check_env();
	if (*status)
		return NULL;
	if (live_nprogs > LIVE_MAX_PROGS) {
		*status = errmsg(EX_SOFTWARE, "too many BPF programs for LIVE_MAX_PROGS: rebuild ipcscope");
		return NULL;
	}
	libbpf_set_print(libbpf_print);

	ls = calloc(1, sizeof(*ls));
	if (!ls) {
		*status = errmsg(EX_OSERR, "out of memory: free some memory and retry");
		return NULL;
	}
	{
		enum ipcs_hooks forced = hooks_forced(), mode;
		bool quiet;

		/* fentry is the latency object's; this one has raw and tracepoints */
		mode = forced == HOOKS_TRACEPOINT ? HOOKS_TRACEPOINT : HOOKS_RAW;
		quiet = mode == HOOKS_RAW && forced != HOOKS_RAW;
		*status = load_attach(ls, cfg, rb_size, pid_filter, mode, quiet);
		if (*status && quiet) {
			debugmsg("raw sys_enter/sys_exit hooks refused: using syscall tracepoints");
			unload(ls);
			*status = load_attach(ls, cfg, rb_size, pid_filter, HOOKS_TRACEPOINT, false);
		}
		if (*status)
			goto fail;
		debugmsg("syscalls hooked by %s", hooks_name(ls->hooks));
	}
	if (cfg->opts->pid && live_track_pid(&ls->base, cfg->opts->pid) == 0)
		debugmsg("tracking pid %d and its children", cfg->opts->pid);
	if (cfg->cmd_pid && live_track_pid(&ls->base, cfg->cmd_pid)) {
		*status = errmsg(EX_SOFTWARE, "cannot track the command's pid: run with -v");
		goto fail;
	}
	ls->rb = ring_buffer__new(bpf_map__fd(ls->skel->maps.events), on_sample, ls, NULL);
	if (!ls->rb) {
		*status = errmsg(EX_SOFTWARE, "cannot open the ring buffer (%s): run with -v",
				 strerror(errno));
		goto fail;
	}
	{
		/* Probed with a real load; missing extras are never an error. */
		struct extras_status xst;

		ls->extras = extras_open(cfg->opts, bpf_map__fd(ls->skel->maps.events),
					 pid_filter ? bpf_map__fd(ls->skel->maps.tracked) : -1, &xst);
		if (!ls->extras)
			debugmsg("no kernel-internal hooks: %s", xst.why);
	}
	ls->base.name = "live";
	ls->base.bus = bus;
	ls->base.wait_fd = ring_buffer__epoll_fd(ls->rb);
	ls->base.poll = live_poll;
	ls->base.lost = live_lost;
	ls->base.destroy = live_destroy;
	ls->base.mono_to_real_ns = mono_to_real_offset();
	{
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		ls->base.boot_mono_ns = (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	}
	*status = 0;
	return &ls->base;
fail:
	live_destroy(&ls->base);
	return NULL;
}

/* One program on its own: the slow path, when loading them all failed. */
static int probe_one(const struct prog_row *row, bool attach)
{
	struct ipcscope_bpf *skel = ipcscope_bpf__open();
	struct bpf_program *p, *want;
	struct bpf_link *l;
	int err;

	if (!skel)
		return -errno;
	bpf_map__set_max_entries(skel->maps.events, 64 << 10);
	want = bpf_object__find_program_by_name(skel->obj, row->prog);
	bpf_object__for_each_program(p, skel->obj)
		bpf_program__set_autoload(p, p == want);
	err = want ? ipcscope_bpf__load(skel) : -ENOENT;
	if (!err && attach) {
		l = bpf_program__attach(want);
		err = l ? 0 : -errno;
		bpf_link__destroy(l);
	}
	ipcscope_bpf__destroy(skel);
	return err;
}

/*
 * Fast (doctor runs in well under a second): one load verifies the
 * programs, and tp_btf programs attach and detach in microseconds, so all
 * are attached.  The 24 syscall tracepoint programs are one macro with a
 * different constant each: the first pair is loaded and the first attached
 * for real (a tracepoint's detach waits for a grace period, tens of ms, and
 * their verification is most of the object's load time); the others are
 * checked to exist in tracefs (stage "tracefs").
 */
int live_probe_progs(int *err, const char **stage)
{
	struct bpf_link *links[LIVE_MAX_PROGS] = { 0 };
	struct ipcscope_bpf *skel;
	bool one_tp = false;
	int status = live_check_env(), lerr;

	if (status)
		return status;
	libbpf_set_print(libbpf_print);
	skel = ipcscope_bpf__open();
	if (!skel) {
		lerr = -errno;
		for (unsigned int i = 0; i < live_nprogs; i++) {
			err[i] = lerr;
			stage[i] = "load";
		}
		return 0;
	}
	bpf_map__set_max_entries(skel->maps.events, 64 << 10);
	for (unsigned int i = 0, tps = 0; i < live_nprogs; i++) {
		struct bpf_program *p = bpf_object__find_program_by_name(skel->obj,
									  live_progs[i].prog);

		if (p && live_progs[i].hooks == HOOKS_TRACEPOINT)
			bpf_program__set_autoload(p, tps++ < 2);
	}
	lerr = ipcscope_bpf__load(skel);
	for (unsigned int i = 0; i < live_nprogs; i++) {
		const struct prog_row *row = &live_progs[i];
		struct bpf_program *p;
		bool tp = row->hooks == HOOKS_TRACEPOINT;

		stage[i] = "load";
		if (lerr) {
			/* which one: each on its own */
			err[i] = probe_one(row, !tp || !one_tp);
			if (!err[i])
				stage[i] = "attach";
			one_tp |= tp && !err[i];
			continue;
		}
		p = bpf_object__find_program_by_name(skel->obj, row->prog);
		stage[i] = "attach";
		if (!p) {
			err[i] = -ENOENT;
		} else if (tp && (!bpf_program__autoload(p) || one_tp)) {
			char path[256];

			stage[i] = "tracefs";
			snprintf(path, sizeof(path), "/sys/kernel/tracing/events/%s/id", row->hook);
			if (access(path, R_OK))
				snprintf(path, sizeof(path), "/sys/kernel/debug/tracing/events/%s/id",
					 row->hook);
			err[i] = access(path, R_OK) ? -errno : 0;
		} else {
			links[i] = bpf_program__attach(p);
			err[i] = links[i] ? 0 : -errno;
			one_tp |= tp && !err[i];
		}
	}
	links_destroy(links, live_nprogs);
	ipcscope_bpf__destroy(skel);
	return 0;
}

/* ---------------------------------------------------------------- -- CMD */

static int live_cmd_fork(struct live_cmd *cmd, char **argv)
{
	int go[2], er[2];
	pid_t pid;

	memset(cmd, 0, sizeof(*cmd));
	cmd->go_fd = cmd->err_fd = -1;
	cmd->argv0 = argv[0];
	if (pipe2(go, O_CLOEXEC))
		return -errno;
	if (pipe2(er, O_CLOEXEC)) {
		int e = errno;

		close(go[0]);
		close(go[1]);
		return -e;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(go[0]); close(go[1]); close(er[0]); close(er[1]);
		return -e;
	}
	if (pid == 0) {
		char c;
		ssize_t r;
		int e;

		close(go[1]);
		close(er[0]);
		/* Stay stopped until the parent has added us to the filter. */
		do
			r = read(go[0], &c, 1);
		while (r < 0 && errno == EINTR);
		if (r != 1)
			_exit(EX_SOFTWARE);
		execvp(argv[0], argv);
		e = errno;
		if (write(er[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(e == ENOENT ? 127 : 126);
	}
	close(go[0]);
	close(er[1]);
	cmd->pid = pid;
	cmd->go_fd = go[1];
	cmd->err_fd = er[0];
	return 0;
}

static void cmd_reap(struct live_cmd *cmd, int flags)
{
	int st;

	if (cmd->exited || cmd->pid <= 0)
		return;
	if (waitpid(cmd->pid, &st, flags) == cmd->pid) {
		cmd->status = st;
		cmd->exited = true;
	}
}

static int live_cmd_start(struct live_cmd *cmd)
{
	char c = 1;
	ssize_t r;
	int e = 0;

	r = write(cmd->go_fd, &c, 1);
	close(cmd->go_fd);
	cmd->go_fd = -1;
	if (r != 1) {
		e = errno;
		cmd_reap(cmd, 0);
		return errmsg(EX_OSERR, "cannot start '%s': %s", cmd->argv0, strerror(e));
	}
	/* The error pipe closes on a successful exec, or carries its errno. */
	do
		r = read(cmd->err_fd, &e, sizeof(e));
	while (r < 0 && errno == EINTR);
	close(cmd->err_fd);
	cmd->err_fd = -1;
	if (r == sizeof(e)) {
		cmd_reap(cmd, 0);
		return errmsg(e == ENOENT ? 127 : 126, "cannot execute '%s': %s: check the command's path and permissions",
			      cmd->argv0, strerror(e));
	}
	return 0;
}

/* Never started (e.g. the source failed to open): the child exits unexecuted, reaped. */
static void live_cmd_abort(struct live_cmd *cmd)
{
	if (cmd->go_fd >= 0)
		close(cmd->go_fd);
	if (cmd->err_fd >= 0)
		close(cmd->err_fd);
	cmd->go_fd = cmd->err_fd = -1;
	cmd_reap(cmd, 0);
}

/* CMD's status as ipcscope's exit status: its exit code, or 128 + signal. */
static int live_cmd_exit_status(const struct live_cmd *cmd)
{
	if (!cmd->exited)
		return 0;
	if (WIFEXITED(cmd->status))
		return WEXITSTATUS(cmd->status);
	if (WIFSIGNALED(cmd->status))
		return 128 + WTERMSIG(cmd->status);
	return EX_SOFTWARE;
}

/* --------------------------------------------------------------- run loop */

volatile sig_atomic_t ipcs_exiting;

static void on_signal(int sig)
{
	ipcs_exiting = sig;
}

static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };   /* no SA_RESTART */

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* A tick's or input's result: 1 to stop the loop (ret set), else 0. */
static int step_result(struct run_loop *rl, int r, int *ret)
{
	if (r == RUN_STOP) {
		rl->stopped = true;
		*ret = 0;
		return 1;
	}
	*ret = r;
	return r != 0;
}

int run_loop(struct run_loop *rl)
{
	struct ev_source *src = rl->src;
	uint64_t t = mono_now_ns(), end = 0, next_tick = 0, step = 0;
	int pidfd = -1, ret = 0, n;

	catch_signals();
	rl->stopped = false;
	if (rl->duration > 0)
		end = t + (uint64_t)(rl->duration * 1e9);
	if (rl->tick && rl->interval > 0) {
		step = (uint64_t)(rl->interval * 1e9);
		next_tick = t + step;
	}
	if (rl->cmd && !rl->cmd->exited)
		pidfd = syscall(SYS_pidfd_open, rl->cmd->pid, 0);
	if (rl->tick && rl->tick_at_start && step_result(rl, rl->tick(rl->ctx), &ret))
		goto out;

	while (!ipcs_exiting) {
		/* a negative fd is ignored by poll(): no events, no pidfd, no input */
		struct pollfd fds[3] = {
			{ .fd = src ? src->wait_fd : -1, .events = POLLIN },
			{ .fd = pidfd, .events = POLLIN },
			{ .fd = rl->input ? rl->input_fd : -1, .events = POLLIN },
		};
		uint64_t wait = POLL_MS * 1000000ull;

		if (end)
			wait = end > t ? (end - t < wait ? end - t : wait) : 0;
		if (next_tick)
			wait = next_tick > t ? (next_tick - t < wait ? next_tick - t : wait) : 0;
		poll(fds, 3, (int)((wait + 999999) / 1000000));

		n = src ? src->poll(src, 0) : 0;
		if (src && src->sink_status) {
			ret = src->sink_status;
			break;
		}
		if (n < 0) {
			ret = errmsg(EX_SOFTWARE, "reading the %s source failed: %s: run with -v",
				     src->name, strerror(-n));
			break;
		}
		if (rl->cmd) {
			cmd_reap(rl->cmd, WNOHANG);
			if (rl->cmd->exited)
				break;
		}
		if (rl->input && step_result(rl, rl->input(rl->ctx), &ret))
			break;
		t = mono_now_ns();
		if (next_tick && t >= next_tick) {
			if (step_result(rl, rl->tick(rl->ctx), &ret))
				break;
			while (next_tick <= t)
				next_tick += step;
		}
		if (end && t >= end)
			break;
	}
out:
	/* Everything the source already holds belongs to the run. */
	if (src && !src->sink_status)
		src->poll(src, 0);
	if (src && !ret && src->sink_status)
		ret = src->sink_status;
	if (pidfd >= 0)
		close(pidfd);
	return ret;
}

/* ---------------------------------------------------------------- session */

static int live_snapshot_now(struct session *s, struct ipc_snapshot *out)
{
	return snapshot_read(out, SNAP_ALL | SNAP_SEMVALS);
}

/*
 * A creator's facts are read from /proc at its first creation, then at most
 * once a second: a process creating 100 k objects a second would otherwise
 * read its maps, cmdline and status 100 k times a second and the reader
 * would fall behind (record lost 20 % of a shm churn's events).  Exec
 * recaptures at once; perf's mmap records (mmaptrack) keep maps current in
 * between where they are available.
 */
#define META_REFRESH_NS 1000000000ull

static bool stale_meta(const struct procmeta_cache *c, const struct ev_hdr *ev)
{
	const struct proc_meta *m = procmeta_get(c, ev->pid);

	return !m || !m->nmaps || !m->captured_ns ||
	       ev->ts_ns >= m->captured_ns + META_REFRESH_NS;
}

/* Capture process facts while the process still exists. */
static int procmeta_sink(void *ctx, const struct ev_hdr *ev)
{
	struct session *s = ctx;

	if (!s->procs)
		return 0;
	session_procs_refresh(s);
	/* Without perf's records, the exec event is what ends the old image. */
	if (ev->type == EV_EXEC && !s->mt)
		procmeta_end_image(s->procs, ev->pid, ev->ts_ns);
	if (ev->type == EV_EXEC || (ev->type == EV_CREATE && stale_meta(s->procs, ev)))
		procmeta_capture(s->procs, ev->pid);
	else if (ev->type == EV_EXIT)
		procmeta_mark_exit(s->procs, ev->pid, ev->ts_ns);
	return 0;
}

static void session_init(struct session *s, struct ev_source *src, bool start_snapshot,
			 bool proc_meta)
{
	s->src = src;
	s->live = true;
	s->mono_to_real_ns = src->mono_to_real_ns;
	s->ipcns = self_ipcns();
	s->snapshot_now = live_snapshot_now;
	if (start_snapshot)
		s->start = calloc(1, sizeof(*s->start));
	if (s->start && snapshot_read(s->start, SNAP_ALL | SNAP_SEMVALS)) {
		warnmsg("cannot read the IPC tables at start: carrying on without them");
		snapshot_free(s->start);
		free(s->start);
		s->start = NULL;
	}
	if (!proc_meta)
		return;
	s->procs = procmeta_new();
	if (s->procs)
		ev_bus_add(&s->bus, procmeta_sink, s);
}

int live_session_init(struct session *s, struct ev_source *src, bool start_snapshot)
{
	session_init(s, src, start_snapshot, true);
	return 0;
}

struct ev_source *live_session_open(struct session *s, const struct live_config *cfg,
				    int *status)
{
	struct ev_source *src;

	memset(s, 0, sizeof(*s));
	ev_bus_init(&s->bus);
	src = live_open(cfg, &s->bus, status);
	if (!src)
		return NULL;
	session_init(s, src, !cfg->no_start_snapshot, !cfg->no_proc_meta);
	s->stack_ips = live_stack_ips;
	if (cfg->create_ctx && s->procs) {
		int err = 0;

		s->mt = mmaptrack_open(&err);
		if (!s->mt)
			warnmsg("cannot follow mappings with perf (%s): stacks of processes "
				"that exit at once may show one frame", strerror(-err));
	}
	return src;
}

void live_session_tables_only(struct session *s)
{
	memset(s, 0, sizeof(*s));
	ev_bus_init(&s->bus);
	s->live = true;
	s->ipcns = self_ipcns();
	s->snapshot_now = live_snapshot_now;
}

void session_fini(struct session *s)
{
	if (s->src && s->src->destroy)
		s->src->destroy(s->src);
	s->src = NULL;
	if (s->start)
		snapshot_free(s->start);
	free(s->start);
	if (s->end)
		snapshot_free(s->end);
	free(s->end);
	s->start = s->end = NULL;
	mmaptrack_close(s->mt);
	s->mt = NULL;
	if (s->procs)
		procmeta_free(s->procs);
	s->procs = NULL;
}

/* ----------------------------------------------------------- -- CMD runs */

struct ev_source *live_command_open_src(struct session *s, const struct common_opts *o,
					live_open_fn open, void *ctx, struct live_cmd *cmd,
					struct run_loop *rl, int *status)
{
	struct ev_source *src;
	int err;

	rl->cmd = NULL;
	if (o->cmd_argv) {
		err = live_cmd_fork(cmd, o->cmd_argv);
		if (err) {
			*status = errmsg(EX_OSERR, "cannot fork: %s", strerror(-err));
			return NULL;
		}
		rl->cmd = cmd;
	}
	src = open(s, rl->cmd ? cmd->pid : 0, ctx, status);
	if (!src) {
		if (rl->cmd)
			live_cmd_abort(cmd);
		rl->cmd = NULL;
		return NULL;
	}
	/*
	 * Attached: the readiness line may follow at once, so a SIGINT from
	 * here on must end the run cleanly (run_loop sees ipcs_exiting), not
	 * kill us before run_loop would have caught it.
	 */
	catch_signals();
	return src;
}

/* live_open_fn of the ring buffer: ctx is the live_config. */
static struct ev_source *open_ring(struct session *s, pid_t cmd_pid, void *ctx, int *status)
{
	struct live_config *cfg = ctx;

	if (cmd_pid)
		cfg->cmd_pid = cmd_pid;
	return live_session_open(s, cfg, status);
}

struct ev_source *live_command_open(struct session *s, struct live_config *cfg,
				    struct live_cmd *cmd, struct run_loop *rl, int *status)
{
	return live_command_open_src(s, cfg->opts, open_ring, cfg, cmd, rl, status);
}

int live_command_start(struct run_loop *rl)
{
	return rl->cmd ? live_cmd_start(rl->cmd) : 0;
}

int live_command_status(const struct run_loop *rl, int dflt)
{
	if (!rl->cmd)
		return dflt;
	if (rl->cmd->exited)
		return live_cmd_exit_status(rl->cmd);
	if (ipcs_exiting)
		return 128 + ipcs_exiting;
	/* -d (or a tick) ended first: the command is the user's, leave it running and say so. */
	warnmsg("%s before '%s' (pid %d) exited: it is still running, untraced",
		rl->stopped ? "the count was reached" : "-d ended", rl->cmd->argv0, (int)rl->cmd->pid);
	return dflt;
}

/* The one stop flag (ipcs_exiting): every command that loops watches it. */
void live_catch_signals(void)
{
	catch_signals();
}
