/* Tangled from chapters/12-guest-interrupts.nw by `make tangle`: edit the chapter, not this file. */
/*G:900 Measuring a trap.
 * Every hypercall is a trap into the Host and back, plus the Host's work. How
 * much of the cost is which? We measure two things with the TSC, side by side
 * in one run: a *null hypercall*, `LHCALL_NOP`, which the Host dispatches and
 * does nothing with, and a *bare trap*, an `int3` sent (by `LHCALL_BARE_TRAP`)
 * to a Host handler of two instructions. The difference is what the Host's
 * trap path costs: the Switcher's saving and restoring, the dispatch in C, and
 * the delivery check on the way out. Each is timed 201 times and we print the
 * median, which one slow outlier (a host interrupt, a preempted vCPU) cannot
 * move. `make bench` prints both with their ratio. :*/
/* bench=trap: a null hypercall beside a bare trap, in TSC cycles. */
#include "guest.h"

#define BENCH_RUNS 201

int guest_bench_trap;

static u64 null_hypercall(void)
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
/*G:905 The median.
 * An insertion sort of 201 numbers is a few tens of thousands of comparisons at
 * ring 3: nothing. :*/
static u64 median_cycles(u64 (*one)(void))
{
	u64 v[BENCH_RUNS];

	for (int i = 0; i < BENCH_RUNS; i++) {
		u64 x = one();
		int j = i;

		for (; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
	return v[BENCH_RUNS / 2];
}
/*:*/

int guest_bench(void)
{
	u64 hcall_cycles = median_cycles(null_hypercall), trap_cycles;

	hcall(LHCALL_BARE_TRAP, 1, 0, 0);
	trap_cycles = median_cycles(bare_trap);
	hcall(LHCALL_BARE_TRAP, 0, 0, 0);
	printk("measure: null hypercall %llu cycles\n", hcall_cycles);
	printk("measure: bare trap %llu cycles\n", trap_cycles);
	return 0;
}
/*:*/
