/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Reading a BPF iterator's output as fixed-size records: the task
 * iterators of bpf/waiters_iter.bpf.c (struct waiter_rec), undo_iter
 * (struct undo_rec) and ipcns_iter (struct ipcns_rec).  A read() may end
 * inside a record; the record is handed on once whole.  The kernel may show
 * an object again after its record did not fit in the read buffer, so a
 * program that keeps state between objects (ipcns_iter's `seen`) records
 * it only once bpf_seq_write() succeeded.
 */
#ifndef IPCS_ITERREAD_H
#define IPCS_ITERREAD_H

#include <stddef.h>

struct bpf_link;

/*
 * Start a reading of the iterator `link` and call each(rec, ctx) for every
 * record of `size` bytes (read into `rec`, the caller's buffer), in order,
 * until `each` returns nonzero (returned).  0 or -errno.
 */
int iter_each_record(struct bpf_link *link, void *rec, size_t size,
		     int (*each)(const void *rec, void *ctx), void *ctx);

#endif
