// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests for clean's re-checked removal and save format
 * (user/tables/ipcremove.c, ipcsave.c), on real objects in a private IPC
 * namespace that this test process enters first (skipped without root).
 * The "races" are made deterministic by changing an object between reading
 * it (the struct leak) and removing it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "action/ipcremove.h"
#include "action/ipcsave.h"

static bool in_private_ns;

static int setup(void **state)
{
	in_private_ns = unshare(CLONE_NEWIPC) == 0;
	return 0;
}

#define NEED_NS() do { if (!in_private_ns) { \
	print_message("cannot unshare an IPC namespace (not root?): skipped\n"); skip(); } } while (0)

static struct leak shm_leak(int id)
{
	struct shmid_ds ds;
	struct leak k = { .kind = KIND_SHM, .id = id, .reason = "test" };

	assert_int_equal(shmctl(id, IPC_STAT, &ds), 0);
	k.key = ds.shm_perm.__key;
	k.ctime = ds.shm_ctime;
	k.bytes = ds.shm_segsz;
	return k;
}

static void test_shm_attached_since(void **state)
{
	char why[256];
	struct leak k;
	void *p;
	int id;

	NEED_NS();
	id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	assert_true(id >= 0);
	k = shm_leak(id);
	/* someone attaches after the tables were read: refused */
	p = shmat(id, NULL, 0);
	assert_true(p != (void *)-1);
	assert_int_equal(ipc_remove_checked(&k, NULL, why, sizeof(why)), -1);
	assert_string_equal(why, "attached now (nattch 1)");
	assert_int_equal(shmdt(p), 0);
	/* the id now names another object (other ctime): refused */
	k.ctime -= 5;
	assert_int_equal(ipc_remove_checked(&k, NULL, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "changed"));
	k.ctime += 5;
	assert_int_equal(ipc_remove_checked(&k, NULL, why, sizeof(why)), 0);
	assert_int_equal(shmctl(id, IPC_STAT, &(struct shmid_ds){ 0 }), -1);
	/* and once gone, a second attempt says so */
	assert_int_equal(ipc_remove_checked(&k, NULL, why, sizeof(why)), -1);
	assert_string_equal(why, "gone already");
}

static void *sem_down(void *arg)
{
	struct sembuf down = { .sem_num = 1, .sem_op = -1 };

	return (void *)(intptr_t)semop(*(int *)arg, &down, 1);
}

static void test_sem_waiter(void **state)
{
	struct sembuf up = { .sem_num = 1, .sem_op = 1 };
	struct semid_ds ds;
	struct leak k = { .kind = KIND_SEM, .reason = "test" };
	pthread_t t;
	char why[256];
	void *ret;
	int id;

	NEED_NS();
	id = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
	assert_true(id >= 0);
	assert_int_equal(semctl(id, 0, IPC_STAT, &ds), 0);
	k.id = id;
	k.key = ds.sem_perm.__key;
	k.ctime = ds.sem_ctime;
	k.nsems = ds.sem_nsems;
	assert_int_equal(pthread_create(&t, NULL, sem_down, &id), 0);
	while (semctl(id, 1, GETNCNT) < 1)       /* until the thread sleeps in semop */
		usleep(1000);
	assert_int_equal(ipc_remove_checked(&k, NULL, why, sizeof(why)), -1);
	assert_string_equal(why, "a process waits on semaphore 1");
	assert_int_equal(semop(id, &up, 1), 0);
	assert_int_equal(pthread_join(t, &ret), 0);
	assert_null(ret);
	assert_int_equal(ipc_remove_checked(&k, NULL, why, sizeof(why)), 0);
}

static char *read_all(int dirfd, const char *name, size_t *len)
{
	struct stat st;
	char *buf;
	int fd = openat(dirfd, name, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc(st.st_size + 1);
	assert_int_equal(read(fd, buf, st.st_size), st.st_size);
	buf[st.st_size] = '\0';
	close(fd);
	*len = st.st_size;
	return buf;
}

static void test_save_then_remove(void **state)
{
	char dir[] = "/tmp/ipcscope-test-clean-XXXXXX", why[256], file[64];
	struct { long mtype; char text[16]; } m;
	struct ipcsave *save;
	struct msqid_ds ds;
	struct leak ks, kq = { .kind = KIND_MSG, .reason = "test" };
	uint64_t hdr[2];
	unsigned char *p;
	size_t len;
	char *buf;
	int shm, q, dirfd;

	NEED_NS();
	assert_non_null(mkdtemp(dir));
	shm = shmget(0x5eed, 3000, IPC_CREAT | 0640);
	assert_true(shm >= 0);
	p = shmat(shm, NULL, 0);
	for (int i = 0; i < 3000; i++)
		p[i] = (unsigned char)(i * 13);
	shmdt(p);
	ks = shm_leak(shm);
	q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	assert_true(q >= 0);
	for (int i = 0; i < 2; i++) {
		m.mtype = 7 + i;
		memset(m.text, 'x' + i, sizeof(m.text));
		assert_int_equal(msgsnd(q, &m, 5 + i, 0), 0);
	}
	assert_int_equal(msgctl(q, IPC_STAT, &ds), 0);
	kq.id = q;
	kq.key = ds.msg_perm.__key;
	kq.ctime = ds.msg_ctime;

	assert_int_equal(ipcsave_open(&save, dir), 0);
	assert_int_equal(ipc_remove_checked(&ks, save, why, sizeof(why)), 0);
	assert_int_equal(ipc_remove_checked(&kq, save, why, sizeof(why)), 0);
	assert_int_equal(ipcsave_count(save), 2);
	assert_int_equal(ipcsave_close(save), 0);
	/* gone from the kernel, present on disk */
	assert_int_equal(shmget(0x5eed, 0, 0), -1);
	assert_int_equal(msgctl(q, IPC_STAT, &ds), -1);
	dirfd = open(dir, O_RDONLY | O_DIRECTORY);
	snprintf(file, sizeof(file), "shm-%d.bin", shm);
	buf = read_all(dirfd, file, &len);
	assert_int_equal(len, 3000);
	for (int i = 0; i < 3000; i++)
		assert_int_equal((unsigned char)buf[i], (unsigned char)(i * 13));
	free(buf);
	snprintf(file, sizeof(file), "msg-%d.bin", q);
	buf = read_all(dirfd, file, &len);
	assert_int_equal(len, 2 * 16 + 5 + 6);
	memcpy(hdr, buf, 16);
	assert_int_equal(hdr[0], 7);
	assert_int_equal(hdr[1], 5);
	assert_memory_equal(buf + 16, "xxxxx", 5);
	memcpy(hdr, buf + 21, 16);
	assert_int_equal(hdr[0], 8);
	assert_int_equal(hdr[1], 6);
	assert_memory_equal(buf + 37, "yyyyyy", 6);
	free(buf);
	buf = read_all(dirfd, IPCSAVE_MANIFEST, &len);
	assert_non_null(strstr(buf, "\"kind\":\"shm\""));
	assert_non_null(strstr(buf, "\"key\":24301,\"mode\":416,"));
	assert_non_null(strstr(buf, "\"size\":3000,"));
	assert_non_null(strstr(buf, "\"messages\":2,"));
	free(buf);
	/* a directory that holds a saved set is not overwritten */
	assert_int_equal(ipcsave_open(&save, dir), -EEXIST);
	snprintf(file, sizeof(file), "shm-%d.bin", shm);
	unlinkat(dirfd, file, 0);
	snprintf(file, sizeof(file), "msg-%d.bin", q);
	unlinkat(dirfd, file, 0);
	unlinkat(dirfd, IPCSAVE_MANIFEST, 0);
	close(dirfd);
	rmdir(dir);
}

/* A failed removal does not leave the object in the manifest. */
static void test_skipped_not_saved(void **state)
{
	char dir[] = "/tmp/ipcscope-test-clean-XXXXXX", why[256];
	struct ipcsave *save;
	struct leak k;
	void *p;
	int id;

	NEED_NS();
	assert_non_null(mkdtemp(dir));
	id = shmget(IPC_PRIVATE, 100, IPC_CREAT | 0600);
	k = shm_leak(id);
	p = shmat(id, NULL, 0);
	assert_int_equal(ipcsave_open(&save, dir), 0);
	assert_int_equal(ipc_remove_checked(&k, save, why, sizeof(why)), -1);
	assert_int_equal(ipcsave_count(save), 0);
	assert_int_equal(ipcsave_close(save), 0);
	shmdt(p);
	shmctl(id, IPC_RMID, NULL);
	char path[sizeof(dir) + 32];

	snprintf(path, sizeof(path), "%s/%s", dir, IPCSAVE_MANIFEST);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shm_attached_since),
		cmocka_unit_test(test_sem_waiter),
		cmocka_unit_test(test_save_then_remove),
		cmocka_unit_test(test_skipped_not_saved),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
