/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The POSIX side of `snapshot --posix`: /dev/shm files and message queues. */
#ifndef IPCS_POSIX_VIEW_H
#define IPCS_POSIX_VIEW_H

#include <stdio.h>

#include "tables/posix.h"
#include "view/jsonw.h"

void posix_text(const struct posix_table *t, FILE *f);
/* Adds a "posix" member to the current JSON object. */
void posix_json(const struct posix_table *t, struct jsonw *w);

#endif
