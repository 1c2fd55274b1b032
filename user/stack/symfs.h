/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Re-symbolize frames (build-id + file offset) from a symbol directory:
 * `report --symfs DIR` names functions with symbols found after the fact
 * (an unstripped binary, a debug package's .debug files by build-id).
 */
#ifndef IPCS_STACK_SYMFS_H
#define IPCS_STACK_SYMFS_H

#include <stddef.h>

#include "stack/symbolize.h"

/* Rename the frames a file in dir describes; returns how many were named. */
size_t stack_symfs_apply(const char *dir, struct stack_frame *f, size_t n);

#endif
