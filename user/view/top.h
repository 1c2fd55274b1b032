/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * `ipcscope top`: the model of one refresh (header totals + one row per IPC
 * object), its sorting and filtering, and its two renderings: a full-screen
 * ncurses view and a batch text/JSON form for scripts.
 */
#ifndef IPCS_VIEW_TOP_H
#define IPCS_VIEW_TOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tables/limits.h"
#include "view/jsonw.h"

enum top_sort { TOP_SORT_CALLS, TOP_SORT_LATENCY, TOP_SORT_WAITERS, TOP_SORT_SIZE };

struct top_row {
	unsigned int kind;       /* KIND_SHM / KIND_SEM / KIND_MSG */
	uint32_t ipcns;          /* the object's IPC namespace (inode) */
	int32_t id;
	int32_t key;
	uint32_t uid;
	char owner[16];          /* user name, or the uid */
	char comm[16];           /* creator's comm, "" if unknown */
	bool have_calls;         /* tracing: calls_per_s and p99 are meaningful */
	double calls_per_s;
	uint64_t calls;          /* calls since the previous refresh */
	uint64_t p99_ns;         /* 0: no calls in the window */
	uint32_t waiters;        /* tasks blocked on the object */
	uint64_t size;           /* shm bytes, msg queued bytes, sem count */
	double fill;             /* msg: cbytes / qbytes */
	uint64_t nattch;         /* shm */
	uint32_t nsems;          /* sem */
	bool in_deadlock;        /* part of a wait-for cycle */
};

struct top_model {
	struct top_row *rows;
	size_t n, cap;
	/* header */
	size_t objects[4];       /* per kind */
	uint64_t shm_bytes, msg_bytes, msg_count, sem_count;
	const struct ipc_limits *limits;   /* NULL if unreadable */
	bool tracing;
	double calls_per_s;      /* all objects */
	uint64_t lost_events;
	/* calls the kernel's aggregation could not count (a full map) */
	uint64_t uncounted_calls;
	bool all_ns;             /* rows from every namespace: an NS column */
	unsigned int deadlocks;  /* cycles in the wait-for graph */
	bool have_deadlocks;     /* the wait graph is available */
	uint64_t waiters;
};

/* Append a zeroed row (NULL on allocation failure). */
struct top_row *top_add_row(struct top_model *m);
void top_model_reset(struct top_model *m);
void top_model_free(struct top_model *m);

void top_sort_rows(struct top_model *m, enum top_sort key);
const char *top_sort_name(enum top_sort key);
/* kinds: KIND_BIT mask (0 = all); filter: substring of comm, owner, id or key. */
bool top_row_visible(const struct top_row *r, unsigned int kinds, const char *filter);

/* One table line, fitted to `width` columns (the comm column shrinks first). */
/* ns: an NS column first (rows from every namespace). */
void top_format_row(const struct top_row *r, char *buf, size_t len, int width, bool ns);
void top_format_columns(char *buf, size_t len, int width, bool ns);
/* "12.3ms", "850us", "-" */
void top_format_ns(uint64_t ns, char *buf, size_t len);

/* Batch output: one refresh as a text table, or one JSON line. */
void top_print_text(FILE *f, const struct top_model *m, enum top_sort key,
		    unsigned int kinds, const char *filter, size_t max_rows);
void top_print_json(struct jsonw *w, const struct top_model *m, enum top_sort key,
		    unsigned int kinds, const char *filter, size_t max_rows);

/* The full-screen view. */
struct top_ui {
	enum top_sort sort;
	unsigned int kinds;      /* 0 = all */
	char filter[64];
	bool paused;
	bool editing_filter;     /* '/' pressed: keys go to the filter */
	bool help;
	bool quit;
	int interval_ms;
	char status[128];        /* one-line message at the bottom */
};

int top_ui_start(struct top_ui *ui);       /* 0 or -ENOTTY */
void top_ui_stop(void);
void top_ui_draw(struct top_ui *ui, const struct top_model *m);
/*
 * Wait up to timeout_ms for a key and apply it.  Returns true if the view
 * should be redrawn now (a key changed something or the screen resized).
 */
bool top_ui_handle_key(struct top_ui *ui, int timeout_ms);

#endif
