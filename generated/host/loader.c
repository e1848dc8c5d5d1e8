/* Tangled from chapters/40-host.nw by `make tangle`: edit the chapter, not this file. */
/*H:400 Loading the Guest.
 * Module 0 is the Guest as an ELF executable, and the VMM may have put it
 * anywhere in RAM (QEMU puts it near the top). We copy each loadable segment
 * to the physical address it names, inside the window, and clear the part of
 * the segment the file does not cover (its `.bss`). What we read comes from the
 * VMM's command line, not from running Guest code, but it is still the Guest's
 * image and still checked: a bad image kills the Guest with a reason, before it
 * ever runs. :*/
/* Loading the Guest's ELF image into its window, and its boot information. */
#include "host.h"

#define PT_LOAD 1
#define EM_X86_64 62

struct elf64_ehdr {
	u8 ident[16];
	u16 type, machine;
	u32 version;
	u64 entry, phoff, shoff;
	u32 flags;
	u16 ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
	u32 type, flags;
	u64 offset, vaddr, paddr, filesz, memsz, align;
};

/*H:405 The ELF header.
 * An ELF file starts with a header that says what it is (the magic bytes, the
 * class, the machine) and where its program headers are. We accept a 64-bit
 * x86-64 executable whose program headers lie inside the image; the sizes are
 * checked before they are multiplied, so no product can wrap. :*/
static const struct elf64_ehdr *elf_header(struct lguest *lg, const u8 *img,
					   u64 size)
{
	const struct elf64_ehdr *eh = (const void *)img;

	if (size < sizeof(*eh) || memcmp(eh->ident, "\177ELF", 4) ||
	    eh->ident[4] != 2 || eh->machine != EM_X86_64)
		kill_guest(lg, "bad Guest image: not a 64-bit x86-64 ELF file");
	if (eh->phentsize != sizeof(struct elf64_phdr) || eh->phoff > size ||
	    eh->phnum > (size - eh->phoff) / sizeof(struct elf64_phdr))
		kill_guest(lg, "bad Guest image: program headers outside the file");
	return eh;
}
/*:*/
/*H:410 One segment.
 * A segment must fit in the file (`offset + filesz`, checked without
 * overflow), fit in the window (`paddr + memsz`, through the one door), and, for
 * now, be linked at the address it is loaded at, since the first-boot table
 * maps the window one to one. One more check protects the copy itself: the
 * segment's destination must not overlap the module we are copying from,
 * or we would overwrite the image while reading it. That one is not quite the
 * Guest's fault (the boot loader chose where the module lies), but the Guest
 * image is still what we were given, and the Host never panics on what it was
 * given: we refuse the image with both addresses, so whoever placed it can
 * place it elsewhere. Our Launcher checks the same before it boots us (*L:475*),
 * and a fuzzer of this loader (`tests/fuzz/`) holds the Host to it. :*/
static void load_segment(struct lguest *lg, const struct pvh_boot *boot,
			 const struct elf64_phdr *ph)
{
	const u8 *img = phys_to_virt(boot->module_pa);

	if (ph->filesz > ph->memsz || ph->offset > boot->module_size ||
	    ph->filesz > boot->module_size - ph->offset)
		kill_guest(lg, "bad Guest image: segment outside the file");
	if (!lg_address_ok(lg, ph->paddr, ph->memsz))
		kill_guest(lg, "bad Guest image: segment 0x%llx+0x%llx outside RAM 0x%llx-0x%llx",
			   ph->paddr, ph->memsz, lg->mem_start, lg->mem_end);
	if (ph->vaddr != ph->paddr)
		kill_guest(lg, "bad Guest image: segment linked at 0x%llx, loaded at 0x%llx",
			   ph->vaddr, ph->paddr);
	if (ph->paddr < boot->module_pa + boot->module_size &&
	    boot->module_pa < ph->paddr + ph->memsz)
		kill_guest(lg, "bad Guest image: segment at 0x%llx overlaps module 0 (0x%llx+0x%llx); "
			   "load the module elsewhere", ph->paddr, boot->module_pa, boot->module_size);
	memcpy(from_guest_phys(lg, ph->paddr), img + ph->offset, ph->filesz);
	memset(from_guest_phys(lg, ph->paddr + ph->filesz), 0, ph->memsz - ph->filesz);
}
/*:*/
/*H:415 The whole image.
 * We load every `PT_LOAD` segment and ignore the other program headers (the
 * stack note and friends mean nothing here). The entry point must be inside the
 * window too, and we report where the image ends, because the boot information
 * goes just after it. :*/
u64 guest_load(struct lguest *lg, const struct pvh_boot *boot, u64 *image_end)
{
	const u8 *img = phys_to_virt(boot->module_pa);
	const struct elf64_ehdr *eh = elf_header(lg, img, boot->module_size);
	const struct elf64_phdr *ph = (const void *)(img + eh->phoff);

	*image_end = lg->mem_start;
	for (int i = 0; i < eh->phnum; i++) {
		if (ph[i].type != PT_LOAD)
			continue;
		load_segment(lg, boot, &ph[i]);
		if (ph[i].paddr + ph[i].memsz > *image_end)
			*image_end = ph[i].paddr + ph[i].memsz;
	}
	if (!lg_address_ok(lg, eh->entry, 1))
		kill_guest(lg, "bad Guest image: entry point 0x%llx outside RAM", eh->entry);
	return eh->entry;
}
/*:*/
/*H:420 The boot information.
 * The Guest needs to know a few things the Host knows: where its RAM is and what
 * its command line says (later chapters add the clock's frequency and the list
 * of devices). We write them into a `struct lg_boot_info` in the first page
 * after the Guest's image and pass that page's address in `%rdi`, the first
 * argument register, so the Guest's entry can be an ordinary C function. The
 * Guest may treat everything after this page as free memory. :*/
u64 guest_boot_info(struct lguest *lg, const struct pvh_boot *boot, u64 image_end)
{
	u64 pa = (image_end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	struct lg_boot_info *bi;

	if (!lg_address_ok(lg, pa, PAGE_SIZE))
		kill_guest(lg, "bad Guest image: no room for the boot information");
	bi = from_guest_phys(lg, pa);
	memset(bi, 0, sizeof(*bi));
	bi->ram_start = lg->mem_start;
	bi->ram_size = lg->mem_end - lg->mem_start;
	pvh_guest_args(boot->cmdline, bi->cmdline, sizeof(bi->cmdline));
	return pa;
}
/*:*/
/*:*/
