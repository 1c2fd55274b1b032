// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Re-checked removal of leak candidates (see ipcremove.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

#include "action/ipcremove.h"

static int recheck_shm(const struct leak *k, struct shmid_ds *ds, char *why, size_t len)
{
	if (shmctl(k->id, IPC_STAT, ds)) {
		snprintf(why, len, "gone already");
		return -1;
	}
	if (ds->shm_perm.__key != k->key || ds->shm_ctime != k->ctime ||
	    ds->shm_segsz != k->bytes) {
		snprintf(why, len, "changed since the tables were read (id reused?)");
		return -1;
	}
	if (ds->shm_nattch) {
		snprintf(why, len, "attached now (nattch %lu)", (unsigned long)ds->shm_nattch);
		return -1;
	}
	return 0;
}

static int remove_shm(const struct leak *k, struct ipcsave *save, char *why, size_t len)
{
	struct shmid_ds ds;
	void *p = NULL;
	int err;

	if (recheck_shm(k, &ds, why, len))
		return -1;
	if (save) {
		err = ipcsave_shm(save, k, &p);
		if (err) {
			snprintf(why, len, "cannot save it: %s", strerror(-err));
			return -1;
		}
		/* our own read-only attach is the only one allowed */
		if (shmctl(k->id, IPC_STAT, &ds) || ds.shm_nattch != 1) {
			snprintf(why, len, "gained an attach while being saved");
			shmdt(p);
			ipcsave_forget_last(save);
			return -1;
		}
	}
	err = shmctl(k->id, IPC_RMID, NULL) ? -errno : 0;
	if (p)
		shmdt(p);
	if (err) {
		snprintf(why, len, "IPC_RMID failed: %s", strerror(-err));
		if (save)
			ipcsave_forget_last(save);
		return -1;
	}
	return 0;
}

static int remove_sem(const struct leak *k, struct ipcsave *save, char *why, size_t len)
{
	struct semid_ds ds;
	int err;

	if (semctl(k->id, 0, IPC_STAT, &ds)) {
		snprintf(why, len, "gone already");
		return -1;
	}
	if (ds.sem_perm.__key != k->key || ds.sem_ctime != k->ctime ||
	    ds.sem_nsems != k->nsems) {
		snprintf(why, len, "changed since the tables were read");
		return -1;
	}
	for (unsigned long i = 0; i < ds.sem_nsems; i++)
		if (semctl(k->id, i, GETNCNT) > 0 || semctl(k->id, i, GETZCNT) > 0) {
			snprintf(why, len, "a process waits on semaphore %lu", i);
			return -1;
		}
	if (save && (err = ipcsave_sem(save, k))) {
		snprintf(why, len, "cannot save it: %s", strerror(-err));
		return -1;
	}
	if (semctl(k->id, 0, IPC_RMID)) {
		snprintf(why, len, "IPC_RMID failed: %s", strerror(errno));
		if (save)
			ipcsave_forget_last(save);
		return -1;
	}
	return 0;
}

static bool same_queue(const struct msqid_ds *a, const struct msqid_ds *b)
{
	return a->msg_qnum == b->msg_qnum && a->msg_cbytes == b->msg_cbytes &&
	       a->msg_stime == b->msg_stime && a->msg_rtime == b->msg_rtime;
}

static int remove_msg(const struct leak *k, struct ipcsave *save, char *why, size_t len)
{
	struct msqid_ds ds, after;
	bool taken = false;
	int err;

	if (msgctl(k->id, IPC_STAT, &ds)) {
		snprintf(why, len, "gone already");
		return -1;
	}
	if (ds.msg_perm.__key != k->key || ds.msg_ctime != k->ctime) {
		snprintf(why, len, "changed since the tables were read");
		return -1;
	}
	if (save) {
		err = ipcsave_msg(save, k, true, &taken);
		if (err) {
			snprintf(why, len, "cannot save its messages: %s", strerror(-err));
			return -1;
		}
		/* a send or receive while saving: the copy is stale */
		if (!taken && (msgctl(k->id, IPC_STAT, &after) || !same_queue(&ds, &after))) {
			snprintf(why, len, "messages moved while it was being saved");
			ipcsave_forget_last(save);
			return -1;
		}
	}
	if (msgctl(k->id, IPC_RMID, NULL)) {
		snprintf(why, len, "IPC_RMID failed: %s", strerror(errno));
		if (taken)
			ipcsave_msg_putback(save, k->id);
		if (save)
			ipcsave_forget_last(save);
		return -1;
	}
	return 0;
}

int ipc_remove_checked(const struct leak *k, struct ipcsave *save, char *why, size_t len)
{
	switch (k->kind) {
	case KIND_SHM:
		return remove_shm(k, save, why, len);
	case KIND_SEM:
		return remove_sem(k, save, why, len);
	case KIND_MSG:
		return remove_msg(k, save, why, len);
	default:
		snprintf(why, len, "unknown kind");
		return -1;
	}
}
