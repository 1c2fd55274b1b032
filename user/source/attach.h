/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Source helpers shared by every BPF loader (live.c, latency_src.c,
 * extras.c): detaching many links at once, and cheap probes of which hook
 * mechanisms this kernel allows, each done at most once per process.
 *
 * Why: closing a perf tracepoint link waits for RCU grace periods
 * (tracepoint_synchronize_unregister), 15-130 ms each; 24 of them one after
 * another were most of a short run's wall time.  Closed from threads, the
 * waits overlap.  And a full object load that the kernel then refuses
 * (fentry under lockdown, kprobes not built in) costs 50-150 ms of verifier
 * and BTF work that a one-instruction probe avoids.
 */
#ifndef IPCS_ATTACH_H
#define IPCS_ATTACH_H

#include <stdbool.h>

struct bpf_link;
struct btf;

/*
 * How the IPC syscalls are hooked (docs/performance.md compares them):
 *   HOOKS_TRACEPOINT  syscalls:sys_enter_<name>/sys_exit_<name>, 24 links
 *   HOOKS_RAW         tp_btf sys_enter/sys_exit, 2 links, every syscall runs
 *                     the program (number test first); sees 32-bit callers
 *   HOOKS_FENTRY      fentry/fexit on the syscall functions (latency object
 *                     only; refused on many kernels)
 */
enum ipcs_hooks { HOOKS_AUTO = 0, HOOKS_TRACEPOINT, HOOKS_RAW, HOOKS_FENTRY };

const char *hooks_name(enum ipcs_hooks h);
/*
 * The mode forced by IPCSCOPE_HOOKS=tracepoint|raw|fentry (HOOKS_AUTO when
 * unset or "auto"; an unknown value warns once and means auto).
 */
enum ipcs_hooks hooks_forced(void);

/*
 * The kernel's BTF, parsed once per process (80-120 ms each time): owned
 * here, never freed by callers.  NULL with errno set if unreadable.
 */
struct btf *hooks_vmlinux_btf(void);

/* Destroy links[0..n) concurrently (NULLs skipped); sets them to NULL. */
void links_destroy(struct bpf_link **links, int n);

/*
 * May fentry/fexit programs load and attach here?  0 or -errno of a
 * one-instruction fentry program on a syscall function; cached.
 */
int hooks_fentry_probe(void);
/*
 * Can a 32-bit (i386) program run here?  0 if an exec of a minimal i386 ELF
 * from a memfd exits as it should, else -errno; cached.  fentry on the
 * x86_64 syscall functions never sees such a program's calls.
 */
int hooks_ia32_probe(void);
/* Are kprobes available (a kprobe PMU or tracefs kprobe_events)? 0 or -errno. */
int hooks_kprobe_probe(void);

#endif
