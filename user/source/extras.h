/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Kernel-internal hooks (bpf/extras.bpf.c): creation and destruction inside
 * the kernel (newseg/newary/newque, shm_destroy/freeary/freeque) and
 * exit_sem, via fentry/fexit or kprobes, whichever this kernel allows.
 * Probed with a real test load; absence is never an error.  Events go to
 * the same ring buffer as the streaming object (EV_KOBJ).
 * IPCSCOPE_EXTRAS=fentry|kprobe|none in the environment restricts the
 * mechanisms tried (tests use it to cover both).
 */
#ifndef IPCS_EXTRAS_H
#define IPCS_EXTRAS_H

#include <stdbool.h>
#include <stdint.h>

#include "opts.h"

enum extras_mech { EXTRAS_NONE = 0, EXTRAS_FENTRY, EXTRAS_KPROBE };

struct extras_status {
	enum extras_mech mech;
	int fentry_err;      /* 0 if fentry loads, else -errno from the test load
				(-ECANCELED: not tried) */
	int kprobe_err;      /* same for kprobes */
	int nhooks;          /* hooks attached */
	char why[160];       /* human reason when mech == EXTRAS_NONE */
};

struct extras;

/* Probe and attach, sharing the ring buffer map `events_fd` and the
 * `tracked` map `tracked_fd` (-1 when no pid filter).  NULL when nothing
 * could be attached; `st` says why. */
struct extras *extras_open(const struct common_opts *o, int events_fd, int tracked_fd,
			   struct extras_status *st);
/* Probe only (for doctor): tries both mechanisms, fills both errors. */
void extras_probe(struct extras_status *st);
void extras_close(struct extras *x);
/* Records the extras could not reserve in the ring buffer (add to the total). */
uint64_t extras_lost(struct extras *x);
/* "fentry", "kprobe", "none" */
const char *extras_mech_name(enum extras_mech m);

#endif
