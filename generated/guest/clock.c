/* Tangled from chapters/12-guest-interrupts.nw by `make tangle`: edit the chapter, not this file. */
/*G:830 The clock.
 * Time, for a Guest, is the TSC: a 64-bit counter that ring 3 may read with
 * `rdtsc` (unless the Host sets `CR4.TSD`, which ours does not), that never
 * wraps in the life of a machine, and that costs nanoseconds to read with no
 * hypercall at all. The Host tells us its frequency in the boot information;
 * without it we could measure intervals but never say how long they were, so
 * a missing frequency is a panic.
 *
 * Our clock is *tickless*. There is no periodic interrupt; when someone wants
 * to be woken, we ask the Host for one interrupt at that moment, as Linux's
 * `NO_HZ` kernels do. On this machine, where every Host instruction is
 * emulated, a 1000 Hz tick would cost the Guest a good part of its CPU doing
 * nothing; tickless costs nothing while idle. :*/
/* The Guest's clock: TSC time, one-shot clock events, sleeping. */
#include "guest.h"

static u64 tsc_hz, boot_tsc;
u64 guest_sleep_ms;
volatile u64 clock_events_fired, clock_last_event;
void (*clock_event_hook)(void);

u64 clock_tsc(void)
{
	u32 lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (u64)hi << 32 | lo;
}
/*G:835 The clock interrupt.
 * When a clock event fires, the handler notes when (in TSC cycles, so a test
 * can see how late it was), counts it, and runs the hook, if any: a place for
 * tests now and for a timer list later. Whoever was sleeping wakes because the
 * halt returned, and looks at the time itself. :*/
static void clock_interrupt(struct trap_frame *f)
{
	(void)f;
	clock_last_event = clock_tsc();
	clock_events_fired++;
	if (clock_event_hook)
		clock_event_hook();
}

/*:*/
/*G:835, continued :*/
void clock_init(void)
{
	tsc_hz = guest_boot->tsc_hz;
	if (!tsc_hz)
		guest_panic("the Host did not say how fast the TSC runs");
	boot_tsc = clock_tsc();
	irq_set_handler(LG_IRQ_TIMER, clock_interrupt);
}
/*:*/
/*G:840 Cycles and nanoseconds.
 * A conversion by multiply-then-divide would overflow 64 bits after a few
 * seconds of cycles. Splitting into whole seconds and the remainder keeps every
 * product below `10^9` times the frequency, which fits up to 18 GHz, and we
 * have no 128-bit division without a C library. :*/
u64 clock_tsc_to_ns(u64 cycles)
{
	return cycles / tsc_hz * NSEC_PER_SEC + cycles % tsc_hz * NSEC_PER_SEC / tsc_hz;
}

/*:*/
/*G:840, continued :*/
u64 clock_ns_to_tsc(u64 ns)
{
	return ns / NSEC_PER_SEC * tsc_hz + ns % NSEC_PER_SEC * tsc_hz / NSEC_PER_SEC;
}

/*:*/
/*G:840, continued :*/
u64 clock_uptime_ns(void)
{
	return clock_tsc_to_ns(clock_tsc() - boot_tsc);
}
/*:*/
/*G:845 Sleeping.
 * A clock event is one hypercall with the absolute TSC value. Sleeping until a
 * moment is the halting pattern of G:825 in a loop: arm the event, then, with
 * interrupts disabled, look at the clock and halt only if the moment has not
 * come. Any interrupt wakes us, so we look again each time round. The loop
 * leaves interrupts enabled, so `msleep` is for code that runs with them
 * enabled, as Linux's is. How precise is it? On this book's machine a 2 ms
 * event's handler runs about half a millisecond after the deadline (the self-test
 * prints the figure): the timer's own slack plus the trip through an emulated
 * ring 0. Asking for less than that is allowed; the event simply fires when it
 * can. :*/
void clock_event_at(u64 deadline)
{
	hcall(LHCALL_SET_CLOCKEVENT, deadline, 0, 0);
}

/*:*/
/*G:845, continued :*/
void clock_sleep_until(u64 deadline)
{
	clock_event_at(deadline);
	for (;;) {
		irq_disable();
		if (clock_tsc() >= deadline)
			break;
		guest_halt();
	}
	irq_enable();
}

/*:*/
/*G:845, continued :*/
void msleep(u64 ms)
{
	clock_sleep_until(clock_tsc() + clock_ns_to_tsc(ms * 1000000));
}
/*:*/
/*:*/
