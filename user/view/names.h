/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * uid/gid -> name, looked up once per distinct id (ipcs -a looks names up
 * per object, which is most of its 280 ms at 24k objects).
 */
#ifndef IPCS_NAMES_H
#define IPCS_NAMES_H

#include <stdbool.h>
#include <stdint.h>

/* The user's name, or NULL when the uid has no passwd entry. */
const char *uid_name(uint32_t uid);
const char *gid_name(uint32_t gid);
/* True if the uid exists in the passwd database. */
bool uid_exists(uint32_t uid);
void names_cache_free(void);

#endif
