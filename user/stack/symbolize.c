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
#include <unistd.h>

#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <libelf.h>

#include "stack/symbolize.h"

struct symbolizer {
	Dwfl *dwfl;
	struct proc_meta meta;     /* copy, maps owned */
	size_t nmodules;
};

static char *debuginfo_path;

static const Dwfl_Callbacks offline_callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
	.debuginfo_path = &debuginfo_path,
};

/*
 * Load bias of the file behind an executable mapping: find the PT_LOAD
 * segment that holds the mapping's file offset.
 */
static int mapping_bias(int fd, const struct proc_map *pm, GElf_Addr *bias)
{
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	size_t phnum;
	int ret = -ENOEXEC;

	if (!elf)
		return -ENOEXEC;
	if (elf_kind(elf) != ELF_K_ELF || elf_getphdrnum(elf, &phnum))
		goto out;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr mem, *ph = gelf_getphdr(elf, i, &mem);
		uint64_t lo, hi, page = 4096;

		if (!ph || ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
			continue;
		lo = ph->p_offset & ~(page - 1);
		hi = ph->p_offset + ph->p_filesz;
		if (pm->pgoff < lo || pm->pgoff >= hi)
			continue;
		*bias = pm->start - pm->pgoff - ph->p_vaddr + ph->p_offset;
		ret = 0;
		break;
	}
out:
	elf_end(elf);
	return ret;
}

/* Open the file of a mapping, checking it is still the same build. */
static int open_module(const struct proc_meta *m, const struct proc_map *pm)
{
	char path[sizeof(pm->path) + 64];
	uint8_t id[PROCMETA_BUILD_ID_MAX];
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
	if (pm->build_id_len &&
	    (procmeta_build_id_fd(fd, id, sizeof(id)) != pm->build_id_len ||
	     memcmp(id, pm->build_id, pm->build_id_len))) {
		close(fd);       /* replaced since: its symbols would lie */
		return -1;
	}
	return fd;
}

static void report_modules(struct symbolizer *sy)
{
	const struct proc_meta *m = &sy->meta;

	dwfl_report_begin(sy->dwfl);
	for (size_t i = 0; i < m->nmaps; i++) {
		const struct proc_map *pm = &m->maps[i];
		const char *base = strrchr(pm->path, '/');
		GElf_Addr bias;
		bool seen = false;
		int fd;

		for (size_t j = 0; j < i && !seen; j++)
			seen = !strcmp(m->maps[j].path, pm->path);
		if (seen)
			continue;
		fd = open_module(m, pm);
		if (fd < 0)
			continue;
		if (mapping_bias(fd, pm, &bias)) {
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
	free(sy->meta.maps);
	free(sy);
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
