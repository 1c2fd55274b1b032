// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The one table of BPF programs (see progs.h).  Per-syscall rows come from
 * the X-macro of bpf/syscalls.h, so the twelve calls are not listed here.
 */
#include <string.h>

#include "events.h"
#include "source/attach.h"
#include "source/progs.h"

#define S PROG_OBJ_STREAM
#define L PROG_OBJ_LATENCY
#define X PROG_OBJ_EXTRAS

/* streaming: per-syscall tracepoints */
#define STREAM_TP(name, NAME, KIND, NARGS)                                        \
	{ S, "enter_" #name, "syscalls/sys_enter_" #name, MECH_TRACEPOINT,        \
	  PROG_NEED_SYSCALL, HOOKS_TRACEPOINT, KIND_##KIND },                     \
	{ S, "exit_" #name, "syscalls/sys_exit_" #name, MECH_TRACEPOINT,          \
	  PROG_NEED_SYSCALL, HOOKS_TRACEPOINT, KIND_##KIND },

#define STREAM_ROWS                                                               \
	IPCS_SYSCALLS(STREAM_TP)                                                  \
	{ S, "raw_enter", "tp_btf/sys_enter", MECH_TP_BTF, PROG_NEED_SYSCALL, HOOKS_RAW, 0 }, \
	{ S, "raw_exit", "tp_btf/sys_exit", MECH_TP_BTF, PROG_NEED_SYSCALL, HOOKS_RAW, 0 },  \
	{ S, "sched_fork", "tp_btf/sched_process_fork", MECH_TP_BTF, PROG_NEED_PID, 0, 0 }, \
	{ S, "sched_exit", "tp_btf/sched_process_exit", MECH_TP_BTF, PROG_NEED_ALWAYS, 0, 0 }, \
	{ S, "sched_exec", "tp_btf/sched_process_exec", MECH_TP_BTF, PROG_NEED_PROC, 0, 0 }, \
	{ S, "sched_switch", "tp_btf/sched_switch", MECH_TP_BTF, PROG_NEED_OFFCPU, 0, 0 },

/* latency: per-syscall tracepoints and fentry/fexit */
#define LAT_SC(name, NAME, KIND, NARGS)                                           \
	{ L, "lat_enter_" #name, "syscalls/sys_enter_" #name, MECH_TRACEPOINT,    \
	  PROG_NEED_SYSCALL, HOOKS_TRACEPOINT, KIND_##KIND },                     \
	{ L, "lat_exit_" #name, "syscalls/sys_exit_" #name, MECH_TRACEPOINT,      \
	  PROG_NEED_SYSCALL, HOOKS_TRACEPOINT, KIND_##KIND },                     \
	{ L, "lat_fentry_" #name, "fentry/" IPCS_ARCH_SYS_PREFIX #name, MECH_FENTRY, \
	  PROG_NEED_SYSCALL, HOOKS_FENTRY, KIND_##KIND },                         \
	{ L, "lat_fexit_" #name, "fexit/" IPCS_ARCH_SYS_PREFIX #name, MECH_FENTRY, \
	  PROG_NEED_SYSCALL, HOOKS_FENTRY, KIND_##KIND },

/* extras: each kernel-internal hook as fentry/fexit and as kprobe */
#define EXTRA(fe, fe_sec, kp, kp_sec)                                             \
	{ X, fe, fe_sec, MECH_FENTRY, PROG_NEED_KOBJ, 0, 0 },                     \
	{ X, kp, kp_sec, MECH_KPROBE, PROG_NEED_KOBJ, 0, 0 },

static const struct prog_row stream_rows[] = { STREAM_ROWS };

const struct prog_row prog_table[] = {
	STREAM_ROWS
	IPCS_SYSCALLS(LAT_SC)
	{ L, "lat_raw_enter", "tp_btf/sys_enter", MECH_TP_BTF, PROG_NEED_SYSCALL, HOOKS_RAW, 0 },
	{ L, "lat_raw_exit", "tp_btf/sys_exit", MECH_TP_BTF, PROG_NEED_SYSCALL, HOOKS_RAW, 0 },
	{ L, "lat_switch", "tp_btf/sched_switch", MECH_TP_BTF, PROG_NEED_OFFCPU, 0, 0 },
	{ L, "lat_fork", "tp_btf/sched_process_fork", MECH_TP_BTF, PROG_NEED_PID, 0, 0 },
	{ L, "lat_exit", "tp_btf/sched_process_exit", MECH_TP_BTF, PROG_NEED_PID, 0, 0 },

	EXTRA("fexit_newseg", "fexit/newseg", "kprobe_newseg", "kprobe/newseg")
	{ X, "kretprobe_newseg", "kretprobe/newseg", MECH_KPROBE, PROG_NEED_KOBJ, 0, 0 },
	EXTRA("fexit_newary", "fexit/newary", "kprobe_newary", "kprobe/newary")
	{ X, "kretprobe_newary", "kretprobe/newary", MECH_KPROBE, PROG_NEED_KOBJ, 0, 0 },
	EXTRA("fexit_newque", "fexit/newque", "kprobe_newque", "kprobe/newque")
	{ X, "kretprobe_newque", "kretprobe/newque", MECH_KPROBE, PROG_NEED_KOBJ, 0, 0 },
	EXTRA("fentry_shm_destroy", "fentry/shm_destroy", "kprobe_shm_destroy", "kprobe/shm_destroy")
	EXTRA("fentry_freeary", "fentry/freeary", "kprobe_freeary", "kprobe/freeary")
	EXTRA("fentry_freeque", "fentry/freeque", "kprobe_freeque", "kprobe/freeque")
	EXTRA("fentry_exit_sem", "fentry/exit_sem", "kprobe_exit_sem", "kprobe/exit_sem")
	/* the pid filter's upkeep when no streaming object keeps `tracked` */
	{ X, "kobj_fork", "tp_btf/sched_process_fork", MECH_TP_BTF, PROG_NEED_PID, 0, 0 },
	{ X, "kobj_exit", "tp_btf/sched_process_exit", MECH_TP_BTF, PROG_NEED_PID, 0, 0 },
};
const unsigned int prog_table_n = sizeof(prog_table) / sizeof(prog_table[0]);

const struct prog_row *const live_progs = prog_table;
const unsigned int live_nprogs = sizeof(stream_rows) / sizeof(stream_rows[0]);

const struct prog_row *prog_row_of(enum prog_obj obj, const char *prog)
{
	for (unsigned int i = 0; i < prog_table_n; i++)
		if (prog_table[i].obj == obj && !strcmp(prog_table[i].prog, prog))
			return &prog_table[i];
	return NULL;
}

const char *prog_mech_name(enum prog_mech m)
{
	switch (m) {
	case MECH_TRACEPOINT: return "tracepoint";
	case MECH_TP_BTF:     return "tp_btf";
	case MECH_FENTRY:     return "fentry";
	case MECH_KPROBE:     return "kprobe";
	}
	return "?";
}
