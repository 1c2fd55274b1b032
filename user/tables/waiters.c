// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Table reader: blocked IPC calls from /proc; see waiters.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "tables/proc.h"
#include "tables/waiters.h"

/*
 * "220 0x3 0x7ffc8a0 0x1 0x0 0x0 0x0 0x7ffc8 0x7f12" = nr, six args, sp, pc.
 * A running thread says "running"; one not in a syscall says "-1 ...".
 */
int waiters_parse_syscall(const char *text, struct wg_waiter *w, uint64_t *sops_addr)
{
	unsigned long long a[6];
	long nr;

	if (sscanf(text, "%ld %llx %llx %llx %llx %llx %llx", &nr, &a[0], &a[1], &a[2], &a[3],
		   &a[4], &a[5]) != 7)
		return -EAGAIN;
	*sops_addr = 0;
	switch (nr) {
#ifdef SYS_semop
	case SYS_semop:
#endif
	case SYS_semtimedop:
		w->call = nr == SYS_semtimedop ? CALL_SEMTIMEDOP : CALL_SEMOP;
		w->id = (int32_t)a[0];
		*sops_addr = a[1];
		w->nops = (uint32_t)a[2];
		break;
	case SYS_msgsnd:
		w->call = CALL_MSGSND;
		w->id = (int32_t)a[0];
		w->msg_size = a[2];
		break;
	case SYS_msgrcv:
		w->call = CALL_MSGRCV;
		w->id = (int32_t)a[0];
		w->msg_size = a[2];
		w->mtype = (int64_t)a[3];
		break;
	default:
		return -EAGAIN;
	}
	return 0;
}

static ssize_t read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return n;
}

/* The sembufs of a blocked semop, from the process's memory. */
void waiters_read_sops(struct wg_waiter *w, uint64_t addr)
{
	struct { uint16_t num; int16_t op; int16_t flg; } raw[WG_MAX_OPS];
	uint32_t n = w->nops < WG_MAX_OPS ? w->nops : WG_MAX_OPS;
	struct iovec local = { raw, n * sizeof(raw[0]) };
	struct iovec remote = { (void *)(uintptr_t)addr, n * sizeof(raw[0]) };

	if (!addr || !n || process_vm_readv(w->pid, &local, 1, &remote, 1, 0) !=
	    (ssize_t)local.iov_len) {
		w->nops = 0;   /* unknown: the waiter is still listed */
		return;
	}
	for (uint32_t i = 0; i < n; i++) {
		w->ops[i].num = raw[i].num;
		w->ops[i].op = raw[i].op;
		w->ops[i].flg = raw[i].flg;
	}
}

static int scan_process(long pid, uint32_t ipcns, struct wait_facts *f)
{
	char path[96], buf[512];
	struct dirent *de;
	DIR *d;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/%ld/task", pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		struct wg_waiter w = { 0 };
		uint64_t sops;
		long tid = atol(de->d_name);

		if (tid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/task/%ld/syscall", pid, tid);
		if (read_small(path, buf, sizeof(buf)) <= 0 ||
		    waiters_parse_syscall(buf, &w, &sops))
			continue;
		w.pid = (int32_t)pid;
		w.tid = (int32_t)tid;
		w.ipcns = ipcns;
		w.from_proc = true;
		snprintf(path, sizeof(path), "/proc/%ld/task/%ld/comm", pid, tid);
		if (read_small(path, buf, sizeof(buf)) > 0) {
			buf[strcspn(buf, "\n")] = 0;
			snprintf(w.comm, sizeof(w.comm), "%.15s", buf);
		}
		if (w.call == CALL_SEMOP || w.call == CALL_SEMTIMEDOP)
			waiters_read_sops(&w, sops);
		if (wait_facts_add_waiter(f, &w)) {
			closedir(d);
			return -ENOMEM;
		}
		found++;
	}
	closedir(d);
	return found;
}

struct scan_job {
	uint32_t ipcns;            /* 0: every namespace */
	struct wait_facts *f;
	int total;
};

static int scan_one(int32_t pid, uint32_t ipcns, void *ctx)
{
	struct scan_job *j = ctx;
	int n;

	if (j->ipcns && ipcns != j->ipcns)
		return 0;
	n = scan_process(pid, ipcns, j->f);
	if (n < 0)
		return n;
	j->total += n;
	return 0;
}

int waiters_scan(uint32_t ipcns, struct wait_facts *f)
{
	struct scan_job j = { .ipcns = ipcns, .f = f };
	int err = proc_each_ipcns(scan_one, &j);

	return err < 0 ? err : j.total;
}
