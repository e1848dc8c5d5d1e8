/* Tangled from chapters/50-switcher.nw by `make tangle`: edit the chapter, not this file. */
/*S:307 Counting instead of timing.
 * "About a hundred instructions" is a guess, and timings on this machine swing
 * two- to fourfold from one run to the next, so neither can tell us whether a
 * change to the Switcher made it shorter. What can is a count of the ring-0
 * instructions themselves: exact, the same on every run, and on a machine where
 * every one of them is emulated, the cost. KVM will count them for us. With
 * `KVM_SET_GUEST_DEBUG` and the flags `KVM_GUESTDBG_ENABLE` and
 * `KVM_GUESTDBG_SINGLESTEP`, `KVM_RUN` returns after every instruction the
 * vCPU executes, with the exit reason `KVM_EXIT_DEBUG` and the new `%rip` in
 * `run->debug.arch.pc`.
 *
 * Our machine adds a twist that happens to be exactly what we want. Its KVM
 * runs ring 3 natively and emulates ring 0, and only the emulator single-steps:
 * the Guest's own code runs at full speed and is invisible, a trap into the Host
 * is where the steps begin, and the `iretq` back to ring 3 is where they stop.
 * (The `iretq` itself is not reported: the step that would report it lands at
 * ring 3. So a count here is the Host's instructions on a trip, less its last
 * one.) We check the privilege level of each step all the same, from `%cs` in
 * the special registers, so that a KVM which does step ring 3 counts the same
 * thing. (*Debugging in the book's terms* probes the same interface on a
 * tiny VM of its own, with the same finding: single steps and hardware
 * breakpoints at ring 0, nothing at ring 3.)
 *
 * The Launcher's option `--count-ring0=FILE` turns this on and writes the
 * address of every ring-0 step to `FILE`, one hexadecimal number a line. It
 * does no arithmetic: which steps belong to which operation is decided by
 * whoever reads the file, with the Host's symbol table beside it (S:317). A
 * list of addresses is also a profile: `addr2line` turns it into the lines of
 * this book that ran, and `tests/interrupts/ring0-profile` takes each
 * operation of `bench=count` apart by function and by kind of instruction
 * (memory operands, pushes and pops, branches, privileged ones, the rest),
 * the kinds whose prices H:907 measures. (Each address written is the
 * instruction about to run, so a trip's first instruction, its gate's, is
 * not among them, and its `iretq` is: the count is the same either way.) :*/
/* --count-ring0=FILE: single-step the Host, writing each ring-0 step's address. */
#include "launcher.h"
#include <err.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

static FILE *count_file;

/*S:317 The option, and the start.
 * The file is opened while parsing, so that a path we cannot write is a usage
 * error before any machine exists. Single-stepping is switched on once the vCPU
 * exists and before the sandbox closes (the filter would refuse the `ioctl`
 * later); the Host's very first instruction is the first step. :*/
bool count_parse_option(const char *arg)
{
	if (strncmp(arg, "--count-ring0=", 14) != 0)
		return false;
	count_file = fopen(arg + 14, "w");
	if (!count_file)
		err(LG_EXIT_USAGE, "--count-ring0: cannot write '%s'", arg + 14);
	return true;
}
/*:*/
/*S:347 Reading the Host's memory.
 * Both questions, which byte is next and where a gate points, are answered
 * from the machine's RAM: `KVM_TRANSLATE` walks the vCPU's page tables from a
 * Host address to a physical one, and the Launcher has all physical memory
 * mapped. A gate holds its handler's address in three pieces (H:225). Host
 * code is four-kilobyte pages of the one image, and a walk per step would cost
 * an `ioctl` each, so the last page's translation is kept. :*/
#define COUNT_HLT 0xf4
#define COUNT_FIRST_IRQ 32

static const u8 *count_host_ptr(u64 va, u64 len)
{
	static u64 page = 1, phys;
	struct kvm_translation t = { .linear_address = va & ~4095ULL };

	if ((va & ~4095ULL) != page) {
		if (ioctl(vm.vcpu_fd, KVM_TRANSLATE, &t) < 0 || !t.valid)
			errx(1, "--count-ring0: the Host's address %#llx is not mapped", va);
		page = va & ~4095ULL, phys = t.physical_address;
	}
	if (phys + (va & 4095) + len > vm.ram_size || (va & 4095) + len > 4096)
		errx(1, "--count-ring0: the Host's address %#llx is outside RAM", va);
	return vm.ram + phys + (va & 4095);
}

static u64 count_gate(const struct kvm_sregs *s, int v)
{
	const u8 *g = count_host_ptr(s->idt.base + 16 * v, 16);

	return (g[0] | g[1] << 8 | g[6] << 16 | g[7] << 24) |
	       (u64)(g[8] | g[9] << 8 | g[10] << 16 | (u32)g[11] << 24) << 32;
}
/*:*/
/*S:337 A halt under the single step.
 * The first run of this counter hung in the Host's halt (H:895), and the
 * reason is worth knowing. The Host sleeps with `sti; hlt`, and the timer's
 * interrupt that should wake it is never injected while KVM single-steps ring
 * 0: `hlt` completes as one more step, without sleeping, `cli` follows, and the
 * Host's loop goes round for ever, one step at a time, with the interrupt
 * waiting. So when the next instruction is `hlt` (the byte `0xf4`), we stop
 * single-stepping for one run and set hardware breakpoints instead, on the
 * entries of the first four interrupt vectors, read from the Host's interrupt
 * table: the timer's and the first devices'. KVM runs the `hlt` for real, the
 * interrupt comes, and the breakpoint stops the vCPU on the first instruction
 * of its handler, where single-stepping starts again; that stop is not a step
 * and is not written. The `hlt` itself was written as the step it is. An
 * interrupt of any later vector would wake the Host unseen, and the count would
 * lose its handler: the counted halts are woken by the clock. :*/
static bool count_sleeping;

static void count_debug(u32 how, const u64 bp[4])
{
	struct kvm_guest_debug dbg = { .control = KVM_GUESTDBG_ENABLE | how };

	for (int i = 0; bp && i < 4; i++) {
		dbg.arch.debugreg[i] = bp[i];
		dbg.arch.debugreg[7] |= 2ULL << (2 * i);
	}
	if (ioctl(vm.vcpu_fd, KVM_SET_GUEST_DEBUG, &dbg) < 0)
		err(1, "KVM_SET_GUEST_DEBUG");
}

static void count_sleep(const struct kvm_sregs *s)
{
	u64 bp[4];

	for (int i = 0; i < 4; i++)
		bp[i] = count_gate(s, COUNT_FIRST_IRQ + i);
	count_debug(KVM_GUESTDBG_USE_HW_BP, bp);
	count_sleeping = true;
}
/*:*/
/*S:317, continued :*/
void count_start(void)
{
	if (count_file)
		count_debug(KVM_GUESTDBG_SINGLESTEP, NULL);
}
/*:*/
/*S:327 One step.
 * Each debug exit asks for the special registers (allowed to the vCPU's
 * filter already, for crash reports) and writes the address if `%cs` says
 * ring 0. It answers whether the exit was the counter's: when we are not
 * counting, a debug exit belongs to the debugger of chapter 37, and the run
 * loop hands it on. :*/
bool count_step(struct kvm_run *run)
{
	struct kvm_sregs s;
	u64 pc = run->debug.arch.pc;

	if (!count_file)
		return false;
	if (ioctl(vm.vcpu_fd, KVM_GET_SREGS, &s) < 0)
		err(1, "KVM_GET_SREGS");
	if (count_sleeping) {
		count_sleeping = false;
		count_debug(KVM_GUESTDBG_SINGLESTEP, NULL);
		return true;
	}
	if ((s.cs.selector & 3) != 0)
		return true;
	fprintf(count_file, "%llx\n", (unsigned long long)pc);
	if (*count_host_ptr(pc, 1) == COUNT_HLT)
		count_sleep(&s);
	return true;
}
/*:*/
/*:*/
