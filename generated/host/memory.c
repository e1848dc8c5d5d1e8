/* Tangled from chapters/40-host.nw by `make tangle`: edit the chapter, not this file. */
/*H:305 The Guest's RAM window.
 * The Guest gets one contiguous range of physical memory, its *window*. Inside
 * the window, a Guest-physical address *is* a machine-physical address: we do
 * not translate, so a virtio device in the VMM can use an address the Guest
 * gives it directly, once it has checked that the address is in the window.
 *
 * We keep the first 16 MiB for the Host: its image at 1 MiB and whatever it
 * allocates later. The window is the rest of the RAM range that contains
 * 16 MiB, cut at 4 GiB (the end of our direct map) and rounded down to a 2 MiB
 * boundary, the size of the pages we map it with. We announce the window to
 * the VMM on two ports, in pages, so that our Launcher can check the Guest's
 * device addresses against it; QEMU ignores those ports. :*/
/* The Guest's RAM window, and the one door for Guest addresses. */
#include "host.h"

#define GUEST_WINDOW_START 0x1000000

extern char host_end[];

void window_choose(struct lguest *lg, const struct pvh_boot *boot)
{
	const struct pvh_memmap_entry *ram = pvh_ram_at(boot, GUEST_WINDOW_START);
	u64 end;

	if (host_image_phys(host_end) > GUEST_WINDOW_START)
		host_panic("the Host image runs past 0x%x", GUEST_WINDOW_START);
	if (!ram)
		host_panic("no RAM at 0x%x for the Guest: give the VM more memory",
			   GUEST_WINDOW_START);
	end = ram->addr + ram->size;
	if (end > HOST_DIRECT_MAP_SIZE)
		end = HOST_DIRECT_MAP_SIZE;
	lg->mem_start = GUEST_WINDOW_START;
	lg->mem_end = end & ~(u64)(LARGE_PAGE - 1);
	if (lg->mem_end < lg->mem_start + 2 * LARGE_PAGE)
		host_panic("only 0x%llx bytes of RAM above 16 MiB for the Guest",
			   end - lg->mem_start);
	outl(lg->mem_start >> 12, LG_PORT_WINDOW_START);
	outl((lg->mem_end - lg->mem_start) >> 12, LG_PORT_WINDOW_PAGES);
}
/*H:310 The one door for Guest addresses.
 * Here is the threat model, stated once: the Guest runs code we did not write,
 * and it may be hostile. Every number it hands us (in a register during a
 * hypercall, in its memory, in a page-table entry) may have been chosen to make
 * us read or write somewhere it should not reach: the Host's own image, the
 * memory-mapped devices, or past the end of the window by way of an addition
 * that wraps around zero. So every Guest-physical address and length passes
 * through `lg_address_ok` before anything touches it, and it is careful in
 * that order: first that the addition does not overflow, then that the range
 * starts and ends inside the window. Only then does `from_guest_phys` turn the
 * address into a Host pointer. lguest called this `lguest_address_ok`; the idea
 * has not aged. :*/
int lg_address_ok(const struct lguest *lg, u64 addr, u64 len)
{
	return addr + len >= addr && addr >= lg->mem_start &&
	       addr + len <= lg->mem_end;
}

void *from_guest_phys(const struct lguest *lg, u64 addr)
{
	(void)lg;
	return phys_to_virt(addr);
}
/*:*/
/*:*/
