/* Tangled from chapters/40-host.nw by `make tangle`: edit the chapter, not this file. */
/*H:450 Running the Guest.
 * Now the heart of the Host, and it is short. The Guest's registers live in one
 * `struct lg_regs` whose end is the top of the trap stack: when the Guest traps,
 * the CPU and the Switcher push its registers exactly into that structure, and
 * when we run the Guest, the Switcher pops them out of it. So "run the Guest"
 * is: switch to it, and whenever it comes back, handle whatever brought it
 * back and switch to it again. The Switcher does the coming back by calling
 * `lg_guest_trapped` on the trap stack itself, just below the registers it
 * saved, and returns to the Guest when that function returns (S:210): the
 * Host's own C code runs there, so the structure sits at the top of a stack
 * of its own, sixteen kilobytes like the boot stack, which `run_guest` leaves
 * for good. Before each return, an interrupt the Guest is waiting for and may
 * now take is delivered (H:880), and the Switcher's fast path is given its
 * keys (S:237): the ones C learned, which the delivery turns off again
 * (`~0`, which no call matches) if something will still wait. Forever, or
 * until a hypercall or a kill ends the machine. :*/
/* The Host's core: the run loop and killing the Guest. */
#include "host.h"

static struct {
	u8 stack[HOST_STACK_SIZE];
	struct lg_regs regs;
} trap_stack __attribute__((aligned(16)));
static struct lguest *running;

static void before_return(struct lguest *lg)
{
	lg_fast.nop_key = lg_fast.nop_learned;
	lg_fast.clock_key = lg_fast.clock_learned;
	irq_deliver(lg);
}

void lg_guest_trapped(void)
{
	lg_handle_trap(running);
	before_return(running);
}

void run_guest(struct lguest *lg)
{
	running = lg;
	before_return(lg);
	lg_switch_to_guest(lg->regs);
}
/*H:460 The first entry.
 * The first time, nobody has pushed anything: we fill the structure as if the
 * Guest had trapped at its entry point. It will run at ring 3 with the user
 * selectors, interrupts enabled in its flags (so that real interrupts, the
 * timer's and the devices', reach the Host whenever the Guest runs: see
 * *Interrupts and time*), and the boot information in `%rdi`.
 * Its stack pointer starts at the top of its RAM, a place it may use for a
 * stack until it sets its own. Then we tell the TSS where the trap stack's top
 * is. :*/
void guest_regs_init(struct lguest *lg, u64 entry, u64 boot_info)
{
	struct lg_regs *r = &trap_stack.regs;

	memset(r, 0, sizeof(*r));
	r->rip = entry;
	r->cs = SEL_USER_CS;
	r->rflags = X86_FLAGS_IF | X86_FLAGS_FIXED;
	r->rsp = lg->mem_end;
	r->ss = SEL_USER_DS;
	r->rdi = boot_info;
	lg->regs = r;
	segments_set_trap_stack((u64)(r + 1));
}
/*:*/
/*H:465 Killing the Guest.
 * A Guest that breaks a rule is killed, and the reason is the most useful thing
 * we can leave behind. We print it on the console, hand its physical address to
 * the VMM on `LG_PORT_KILL_REASON` (our Launcher reads the string and reports
 * it when it exits; QEMU ignores the port and leaves the console to speak), and
 * end the machine with `LG_EXIT_KILLED`. lguest's Host marked the Guest dead
 * and went on serving other Guests; ours has only this one, so the machine ends
 * with it. A Guest that ran on page tables of its own leaves one more line,
 * the Host's audit of its shadows (H:680), the evidence that the Guest reached
 * nothing of the Host's before it died. And every kill ends with the Host's
 * checksum of its own code and constants, compared with the one taken at boot
 * (H:905). The audit reads the Guest's state, so `lg` is an argument we use,
 * not one we cast to `void` to hush the compiler.
 *
 * The kill-reason port sits at `0x504`, not next door at `0x502`: QEMU's
 * `isa-debug-exit` with `iosize=2` answers at both 0x501 and 0x502, and a write
 * of the reason's address at 0x502 would end QEMU at once with a status made
 * from that address (P:120). :*/
static char kill_reason[256];

void kill_guest(struct lguest *lg, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(kill_reason, sizeof(kill_reason), fmt, ap);
	va_end(ap);
	host_printf("lguest: guest killed: %s\n", kill_reason);
	if (lg->gpgdir)
		shadow_audit(lg);
	outl(host_image_phys(kill_reason), LG_PORT_KILL_REASON);
	host_image_report();
	host_exit(LG_EXIT_KILLED);
}
/*:*/
/*:*/
