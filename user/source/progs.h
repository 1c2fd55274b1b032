/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one table of BPF programs (source layer): which program of which
 * object (bpf/ipcscope.bpf.c streaming, bpf/latency.bpf.c, bpf/extras.bpf.c)
 * loads for which command and kernel.  Every loader (live.c, latency_src.c,
 * extras.c) sets autoload from it and doctor lists it; nothing decides from
 * section names.  A new hook is a row here plus its program.
 */
#ifndef IPCS_PROGS_H
#define IPCS_PROGS_H

#include <stdbool.h>

enum prog_obj { PROG_OBJ_STREAM, PROG_OBJ_LATENCY, PROG_OBJ_EXTRAS };

/* The kernel mechanism: what a kernel may refuse. */
enum prog_mech { MECH_TRACEPOINT, MECH_TP_BTF, MECH_FENTRY, MECH_KPROBE };

/* When a row loads. */
enum prog_need {
	PROG_NEED_SYSCALL,   /* a syscall hook: in its hook mode, unless -t excludes its kind */
	PROG_NEED_PID,       /* fork/exit: -p, -- CMD, or process events */
	PROG_NEED_PROC,      /* exec: process events */
	PROG_NEED_OFFCPU,    /* sched_switch: the off-CPU split */
	PROG_NEED_ALWAYS,    /* streaming exit: also drops exited threads from `inflight` */
	PROG_NEED_KOBJ,      /* extras: a kernel-internal hook, in the extras' mechanism */
};

struct prog_row {
	enum prog_obj obj;
	const char *prog;    /* program name in the object */
	const char *hook;    /* "syscalls/sys_enter_semop", "tp_btf/sched_switch", "fentry/newseg" */
	enum prog_mech mech;
	enum prog_need need;
	int hooks;           /* PROG_NEED_SYSCALL: the enum ipcs_hooks mode it belongs to */
	unsigned int kind;   /* KIND_* of a per-syscall hook; 0 for the raw hooks and others */
};

extern const struct prog_row prog_table[];
extern const unsigned int prog_table_n;

/* The streaming object's rows: the first live_nprogs of prog_table. */
extern const struct prog_row *const live_progs;
extern const unsigned int live_nprogs;

/* The row of a program (NULL: not in the table, a build mismatch). */
const struct prog_row *prog_row_of(enum prog_obj obj, const char *prog);
/* "tracepoint", "tp_btf", "fentry", "kprobe" */
const char *prog_mech_name(enum prog_mech m);

#endif
