// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests for the shared core: JSON writer, option parsers, names, bus. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "event.h"
#include "opts.h"
#include "view/jsonw.h"

static char *render(void (*fn)(struct jsonw *), bool pretty)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct jsonw w;

	jsonw_init(&w, f, pretty);
	fn(&w);
	fclose(f);
	return buf;
}

static void doc_nested(struct jsonw *w)
{
	jsonw_start_object(w);
	jsonw_int_field(w, "a", -1);
	jsonw_name(w, "list");
	jsonw_start_array(w);
	jsonw_uint(w, 1);
	jsonw_start_object(w);
	jsonw_end_object(w);
	jsonw_start_array(w);
	jsonw_end_array(w);
	jsonw_end_array(w);
	jsonw_string_field(w, "s", "q\"\\\n\t\x01");
	jsonw_string_field(w, "n", NULL);
	jsonw_bool_field(w, "b", true);
	jsonw_end_object(w);
}

static void test_jsonw_compact(void **state)
{
	char *s = render(doc_nested, false);

	assert_string_equal(s, "{\"a\":-1,\"list\":[1,{},[]],\"s\":\"q\\\"\\\\\\n\\t\\u0001\","
			       "\"n\":null,\"b\":true}");
	free(s);
}

static void doc_lines(struct jsonw *w)
{
	for (int i = 0; i < 2; i++) {
		jsonw_start_object(w);
		jsonw_int_field(w, "i", i);
		jsonw_end_object(w);
		jsonw_eol(w);
	}
}

static void test_jsonw_lines(void **state)
{
	char *s = render(doc_lines, false);

	assert_string_equal(s, "{\"i\":0}\n{\"i\":1}\n");
	free(s);
}

static void test_jsonw_pretty_parses_back(void **state)
{
	char *s = render(doc_nested, true);

	/* Pretty output keeps the same tokens, only whitespace differs. */
	assert_non_null(strstr(s, "\"list\": ["));
	assert_non_null(strstr(s, "\"b\": true"));
	free(s);
}

static void test_parse_kinds(void **state)
{
	assert_int_equal(parse_kinds("shm"), KIND_BIT(KIND_SHM));
	assert_int_equal(parse_kinds("sem,msg"), KIND_BIT(KIND_SEM) | KIND_BIT(KIND_MSG));
	assert_int_equal(parse_kinds("m,s,q"),
			 KIND_BIT(KIND_SHM) | KIND_BIT(KIND_SEM) | KIND_BIT(KIND_MSG));
	assert_int_equal(parse_kinds("bogus"), -1);
	assert_int_equal(parse_kinds(""), -1);
	assert_int_equal(parse_kinds("shm,,"), KIND_BIT(KIND_SHM));
}

static void test_parse_duration(void **state)
{
	assert_true(parse_duration("1.5") == 1.5);
	assert_true(parse_duration("30s") == 30);
	assert_true(parse_duration("10m") == 600);
	assert_true(parse_duration("2h") == 7200);
	assert_true(parse_duration("7d") == 7 * 86400);
	assert_true(parse_duration("250ms") == 0.25);
	assert_true(parse_duration("x") < 0);
	assert_true(parse_duration("5y") < 0);
	assert_true(parse_duration("-3") < 0);
}

static void test_parse_long(void **state)
{
	long v;

	assert_true(parse_long("42", 0, 100, &v));
	assert_int_equal(v, 42);
	assert_false(parse_long("101", 0, 100, &v));
	assert_false(parse_long("4x", 0, 100, &v));
	assert_false(parse_long("", 0, 100, &v));
}

static void test_names(void **state)
{
	for (int c = 1; c < CALL__MAX; c++) {
		assert_int_equal(call_from_name(call_name(c)), c);
		assert_int_not_equal(call_kind(c), KIND_NONE);
	}
	assert_string_equal(call_name(CALL_SEMTIMEDOP), "semtimedop");
	assert_int_equal(call_kind(CALL_MSGRCV), KIND_MSG);
	assert_string_equal(errno_name(EIDRM), "EIDRM");
	assert_string_equal(errno_name(0), "0");
	assert_string_equal(ctl_cmd_name(KIND_SEM, 11), "GETPID");
	assert_string_equal(ctl_cmd_name(KIND_SHM, 0), "IPC_RMID");
	assert_int_equal(log2_slot(0), 0);
	assert_int_equal(log2_slot(1), 0);
	assert_int_equal(log2_slot(2), 1);
	assert_int_equal(log2_slot(1023), 9);
	assert_int_equal(log2_slot(1024), 10);
	assert_int_equal(log2_slot(UINT64_MAX), IPCS_HIST_SLOTS - 1);
}

static int count_sink(void *ctx, const struct ev_hdr *ev)
{
	(*(int *)ctx)++;
	return ev->pid == 99 ? 7 : 0;
}

static void test_bus(void **state)
{
	struct ev_bus bus;
	struct ev_call call = { .h = { .type = EV_CALL, .size = sizeof(call) } };
	int seen = 0;

	ev_bus_init(&bus);
	assert_int_equal(ev_bus_add(&bus, count_sink, &seen), 0);
	assert_int_equal(ev_bus_emit(&bus, &call, sizeof(call)), 0);
	assert_int_equal(seen, 1);
	/* short record of a known type: dropped and counted */
	assert_int_equal(ev_bus_emit(&bus, &call, sizeof(call.h)), 0);
	assert_int_equal(bus.malformed, 1);
	/* unknown type: dropped and counted */
	call.h.type = 200;
	assert_int_equal(ev_bus_emit(&bus, &call, sizeof(call)), 0);
	assert_int_equal(bus.malformed, 2);
	/* a sink's non-zero return stops the run */
	call.h.type = EV_CALL;
	call.h.pid = 99;
	assert_int_equal(ev_bus_emit(&bus, &call, sizeof(call)), 7);
	assert_int_equal(seen, 2);
}

/* argp's two-line errors become one line that says what to do */
static void test_opts_error_line(void **state)
{
	char out[256];

	(void)state;
	opts_error_line("snapshot",
			"ipcscope snapshot: unrecognized option '--bogus'\n"
			"Try `ipcscope snapshot --help' or `ipcscope snapshot --usage' for more\n"
			"information.\n", out, sizeof(out));
	assert_string_equal(out, "snapshot: unrecognized option '--bogus': "
			    "see `ipcscope snapshot --help`");
	/* a parser's own message with its remedy is kept as is */
	opts_error_line("trace", "ipcscope trace: invalid PID 'x': give a positive process id\n"
			"Try `ipcscope trace --help' or `ipcscope trace --usage' for more information.\n",
			out, sizeof(out));
	assert_string_equal(out, "trace: invalid PID 'x': give a positive process id");
	opts_error_line("top", "ipcscope top: Too many arguments\n", out, sizeof(out));
	assert_string_equal(out, "top: too many arguments: see `ipcscope top --help`");
	/* nothing recognisable: still one line */
	opts_error_line("top", "", out, sizeof(out));
	assert_string_equal(out, "top: bad arguments: see `ipcscope top --help`");
	/* truncated to the buffer, never overrun */
	opts_error_line("top", "ipcscope top: invalid option -- 'Z'\n", out, 12);
	assert_int_equal(strlen(out), 11);
}

static void doc_names(struct jsonw *w)
{
	jsonw_start_object(w);
	jsonw_int_field(w, "plain", 1);
	jsonw_int_field(w, "q\"uote", 2);
	jsonw_int_field(w, "a-name-longer-than-the-fast-path-buffer-of-48-bytes", 3);
	jsonw_end_object(w);
}

static void test_jsonw_names(void **state)
{
	char *s = render(doc_names, false);

	(void)state;
	assert_string_equal(s, "{\"plain\":1,\"q\\\"uote\":2,"
			    "\"a-name-longer-than-the-fast-path-buffer-of-48-bytes\":3}");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jsonw_compact),
		cmocka_unit_test(test_jsonw_lines),
		cmocka_unit_test(test_jsonw_pretty_parses_back),
		cmocka_unit_test(test_parse_kinds),
		cmocka_unit_test(test_parse_duration),
		cmocka_unit_test(test_parse_long),
		cmocka_unit_test(test_opts_error_line),
		cmocka_unit_test(test_jsonw_names),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_bus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
