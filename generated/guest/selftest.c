/* Tangled from chapters/10-guest.nw by `make tangle`: edit the chapter, not this file. */
/*G:500 The self-test table.
 * `selftest` on the command line runs a table of tests inside the Guest, each a
 * name and a function returning true for a pass, and powers off with 0 if all
 * pass and 1 if any fails. Each test checks a promise the Host makes, in a way
 * that would fail if the promise were broken. :*/
/* The Guest's self-tests: a name and a function each. */
#include "guest.h"

extern char _start_image[], _end[];

/*G:510 Where we are.
 * We run at ring 3, and the image we are running is inside the window the Host
 * announced, with the boot information just after it. :*/
static int test_cpl(void)
{
	return guest_cpl() == 3;
}

static int test_window(void)
{
	u64 start = guest_boot->ram_start, end = start + guest_boot->ram_size;

	return (u64)_start_image >= start && (u64)_end <= end &&
	       (u64)guest_boot >= (u64)_end && (u64)guest_boot < end;
}

static int test_hypercall_registers(void)
{
	return regs_survive_hypercall();
}
/*:*/
/*G:520 Exceptions come back to us.
 * A store to an unmapped page must arrive at our handler as a page fault
 * (vector 14) whose error code says "write, page not present", with the address
 * in the shared page. A store into the Host's slot must arrive too, as a
 * *protection* fault (present bit set in the error code): the page is there,
 * but not for us. An undefined instruction, a breakpoint, and two privileged
 * instructions (`cli` and a port write) must each arrive with their own vector. :*/
#define PF_PRESENT 1
#define PF_WRITE   2
#define PF_USER    4

static int test_page_fault(void)
{
	return probe_store(0x1000) == 14 && guest_last_trap.address == 0x1000 &&
	       guest_last_trap.error_code == (PF_WRITE | PF_USER);
}

static int test_host_slot(void)
{
	u64 host = 0xffffffff80100000;

	return probe_store(host) == 14 && guest_last_trap.address == host &&
	       guest_last_trap.error_code == (PF_PRESENT | PF_WRITE | PF_USER);
}

static int test_traps(void)
{
	return probe_ud2() == 6 && probe_int3() == 3 && probe_cli() == 13 &&
	       probe_outb() == 13;
}
/*:*/
/*G:530 What a hypercall costs.
 * Not a test, but a number every reader of this book should see once: how long
 * the round trip to the Host takes. We time a thousand do-nothing hypercalls
 * (printing zero bytes) with the time-stamp counter, which ring 3 may read, and
 * report the average in TSC cycles. On hardware KVM it is a few hundred cycles;
 * on the nested, emulated KVM this book was written on, the trap alone costs
 * over twelve microseconds and every Host instruction half a microsecond more,
 * so expect tens of thousands. :*/
static u64 rdtsc(void)
{
	u32 lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (u64)hi << 32 | lo;
}

static void report_hypercall_cost(void)
{
	const int n = 1000;
	u64 start = rdtsc();

	for (int i = 0; i < n; i++)
		hcall(LHCALL_CONSOLE_WRITE, guest_pa(_end) - 1, 0, 0);
	printk("selftest: a hypercall takes %llu TSC cycles\n", (rdtsc() - start) / n);
}
/*:*/

static const struct {
	const char *name;
	int (*run)(void);
} tests[] = {
	{ "runs at CPL 3", test_cpl },
	{ "the image lies in the RAM window", test_window },
	{ "registers survive a hypercall", test_hypercall_registers },
	{ "a page fault reaches the Guest with its address", test_page_fault },
	{ "the Host's slot is out of the Guest's reach", test_host_slot },
	{ "ud2, int3, cli and outb reach the Guest's handler", test_traps },
};

int guest_selftest(void)
{
	int failed = 0;

	for (u64 i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		int ok = tests[i].run();

		printk("selftest: %s %s\n", ok ? "ok  " : "FAIL", tests[i].name);
		failed += !ok;
	}
	printk("selftest: %d of %d failed\n", failed,
	       (int)(sizeof(tests) / sizeof(tests[0])));
	report_hypercall_cost();
	return failed ? 1 : 0;
}
/*:*/
