/* Tangled from chapters/10-guest.nw, chapters/11-guest-memory.nw,
 * chapters/12-guest-interrupts.nw, chapters/20-drivers.nw and
 * chapters/40-host.nw by `make tangle`: edit the chapters, not this file. */
/*G:230 The Guest's private header.
 * The Guest's files share a header, as the Host's do. The hypercall itself is
 * one inline function: the `int $0x1f` with its four registers, and `memory` in
 * the clobbers, because the Host may read or write Guest memory the compiler
 * otherwise thinks unchanged. Before the trap it looks at its own ring of
 * queued calls (G:620): if the ring holds any, it says so with
 * `LHCALL_RING_HELD` in the number, because the Host's fastest paths cannot
 * see the ring (S:227). Two loads at ring 3 cost the Guest nothing it could
 * measure. :*/
/* The Guest's private declarations. */
#ifndef GUEST_H
#define GUEST_H

#include "lguest.h"
#include "lib.h"

extern struct lg_shared_page *guest_shared;

static inline u64 hcall(u64 nr, u64 a1, u64 a2, u64 a3)
{
	if (guest_shared->async_queued != guest_shared->async_done)
		nr |= LHCALL_RING_HELD;
	asm volatile("int %[vec]"
		     : "+a"(nr) : "D"(a1), "S"(a2), "d"(a3), [vec] "i"(LG_HCALL_VECTOR)
		     : "memory");
	return nr;
}

/*G:240 Guest-physical addresses.
 * Hypercalls take Guest-*physical* addresses, as lguest's did: the Host checks
 * those against the window without having to understand the Guest's page
 * tables. For the first boot the Host maps the window one to one, so a Guest
 * pointer's physical address is its value. We still convert through one
 * helper, `guest_pa`, so that when the Guest gets page tables of its own there
 * is one place to change. :*/
static inline u64 guest_pa(const void *p)
{
	return (u64)p;
}
/*:*/
/*G:320, continued :*/
void guest_main(const struct lg_boot_info *bi);	/* called from entry.S */
extern struct lg_shared_page *guest_shared;
extern const struct lg_boot_info *guest_boot;
void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void guest_poweroff(u64 status) __attribute__((noreturn));
void guest_panic(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));
void guest_hostile(int n) __attribute__((noreturn));
int guest_selftest(void);
void guest_trap_entry(void);

static inline unsigned guest_cpl(void)
{
	u16 cs;

	asm volatile("mov %%cs, %0" : "=r"(cs));
	return cs & 3;
}
/*:*/
/*G:400, continued :*/
struct trap_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error_code;
	u64 rip, cs, rflags, rsp, ss;
};
/*:*/
/*G:420, continued :*/
struct trap_record {
	u64 vector, error_code, address;
};
extern struct trap_record guest_last_trap;
void guest_trap(struct trap_frame *f);
/*:*/
/*G:430, continued :*/
u64 probe_store(u64 addr);
u64 probe_ud2(void);
u64 probe_int3(void);
u64 probe_cli(void);
u64 probe_outb(void);
int regs_survive_hypercall(void);
/*:*/
/*G:500 The self-test table.
 * `selftest` on the command line runs a table of tests inside the Guest, each a
 * name and a function returning true for a pass, and powers off with 0 if all
 * pass and 1 if any fails. Each test checks a promise the Host makes, in a way
 * that would fail if the promise were broken. A test may also answer that it
 * could not run at all (G:505); the table counts those apart. A test is a
 * `struct guest_test`, the same pair the drivers will use to add tests of
 * their own without the kernel naming them (D:126). :*/
struct guest_test {
	const char *name;
	int (*run)(void);	/* 1: pass, 0: fail, SELFTEST_SKIP: could not run */
};
/*:*/
/*G:505 A test that could not run.
 * A disk test on a machine with no disk has nothing to be wrong about, and
 * nothing to be right about either. Were it to pass, a run with no devices
 * would print a row of `ok` and a total that said nothing had failed, which
 * would be true and would tell the reader the wrong story. So a
 * test that cannot run says *skip*, with its reason, and the total counts it
 * apart, as `selftest: 40 passed, 0 failed, 3 skipped`. A skip is not a
 * failure (the status stays 0), because a machine without a disk is not a
 * broken machine; a test harness that needs the disk tested looks for the
 * test's `ok` line by name.
 *
 * A test calls `selftest_skip` with its reason and returns what it returns;
 * the reason is kept until the verdict line is printed, just after. :*/
#define SELFTEST_SKIP (-1)	/* a test's answer when it could not run */
int selftest_skip(const char *why);
/*:*/
/*G:630 The Guest's memory header.
 * The Guest's memory code shares a few constants with the rest of the Guest:
 * the page sizes, the bits of a page-table entry that it sets, and the helpers
 * that turn a Guest-physical address back into a pointer. The page sizes and
 * the bits are not the Guest's alone: the Host reads every entry the Guest
 * writes (H:550), so they are ABI, and live once, in `include/paging.h` (G:631).
 * The Guest's kernel tables keep the window one to one, so `guest_va` is as
 * simple as `guest_pa` and, like it, is the one place to change if that ever
 * stops being true. :*/
#include "paging.h"
#define GUEST_ALIAS 0x00007f8000000000ULL

static inline void *guest_va(u64 pa)
{
	return (void *)pa;
}

/*:*/
/*G:630, continued :*/
static inline u64 guest_rdtsc(void)
{
	u32 lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (u64)hi << 32 | lo;
}
/*:*/
/*G:640, continued :*/
void page_alloc_init(const struct lg_boot_info *bi);
void *page_alloc(void);
void page_free(void *page);
u64 page_free_count(void);
void *kmalloc(u64 size);
void kfree(void *p);
void paging_init(const struct lg_boot_info *bi);
/*:*/
/*G:700, continued :*/
extern u64 *kernel_root;
void hcall_async(u64 nr, u64 a1, u64 a2, u64 a3);
void lazy_begin(void);
void lazy_end(void);
u64 *pt_entry(u64 *root, u64 va, int level, int make);
void pt_set(u64 *entry, u64 va, u64 value, int level);
int pt_map(u64 *root, u64 va, u64 pa, u64 flags);
void pt_unmap(u64 *root, u64 va);
u64 *pt_new_root(void);
void pt_switch(u64 *root);
/*:*/
/*G:790, continued :*/
void hostile_memory(int n);
/*:*/
/*G:800, continued :*/
void irq_disable(void);
void irq_enable(void);
u64 irq_save(void);
void irq_restore(u64 flags);
int irq_enabled(void);
u64 irq_pending(void);
/*:*/
/*G:810, continued :*/
void guest_irq_entry(void);
void guest_irq(struct trap_frame *f);
/*:*/
/*G:815, continued :*/
void irq_set_handler(unsigned irq, void (*fn)(struct trap_frame *));
/*:*/
/*G:818, continued :*/
extern void (*trap_handlers[32])(struct trap_frame *);
void trap_set_handler(unsigned vector, void (*fn)(struct trap_frame *));
/*:*/
/*G:820, continued :*/
void guest_interrupts_init(void);
int irq_on_stack(u64 addr);
void guest_halt(void);
/*:*/
/*G:830, continued :*/
u64 clock_tsc(void);
void clock_init(void);
#define NSEC_PER_SEC 1000000000ULL
u64 clock_tsc_to_ns(u64 cycles);
u64 clock_ns_to_tsc(u64 ns);
u64 clock_uptime_ns(void);
void clock_event_at(u64 deadline);
void clock_sleep_until(u64 deadline);
void msleep(u64 ms);
extern volatile u64 clock_events_fired, clock_last_event;
extern void (*clock_event_hook)(void);
extern u64 guest_sleep_ms;
/*:*/
/*G:850 Message levels.
 * A kernel says things of very different weight: "panic", "this device is
 * odd", "here is every step I took". Linux lets each message carry its level
 * as a prefix, the byte `\001` and a digit from 0 (emergency) to 7 (debug),
 * and prints only those more urgent than the console's *loglevel*. We do the
 * same, with Linux's names, so a reader who knows `printk(KERN_ERR ...)` knows
 * ours. A message without a prefix has the default level 4, a warning; the
 * console loglevel defaults to 7, so everything but debug is shown, and
 * `loglevel=N` on the command line shows only levels below `N`. :*/
#define KERN_SOH     "\001"
#define KERN_EMERG   KERN_SOH "0"
#define KERN_ALERT   KERN_SOH "1"
#define KERN_CRIT    KERN_SOH "2"
#define KERN_ERR     KERN_SOH "3"
#define KERN_WARNING KERN_SOH "4"
#define KERN_NOTICE  KERN_SOH "5"
#define KERN_INFO    KERN_SOH "6"
#define KERN_DEBUG   KERN_SOH "7"
extern int printk_loglevel;
const char *printk_level(const char *msg, int *len);
/*:*/
/*G:855, continued :*/
int guest_backtrace(u64 *addrs, int max);
void guest_print_backtrace(void);
extern int guest_panic_test;
void panic_on_purpose(void) __attribute__((noreturn));
/*:*/
/*G:900, continued :*/
extern int guest_bench_trap;
int guest_bench(void);
/*:*/
/*G:907, continued :*/
extern int guest_bench_count;
int guest_count(void);
/*:*/
/*G:909, continued :*/
extern int guest_bench_ring0;
int guest_probe_costs(void);
/*:*/
/*G:955, continued :*/
void hostile_irq_stack_unmapped(void);
void hostile_irq_stack_overflow(void);
void hostile_lockup(void);
/*:*/
/*D:126 How the kernel meets its drivers.
 * The kernel must start its drivers, pass them the command-line words it does
 * not know, give them their turn at boot, and let the shell take over; yet it
 * should never name a driver, or the two would depend on each other in a
 * circle, and adding a driver would mean editing the kernel. So the kernel
 * declares what it asks of a driver, a `struct guest_driver` of optional hooks,
 * and each driver file registers one with a single line, `GUEST_DRIVER(...)`,
 * as kvmtool's devices do. The line puts a pointer to the structure into a
 * section of its own, `guest_drivers`, which the link map gathers into one
 * array (D:127); the kernel walks that array and knows nothing else. A driver
 * adds a self-test the same way, `GUEST_TEST(function, "what it checks")`, into
 * the section `guest_tests`, after the kernel's own table (G:500). :*/
struct guest_driver {
	const char *name;
	void (*init)(void);			/* bring the devices up */
	int (*option)(const char *word);	/* 1: this command-line word was ours */
	void (*boot_work)(void);		/* do what the options asked for */
	void (*hostile)(int n);			/* lie on purpose, if case n is ours */
	void (*run)(void);			/* take the machine over when booted */
};

#define GUEST_REGISTER(table, var) \
	static const __typeof__(var) *const var##_registered \
	__attribute__((used, section(#table), aligned(8))) = &(var)
#define GUEST_DRIVER(var)	GUEST_REGISTER(guest_drivers, var)
#define GUEST_TEST(fn, text) \
	static const struct guest_test fn##_test = { text, fn }; \
	GUEST_REGISTER(guest_tests, fn##_test)

void drivers_init(void);
int drivers_option(const char *word);
void drivers_boot_work(void);
void drivers_hostile(int n);
void drivers_run(void);
/*:*/
/*H:551, continued :*/
u64 probe_port0(void);
/*:*/
/*H:551, continued :*/
u64 probe_int80(void);
/*:*/
/*H:551, continued :*/
u64 probe_jump(u64 to);
/*:*/
/*H:551, continued :*/
u64 probe_jump_with_rax(u64 to, u64 rax);
/*:*/

#endif
/*:*/
