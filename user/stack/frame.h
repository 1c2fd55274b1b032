/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A symbolized stack frame, the type analyses and views share (no libdw
 * here: analyses include this, not the symbolizer), and its event form:
 * EV_STACK (struct ev_stack) carries a creation's resolved frames in a
 * recording, so that `report` elsewhere names the same functions without
 * the binaries.
 */
#ifndef IPCS_STACK_FRAME_H
#define IPCS_STACK_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "events.h"

#define STACK_FRAME_BUILD_ID_MAX 20

struct stack_frame {
	uint64_t addr;             /* as captured */
	char func[128];            /* function, clone suffixes removed; "" if unknown */
	char symbol[128];          /* the ELF symbol (make_seg.constprop.0, f.cold) */
	uint64_t offset;           /* addr - symbol start */
	char module[256];          /* mapped file; "" if addr is in no mapping */
	uint8_t build_id[STACK_FRAME_BUILD_ID_MAX];
	uint8_t build_id_len;
	uint64_t file_offset;      /* addr's offset in the module's file */
};

/* Encode frames as an EV_STACK for (kind, id) created by `create` (its
 * header: pid, ts, ipcns).  malloc'd record, or NULL. */
struct ev_hdr *stack_event_new(const struct ev_hdr *create, unsigned int kind, int32_t id,
			       const struct stack_frame *f, size_t n, const char *how);
/* Decode an EV_STACK (validated: NULL if malformed).  malloc'd frames. */
struct stack_frame *stack_event_frames(const struct ev_hdr *ev, size_t *n, const char **how);

#endif
