/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Switching this process into another IPC namespace (clean, restore). */
#ifndef IPCS_IPCNS_H
#define IPCS_IPCNS_H

/*
 * Enter the IPC namespace named by --ipcns (a PID, or a namespace inode
 * found through any process living in it).  0 or -errno.
 */
int ipcns_enter(const char *arg);
/*
 * The same for a command's --ipcns: 0, or the exit status after a one-line
 * error (77 without CAP_SYS_ADMIN, 64 for a PID or inode that names none).
 */
int ipcns_enter_arg(const char *arg);

#endif
