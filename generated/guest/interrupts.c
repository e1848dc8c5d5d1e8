/* Tangled from chapters/12-guest-interrupts.nw by `make tangle`: edit the chapter, not this file. */
/*G:800 The interrupt flag.
 * On a real CPU, `cli` and `sti` flip a bit in `%rflags`. Ours are stores to the
 * shared page, which cost a nanosecond instead of a trap: this is lguest's
 * oldest and best trick, because a kernel disables and enables interrupts
 * constantly, and almost never does an interrupt arrive while they are off.
 *
 * Disabling is just the store. Enabling is the store *and then* a look at the
 * pending word: an interrupt that arrived while we were disabled is waiting
 * there, and the Host will not deliver it until it next gets control. Rather
 * than wait for the next trap of any kind, we make one. The order is what makes
 * this race-free: if an interrupt becomes pending *after* our store, the Host
 * takes the real interrupt (which traps, since real interrupts are always on),
 * finds our flag set and delivers it at once; if it was pending *before*, our
 * load sees its bit. Both are our CPU's own accesses in program order, and the
 * Host only ever looks between two of our instructions, when we trap, so no
 * fence is needed, only a compiler barrier and `volatile` to keep the compiler
 * from caching either word.
 *
 * `irq_save` and `irq_restore` are the nested form, Linux's
 * `local_irq_save` and `local_irq_restore`: save the flag, disable, and later
 * put back whatever was there. :*/
/* Interrupts: the flag, the handlers, and the interrupt stack. */
#include "guest.h"

#define IRQ_STACK_SIZE 16384

static u8 irq_stack[IRQ_STACK_SIZE] __attribute__((aligned(16)));
static void (*irq_handlers[LG_NR_IRQS])(struct trap_frame *);
u64 irq_unexpected;

static volatile struct lg_shared_page *vshared(void)
{
	return guest_shared;
}

/*:*/
/*G:800, continued :*/
void irq_disable(void)
{
	vshared()->irq_enabled = 0;
	asm volatile("" : : : "memory");
}

/*:*/
/*G:800, continued :*/
void irq_enable(void)
{
	asm volatile("" : : : "memory");
	vshared()->irq_enabled = 1;
	if (vshared()->irq_pending)
		hcall(LHCALL_SEND_INTERRUPTS, 0, 0, 0);
}
/*G:805 Saving and restoring.
 * `irq_pending` and `irq_enabled` let tests look without touching. :*/
u64 irq_save(void)
{
	u64 flags = vshared()->irq_enabled;

	irq_disable();
	return flags;
}

/*:*/
/*G:805, continued :*/
void irq_restore(u64 flags)
{
	if (flags)
		irq_enable();
}

/*:*/
/*G:805, continued :*/
int irq_enabled(void)
{
	return vshared()->irq_enabled != 0;
}

/*:*/
/*G:805, continued :*/
u64 irq_pending(void)
{
	return vshared()->irq_pending;
}
/*:*/
/*G:815 Dispatching, and returning.
 * A table of handlers, one per interrupt, filled by whoever owns the interrupt:
 * the clock takes 0, drivers take theirs. `guest_irq` calls the right one and
 * counts interrupts nobody claimed.
 *
 * Then it puts the flag back. The Host cleared it on delivery, as an interrupt
 * gate clears `IF`, and the interrupted code had it set (or the interrupt could
 * not have come), so "put back" means `irq_enable`, including its look at the
 * pending word. On real hardware `iretq` restores `IF` and returns in one
 * instruction. We cannot: the flag is restored here, in C, and the `iretq`
 * comes a few instructions later, after the registers are popped. An interrupt
 * may arrive in that window. That is harmless, and worth seeing why. The Guest
 * is then on its interrupt stack, so the Host pushes the new frame just below
 * the old one (it switches stacks only when we are *off* the interrupt stack),
 * the new handler runs and returns into our pops, and our `iretq` finishes the
 * first interrupt. The window costs at most one extra frame of stack, and the
 * interrupt it lets in is one that would have been delivered a moment later
 * anyway. lguest closed the same window by having the Host recognise the
 * Guest's `iret` instruction by address; on x86-64 a second frame is cheaper
 * than that cleverness. :*/
void irq_set_handler(unsigned irq, void (*fn)(struct trap_frame *))
{
	if (irq >= LG_NR_IRQS)
		guest_panic("no interrupt %u to handle", irq);
	irq_handlers[irq] = fn;
}

/*:*/
/*G:815, continued :*/
void guest_irq(struct trap_frame *f)
{
	u64 irq = f->vector - LG_IRQ_VECTOR_BASE;

	if (irq < LG_NR_IRQS && irq_handlers[irq])
		irq_handlers[irq](f);
	else
		irq_unexpected++;
	irq_enable();
}
/*:*/
/*G:818 A table for exceptions too.
 * Exceptions have their table as well, for vectors 0 to 31: a handler set here
 * gets the exception's frame and may change it (step past an instruction, say)
 * before `iretq` resumes. `guest_trap` (G:420) consults it whenever no probe's
 * fixup is armed; a fixup wins, because a probe is asking about that very
 * instruction. :*/

void (*trap_handlers[32])(struct trap_frame *);

void trap_set_handler(unsigned vector, void (*fn)(struct trap_frame *))
{
	if (vector >= 32)
		guest_panic("no exception %u to handle", vector);
	trap_handlers[vector] = fn;
}
/*:*/
/*G:820 Telling the Host.
 * At boot we register the entry and a 16 KiB interrupt stack of its own, then
 * enable interrupts for the first time: the shared page started zeroed, so
 * like a real CPU we came up with them off. `irq_on_stack` lets a test ask
 * whether a handler really runs there. :*/
void guest_interrupts_init(void)
{
	hcall(LHCALL_SET_IRQ_ENTRY, (u64)guest_irq_entry, 0, 0);
	hcall(LHCALL_SET_STACK, (u64)irq_stack + IRQ_STACK_SIZE, IRQ_STACK_SIZE, 0);
	irq_enable();
}

/*:*/
/*G:820, continued :*/
int irq_on_stack(u64 addr)
{
	return addr >= (u64)irq_stack && addr < (u64)irq_stack + IRQ_STACK_SIZE;
}
/*:*/
/*G:825 Halting.
 * `guest_halt` is the Guest's `sti; hlt`. The caller disables interrupts,
 * checks whether it still has reason to wait, and only then halts; the Host
 * enables interrupts and sleeps in one step, so the interrupt the caller waits
 * for cannot slip in between the check and the sleep. When the call returns,
 * the interrupt that woke us has already been handled: the Host delivered it
 * as the hypercall returned, and its handler returned to the instruction after
 * the `int $0x1f`, with interrupts enabled. :*/
void guest_halt(void)
{
	hcall(LHCALL_HALT, 0, 0, 0);
}
/*:*/
/*G:955, continued :*/
#define HOSTILE_STACK_VA 0x9000000000ULL

void hostile_irq_stack_unmapped(void)
{
	void *page = page_alloc();

	if (!page || !pt_map(kernel_root, HOSTILE_STACK_VA, guest_pa(page), PTE_W))
		guest_panic("hostile case 15: cannot map its stack page");
	guest_interrupts_init();
	hcall(LHCALL_SET_STACK, HOSTILE_STACK_VA + 4096, 4096, 0);
	pt_unmap(kernel_root, HOSTILE_STACK_VA);
	clock_event_at(1);
	for (;;)
		;
}

/*:*/
/*G:955, continued :*/
void hostile_irq_stack_overflow(void)
{
	guest_interrupts_init();
	asm volatile("mov %0, %%rsp\n\tint $0x1f\n1:\tjmp 1b"
		     : : "r"((u64)irq_stack + 16), "a"((u64)LHCALL_SET_CLOCKEVENT),
		       "D"(1ULL) : "memory");
}

/*:*/
/*G:955, continued :*/
void hostile_lockup(void)
{
	u64 until;

	guest_interrupts_init();
	irq_disable();
	clock_event_at(1);
	until = clock_tsc() + guest_boot->tsc_hz / 2;
	while (clock_tsc() < until)
		hcall(LHCALL_NOP, 0, 0, 0);
	for (;;)
		;
}
/*:*/
/*:*/
