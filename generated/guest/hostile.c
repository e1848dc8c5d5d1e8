/* Tangled from chapters/10-guest.nw, chapters/11-guest-memory.nw,
 * chapters/12-guest-interrupts.nw, chapters/20-drivers.nw,
 * chapters/40-host.nw and chapters/43-host-devices.nw
 * by `make tangle`: edit the chapters, not this file. */
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
	/*G:792 Breaking them beside the last fill.
	 * The Host has more than one way to fill a page. A fault in the same two
	 * megabytes as the page it filled last takes a short way, in C (H:627) and,
	 * before that, in the Switcher's assembly (S:257), and each short way reads
	 * our entry and checks its frame itself: neither can lean on the door that
	 * checks every other address (H:310), because the entry never went through
	 * it. So two more cases break rule 2 exactly there. Each maps a page of its
	 * own and reads it, so that the Host's last fill is beside the address; then
	 * it points the next entry, without a word to the Host, one page outside the
	 * window, and writes through it:
	 *
	 * 42. the first page past the window's end;
	 * 43. the last page below its start, which is the Host's.
	 *
	 * A short way that checked its bounds one page off would let the write
	 * through. Both must go the long way and be killed there, like case 5.
	 * `tests/paging/address_rule.c` holds the same edges against all three
	 * places on the host, and these two cases prove the real Switcher agrees. :*/
	case 42 ... 43:
		hostile_memory(n);
		break;
	/*:*/
	/*G:950 Hostile Guests: interrupts and time.
	 * Eight more ways to break the rules, cases 12 to 19. Each aims at something a
	 * careless Host would do for us: jump to our handler, push a frame onto our
	 * stack, arm a timer, sleep. Three hand over an interrupt entry that is not
	 * ours to have: an address outside the window (12), the Host's own code in its
	 * slot (13), and a non-canonical address whose low 48 bits are the window's
	 * start, which a walker that forgets canonical form would accept (14). :*/
	case 12:
		hcall(LHCALL_SET_IRQ_ENTRY, 0x1000, 0, 0);
		break;
	case 13:
		hcall(LHCALL_SET_IRQ_ENTRY, 0xffffffff80100000, 0, 0);
		break;
	case 14:
		hcall(LHCALL_SET_IRQ_ENTRY, 0x8000000001000000, 0, 0);
		break;
	/*:*/
	/*G:955 Hostile Guests: at delivery.
	 * The next two pass registration and break the rules later, when the Host has
	 * to act, which is where a Host that trusted its earlier check would write
	 * where it must not, at ring 0. Case 15 maps a page of its own, registers it as
	 * its interrupt stack (every check passes: it is writable Guest memory), unmaps
	 * it, and asks for a clock event at once: the Host can no longer push the
	 * interrupt's frame. Case 16 overflows its interrupt stack: it moves its stack pointer to
	 * 16 bytes above the interrupt stack's bottom and asks for a clock event in the
	 * past, so the interrupt comes at once, while it is "on" the interrupt stack
	 * with no room for a frame. Case 17 disables interrupts, arms the clock, and
	 * never takes the interrupt the Host holds for it: for half a second it floods
	 * the Host with null hypercalls, then it spins without a single trap, so the
	 * Host's watch must catch it by its own timer, not by the Guest's next
	 * hypercall. Case 18 asks for a clock event at the end of time, case 19
	 * halts with nothing that could ever wake it. :*/
	case 15:
		hostile_irq_stack_unmapped();
		break;
	case 16:
		hostile_irq_stack_overflow();
		break;
	case 17:
		hostile_lockup();
		break;
	case 18:
		hcall(LHCALL_SET_CLOCKEVENT, ~0ULL, 0, 0);
		break;
	case 19:
		guest_interrupts_init();
		irq_disable();
		guest_halt();
		break;
	/*:*/
	/*H:551, continued :*/
	case 41:
		hcall(LHCALL_SET_TRAP_ENTRY, (u64)guest_trap_entry, 0, 0);
		asm volatile("mov $0x1000, %%rsp; ud2" : : : "memory");
		break;
	/*:*/
	/*H:960 Three Guests that reach too far.
	 * Three hostile cases test the rules of this chapter from the Guest's side.
	 * Case 20 maps the I/O APIC's page, which is outside its RAM and no device's,
	 * and reads it: the Host must refuse the entry. Case 21 unmasks the clock's
	 * interrupt, which is no device's. Case 22 is the subtle one: it names its own
	 * console's page, which it may map, as a *page table*, hoping the Host will read
	 * device registers as entries; the rule of H:595 allows a device page only at
	 * the lowest level. Under our Launcher device 0 is always the console; a Guest
	 * started with no devices at all has nothing to try, and says so. :*/
	case 20:
		pt_map(kernel_root, 0xfec00000, 0xfec00000, PTE_W);
		(void)*(volatile u32 *)0xfec00000;
		break;
	case 21:
		hcall(LHCALL_IRQ_UNMASK, LG_IRQ_TIMER, 0, 0);
		break;
	case 22:
		if (!guest_boot->nr_devices) {
			printk("hostile case 22 needs a device\n");
			guest_poweroff(2);
		}
		*pt_entry(kernel_root, 0x9200000000ULL, 1, 1) =
			(guest_boot->devices[0].addr & ~0xfffULL) | PTE_P | PTE_W | PTE_U;
		(void)*(volatile u64 *)0x9200000000ULL;
		break;
	/*:*/
	default:
		/*D:127, continued :*/
		drivers_hostile(n);
		/*:*/
		printk("unknown hostile case %d\n", n);
		guest_poweroff(2);
	}
	printk("Guest: hostile case %d was not stopped\n", n);
	guest_poweroff(1);
}
/*:*/
