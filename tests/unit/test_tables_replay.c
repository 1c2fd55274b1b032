// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests for the tables rebuilt from events (a truncated recording's end). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <cmocka.h>

#include "analysis/tables_replay.h"

#define NS 4026531839u

static struct ev_call call(unsigned int c, int32_t pid, int32_t id, uint64_t ts)
{
	struct ev_call e;

	memset(&e, 0, sizeof(e));
	e.h.type = EV_CALL;
	e.h.size = sizeof(e);
	e.h.pid = e.h.tid = (uint32_t)pid;
	e.h.uid = 1000;
	e.h.ipcns = NS;
	e.h.ts_ns = ts;
	e.call = (uint8_t)c;
	e.kind = (uint8_t)call_kind(c);
	e.id = id;
	return e;
}

static void feed(struct tables_replay *t, struct ev_call e)
{
	tables_replay_event(t, &e.h);
}

static void test_create_use_remove(void **st)
{
	struct shm_obj old = { .c = { .id = 5, .key = 0x77, .mode = 0600 }, .size = 100,
			       .nattch = 1, .cpid = 10 };
	struct ipc_snapshot start = { .ipcns = NS, .taken_ns = 1000, .taken_real = 5000,
				      .shm = &old, .nshm = 1 };
	struct tables_replay *t = tables_replay_new(&start, 1000000000ll * 100);
	struct ipc_snapshot s;
	struct ev_call e;
	struct ev_proc x = { .h = { .type = EV_EXIT, .size = sizeof(x), .pid = 42, .ipcns = NS } };

	assert_non_null(t);
	/* pid 42 makes a segment, attaches it twice, exits: nattch back to 0 */
	e = call(CALL_SHMGET, 42, 65536, 2000000000ull);
	e.key = IPC_PRIVATE;
	e.iflags = IPC_CREAT | 0640;
	e.size = 8192;
	feed(t, e);
	feed(t, call(CALL_SHMAT, 42, 65536, 2000000100ull));
	feed(t, call(CALL_SHMAT, 42, 65536, 2000000200ull));
	/* a semaphore set, removed again; a queue with two messages, one received */
	e = call(CALL_SEMGET, 42, 3, 2000000300ull);
	e.iflags = IPC_CREAT | 0600;
	e.nsops = 4;
	feed(t, e);
	e = call(CALL_SEMCTL, 42, 3, 2000000400ull);
	e.cmd = IPC_RMID;
	feed(t, e);
	e = call(CALL_MSGGET, 42, 9, 2000000500ull);
	e.iflags = IPC_CREAT | 0600;
	feed(t, e);
	for (int i = 0; i < 2; i++) {
		e = call(CALL_MSGSND, 43, 9, 2000000600ull + i);
		e.size = 100;
		feed(t, e);
	}
	e = call(CALL_MSGRCV, 44, 9, 3000000000ull);
	e.ret = 100;
	feed(t, e);
	/* a failed call changes nothing; another namespace's ids are not ours */
	e = call(CALL_SHMCTL, 42, 65536, 3000000001ull);
	e.cmd = IPC_RMID;
	e.err = 1;
	feed(t, e);
	e = call(CALL_SHMGET, 42, 77, 3000000002ull);
	e.h.ipcns = NS + 1;
	feed(t, e);
	tables_replay_event(t, &x.h);

	assert_int_equal(tables_replay_snapshot(t, &s), 0);
	assert_int_equal(s.nshm, 2);
	assert_int_equal(s.shm[0].c.id, 5);              /* sorted by id */
	assert_int_equal(s.shm[0].nattch, 1);            /* from before: unknown who */
	assert_int_equal(s.shm[1].c.id, 65536);
	assert_int_equal(s.shm[1].size, 8192);
	assert_int_equal(s.shm[1].cpid, 42);
	assert_int_equal(s.shm[1].c.mode, 0640);
	assert_int_equal(s.shm[1].c.cuid, 1000);
	assert_int_equal(s.shm[1].nattch, 0);            /* its attacher exited */
	assert_int_equal(s.shm[1].atime, 102);           /* 2 s + 100 s offset */
	assert_int_equal(s.nsem, 0);
	assert_int_equal(s.nmsg, 1);
	assert_int_equal(s.msg[0].qnum, 1);
	assert_int_equal(s.msg[0].cbytes, 100);
	assert_int_equal(s.msg[0].lspid, 43);
	assert_int_equal(s.msg[0].lrpid, 44);
	assert_int_equal(s.taken_ns, 3000000002ull);
	snapshot_free(&s);

	/* IPC_RMID while attached: destroyed at the last detach */
	feed(t, call(CALL_SHMAT, 50, 5, 4000000000ull));
	e = call(CALL_SHMCTL, 50, 5, 4000000001ull);
	e.cmd = IPC_RMID;
	feed(t, e);
	assert_int_equal(tables_replay_snapshot(t, &s), 0);
	assert_int_equal(s.nshm, 2);
	assert_true(s.shm[0].dest);
	assert_int_equal(s.shm[0].c.key, IPC_PRIVATE);
	assert_int_equal(s.shm[0].nattch, 2);
	snapshot_free(&s);
	feed(t, call(CALL_SHMDT, 50, 5, 4000000002ull));
	feed(t, call(CALL_SHMDT, 60, 5, 4000000003ull));  /* the attachment from before */
	assert_int_equal(tables_replay_snapshot(t, &s), 0);
	assert_int_equal(s.nshm, 1);
	assert_int_equal(s.shm[0].c.id, 65536);
	snapshot_free(&s);
	tables_replay_free(t);
}

/* Churn leaves nothing behind and the index stays consistent. */
static void test_churn(void **st)
{
	struct tables_replay *t = tables_replay_new(NULL, 0);
	struct ipc_snapshot s;
	struct ev_call e;

	for (int32_t id = 0; id < 50000; id++) {
		e = call(CALL_SHMGET, 7, id, 10 + (uint64_t)id);
		e.key = IPC_PRIVATE;
		e.iflags = IPC_CREAT | 0600;
		feed(t, e);
		if (id % 1000 == 0)
			continue;             /* 50 survive */
		e = call(CALL_SHMCTL, 7, id, 10 + (uint64_t)id);
		e.cmd = IPC_RMID;
		feed(t, e);
	}
	assert_int_equal(tables_replay_snapshot(t, &s), 0);
	assert_int_equal(s.nshm, 50);
	for (size_t i = 0; i < s.nshm; i++)
		assert_int_equal(s.shm[i].c.id, (int32_t)i * 1000);
	snapshot_free(&s);
	tables_replay_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_use_remove),
		cmocka_unit_test(test_churn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
