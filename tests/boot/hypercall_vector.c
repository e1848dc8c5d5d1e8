/*
 * The Host's trap dispatch, compiled as an ordinary Linux program.
 *
 * On this project's development machines KVM delivers a ring-3 `int $0x1f`
 * as #UD (vector 6), so the boot tests only ever exercise that path.  Here
 * we drive lg_handle_trap() from build/src/host/ directly with vector 0x1f,
 * as hardware KVM would deliver it, and check what the Host does: rip not
 * advanced, the call made, bad calls killed, and the one door for Guest
 * addresses holding against wrap-around.  Everything that would touch the
 * machine (console, ports, exit) is replaced by a recording stub.
 */
#include "host.h"
#define HARNESS_PREFIX "host-hcall-vector-"
#include "../harness.h"

static void *escape[5];
static char reason[256];
static int exited = -1;
static u64 printed = ~0ULL;

u64 host_pdpt[512];
char host_end[1];

const struct pvh_memmap_entry *pvh_ram_at(const struct pvh_boot *b, u64 pa)
{
	(void)b, (void)pa;
	return NULL;
}

void console_write(const char *s, u64 len) { (void)s; printed = len; }
void host_printf(const char *fmt, ...) { (void)fmt; }

void host_exit(u16 status)
{
	exited = status;
	__builtin_longjmp(escape, 1);
}

void host_panic(const char *fmt, ...)
{
	snprintf(reason, sizeof(reason), "host panic: %s", fmt);
	__builtin_longjmp(escape, 1);
}

void kill_guest(struct lguest *lg, const char *fmt, ...)
{
	va_list ap;

	(void)lg;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	__builtin_longjmp(escape, 1);
}

/* Interrupts and time (42-host-interrupts.nw): the APIC and the halt are the
 * machine's, so their hypercalls are stubs here too. */
void irq_host_interrupt(struct lguest *g, u64 vector) { (void)g, (void)vector; }
void clock_set_event(struct lguest *g, u64 deadline) { (void)g, (void)deadline; }
void irq_set_entry(struct lguest *g, u64 entry) { (void)g, (void)entry; }
void irq_set_stack(struct lguest *g, u64 top, u64 size) { (void)g, (void)top, (void)size; }
void irq_halt(struct lguest *g) { (void)g; }
void irq_bare_trap(struct lguest *g, u64 on) { (void)g, (void)on; }
/* Devices (43-host-devices.nw): this Guest has none. */
int device_page_ok(const struct lguest *g, u64 page) { (void)g, (void)page; return 0; }
void devices_irq_unmask(struct lguest *g, u64 irq) { (void)g, (void)irq; }
void devices_reached(struct lguest *g, u64 page) { (void)g, (void)page; }

/* Shadow paging (41-host-paging.nw) is compiled in for real; only the
 * Host's boot page table, an assembler symbol, stands in here. */
u64 host_pml4[512];

static struct lguest lg;
static struct lg_regs regs;
static struct lg_shared_page shared_page;

/* Deliver vector 0x1f with this call and arguments; 1 if the Host returned. */
static int trap(u64 nr, u64 a1, u64 a2)
{
	regs = (struct lg_regs){ .vector = LG_HCALL_VECTOR, .rax = nr,
				 .rdi = a1, .rsi = a2, .rip = 0x1000102,
				 .cs = SEL_USER_CS, .ss = SEL_USER_DS };
	reason[0] = '\0';
	exited = -1;
	if (__builtin_setjmp(escape))
		return 0;
	lg_handle_trap(&lg);
	return 1;
}

int main(void)
{
	lg.regs = &regs;
	lg.mem_start = 0x1000000;
	lg.mem_end = 0x10000000;

	expect("before-init-killed", !trap(LHCALL_CONSOLE_WRITE, 0x1000000, 1) &&
	      !memcmp(reason, "hypercall 2 before LHCALL_INIT", 30));
	expect("init-misaligned-killed", !trap(LHCALL_INIT, 0x2000008, 0) && !lg.shared &&
	      !memcmp(reason, "shared page at 0x2000008 is not page-aligned", 44));
	expect("init", trap(LHCALL_INIT, 0x2000000, 0) && regs.rax == 0 &&
	      regs.rip == 0x1000102 &&
	      lg.shared == (void *)(HOST_DIRECT_MAP + 0x2000000));
	/* The direct map is not ours in a Linux process: give the Host a
	 * shared page it can read (the hypercall ring is checked on every call). */
	lg.shared = &shared_page;
	expect("init-twice-killed", !trap(LHCALL_INIT, 0x2000000, 0) &&
	      !memcmp(reason, "LHCALL_INIT called twice", 24));
	expect("console-write", trap(LHCALL_CONSOLE_WRITE, 0x1000000, 12) &&
	      printed == 12 && regs.rip == 0x1000102);
	expect("console-write-host-memory-killed",
	      !trap(LHCALL_CONSOLE_WRITE, 0x100000, 64) &&
	      !memcmp(reason, "console write of 64 bytes at 0x100000", 37));
	expect("console-write-past-window-killed",
	      !trap(LHCALL_CONSOLE_WRITE, 0x10000000 - 8, 9) && reason[0]);
	expect("console-write-wraparound-killed",
	      !trap(LHCALL_CONSOLE_WRITE, 0xfffffffffffff000ULL, 0x1000001) &&
	      reason[0]);
	expect("unknown-killed", !trap(999, 0, 0) &&
	      !memcmp(reason, "unknown hypercall 999 at rip 0x1000102", 38));
	expect("shutdown", !trap(LHCALL_SHUTDOWN, 7, 0) && exited == 7);
	expect("shutdown-reserved-status-killed",
	      !trap(LHCALL_SHUTDOWN, LG_EXIT_KILLED, 0) && exited == -1 && reason[0]);
	return harness_done("host-hcall-vector");
}
