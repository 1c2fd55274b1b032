/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Workload helper: print one JSON line per IPC call made, with what was
 * passed and what came back, so that a test can compare it call by call
 * with what ipcscope reported.  Lines are written with one write(2) each
 * (no stdio buffer to duplicate across fork).  `ret` is a long long so that
 * a 32-bit caller can log an address above 2 GiB as the kernel returns it.
 */
#ifndef CALLLOG_H
#define CALLLOG_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline void calllog(const char *call, long long ret, int err, const char *fmt, ...)
{
	char line[2048];
	int n;
	va_list ap;

	n = snprintf(line, sizeof(line), "{\"pid\": %d, \"tid\": %ld, \"call\": \"%s\", \"ret\": %lld, "
		     "\"errno\": \"%s\"", getpid(), (long)syscall(SYS_gettid), call, ret,
		     ret < 0 ? strerrorname_np(err) : "0");
	if (fmt && *fmt) {
		n += snprintf(line + n, sizeof(line) - n, ", ");
		va_start(ap, fmt);
		n += vsnprintf(line + n, sizeof(line) - n, fmt, ap);
		va_end(ap);
	}
	n += snprintf(line + n, sizeof(line) - n, "}\n");
	if (write(1, line, n) != n)
		_exit(3);
}

#endif
