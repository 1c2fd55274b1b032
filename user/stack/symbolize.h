/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * User addresses -> module + function+offset, with libdw over the
 * executable mappings captured in a struct proc_meta (PIE and shared
 * libraries get their load bias from the mapping and the ELF program
 * headers).  When a module's file is gone or has been replaced (build-id
 * differs), the frame keeps build-id + file offset so that a recording can
 * be symbolized later, elsewhere.
 */
#ifndef IPCS_SYMBOLIZE_H
#define IPCS_SYMBOLIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stack/frame.h"
#include "tables/procmeta.h"



/* A libdw address space for one process (struct Dwfl, opaque here). */
struct symbolizer;

/*
 * Report m's executable mappings to a new address space.  Files are opened
 * through /proc/PID/map_files while the process lives, else by path; a file
 * whose build-id differs from the captured one is left out (its frames get
 * build-id + offset only).  NULL only when out of memory.
 */
struct symbolizer *symbolizer_new(const struct proc_meta *m);
void symbolizer_free(struct symbolizer *sy);
/* Modules actually loaded (for diagnostics and tests). */
size_t symbolizer_modules(const struct symbolizer *sy);
/* The libdw handle and the process it describes (used by the unwinder). */
struct Dwfl *symbolizer_dwfl(struct symbolizer *sy);
const struct proc_meta *symbolizer_proc(const struct symbolizer *sy);
/*
 * The unwinder's state (stack/unwind.c), attached to this address space
 * once: libdw's dwfl_attach_state() takes one per Dwfl, for its life, so
 * a symbolizer serves many unwinds of the same process by changing what
 * the state points at.  NULL until set; set takes ownership (free()).
 */
void *symbolizer_unwind_state(struct symbolizer *sy);
void symbolizer_set_unwind_state(struct symbolizer *sy, void *state);

/*
 * Describe one address.  `is_return` says addr is a return address (every
 * frame but the innermost): the call lies before it, so addr - 1 is looked
 * up.  Always fills out; returns true if a function name was found.
 */
bool symbolize(struct symbolizer *sy, uint64_t addr, bool is_return,
	       struct stack_frame *out);

/*
 * The function a symbol belongs to: GCC clone suffixes (.constprop.N,
 * .isra.N, .part.N, .cold, .lto_priv.N, ...) removed.
 */
void symbol_base_name(const char *sym, char *out, size_t len);

/* "func+0x12 (module)" or "[build-id+0xoffset]" or "0xaddr". */
void stack_frame_format(const struct stack_frame *f, char *buf, size_t len);

#endif
