/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Formatting of one event record (bpf/events.h) as an strace-like text line
 * or as one JSON object.  Shared by `trace`, `report FILE trace` and
 * `export --format jsonl`: pure functions of the record's bytes.
 *
 * JSON keys of an EV_CALL object (scripts rely on them):
 *   event ("call"), ts_ns, call, kind, id, key (null unless *get), pid, tid,
 *   ppid, comm, uid, gid, ipcns, cgroup_id, ret (-1 on error, as libc
 *   returns it), errno (0 or "EIDRM"...; a call a signal interrupted has
 *   interrupted: true, signal ("SIGALRM"), outcome "eintr" (errno "EINTR")
 *   | "restarted" | "killed" (ret and errno null), or, in recordings that
 *   lack it, restart: "no_handler" | "always" | "no_handler_or_sa_restart"),
 *   lat_ns, and per call: sops [{num, op, flg (unsigned)}], nsops,
 *   sops_truncated, sops_unreadable, timeout_ns, timeout_unreadable, size,
 *   mtype (null with mtype_unreadable when msgsnd's buffer could not be
 *   read), received_mtype (msgrcv), flags, cmd, semnum, addr, shmaddr
 *   (shmat: the address asked for), id_from_addr, offcpu_ns, stack_id.
 *   Keys are unsigned numbers.
 * Process events: event ("fork"|"exec"|"exit"), ts_ns, pid, tid, ppid, comm,
 * uid, ipcns, and child_pid | filename | exit_code.
 * Kernel-internal events (extras): event ("kobj"), op ("create"|"destroy"|
 * "undo_exit"), kind, id, key, size, and for undo_exit semnum, semadj; ipcns
 * is the object's namespace.
 */
#ifndef IPCS_TRACE_FMT_H
#define IPCS_TRACE_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "event.h"
#include "view/jsonw.h"

/*
 * The arguments of a call as strace would show them, without the name or
 * the parentheses: e.g. "5, [{0, -1, SEM_UNDO}], 1".  Returns the length
 * that would have been written (snprintf-style).
 */
int trace_fmt_args(char *buf, size_t len, const struct ev_call *e);

/*
 * A call a signal interrupted (the kernel's restart codes ERESTARTSYS 512 ..
 * ERESTART_RESTARTBLOCK 516, which no program sees) as what the program
 * saw: `seen` is "EINTR" or NULL (no return: restarted or killed),
 * `outcome` "eintr" | "restarted" | "killed" from ev_call.intr, or NULL
 * when not recorded, and then `restart` says when the kernel restarts the
 * call instead ("no_handler", ...); `signal` is "SIGALRM" or NULL; `text`
 * says it in words.  False for any other call.
 */
struct trace_intr {
	const char *seen, *outcome, *restart, *signal, *text;
	char sigbuf[16];
};
bool trace_fmt_intr(const struct ev_call *e, struct trace_intr *out);

/* The result: "3", "0x7f1234560000", "-1 EIDRM (Identifier removed)",
 * "-1 EINTR (Interrupted system call) <interrupted by a signal: ...>". */
int trace_fmt_result(char *buf, size_t len, const struct ev_call *e);

/* Flag words, e.g. "IPC_CREAT|IPC_EXCL|0600", "SEM_UNDO|IPC_NOWAIT". */
int trace_fmt_get_flags(char *buf, size_t len, unsigned int call, uint32_t flags);
int trace_fmt_sem_flg(char *buf, size_t len, int flg);

/*
 * One text line (with '\n') for a record: calls, fork/exec/exit and
 * creation context; other types are skipped.  mono_to_real_ns converts the
 * timestamp to wall-clock time.  Returns 1 if a line was written, else 0.
 */
int trace_fmt_text(FILE *f, const struct ev_hdr *ev, int64_t mono_to_real_ns);

/*
 * One JSON object (no trailing newline: call jsonw_eol for JSON Lines).
 * Returns 1 if an object was written, 0 for a type it does not know.
 */
int trace_fmt_json(struct jsonw *w, const struct ev_hdr *ev);

#endif
