/* Tangled from chapters/31-launcher-pvh.nw by `make tangle`: edit the chapter, not this file. */
/*L:410, continued :*/
/* The PVH boot protocol: the Host's ELF, its module, its start_info. */
#include "launcher.h"
#include "pvh.h"
#include <elf.h>
#include <err.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*L:410 Where the boot information goes.
 * The start information, the module list and the memory map share one page
 * of low memory, and the command line has the two pages after it. We keep them
 * off page 0 (a null pointer in the Host should fault, not find data) and below
 * the 640 KiB line, where nothing else of ours lives. One structure describes
 * the page, so `offsetof` gives each part's physical address; @fig:pvh-memory
 * shows where everything lands.
 *
 * ```{.dot #fig:pvh-memory caption="The machine's physical memory as the Launcher leaves it, before the Host's first instruction (addresses for --memory=256)."}
 * digraph ram {
 *   node [shape=record, fontname="DejaVu Sans"];
 *   ram [label="{0x0 \l unused \l|0x7000 \l start_info, module list, memory map \l|0x8000 \l Host command line (8 KiB) \l|0xa0000 \l (not RAM in the memory map) \l|0x100000 (1 MiB) \l Host image, from its PT_LOAD segments \l|free RAM: the Host chooses the Guest window in it \l (ours: from 16 MiB to the end) \l|top of RAM less the image, page aligned \l module 0: the Guest image \l|0x10000000 \l end of RAM \l}"];
 * }
 * ``` :*/
#define LG_BOOT_PAGE 0x7000ULL
#define LG_CMDLINE_ADDR 0x8000ULL
#define LG_BOOT_END 0xa000ULL
#define LG_MEMMAP_MAX 8

struct boot_page {
	struct pvh_start_info info;
	struct pvh_module modules[1];
	struct pvh_memmap_entry memmap[LG_MEMMAP_MAX];
};
/*:*/

static u64 host_end;	/* the end of the Host's highest segment */

/*L:430 The Host's command line.
 * The Host's command line is a line of words, Linux's way. Devices announce
 * themselves first, in Linux's `virtio_mmio.device=<size>@<addr>:<irq>`
 * convention, which QEMU also follows; the device list writes those words
 * (*L:904*) and hands them to us as `devices`. Then come the Guest's arguments,
 * after a `--` that tells the Host where its own words end. Words are split at
 * spaces, so a Guest argument may not contain one. :*/
char *pvh_host_cmdline(const char *devices, int guest_argc, char **guest_argv)
{
	char *line = calloc(1, LG_CMDLINE_MAX + 1);
	size_t len = strlen(devices);

	if (len > LG_CMDLINE_MAX / 2)
		errx(LG_EXIT_USAGE, "too many devices for the Host's command line");
	memcpy(line, devices, len);
	for (int i = 0; i < guest_argc; i++) {
		const char *word = guest_argv[i];

		if (strpbrk(word, " \t\n") || !*word)
			errx(LG_EXIT_USAGE, "Guest argument '%s' is empty or has a space; "
			     "the Host splits its command line at spaces", word);
		if (len + strlen(word) + 4 > LG_CMDLINE_MAX)
			errx(LG_EXIT_USAGE, "the Guest's arguments are too long (at most %d bytes)",
			     LG_CMDLINE_MAX - 3);
		len += sprintf(line + len, "%s%s", i ? " " : "-- ", word);
	}
	return line;
}
/*:*/

/*L:440 The ELF header.
 * Both images must be 64-bit x86 ELF files (our Host is linked from 64-bit
 * objects even though its first instructions run in 32-bit mode), and their
 * program headers, the table of what to load where, must lie inside the file.
 * A table that starts inside the file but ends past it is the usual sign of a
 * file cut short, a copy interrupted or a build that failed half-way, so we
 * say "truncated", which points at the fix. The table must also sit at a
 * multiple of 8 bytes, as every linker puts it: we read it in place through a
 * `struct` pointer, and a misaligned one would be undefined behaviour in C
 * (the walker had the same trap, *L:846*). :*/
static const Elf64_Ehdr *elf_header(const struct image *img)
{
	const Elf64_Ehdr *eh = (const void *)img->data;
	u64 table;

	if (img->size < sizeof(*eh) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_machine != EM_X86_64)
		errx(1, "%s '%s' is not a 64-bit x86 ELF file; build it with make",
		     img->what, img->name);
	table = (u64)eh->e_phnum * sizeof(Elf64_Phdr);
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || (eh->e_phoff & 7))
		errx(1, "%s '%s' has a broken program header table", img->what, img->name);
	if (!lg_range_ok(eh->e_phoff, table, img->size))
		errx(1, "%s '%s' is truncated: its program headers end at byte %#llx, "
		     "the file has %#zx; copy or build it again", img->what, img->name,
		     (unsigned long long)(eh->e_phoff + table), img->size);
	return eh;
}
/*:*/

/*L:445 Checking the segments.
 * Each `PT_LOAD` segment is `p_filesz` bytes of the file, to be copied to
 * physical address `p_paddr`, followed by zeros up to `p_memsz` (the `.bss`).
 * Before anything is copied, and for both images, every segment is checked
 * against the three things it could run into:
 *
 * - **the file**: its bytes must be in it; a segment that runs past the end
 *   means the file is truncated, and we say so;
 * - **RAM**: the whole of `p_memsz` must fit below the end of the machine's
 *   RAM, without the sum wrapping;
 * - **what the Launcher puts there**: the boot information page and the
 *   command line (*L:410*), which the Host still reads after it starts loading.
 *
 * A segment of zero size loads nothing and is skipped. :*/
static void segment_check(const struct image *img, const Elf64_Phdr *ph)
{
	u64 start = ph->p_paddr, end = ph->p_paddr + ph->p_memsz;

	if (ph->p_filesz > ph->p_memsz)
		errx(1, "%s '%s': a segment has more bytes in the file than in memory",
		     img->what, img->name);
	if (!lg_range_ok(ph->p_offset, ph->p_filesz, img->size))
		errx(1, "%s '%s' is truncated: a segment needs its bytes up to %#llx, "
		     "the file has %#zx; copy or build it again", img->what, img->name,
		     (unsigned long long)(ph->p_offset + ph->p_filesz), img->size);
	if (!lg_range_ok(start, ph->p_memsz, vm.ram_size))
		errx(1, "%s '%s': a segment of %#llx bytes at %#llx does not fit in RAM "
		     "(%llu MiB); raise --memory", img->what, img->name,
		     (unsigned long long)ph->p_memsz, start, vm.ram_size >> 20);
	if (start < LG_BOOT_END && end > LG_BOOT_PAGE)
		errx(1, "%s '%s': segment [%#llx, %#llx) overlaps the boot information "
		     "at [%#llx, %#llx); link it at 1 MiB", img->what, img->name,
		     start, end, LG_BOOT_PAGE, LG_BOOT_END);
}
/*:*/

#define LG_SEGMENTS_MAX 16
struct segments {
	int n;
	const Elf64_Phdr *ph[LG_SEGMENTS_MAX];
};

static void segments_list(const struct image *img, const Elf64_Ehdr *eh, struct segments *s)
{
	const Elf64_Phdr *ph = (const void *)(img->data + eh->e_phoff);

	s->n = 0;
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD || ph[i].p_memsz == 0)
			continue;
		if (s->n == LG_SEGMENTS_MAX)
			errx(1, "%s '%s' has more than %d loadable segments",
			     img->what, img->name, LG_SEGMENTS_MAX);
		segment_check(img, &ph[i]);
		for (int j = 0; j < s->n; j++)
			if (ph[i].p_paddr < s->ph[j]->p_paddr + s->ph[j]->p_memsz &&
			    s->ph[j]->p_paddr < ph[i].p_paddr + ph[i].p_memsz)
				errx(1, "%s '%s': its segments at %#llx and %#llx overlap",
				     img->what, img->name, (unsigned long long)s->ph[j]->p_paddr,
				     (unsigned long long)ph[i].p_paddr);
		s->ph[s->n++] = &ph[i];
	}
	if (s->n == 0)
		errx(1, "%s '%s' has nothing to load", img->what, img->name);
}

/*L:455 The entry point.
 * The first instruction must be one the image brought. An entry point outside
 * every segment lands in RAM that holds zeros, and on x86 a run of zero bytes
 * decodes as `add %al,(%eax)` over and over: the CPU slides through memory
 * doing nothing useful, for ever, and the user sees a Launcher that hangs with
 * no word of why. An entry in a segment's `.bss` part is no better, zeros
 * again. So the entry must lie in the bytes a segment takes from the file.
 * The Host's PVH entry is a physical address; a Guest's `e_entry` is a
 * virtual one, which the Host (ours maps the Guest one to one, *H:410*)
 * turns into a physical one, so we compare it with the segments' virtual
 * addresses. :*/
static void entry_check(const struct image *img, const struct segments *s, u64 entry,
			bool physical)
{
	for (int i = 0; i < s->n; i++) {
		u64 base = physical ? s->ph[i]->p_paddr : s->ph[i]->p_vaddr;

		if (entry >= base && entry - base < s->ph[i]->p_filesz)
			return;
	}
	errx(1, "%s '%s': its entry point %#llx is outside the code it loads; "
	     "the image is broken (check how it was linked)", img->what, img->name, entry);
}
/*:*/

/*L:450 The PVH note.
 * An ELF note is a small record: the lengths of a name and a descriptor, a
 * type, then the name and the descriptor, each padded to four bytes. A
 * `PT_NOTE` segment holds a run of them. We walk the run looking for the owner
 * `Xen` with type 18; its descriptor is the entry address, four bytes in
 * Linux's images and sometimes eight elsewhere, so we take either. Every length
 * comes from the file, so each step is range-checked before it is believed,
 * and the run must start at a multiple of four, as notes always do, since we
 * read each note's header in place. :*/
static u32 note_entry(const struct image *img, const Elf64_Phdr *ph)
{
	u64 off = ph->p_offset, end = ph->p_offset + ph->p_filesz;

	if (!lg_range_ok(ph->p_offset, ph->p_filesz, img->size))
		errx(1, "Host image '%s' is truncated: its note segment runs past the end "
		     "of the file; copy or build it again", img->name);
	if (ph->p_offset & 3)
		errx(1, "Host image '%s' has a misaligned note segment", img->name);
	while (off + sizeof(Elf64_Nhdr) <= end) {
		const Elf64_Nhdr *n = (const void *)(img->data + off);
		u64 name = off + sizeof(*n);
		u64 desc = name + ((n->n_namesz + 3ULL) & ~3ULL);

		off = desc + ((n->n_descsz + 3ULL) & ~3ULL);
		if (off > end)
			break;
		if (n->n_namesz == 4 && memcmp(img->data + name, "Xen", 4) == 0 && n->n_type == 18) {
			u64 entry = 0;

			if (n->n_descsz != 4 && n->n_descsz != 8)
				errx(1, "Host image '%s': PVH entry note of %u bytes", img->name, n->n_descsz);
			memcpy(&entry, img->data + desc, n->n_descsz);
			if (entry == 0 || entry > 0xffffffffULL)
				errx(1, "Host image '%s': PVH entry %#llx is not a 32-bit address",
				     img->name, entry);
			return entry;
		}
	}
	return 0;
}
/*:*/

static u32 host_entry(const struct image *img, const Elf64_Ehdr *eh)
{
	const Elf64_Phdr *ph = (const void *)(img->data + eh->e_phoff);

	for (int i = 0; i < eh->e_phnum; i++) {
		u32 entry = ph[i].p_type == PT_NOTE ? note_entry(img, &ph[i]) : 0;

		if (entry)
			return entry;
	}
	errx(1, "Host image '%s' has no PVH entry note (owner \"Xen\", type 18, "
	     "XEN_ELFNOTE_PHYS32_ENTRY); it is not a PVH kernel", img->name);
}

/*L:460 Loading the segments.
 * The Host's loader goes in that order: first the PVH note, since a file
 * without one is not a PVH kernel at all and that is the thing to say; then
 * the segments (*L:445*) and the entry among them (*L:455*). Only when all of
 * that has passed do we copy anything: the file's bytes,
 * then zeros up to `p_memsz`. Our RAM is fresh from `mmap`, hence already
 * zero, but we clear explicitly: the rule is the loader's, not a property of
 * our allocator. We remember where the highest segment ends, so the Guest
 * module is not placed on top of the Host. :*/
static void host_load_segment(const struct image *img, const Elf64_Phdr *ph)
{
	u64 start = ph->p_paddr, end = ph->p_paddr + ph->p_memsz;

	memcpy(vm.ram + start, img->data + ph->p_offset, ph->p_filesz);
	memset(vm.ram + start + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
	if (end > host_end)
		host_end = end;
	lg_say("Host: segment [%#llx, %#llx), %llu bytes from the file",
	       start, end, (unsigned long long)ph->p_filesz);
}
/*:*/

u32 pvh_load_host(const struct image *img)
{
	const Elf64_Ehdr *eh = elf_header(img);
	struct segments s;
	u32 entry;

	entry = host_entry(img, eh);
	segments_list(img, eh, &s);
	entry_check(img, &s, entry, true);
	for (int i = 0; i < s.n; i++)
		host_load_segment(img, s.ph[i]);
	lg_say("Host '%s': %zu bytes, PVH entry %#x", img->name, img->size, entry);
	return entry;
}

/*L:475 Checking the Guest before the Host does.
 * The Host checks the Guest image too (*H:400*), and kills the Guest with a
 * reason if it is bad. So why check it here as well? Because by then it is too
 * late to say anything useful. The user named a file; a mistake in it should
 * come back as that file's name and what is wrong with it, from the program the
 * user ran, with status 1. Through the Host it came back as the Guest being
 * "killed" (status 125) for a truncated file, or, for a Guest whose segment lay
 * where we had put the module, as a crashed Host (126): the Host found that it
 * was about to overwrite the image it was reading from, and could only stop.
 * Only we can see that clash coming, because only we chose where the module
 * goes.
 *
 * So the Guest gets the same checks as the Host (*L:440* to *L:455*): a sound
 * header, every segment inside the file, inside RAM and off the boot page, no
 * two overlapping, and an entry point among the loaded bytes. Then one more:
 * no segment may overlap the module, at the address we are about to give it.
 * What we do not check is where in RAM the Host's own rules let a Guest live
 * (ours keeps the first 16 MiB for itself, *H:305*): that is the Host's
 * policy, not the boot protocol's, and a Host of another design may differ. A
 * Guest linked below 16 MiB still reaches our Host, which kills it with its
 * reason. :*/
static void guest_check(const struct image *img, u64 module)
{
	const Elf64_Ehdr *eh = elf_header(img);
	struct segments s;

	segments_list(img, eh, &s);
	entry_check(img, &s, eh->e_entry, false);
	for (int i = 0; i < s.n; i++) {
		u64 start = s.ph[i]->p_paddr, end = start + s.ph[i]->p_memsz;

		if (start < module + img->size && module < end)
			errx(1, "Guest image '%s': its segment [%#llx, %#llx) overlaps "
			     "[%#llx, %#llx), where the Launcher puts the image for the Host "
			     "to load it from; raise --memory or link the Guest lower",
			     img->name, start, end, module, module + img->size);
	}
}
/*:*/

/*M:310 32-bit PVH kernels.
 * PVH allows a 32-bit ELF file too, and many small kernels are built that way.
 * Our loader takes only 64-bit ones, because that is what our Host is. Reading
 * both classes means two header layouts; `<elf.h>` has both, and a pair of
 * functions that return a program header's type, offset, address and sizes,
 * whatever the class, would keep the rest of this chapter unchanged. */
/*L:470 The Guest module.
 * Where does the Guest go? QEMU puts a module as high in RAM as it can, page
 * aligned, and so do we: the Host then meets the module at the same kind of
 * place under either VMM, and the RAM between its own image and the module is
 * one free run. The Host copies the Guest's segments out of the module into
 * the Guest's window; it does not run the module in place. Before we copy the
 * module in, we check the Guest image as the Host will load it (*L:475*). :*/
u64 pvh_load_module(const struct image *img)
{
	u64 addr;

	if (img->size > vm.ram_size - ((host_end + 0xfff) & ~0xfffULL))
		errx(1, "the Guest image '%s' (%zu KiB) does not fit in RAM above the Host; "
		     "raise --memory", img->name, img->size >> 10);
	addr = (vm.ram_size - img->size) & ~0xfffULL;
	guest_check(img, addr);
	memcpy(vm.ram + addr, img->data, img->size);
	lg_say("Guest '%s': module 0 at [%#llx, %#llx)", img->name, addr, addr + img->size);
	return addr;
}
/*:*/

/*L:480 The memory map.
 * Our machine's RAM is one run from 0, but we describe it as a PC would: the
 * first 640 KiB, then everything from 1 MiB. The 384 KiB between are where a
 * PC keeps video memory and firmware; nothing of ours is there, and a Host that
 * assumes the usual hole will find it where it expects. :*/
static void write_memmap(struct boot_page *bp)
{
	bp->memmap[0] = (struct pvh_memmap_entry){ 0, 0xa0000, PVH_MEMMAP_RAM, 0 };
	bp->memmap[1] = (struct pvh_memmap_entry){ 0x100000, vm.ram_size - 0x100000,
						   PVH_MEMMAP_RAM, 0 };
	bp->info.memmap_entries = 2;
	bp->info.memmap_paddr = LG_BOOT_PAGE + offsetof(struct boot_page, memmap);
}
/*:*/

/*L:490 The start information.
 * Last, the structure `%ebx` will point to: the magic number that proves it is
 * one, version 1, one module (the Guest, with no command line of its own: the
 * Guest's arguments travel in the Host's), and the command line copied to its
 * pages. There are no ACPI tables in our machine, so `rsdp_paddr` stays 0,
 * which PVH defines as "none". :*/
u32 pvh_write_start_info(const char *cmdline, u64 module, u64 module_size)
{
	struct boot_page *bp = (void *)(vm.ram + LG_BOOT_PAGE);

	memset(bp, 0, sizeof(*bp));
	bp->info.magic = PVH_START_MAGIC;
	bp->info.version = 1;
	bp->info.nr_modules = 1;
	bp->info.modlist_paddr = LG_BOOT_PAGE + offsetof(struct boot_page, modules);
	bp->modules[0] = (struct pvh_module){ .paddr = module, .size = module_size };
	write_memmap(bp);
	strcpy((char *)vm.ram + LG_CMDLINE_ADDR, cmdline);
	bp->info.cmdline_paddr = LG_CMDLINE_ADDR;
	lg_say("Host command line: \"%s\"", cmdline);
	return LG_BOOT_PAGE;
}
/*:*/
/*:*/
