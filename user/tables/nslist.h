/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Table reader: the IPC namespaces that exist now, one living process in
 * each (to enter them: source/nsread.h).  With BPF, a task iterator
 * (bpf/ipcns_iter.bpf.c) walks the tasks in the kernel, a few loads each;
 * without, every /proc/PID/ns/ipc is stat()ed.  Commands that list
 * namespaces at every refresh (top and metrics --all-namespaces) keep one
 * lister open, so their cost does not grow with the host's process count.
 */
#ifndef IPCS_NSLIST_H
#define IPCS_NSLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ipcns_entry {
	uint32_t inode;
	int32_t pid;        /* one process living in it */
	char comm[16];
};

struct nslist;

/*
 * A lister; with `bpf`, the task iterator when it loads (root, BTF) and
 * this process sees the host's pids, else /proc.  NULL only when out of
 * memory.
 */
struct nslist *nslist_open(bool bpf);
/* Every distinct namespace, sorted by inode (malloc'd).  0 or -errno. */
int nslist_read(struct nslist *l, struct ipcns_entry **out, size_t *n);
/* "task iterator" or "/proc" (for --verbose). */
const char *nslist_method(const struct nslist *l);
void nslist_close(struct nslist *l);

/* One reading from /proc, for one-shot commands. */
int ipcns_list(struct ipcns_entry **out, size_t *n);

/*
 * Sort v[0..*n) by inode and keep the first entry of each (the reading's
 * order: the iterator's is the kernel's task order).  Pure; for the tests.
 */
void ipcns_entries_unique(struct ipcns_entry *v, size_t *n);

#endif
