/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Saving System V objects before `clean` removes them, and recreating them
 * (`restore`).  A save directory holds manifest.json plus one data file per
 * shm segment (its bytes) and per queue (its messages).
 *
 *   manifest.json  {"version": 1, "saved_at": S, "objects": [{"kind",
 *                  "id", "key", "mode", "uid", "gid", "cuid", "cgid",
 *                  "size" (shm) | "nsems", "values" (sem) | "qbytes",
 *                  "messages" (msg), "file", "reason", "creator": {...}}]}
 *   shm-ID.bin     the segment's bytes
 *   msg-ID.bin     per message: u64 mtype, u64 length, body (host order)
 *
 * Queues are read with msgrcv(MSG_COPY), which copies a message by position
 * and leaves the queue as it was (needs CONFIG_CHECKPOINT_RESTORE).  Without
 * it the only way to read a message is to take it, so the messages are then
 * taken only when the queue is about to be removed anyway, and sent back if
 * anything fails before the removal.
 */
#ifndef IPCS_IPCSAVE_H
#define IPCS_IPCSAVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analysis/leaks.h"

#define IPCSAVE_MANIFEST "manifest.json"

struct ipcsave;

/* Create DIR (or use an empty one).  0 or -errno (-EEXIST: holds a manifest). */
int ipcsave_open(struct ipcsave **out, const char *dir);
/*
 * Save one object while it still exists.  shm: attaches read-only, so the
 * caller re-checks nattch (ours excluded) before removing.  msg: `taken` is
 * set when the messages had to be taken out of the queue (no MSG_COPY); the
 * caller must then remove it or call ipcsave_msg_putback().
 * 0 or -errno.
 */
int ipcsave_shm(struct ipcsave *s, const struct leak *k, void **attached);
int ipcsave_sem(struct ipcsave *s, const struct leak *k);
int ipcsave_msg(struct ipcsave *s, const struct leak *k, bool allow_take, bool *taken);
/* Send back the messages ipcsave_msg() took from queue `id`. */
int ipcsave_msg_putback(struct ipcsave *s, int id);
/* Drop the last saved object from the manifest (it was not removed after all). */
void ipcsave_forget_last(struct ipcsave *s);
/* Write the manifest and free.  0 or -errno. */
int ipcsave_close(struct ipcsave *s);
size_t ipcsave_count(const struct ipcsave *s);

#endif
