// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* BPF iterator output as records (see iterread.h). */
#include <errno.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tables/iterread.h"

int iter_each_record(struct bpf_link *link, void *rec, size_t size,
		     int (*each)(const void *rec, void *ctx), void *ctx)
{
	int fd = bpf_iter_create(bpf_link__fd(link)), ret = 0;
	size_t got = 0;

	if (fd < 0)
		return -errno;
	while (!ret) {
		ssize_t n = read(fd, (char *)rec + got, size - got);

		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			ret = -errno;
			break;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got < size)
			continue;
		got = 0;
		ret = each(rec, ctx);
	}
	close(fd);
	return ret;
}
