// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Re-symbolization from a symbol directory (`report --symfs DIR`): frames
 * keep build-id + file offset, so better symbols found later (the unstripped
 * binary, a -dbg package's .debug file) name them.  Looked up, in order:
 * DIR/.build-id/xx/rest.debug and DIR/.build-id/xx/rest (the debuginfo
 * layout, as /usr/lib/debug has it), then DIR/<module path> and
 * DIR/<module basename>; a file is used only if its build-id matches.
 */
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipcscope.h"
#include "stack/symfs.h"
#include "tables/procmeta.h"

/* fd of a file under dir whose build-id is the frame's, or -1. */
static int open_by_build_id(const char *dir, const struct stack_frame *f)
{
	char hex[2 * STACK_FRAME_BUILD_ID_MAX + 1], path[4096];
	const char *base = strrchr(f->module, '/');
	const char *cand[4];
	char bufs[4][4096];
	uint8_t id[STACK_FRAME_BUILD_ID_MAX];

	procmeta_build_id_hex(f->build_id, f->build_id_len, hex);
	snprintf(bufs[0], sizeof(bufs[0]), "%s/.build-id/%.2s/%s.debug", dir, hex, hex + 2);
	snprintf(bufs[1], sizeof(bufs[1]), "%s/.build-id/%.2s/%s", dir, hex, hex + 2);
	snprintf(bufs[2], sizeof(bufs[2]), "%s/%s", dir, f->module);
	snprintf(bufs[3], sizeof(bufs[3]), "%s/%s", dir, base ? base + 1 : f->module);
	for (int i = 0; i < 4; i++)
		cand[i] = bufs[i];
	for (int i = 0; i < 4; i++) {
		int fd;

		if (i >= 2 && !f->module[0])
			break;
		snprintf(path, sizeof(path), "%s", cand[i]);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (procmeta_build_id_fd(fd, id, sizeof(id)) == f->build_id_len &&
		    !memcmp(id, f->build_id, f->build_id_len))
			return fd;
		close(fd);
	}
	return -1;
}

/* The file offset as a virtual address, through the PT_LOAD that holds it. */
static bool offset_to_vaddr(Elf *elf, uint64_t off, uint64_t *vaddr)
{
	size_t n;

	if (elf_getphdrnum(elf, &n))
		return false;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (off >= ph.p_offset && off < ph.p_offset + ph.p_filesz) {
			*vaddr = ph.p_vaddr + (off - ph.p_offset);
			return true;
		}
	}
	return false;
}

/* The function symbol holding vaddr in .symtab (else .dynsym). */
static bool find_symbol(Elf *elf, uint64_t vaddr, char *name, size_t len, uint64_t *offset)
{
	static const GElf_Word kinds[] = { SHT_SYMTAB, SHT_DYNSYM };

	for (size_t k = 0; k < 2; k++) {
		GElf_Word want = kinds[k];
		Elf_Scn *scn = NULL;

		while ((scn = elf_nextscn(elf, scn))) {
			GElf_Shdr sh;
			Elf_Data *d;

			if (!gelf_getshdr(scn, &sh) || sh.sh_type != want || !sh.sh_entsize)
				continue;
			d = elf_getdata(scn, NULL);
			for (size_t i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
				GElf_Sym sym;
				const char *nm;

				if (!gelf_getsym(d, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
				    !sym.st_value || vaddr < sym.st_value ||
				    vaddr >= sym.st_value + (sym.st_size ? sym.st_size : 1))
					continue;
				nm = elf_strptr(elf, sh.sh_link, sym.st_name);
				if (!nm || !*nm)
					continue;
				snprintf(name, len, "%s", nm);
				*offset = vaddr - sym.st_value;
				return true;
			}
		}
	}
	return false;
}

size_t stack_symfs_apply(const char *dir, struct stack_frame *f, size_t n)
{
	size_t named = 0;

	if (!dir)
		return 0;
	elf_version(EV_CURRENT);
	for (size_t i = 0; i < n; i++) {
		struct stack_frame *fr = &f[i];
		uint64_t vaddr, lookup = fr->file_offset, off;
		char sym[sizeof(fr->symbol)];
		int fd;
		Elf *elf;

		if (!fr->build_id_len)
			continue;
		fd = open_by_build_id(dir, fr);
		if (fd < 0) {
			debugmsg("symfs: no file with build-id of frame %zu (%s) in %s", i,
				 fr->module, dir);
			continue;
		}
		elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
		/* a return address: the call is the byte before it */
		if (i > 0 && lookup)
			lookup--;
		if (elf && offset_to_vaddr(elf, lookup, &vaddr) &&
		    find_symbol(elf, vaddr, sym, sizeof(sym), &off)) {
			snprintf(fr->symbol, sizeof(fr->symbol), "%s", sym);
			symbol_base_name(fr->symbol, fr->func, sizeof(fr->func));
			fr->offset = off + (i > 0 && fr->file_offset ? 1 : 0);
			named++;
		}
		if (elf)
			elf_end(elf);
		close(fd);
	}
	return named;
}
