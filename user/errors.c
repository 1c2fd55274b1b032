// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* One-line diagnostics: what went wrong, and what to do about it. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "ipcscope.h"

int ipcs_verbose;

static void vmsg(const char *prefix, const char *fmt, va_list ap)
{
	fprintf(stderr, "ipcscope: %s", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int errmsg(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
	return status;
}

void warnmsg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

void debugmsg(const char *fmt, ...)
{
	va_list ap;

	if (!ipcs_verbose)
		return;
	va_start(ap, fmt);
	vmsg("debug: ", fmt, ap);
	va_end(ap);
}

int exit_for_errno(int err)
{
	switch (err) {
	case EPERM:
	case EACCES:
		return EX_NOPERM;
	case ENOENT:
		return EX_NOINPUT;
	case ENOSYS:
	case EOPNOTSUPP:
		return EX_UNAVAILABLE;
	case EINVAL:
		return EX_DATAERR;
	default:
		return EX_SOFTWARE;
	}
}

const char *hint_for_errno(int err)
{
	switch (err) {
	case EPERM:
	case EACCES:
		return "run as root (or with CAP_BPF, CAP_PERFMON, CAP_SYS_PTRACE)";
	case ENOENT:
		return "check that it exists";
	case ENOSYS:
	case EOPNOTSUPP:
		return "this kernel does not support it; see `ipcscope doctor`";
	default:
		return "run with -v for details";
	}
}
