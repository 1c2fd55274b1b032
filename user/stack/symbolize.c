// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Symbolization with libdw.  Each executable mapping of the process is
 * reported as a module at its load bias: bias = where a file offset is
 * mapped minus the address the ELF program headers give that offset, which
 * is 0 for a non-PIE executable and the load address for PIE executables
 * and shared libraries.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <libelf.h>

#include "stack/symbolize.h"

struct symbolizer {
	Dwfl *dwfl;
	struct proc_meta meta;     /* copy, maps owned */
	size_t nmodules;
	void *unwind_state;        /* owned, see symbolizer_unwind_state() */
};

static char *debuginfo_path;

static const Dwfl_Callbacks offline_callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
	.debuginfo_path = &debuginfo_path,
};

/*
 * What symbolization needs to know of a file before handing it to libdw:
 * its build-id and its executable PT_LOAD segments.  Kept per file
 * (device, inode, size, mtime): every creation event of every process maps
 * the same libc, and reading its ELF headers each time is most of the cost.
 */
#define FACT_LOADS 4
#define FACT_CACHE 64

struct file_facts {
	dev_t dev;
	ino_t ino;
	off_t size;
	int64_t mtime;
	uint8_t build_id[PROCMETA_BUILD_ID_MAX];
	uint8_t build_id_len;
	int nloads;
	struct { uint64_t offset, vaddr, filesz; } loads[FACT_LOADS];
};

static struct file_facts fact_cache[FACT_CACHE];
static size_t fact_next;

static const struct file_facts *file_facts(int fd)
{
	struct file_facts *f;
	struct stat st;
	size_t phnum;
	Elf *elf;

	if (fstat(fd, &st))
		return NULL;
	for (size_t i = 0; i < FACT_CACHE; i++) {
		f = &fact_cache[i];
		if (f->ino == st.st_ino && f->dev == st.st_dev && f->size == st.st_size &&
		    f->mtime == (int64_t)st.st_mtime && f->ino)
			return f;
	}
	f = &fact_cache[fact_next++ % FACT_CACHE];
	memset(f, 0, sizeof(*f));
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf)
		return NULL;
	if (elf_kind(elf) == ELF_K_ELF && !elf_getphdrnum(elf, &phnum)) {
		for (size_t i = 0; i < phnum && f->nloads < FACT_LOADS; i++) {
			GElf_Phdr mem, *ph = gelf_getphdr(elf, i, &mem);

			if (!ph || ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
				continue;
			f->loads[f->nloads].offset = ph->p_offset;
			f->loads[f->nloads].vaddr = ph->p_vaddr;
			f->loads[f->nloads++].filesz = ph->p_filesz;
		}
	}
	elf_end(elf);
	f->build_id_len = procmeta_build_id_fd(fd, f->build_id, sizeof(f->build_id));
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->size = st.st_size;
	f->mtime = st.st_mtime;
	return f;
}

/*
 * Load bias of the file behind an executable mapping: find the PT_LOAD
 * segment that holds the mapping's file offset.
 */
static int mapping_bias(const struct file_facts *f, const struct proc_map *pm,
			GElf_Addr *bias)
{
	for (int i = 0; i < f->nloads; i++) {
		uint64_t lo = f->loads[i].offset & ~4095ull;
		uint64_t hi = f->loads[i].offset + f->loads[i].filesz;

		if (pm->pgoff < lo || pm->pgoff >= hi)
			continue;
		*bias = pm->start - pm->pgoff - f->loads[i].vaddr + f->loads[i].offset;
		return 0;
	}
	return -ENOEXEC;
}

/* Open the file of a mapping, checking it is still the same build. */
static int open_module(const struct proc_meta *m, const struct proc_map *pm,
		       const struct file_facts **facts)
{
	char path[sizeof(pm->path) + 64];
	const struct file_facts *f;
	int fd = -1;

	if (!m->exited) {
		snprintf(path, sizeof(path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64,
			 m->pid, pm->start, pm->end);
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0)
		fd = open(pm->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	f = file_facts(fd);
	if (!f || (pm->build_id_len && (f->build_id_len != pm->build_id_len ||
					 memcmp(f->build_id, pm->build_id, pm->build_id_len)))) {
		close(fd);       /* replaced since: its symbols would lie */
		return -1;
	}
	*facts = f;
	return fd;
}

static void report_modules(struct symbolizer *sy)
{
	const struct proc_meta *m = &sy->meta;

	dwfl_report_begin(sy->dwfl);
	for (size_t i = 0; i < m->nmaps; i++) {
		const struct proc_map *pm = &m->maps[i];
		const char *base = strrchr(pm->path, '/');
		const struct file_facts *facts = NULL;
		GElf_Addr bias;
		bool seen = false;
		int fd;

		for (size_t j = 0; j < i && !seen; j++)
			seen = !strcmp(m->maps[j].path, pm->path);
		if (seen)
			continue;
		fd = open_module(m, pm, &facts);
		if (fd < 0)
			continue;
		if (mapping_bias(facts, pm, &bias)) {
			close(fd);
			continue;
		}
		/* dwfl owns fd from here on success */
		if (dwfl_report_elf(sy->dwfl, base ? base + 1 : pm->path, pm->path, fd,
				    bias, true))
			sy->nmodules++;
		else
			close(fd);
	}
	dwfl_report_end(sy->dwfl, NULL, NULL);
}

struct symbolizer *symbolizer_new(const struct proc_meta *m)
{
	struct symbolizer *sy = calloc(1, sizeof(*sy));

	if (!sy)
		return NULL;
	sy->meta = *m;
	sy->meta.maps = NULL;
	if (m->nmaps) {
		sy->meta.maps = malloc(m->nmaps * sizeof(*m->maps));
		if (!sy->meta.maps) {
			free(sy);
			return NULL;
		}
		memcpy(sy->meta.maps, m->maps, m->nmaps * sizeof(*m->maps));
	}
	elf_version(EV_CURRENT);
	sy->dwfl = dwfl_begin(&offline_callbacks);
	if (sy->dwfl)
		report_modules(sy);
	return sy;
}

void symbolizer_free(struct symbolizer *sy)
{
	if (!sy)
		return;
	if (sy->dwfl)
		dwfl_end(sy->dwfl);
	free(sy->unwind_state);
	free(sy->meta.maps);
	free(sy);
}

void *symbolizer_unwind_state(struct symbolizer *sy)
{
	return sy ? sy->unwind_state : NULL;
}

void symbolizer_set_unwind_state(struct symbolizer *sy, void *state)
{
	free(sy->unwind_state);
	sy->unwind_state = state;
}

size_t symbolizer_modules(const struct symbolizer *sy)
{
	return sy ? sy->nmodules : 0;
}

struct Dwfl *symbolizer_dwfl(struct symbolizer *sy)
{
	return sy ? sy->dwfl : NULL;
}

const struct proc_meta *symbolizer_proc(const struct symbolizer *sy)
{
	return sy ? &sy->meta : NULL;
}

void symbol_base_name(const char *sym, char *out, size_t len)
{
	/* C and Itanium-mangled C++ names have no '.'; GCC clones append one. */
	const char *dot = sym[0] ? strchr(sym + 1, '.') : NULL;
	size_t n = dot ? (size_t)(dot - sym) : strlen(sym);

	if (!len)
		return;
	if (n >= len)
		n = len - 1;
	memcpy(out, sym, n);
	out[n] = '\0';
}

bool symbolize(struct symbolizer *sy, uint64_t addr, bool is_return,
	       struct stack_frame *out)
{
	uint64_t look = is_return && addr ? addr - 1 : addr;
	const struct proc_map *pm;
	Dwfl_Module *mod;
	const char *name;
	GElf_Off off = 0;
	GElf_Sym sym;

	memset(out, 0, sizeof(*out));
	out->addr = addr;
	if (!sy)
		return false;
	pm = procmeta_find_map(&sy->meta, look);
	if (pm) {
		snprintf(out->module, sizeof(out->module), "%s", pm->path);
		memcpy(out->build_id, pm->build_id, pm->build_id_len);
		out->build_id_len = pm->build_id_len;
		out->file_offset = addr - pm->start + pm->pgoff;
	}
	if (!sy->dwfl)
		return false;
	mod = dwfl_addrmodule(sy->dwfl, look);
	if (!mod)
		return false;
	if (!pm) {
		const char *mname = dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL,
						     NULL, NULL);

		snprintf(out->module, sizeof(out->module), "%s", mname ? mname : "");
	}
	name = dwfl_module_addrinfo(mod, look, &off, &sym, NULL, NULL, NULL);
	if (!name || !name[0])
		return false;
	/* "memcpy@@GLIBC_2.14": the version says nothing about the function */
	snprintf(out->symbol, sizeof(out->symbol), "%.*s", (int)strcspn(name, "@"), name);
	symbol_base_name(out->symbol, out->func, sizeof(out->func));
	out->offset = addr - (look - off);
	return true;
}

void stack_frame_format(const struct stack_frame *f, char *buf, size_t len)
{
	const char *mod = strrchr(f->module, '/');

	mod = mod ? mod + 1 : f->module;
	if (f->symbol[0]) {
		snprintf(buf, len, "%s+0x%" PRIx64 " (%s)", f->symbol, f->offset, mod);
	} else if (f->build_id_len) {
		char hex[2 * PROCMETA_BUILD_ID_MAX + 1];

		procmeta_build_id_hex(f->build_id, f->build_id_len, hex);
		snprintf(buf, len, "[%s+0x%" PRIx64 "] (%s)", hex, f->file_offset, mod);
	} else if (f->module[0]) {
		snprintf(buf, len, "0x%" PRIx64 " (%s+0x%" PRIx64 ")", f->addr, mod,
			 f->file_offset);
	} else {
		snprintf(buf, len, "0x%" PRIx64, f->addr);
	}
}
