// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bench/floor [-s] -- CMD ARGS...: attach the empty programs of
 * bench/floor.bpf.c, run CMD, detach, exit with CMD's status.
 * -s: the syscall tracepoints only (no sched_switch/fork/exit).
 * -r: the raw sys_enter/sys_exit hooks instead of the 24 syscall tracepoints.
 * -c: the lower bound instead of empty programs (semtimedop only, with -s):
 *     two clock reads, one per-CPU slot, one sum per call (lb_* programs).
 * -C, -M: (with -c) only the lower bound's two clock reads, or only its
 *     slot and sum: which part of it costs what.
 * The benchmark's "floor" configuration: the cost of the hooks alone.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "floor.skel.h"

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

int main(int argc, char **argv)
{
	struct floor_bpf *skel;
	bool syscalls_only = false, raw = false, lower = false;
	int part = 0;
	struct bpf_program *p;
	int arg = 1, status;
	pid_t pid;

	if (arg < argc && !strcmp(argv[arg], "-s")) {
		syscalls_only = true;
		arg++;
	}
	if (arg < argc && !strcmp(argv[arg], "-r")) {
		raw = true;
		arg++;
	}
	if (arg < argc && !strcmp(argv[arg], "-c")) {
		lower = true;
		arg++;
	}
	if (arg < argc && (!strcmp(argv[arg], "-C") || !strcmp(argv[arg], "-M"))) {
		part = argv[arg][1] == 'C' ? 1 : 2;
		arg++;
	}
	if (arg < argc && !strcmp(argv[arg], "--"))
		arg++;
	if (arg >= argc) {
		fprintf(stderr, "usage: floor [-s] [-r] [-c [-C|-M]] -- CMD [ARGS...]\n");
		return 64;
	}
	libbpf_set_print(quiet);
	skel = floor_bpf__open();
	if (!skel) {
		fprintf(stderr, "floor: cannot open the BPF object: %s\n", strerror(errno));
		return 69;
	}
	skel->rodata->lb_part = part;
	if (syscalls_only) {
		bpf_program__set_autoload(skel->progs.floor_switch, false);
		bpf_program__set_autoload(skel->progs.floor_fork, false);
		bpf_program__set_autoload(skel->progs.floor_exit, false);
	}
	bpf_object__for_each_program(p, skel->obj) {
		const char *sec = bpf_program__section_name(p);
		bool is_raw = !strcmp(sec, "tp_btf/sys_enter") || !strcmp(sec, "tp_btf/sys_exit");
		bool is_lb = !strncmp(bpf_program__name(p), "lb_", 3);

		if (is_raw || !strncmp(sec, "tracepoint/", 11))
			bpf_program__set_autoload(p, is_raw == raw && is_lb == lower);
	}
	if (floor_bpf__load(skel) || floor_bpf__attach(skel)) {
		fprintf(stderr, "floor: cannot load or attach: %s: run as root\n", strerror(errno));
		floor_bpf__destroy(skel);
		return 69;
	}
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "floor: fork: %s\n", strerror(errno));
		floor_bpf__destroy(skel);
		return 71;
	}
	if (pid == 0) {
		execvp(argv[arg], argv + arg);
		fprintf(stderr, "floor: cannot execute '%s': %s\n", argv[arg], strerror(errno));
		_exit(127);
	}
	/* the lower bound times the command's calls only (the parent's write:
	 * the child shares the mapping until it execs) */
	skel->bss->lb_tgid = (__u32)pid;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	floor_bpf__destroy(skel);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
