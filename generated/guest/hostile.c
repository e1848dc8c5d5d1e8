/* Tangled from chapters/10-guest.nw by `make tangle`: edit the chapter, not this file. */
/*G:600 Hostile Guests.
 * The Host's promises include what it does to a Guest that breaks the rules:
 * kill it, with a reason, and never crash. `hostile=N` turns our Guest into a
 * small villain, right after it has said hello and before it registers an
 * exception handler, the moment it is least protected:
 *
 * 1. a hypercall with a number the Host does not know;
 * 2. a store to address 0, with no exception handler registered;
 * 3. an early-console write whose buffer is the Host's own image, at 1 MiB.
 *
 * Each should end with `lguest: guest killed: ...` on the console and the
 * machine's status `LG_EXIT_KILLED`. If the Host lets one pass, the Guest says
 * so and powers off with 1. An unknown case number powers off with 2, so a
 * test harness can tell "no such case" from "case survived". Later chapters add
 * their cases to the family *the hostile cases*. :*/
/* hostile=N: the Guest misbehaves, to show that the Host copes. */
#include "guest.h"

void guest_hostile(int n)
{
	switch (n) {
	case 1:
		hcall(999, 0, 0, 0);
		break;
	case 2:
		asm volatile("movq $0, 0" : : : "memory");
		break;
	case 3:
		hcall(LHCALL_CONSOLE_WRITE, 0x100000, 64, 0);
		break;
	/*G:790 Breaking the memory rules.
	 * Eight hostile cases attack the rules the Host enforces on page tables, each
	 * with one clear violation, and each, if the Host let it pass, tries to write
	 * into what it mapped and says so, so that a survivor cannot go unnoticed:
	 *
	 * 4. announce a page-table entry that maps the Host's image, at 1 MiB;
	 * 5. write the same entry into our own table *without* announcing it, then
	 *    touch the page: the Host must catch it when it fills the shadow;
	 * 6. announce a 2 MiB page just above the window;
	 * 7. announce a top-level entry in slot 511, the Host's;
	 * 8. give the Host's image as a page-table root;
	 * 9. announce an entry for a non-canonical address, one past the lower half;
	 * 10. point, unannounced, a page directory entry at Host memory, as if it were
	 *     a page table of ours: the Host must not read its own memory as our table;
	 * 11. claim a thousand queued hypercalls in a ring that holds 64. :*/
	case 4 ... 11:
		hostile_memory(n);
		break;
	/*:*/
	default:
		printk("unknown hostile case %d\n", n);
		guest_poweroff(2);
	}
	printk("Guest: hostile case %d was not stopped\n", n);
	guest_poweroff(1);
}
/*:*/
