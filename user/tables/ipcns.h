/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Switching this process into another IPC namespace (clean, restore). */
#ifndef IPCS_IPCNS_H
#define IPCS_IPCNS_H

/*
 * Enter the IPC namespace named by --ipcns (a PID, or a namespace inode
 * found through any process living in it).  0 or -errno.
 */
int ipcns_enter(const char *arg);

#endif
