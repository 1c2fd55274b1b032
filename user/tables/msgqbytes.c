// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* msg_qbytes for snapshot queues; see msgqbytes.h. */
#include <sys/ipc.h>
#include <sys/msg.h>

#include "tables/msgqbytes.h"

#ifndef MSG_STAT_ANY
#define MSG_STAT_ANY 13
#endif

static struct msg_obj *find(struct ipc_snapshot *s, int32_t id)
{
	for (size_t i = 0; i < s->nmsg; i++)
		if (s->msg[i].c.id == id)
			return &s->msg[i];
	return NULL;
}

size_t snapshot_fill_qbytes(struct ipc_snapshot *s)
{
	struct msginfo info;
	struct msqid_ds ds;
	size_t unknown = 0;
	int maxidx;

	for (size_t i = 0; i < s->nmsg; i++)
		unknown += s->msg[i].qbytes == 0;
	if (!unknown)
		return 0;
	/* MSG_INFO returns the highest index in use. */
	maxidx = msgctl(0, MSG_INFO, (struct msqid_ds *)&info);
	for (int idx = 0; unknown && idx <= maxidx; idx++) {
		int id = msgctl(idx, MSG_STAT_ANY, &ds);
		struct msg_obj *q = id >= 0 ? find(s, id) : NULL;

		if (q && !q->qbytes) {
			q->qbytes = ds.msg_qbytes;
			unknown--;
		}
	}
	for (size_t i = 0; unknown && i < s->nmsg; i++) {
		struct msg_obj *q = &s->msg[i];

		if (!q->qbytes && msgctl(q->c.id, IPC_STAT, &ds) == 0) {
			q->qbytes = ds.msg_qbytes;
			unknown--;
		}
	}
	return unknown;
}
