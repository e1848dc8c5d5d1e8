/* Tangled from chapters/42-host-interrupts.nw by `make tangle`: edit the chapter, not this file. */
/*H:775 The local APIC.
 * Every x86 CPU has a local APIC: the part that receives interrupts for that
 * CPU, acknowledges them, and carries a timer. It has two ways in. The old one,
 * xAPIC, is a page of registers at physical `0xfee00000`, which our direct map
 * already covers. The newer one, x2APIC, puts the same registers in MSRs
 * `0x800` and up, one per 16 bytes of the old page. On this book's KVM both
 * work, and every access to either is a trap to KVM anyway; we prefer x2APIC
 * when `cpuid` offers it (leaf 1, `%ecx` bit 21) because its EOI is one `wrmsr`
 * with no address to map, and fall back to the page. :*/
/* The local APIC (its timer, its acknowledgement), the PICs, and the I/O APIC. */
#include "host.h"

/*H:780 The registers.
 * Offsets in the xAPIC page; an x2APIC MSR number is `0x800` plus the offset
 * divided by 16. A local vector table (LVT) entry says what an interrupt source
 * does: its vector, whether it is masked (bit 16), and for the timer, its mode
 * (bits 17-18: one-shot 0, periodic 1, TSC deadline 2). :*/
#define MSR_APIC_BASE     0x1b
#define APIC_BASE_ENABLE  (1 << 11)
#define APIC_BASE_X2APIC  (1 << 10)
#define MSR_TSC_DEADLINE  0x6e0
#define XAPIC_PHYS        0xfee00000
#define APIC_ID           0x20
#define APIC_TPR          0x80
#define APIC_EOI          0xb0
#define APIC_SVR          0xf0
#define APIC_LVT_TIMER    0x320
#define APIC_LVT_LINT0    0x350
#define APIC_LVT_LINT1    0x360
#define APIC_LVT_ERROR    0x370
#define APIC_TIMER_INIT   0x380
#define APIC_TIMER_COUNT  0x390
#define APIC_TIMER_DIVIDE 0x3e0
#define APIC_SVR_ENABLE   0x100
#define LVT_MASKED        0x10000
#define LVT_TSC_DEADLINE  0x40000
#define CPUID1_X2APIC       (1 << 21)
#define CPUID1_TSC_DEADLINE (1 << 24)
#define PIC1_DATA 0x21
#define PIC2_DATA 0xa1
/*:*/

static int x2apic, tsc_deadline_mode;
static u64 tsc_per_tick16;

static u32 apic_read(u32 reg)
{
	if (x2apic)
		return rdmsr(0x800 + reg / 16);
	return *(volatile u32 *)phys_to_virt(XAPIC_PHYS + reg);
}

static void apic_write(u32 reg, u32 v)
{
	if (x2apic)
		wrmsr(0x800 + reg / 16, v);
	else
		*(volatile u32 *)phys_to_virt(XAPIC_PHYS + reg) = v;
}
/*H:790 Calibrating the counting timer.
 * Without TSC-deadline mode the timer counts down from a number we write, at a
 * rate the architecture does not tell us (KVM's runs at 1 GHz, hardware at the
 * bus or crystal clock). So we measure it against the TSC, whose frequency we
 * already know: start it counting down from the top with its interrupt masked,
 * let a millisecond of TSC go by, and see how far it got. We keep the ratio as
 * TSC cycles per tick in 16.16 fixed point, which keeps the fraction without
 * floating point: on the book's machine it measures 2.594 cycles per tick, KVM's 1 GHz against
 * a 2.596 GHz TSC. The busy wait costs about two thousand
 * emulated instructions; it happens only on a machine without TSC-deadline mode,
 * or when the command line asks for this mode with `lguest.timer=count` (which
 * is how we test it). :*/
static void apic_calibrate(u64 tsc_hz)
{
	u64 t0, t1;
	u32 c0, c1;

	apic_write(APIC_TIMER_DIVIDE, 0xb);
	apic_write(APIC_LVT_TIMER, LVT_MASKED | LG_VECTOR_TIMER);
	apic_write(APIC_TIMER_INIT, 0xffffffff);
	c0 = apic_read(APIC_TIMER_COUNT);
	t0 = rdtsc();
	while (rdtsc() - t0 < tsc_hz / 1000)
		;
	c1 = apic_read(APIC_TIMER_COUNT);
	t1 = rdtsc();
	apic_write(APIC_TIMER_INIT, 0);
	if (c1 >= c0)
		host_panic("the LAPIC timer does not count (0x%x then 0x%x)", c0, c1);
	tsc_per_tick16 = ((t1 - t0) << 16) / (c0 - c1);
}
/*:*/
/*H:785 Switching it on.
 * The order matters. An APIC whose software-enable bit, bit 8 of the
 * spurious-interrupt vector register, is clear ignores writes to its LVT
 * entries and keeps them masked (Intel's manual says so, and this machine's
 * notes confirm it: a timer programmed before that bit is set never fires). So: enable the APIC in its base
 * MSR (and x2APIC mode, if we have it), then the spurious register with the
 * enable bit and the vector for spurious interrupts, then a task priority of 0
 * so every vector gets through, then the LVT entries.
 *
 * Two old sources must be silenced. KVM resets the boot CPU's `LINT0` to
 * "external interrupt", the wire from the 8259 PICs, whose vectors are whatever
 * the unprogrammed PIC says and could land among the exception vectors: a PIC
 * interrupt would look like a Guest fault. We mask `LINT0`, `LINT1` and the
 * error entry, and mask every line of both PICs for good measure. Then the timer
 * gets its vector, in TSC-deadline mode if the CPU has it (leaf 1, `%ecx` bit
 * 24), one-shot otherwise; the answer is returned, since the Switcher may
 * arm a deadline itself only in the first mode (S:237). :*/
int apic_init(u64 tsc_hz, int force_count_mode)
{
	u32 a, b, c, d;

	cpuid(1, &a, &b, &c, &d);
	x2apic = c & CPUID1_X2APIC;
	tsc_deadline_mode = (c & CPUID1_TSC_DEADLINE) && !force_count_mode;
	wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_ENABLE |
	      (x2apic ? APIC_BASE_X2APIC : 0));
	apic_write(APIC_SVR, APIC_SVR_ENABLE | LG_VECTOR_SPURIOUS);
	apic_write(APIC_TPR, 0);
	apic_write(APIC_LVT_LINT0, LVT_MASKED);
	apic_write(APIC_LVT_LINT1, LVT_MASKED);
	apic_write(APIC_LVT_ERROR, LVT_MASKED);
	outb(0xff, PIC1_DATA);
	outb(0xff, PIC2_DATA);
	if (!tsc_deadline_mode)
		apic_calibrate(tsc_hz);
	apic_write(APIC_LVT_TIMER, LG_VECTOR_TIMER |
		   (tsc_deadline_mode ? LVT_TSC_DEADLINE : 0));
	host_printf("lguest: LAPIC %s, timer in %s mode, TSC %llu kHz\n",
		    x2apic ? "x2APIC" : "xAPIC",
		    tsc_deadline_mode ? "TSC-deadline" : "one-shot count", tsc_hz / 1000);
	return tsc_deadline_mode;
}
/*:*/
/*H:795 End of interrupt.
 * Every interrupt the APIC delivers stays "in service" until the handler writes
 * its end-of-interrupt register; until then no interrupt of the same or lower
 * priority gets through. We acknowledge at once, before the Guest sees anything:
 * the virtual interrupt is a bit in the shared page by then, and the real one
 * has nothing left to say. (Level-triggered device lines will need more care;
 * see H:800.) :*/
void apic_eoi(void)
{
	apic_write(APIC_EOI, 0);
}
/*:*/
/*H:797 Arming the timer.
 * The Host arms the timer for an absolute TSC value, because that is what the
 * Guest asks for and what TSC-deadline mode takes: one `wrmsr` and the APIC
 * fires once the TSC reaches the value, at once if it already has; writing 0
 * disarms it. In counting mode we turn the distance into ticks, cut to what the
 * 32-bit counter holds. A deadline too far for one count fires early, and the
 * timer interrupt's handler simply arms it again for the rest (H:830), so
 * nothing here needs to be exact except never late. :*/
void apic_timer_arm(u64 deadline)
{
	u64 now, ticks;

	if (tsc_deadline_mode) {
		wrmsr(MSR_TSC_DEADLINE, deadline);
		return;
	}
	now = rdtsc();
	ticks = deadline > now ? deadline - now : 0;
	if (ticks > 1ULL << 40)
		ticks = 1ULL << 40;
	ticks = (ticks << 16) / tsc_per_tick16;
	if (ticks > 0xffffffff)
		ticks = 0xffffffff;
	apic_write(APIC_TIMER_INIT, deadline ? (ticks ? ticks : 1) : 0);
}
/*:*/
/*H:800 Device interrupts: the I/O APIC.
 * Devices do not talk to the local APIC directly. Their interrupt lines, which
 * ACPI calls GSIs, go to the I/O APIC at physical `0xfec00000`, and each of its
 * *redirection entries* says which vector to send to which CPU when that line
 * fires. Our Launcher raises its virtio devices' lines with KVM's `KVM_IRQ_LINE`,
 * and QEMU's microvm wires its virtio-mmio devices to GSIs too, so this is the
 * one road every device interrupt takes to us.
 *
 * `irq_route(lg, gsi, irq)` makes line `gsi` raise vector `32 + irq` at this
 * CPU, after which it arrives like the timer does and becomes Guest interrupt
 * `irq`; it records which line that was, and that the Guest now has a source of
 * interrupts, which matters to halt (H:895). The lines come from the
 * `virtio_mmio.device=...:GSI` words of the Host's command line, which
 * *Devices: windows and lines* reads. The I/O APIC is reached by two registers:
 * write a register's index to `IOREGSEL`, then read or write it through `IOWIN`.
 * An entry is two 32-bit registers; we write the destination half first, so the
 * line is never live with half an entry.
 *
 * The entry is *level-triggered* (bit 15), because virtio-mmio's lines are: a
 * device holds its line up for as long as it has an interrupt its driver has not
 * acknowledged. An edge-triggered entry would fire once on the way up and then
 * miss every interrupt that came while the line was still up from the last one.
 * Level-triggering has the opposite danger: after our EOI the I/O APIC looks at
 * the line again, finds it still up (the Guest has not run yet, so nobody has
 * acknowledged the device), and fires again, forever. So `irq_line_mask` sets
 * the entry's mask bit (bit 16) as the interrupt arrives, and the Guest's
 * `LHCALL_IRQ_UNMASK` clears it once its driver has acknowledged the device. If
 * the line is still up at that moment, because the device had more to say, the
 * I/O APIC fires at once and nothing is lost. We keep the mask bits in
 * `irq_masked` too, since a masked line can wake nobody and a halt wants to know. :*/
#define IOAPIC_PHYS   0xfec00000
#define IOAPIC_REGSEL 0x00
#define IOAPIC_WIN    0x10
#define IOAPIC_REDIR  0x10
#define IOAPIC_LEVEL  (1U << 15)
#define IOAPIC_MASKED (1U << 16)

static void ioapic_write(u32 reg, u32 v)
{
	volatile u32 *ioapic = phys_to_virt(IOAPIC_PHYS);

	ioapic[IOAPIC_REGSEL / 4] = reg;
	ioapic[IOAPIC_WIN / 4] = v;
}

void irq_route(struct lguest *lg, u32 gsi, u32 irq)
{
	u32 id = apic_read(APIC_ID) >> (x2apic ? 0 : 24);

	if (gsi >= 24 || irq == LG_IRQ_TIMER || irq >= LG_NR_IRQS)
		host_panic("cannot route GSI %u to Guest interrupt %u", gsi, irq);
	ioapic_write(IOAPIC_REDIR + 2 * gsi + 1, id << 24);
	ioapic_write(IOAPIC_REDIR + 2 * gsi, IOAPIC_LEVEL | (LG_IRQ_VECTOR_BASE + irq));
	lg->irq_gsi[irq] = gsi;
	lg->irq_sources |= 1ULL << irq;
}

void irq_line_mask(struct lguest *lg, u32 irq, int masked)
{
	if (irq >= LG_NR_IRQS || !(lg->irq_sources >> irq & 1))
		return;
	ioapic_write(IOAPIC_REDIR + 2 * lg->irq_gsi[irq],
		     IOAPIC_LEVEL | (masked ? IOAPIC_MASKED : 0) |
		     (LG_IRQ_VECTOR_BASE + irq));
	lg->irq_masked = masked ? lg->irq_masked | 1ULL << irq : lg->irq_masked & ~(1ULL << irq);
}
/*:*/
/*:*/
