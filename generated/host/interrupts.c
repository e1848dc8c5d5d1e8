/* Tangled from chapters/42-host-interrupts.nw by `make tangle`: edit the chapter, not this file. */
/*H:850 Virtual interrupts.
 * Now the heart of the chapter: the Guest's side of interrupts, kept by the
 * Host. First the set-up, then registering the handler and the stack, then
 * delivery, then the real interrupts that feed it, and halt.
 *
 * At boot we learn the TSC's frequency, switch on the APIC, aim the interrupt
 * vectors at our stubs, and write the frequency into the Guest's boot
 * information, where it waits for the Guest to read it. (Everything in this
 * file after `interrupts_init` is plain logic over `struct lguest` and the
 * shared page, so `tests/interrupts/irq_unit.c` compiles it as a Linux program
 * and drives it by hand: registration, the frame, nesting, the overflow, the
 * lockup watch, and halt's refusals.) :*/
/* Virtual interrupts: registering, delivering, real interrupts, halt. */
#include "host.h"

extern const char lg_irq_stubs[], lg_irq_spurious[], lg_bare_trap[];
extern const char lg_bare_ud[];
extern const void *const lg_probes[LG_NR_PROBES];
extern const char lg_trap_stubs[];

static struct lguest *halted_guest;

/*H:852 Host options.
 * The Host's own words on its command line are the ones before `--` (H:270).
 * There is one so far, `lguest.timer=count`, which makes the Host use the
 * counting LAPIC timer even where TSC-deadline mode exists, so that both paths
 * can be tested on one machine. :*/
static int host_option(const char *cmdline, const char *word)
{
	u64 n = strlen(word);

	while (*cmdline) {
		while (*cmdline == ' ')
			cmdline++;
		if (str_starts(cmdline, "-- ") || !strcmp(cmdline, "--"))
			return 0;
		if (str_starts(cmdline, word) && (cmdline[n] == ' ' || !cmdline[n]))
			return 1;
		while (*cmdline && *cmdline != ' ')
			cmdline++;
	}
	return 0;
}
/*:*/

void interrupts_init(struct lguest *lg, const struct pvh_boot *boot, u64 boot_info)
{
	struct lg_boot_info *bi = from_guest_phys(lg, boot_info, sizeof(*bi), "the boot information");

	clock_init();
	clock_fast_init(lg, apic_init(host_tsc_hz, host_option(boot->cmdline, "lguest.timer=count")));
	for (int i = 0; i < LG_NR_IRQS; i++)
		idt_set_gate(LG_IRQ_VECTOR_BASE + i, lg_irq_stubs + i * LG_IRQ_STUB_SIZE, 0);
	idt_set_gate(LG_VECTOR_SPURIOUS, lg_irq_spurious, 0);
	bi->tsc_hz = host_tsc_hz;
}
/*H:855 Canonical addresses.
 * An x86-64 address is *canonical* when bits 63 to 47 are all equal; any other
 * is not an address at all, and the CPU refuses it. That matters more to the
 * Host than it seems, for two reasons. The Host's page-table walker looks only
 * at bits 47 to 12, so `0x8000000001000000` walks exactly like `0x1000000`
 * and would pass for Guest memory. And the CPU checks canonical form when
 * `iretq` loads `%rip`, *before* it leaves ring 0: an `iretq` to a
 * non-canonical handler is a general-protection fault in the Host, which
 * panics. So every Guest-virtual address the Host will jump to or push to is
 * checked for this first. :*/
static int canonical(u64 va)
{
	s64 sign_extended = (s64)(va << 16);

	return (u64)(sign_extended / 65536) == va;
}
/*:*/
/*H:860 LHCALL_SET_IRQ_ENTRY.
 * The interrupt entry is where the Guest starts when we deliver an interrupt.
 * It must be canonical and mapped for the Guest at ring 3 now: not in the
 * Host's slot (the walker refuses supervisor pages), not outside the window (the
 * walker refuses those too). The Guest could unmap it later; then its own
 * handler faults in its own address space, at ring 3, which is its problem, not
 * ours, because the Host never runs that code. :*/
void irq_set_entry(struct lguest *lg, u64 entry)
{
	u64 pa;

	if (!canonical(entry))
		kill_guest(lg, "interrupt entry 0x%llx is not a canonical address", entry);
	if (!guest_virt_to_phys(lg, entry, 0, &pa))
		kill_guest(lg, "interrupt entry 0x%llx is not mapped Guest memory", entry);
	lg->irq_entry = entry;
}
/*:*/
/*H:865 LHCALL_SET_STACK.
 * An interrupt can come at any moment, including when the Guest's stack is in
 * no state to take a frame: any Guest may be deep in a function with its stack
 * nearly full, and a Guest that ran programs would run them on stacks of their
 * own (ours runs none, but the Host does not count on that). So, like
 * x86-64's interrupt-stack table, the Guest names one stack for interrupts, and
 * the Host switches to it unless the Guest is already on it (H:870). It must
 * be 16-byte aligned (the frame is), canonical, between 4 KiB and 64 KiB, and
 * every page of it writable Guest memory now; we check each page, at most
 * sixteen walks. :*/
#define IRQ_STACK_MIN PAGE_SIZE
#define IRQ_STACK_MAX 65536

void irq_set_stack(struct lguest *lg, u64 top, u64 size)
{
	u64 pa;

	if (!canonical(top) || (top & 15) || size < IRQ_STACK_MIN ||
	    size > IRQ_STACK_MAX || top < size)
		kill_guest(lg, "interrupt stack 0x%llx, %llu bytes: wanted a 16-byte aligned top and 4-64 KiB",
			   top, size);
	for (u64 va = top - size; va < top; va = (va | (PAGE_SIZE - 1)) + 1)
		if (!guest_virt_to_phys(lg, va, 1, &pa))
			kill_guest(lg, "interrupt stack page 0x%llx is not writable Guest memory", va);
	lg->stack_top = top;
	lg->stack_size = size;
}
/*:*/
/*H:870 Which stack.
 * If the Guest's stack pointer is inside its interrupt stack, it is already
 * handling an interrupt (or an exception inside one), and the new frame goes
 * just below, as the CPU would do for a nested interrupt. Otherwise the frame
 * goes at the top of the interrupt stack. Either way it is aligned to 16 bytes
 * first, like the CPU's.
 *
 * The nested case has a rule of its own: the frame must fit above the stack's
 * bottom. A Guest whose interrupts nest deeper than its stack has overflowed
 * it, and we kill it with that reason, rather than push a frame into whatever
 * lies below, which the walker would allow if it happened to be writable Guest
 * memory: the Guest's own data, silently overwritten. :*/
#define IRQ_FRAME_BYTES 56

static u64 interrupt_stack(struct lguest *lg, u64 rsp)
{
	u64 bottom = lg->stack_top - lg->stack_size;

	if (rsp <= bottom || rsp > lg->stack_top)
		return lg->stack_top;
	if ((rsp & ~15ULL) - bottom < IRQ_FRAME_BYTES)
		kill_guest(lg, "interrupt stack overflow: rsp 0x%llx, stack 0x%llx-0x%llx",
			   rsp, bottom, lg->stack_top);
	return rsp & ~15ULL;
}
/*:*/
/*H:875, continued :*/
static void frame_fill(u64 *f, const struct lg_regs *r, unsigned irq)
{
	f[0] = LG_IRQ_VECTOR_BASE + irq, f[1] = 0, f[2] = r->rip, f[3] = r->cs;
	f[4] = r->rflags, f[5] = r->rsp, f[6] = r->ss;
}

static void deliver_finish(struct lguest *lg, u64 sp, unsigned irq)
{
	struct lg_regs *r = lg->regs;

	lg->shared->irq_pending &= ~(1ULL << irq);
	lg->shared->irq_enabled = 0;
	r->rsp = sp;
	r->rip = lg->irq_entry;
	r->rflags &= ~(u64)X86_FLAGS_TF;
}
/*:*/
/*H:875, continued :*/

static __attribute__((noinline)) void deliver_slowly(struct lguest *lg, u64 sp, unsigned irq)
{
	u64 frame[7], *p = NULL;

	if ((sp & (PAGE_SIZE - 1)) <= PAGE_SIZE - sizeof(frame))
		p = guest_virt_page(lg, sp, 1);
	frame_fill(p ? p : frame, lg->regs, irq);
	if (!p && !guest_write(lg, sp, frame, sizeof(frame)))
		kill_guest(lg, "cannot deliver interrupt %u: its frame at 0x%llx is not writable Guest memory",
			   irq, sp);
	deliver_finish(lg, sp, irq);
}
/*:*/
/*H:875 Delivering.
 * Delivery is the CPU's interrupt, done by hand, in four steps. Build the frame
 * the Guest's exceptions already get (H:515): the vector, a zero error code,
 * then `%rip`, `%cs`, `%rflags`, `%rsp` and `%ss` as the Guest had them. Write it
 * through the Guest's page table with `guest_write`, which checks every page
 * (present, writable, the Guest's, inside the window) before it writes a byte:
 * if the stack is not there, we cannot deliver, and the Guest dies with the
 * reason, while the Host has touched nothing. Then clear the interrupt's
 * pending bit and the Guest's flag, as an interrupt gate clears `IF`, so the
 * handler starts with interrupts disabled. Last, aim the Guest at its handler.
 * The real `IF` in the saved `%rflags` stays set: that is the Host's, not the
 * Guest's. A frame that lies within one page, as it nearly always does, is
 * written with one translation and seven stores; `guest_write`'s page-by-page
 * copy is kept for the frame that straddles two pages, and cost fifty
 * instructions more on every delivery (S:307). The translation is the same
 * checked one `guest_write` would make, for writing, asked of
 * `guest_virt_page` (H:607), which gives the Host pointer with the range
 * checked once, where a translation and then the one door checked it twice.
 *
 * Exceptions, for comparison, are reflected as if through a *trap* gate: the
 * flag is left alone and the frame goes on the current stack. A Guest that
 * wants interrupts off in its exception handlers says so itself. :*/
static void deliver(struct lguest *lg, unsigned irq)
{
	struct lg_regs *r = lg->regs;
	u64 sp = interrupt_stack(lg, r->rsp) - IRQ_FRAME_BYTES;
	u64 *p = (sp & (PAGE_SIZE - 1)) <= PAGE_SIZE - IRQ_FRAME_BYTES ? guest_virt_page_seen(lg, sp, 1) : NULL;

	if (!p)
		return deliver_slowly(lg, sp, irq);
	frame_fill(p, r, irq);
	deliver_finish(lg, sp, irq);
}
/*:*/
/*H:885 The lockup watch.
 * What should the Host do about a flood of hypercalls? On this machine each
 * costs the Guest hundreds of microseconds of its own time and the Host nothing
 * it needs for anything else: the Host has one Guest and no other work, so
 * counting hypercalls and killing at some number would be a rule without a
 * reason. What *is* a broken rule is a Guest that is sent an interrupt and
 * never takes it: interrupts disabled while one waits, and staying disabled,
 * whether the Guest spins in place or floods us with hypercalls meanwhile. On
 * real hardware the same Guest would be a hung kernel; Linux's soft-lockup
 * detector exists to name it. We name it after one second: the first time we
 * see an interrupt waiting on a disabled Guest we note the TSC, and the Host's
 * timer is armed for one second later (H:820), so the watch works even if the
 * Guest never traps again. Any return with nothing waiting, or a delivery,
 * resets it. One second is very long for a kernel to keep interrupts off (a
 * timer tick is a millisecond) and short enough for a test to wait for. :*/
#define IRQ_LOCKUP_MS 1000

u64 irq_lockup_limit(void)
{
	return host_tsc_hz / 1000 * IRQ_LOCKUP_MS;
}

static void irq_check_lockup(struct lguest *lg)
{
	u64 now = rdtsc();

	if (!lg->lockup_since) {
		lg->lockup_since = now;
		clock_program(lg);
	} else if (now - lg->lockup_since >= irq_lockup_limit()) {
		kill_guest(lg, "interrupts disabled for %d ms while interrupt %d waited: a lockup",
			   IRQ_LOCKUP_MS, __builtin_ctzll(lg->shared->irq_pending));
	}
}
/*:*/
/*H:880, continued :*/
void irq_deliver_pending(struct lguest *lg)
{
	struct lg_shared_page *s = lg->shared;

	if (!s->irq_pending || !lg->irq_entry || !lg->stack_top) {
		lg->lockup_since = 0;
		if (s->irq_pending)
			hcall_keys_off();
		return;
	}
	if (!s->irq_enabled) {
		hcall_keys_off();
		irq_check_lockup(lg);
		return;
	}
	lg->lockup_since = 0;
	if (s->irq_pending & (s->irq_pending - 1))
		hcall_keys_off();
	deliver(lg, __builtin_ctzll(s->irq_pending));
}
/*:*/
/*H:890 A real interrupt.
 * A real interrupt reaches `irq_host_interrupt` from `lg_handle_trap` when it
 * interrupted the Guest, or from `irq_at_ring0` when it woke a halted Host.
 * Spurious ones need nothing, not even an acknowledgement. A device's line is
 * masked first (H:800), *then* every interrupt is acknowledged: the other order
 * would let a level-triggered line that is still up fire again between the two.
 * The timer goes to the clock, which decides whether the Guest's deadline has
 * come; a device vector becomes that Guest interrupt's pending bit. Anything else
 * (no other vector is ever programmed) is acknowledged and dropped. The timer
 * is asked about first: it is the commonest interrupt by far, and each
 * question before it is two more emulated instructions. :*/
void irq_host_interrupt(struct lguest *lg, u64 vector)
{
	u64 irq = vector - LG_IRQ_VECTOR_BASE;

	if (vector == LG_VECTOR_TIMER) {
		apic_eoi();
		if (lg->shared)
			clock_tick(lg);
	} else if (irq > LG_IRQ_TIMER && irq < LG_NR_IRQS) {
		irq_line_mask(lg, irq, 1);
		apic_eoi();
		if (lg->shared)
			lg->shared->irq_pending |= 1ULL << irq;
	} else if (vector != LG_VECTOR_SPURIOUS) {
		apic_eoi();
	}
}

void irq_at_ring0(u64 vector)
{
	irq_host_interrupt(halted_guest, vector);
}
/*:*/
/*H:895 LHCALL_HALT.
 * An idle Guest should give the CPU back, and on this machine, where our idle
 * loop's every ring-0 instruction is emulated, a spinning Host would burn a
 * real CPU for nothing. The Guest's halt is lguest's: it means `sti; hlt`,
 * "enable my interrupts and sleep until one comes", in one step. One step
 * matters. A Guest that enabled interrupts and *then* halted could take its
 * wake-up interrupt in between and sleep through the moment it was waiting for;
 * so it checks its condition with interrupts disabled and lets the Host enable
 * them as it halts.
 *
 * The Host has the same race one level down. It checks for a pending interrupt
 * with the real interrupts off, and if there is none, executes `sti; hlt`: `sti`
 * enables interrupts only after the *next* instruction, so an interrupt that
 * arrives between the check and the `hlt` is held until the `hlt` has begun,
 * and then wakes it. The interrupt comes in through `lg_irq_stubs` at ring 0,
 * sets its pending bit, and returns after the `hlt`; `cli` closes the window
 * and the loop looks again. When something is pending the hypercall returns,
 * and `irq_deliver` delivers it on the way out: the Guest wakes inside its
 * handler, which returns to the instruction after its hypercall.
 *
 * A halt with nothing that could ever wake it would sleep forever: the Launcher
 * would wait for a VM that never exits. We kill it instead, and the same for a
 * Guest that halts before it has said where interrupts go, since nothing could
 * be delivered to it. What "nothing could wake it" means exactly is the next
 * step's question (H:897). :*/
void irq_halt(struct lguest *lg)
{
	struct lg_shared_page *s = lg->shared;

	if (!lg->irq_entry || !lg->stack_top)
		kill_guest(lg, "halted before registering its interrupt entry and stack");
	s->irq_enabled = 1;
	halted_guest = lg;
	while (!s->irq_pending) {
		/*H:897 What could wake a halted Guest.
		 * A first answer is tempting: a Guest that halts with its interrupt flag clear
		 * (`irq_enabled` in the shared page) cannot be woken. But our halt *is* `sti;
		 * hlt`: every correct halt is made with the flag clear, because the Guest
		 * checks its reason to wait with interrupts off and the Host sets the flag as
		 * it sleeps (H:895). The flag tells us nothing. What matters is whether any
		 * interrupt could still come, and there are exactly two sources:
		 *
		 * 1. the clock, if the Guest has armed a clock event;
		 * 2. a device's line, if it is routed to this Guest, is not masked (a line the
		 *    Host masked when its last interrupt came stays masked until the Guest's
		 *    unmask, H:915), and the Guest has *reached* the device: mapped its
		 *    register window at least once. A virtio device has nothing to tell a
		 *    driver before the driver has set it up through those registers (no
		 *    queue, no buffer to hand back), so a device the Guest never mapped will
		 *    never interrupt it.
		 *
		 * When neither holds, the Guest is killed. The second rule is what makes this
		 * work under our Launcher, which always gives the Guest a console: the old rule
		 * counted any routed line, and hostile case 19 (interrupts disabled, no clock,
		 * halt, before any driver has run) slept forever beside a console it had never
		 * touched. The rule is exact in one direction only: a device the Guest reached
		 * may still have nothing to say (a console with no input, ever), and then the
		 * Guest sleeps until someone types, as it should. :*/
		if (!lg->clock_deadline && !(lg->irq_sources & lg->irq_reached & ~lg->irq_masked))
			kill_guest(lg, "halted with no clock event armed and no device interrupt that could come: it would never wake");
		/*:*/
		asm volatile("sti; hlt; cli" : : : "memory");
	}
}
/*:*/
/*H:900, continued :*/
void irq_bare_trap(struct lguest *lg, u64 on)
{
	const void *to = lg_trap_stubs + 3 * LG_TRAP_STUB_SIZE;

	if (on > LG_BARE_UD)
		kill_guest(lg, "LHCALL_BARE_TRAP %llu: there are %d probes", on, LG_NR_PROBES);
	if (on == 1 || on == LG_BARE_UD)
		to = lg_bare_trap;
	else if (on > 1)
		to = lg_probes[on - 2];
	idt_set_gate(3, to, 1);
	if (on == LG_BARE_UD) {
		idt_set_gate(6, lg_bare_ud, 0);
		idt_set_gate(1, lg_bare_trap, 0);
	} else {
		idt_set_gate(6, lg_hcall_entry, 0);
		idt_set_gate(1, lg_trap_stubs + LG_TRAP_STUB_SIZE, 0);
	}
}
/*:*/
/*:*/
