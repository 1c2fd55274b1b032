/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Removing one leak candidate safely: re-check it right before IPC_RMID
 * (same key and ctime as in the tables, shm not attached, no semaphore
 * waiters, queue unchanged while it was saved), save it first if asked.
 */
#ifndef IPCS_IPCREMOVE_H
#define IPCS_IPCREMOVE_H

#include <stddef.h>

#include "analysis/leaks.h"
#include "action/ipcsave.h"

/*
 * 0 when removed (and saved, with `save`); -1 when skipped, with the
 * reason in `why` (a short phrase: "attached now (nattch 1)").
 */
int ipc_remove_checked(const struct leak *k, struct ipcsave *save, char *why, size_t len);

#endif
