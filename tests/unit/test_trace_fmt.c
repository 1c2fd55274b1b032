// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests for view/trace_fmt: raw event records -> text lines and JSON. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "event.h"
#include "view/trace_fmt.h"

static void hdr(struct ev_hdr *h, unsigned int type, size_t size)
{
	memset(h, 0, sizeof(*h));
	h->type = type;
	h->size = size;
	h->ts_ns = 1000000123;
	h->pid = 42;
	h->tid = 43;
	h->ppid = 1;
	h->uid = 1000;
	h->ipcns = 4026531839u;
	memcpy(h->comm, "worker", 7);
}

static struct ev_call semop_eidrm(void)
{
	struct ev_call e;

	memset(&e, 0, sizeof(e));
	hdr(&e.h, EV_CALL, sizeof(e));
	e.call = CALL_SEMTIMEDOP;
	e.kind = KIND_SEM;
	e.id = 5;
	e.key = 0;
	e.err = EIDRM;
	e.ret = -EIDRM;
	e.lat_ns = 1500000;
	e.nsops = 2;
	e.nsops_copied = 2;
	e.sops[0] = (struct ipcs_sembuf){ 0, -1, 0x1000 };
	e.sops[1] = (struct ipcs_sembuf){ 1, 1, 04000 | 0x1000 };
	e.stack_id = -1;
	return e;
}

/* Format through the bus, as the live and file sources do, from raw bytes. */
struct capture {
	char *buf;
	size_t len;
	FILE *f;
	struct jsonw w;
	bool json;
};

static int fmt_sink(void *ctx, const struct ev_hdr *ev)
{
	struct capture *c = ctx;

	if (c->json) {
		if (trace_fmt_json(&c->w, ev))
			jsonw_eol(&c->w);
	} else {
		trace_fmt_text(c->f, ev, 0);
	}
	return 0;
}

static char *format_bytes(const void *rec, size_t len, bool json, uint64_t *malformed)
{
	struct capture c = { .json = json };
	struct ev_bus bus;

	c.f = open_memstream(&c.buf, &c.len);
	jsonw_init(&c.w, c.f, false);
	ev_bus_init(&bus);
	ev_bus_add(&bus, fmt_sink, &c);
	ev_bus_emit(&bus, rec, len);
	fclose(c.f);
	if (malformed)
		*malformed = bus.malformed;
	return c.buf;
}

static void test_text_semop_eidrm(void **state)
{
	struct ev_call e = semop_eidrm();
	unsigned char raw[sizeof(e)];
	char *s;

	memcpy(raw, &e, sizeof(e));
	s = format_bytes(raw, sizeof(raw), false, NULL);
	assert_non_null(strstr(s, " worker[42/43] semtimedop(5, [{sem_num=0, sem_op=-1, "
			       "sem_flg=SEM_UNDO}, {sem_num=1, sem_op=1, sem_flg=SEM_UNDO|IPC_NOWAIT}], "
			       "2, NULL) = -1 EIDRM "
			       "(Identifier removed) <0.001500>\n"));
	free(s);
}

static void test_json_semop_eidrm(void **state)
{
	struct ev_call e = semop_eidrm();
	char *s = format_bytes(&e, sizeof(e), true, NULL);

	assert_string_equal(s,
		"{\"event\":\"call\",\"ts_ns\":1000000123,\"call\":\"semtimedop\",\"kind\":\"sem\","
		"\"id\":5,\"key\":null,\"pid\":42,\"tid\":43,\"ppid\":1,\"comm\":\"worker\","
		"\"uid\":1000,\"gid\":0,\"ipcns\":4026531839,\"cgroup_id\":0,\"ret\":-1,"
		"\"errno\":\"EIDRM\",\"lat_ns\":1500000,\"nsops\":2,\"sops\":["
		"{\"num\":0,\"op\":-1,\"flg\":4096},{\"num\":1,\"op\":1,\"flg\":6144}]}\n");
	free(s);
}

static void test_json_shmget_and_truncated_sops(void **state)
{
	struct ev_call e;
	char *s;

	memset(&e, 0, sizeof(e));
	hdr(&e.h, EV_CALL, sizeof(e));
	e.call = CALL_SHMGET;
	e.kind = KIND_SHM;
	e.id = 3;
	e.key = 0x5eed;
	e.ret = 3;
	e.size = 4096;
	e.iflags = 01000 | 02000 | 0640;
	e.stack_id = 7;
	s = format_bytes(&e, sizeof(e), true, NULL);
	assert_non_null(strstr(s, "\"call\":\"shmget\",\"kind\":\"shm\",\"id\":3,\"key\":24301,"));
	assert_non_null(strstr(s, "\"ret\":3,\"errno\":0,"));
	assert_non_null(strstr(s, "\"stack_id\":7,\"size\":4096,\"flags\":1952}"));
	free(s);
	s = format_bytes(&e, sizeof(e), false, NULL);
	assert_non_null(strstr(s, "shmget(0x00005eed, 4096, IPC_CREAT|IPC_EXCL|0640) = 3 <0.000000>"));
	free(s);

	e = semop_eidrm();
	e.nsops = 40;
	e.nsops_copied = IPCS_MAX_SOPS;
	e.flags = EVF_SOPS_TRUNC;
	e.err = 0;
	e.ret = 0;
	s = format_bytes(&e, sizeof(e), true, NULL);
	assert_non_null(strstr(s, "\"nsops\":40,"));
	assert_non_null(strstr(s, "\"sops_truncated\":true"));
	free(s);
	s = format_bytes(&e, sizeof(e), false, NULL);
	assert_non_null(strstr(s, ", ...], 40, NULL) = 0"));
	free(s);
}

static void test_shmdt_ctl_msg(void **state)
{
	struct ev_call e;
	char buf[256];

	memset(&e, 0, sizeof(e));
	hdr(&e.h, EV_CALL, sizeof(e));
	e.call = CALL_SHMDT;
	e.kind = KIND_SHM;
	e.id = 9;
	e.addr = 0x7f0000001000ull;
	e.flags = EVF_ID_FROM_ADDR;
	trace_fmt_args(buf, sizeof(buf), &e);
	assert_string_equal(buf, "0x7f0000001000");

	e.call = CALL_SEMCTL;
	e.kind = KIND_SEM;
	e.semnum = 2;
	e.cmd = 16;   /* SETVAL */
	trace_fmt_args(buf, sizeof(buf), &e);
	/* the fourth argument as strace shows it (addr and uptr share bytes) */
	assert_string_equal(buf, "9, 2, SETVAL, 0x7f0000001000");
	e.uptr = 0;
	trace_fmt_args(buf, sizeof(buf), &e);
	assert_string_equal(buf, "9, 2, SETVAL, NULL");

	e.call = CALL_MSGRCV;
	e.kind = KIND_MSG;
	e.size = 64;
	e.mtype = -5;
	e.iflags = 04000 | 010000;
	e.uptr = 0x7ffc0000;
	e.err = ENOMSG;
	e.ret = -ENOMSG;
	trace_fmt_args(buf, sizeof(buf), &e);
	assert_string_equal(buf, "9, 0x7ffc0000, 64, -5, IPC_NOWAIT|MSG_NOERROR");
	e.err = 0;
	e.ret = 5;
	e.rcv_mtype = 3;
	trace_fmt_args(buf, sizeof(buf), &e);
	assert_string_equal(buf, "9, {mtype=3, ...}, 64, -5, IPC_NOWAIT|MSG_NOERROR");

	e.call = CALL_SHMAT;
	e.kind = KIND_SHM;
	e.ret = 0x7f0000002000ll;
	trace_fmt_result(buf, sizeof(buf), &e);
	assert_string_equal(buf, "0x7f0000002000");

	/* truncated output buffers stay terminated */
	e.call = CALL_MSGRCV;
	trace_fmt_args(buf, 8, &e);
	assert_int_equal(strlen(buf), 7);
}

/* Every call's arguments in strace's order (strace 6.1 -e trace=ipc). */
static void test_strace_order(void **state)
{
	struct ev_call e;
	char buf[256];

	memset(&e, 0, sizeof(e));
	e.call = CALL_SHMAT;
	e.kind = KIND_SHM;
	e.id = 11;
	e.addr = 0x7f584b45b000ull;
	trace_fmt_args(buf, sizeof(buf), &e);
	assert_string_equal(buf, "11, NULL, 0");
	e.shmaddr = 0x7f0000000000ull;
	e.iflags = 010000;
	trace_fmt_args(buf, sizeof(buf), &e);
	assert_string_equal(buf, "11, 0x7f0000000000, SHM_RDONLY");

	memset(&e, 0, sizeof(e));
	e.call = CALL_SHMCTL;
	e.kind = KIND_SHM;
	e.id = 0;
	e.cmd = 0;
	trace_fmt_args(buf, sizeof(buf), &e);
	assert_string_equal(buf, "0, IPC_RMID, NULL");
	e.call = CALL_MSGCTL;
	e.kind = KIND_MSG;
	e.cmd = -1;      /* an invalid command stays itself */
	e.uptr = 0x7ffd1000;
	trace_fmt_args(buf, sizeof(buf), &e);
	assert_string_equal(buf, "0, -1, 0x7ffd1000");

	memset(&e, 0, sizeof(e));
	e.call = CALL_MSGSND;
	e.kind = KIND_MSG;
	e.mtype = 7;
	e.size = 5;
	e.uptr = 0x7ffc0000;
	trace_fmt_args(buf, sizeof(buf), &e);
	assert_string_equal(buf, "0, {mtype=7, ...}, 5, 0");

	memset(&e, 0, sizeof(e));
	e.call = CALL_SEMTIMEDOP;
	e.kind = KIND_SEM;
	e.nsops = 1;
	e.nsops_copied = 1;
	e.sops[0] = (struct ipcs_sembuf){ 1, 1, 04000 };
	e.flags = EVF_HAS_TIMEOUT;
	e.timeout_ns = 1000000500;
	trace_fmt_args(buf, sizeof(buf), &e);
	assert_string_equal(buf, "0, [{sem_num=1, sem_op=1, sem_flg=IPC_NOWAIT}], 1, "
			    "{tv_sec=1, tv_nsec=500}");

	memset(&e, 0, sizeof(e));
	e.call = CALL_MSGGET;
	e.kind = KIND_MSG;
	e.key = (int32_t)0x8cc76df9u;
	e.iflags = 01000 | 0600;
	trace_fmt_args(buf, sizeof(buf), &e);
	assert_string_equal(buf, "0x8cc76df9, IPC_CREAT|0600");
	e.key = 0x10ef;
	trace_fmt_args(buf, sizeof(buf), &e);
	assert_string_equal(buf, "0x000010ef, IPC_CREAT|0600");
}

/* Unreadable pointers are said to be unreadable, never shown as zeros. */
static void test_unreadable_pointers(void **state)
{
	struct ev_call e;
	char buf[256], *s;

	memset(&e, 0, sizeof(e));
	hdr(&e.h, EV_CALL, sizeof(e));
	e.call = CALL_SEMTIMEDOP;
	e.kind = KIND_SEM;
	e.id = 4;
	e.nsops = 1;
	e.nsops_copied = 1;
	e.flags = EVF_HAS_TIMEOUT | EVF_PTR_FAULT;
	e.uptr = 0x1;
	e.err = EFAULT;
	e.ret = -EFAULT;
	e.stack_id = -1;
	trace_fmt_args(buf, sizeof(buf), &e);
	assert_string_equal(buf, "4, [{sem_num=0, sem_op=0, sem_flg=0}], 1, 0x1 <unreadable>");
	s = format_bytes(&e, sizeof(e), true, NULL);
	assert_non_null(strstr(s, "\"timeout_unreadable\":true"));
	assert_null(strstr(s, "timeout_ns"));
	free(s);

	memset(&e, 0, sizeof(e));
	hdr(&e.h, EV_CALL, sizeof(e));
	e.call = CALL_MSGSND;
	e.kind = KIND_MSG;
	e.id = 2;
	e.size = 8;
	e.flags = EVF_PTR_FAULT;
	e.err = EFAULT;
	e.ret = -EFAULT;
	e.stack_id = -1;
	trace_fmt_args(buf, sizeof(buf), &e);
	assert_string_equal(buf, "2, NULL, 8, 0");
	s = format_bytes(&e, sizeof(e), true, NULL);
	assert_non_null(strstr(s, "\"mtype\":null,"));
	assert_non_null(strstr(s, "\"mtype_unreadable\":true"));
	free(s);
}

/* The kernel's restart codes come out as what the program saw. */
static void test_interrupted(void **state)
{
	static const int codes[] = { 512, 514, 516 };
	struct ev_call e;
	char buf[256], *s;

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		memset(&e, 0, sizeof(e));
		hdr(&e.h, EV_CALL, sizeof(e));
		e.call = CALL_MSGRCV;
		e.kind = KIND_MSG;
		e.err = codes[i];
		e.ret = -codes[i];
		e.stack_id = -1;
		trace_fmt_result(buf, sizeof(buf), &e);
		assert_non_null(strstr(buf, "-1 EINTR (Interrupted system call) <interrupted by a signal: restarted instead if no handler ran"));
		assert_null(strstr(buf, "51"));
		s = format_bytes(&e, sizeof(e), true, NULL);
		assert_non_null(strstr(s, "\"errno\":\"EINTR\",\"interrupted\":true,\"restart\":\"no_handler"));
		assert_null(strstr(s, "E51"));
		free(s);
		s = format_bytes(&e, sizeof(e), false, NULL);
		assert_null(strstr(s, "E51"));
		free(s);
	}
	e.err = 513;     /* ERESTARTNOINTR: always restarted */
	e.ret = -513;
	trace_fmt_result(buf, sizeof(buf), &e);
	assert_string_equal(buf, "? <interrupted by a signal: restarted>");
	s = format_bytes(&e, sizeof(e), true, NULL);
	assert_non_null(strstr(s, "\"errno\":null,\"interrupted\":true,\"restart\":\"always\""));
	free(s);
	assert_string_equal(errno_name(514), "EINTR");

	/* what the exit program recorded: the outcome and the signal */
	e.err = 514;
	e.ret = -514;
	e.intr = EVI_EINTR | 14 << 8;
	trace_fmt_result(buf, sizeof(buf), &e);
	assert_string_equal(buf, "-1 EINTR (Interrupted system call) <interrupted by SIGALRM: "
			    "its handler ran>");
	s = format_bytes(&e, sizeof(e), true, NULL);
	assert_non_null(strstr(s, "\"ret\":-1,\"errno\":\"EINTR\",\"interrupted\":true,"
			       "\"signal\":\"SIGALRM\",\"outcome\":\"eintr\","));
	free(s);
	e.intr = EVI_RESTARTED | 19 << 8;
	trace_fmt_result(buf, sizeof(buf), &e);
	assert_string_equal(buf, "? <interrupted by SIGSTOP: restarted>");
	s = format_bytes(&e, sizeof(e), true, NULL);
	assert_non_null(strstr(s, "\"ret\":null,\"errno\":null,\"interrupted\":true,"
			       "\"signal\":\"SIGSTOP\",\"outcome\":\"restarted\","));
	free(s);
	e.intr = EVI_KILLED | 15 << 8;
	trace_fmt_result(buf, sizeof(buf), &e);
	assert_string_equal(buf, "? <interrupted by SIGTERM: it killed the process>");
	e.intr = EVI_RESTARTED;          /* no signal pending (freezer) */
	trace_fmt_result(buf, sizeof(buf), &e);
	assert_string_equal(buf, "? <interrupted by a signal: restarted>");
	assert_string_equal(errno_name(EIDRM), "EIDRM");
}

/* sem_flg with bit 15: unsigned, known bits named (strace). */
static void test_sem_flg_high_bit(void **state)
{
	struct ev_call e = semop_eidrm();
	char buf[64], *s;

	trace_fmt_sem_flg(buf, sizeof(buf), (int16_t)0x9000);
	assert_string_equal(buf, "SEM_UNDO|0x8000");
	e.sops[0].flg = (int16_t)0x9800;
	s = format_bytes(&e, sizeof(e), true, NULL);
	assert_non_null(strstr(s, "\"flg\":38912}"));
	free(s);
	s = format_bytes(&e, sizeof(e), false, NULL);
	assert_non_null(strstr(s, "sem_flg=SEM_UNDO|IPC_NOWAIT|0x8000}"));
	free(s);
}

/* JSON keys are unsigned numbers. */
static void test_json_key_unsigned(void **state)
{
	struct ev_call e;
	char *s;

	memset(&e, 0, sizeof(e));
	hdr(&e.h, EV_CALL, sizeof(e));
	e.call = CALL_SEMGET;
	e.kind = KIND_SEM;
	e.key = (int32_t)0x8cc76df9u;
	e.stack_id = -1;
	s = format_bytes(&e, sizeof(e), true, NULL);
	assert_non_null(strstr(s, "\"key\":2361880057,"));
	free(s);
}

static void test_proc_events(void **state)
{
	struct ev_proc p;
	char *s;

	memset(&p, 0, sizeof(p));
	hdr(&p.h, EV_EXIT, sizeof(p));
	p.exit_code = 3 << 8;
	s = format_bytes(&p, sizeof(p), false, NULL);
	assert_non_null(strstr(s, "worker[42] +++ exited with 3 +++"));
	free(s);
	p.exit_code = 9;   /* SIGKILL */
	s = format_bytes(&p, sizeof(p), false, NULL);
	assert_non_null(strstr(s, "+++ killed by KILL +++"));
	free(s);
	hdr(&p.h, EV_FORK, sizeof(p));
	p.child_pid = 77;
	s = format_bytes(&p, sizeof(p), true, NULL);
	assert_non_null(strstr(s, "{\"event\":\"fork\",\"ts_ns\":1000000123,\"pid\":42,"));
	assert_non_null(strstr(s, "\"child_pid\":77}"));
	free(s);
}

/* Kernel-internal records (extras): destruction, and SEM_UNDO applied at exit. */
static void test_kobj_records(void **state)
{
	struct ev_kobj k;
	char *s;

	memset(&k, 0, sizeof(k));
	hdr(&k.h, EV_KOBJ, sizeof(k));
	k.op = KOBJ_UNDO_EXIT;
	k.kind = KIND_SEM;
	k.id = 7;
	k.key = 0x1234;
	k.size = 2;
	k.semnum = 1;
	k.semadj = -3;
	s = format_bytes(&k, sizeof(k), true, NULL);
	assert_non_null(strstr(s, "{\"event\":\"kobj\",\"ts_ns\":1000000123,"));
	assert_non_null(strstr(s, "\"op\":\"undo_exit\",\"kind\":\"sem\",\"id\":7,"
			       "\"key\":4660,\"size\":2,\"semnum\":1,\"semadj\":-3"));
	free(s);
	s = format_bytes(&k, sizeof(k), false, NULL);
	assert_non_null(strstr(s, "worker[42] +++ kernel: sem 7 semnum 1 -3 (SEM_UNDO applied "
			       "at exit) +++\n"));
	free(s);
	k.op = KOBJ_DESTROY;
	k.kind = KIND_SHM;
	k.size = 8192;
	s = format_bytes(&k, sizeof(k), true, NULL);
	assert_non_null(strstr(s, "\"op\":\"destroy\",\"kind\":\"shm\",\"id\":7,"
			       "\"key\":4660,\"size\":8192,"));
	assert_null(strstr(s, "semadj"));
	free(s);
	s = format_bytes(&k, sizeof(k), false, NULL);
	assert_non_null(strstr(s, "worker[42] +++ kernel: shm destroy 7 +++\n"));
	free(s);
}

static void test_create_cmdline(void **state)
{
	size_t len = offsetof(struct ev_create, stack) + 16;
	struct ev_create *c = calloc(1, sizeof(*c));
	char *s;

	hdr(&c->h, EV_CREATE, len);
	c->call = CALL_SEMGET;
	c->kind = KIND_SEM;
	c->id = 2;
	c->stack_id = -1;
	c->stack_len = 16;
	memcpy(c->cmdline, "app\0-x\0", 7);
	c->cmdline_len = 7;
	c->regs[16] = 0x401000;
	/* a record cut to its stack_len is valid */
	s = format_bytes(c, len, true, NULL);
	assert_non_null(strstr(s, "\"event\":\"create\""));
	assert_non_null(strstr(s, "\"rip\":4198400,"));
	assert_non_null(strstr(s, "\"cmdline\":[\"app\",\"-x\"]}"));
	free(s);
	free(c);
}

static void test_malformed_records_skipped(void **state)
{
	struct ev_call e = semop_eidrm();
	uint64_t bad = 0;
	char *s;

	s = format_bytes(&e, sizeof(e) - 8, true, &bad);   /* short */
	assert_int_equal(bad, 1);
	assert_string_equal(s, "");
	free(s);
	e.h.type = 200;                                      /* unknown type */
	s = format_bytes(&e, sizeof(e), false, &bad);
	assert_int_equal(bad, 1);
	assert_string_equal(s, "");
	free(s);
}

static void test_flag_words(void **state)
{
	char buf[64];

	trace_fmt_get_flags(buf, sizeof(buf), CALL_SEMGET, 0600);
	assert_string_equal(buf, "0600");
	trace_fmt_get_flags(buf, sizeof(buf), CALL_SHMAT, 0);
	assert_string_equal(buf, "0");
	trace_fmt_get_flags(buf, sizeof(buf), CALL_SHMAT, 010000 | 0x80000000u);
	assert_string_equal(buf, "SHM_RDONLY|0x80000000");
	trace_fmt_sem_flg(buf, sizeof(buf), 0);
	assert_string_equal(buf, "0");
}

/* Drop whitespace outside strings: pretty output becomes compact output. */
static void squeeze(char *s)
{
	bool in = false, esc = false;
	char *o = s;

	for (; *s; s++) {
		if (in) {
			*o++ = *s;
			if (esc)
				esc = false;
			else if (*s == '\\')
				esc = true;
			else if (*s == '"')
				in = false;
		} else if (*s == '"') {
			in = true;
			*o++ = *s;
		} else if (*s != ' ' && *s != '\n') {
			*o++ = *s;
		}
	}
	*o = 0;
}

static char *render_call(const struct ev_call *e, bool pretty)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct jsonw w;

	jsonw_init(&w, f, pretty);
	/* inside an array, as `report` might: commas must come out right */
	jsonw_start_array(&w);
	trace_fmt_json(&w, &e->h);
	trace_fmt_json(&w, &e->h);
	jsonw_end_array(&w);
	fclose(f);
	return buf;
}

/* The compact fast path and the field-by-field path agree on every call. */
static void test_fast_json_matches_jsonw(void **state)
{
	for (unsigned int call = CALL_SHMGET; call < CALL__MAX; call++) {
		for (int variant = 0; variant < 3; variant++) {
			struct ev_call e = semop_eidrm();
			char *fast, *slow;

			e.call = call;
			e.kind = call_kind(call);
			e.cmd = variant == 1 ? 0 : 2;
			e.semnum = variant;
			e.key = variant ? -7 : 0x5eed;
			e.size = 1ull << 40;
			e.mtype = variant == 2 ? INT64_MIN : -3;
			e.iflags = 01000 | 0600;
			e.addr = UINT64_MAX;
			e.flags = variant == 1 ? (EVF_SOPS_TRUNC | EVF_HAS_TIMEOUT | EVF_ID_FROM_ADDR | EVF_WAITED) :
				  variant == 2 ? EVF_SOPS_FAULT | EVF_PTR_FAULT | EVF_HAS_TIMEOUT : 0;
			e.timeout_ns = 5;
			e.offcpu_ns = variant;
			e.stack_id = variant - 1;
			e.err = variant == 0 ? EIDRM : variant == 2 && call % 2 ? 514 + call % 3 - 1 : 0;
			e.ret = variant == 0 ? -EIDRM : e.err ? -e.err : INT64_MAX;
			e.sops[1].flg = (int16_t)0x8000;
			e.intr = call % 4 == 0 ? EVI_EINTR | 10 << 8 : call % 4 == 1 ?
				 EVI_RESTARTED | 19 << 8 : call % 4 == 2 ? EVI_KILLED : 0;
			e.nsops_copied = variant == 1 ? IPCS_MAX_SOPS : 2;
			{
				static const char odd[IPCS_COMM_LEN] = "a\"b\\c\n\x01\x7f" "defghij";
				static const char plain[IPCS_COMM_LEN] = "semloop";

				/* the 16-byte comm needs no NUL: odd fills it */
				memcpy(e.h.comm, variant == 2 ? odd : plain, IPCS_COMM_LEN);
			}
			e.h.type = variant == 2 ? EV_BLOCK : EV_CALL;
			/* the fast path keeps the last pid..cgroup_id formatted: change
			 * them between some calls and not others, and every digit count */
			e.h.pid = 4000000 + call % 2;
			e.h.tid = e.h.pid + (variant == 1);
			e.h.cgroup_id = variant == 1 ? UINT64_MAX : 99;
			e.h.ts_ns = call * 1000003ull + variant;
			e.lat_ns = 1;
			fast = render_call(&e, false);
			slow = render_call(&e, true);
			squeeze(slow);
			assert_string_equal(fast, slow);
			free(fast);
			free(slow);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_semop_eidrm),
		cmocka_unit_test(test_json_semop_eidrm),
		cmocka_unit_test(test_json_shmget_and_truncated_sops),
		cmocka_unit_test(test_shmdt_ctl_msg),
		cmocka_unit_test(test_strace_order),
		cmocka_unit_test(test_unreadable_pointers),
		cmocka_unit_test(test_interrupted),
		cmocka_unit_test(test_sem_flg_high_bit),
		cmocka_unit_test(test_json_key_unsigned),
		cmocka_unit_test(test_proc_events),
		cmocka_unit_test(test_create_cmdline),
		cmocka_unit_test(test_kobj_records),
		cmocka_unit_test(test_malformed_records_skipped),
		cmocka_unit_test(test_flag_words),
		cmocka_unit_test(test_fast_json_matches_jsonw),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
