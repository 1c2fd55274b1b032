// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* ipcscope: audit and trace System V IPC.  Dispatches to a subcommand. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "version.h"
#include "ipcscope.h"



const struct command *command_find(const char *name)
{
	for (const struct command *c = __start_ipcs_cmds; c < __stop_ipcs_cmds; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

static int cmp_order(const void *a, const void *b)
{
	const struct command *const *x = a, *const *y = b;

	if ((*x)->order != (*y)->order)
		return (*x)->order - (*y)->order;
	return strcmp((*x)->name, (*y)->name);
}

static void usage(FILE *f)
{
	size_t n = __stop_ipcs_cmds - __start_ipcs_cmds;
	const struct command **v = calloc(n ? n : 1, sizeof(*v));

	fprintf(f,
		"Usage: ipcscope COMMAND [OPTIONS]\n"
		"Audit and trace System V IPC (shared memory, semaphores, message queues).\n\n"
		"Commands:\n");
	if (v) {
		for (size_t i = 0; i < n; i++)
			v[i] = &__start_ipcs_cmds[i];
		qsort(v, n, sizeof(*v), cmp_order);
		for (size_t i = 0; i < n; i++)
			fprintf(f, "  %-10s %s\n", v[i]->name, v[i]->summary);
		free(v);
	}
	fprintf(f,
		"\n`ipcscope COMMAND --help` explains a command's options.\n"
		"Errors are one line on stderr: `ipcscope: PROBLEM: WHAT TO DO`.\n"
		"Exit status: 0 ok; 1 findings; 2 limit warning; 64 usage; 65 corrupt input;\n"
		"66 missing input (no such object or file); 69 kernel feature missing;\n"
		"70 internal; 73 cannot create output; 77 needs privileges.\n"
		"Report bugs with `ipcscope doctor` output attached.\n");
}

int main(int argc, char **argv)
{
	const struct command *c;

	if (argc < 2)
		return errmsg(EX_USAGE, "no command given: run `ipcscope --help` for the list");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		if (argc > 2 && (c = command_find(argv[2]))) {
			char *av[] = { argv[2], "--help", NULL };
			return c->run(2, av);
		}
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("ipcscope %s\n", IPCSCOPE_VERSION);
		return 0;
	}
	c = command_find(argv[1]);
	if (!c)
		return errmsg(EX_USAGE, "unknown command '%s': run `ipcscope --help` for the list",
			      argv[1]);
	return c->run(argc - 1, argv + 1);
}
