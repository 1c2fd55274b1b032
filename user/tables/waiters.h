/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Threads blocked in an IPC call right now, from /proc/PID/task/TID/syscall
 * (the syscall number and arguments of a sleeping thread); a blocked semop's
 * sembuf array is read from the process with process_vm_readv.  This finds
 * waiters that blocked before ipcscope started.
 */
#ifndef IPCS_WAITERS_H
#define IPCS_WAITERS_H

#include <stddef.h>
#include <stdint.h>

#include "tables/waitfacts.h"

/*
 * Scan every thread in IPC namespace `ipcns` (0 = all) through /proc; adds
 * to f.  Returns count or -errno.  Costs a few file reads per thread of the
 * host: the fallback of tables/waitscan.h when its task iterator is
 * unavailable.
 */
int waiters_scan(uint32_t ipcns, struct wait_facts *f);
/* The sembufs of blocked semop w at user address addr (nops 0 when unreadable). */
void waiters_read_sops(struct wg_waiter *w, uint64_t addr);
/* Parse one syscall file's text into w (unit-tested).  0, or -EAGAIN when not an IPC wait. */
int waiters_parse_syscall(const char *text, struct wg_waiter *w, uint64_t *sops_addr);

#endif
