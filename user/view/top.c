// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `ipcscope top`: model, batch output and the ncurses view; see top.h. */
#include <curses.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "event.h"
#include "util/vec.h"
#include "view/top.h"

/* ---- model ------------------------------------------------------------ */

struct top_row *top_add_row(struct top_model *m)
{
	if (vec_grow(m->rows, m->n, m->cap))
		return NULL;
	memset(&m->rows[m->n], 0, sizeof(m->rows[0]));
	return &m->rows[m->n++];
}

void top_model_reset(struct top_model *m)
{
	struct top_row *rows = m->rows;
	size_t cap = m->cap;

	memset(m, 0, sizeof(*m));
	m->rows = rows;
	m->cap = cap;
}

void top_model_free(struct top_model *m)
{
	free(m->rows);
	memset(m, 0, sizeof(*m));
}

const char *top_sort_name(enum top_sort key)
{
	switch (key) {
	case TOP_SORT_LATENCY: return "p99 latency";
	case TOP_SORT_WAITERS: return "waiters";
	case TOP_SORT_SIZE: return "size";
	default: return "calls/s";
	}
}

#define CMP(a, b) (((a) < (b)) - ((a) > (b)))     /* descending */

static int cmp_rows(const void *a, const void *b, void *arg)
{
	const struct top_row *x = a, *y = b;
	enum top_sort key = *(enum top_sort *)arg;
	int c = 0;

	/* Deadlocked objects first whatever the key: they are the emergency. */
	if (x->in_deadlock != y->in_deadlock)
		return x->in_deadlock ? -1 : 1;
	switch (key) {
	case TOP_SORT_CALLS: c = CMP(x->calls_per_s, y->calls_per_s); break;
	case TOP_SORT_LATENCY: c = CMP(x->p99_ns, y->p99_ns); break;
	case TOP_SORT_WAITERS: c = CMP(x->waiters, y->waiters); break;
	case TOP_SORT_SIZE: c = CMP(x->size, y->size); break;
	}
	if (!c)
		c = CMP(x->calls_per_s, y->calls_per_s);
	if (!c)
		c = (x->kind > y->kind) - (x->kind < y->kind);
	if (!c)
		c = (x->id > y->id) - (x->id < y->id);
	return c;
}

void top_sort_rows(struct top_model *m, enum top_sort key)
{
	if (m->n < 2)
		return;
	qsort_r(m->rows, m->n, sizeof(m->rows[0]), cmp_rows, &key);
}

bool top_row_visible(const struct top_row *r, unsigned int kinds, const char *filter)
{
	char num[24];

	if (kinds && !(kinds & KIND_BIT(r->kind)))
		return false;
	if (!filter || !*filter)
		return true;
	if (strstr(r->comm, filter) || strstr(r->owner, filter))
		return true;
	snprintf(num, sizeof(num), "%d", r->id);
	if (!strcmp(num, filter))
		return true;
	snprintf(num, sizeof(num), IPCS_KEY_FMT, (uint32_t)r->key);
	return strstr(num, filter) != NULL;
}

/* ---- formatting -------------------------------------------------------- */

void top_format_ns(uint64_t ns, char *buf, size_t len)
{
	if (!ns)
		snprintf(buf, len, "-");
	else if (ns < 1000)
		snprintf(buf, len, "%lluns", (unsigned long long)ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.0fus", ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.1fms", ns / 1e6);
	else
		snprintf(buf, len, "%.2fs", ns / 1e9);
}

static void format_bytes(uint64_t b, char *buf, size_t len)
{
	if (b < 1024)
		snprintf(buf, len, "%lluB", (unsigned long long)b);
	else if (b < 1024 * 1024)
		snprintf(buf, len, "%.1fKiB", b / 1024.0);
	else if (b < 1024ull * 1024 * 1024)
		snprintf(buf, len, "%.1fMiB", b / 1048576.0);
	else
		snprintf(buf, len, "%.1fGiB", b / 1073741824.0);
}

/* Fixed columns take 67; the creator's comm (CREATOR: the process that made
 * the object, `?` when it predates tracing) gets what is left, up to 15. */
#define FIXED_COLS 67
#define ROW_FMT "%-4s %8s %-10s %-8.8s %8s %8s %4s %8s %-*.*s"

static int comm_width(int width)
{
	int w = width - FIXED_COLS;

	return w < 4 ? 4 : w > 15 ? 15 : w;
}

#define NS_FMT "%-10s "

void top_format_columns(char *buf, size_t len, int width, bool ns)
{
	int cw;
	size_t off = 0;

	if (ns) {
		off = (size_t)snprintf(buf, len, NS_FMT, "NS");
		width -= (int)off;
		if (off >= len)
			return;
	}
	cw = comm_width(width);
	snprintf(buf + off, len - off, ROW_FMT, "KIND", "ID", "KEY", "OWNER", "CALLS/s", "P99",
		 "WAIT", "FILL/ATT", cw, cw, "CREATOR");
}

void top_format_row(const struct top_row *r, char *buf, size_t len, int width, bool ns)
{
	char id[16], key[16], rate[16], p99[16], wait[12], use[16], nsbuf[16];
	size_t off = 0;
	int cw;

	if (ns) {
		snprintf(nsbuf, sizeof(nsbuf), "%u", r->ipcns);
		off = (size_t)snprintf(buf, len, NS_FMT, nsbuf);
		width -= (int)off;
		if (off >= len)
			return;
	}
	cw = comm_width(width);

	snprintf(id, sizeof(id), "%d", r->id);
	snprintf(key, sizeof(key), IPCS_KEY_FMT, (uint32_t)r->key);
	if (r->have_calls) {
		snprintf(rate, sizeof(rate), r->calls_per_s < 100 ? "%.1f" : "%.0f", r->calls_per_s);
		top_format_ns(r->p99_ns, p99, sizeof(p99));
	} else {
		snprintf(rate, sizeof(rate), "-");
		snprintf(p99, sizeof(p99), "-");
	}
	snprintf(wait, sizeof(wait), "%u", r->waiters);
	switch (r->kind) {
	case KIND_MSG: snprintf(use, sizeof(use), "%.0f%%", r->fill * 100); break;
	case KIND_SHM: snprintf(use, sizeof(use), "%llu", (unsigned long long)r->nattch); break;
	default: snprintf(use, sizeof(use), "%u sems", r->nsems); break;
	}
	snprintf(buf + off, len - off, ROW_FMT, kind_name(r->kind), id, key, r->owner, rate, p99,
		 wait, use, cw, cw, r->comm[0] ? r->comm : "?");
}

static void format_totals(const struct top_model *m, char *buf, size_t len)
{
	char shm[16], msg[16];

	format_bytes(m->shm_bytes, shm, sizeof(shm));
	format_bytes(m->msg_bytes, msg, sizeof(msg));
	snprintf(buf, len, "shm %zu segs %s  sem %zu sets %llu sems  msg %zu queues %s %llu msgs  waiters %llu",
		 m->objects[KIND_SHM], shm, m->objects[KIND_SEM], (unsigned long long)m->sem_count,
		 m->objects[KIND_MSG], msg, (unsigned long long)m->msg_count,
		 (unsigned long long)m->waiters);
}

/* The limits closest to exhaustion, highest first. */
static void format_limits(const struct top_model *m, char *buf, size_t len)
{
	int order[LIM__COUNT], n = 0;
	size_t off;

	if (!m->limits) {
		snprintf(buf, len, "limits: unreadable");
		return;
	}
	for (int i = 0; i < LIM__COUNT; i++)
		if (m->limits->l[i].has_usage && m->limits->l[i].name)
			order[n++] = i;
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && m->limits->l[order[j]].use_pct >
					 m->limits->l[order[j - 1]].use_pct; j--) {
			int t = order[j];

			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	off = (size_t)snprintf(buf, len, "limits:");
	for (int i = 0; i < n && i < 4 && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, " %s %.1f%%",
					m->limits->l[order[i]].name, m->limits->l[order[i]].use_pct);
}

static const char *kinds_label(unsigned int kinds)
{
	if (!kinds)
		return "all";
	if (kinds == KIND_BIT(KIND_SHM))
		return "shm";
	if (kinds == KIND_BIT(KIND_SEM))
		return "sem";
	if (kinds == KIND_BIT(KIND_MSG))
		return "msg";
	return "some";
}

/* ---- batch output ------------------------------------------------------ */

static void rstrip(char *s)
{
	size_t n = strlen(s);

	while (n && s[n - 1] == ' ')
		s[--n] = '\0';
}

void top_print_text(FILE *f, const struct top_model *m, enum top_sort key,
		    unsigned int kinds, const char *filter, size_t max_rows)
{
	char line[512];
	size_t shown = 0;

	format_totals(m, line, sizeof(line));
	fprintf(f, "%s\n", line);
	format_limits(m, line, sizeof(line));
	fprintf(f, "%s", line);
	if (m->have_deadlocks)
		fprintf(f, "  deadlocks %u", m->deadlocks);
	fprintf(f, "\ntracing %s  calls/s %.0f  lost events %llu  uncounted calls %llu  sort %s  kind %s\n",
		m->tracing ? "on" : "off", m->calls_per_s, (unsigned long long)m->lost_events,
		(unsigned long long)m->uncounted_calls, top_sort_name(key), kinds_label(kinds));
	top_format_columns(line, sizeof(line), 120 + (m->all_ns ? 11 : 0), m->all_ns);
	rstrip(line);
	fprintf(f, "%s\n", line);
	for (size_t i = 0; i < m->n && (!max_rows || shown < max_rows); i++) {
		if (!top_row_visible(&m->rows[i], kinds, filter))
			continue;
		top_format_row(&m->rows[i], line, sizeof(line), 120 + (m->all_ns ? 11 : 0), m->all_ns);
		rstrip(line);
		fprintf(f, "%s%s\n", line, m->rows[i].in_deadlock ? "  DEADLOCK" : "");
		shown++;
	}
	fputc('\n', f);
}

void top_print_json(struct jsonw *w, const struct top_model *m, enum top_sort key,
		    unsigned int kinds, const char *filter, size_t max_rows)
{
	size_t shown = 0;

	jsonw_start_object(w);
	jsonw_int_field(w, "time", (int64_t)time(NULL));
	jsonw_bool_field(w, "tracing", m->tracing);
	jsonw_float_field(w, "calls_per_s", m->calls_per_s);
	jsonw_uint_field(w, "lost_events", m->lost_events);
	jsonw_uint_field(w, "uncounted_calls", m->uncounted_calls);
	jsonw_string_field(w, "sort", top_sort_name(key));
	jsonw_name(w, "objects");
	jsonw_start_object(w);
	jsonw_uint_field(w, "shm", m->objects[KIND_SHM]);
	jsonw_uint_field(w, "sem", m->objects[KIND_SEM]);
	jsonw_uint_field(w, "msg", m->objects[KIND_MSG]);
	jsonw_end_object(w);
	jsonw_uint_field(w, "shm_bytes", m->shm_bytes);
	jsonw_uint_field(w, "msg_bytes", m->msg_bytes);
	jsonw_uint_field(w, "waiters", m->waiters);
	if (m->have_deadlocks)
		jsonw_uint_field(w, "deadlocks", m->deadlocks);
	if (m->limits) {
		jsonw_name(w, "limits");
		jsonw_start_array(w);
		for (int i = 0; i < LIM__COUNT; i++) {
			const struct ipc_limit *l = &m->limits->l[i];

			if (!l->name || !l->has_usage)
				continue;
			jsonw_start_object(w);
			jsonw_string_field(w, "name", l->name);
			jsonw_uint_field(w, "value", l->value);
			jsonw_uint_field(w, "usage", l->usage);
			jsonw_float_field(w, "use_pct", l->use_pct);
			jsonw_end_object(w);
		}
		jsonw_end_array(w);
	}
	jsonw_name(w, "rows");
	jsonw_start_array(w);
	for (size_t i = 0; i < m->n && (!max_rows || shown < max_rows); i++) {
		const struct top_row *r = &m->rows[i];
		if (!top_row_visible(r, kinds, filter))
			continue;
		jsonw_start_object(w);
		jsonw_string_field(w, "kind", kind_name(r->kind));
		jsonw_uint_field(w, "ipcns", r->ipcns);
		jsonw_int_field(w, "id", r->id);
		jsonw_uint_field(w, "key", (uint32_t)r->key);
		jsonw_uint_field(w, "uid", r->uid);
		jsonw_string_field(w, "owner", r->owner);
		/* the creator's comm, null when the object predates tracing */
		jsonw_string_field(w, "creator_comm", r->comm[0] ? r->comm : NULL);
		if (r->have_calls) {
			jsonw_float_field(w, "calls_per_s", r->calls_per_s);
			jsonw_uint_field(w, "calls", r->calls);
			jsonw_uint_field(w, "p99_ns", r->p99_ns);
		}
		jsonw_uint_field(w, "waiters", r->waiters);
		jsonw_uint_field(w, "size", r->size);
		if (r->kind == KIND_MSG)
			jsonw_float_field(w, "fill", r->fill);
		if (r->kind == KIND_SHM)
			jsonw_uint_field(w, "nattch", r->nattch);
		if (r->kind == KIND_SEM)
			jsonw_uint_field(w, "nsems", r->nsems);
		jsonw_bool_field(w, "deadlock", r->in_deadlock);
		jsonw_end_object(w);
		shown++;
	}
	jsonw_end_array(w);
	jsonw_end_object(w);
	jsonw_eol(w);
}

/* ---- ncurses view ------------------------------------------------------ */

enum { PAIR_HEAD = 1, PAIR_DEADLOCK, PAIR_STATUS };

int top_ui_start(struct top_ui *ui)
{
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return -ENOTTY;
	if (!initscr())
		return -ENOTTY;
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	set_escdelay(25);
	if (has_colors()) {
		start_color();
		use_default_colors();
		init_pair(PAIR_HEAD, COLOR_BLACK, COLOR_CYAN);
		init_pair(PAIR_DEADLOCK, COLOR_WHITE, COLOR_RED);
		init_pair(PAIR_STATUS, COLOR_YELLOW, -1);
	}
	(void)ui;
	return 0;
}

void top_ui_stop(void)
{
	if (!isendwin())
		endwin();
}

static void put_line(int y, const char *s, int cols)
{
	mvaddnstr(y, 0, s, cols);
	clrtoeol();
}

static const char *help_lines[] = {
	"ipcscope top: keys",
	"",
	"  c   sort by calls per second        l   sort by p99 latency",
	"  w   sort by blocked waiters         s   sort by size",
	"  t   switch kind: all, shm, sem, msg (or 0 1 2 3)",
	"  /   filter by comm, owner, id or key (Enter applies, Esc clears)",
	"  p   pause / resume (also space)     q   quit",
	"",
	"Rows on a red background are in a deadlock (a wait-for cycle).",
	"CALLS/s and P99 need tracing (root); P99 covers the last few seconds.",
	"",
	"Press any key to return.",
};

void top_ui_draw(struct top_ui *ui, const struct top_model *m)
{
	int rows, cols, y = 0;
	char line[512], ts[16];
	time_t now = time(NULL);
	struct tm tm;

	getmaxyx(stdscr, rows, cols);
	erase();
	if (ui->help) {
		for (size_t i = 0; i < sizeof(help_lines) / sizeof(help_lines[0]) && (int)i < rows; i++)
			put_line((int)i, help_lines[i], cols);
		refresh();
		return;
	}
	localtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
	snprintf(line, sizeof(line), "ipcscope top - %s  tracing %s  calls/s %.0f  lost %llu  uncounted %llu%s%s",
		 ts, m->tracing ? "on" : "off", m->calls_per_s,
		 (unsigned long long)m->lost_events, (unsigned long long)m->uncounted_calls,
		 m->all_ns ? "  all namespaces" : "", ui->paused ? "  [PAUSED]" : "");
	put_line(y++, line, cols);
	format_totals(m, line, sizeof(line));
	put_line(y++, line, cols);
	format_limits(m, line, sizeof(line));
	if (m->have_deadlocks) {
		size_t l = strlen(line);

		snprintf(line + l, sizeof(line) - l, "  deadlocks %u", m->deadlocks);
	}
	if (m->have_deadlocks && m->deadlocks && has_colors())
		attron(COLOR_PAIR(PAIR_DEADLOCK) | A_BOLD);
	put_line(y++, line, cols);
	attroff(COLOR_PAIR(PAIR_DEADLOCK) | A_BOLD);
	snprintf(line, sizeof(line), "sort %s  kind %s  filter %s%s   ? help  q quit",
		 top_sort_name(ui->sort), kinds_label(ui->kinds),
		 ui->filter[0] || ui->editing_filter ? ui->filter : "-",
		 ui->editing_filter ? "_" : "");
	put_line(y++, line, cols);
	y++;

	top_format_columns(line, sizeof(line), cols, m->all_ns);
	attron(has_colors() ? COLOR_PAIR(PAIR_HEAD) : A_REVERSE);
	mvaddnstr(y, 0, line, cols);
	for (int x = (int)strlen(line); x < cols; x++)
		addch(' ');
	attroff(has_colors() ? COLOR_PAIR(PAIR_HEAD) : A_REVERSE);
	y++;

	for (size_t i = 0; i < m->n && y < rows - 1; i++) {
		const struct top_row *r = &m->rows[i];

		if (!top_row_visible(r, ui->kinds, ui->filter))
			continue;
		top_format_row(r, line, sizeof(line), cols, m->all_ns);
		if (r->in_deadlock)
			attron(has_colors() ? COLOR_PAIR(PAIR_DEADLOCK) | A_BOLD : A_REVERSE | A_BOLD);
		put_line(y++, line, cols);
		if (r->in_deadlock)
			attroff(has_colors() ? COLOR_PAIR(PAIR_DEADLOCK) | A_BOLD : A_REVERSE | A_BOLD);
	}
	if (ui->status[0]) {
		if (has_colors())
			attron(COLOR_PAIR(PAIR_STATUS));
		put_line(rows - 1, ui->status, cols);
		if (has_colors())
			attroff(COLOR_PAIR(PAIR_STATUS));
	}
	refresh();
}

static bool filter_key(struct top_ui *ui, int ch)
{
	size_t l = strlen(ui->filter);

	switch (ch) {
	case '\n': case '\r': case KEY_ENTER:
		ui->editing_filter = false;
		break;
	case 27:   /* Esc */
		ui->editing_filter = false;
		ui->filter[0] = '\0';
		break;
	case KEY_BACKSPACE: case 127: case 8:
		if (l)
			ui->filter[l - 1] = '\0';
		break;
	default:
		if (ch >= 32 && ch < 127 && l + 1 < sizeof(ui->filter)) {
			ui->filter[l] = (char)ch;
			ui->filter[l + 1] = '\0';
		}
	}
	return true;
}

bool top_ui_handle_key(struct top_ui *ui, int timeout_ms)
{
	int ch;

	timeout(timeout_ms);
	ch = getch();
	if (ch == ERR)
		return false;
	if (ch == KEY_RESIZE)
		return true;
	if (ui->help) {
		ui->help = false;
		return true;
	}
	if (ui->editing_filter)
		return filter_key(ui, ch);
	ui->status[0] = '\0';
	switch (ch) {
	case 'q': case 'Q': ui->quit = true; break;
	case 'c': ui->sort = TOP_SORT_CALLS; break;
	case 'l': ui->sort = TOP_SORT_LATENCY; break;
	case 'w': ui->sort = TOP_SORT_WAITERS; break;
	case 's': ui->sort = TOP_SORT_SIZE; break;
	case 't':
		ui->kinds = !ui->kinds ? KIND_BIT(KIND_SHM) :
			    ui->kinds == KIND_BIT(KIND_SHM) ? KIND_BIT(KIND_SEM) :
			    ui->kinds == KIND_BIT(KIND_SEM) ? KIND_BIT(KIND_MSG) : 0;
		break;
	case '0': ui->kinds = 0; break;
	case '1': ui->kinds = KIND_BIT(KIND_SHM); break;
	case '2': ui->kinds = KIND_BIT(KIND_SEM); break;
	case '3': ui->kinds = KIND_BIT(KIND_MSG); break;
	case '/': ui->editing_filter = true; ui->filter[0] = '\0'; break;
	case 'p': case ' ': ui->paused = !ui->paused; break;
	case '?': case 'h': ui->help = true; break;
	default:
		snprintf(ui->status, sizeof(ui->status), "unknown key: press ? for help");
	}
	return true;
}
