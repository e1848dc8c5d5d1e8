/* What this machine's KVM does with KVM_SET_GUEST_DEBUG.
 *
 * A tiny 64-bit VM (one 2 MiB identity page, one GDT) runs three nops and an
 * endless loop, once at CPL 0 and once at CPL 3, under each of: single step,
 * a software breakpoint (an int3 in the code, USE_SW_BP), a hardware execute
 * breakpoint (DR0, USE_HW_BP).  Each case prints one line
 *   CASE CPLn: works | fails: what happened
 * and the exit status is 0 if every case works, 1 otherwise, 2 if the VM
 * cannot even be made.  A case that never returns from KVM_RUN is ended by an
 * alarm after a second ("no debug exit").
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>

#define RAM_SIZE  0x400000
#define PML4      0x1000
#define PDPT      0x2000
#define PD        0x3000
#define GDT       0x4000
#define CODE      0x10000
#define STACK     0x20000
#define IDT       0x5000
#define TSS       0x6000
#define HANDLER   0x11000

static int kvm, vmfd, vcpu;
static uint8_t *ram;
static struct kvm_run *run;

static void on_alarm(int sig) { (void)sig; }

static void die(const char *what)
{
	printf("setup fails: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void make_vm(void)
{
	struct kvm_userspace_memory_region r = { .slot = 0, .memory_size = RAM_SIZE };

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		die("/dev/kvm");
	vmfd = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vmfd < 0)
		die("KVM_CREATE_VM");
	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	r.userspace_addr = (uintptr_t)ram;
	if (ioctl(vmfd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		die("KVM_SET_USER_MEMORY_REGION");
	vcpu = ioctl(vmfd, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		die("KVM_CREATE_VCPU");
	long sz = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	run = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		die("mmap kvm_run");

	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 256 * sizeof(c->entries[0]));
	c->nent = 256;
	if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, c) < 0 || ioctl(vcpu, KVM_SET_CPUID2, c) < 0)
		die("CPUID");
	free(c);

	/* Identity-map the first 2 MiB, user-accessible, writable. */
	uint64_t *pml4 = (void *)(ram + PML4), *pdpt = (void *)(ram + PDPT), *pd = (void *)(ram + PD);
	pml4[0] = PDPT | 7;
	pdpt[0] = PD | 7;
	pd[0] = 0x87;
	/* GDT: null, code64 DPL0 (0x08), data DPL0 (0x10), code64 DPL3 (0x1b), data DPL3 (0x23). */
	uint64_t *gdt = (void *)(ram + GDT);
	gdt[1] = 0x00af9b000000ffffull;
	gdt[2] = 0x00cf93000000ffffull;
	gdt[3] = 0x00affb000000ffffull;
	gdt[4] = 0x00cff3000000ffffull;
	/* A 64-bit TSS at 0x28 (two slots) whose RSP0 is the stack, so an
	 * exception at CPL 3 can reach a CPL 0 handler. */
	gdt[5] = 0x0000890000000067ull | ((uint64_t)TSS << 16);
	gdt[6] = 0;
	*(uint64_t *)(ram + TSS + 4) = STACK;
	/* Every vector 0..31 goes to a handler that says which by halting:
	 * a HLT exit means the exception went to the VM, not to us. */
	uint64_t *idt = (void *)(ram + IDT);
	for (int v = 0; v < 32; v++) {
		uint64_t h = HANDLER;
		idt[2 * v] = (h & 0xffff) | (0x08ull << 16) | (0xeeull << 40) |
			     ((h >> 16 & 0xffff) << 48);
		idt[2 * v + 1] = h >> 32;
	}
	ram[HANDLER] = 0xf4;		/* hlt */
	ram[HANDLER + 1] = 0xeb;	/* jmp . */
	ram[HANDLER + 2] = 0xfe;
}

static void seg(struct kvm_segment *s, uint16_t sel, int code, int dpl)
{
	*s = (struct kvm_segment){ .base = 0, .limit = 0xffffffff, .selector = sel,
		.type = code ? 0xb : 0x3, .present = 1, .dpl = dpl, .db = !code,
		.s = 1, .l = code, .g = 1 };
}

/* Put the vCPU in long mode at CODE, at the given CPL, with the code given. */
static void reset(int cpl, const uint8_t *code, size_t len)
{
	struct kvm_sregs s;
	struct kvm_regs r = { .rip = CODE, .rsp = STACK, .rflags = 2 };

	memcpy(ram + CODE, code, len);
	if (ioctl(vcpu, KVM_GET_SREGS, &s) < 0)
		die("KVM_GET_SREGS");
	seg(&s.cs, cpl ? 0x1b : 0x08, 1, cpl);
	seg(&s.ds, cpl ? 0x23 : 0x10, 0, cpl);
	s.es = s.fs = s.gs = s.ss = s.ds;
	s.gdt.base = GDT;
	s.gdt.limit = 7 * 8 - 1;
	s.idt.base = IDT;
	s.idt.limit = 32 * 16 - 1;
	s.tr = (struct kvm_segment){ .base = TSS, .limit = 0x67, .selector = 0x28,
		.type = 0xb, .present = 1 };
	s.cr3 = PML4;
	s.cr4 = 0x20;			/* PAE */
	s.cr0 = 0x80000011;		/* PG, ET, PE */
	s.efer = 0x500;			/* LME, LMA */
	if (ioctl(vcpu, KVM_SET_SREGS, &s) < 0)
		die("KVM_SET_SREGS");
	if (ioctl(vcpu, KVM_SET_REGS, &r) < 0)
		die("KVM_SET_REGS");
}

/* Run once; returns the exit reason, or -1 if the alarm ended it. */
static int run_once(void)
{
	struct itimerval t = { .it_value = { .tv_sec = 1 } };

	setitimer(ITIMER_REAL, &t, NULL);
	int rc = ioctl(vcpu, KVM_RUN, 0);
	struct itimerval z = { 0 };
	setitimer(ITIMER_REAL, &z, NULL);
	if (rc < 0)
		return errno == EINTR ? -1 : -2;
	return run->exit_reason;
}

static uint64_t rip(void)
{
	struct kvm_regs r;

	ioctl(vcpu, KVM_GET_REGS, &r);
	return r.rip;
}

static int set_debug(uint32_t control, uint64_t dr0)
{
	struct kvm_guest_debug d = { .control = control };

	d.arch.debugreg[0] = dr0;
	d.arch.debugreg[7] = dr0 ? 0x1 : 0;	/* L0, execute, length 1 */
	return ioctl(vcpu, KVM_SET_GUEST_DEBUG, &d);
}

/* Expect a debug exit with exception EXC at RIP WANT. */
static int expect_debug(const char *name, int cpl, int exc, uint64_t want)
{
	int why = run_once();

	if (why == -1) {
		printf("%s CPL%d: fails: no debug exit (KVM_RUN ran on for a second)\n", name, cpl);
		return 1;
	}
	if (why == KVM_EXIT_HLT) {
		printf("%s CPL%d: fails: the exception went to the VM's own handler, not to us\n",
		       name, cpl);
		return 1;
	}
	if (why == KVM_EXIT_INTERNAL_ERROR) {
		printf("%s CPL%d: fails: KVM_EXIT_INTERNAL_ERROR (suberror %u) at rip %#llx: "
		       "the emulator does not run it\n", name, cpl, run->internal.suberror,
		       (unsigned long long)rip());
		return 1;
	}
	if (why == KVM_EXIT_DEBUG && rip() >= HANDLER && rip() < HANDLER + 3) {
		printf("%s CPL%d: fails: the exception went to the VM's own handler, not to us\n",
		       name, cpl);
		return 1;
	}
	if (why != KVM_EXIT_DEBUG) {
		printf("%s CPL%d: fails: exit reason %d, not KVM_EXIT_DEBUG (rip %#llx)\n",
		       name, cpl, why, (unsigned long long)rip());
		return 1;
	}
	if (run->debug.arch.exception != (uint32_t)exc || rip() != want) {
		printf("%s CPL%d: fails: exception %u at rip %#llx (pc %#llx), want %d at %#llx\n",
		       name, cpl, run->debug.arch.exception, (unsigned long long)rip(),
		       (unsigned long long)run->debug.arch.pc, exc, (unsigned long long)want);
		return 1;
	}
	return 0;
}

static const uint8_t nops[] = { 0x90, 0x90, 0x90, 0xeb, 0xfe };	/* nop x3; jmp . */
static const uint8_t bp[]   = { 0x90, 0x90, 0xcc, 0xeb, 0xfe };	/* nop x2; int3; jmp . */

static int case_step(int cpl)
{
	reset(cpl, nops, sizeof(nops));
	if (set_debug(KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP, 0) < 0) {
		printf("single-step CPL%d: fails: KVM_SET_GUEST_DEBUG: %s\n", cpl, strerror(errno));
		return 1;
	}
	for (int i = 1; i <= 3; i++)
		if (expect_debug("single-step", cpl, 1, CODE + i))
			return 1;
	printf("single-step CPL%d: works (three steps, one instruction each)\n", cpl);
	return 0;
}

static int case_sw(int cpl)
{
	reset(cpl, bp, sizeof(bp));
	if (set_debug(KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP, 0) < 0) {
		printf("sw-breakpoint CPL%d: fails: KVM_SET_GUEST_DEBUG: %s\n", cpl, strerror(errno));
		return 1;
	}
	if (expect_debug("sw-breakpoint", cpl, 3, CODE + 2))
		return 1;
	printf("sw-breakpoint CPL%d: works (int3 exits to us, rip at the int3)\n", cpl);
	return 0;
}

static int case_hw(int cpl)
{
	reset(cpl, nops, sizeof(nops));
	if (set_debug(KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP, CODE + 2) < 0) {
		printf("hw-breakpoint CPL%d: fails: KVM_SET_GUEST_DEBUG: %s\n", cpl, strerror(errno));
		return 1;
	}
	if (expect_debug("hw-breakpoint", cpl, 1, CODE + 2))
		return 1;
	printf("hw-breakpoint CPL%d: works (DR0 exits to us before the instruction)\n", cpl);
	return 0;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	int bad = 0;

	setvbuf(stdout, NULL, _IONBF, 0);
	sigaction(SIGALRM, &sa, NULL);
	for (int cpl = 0; cpl <= 3; cpl += 3) {
		int (*cases[])(int) = { case_step, case_sw, case_hw };

		for (int i = 0; i < 3; i++) {
			make_vm();
			bad += cases[i](cpl);
			close(vcpu);
			close(vmfd);
			close(kvm);
			munmap(ram, RAM_SIZE);
		}
	}
	return bad ? 1 : 0;
}
