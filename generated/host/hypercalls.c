/* Tangled from chapters/40-host.nw, chapters/41-host-paging.nw,
 * chapters/42-host-interrupts.nw and chapters/43-host-devices.nw
 * by `make tangle`: edit the chapters, not this file. */
/*H:525 Hypercalls.
 * A hypercall is the Guest calling the Host as a program calls its kernel: a
 * number in `%rax`, arguments in `%rdi`, `%rsi` and `%rdx` (the first three
 * argument registers of the C calling convention, so a Guest wrapper needs no
 * shuffling), and a result back in `%rax`. Every other register comes back as
 * it was. The numbers are in the ABI header; *The Guest* introduced them. The
 * dispatcher is a flat switch, one line per call, and an unknown number is not
 * ignored: a Guest that sends one is confused or probing, and either way it is
 * killed. So is one that calls anything before `LHCALL_INIT`, since until then
 * we have no shared page to talk through. Later chapters add their calls to the
 * family *hypercall cases*. Two functions share the work, and their names say
 * which is which: `hcall_trap` is where a trap that is a hypercall comes in,
 * with the checks; `hcall_dispatch` runs one call, whichever way it came.
 * *Shadow page tables* explains why they are apart: the calls a Guest queued in
 * its shared page run through `hcall_dispatch` too. :*/
/* The hypercalls: the Guest's requests to the Host. */
#include "host.h"

/*H:530 LHCALL_INIT.
 * The Guest's first hypercall names its *shared page*: a page of its own memory
 * that both sides read and write without trapping (see `struct lg_shared_page`
 * in *The Guest*). It must be a whole, aligned page inside the window, and it
 * is given only once: a Guest that could move the page later could move it
 * under the Host's feet. The Switcher's fast paths (S:227, S:257) learn the
 * window here, in `lg_fast`. :*/
static void hcall_init(struct lguest *lg, u64 pa)
{
	if (lg->shared)
		kill_guest(lg, "LHCALL_INIT called twice");
	if (pa & (PAGE_SIZE - 1))
		kill_guest(lg, "shared page at 0x%llx is not page-aligned", pa);
	lg->shared = from_guest_phys(lg, pa, PAGE_SIZE, "the shared page");
	lg_fast.mem_start = lg->mem_start, lg_fast.mem_end = lg->mem_end;
}
/*:*/
/*H:535 LHCALL_CONSOLE_WRITE.
 * Before the Guest has a console driver it still needs to speak, and to speak
 * when things go wrong. This hypercall is its early console: a Guest-physical
 * address and a length, copied to our serial port. The range goes through the
 * one door, so a Guest that asks us to print the Host's memory (hostile case 3
 * in the Guest's tests does exactly that) is killed instead. :*/
static void hcall_console_write(struct lguest *lg, u64 pa, u64 len)
{
	console_write(from_guest_phys(lg, pa, len, "console write"), len);
}
/*:*/
/*H:540 LHCALL_SET_TRAP_ENTRY.
 * The entry point is a Guest-virtual address. We check that it means something
 * now; the Guest could unmap it later, but then the reflection itself fails
 * cleanly, because the Host never jumps there: the Guest does, at ring 3. :*/
static void hcall_set_trap_entry(struct lguest *lg, u64 entry)
{
	u64 pa;

	if (!guest_virt_to_phys(lg, entry, 0, &pa))
		kill_guest(lg, "trap entry 0x%llx is not mapped", entry);
	lg->trap_entry = entry;
}
/*:*/
/*H:545 LHCALL_SHUTDOWN.
 * The Guest's status becomes the machine's. Statuses up to 124 are the Guest's
 * to choose; the ones above are reserved for the Host's verdicts
 * (`LG_EXIT_KILLED`, `LG_EXIT_HOST_PANIC`), so a Guest cannot pretend to have
 * been killed. :*/
static void hcall_shutdown(struct lguest *lg, u64 status)
{
	if (status >= LG_EXIT_KILLED)
		kill_guest(lg, "shutdown with status %llu, above the Guest's limit of %d",
			   status, LG_EXIT_KILLED - 1);
	host_exit(status);
}
/*:*/

void hcall_trap(struct lguest *lg, struct lg_regs *r)
{
	if (!lg->shared && r->rax != LHCALL_INIT)
		kill_guest(lg, "hypercall %llu before LHCALL_INIT", r->rax);
	/*H:670 The ring of queued hypercalls.
	 * The Guest queues hypercalls in its shared page (G:620) and traps once; here
	 * is the other end. The ring is Guest memory, so everything in it is suspect.
	 * We read the Guest's count once, and compare it with *our* count of the calls
	 * we have run, not with the copy in the shared page, which the Guest could
	 * rewrite. More than a ring's worth waiting (rule 6) means the Guest's count is
	 * garbage: a Guest that claims a thousand calls in a ring of 64 is killed, not
	 * believed. Each call is copied out of the ring into a scratch set of
	 * registers and dispatched exactly as a direct one, through `hcall_dispatch`,
	 * so a queued call meets every check a direct one does, and an unknown number
	 * in the ring kills the Guest just as it would in `%rax`. A call that changes
	 * the Guest's registers makes no sense queued; none of ours does. Every
	 * hypercall runs the ring before its own call (G:620), so a queued call is
	 * never overtaken by a later direct one. The ring is usually empty, and
	 * `hcall_trap` asks that first, in two loads and a compare: called to find out, `async_run_queue` spent eighteen instructions
	 * on its prologue before the same test (S:307). (Two merges once left both versions of this chunk in place, the
	 * test and then the unconditional call, and the count of every hypercall that
	 * reached C rose by twenty: exactly the kind of change only a count notices.) :*/
	if (lg->shared && lg->shared->async_queued != lg->async_done)
		async_run_queue(lg, r);
	/*:*/
	hcall_dispatch(lg, r);
}

void hcall_dispatch(struct lguest *lg, struct lg_regs *r)
{
	switch (r->rax & ~(u64)LHCALL_RING_HELD) {
	case LHCALL_INIT:		hcall_init(lg, r->rdi); break;
	case LHCALL_CONSOLE_WRITE:	hcall_console_write(lg, r->rdi, r->rsi); break;
	case LHCALL_SET_TRAP_ENTRY:	hcall_set_trap_entry(lg, r->rdi); break;
	case LHCALL_SHUTDOWN:		hcall_shutdown(lg, r->rdi); break;
	/*H:660 The page-table hypercalls.
	 * Each call is one line of the dispatcher. The four set-entry calls share one:
	 * their numbers are consecutive, so the level is the distance from
	 * `LHCALL_SET_PTE`. `LHCALL_FLUSH_ASYNC` has nothing left to do by the time
	 * it is dispatched, because every hypercall first runs the ring (H:670). :*/
	case LHCALL_NEW_PGTABLE:	shadow_new_root(lg, r->rdi); break;
	case LHCALL_SET_PTE:
	case LHCALL_SET_PDE:
	case LHCALL_SET_PDPTE:
	case LHCALL_SET_PML4E:
		shadow_set_entry(lg, r->rdi, r->rsi, r->rax - LHCALL_SET_PTE);
		break;
	case LHCALL_FLUSH_ONE:		shadow_flush_one(lg, r->rdi); break;
	case LHCALL_FLUSH_ALL:		shadow_flush_all(lg); break;
	case LHCALL_FLUSH_ASYNC:	break;
	/*:*/
	/*H:825, continued :*/
	case LHCALL_SET_CLOCKEVENT:
		clock_set_event(lg, r->rdi);
		clock_learn(r);
		break;
	/*:*/
	/*H:860, continued :*/
	case LHCALL_SET_IRQ_ENTRY:	irq_set_entry(lg, r->rdi); break;
	case LHCALL_SET_STACK:		irq_set_stack(lg, r->rdi, r->rsi); break;
	case LHCALL_SEND_INTERRUPTS:	break;
	case LHCALL_HALT:		irq_halt(lg); break;
	case LHCALL_NOP:		nop_learn(r); break;
	case LHCALL_BARE_TRAP:		irq_bare_trap(lg, r->rdi); break;
	/*:*/
	/*H:945, continued :*/
	case LHCALL_IRQ_UNMASK:		devices_irq_unmask(lg, r->rdi); break;
	/*:*/
	default:
		kill_guest(lg, "unknown hypercall %llu at rip 0x%llx", r->rax, r->rip);
	}
	r->rax = 0;
}
/*:*/
