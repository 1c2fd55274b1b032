// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdlib.h>
#include <string.h>

#include "util/names_db.h"
#include "view/names.h"
#include "util/vec.h"

struct name_ent {
	uint32_t id;
	char *name;           /* NULL: no such id */
};

struct name_cache {
	struct name_ent *v;
	size_t n, cap;
};

static struct name_cache users, groups;

static struct name_ent *find(struct name_cache *c, uint32_t id)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].id == id)
			return &c->v[i];
	return NULL;
}

static const char *lookup(struct name_cache *c, uint32_t id, bool user)
{
	struct name_ent *e = find(c, id);
	static __thread char buf[256];
	const char *name = NULL;

	if (e)
		return e->name;
	/* Names from the files, never NSS (util/names_db.h). */
	if (!names_db_lookup(user ? NAMES_DB_PASSWD : NAMES_DB_GROUP, id, buf, sizeof(buf)))
		name = buf;
	if (vec_grow(c->v, c->n, c->cap))
		return name;   /* uncached, still correct */
	c->v[c->n].id = id;
	c->v[c->n].name = name ? strdup(name) : NULL;
	return c->v[c->n++].name;
}

const char *uid_name(uint32_t uid) { return lookup(&users, uid, true); }
const char *gid_name(uint32_t gid) { return lookup(&groups, gid, false); }
bool uid_exists(uint32_t uid) { return uid_name(uid) != NULL; }

void names_cache_free(void)
{
	for (size_t i = 0; i < users.n; i++)
		free(users.v[i].name);
	for (size_t i = 0; i < groups.n; i++)
		free(groups.v[i].name);
	free(users.v);
	free(groups.v);
	memset(&users, 0, sizeof(users));
	memset(&groups, 0, sizeof(groups));
}
