/* Tangled from chapters/42-host-interrupts.nw and chapters/50-switcher.nw
 * by `make tangle`: edit the chapters, not this file. */
/*H:805 How fast the TSC runs.
 * The Guest keeps time with the TSC, so the one number it needs from us is the
 * TSC's frequency, and finding it is harder than it sounds. Intel's CPUID leaf
 * `0x15` gives a crystal ratio and leaf `0x16` a nominal speed, but on this
 * book's machine (an AMD host under nested KVM) both are zero. Some VMMs
 * (VMware, and QEMU with the right options) put the frequency in hypervisor leaf
 * `0x40000010`; KVM's own CPUID list does not. Calibrating against an old timer
 * needs one the VMM provides, and our Launcher has no PIT.
 *
 * What every KVM does give is *kvmclock*: write the physical address of a
 * small structure to an MSR, and KVM fills it with the scale it uses to turn TSC
 * cycles into nanoseconds, `tsc_to_system_mul` and `tsc_shift`, such that
 * nanoseconds are cycles, shifted left by `tsc_shift` (right, if it is
 * negative), times `mul`, divided by 2^32. Turned around, that *is* the
 * frequency, exactly as KVM knows it: 10^9 times 2^32, divided by `mul`, shifted
 * right by `tsc_shift`. The product 10^9 times 2^32 is about 4.3e18, within 64
 * bits. We use kvmclock when `cpuid` says we are on KVM with its second clock
 * MSR (leaf `0x40000001`, bit 3), then switch it off again, so KVM stops
 * writing into the Host's memory. Otherwise we try the CPUID leaves, in the
 * order of how much we trust them, and without any of them the Host cannot keep
 * time and says so. :*/
/* Time: the TSC's frequency, the Guest's clock event, and the timer. */
#include "host.h"

u64 host_tsc_hz;

/*H:810 kvmclock.
 * The structure is KVM's `pvclock_vcpu_time_info`: 32 bytes, 32-byte aligned.
 * KVM fills it before the CPU next runs our code, which is right after the
 * `wrmsr` returns (the `wrmsr` itself is the exit that does it); `version` is odd
 * while an update is in progress, so we wait for an even, nonzero one, a few
 * times at most. The structure is in the Host's `.bss`, so its physical address
 * is its link address minus `HOST_KBASE`. :*/
#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01
#define KVM_FEATURE_CLOCKSOURCE2 (1 << 3)

static struct {
	u32 version, pad0;
	u64 tsc_timestamp, system_time;
	u32 tsc_to_system_mul;
	signed char tsc_shift;
	u8 flags, pad[2];
} pvclock __attribute__((aligned(32)));

static int on_kvm(void)
{
	u32 a, b, c, d;

	cpuid(0x40000000, &a, &b, &c, &d);
	return b == 0x4b4d564b && c == 0x564b4d56 && d == 0x4d;
}

static u64 tsc_hz_from_kvmclock(void)
{
	volatile u32 *version = &pvclock.version;
	u32 a, b, c, d;
	u64 hz;

	if (!on_kvm())
		return 0;
	cpuid(0x40000001, &a, &b, &c, &d);
	if (!(a & KVM_FEATURE_CLOCKSOURCE2))
		return 0;
	wrmsr(MSR_KVM_SYSTEM_TIME_NEW, host_image_phys(&pvclock) | 1);
	for (int i = 0; i < 100 && (!*version || (*version & 1)); i++)
		;
	wrmsr(MSR_KVM_SYSTEM_TIME_NEW, 0);
	if (!*version || !pvclock.tsc_to_system_mul)
		return 0;
	hz = (1000000000ULL << 32) / pvclock.tsc_to_system_mul;
	return pvclock.tsc_shift >= 0 ? hz >> pvclock.tsc_shift : hz << -pvclock.tsc_shift;
}
/*:*/
/*H:815 CPUID's answers.
 * The hypervisor leaf gives kHz, leaf `0x15` a crystal frequency times a ratio,
 * leaf `0x16` a base speed in MHz. Each counts only if its leaf exists and its
 * numbers are not zero. :*/
static u64 tsc_hz_from_cpuid(void)
{
	u32 max, a, b, c, d;

	cpuid(0x40000000, &max, &b, &c, &d);
	if (max >= 0x40000010 && max < 0x40010000) {
		cpuid(0x40000010, &a, &b, &c, &d);
		if (a)
			return a * 1000ULL;
	}
	cpuid(0, &max, &b, &c, &d);
	if (max >= 0x15) {
		cpuid(0x15, &a, &b, &c, &d);
		if (a && b && c)
			return (u64)c * b / a;
	}
	if (max >= 0x16) {
		cpuid(0x16, &a, &b, &c, &d);
		if (a)
			return a * 1000000ULL;
	}
	return 0;
}
/*:*/

void clock_init(void)
{
	host_tsc_hz = tsc_hz_from_kvmclock();
	if (!host_tsc_hz)
		host_tsc_hz = tsc_hz_from_cpuid();
	if (!host_tsc_hz)
		host_panic("cannot learn the TSC frequency: no kvmclock, no CPUID leaf 0x15/0x16");
}
/*M:750 A timer list in the Host.
 * The next step arms one timer for two users by comparing two numbers. A third
 * user (a per-device timeout, a second Guest) would want a small sorted list, as
 * Linux's `hrtimer`s are; with it, `clock_program` would arm the head and
 * `clock_tick` would pop what is due. */
/*H:820 One timer, two users.
 * The Host has one timer and two reasons to want it: the Guest's clock event,
 * and the Host's own watch on a Guest that keeps an interrupt waiting too long
 * (H:885). The timer is armed for whichever comes first; when it fires, the
 * handler settles what is due and arms it again for what is left. Zero means
 * "nothing", so a disarmed user simply drops out of the comparison. The
 * function is never inlined, so that the clock's interrupt (H:830), which
 * usually has nothing to arm, does not pay for the registers it needs. :*/
__attribute__((noinline)) void clock_program(struct lguest *lg)
{
	u64 next = lg->clock_deadline;
	u64 watch = lg->lockup_since ? lg->lockup_since + irq_lockup_limit() : 0;

	if (watch && (!next || watch < next))
		next = watch;
	apic_timer_arm(next);
}
/*:*/
/*H:825 LHCALL_SET_CLOCKEVENT.
 * The Guest asks for its next clock interrupt as an absolute TSC value, the
 * same number it reads with `rdtsc`, so no conversion can drift between the
 * two sides. Zero cancels. A deadline already past is fine: the interrupt comes
 * at once, which is what a tickless kernel that was slow to ask wants.
 *
 * There is one rule. A deadline more than an hour ahead is refused, and the
 * Guest is killed for it. An hour is far beyond anything a kernel's clock would
 * wait for without re-arming (Linux's idle never sleeps longer than its
 * clocksource can count safely, a few seconds to minutes), so a deadline past it
 * is a wrong unit or garbage, like `~0`, and we would rather say so now than
 * let the Guest sleep until the end of time and be found hung. It also keeps
 * the counting timer's arithmetic honest: an hour of TSC fits comfortably in the
 * 40 bits `apic_timer_arm` allows for. :*/
#define CLOCK_MAX_AHEAD_S 3600

void clock_set_event(struct lguest *lg, u64 deadline)
{
	u64 now = rdtsc();

	if (deadline > now && deadline - now > CLOCK_MAX_AHEAD_S * host_tsc_hz)
		kill_guest(lg, "clock event 0x%llx is %llu s ahead, more than %d s",
			   deadline, (deadline - now) / host_tsc_hz, CLOCK_MAX_AHEAD_S);
	lg->clock_deadline = deadline;
	clock_program(lg);
}
/*:*/
/*S:237, continued :*/

void clock_fast_init(struct lguest *lg, int deadline_mode)
{
	lg_fast.clock = deadline_mode ? &lg->clock_deadline : NULL;
	lg_fast.clock_ahead = CLOCK_MAX_AHEAD_S * host_tsc_hz;
}
/*:*/
/*H:830 The timer fires.
 * When the timer interrupt arrives, the Guest's deadline may have come, or it
 * may be the watchdog, or a counting timer that had to stop short. We check
 * the TSC, not the reason: if the Guest's deadline has passed, interrupt 0
 * becomes pending and the deadline is spent. Then the timer is armed for
 * whatever is still waiting. Because we compare against the TSC ourselves, the
 * Guest's clock interrupt can never come early, whatever the timer did. When
 * nothing is left waiting we arm nothing: a one-shot timer that has fired,
 * in either mode, is disarmed already, and the `wrmsr` that disarmed it
 * again was a dozen instructions of every clock interrupt (M:757). :*/
void clock_tick(struct lguest *lg)
{
	if (lg->clock_deadline && rdtsc() >= lg->clock_deadline) {
		lg->clock_deadline = 0;
		lg->shared->irq_pending |= 1ULL << LG_IRQ_TIMER;
	}
	if (lg->clock_deadline || lg->lockup_since)
		clock_program(lg);
}
/*:*/
/*:*/
