/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * uid/gid -> name from /etc/passwd and /etc/group, read directly, never
 * through NSS: the static build's glibc cannot load NSS modules (it would
 * need the shared libraries of the glibc it was linked with), and the
 * container image carries its own stub files.  Both builds use this one
 * path, so they print the same names; an id with no line in the file is
 * shown by number.  Names served only by LDAP/sssd are not seen.
 */
#ifndef IPCS_UTIL_NAMES_DB_H
#define IPCS_UTIL_NAMES_DB_H

#include <stddef.h>
#include <stdint.h>

#define NAMES_DB_PASSWD "/etc/passwd"
#define NAMES_DB_GROUP  "/etc/group"

/*
 * Find `id` in the third field of a passwd- or group-format file and copy
 * the first field (the name) into buf.  0, -ENOENT (no such id, or the file
 * is missing), -ERANGE (name longer than len - 1), or -errno.
 */
int names_db_lookup(const char *path, uint32_t id, char *buf, size_t len);

#endif
