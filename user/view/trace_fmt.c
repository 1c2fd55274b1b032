// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* One event as an strace-like line or a JSON object; see trace_fmt.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

#include "view/trace_fmt.h"

/* snprintf that appends at *pos and never runs past len. */
static void put(char *buf, size_t len, int *pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void put(char *buf, size_t len, int *pos, const char *fmt, ...)
{
	size_t off = (size_t)*pos < len ? (size_t)*pos : len;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + off, len - off, fmt, ap);
	va_end(ap);
	if (n > 0)
		*pos += n;
}

struct flag_name { uint32_t bit; const char *name; };

static int put_flags(char *buf, size_t len, uint32_t flags, const struct flag_name *t,
		     uint32_t mode_mask)
{
	int pos = 0;
	bool any = false;

	if (len)
		buf[0] = 0;
	for (; t->name; t++) {
		if (flags & t->bit) {
			put(buf, len, &pos, "%s%s", any ? "|" : "", t->name);
			flags &= ~t->bit;
			any = true;
		}
	}
	if (mode_mask) {
		put(buf, len, &pos, "%s%#o", any ? "|" : "", flags & mode_mask);
		flags &= ~mode_mask;
		any = true;
	}
	if (flags || !any)
		put(buf, len, &pos, "%s%#x", any ? "|" : "", flags);
	return pos;
}

static const struct flag_name shmget_flags[] = {
	{ IPC_CREAT, "IPC_CREAT" }, { IPC_EXCL, "IPC_EXCL" },
	{ SHM_HUGETLB, "SHM_HUGETLB" }, { SHM_NORESERVE, "SHM_NORESERVE" }, { 0, NULL },
};
static const struct flag_name get_flags[] = {
	{ IPC_CREAT, "IPC_CREAT" }, { IPC_EXCL, "IPC_EXCL" }, { 0, NULL },
};
static const struct flag_name shmat_flags[] = {
	{ SHM_RDONLY, "SHM_RDONLY" }, { SHM_RND, "SHM_RND" }, { SHM_REMAP, "SHM_REMAP" },
	{ SHM_EXEC, "SHM_EXEC" }, { 0, NULL },
};
static const struct flag_name msg_flags[] = {
	{ IPC_NOWAIT, "IPC_NOWAIT" }, { MSG_NOERROR, "MSG_NOERROR" },
	{ MSG_EXCEPT, "MSG_EXCEPT" }, { MSG_COPY, "MSG_COPY" }, { 0, NULL },
};
static const struct flag_name sem_flags[] = {
	{ SEM_UNDO, "SEM_UNDO" }, { IPC_NOWAIT, "IPC_NOWAIT" }, { 0, NULL },
};

int trace_fmt_get_flags(char *buf, size_t len, unsigned int call, uint32_t flags)
{
	switch (call) {
	case CALL_SHMGET:
		return put_flags(buf, len, flags, shmget_flags, 0777);
	case CALL_SEMGET:
	case CALL_MSGGET:
		return put_flags(buf, len, flags, get_flags, 0777);
	case CALL_SHMAT:
		return put_flags(buf, len, flags, shmat_flags, 0);
	case CALL_MSGSND:
	case CALL_MSGRCV:
		return put_flags(buf, len, flags, msg_flags, 0);
	default:
		return snprintf(buf, len, "%#x", flags);
	}
}

int trace_fmt_sem_flg(char *buf, size_t len, int flg)
{
	if (!flg)
		return snprintf(buf, len, "0");
	return put_flags(buf, len, (uint16_t)flg, sem_flags, 0);
}

static void put_key(char *buf, size_t len, int *pos, int32_t key)
{
	if (key == IPC_PRIVATE)
		put(buf, len, pos, "IPC_PRIVATE");
	else
		put(buf, len, pos, IPCS_KEY_FMT, (uint32_t)key);
}

/* A user pointer as strace prints one it does not decode: NULL or hex. */
static void put_ptr(char *buf, size_t len, int *pos, uint64_t p)
{
	if (p)
		put(buf, len, pos, "%#" PRIx64, p);
	else
		put(buf, len, pos, "NULL");
}

/* A pointer that could not be read: strace shows the address; say why. */
static void put_unreadable(char *buf, size_t len, int *pos, uint64_t p)
{
	put_ptr(buf, len, pos, p);
	if (p)
		put(buf, len, pos, " <unreadable>");
}

static void put_sops(char *buf, size_t len, int *pos, const struct ev_call *e)
{
	unsigned int n = e->nsops_copied <= IPCS_MAX_SOPS ? e->nsops_copied : IPCS_MAX_SOPS;
	char flg[40];

	if (e->flags & EVF_SOPS_FAULT) {
		put(buf, len, pos, "<unreadable>");
		return;
	}
	put(buf, len, pos, "[");
	for (unsigned int i = 0; i < n; i++) {
		trace_fmt_sem_flg(flg, sizeof(flg), e->sops[i].flg);
		put(buf, len, pos, "%s{sem_num=%u, sem_op=%d, sem_flg=%s}", i ? ", " : "",
		    e->sops[i].num, e->sops[i].op, flg);
	}
	if (e->flags & EVF_SOPS_TRUNC)
		put(buf, len, pos, ", ...");
	put(buf, len, pos, "]");
}

int trace_fmt_args(char *buf, size_t len, const struct ev_call *e)
{
	char flags[96];
	int pos = 0;

	if (len)
		buf[0] = 0;
	switch (e->call) {
	case CALL_SHMGET:
		put_key(buf, len, &pos, e->key);
		trace_fmt_get_flags(flags, sizeof(flags), e->call, e->iflags);
		put(buf, len, &pos, ", %llu, %s", e->size, flags);
		break;
	case CALL_SEMGET:
		put_key(buf, len, &pos, e->key);
		trace_fmt_get_flags(flags, sizeof(flags), e->call, e->iflags);
		put(buf, len, &pos, ", %u, %s", e->nsops, flags);
		break;
	case CALL_MSGGET:
		put_key(buf, len, &pos, e->key);
		trace_fmt_get_flags(flags, sizeof(flags), e->call, e->iflags);
		put(buf, len, &pos, ", %s", flags);
		break;
	case CALL_SHMAT:
		/* shmat(shmid, shmaddr, shmflg); the result is where it went */
		trace_fmt_get_flags(flags, sizeof(flags), e->call, e->iflags);
		put(buf, len, &pos, "%d, ", e->id);
		put_ptr(buf, len, &pos, e->shmaddr);
		put(buf, len, &pos, ", %s", flags);
		break;
	case CALL_SHMDT:
		put(buf, len, &pos, "%#llx", e->addr);
		break;
	case CALL_SEMOP:
	case CALL_SEMTIMEDOP:
		put(buf, len, &pos, "%d, ", e->id);
		put_sops(buf, len, &pos, e);
		put(buf, len, &pos, ", %u", e->nsops);
		if (e->call != CALL_SEMTIMEDOP)
			break;
		if (!(e->flags & EVF_HAS_TIMEOUT))
			put(buf, len, &pos, ", NULL");
		else if (e->flags & EVF_PTR_FAULT) {
			put(buf, len, &pos, ", ");
			put_unreadable(buf, len, &pos, e->uptr);
		} else
			put(buf, len, &pos, ", {tv_sec=%llu, tv_nsec=%llu}",
			    e->timeout_ns / 1000000000, e->timeout_ns % 1000000000);
		break;
	case CALL_SEMCTL:
		/* the fourth argument is a union semun: a value or a pointer */
		put(buf, len, &pos, "%d, %d, %s, ", e->id, e->semnum,
		    ctl_cmd_name(KIND_SEM, e->cmd));
		put_ptr(buf, len, &pos, e->uptr);
		break;
	case CALL_SHMCTL:
	case CALL_MSGCTL:
		put(buf, len, &pos, "%d, %s, ", e->id, ctl_cmd_name(e->kind, e->cmd));
		put_ptr(buf, len, &pos, e->uptr);
		break;
	case CALL_MSGSND:
		trace_fmt_get_flags(flags, sizeof(flags), e->call, e->iflags);
		put(buf, len, &pos, "%d, ", e->id);
		if (e->flags & EVF_PTR_FAULT)
			put_unreadable(buf, len, &pos, e->uptr);
		else
			put(buf, len, &pos, "{mtype=%lld, ...}", e->mtype);
		put(buf, len, &pos, ", %llu, %s", e->size, flags);
		break;
	case CALL_MSGRCV:
		trace_fmt_get_flags(flags, sizeof(flags), e->call, e->iflags);
		put(buf, len, &pos, "%d, ", e->id);
		/* like strace: the message received, else the buffer's address */
		if (!e->err && e->ret >= 0 && !(e->flags & EVF_PTR_FAULT))
			put(buf, len, &pos, "{mtype=%lld, ...}", e->rcv_mtype);
		else if (!e->err && e->ret >= 0)
			put_unreadable(buf, len, &pos, e->uptr);
		else
			put_ptr(buf, len, &pos, e->uptr);
		put(buf, len, &pos, ", %llu, %lld, %s", e->size, e->mtype, flags);
		break;
	default:
		put(buf, len, &pos, "?");
	}
	return pos;
}

/*
 * The kernel's restart codes (include/linux/errno.h), which a program never
 * sees: it gets EINTR, or its call is restarted, or the signal kills it.
 * The BPF exit program records which (ev_call.intr, from the pending
 * signal's disposition); without that (older recordings) only the rule is
 * known: when the kernel restarts the call instead of failing it.
 */
bool trace_fmt_intr(const struct ev_call *e, struct trace_intr *out)
{
	static const struct { int err; const char *seen, *restart, *text; } r[] = {
		{ 512, "EINTR", "no_handler_or_sa_restart",
		  "restarted instead if no handler ran or it had SA_RESTART" },
		{ 513, NULL, "always", "restarted" },
		{ 514, "EINTR", "no_handler", "restarted instead if no handler ran" },
		{ 516, "EINTR", "no_handler", "restarted instead if no handler ran" },
	};
	unsigned int outcome = e->intr & 0xff, sig = (e->intr >> 8) & 0xff;
	size_t i;

	for (i = 0; i < sizeof(r) / sizeof(r[0]); i++)
		if (r[i].err == e->err)
			break;
	if (i == sizeof(r) / sizeof(r[0]))
		return false;
	memset(out, 0, sizeof(*out));
	if (sig && sigabbrev_np(sig)) {
		snprintf(out->sigbuf, sizeof(out->sigbuf), "SIG%s", sigabbrev_np(sig));
		out->signal = out->sigbuf;
	}
	switch (outcome) {
	case EVI_EINTR:
		out->seen = "EINTR";
		out->outcome = "eintr";
		out->text = "its handler ran";
		break;
	case EVI_RESTARTED:
		out->outcome = "restarted";
		out->text = "restarted";
		break;
	case EVI_KILLED:
		out->outcome = "killed";
		out->text = "it killed the process";
		break;
	default:
		out->seen = r[i].seen;
		out->restart = r[i].restart;
		out->text = r[i].text;
	}
	return true;
}

int trace_fmt_result(char *buf, size_t len, const struct ev_call *e)
{
	struct trace_intr in;

	if (trace_fmt_intr(e, &in) && in.seen)
		return snprintf(buf, len, "-1 %s (%s) <interrupted by %s: %s>", in.seen,
				strerror(EINTR), in.signal ? in.signal : "a signal", in.text);
	if (trace_fmt_intr(e, &in))      /* the program saw no return */
		return snprintf(buf, len, "? <interrupted by %s: %s>",
				in.signal ? in.signal : "a signal", in.text);
	if (e->err)
		return snprintf(buf, len, "-1 %s (%s)", errno_name(e->err), strerror(e->err));
	if (e->call == CALL_SHMAT)
		return snprintf(buf, len, "%#llx", (unsigned long long)e->ret);
	return snprintf(buf, len, "%lld", e->ret);
}

static const char *kobj_op_name(unsigned int op)
{
	switch (op) {
	case KOBJ_CREATE: return "create";
	case KOBJ_DESTROY: return "destroy";
	case KOBJ_UNDO_EXIT: return "undo_exit";
	default: return "?";
	}
}

static void text_call(FILE *f, const struct ev_call *e, const char *ts)
{
	char args[1536], res[128];

	trace_fmt_args(args, sizeof(args), e);
	trace_fmt_result(res, sizeof(res), e);
	fprintf(f, "%s %.*s[%u", ts, IPCS_COMM_LEN, e->h.comm, e->h.pid);
	if (e->h.tid != e->h.pid)
		fprintf(f, "/%u", e->h.tid);
	fprintf(f, "] %s(%s) = %s", call_name(e->call), args, res);
	if (e->call == CALL_SHMDT && (e->flags & EVF_ID_FROM_ADDR))
		fprintf(f, " [shmid %d]", e->id);
	fprintf(f, " <%llu.%06llu" ">\n", e->lat_ns / 1000000000,
		(e->lat_ns / 1000) % 1000000);
}

int trace_fmt_text(FILE *f, const struct ev_hdr *ev, int64_t mono_to_real_ns)
{
	char ts[32];

	format_ts(ts, sizeof(ts), ev->ts_ns, mono_to_real_ns);
	switch (ev->type) {
	case EV_CALL:
		text_call(f, (const struct ev_call *)ev, ts);
		return 1;
	case EV_FORK:
		fprintf(f, "%s %.*s[%u] +++ fork: child %u +++\n", ts, IPCS_COMM_LEN, ev->comm,
			ev->pid, ((const struct ev_proc *)ev)->child_pid);
		return 1;
	case EV_EXEC:
		fprintf(f, "%s %.*s[%u] +++ exec %.*s +++\n", ts, IPCS_COMM_LEN, ev->comm, ev->pid,
			(int)sizeof(((struct ev_proc *)0)->filename),
			((const struct ev_proc *)ev)->filename);
		return 1;
	case EV_EXIT: {
		int code = ((const struct ev_proc *)ev)->exit_code;

		if (code & 0x7f)
			fprintf(f, "%s %.*s[%u] +++ killed by %s +++\n", ts, IPCS_COMM_LEN,
				ev->comm, ev->pid, sigabbrev_np(code & 0x7f) ?: "?");
		else
			fprintf(f, "%s %.*s[%u] +++ exited with %d +++\n", ts, IPCS_COMM_LEN,
				ev->comm, ev->pid, (code >> 8) & 0xff);
		return 1;
	}
	case EV_CREATE: {
		const struct ev_create *c = (const struct ev_create *)ev;
		size_t n = c->cmdline_len < IPCS_CMDLINE_LEN ? c->cmdline_len : IPCS_CMDLINE_LEN;
		char cmdline[IPCS_CMDLINE_LEN + 1];

		memcpy(cmdline, c->cmdline, n);
		for (size_t i = 0; i + 1 < n; i++)
			if (!cmdline[i])
				cmdline[i] = ' ';
		cmdline[n] = 0;
		fprintf(f, "%s %.*s[%u] +++ created %s %d at rip %#llx (%u stack bytes): %s +++\n",
			ts, IPCS_COMM_LEN, ev->comm, ev->pid, kind_name(c->kind), c->id,
			(unsigned long long)c->regs[16], c->stack_len, cmdline);
		return 1;
	}
	case EV_KOBJ: {
		const struct ev_kobj *k = (const struct ev_kobj *)ev;

		if (k->op == KOBJ_UNDO_EXIT)
			fprintf(f, "%s %.*s[%u] +++ kernel: sem %d semnum %u %+d (SEM_UNDO applied "
				"at exit) +++\n", ts, IPCS_COMM_LEN, ev->comm, ev->pid, k->id,
				k->semnum, k->semadj);
		else
			fprintf(f, "%s %.*s[%u] +++ kernel: %s %s %d +++\n", ts, IPCS_COMM_LEN,
				ev->comm, ev->pid, kind_name(k->kind), kobj_op_name(k->op), k->id);
		return 1;
	}
	default:
		return 0;
	}
}

/* ------------------------------------------------------------------- JSON */

static void json_hdr(struct jsonw *w, const struct ev_hdr *h, const char *event)
{
	jsonw_string_field(w, "event", event);
	jsonw_uint_field(w, "ts_ns", h->ts_ns);
}

static void json_who(struct jsonw *w, const struct ev_hdr *h)
{
	jsonw_uint_field(w, "pid", h->pid);
	jsonw_uint_field(w, "tid", h->tid);
	jsonw_uint_field(w, "ppid", h->ppid);
	jsonw_name(w, "comm");
	jsonw_string_len(w, h->comm, strnlen(h->comm, IPCS_COMM_LEN));
	jsonw_uint_field(w, "uid", h->uid);
	jsonw_uint_field(w, "gid", h->gid);
	jsonw_uint_field(w, "ipcns", h->ipcns);
	jsonw_uint_field(w, "cgroup_id", h->cgroup_id);
}

static void json_call(struct jsonw *w, const struct ev_call *e)
{
	bool get = e->call == CALL_SHMGET || e->call == CALL_SEMGET || e->call == CALL_MSGGET;
	struct trace_intr in;
	bool intr = trace_fmt_intr(e, &in);

	jsonw_string_field(w, "call", call_name(e->call));
	jsonw_string_field(w, "kind", kind_name(e->kind));
	jsonw_int_field(w, "id", e->id);
	jsonw_name(w, "key");
	if (get)
		jsonw_uint(w, (uint32_t)e->key);
	else
		jsonw_null(w);
	json_who(w, &e->h);
	/* as the libc call returns it: -1 and the errno, like strace */
	jsonw_name(w, "ret");
	if (intr && !in.seen)
		jsonw_null(w);       /* no return: restarted or killed */
	else
		jsonw_int(w, e->err ? -1 : e->ret);
	jsonw_name(w, "errno");
	if (intr && !in.seen)
		jsonw_null(w);
	else if (e->err)
		jsonw_string(w, errno_name(e->err));
	else
		jsonw_int(w, 0);
	if (intr) {
		jsonw_bool_field(w, "interrupted", true);
		if (in.signal)
			jsonw_string_field(w, "signal", in.signal);
		if (in.outcome)
			jsonw_string_field(w, "outcome", in.outcome);
		else
			jsonw_string_field(w, "restart", in.restart);
	}
	jsonw_uint_field(w, "lat_ns", e->lat_ns);
	if (e->offcpu_ns)
		jsonw_uint_field(w, "offcpu_ns", e->offcpu_ns);
	if (e->flags & EVF_WAITED)
		jsonw_bool_field(w, "waited", true);
	if (e->stack_id >= 0)
		jsonw_int_field(w, "stack_id", e->stack_id);

	switch (e->call) {
	case CALL_SHMGET:
		jsonw_uint_field(w, "size", e->size);
		jsonw_uint_field(w, "flags", e->iflags);
		break;
	case CALL_SEMGET:
		jsonw_uint_field(w, "nsems", e->nsops);
		jsonw_uint_field(w, "flags", e->iflags);
		break;
	case CALL_MSGGET:
		jsonw_uint_field(w, "flags", e->iflags);
		break;
	case CALL_SHMAT:
		jsonw_uint_field(w, "addr", e->addr);
		jsonw_uint_field(w, "shmaddr", e->shmaddr);
		jsonw_uint_field(w, "flags", e->iflags);
		break;
	case CALL_SHMDT:
		jsonw_uint_field(w, "addr", e->addr);
		jsonw_bool_field(w, "id_from_addr", e->flags & EVF_ID_FROM_ADDR);
		break;
	case CALL_SEMOP:
	case CALL_SEMTIMEDOP: {
		unsigned int n = e->nsops_copied <= IPCS_MAX_SOPS ? e->nsops_copied : IPCS_MAX_SOPS;

		jsonw_uint_field(w, "nsops", e->nsops);
		jsonw_name(w, "sops");
		jsonw_start_array(w);
		for (unsigned int i = 0; i < n; i++) {
			jsonw_start_object(w);
			jsonw_uint_field(w, "num", e->sops[i].num);
			jsonw_int_field(w, "op", e->sops[i].op);
			jsonw_uint_field(w, "flg", (uint16_t)e->sops[i].flg);
			jsonw_end_object(w);
		}
		jsonw_end_array(w);
		if (e->flags & EVF_SOPS_TRUNC)
			jsonw_bool_field(w, "sops_truncated", true);
		if (e->flags & EVF_SOPS_FAULT)
			jsonw_bool_field(w, "sops_unreadable", true);
		if ((e->flags & (EVF_HAS_TIMEOUT | EVF_PTR_FAULT)) == EVF_HAS_TIMEOUT)
			jsonw_uint_field(w, "timeout_ns", e->timeout_ns);
		else if (e->flags & EVF_HAS_TIMEOUT)
			jsonw_bool_field(w, "timeout_unreadable", true);
		break;
	}
	case CALL_SEMCTL:
		jsonw_int_field(w, "semnum", e->semnum);
		/* fallthrough */
	case CALL_SHMCTL:
	case CALL_MSGCTL:
		jsonw_string_field(w, "cmd", ctl_cmd_name(e->kind, e->cmd));
		break;
	case CALL_MSGSND:
	case CALL_MSGRCV:
		jsonw_uint_field(w, "size", e->size);
		jsonw_name(w, "mtype");
		if (e->call == CALL_MSGSND && (e->flags & EVF_PTR_FAULT))
			jsonw_null(w);
		else
			jsonw_int(w, e->mtype);
		jsonw_uint_field(w, "flags", e->iflags);
		if (e->call == CALL_MSGSND && (e->flags & EVF_PTR_FAULT))
			jsonw_bool_field(w, "mtype_unreadable", true);
		if (e->call == CALL_MSGRCV && !e->err && e->ret >= 0) {
			if (e->flags & EVF_PTR_FAULT)
				jsonw_bool_field(w, "received_mtype_unreadable", true);
			else
				jsonw_int_field(w, "received_mtype", e->rcv_mtype);
		}
		break;
	}
}

/*
 * The same object as json_call() for compact output, written into one
 * buffer and handed to stdio once: `trace --json` formats every event, and
 * a field-by-field writer costs several stdio calls per field.  The unit
 * tests check that both produce the same JSON.
 */
struct sbuf {
	char *p;
	char buf[2048];
};

#define SB_LIT(b, s) sb_mem(b, s, sizeof(s) - 1)

static inline void sb_mem(struct sbuf *b, const char *s, size_t n)
{
	memcpy(b->p, s, n);
	b->p += n;
}

/* Two digits per division: timestamps and cgroup ids have 10 to 20. */
static const char digit_pairs[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

static inline void sb_u64(struct sbuf *b, uint64_t v)
{
	char tmp[24], *q = tmp + sizeof(tmp);

	while (v >= 100) {
		unsigned int r = v % 100;

		v /= 100;
		q -= 2;
		memcpy(q, digit_pairs + 2 * r, 2);
	}
	if (v >= 10) {
		q -= 2;
		memcpy(q, digit_pairs + 2 * v, 2);
	} else {
		*--q = '0' + v;
	}
	sb_mem(b, q, tmp + sizeof(tmp) - q);
}

static inline void sb_i64(struct sbuf *b, int64_t v)
{
	if (v < 0) {
		*b->p++ = '-';
		sb_u64(b, -(uint64_t)v);
	} else {
		sb_u64(b, v);
	}
}

/* A JSON string from at most n bytes (comm, names): escapes as jsonw does. */
static void sb_str(struct sbuf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	*b->p++ = '"';
	for (size_t i = 0; i < n && s[i]; i++) {
		unsigned char c = s[i];

		if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f) {
			*b->p++ = c;
			continue;
		}
		*b->p++ = '\\';
		switch (c) {
		case '"': *b->p++ = '"'; break;
		case '\\': *b->p++ = '\\'; break;
		case '\n': *b->p++ = 'n'; break;
		case '\t': *b->p++ = 't'; break;
		case '\r': *b->p++ = 'r'; break;
		default:
			sb_mem(b, "u00", 3);
			*b->p++ = hex[c >> 4];
			*b->p++ = hex[c & 15];
		}
	}
	*b->p++ = '"';
}

/* Call and kind names (event.c's tables: plain identifiers, nothing to escape). */
static inline void sb_name(struct sbuf *b, const char *s, size_t max)
{
	*b->p++ = '"';
	sb_mem(b, s, strnlen(s, max));
	*b->p++ = '"';
}

/*
 * pid .. cgroup_id as fast_call_body writes them.  They are the same from
 * one event to the next (a thread's calls come in runs): the last one is
 * kept formatted, keyed by the header bytes it comes from.
 */
#define WHO_KEY_OFF offsetof(struct ev_hdr, pid)
#define WHO_KEY_LEN (sizeof(struct ev_hdr) - WHO_KEY_OFF)

static _Thread_local struct {
	bool valid;
	unsigned char key[WHO_KEY_LEN];
	size_t len;
	char txt[256];
} who_cache;

static void sb_who(struct sbuf *b, const struct ev_hdr *h)
{
	const unsigned char *key = (const unsigned char *)h + WHO_KEY_OFF;
	char *start = b->p;

	if (who_cache.valid && !memcmp(who_cache.key, key, WHO_KEY_LEN)) {
		sb_mem(b, who_cache.txt, who_cache.len);
		return;
	}
	SB_LIT(b, ",\"pid\":"); sb_u64(b, h->pid);
	SB_LIT(b, ",\"tid\":"); sb_u64(b, h->tid);
	SB_LIT(b, ",\"ppid\":"); sb_u64(b, h->ppid);
	SB_LIT(b, ",\"comm\":"); sb_str(b, h->comm, IPCS_COMM_LEN);
	SB_LIT(b, ",\"uid\":"); sb_u64(b, h->uid);
	SB_LIT(b, ",\"gid\":"); sb_u64(b, h->gid);
	SB_LIT(b, ",\"ipcns\":"); sb_u64(b, h->ipcns);
	SB_LIT(b, ",\"cgroup_id\":"); sb_u64(b, h->cgroup_id);
	who_cache.len = b->p - start;
	if (who_cache.len <= sizeof(who_cache.txt)) {
		memcpy(who_cache.txt, start, who_cache.len);
		memcpy(who_cache.key, key, WHO_KEY_LEN);
		who_cache.valid = true;
	} else {
		who_cache.valid = false;
	}
}

static void fast_call_body(FILE *f, const struct ev_call *e)
{
	struct sbuf b;
	const char *name = call_name(e->call), *kind = kind_name(e->kind);
	struct trace_intr in;
	bool intr = trace_fmt_intr(e, &in);

	b.p = b.buf;
	SB_LIT(&b, "\"event\":");
	if (e->h.type == EV_CALL)
		SB_LIT(&b, "\"call\"");
	else
		SB_LIT(&b, "\"block\"");
	SB_LIT(&b, ",\"ts_ns\":"); sb_u64(&b, e->h.ts_ns);
	SB_LIT(&b, ",\"call\":"); sb_name(&b, name, 16);
	SB_LIT(&b, ",\"kind\":"); sb_name(&b, kind, 8);
	SB_LIT(&b, ",\"id\":"); sb_i64(&b, e->id);
	SB_LIT(&b, ",\"key\":");
	if (e->call == CALL_SHMGET || e->call == CALL_SEMGET || e->call == CALL_MSGGET)
		sb_u64(&b, (uint32_t)e->key);
	else
		SB_LIT(&b, "null");
	sb_who(&b, &e->h);
	SB_LIT(&b, ",\"ret\":");
	if (intr && !in.seen)
		SB_LIT(&b, "null");
	else
		sb_i64(&b, e->err ? -1 : e->ret);
	SB_LIT(&b, ",\"errno\":");
	if (intr && !in.seen)
		SB_LIT(&b, "null");
	else if (e->err)
		sb_str(&b, errno_name(e->err), 16);
	else
		*b.p++ = '0';
	if (intr) {
		SB_LIT(&b, ",\"interrupted\":true");
		if (in.signal) {
			SB_LIT(&b, ",\"signal\":"); sb_str(&b, in.signal, 16);
		}
		if (in.outcome) {
			SB_LIT(&b, ",\"outcome\":"); sb_str(&b, in.outcome, 16);
		} else {
			SB_LIT(&b, ",\"restart\":"); sb_str(&b, in.restart, 32);
		}
	}
	SB_LIT(&b, ",\"lat_ns\":"); sb_u64(&b, e->lat_ns);
	if (e->offcpu_ns) {
		SB_LIT(&b, ",\"offcpu_ns\":"); sb_u64(&b, e->offcpu_ns);
	}
	if (e->flags & EVF_WAITED)
		SB_LIT(&b, ",\"waited\":true");
	if (e->stack_id >= 0) {
		SB_LIT(&b, ",\"stack_id\":"); sb_i64(&b, e->stack_id);
	}
	switch (e->call) {
	case CALL_SHMGET:
		SB_LIT(&b, ",\"size\":"); sb_u64(&b, e->size);
		SB_LIT(&b, ",\"flags\":"); sb_u64(&b, e->iflags);
		break;
	case CALL_SEMGET:
		SB_LIT(&b, ",\"nsems\":"); sb_u64(&b, e->nsops);
		SB_LIT(&b, ",\"flags\":"); sb_u64(&b, e->iflags);
		break;
	case CALL_MSGGET:
		SB_LIT(&b, ",\"flags\":"); sb_u64(&b, e->iflags);
		break;
	case CALL_SHMAT:
		SB_LIT(&b, ",\"addr\":"); sb_u64(&b, e->addr);
		SB_LIT(&b, ",\"shmaddr\":"); sb_u64(&b, e->shmaddr);
		SB_LIT(&b, ",\"flags\":"); sb_u64(&b, e->iflags);
		break;
	case CALL_SHMDT:
		SB_LIT(&b, ",\"addr\":"); sb_u64(&b, e->addr);
		if (e->flags & EVF_ID_FROM_ADDR)
			SB_LIT(&b, ",\"id_from_addr\":true");
		else
			SB_LIT(&b, ",\"id_from_addr\":false");
		break;
	case CALL_SEMOP:
	case CALL_SEMTIMEDOP: {
		unsigned int n = e->nsops_copied <= IPCS_MAX_SOPS ? e->nsops_copied : IPCS_MAX_SOPS;

		SB_LIT(&b, ",\"nsops\":"); sb_u64(&b, e->nsops);
		SB_LIT(&b, ",\"sops\":[");
		for (unsigned int i = 0; i < n; i++) {
			if (i)
				*b.p++ = ',';
			SB_LIT(&b, "{\"num\":"); sb_u64(&b, e->sops[i].num);
			SB_LIT(&b, ",\"op\":"); sb_i64(&b, e->sops[i].op);
			SB_LIT(&b, ",\"flg\":"); sb_u64(&b, (uint16_t)e->sops[i].flg);
			*b.p++ = '}';
		}
		*b.p++ = ']';
		if (e->flags & EVF_SOPS_TRUNC)
			SB_LIT(&b, ",\"sops_truncated\":true");
		if (e->flags & EVF_SOPS_FAULT)
			SB_LIT(&b, ",\"sops_unreadable\":true");
		if ((e->flags & (EVF_HAS_TIMEOUT | EVF_PTR_FAULT)) == EVF_HAS_TIMEOUT) {
			SB_LIT(&b, ",\"timeout_ns\":"); sb_u64(&b, e->timeout_ns);
		} else if (e->flags & EVF_HAS_TIMEOUT) {
			SB_LIT(&b, ",\"timeout_unreadable\":true");
		}
		break;
	}
	case CALL_SEMCTL:
		SB_LIT(&b, ",\"semnum\":"); sb_i64(&b, e->semnum);
		/* fallthrough */
	case CALL_SHMCTL:
	case CALL_MSGCTL:
		SB_LIT(&b, ",\"cmd\":"); sb_str(&b, ctl_cmd_name(e->kind, e->cmd), 16);
		break;
	case CALL_MSGSND:
	case CALL_MSGRCV:
		SB_LIT(&b, ",\"size\":"); sb_u64(&b, e->size);
		SB_LIT(&b, ",\"mtype\":");
		if (e->call == CALL_MSGSND && (e->flags & EVF_PTR_FAULT))
			SB_LIT(&b, "null");
		else
			sb_i64(&b, e->mtype);
		SB_LIT(&b, ",\"flags\":"); sb_u64(&b, e->iflags);
		if (e->call == CALL_MSGSND && (e->flags & EVF_PTR_FAULT))
			SB_LIT(&b, ",\"mtype_unreadable\":true");
		if (e->call == CALL_MSGRCV && !e->err && e->ret >= 0) {
			if (e->flags & EVF_PTR_FAULT) {
				SB_LIT(&b, ",\"received_mtype_unreadable\":true");
			} else {
				SB_LIT(&b, ",\"received_mtype\":"); sb_i64(&b, e->rcv_mtype);
			}
		}
		break;
	}
	fwrite_unlocked(b.buf, 1, b.p - b.buf, f);
}

int trace_fmt_json(struct jsonw *w, const struct ev_hdr *ev)
{
	const struct ev_proc *p = (const struct ev_proc *)ev;

	switch (ev->type) {
	case EV_CALL:
	case EV_BLOCK:
		jsonw_start_object(w);
		if (!w->pretty) {
			fast_call_body(w->f, (const struct ev_call *)ev);
			w->need_comma[w->depth] = true;
			jsonw_end_object(w);
			return 1;
		}
		json_hdr(w, ev, ev->type == EV_CALL ? "call" : "block");
		json_call(w, (const struct ev_call *)ev);
		jsonw_end_object(w);
		return 1;
	case EV_FORK:
	case EV_EXEC:
	case EV_EXIT:
		jsonw_start_object(w);
		json_hdr(w, ev, ev_type_name(ev->type));
		json_who(w, ev);
		if (ev->type == EV_FORK)
			jsonw_uint_field(w, "child_pid", p->child_pid);
		else if (ev->type == EV_EXEC) {
			jsonw_name(w, "filename");
			jsonw_string_len(w, p->filename, strnlen(p->filename, sizeof(p->filename)));
		} else
			jsonw_int_field(w, "exit_code", p->exit_code);
		jsonw_end_object(w);
		return 1;
	case EV_CREATE: {
		const struct ev_create *c = (const struct ev_create *)ev;

		jsonw_start_object(w);
		json_hdr(w, ev, "create");
		jsonw_string_field(w, "call", call_name(c->call));
		jsonw_string_field(w, "kind", kind_name(c->kind));
		jsonw_int_field(w, "id", c->id);
		jsonw_uint_field(w, "key", (uint32_t)c->key);
		json_who(w, ev);
		jsonw_uint_field(w, "rip", c->regs[16]);
		jsonw_uint_field(w, "sp", c->sp);
		jsonw_uint_field(w, "rbp", c->regs[6]);
		jsonw_uint_field(w, "stack_len", c->stack_len);
		if (c->stack_id >= 0)
			jsonw_int_field(w, "stack_id", c->stack_id);
		jsonw_name(w, "cmdline");
		jsonw_start_array(w);
		for (size_t i = 0, n = c->cmdline_len < IPCS_CMDLINE_LEN ? c->cmdline_len :
		     IPCS_CMDLINE_LEN; i < n;) {
			size_t l = strnlen(c->cmdline + i, n - i);

			jsonw_string_len(w, c->cmdline + i, l);
			i += l + 1;
		}
		jsonw_end_array(w);
		jsonw_end_object(w);
		return 1;
	}
	case EV_KOBJ: {
		const struct ev_kobj *k = (const struct ev_kobj *)ev;

		jsonw_start_object(w);
		json_hdr(w, ev, "kobj");
		jsonw_string_field(w, "op", kobj_op_name(k->op));
		jsonw_string_field(w, "kind", kind_name(k->kind));
		jsonw_int_field(w, "id", k->id);
		jsonw_uint_field(w, "key", (uint32_t)k->key);
		jsonw_uint_field(w, "size", k->size);
		if (k->op == KOBJ_UNDO_EXIT) {
			jsonw_uint_field(w, "semnum", k->semnum);
			jsonw_int_field(w, "semadj", k->semadj);
		}
		json_who(w, ev);
		jsonw_end_object(w);
		return 1;
	}
	default:
		return 0;
	}
}
