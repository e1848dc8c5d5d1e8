/*
 * The Host's virtual interrupts (host/interrupts.c), compiled as an ordinary
 * Linux program and driven by hand: registration of the entry and the stack,
 * the stack chosen for delivery, the frame built, the flag and the pending
 * word, the lockup watch, real interrupts and halt's refusals.  The Guest's
 * memory is a 64 KiB buffer "mapped" at Guest-virtual 0x1000000, writable in
 * its upper half only; everything that would touch the machine is a stub.
 */
#include "../../build/src/host/host.h"

int printf(const char *fmt, ...);

#define VA      0x1000000ULL
#define MEMSIZE 0x10000ULL
#define RO_END  (VA + MEMSIZE / 2)	/* below this, read-only */

static u8 mem[MEMSIZE] __attribute__((aligned(4096)));
static void *escape[5];
static char reason[256];
static int failures, eois, timer_arms;

u64 host_tsc_hz = 1000000;	/* a 1 MHz TSC: the lockup limit is 1e6 cycles */
const char lg_trap_stubs[256 * 16], lg_irq_stubs[64 * 32], lg_irq_spurious[1], lg_bare_trap[1], lg_bare_ud[1];
void lg_hcall_entry(void) {}
const void *const lg_probes[LG_NR_PROBES];

void kill_guest(struct lguest *lg, const char *fmt, ...)
{
	va_list ap;

	(void)lg;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	__builtin_longjmp(escape, 1);
}

int guest_virt_to_phys(struct lguest *lg, u64 va, int write, u64 *pa)
{
	(void)lg;
	if (va < VA || va >= VA + MEMSIZE || (write && va < RO_END))
		return 0;
	*pa = va;
	return 1;
}

int guest_write(struct lguest *lg, u64 va, const void *buf, u64 len)
{
	u64 pa;

	if (len == 0 || !guest_virt_to_phys(lg, va, 1, &pa) ||
	    !guest_virt_to_phys(lg, va + len - 1, 1, &pa))
		return 0;
	memcpy(mem + (va - VA), buf, len);
	return 1;
}

void *from_guest_phys(struct lguest *lg, u64 pa, u64 len, const char *what) { (void)lg, (void)len, (void)what; return mem + (pa - VA); }

struct host_walk host_walks[RECENT_WALKS];	/* empty: every page goes the long way */

void *guest_virt_page_long(struct lguest *lg, u64 va, int write)
{
	u64 pa;

	return guest_virt_to_phys(lg, va, write, &pa) ? mem + (pa - VA) : NULL;
}
void clock_init(void) {}
int apic_init(u64 hz, int count) { (void)hz, (void)count; return 1; }
void clock_fast_init(struct lguest *lg, int deadline_mode) { (void)lg, (void)deadline_mode; }
void idt_set_gate(int v, const void *h, int user) { (void)v, (void)h, (void)user; }
void apic_eoi(void) { eois++; }
void irq_line_mask(struct lguest *lg, u32 irq, int masked) { (void)lg, (void)irq, (void)masked; }
void clock_program(struct lguest *lg) { (void)lg; timer_arms++; }
void clock_tick(struct lguest *lg) { lg->shared->irq_pending |= 1; }

struct lg_fast lg_fast;
static struct lguest lg;
static struct lg_regs regs;
static struct lg_shared_page shared;

/* call(EXPR): 1 if EXPR returned, 0 if it killed the Guest (reason in reason). */
#define call(expr) ({ int _ok = 0; reason[0] = '\0'; \
	if (!__builtin_setjmp(escape)) { expr; _ok = 1; } _ok; })

static void check(const char *name, int ok)
{
	printf("%s irq-unit-%s%s%s\n", ok ? "ok" : "FAIL", name, ok ? "" : ": ", ok ? "" : reason);
	failures += !ok;
}

static void guest_at(u64 rip, u64 rsp)
{
	regs = (struct lg_regs){ .rip = rip, .rsp = rsp, .cs = SEL_USER_CS, .ss = SEL_USER_DS,
				 .rflags = X86_FLAGS_IF | X86_FLAGS_FIXED };
}

int main(void)
{
	const u64 top = VA + MEMSIZE, size = 0x2000;
	u64 *frame;

	lg.regs = &regs;
	lg.shared = &shared;

	/* No entry yet: an interrupt waits, and the Switcher's keys go off. */
	shared.irq_pending = 1;
	lg_fast.nop_key = lg_fast.clock_key = 0x1234;
	check("no-entry-keys-off", call(irq_deliver(&lg)) && lg_fast.nop_key == ~0ULL &&
	      lg_fast.clock_key == ~0ULL && shared.irq_pending == 1);
	shared.irq_pending = 0;
	lg_fast.nop_key = lg_fast.clock_key = 0x1234;
	check("nothing-pending-keys-kept", call(irq_deliver(&lg)) && lg_fast.nop_key == 0x1234);

	check("entry-non-canonical-killed", !call(irq_set_entry(&lg, 0x8000000001000000ULL)) &&
	      strstr(reason, "not a canonical address"));
	check("entry-unmapped-killed", !call(irq_set_entry(&lg, 0x1000)) &&
	      strstr(reason, "not mapped Guest memory"));
	check("entry", call(irq_set_entry(&lg, VA + 0x100)) && lg.irq_entry == VA + 0x100);

	check("stack-misaligned-killed", !call(irq_set_stack(&lg, top - 8, size)));
	check("stack-too-small-killed", !call(irq_set_stack(&lg, top, 64)));
	check("stack-too-big-killed", !call(irq_set_stack(&lg, top, 0x20000)));
	check("stack-read-only-page-killed", !call(irq_set_stack(&lg, RO_END + 0x1000, 0x2000)) &&
	      strstr(reason, "interrupt stack page 0x1007000 is not writable"));
	check("stack-wraps-killed", !call(irq_set_stack(&lg, 0x1000, 0x2000)));
	check("stack", call(irq_set_stack(&lg, top, size)) && lg.stack_top == top);

	/* Disabled: nothing delivered, the lockup watch starts and arms the timer. */
	guest_at(VA + 0x40, VA + 0x7ff8);
	shared.irq_pending = 1 << 5;
	shared.irq_enabled = 0;
	timer_arms = 0;
	lg_fast.nop_key = lg_fast.clock_key = 0x1234;
	check("disabled-waits", call(irq_deliver(&lg)) && regs.rip == VA + 0x40 &&
	      lg.lockup_since && timer_arms == 1);
	/* S:237: a Guest left with an interrupt waiting gets no fast path. */
	check("disabled-keys-off", lg_fast.nop_key == ~0ULL && lg_fast.clock_key == ~0ULL);
	lg.lockup_since -= 2 * host_tsc_hz;
	check("lockup-killed", !call(irq_deliver(&lg)) &&
	      !strcmp(reason, "interrupts disabled for 1000 ms while interrupt 5 waited: a lockup"));
	lg.lockup_since = 0;

	/* Enabled: from off the stack, the frame goes at its top. */
	shared.irq_enabled = 1;
	shared.irq_pending = 1 << 5 | 1 << 9;
	lg_fast.nop_key = lg_fast.clock_key = 0x1234;
	check("delivered", call(irq_deliver(&lg)));
	check("second-pending-keys-off", lg_fast.nop_key == ~0ULL && lg_fast.clock_key == ~0ULL);
	frame = (u64 *)(mem + (top - 56 - VA));
	check("frame-at-top", regs.rsp == top - 56 && regs.rip == VA + 0x100);
	check("frame-layout", frame[0] == 37 && frame[1] == 0 && frame[2] == VA + 0x40 &&
	      frame[3] == SEL_USER_CS && frame[4] == (X86_FLAGS_IF | X86_FLAGS_FIXED) &&
	      frame[5] == VA + 0x7ff8 && frame[6] == SEL_USER_DS);
	check("lowest-first-and-flag-cleared", shared.irq_pending == 1 << 9 && shared.irq_enabled == 0);

	/* Nested: on the stack already, the frame goes just below, aligned. */
	shared.irq_enabled = 1;
	guest_at(VA + 0x80, top - 0x101);
	lg_fast.nop_key = lg_fast.clock_key = 0x1234;
	check("nested-below", call(irq_deliver(&lg)) && regs.rsp == top - 0x110 - 56 &&
	      shared.irq_pending == 0);
	/* The last one delivered, nothing waits: the keys C wrote stand. */
	check("last-delivered-keys-kept", lg_fast.nop_key == 0x1234 && lg_fast.clock_key == 0x1234);
	shared.irq_enabled = 1;
	shared.irq_pending = 1;
	guest_at(VA + 0x80, VA + 0x7ff8);
	check("timer-delivered-keys-kept", call(irq_deliver(&lg)) && shared.irq_pending == 0 &&
	      lg_fast.nop_key == 0x1234 && lg_fast.clock_key == 0x1234);

	/* Near the bottom: an overflow, refused before anything is written. */
	shared.irq_enabled = 1;
	shared.irq_pending = 1;
	guest_at(VA + 0x80, top - size + 40);
	check("overflow-killed", !call(irq_deliver(&lg)) && strstr(reason, "interrupt stack overflow"));

	/* A stack that lost its writable pages: refused at delivery. */
	lg.stack_top = RO_END;
	guest_at(VA + 0x80, VA + 0x9000);
	check("unwritable-at-delivery-killed", !call(irq_deliver(&lg)) &&
	      strstr(reason, "cannot deliver interrupt 0"));
	lg.stack_top = top;

	/* Real interrupts: a device vector is a pending bit, after an EOI. */
	shared.irq_pending = 0;
	eois = 0;
	irq_host_interrupt(&lg, LG_IRQ_VECTOR_BASE + 3);
	irq_host_interrupt(&lg, LG_VECTOR_SPURIOUS);
	irq_host_interrupt(&lg, 0x80);
	check("device-vector-pending", shared.irq_pending == 1 << 3 && eois == 2);

	/* Halt: refused with nothing to wake it; with a bit pending, back at once. */
	shared.irq_pending = 0;
	lg.clock_deadline = 0;
	lg.irq_sources = 0;
	check("halt-forever-killed", !call(irq_halt(&lg)) && strstr(reason, "would never wake"));
	/* A routed line the Guest never reached (never mapped its device's
	 * window) cannot wake it; nor can a reached line that is masked. */
	lg.irq_sources = 1ULL << 1;
	lg.irq_reached = 0, lg.irq_masked = 0;
	check("halt-unreached-device-killed", !call(irq_halt(&lg)) && strstr(reason, "would never wake"));
	lg.irq_reached = 1ULL << 1, lg.irq_masked = 1ULL << 1;
	check("halt-masked-device-killed", !call(irq_halt(&lg)) && strstr(reason, "would never wake"));
	lg.irq_sources = lg.irq_reached = lg.irq_masked = 0;
	shared.irq_pending = 1;
	shared.irq_enabled = 0;
	check("halt-enables", call(irq_halt(&lg)) && shared.irq_enabled == 1);
	lg.irq_entry = 0;
	check("halt-before-entry-killed", !call(irq_halt(&lg)));
	return failures != 0;
}
