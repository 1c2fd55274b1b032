/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Is the process the kernel named as an object's creator or last user still
 * there?  A zombie has exited (the kernel ran exit_shm and dropped its
 * attachments before it became one), and a pid that a process started after
 * the object was used is a reuse, not the same process.
 */
#ifndef IPCS_PIDSTATE_H
#define IPCS_PIDSTATE_H

#include <stdint.h>

enum pid_state {
	PID_RUNNING = 0,   /* alive (or cannot tell: never a finding) */
	PID_GONE,          /* no such process */
	PID_ZOMBIE,        /* exited, not yet reaped by its parent (state Z or X) */
	PID_REUSED,        /* a different process started after `since` */
};

/* since: seconds since the epoch when pid was seen using the object, 0 unknown. */
enum pid_state pid_state_read(int32_t pid, int64_t since);
/* Parse the state letter and start time (clock ticks) from /proc/PID/stat text. */
int pid_stat_parse(const char *text, char *state, uint64_t *starttime);
const char *pid_state_name(enum pid_state s);

#endif
