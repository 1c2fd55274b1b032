// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Source helpers for every BPF loader: concurrent detach, and one-shot
 * probes of the hook mechanisms (see attach.h for why).
 */
#include <elf.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "ipcscope.h"
#include "source/attach.h"
#include "syscalls.h"

static void *destroy_one(void *link)
{
	bpf_link__destroy(link);
	return NULL;
}

void links_destroy(struct bpf_link **links, int n)
{
	pthread_t *th;
	bool *started;
	int i;

	if (n <= 0)
		return;
	th = calloc((size_t)n, sizeof(*th));
	started = calloc((size_t)n, sizeof(*started));
	for (i = 0; i < n; i++) {
		if (!links[i])
			continue;
		/* a small stack: the thread only closes two fds */
		if (th && started) {
			pthread_attr_t a;

			pthread_attr_init(&a);
			pthread_attr_setstacksize(&a, 64 << 10);
			started[i] = !pthread_create(&th[i], &a, destroy_one, links[i]);
			pthread_attr_destroy(&a);
		}
		if (!started || !started[i])
			bpf_link__destroy(links[i]);     /* no thread: inline */
	}
	for (i = 0; i < n; i++) {
		if (started && started[i])
			pthread_join(th[i], NULL);
		links[i] = NULL;
	}
	free(th);
	free(started);
}

/* The function the fentry probe attaches to: one the latency programs use. */
#define PROBE_FUNC IPCS_ARCH_SYS_PREFIX "semop"

struct btf *hooks_vmlinux_btf(void)
{
	static struct btf *btf;
	static int err;

	if (!btf && !err) {
		btf = btf__load_vmlinux_btf();
		if (!btf)
			err = errno ? errno : ENOENT;
	}
	if (!btf)
		errno = err;
	return btf;
}

int hooks_fentry_probe(void)
{
	static int cached = 1;
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_FENTRY);
	struct btf *vmlinux;
	int id, fd, link;

	if (cached <= 0)
		return cached;
	/*
	 * First without the kernel's BTF (parsing it costs ~0.1 s): a kernel
	 * that refuses tracing programs says EPERM before it looks at the
	 * target; one that allows them rejects id 1 (not a function) otherwise.
	 */
	opts.attach_btf_id = 1;
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "ipcs_probe_fe", "GPL", insns, 2, &opts);
	if (fd >= 0)
		close(fd);
	else if (errno == EPERM)
		return cached = -EPERM;
	vmlinux = hooks_vmlinux_btf();
	if (!vmlinux)
		return cached = errno ? -errno : -ENOENT;
	id = btf__find_by_name_kind(vmlinux, PROBE_FUNC, BTF_KIND_FUNC);
	if (id < 0)
		return cached = -ENOENT;
	opts.attach_btf_id = id;
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "ipcs_probe_fe", "GPL", insns, 2, &opts);
	if (fd < 0)
		return cached = -errno;
	link = bpf_link_create(fd, 0, BPF_TRACE_FENTRY, NULL);
	if (link < 0 && errno == EINVAL)      /* kernels before link_create for tracing */
		link = bpf_raw_tracepoint_open(NULL, fd);
	cached = link < 0 ? -errno : 0;
	if (link >= 0)
		close(link);
	close(fd);
	return cached;
}

int hooks_kprobe_probe(void)
{
	/* libbpf attaches kprobes through the PMU, else through tracefs */
	if (!access("/sys/bus/event_source/devices/kprobe/type", R_OK) ||
	    !access("/sys/kernel/tracing/kprobe_events", W_OK) ||
	    !access("/sys/kernel/debug/tracing/kprobe_events", W_OK))
		return 0;
	return -EOPNOTSUPP;
}

const char *hooks_name(enum ipcs_hooks h)
{
	switch (h) {
	case HOOKS_TRACEPOINT: return "tracepoint";
	case HOOKS_RAW:        return "raw";
	case HOOKS_FENTRY:     return "fentry";
	default:               return "auto";
	}
}

enum ipcs_hooks hooks_forced(void)
{
	static bool warned;
	const char *e = getenv("IPCSCOPE_HOOKS");

	if (!e || !*e || !strcmp(e, "auto"))
		return HOOKS_AUTO;
	for (enum ipcs_hooks h = HOOKS_TRACEPOINT; h <= HOOKS_FENTRY; h++)
		if (!strcmp(e, hooks_name(h)))
			return h;
	if (!warned)
		warnmsg("IPCSCOPE_HOOKS=%s is not tracepoint, raw, fentry or auto: choosing automatically", e);
	warned = true;
	return HOOKS_AUTO;
}

/*
 * Can a 32-bit program run here?  Exec a minimal i386 ELF (exit(42) through
 * int 0x80) from a memfd: exit status 42 means yes.
 */
int hooks_ia32_probe(void)
{
	static int cached = 1;
	struct {
		Elf32_Ehdr eh;
		Elf32_Phdr ph;
		unsigned char code[12];
	} __attribute__((packed)) img = {
		.eh = {
			.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS32, ELFDATA2LSB,
				     EV_CURRENT },
			.e_type = ET_EXEC, .e_machine = EM_386, .e_version = EV_CURRENT,
			.e_entry = 0x08048000 + sizeof(Elf32_Ehdr) + sizeof(Elf32_Phdr),
			.e_phoff = sizeof(Elf32_Ehdr), .e_ehsize = sizeof(Elf32_Ehdr),
			.e_phentsize = sizeof(Elf32_Phdr), .e_phnum = 1,
		},
		.ph = {
			.p_type = PT_LOAD, .p_vaddr = 0x08048000, .p_paddr = 0x08048000,
			.p_filesz = sizeof(img), .p_memsz = sizeof(img),
			.p_flags = PF_R | PF_X, .p_align = 0x1000,
		},
		/* mov eax,1; mov ebx,42; int 0x80 */
		.code = { 0xb8, 1, 0, 0, 0, 0xbb, 42, 0, 0, 0, 0xcd, 0x80 },
	};
	int fd, st;
	pid_t pid;

	if (cached <= 0)
		return cached;
	fd = memfd_create("ipcs-ia32-probe", MFD_CLOEXEC);
	if (fd < 0)
		return cached = -errno;
	if (write(fd, &img, sizeof(img)) != (ssize_t)sizeof(img)) {
		close(fd);
		return cached = -EIO;
	}
	pid = fork();
	if (pid == 0) {
		char *argv[] = { "ia32-probe", NULL }, *envp[] = { NULL };

		fexecve(fd, argv, envp);
		_exit(errno == ENOEXEC ? 126 : 127);
	}
	close(fd);
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return cached = -ECHILD;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 42)
		return cached = 0;
	return cached = -ENOEXEC;
}
