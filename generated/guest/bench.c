/* Tangled from chapters/12-guest-interrupts.nw by `make tangle`: edit the chapter, not this file. */
/*G:900 Measuring a trap.
 * Every hypercall is a trap into the Host and back, plus the Host's work. How
 * much of the cost is which? We time three things with the TSC: a *null
 * hypercall*, `LHCALL_NOP`, which the Host dispatches and does nothing with; a
 * *bare trap*, an `int3` sent (by `LHCALL_BARE_TRAP`) to a Host handler of two
 * instructions; and a *fill*, a store to a page the Guest has mapped and never
 * touched, which the Host's shadow page table must fill (H:620). The bare trap
 * is the floor: what the trap itself costs, with no Host in it. A fourth
 * measure is the *wake-up*: how late a Guest that sleeps for a millisecond
 * (`clock_sleep_until`, which halts) is running again, counted from its
 * deadline: the Host's halt, the timer, the machine under us, and the
 * delivery, everything an idle Guest pays before it can answer a key. The
 * first three take turns, one of each per round for 201 rounds, so that a
 * slow moment of the machine falls on all of them alike. The null hypercall
 * and the bare trap swap places every other round, because on this machine
 * whatever comes first after a fill pays for it: with the null hypercall
 * always first, its ratio to the bare trap came out 0.05 to 0.08 higher than
 * with the bare trap first, the same Host, the same runs otherwise. The null
 * hypercall is a function the compiler may not copy into each place it is
 * called from, so that it is always made from one place, as the Host's
 * memory of it expects (S:227). The 201 wake-ups
 * follow, apart, since their hypercalls would otherwise evict the null
 * hypercall's from the Switcher's memory (S:227) every round. We print each
 * one's median with its quartiles as the spread. `make bench` prints them as ratios to the bare trap. :*/
/* bench=trap: a null hypercall and a fill beside a bare trap, and a wake-up, in TSC cycles. */
#include "guest.h"

#define BENCH_RUNS 201
#define BENCH_VA 0x8080000000ULL

int guest_bench_trap;

static __attribute__((noinline)) u64 null_hypercall(void)
{
	u64 t = clock_tsc();

	hcall(LHCALL_NOP, 0, 0, 0);
	return clock_tsc() - t;
}

/*:*/
/*G:900, continued :*/
static u64 bare_trap(void)
{
	u64 t = clock_tsc();

	asm volatile("int3" : : : "memory");
	return clock_tsc() - t;
}

static u64 fill(int i)
{
	u64 t = clock_tsc();

	*(volatile u64 *)(BENCH_VA + i * PAGE_SIZE) = i;
	return clock_tsc() - t;
}

static u64 wake_up(void)
{
	u64 deadline = clock_tsc() + clock_ns_to_tsc(1000000);

	clock_sleep_until(deadline);
	return clock_tsc() - deadline;
}
/*G:905 The median.
 * An insertion sort of 201 numbers is a few tens of thousands of comparisons at
 * ring 3: nothing. The first line of each is the one older scripts read; the
 * second gives the quartiles. :*/
static void report(const char *what, u64 *v)
{
	for (int i = 1; i < BENCH_RUNS; i++) {
		u64 x = v[i];
		int j = i;

		for (; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
	printk("measure: %s %llu cycles\n", what, v[BENCH_RUNS / 2]);
	printk("measure: spread %s %llu-%llu cycles\n", what, v[BENCH_RUNS / 4],
	       v[3 * BENCH_RUNS / 4]);
}
/*:*/
/*G:905, continued :*/
static void map_fresh(u64 va, int n)
{
	for (int i = 0; i < n; i++) {
		void *page = page_alloc();

		if (!page || !pt_map(kernel_root, va + i * PAGE_SIZE, guest_pa(page), PTE_W))
			guest_panic("bench: cannot map its pages");
	}
	*(volatile u64 *)va = 0;
}
/*:*/

int guest_bench(void)
{
	static u64 hc[BENCH_RUNS], bt[BENCH_RUNS], pf[BENCH_RUNS], wk[BENCH_RUNS];

	map_fresh(BENCH_VA - PAGE_SIZE, BENCH_RUNS + 1);
	hcall(LHCALL_BARE_TRAP, 1, 0, 0);
	for (int i = 0; i < BENCH_RUNS; i++) {
		if (i & 1) {
			bt[i] = bare_trap();
			hc[i] = null_hypercall();
		} else {
			hc[i] = null_hypercall();
			bt[i] = bare_trap();
		}
		pf[i] = fill(i);
	}
	for (int i = 0; i < BENCH_RUNS; i++)
		wk[i] = wake_up();
	hcall(LHCALL_BARE_TRAP, 0, 0, 0);
	report("null hypercall", hc);
	report("bare trap", bt);
	report("page-fault fill", pf);
	report("wake-up", wk);
	return 0;
}
/*:*/
/*G:907 Counting instead of timing.
 * Timings swing here; counts do not. The Launcher can single-step the Host and
 * list every ring-0 instruction it runs (S:307), and `bench=count` gives that
 * list a shape: each operation, five times over, between two *marks*. A mark is
 * an `int3` sent to the bare trap (H:900), whose one reported instruction sits
 * at a known address, `lg_bare_trap`, so whoever reads the list cuts it at the
 * marks and counts the lines between. The empty operation comes first: its
 * count, zero, proves that a mark adds nothing of its own.
 *
 * The operations are the four the Host's hot paths exist for:
 *
 * - a null hypercall;
 * - a shadow page-fault fill: a store to a page the Guest mapped but never
 *   touched, on pages mapped as the timed fill's are (G:905);
 * - a clock interrupt, asked for now, taken and delivered: the clock-event
 *   hypercall, the real interrupt, and the delivery to the Guest's handler;
 * - a halt and its wake-up: a 200 ms sleep, so the clock-event hypercall, the
 *   halt, the timer waking the Host at ring 0 and the delivery. The sleep is
 *   long so that the deadline cannot pass before the Guest halts, even on a
 *   loaded machine where the single-stepped Host (each step costs the Launcher
 *   some ten microseconds) is descheduled for a while: with 20 ms it sometimes
 *   did, and the count lost its halt.
 *
 * Every run of the same Guest on the same Host gives the same counts; `make
 * bench` prints the median of each five beside the timings, and a test holds
 * two runs to each other. :*/

#define COUNT_REPEATS 5
#define COUNT_VA 0x8040000000ULL

int guest_bench_count;

static void count_mark(void)
{
	asm volatile("int3" : : : "memory");
}
/*G:908 The operations.
 * Each takes the number of its repeat, which only the fill needs: a fresh page
 * each time. :*/
static void op_nothing(int i)
{
	(void)i;
}

static void op_null(int i)
{
	(void)i;
	hcall(LHCALL_NOP, 0, 0, 0);
}

static void op_fill(int i)
{
	*(volatile u64 *)(COUNT_VA + (i + 1) * PAGE_SIZE) = i;
}

static void op_interrupt(int i)
{
	u64 fired = clock_events_fired;

	(void)i;
	clock_event_at(clock_tsc());
	while (clock_events_fired == fired)
		;
}

static void op_halt(int i)
{
	(void)i;
	msleep(200);
}
/*:*/
/*G:909 The order.
 * Pages first, then the bare trap on, then each operation's five runs, each
 * followed by a mark; the list's reader takes the segments in this order. :*/
int guest_count(void)
{
	static void (*const ops[])(int) = { op_nothing, op_null, op_fill, op_interrupt, op_halt };

	map_fresh(COUNT_VA, COUNT_REPEATS + 1);
	hcall(LHCALL_BARE_TRAP, 1, 0, 0);
	count_mark();
	for (unsigned k = 0; k < sizeof(ops) / sizeof(ops[0]); k++)
		for (int i = 0; i < COUNT_REPEATS; i++) {
			ops[k](i);
			count_mark();
		}
	hcall(LHCALL_BARE_TRAP, 0, 0, 0);
	return 0;
}
/*:*/
/*:*/
/*G:909, continued :*/

int guest_bench_ring0;

static const struct { const char *name; int insns; } probes[LG_NR_PROBES] = {
	{ "empty", 0 }, { "nop", 1 }, { "add", 1 }, { "load", 1 },
	{ "store", 1 }, { "cmp-memory", 1 }, { "push-pop", 2 }, { "jump", 1 },
	{ "read-cr2", 1 }, { "rdtsc", 1 }, { "cr3-read-write", 2 },
	{ "rdmsr-wrmsr", 3 }, { "swapgs", 1 }, { "iretq-ring0", 8 },
	{ "load-stack", 1 }, { "load-2m", 1 }, { "load-4k", 1 },
	{ "load-two-pages", 2 }, { "code-2m", 1 }, { "code-4k", 1 },
};
static u64 invalid_opcode(int how)
{
	u64 t = clock_tsc();

	if (how == 2)
		asm volatile(".byte 0xf1" : : "a"(0) : "memory");
	else if (how)
		asm volatile("ud2" : : "a"(0) : "memory");
	else
		asm volatile("int $0x1f" : : "a"(0) : "memory");
	return clock_tsc() - t;
}

static void trap_kinds(void)
{
	static u64 t[5][BENCH_RUNS];

	for (int i = 0; i < BENCH_RUNS; i++) {
		hcall(LHCALL_BARE_TRAP, LG_BARE_UD, 0, 0);
		t[0][i] = bare_trap();
		t[1][i] = invalid_opcode(0);
		t[2][i] = invalid_opcode(1);
		t[4][i] = invalid_opcode(2);
		hcall(LHCALL_BARE_TRAP, 0, 0, 0);
		t[3][i] = null_hypercall();
	}
	report("trap int3", t[0]);
	report("trap int-0x1f", t[1]);
	report("trap ud2", t[2]);
	report("trap int1", t[4]);
	report("trap null hypercall", t[3]);
}

int guest_probe_costs(void)
{
	static u64 t[LG_NR_PROBES + 1][BENCH_RUNS];

	for (int i = 0; i < BENCH_RUNS; i++)
		for (int k = 0; k <= LG_NR_PROBES; k++) {
			hcall(LHCALL_BARE_TRAP, k ? k + 1 : 1, 0, 0);
			t[k][i] = bare_trap();
		}
	hcall(LHCALL_BARE_TRAP, 0, 0, 0);
	report("bare trap", t[0]);
	report("probe empty", t[1]);
	trap_kinds();
	for (int k = 1; k < LG_NR_PROBES; k++) {
		report(probes[k].name, t[k + 1]);
		printk("measure: ring-0 %s %lld cycles per unit of %d\n", probes[k].name,
		       ((s64)t[k + 1][BENCH_RUNS / 2] - (s64)t[1][BENCH_RUNS / 2]) / LG_PROBE_REPEAT,
		       probes[k].insns);
	}
	return 0;
}
/*:*/
