/* Tangled from chapters/40-host.nw by `make tangle`: edit the chapter, not this file. */
/*H:547 The boot, in order.
 * All the pieces are in place, and `host_main` tells the boot as a list: a
 * checksum of our own image for the kill path to compare against (first,
 * because a Guest can be killed as early as the loading of its image, and a
 * kill before the seal once compared against nothing and cried "CHANGED"), our
 * tables, what the VMM told us, the Guest's window and address space, its
 * image and boot information, the clock and the interrupt controller (which
 * also tell the Guest how fast its TSC runs), its devices, one line on the
 * console to say where it all went, and into the loop that never returns. :*/
/* The Host's boot: from hvm_start_info to a running Guest. */
#include "host.h"

static struct lguest the_guest;

void host_main(u32 start_info_pa)
{
	struct lguest *lg = &the_guest;
	struct pvh_boot boot;
	u64 entry, image_end, boot_info;

	host_image_seal();
	segments_init();
	pvh_read(start_info_pa, &boot);
	window_choose(lg, &boot);
	guest_pagetable_init(lg);
	entry = guest_load(lg, &boot, &image_end);
	boot_info = guest_boot_info(lg, &boot, image_end);
	guest_regs_init(lg, entry, boot_info);
	interrupts_init(lg, &boot, boot_info);
	devices_init(lg, &boot, boot_info);
	host_printf("lguest: Host ready; Guest RAM 0x%llx-0x%llx, entry 0x%llx\n",
		    lg->mem_start, lg->mem_end, entry);
	run_guest(lg);
}
/*:*/
