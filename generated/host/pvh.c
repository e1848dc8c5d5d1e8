/* Tangled from chapters/40-host.nw by `make tangle`: edit the chapter, not this file. */
/*H:250 What the boot protocol tells us.
 * The VMM describes the machine in a `struct pvh_start_info` (Xen's
 * `hvm_start_info`), whose physical address arrived in `%ebx`. Its layout is
 * fixed by the PVH protocol (version 1): a magic number, the number of
 * *modules* (files the VMM loaded for us; module 0 is the Guest), the physical
 * addresses of the module list, of our command line and of a memory map in the
 * style of the PC BIOS's E820 table. The Launcher wrote it from the same
 * declarations we read it with, `include/pvh.h` (L:400). We copy the few facts
 * we need into a `struct pvh_boot` and forget the rest. :*/
/* Reading pvh_start_info: command line, Guest module, memory map. */
#include "host.h"

/*H:255 Trusting the VMM, a little.
 * The VMM built this machine and could do anything to it, so we do not defend
 * against it; but we do refuse to follow one of its pointers off the end of the
 * direct map, because that would be a page fault in the Host with no useful
 * message. `pvh_ptr` is the one place a VMM-supplied address becomes a pointer. :*/
static const void *pvh_ptr(u64 pa, u64 len, const char *what)
{
	if (pa + len < pa || pa + len > HOST_DIRECT_MAP_SIZE)
		host_panic("%s at 0x%llx is beyond the first 4 GiB", what, pa);
	return phys_to_virt(pa);
}
/*:*/
/*H:260 Reading hvm_start_info.
 * A wrong magic number means we were not started by a PVH loader at all. A
 * missing module means there is no Guest to run, which is a mistake in how the
 * VMM was invoked, so the message says what to add. :*/
void pvh_read(u32 start_info_pa, struct pvh_boot *boot)
{
	const struct pvh_start_info *si =
		pvh_ptr(start_info_pa, sizeof(*si), "hvm_start_info");
	const struct pvh_module *mod;

	if (si->magic != PVH_START_MAGIC)
		host_panic("not started by PVH (magic 0x%x)", si->magic);
	if (si->nr_modules < 1)
		host_panic("no Guest: PVH module 0 is missing (QEMU: -initrd guest.elf)");
	mod = pvh_ptr(si->modlist_paddr, sizeof(*mod), "module list");
	boot->module_pa = mod->paddr;
	boot->module_size = mod->size;
	pvh_ptr(mod->paddr, mod->size, "the Guest module");
	boot->cmdline = si->cmdline_paddr ?
		pvh_ptr(si->cmdline_paddr, 1, "command line") : "";
	boot->memmap_entries = si->memmap_entries;
	boot->memmap = pvh_ptr(si->memmap_paddr,
			       si->memmap_entries * sizeof(*boot->memmap), "memory map");
}
/*:*/
/*H:265 The memory map.
 * The only question we ask of the memory map is: which RAM range holds this
 * address? Everything else in it (reserved areas, ACPI tables) is not ours to
 * give away. :*/
const struct pvh_memmap_entry *pvh_ram_at(const struct pvh_boot *boot, u64 pa)
{
	for (u32 i = 0; i < boot->memmap_entries; i++) {
		const struct pvh_memmap_entry *e = &boot->memmap[i];

		if (e->type == PVH_MEMMAP_RAM && pa >= e->addr && pa - e->addr < e->size)
			return e;
	}
	return NULL;
}
/*:*/
/*H:270 The Guest's arguments.
 * The command line is a list of words in Linux's style. Words before `--` are
 * for the Host; the Host has no options of its own yet. Words after `--` belong
 * to the Guest, with one exception: QEMU *appends* its `virtio_mmio.device=`
 * words to whatever line it was given, so they can land after our `--`. Device
 * descriptions are the Host's business, wherever they stand, so we skip them.
 * The Guest's words are copied out joined by single spaces, cut short (and
 * still terminated) if the buffer is too small. :*/
static const char *next_word(const char *s, u64 *len)
{
	while (*s == ' ')
		s++;
	*len = 0;
	while (s[*len] && s[*len] != ' ')
		(*len)++;
	return s;
}

void pvh_guest_args(const char *cmdline, char *out, u64 size)
{
	const char *w = cmdline;
	u64 len, used = 0;
	int guest = 0;

	out[0] = '\0';
	for (w = next_word(w, &len); len; w = next_word(w + len, &len)) {
		if (!guest || str_starts(w, "virtio_mmio.device=")) {
			guest |= len == 2 && w[0] == '-' && w[1] == '-';
			continue;
		}
		if (used + len + 2 > size)
			break;
		if (used)
			out[used++] = ' ';
		memcpy(out + used, w, len);
		out[used += len] = '\0';
	}
}
/*:*/
/*:*/
