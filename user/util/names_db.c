// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* User and group names read from the files themselves; see names_db.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/names_db.h"

/* "name:pw:id:..." -> 0 and the name, its length and the id; -1: skip the line. */
static int parse_line(const char *line, const char **name, size_t *namelen, uint32_t *id)
{
	const char *c1, *c2, *p;
	char *end;
	unsigned long v;

	/* '#' comments and the NIS compat entries ("+", "-name") name nobody. */
	if (!*line || *line == '#' || *line == '+' || *line == '-')
		return -1;
	c1 = strchr(line, ':');
	if (!c1 || c1 == line)
		return -1;
	c2 = strchr(c1 + 1, ':');
	if (!c2)
		return -1;
	p = c2 + 1;
	if (*p < '0' || *p > '9')
		return -1;
	errno = 0;
	v = strtoul(p, &end, 10);
	if (errno || v > UINT32_MAX || (*end != ':' && *end != '\n' && *end != '\0'))
		return -1;
	*name = line;
	*namelen = (size_t)(c1 - line);
	*id = (uint32_t)v;
	return 0;
}

int names_db_lookup(const char *path, uint32_t id, char *buf, size_t len)
{
	char *line = NULL;
	size_t cap = 0;
	int err = -ENOENT;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ENOENT : -errno;
	while (getline(&line, &cap, f) > 0) {
		const char *name;
		size_t n;
		uint32_t v;

		if (parse_line(line, &name, &n, &v) || v != id)
			continue;
		if (n >= len) {
			err = -ERANGE;
		} else {
			memcpy(buf, name, n);
			buf[n] = '\0';
			err = 0;
		}
		break;                /* the first line for an id wins, as in NSS files */
	}
	free(line);
	fclose(f);
	return err;
}
