/* Tangled from chapters/30-launcher.nw by `make tangle`: edit the chapter, not this file. */
/*L:200, continued :*/
/* The conversation with KVM: the VM, its memory, its vCPU, the run loop. */
#include "launcher.h"
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

struct vm vm;

/*L:210 Opening /dev/kvm.
 * The first thing that can go wrong is the commonest: no `/dev/kvm` (the
 * module is not loaded, or the CPU's virtualization is off in the firmware, or
 * we are in a container that does not pass it through), or no permission to
 * open it. Each case gets its own message with its fix. The API version has
 * been 12 since 2007 and is never expected to change; checking it costs one
 * line and catches a device node that is not KVM at all. :*/
static int kvm_open(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT)
		errx(1, "cannot open /dev/kvm: it does not exist; load the module "
		     "(modprobe kvm_intel or kvm_amd) or enable virtualization in the firmware");
	if (fd < 0 && (errno == EACCES || errno == EPERM))
		errx(1, "cannot open /dev/kvm: %s; add yourself to the kvm group "
		     "or run as root", strerror(errno));
	if (fd < 0)
		err(1, "cannot open /dev/kvm");
	if (ioctl(fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		errx(1, "/dev/kvm does not speak KVM API version %d; is it really KVM?",
		     KVM_API_VERSION);
	return fd;
}
/*:*/

/*L:220 Creating the VM.
 * `KVM_CREATE_VM` gives us the VM descriptor. We ask for the **in-kernel
 * irqchip** at once: KVM then emulates the local APIC (whose timer the Host
 * uses for its clock), the I/O APIC and the old PICs inside the kernel, so
 * interrupts never make a round trip through us. It must exist before the vCPU
 * is created, because the vCPU's local APIC is made with it. :*/
static void kvm_set_up_vm(void)
{
	vm.kvm_fd = kvm_open();
	vm.vm_fd = ioctl(vm.kvm_fd, KVM_CREATE_VM, 0);
	if (vm.vm_fd < 0)
		err(1, "KVM_CREATE_VM");
	if (ioctl(vm.kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_TSS_ADDR) > 0 &&
	    ioctl(vm.vm_fd, KVM_SET_TSS_ADDR, LG_KVM_TSS) < 0)
		err(1, "KVM_SET_TSS_ADDR");
	if (ioctl(vm.kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_IDENTITY_MAP_ADDR) > 0) {
		u64 addr = LG_KVM_IDENTITY_MAP;

		if (ioctl(vm.vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &addr) < 0)
			err(1, "KVM_SET_IDENTITY_MAP_ADDR");
	}
	if (ioctl(vm.vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		err(1, "KVM_CREATE_IRQCHIP (the in-kernel interrupt controller)");
}
/*:*/

/*L:240 RAM.
 * Guest RAM is ordinary memory in our process: an anonymous mapping, which
 * Linux fills with zero pages only when they are touched, so a 3 GiB machine
 * costs nothing until it is used. `KVM_SET_USER_MEMORY_REGION` tells KVM that
 * guest-physical addresses `[0, ram_size)` are these bytes. From here on a
 * guest-physical address `a` is simply `vm.ram + a`: that is why every address
 * the Host or Guest hands us must be checked (*L:650*) before we add it.
 *
 * On the book's machine the `KVM_SET_USER_MEMORY_REGION` call is the slowest step of
 * the whole set-up: 5 to 9 ms, whatever the size of the slot (32 MiB and 3 GiB
 * cost the same), so the nested KVM evidently prepares something per slot, not
 * per page. Everything else before the first instruction takes about 1 ms. :*/
void kvm_create_vm(u64 ram_size)
{
	struct kvm_userspace_memory_region region = { .slot = 0 };

	kvm_set_up_vm();
	vm.ram_size = ram_size;
	vm.ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm.ram == MAP_FAILED)
		err(1, "cannot allocate %llu MiB of guest RAM; try a smaller --memory",
		    ram_size >> 20);
	region.memory_size = ram_size;
	region.userspace_addr = (unsigned long)vm.ram;
	if (ioctl(vm.vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		err(1, "KVM_SET_USER_MEMORY_REGION");
	lg_say("RAM: %llu MiB at guest-physical 0", ram_size >> 20);
}
/*:*/

/*L:250 What the CPU says it is.
 * A vCPU starts with an empty CPUID: ask it for its features and it claims to
 * have none, not even long mode, and our Host would stop at its first check.
 * KVM knows what it can offer (the host CPU's features, less what it cannot
 * virtualize) and tells us through `KVM_GET_SUPPORTED_CPUID` on the system
 * descriptor; we pass the list straight to the vCPU with `KVM_SET_CPUID2`. The
 * list's length is not known in advance: KVM answers `E2BIG` until our buffer
 * is big enough, so we double it until it is. We start at 256 entries: this
 * machine's KVM offers 75, and each refused call costs a quarter of a
 * millisecond here. :*/
static struct kvm_cpuid2 *kvm_supported_cpuid(void)
{
	for (u32 n = 256; n <= 4096; n *= 2) {
		struct kvm_cpuid2 *cpuid;

		cpuid = calloc(1, sizeof(*cpuid) + n * sizeof(cpuid->entries[0]));
		if (!cpuid)
			err(1, "CPUID table");
		cpuid->nent = n;
		if (ioctl(vm.kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid) == 0)
			return cpuid;
		free(cpuid);
		if (errno != E2BIG)
			err(1, "KVM_GET_SUPPORTED_CPUID");
	}
	errx(1, "KVM_GET_SUPPORTED_CPUID: more than 4096 leaves?");
}
/*:*/

/*L:260 The PVH entry state.
 * The PVH protocol (next chapter) fixes the state of the CPU at the Host's
 * first instruction: 32-bit protected mode with paging off, code and data
 * segments flat over all 4 GiB, `%ebx` holding the physical address of the
 * start-of-day information, `EFLAGS` with only its always-one bit 1 set. In a
 * real machine a boot loader would build a GDT and load it; KVM lets us set the
 * segment registers' hidden parts directly with `KVM_SET_SREGS`, with no table
 * in memory at all. The selectors (0x10 for code, 0x18 for data) are the ones
 * Linux's PVH entry expects; a Host that loads its own GDT at once, as ours
 * does, does not care. :*/
static struct kvm_segment flat_segment(u16 selector, u8 type)
{
	return (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = selector,
		.type = type, .present = 1, .dpl = 0,
		.db = 1, .s = 1, .l = 0, .g = 1,
	};
}
/*:*/

static void kvm_set_entry_state(u32 entry, u32 start_info)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rip = entry, .rbx = start_info, .rflags = 2 };

	if (ioctl(vm.vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		err(1, "KVM_GET_SREGS");
	sregs.cs = flat_segment(0x10, 0xb);
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = flat_segment(0x18, 0x3);
	sregs.cr0 = 0x11;
	sregs.cr4 = 0;
	sregs.efer = 0;
	if (ioctl(vm.vcpu_fd, KVM_SET_SREGS, &sregs) < 0)
		err(1, "KVM_SET_SREGS");
	if (ioctl(vm.vcpu_fd, KVM_SET_REGS, &regs) < 0)
		err(1, "KVM_SET_REGS");
}

/*L:270 The vCPU and its shared page.
 * Now the vCPU itself. Its `kvm_run` page is `mmap`ed from the vCPU's
 * descriptor; the size to map comes from the system descriptor, since it
 * varies between kernels (the page is followed by room for string I/O data and
 * more). Then the CPUID, then the registers, and the machine is ready. :*/
void kvm_create_vcpu(u32 entry, u32 start_info)
{
	struct kvm_cpuid2 *cpuid;
	long size;

	vm.vcpu_fd = ioctl(vm.vm_fd, KVM_CREATE_VCPU, 0);
	if (vm.vcpu_fd < 0)
		err(1, "KVM_CREATE_VCPU");
	size = ioctl(vm.kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size <= 0)
		err(1, "KVM_GET_VCPU_MMAP_SIZE");
	vm.run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vm.vcpu_fd, 0);
	if (vm.run == MAP_FAILED)
		err(1, "cannot map the vCPU's kvm_run page");
	cpuid = kvm_supported_cpuid();
	if (ioctl(vm.vcpu_fd, KVM_SET_CPUID2, cpuid) < 0)
		err(1, "KVM_SET_CPUID2");
	lg_say("vCPU: %u CPUID leaves; entry %#x, start_info %#x", cpuid->nent, entry, start_info);
	free(cpuid);
	kvm_set_entry_state(entry, start_info);
}
/*:*/

/*M:300 A Host that sleeps forever.
 * One way for the machine to stop is missing from the list above: a Host that
 * disables interrupts and executes `hlt`. With the in-kernel irqchip KVM puts
 * the vCPU to sleep until an interrupt that can never come, `KVM_RUN` does not
 * return, and the Launcher waits with it (we tried: only a signal ends it). A
 * `--timeout=SECONDS` option, an `alarm` whose signal handler sets
 * `vm.run->immediate_exit` and reports the registers, would turn that hang
 * into a report; test scripts would no longer need `timeout(1)`. */
/*L:298 The registers.
 * A crash report without registers is a riddle. We print the general registers
 * and the control registers that say what mode the CPU was in, and the bytes
 * at the faulting instruction: `KVM_TRANSLATE` walks the vCPU's own page
 * tables for us to find where `RIP` is in guest-physical memory. :*/
static void kvm_dump_registers(void)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (ioctl(vm.vcpu_fd, KVM_GET_REGS, &r) < 0 || ioctl(vm.vcpu_fd, KVM_GET_SREGS, &s) < 0)
		return;
	fprintf(stderr, "  RIP %016llx RSP %016llx RFLAGS %08llx CS %04x\n"
		"  RAX %016llx RBX %016llx RCX %016llx RDX %016llx\n"
		"  RSI %016llx RDI %016llx RBP %016llx\n"
		"  CR0 %08llx CR2 %016llx CR3 %016llx CR4 %08llx EFER %llx\n",
		r.rip, r.rsp, r.rflags, s.cs.selector, r.rax, r.rbx, r.rcx, r.rdx,
		r.rsi, r.rdi, r.rbp, s.cr0, s.cr2, s.cr3, s.cr4, s.efer);
	struct kvm_translation t = { .linear_address = s.cs.base + r.rip };

	if (ioctl(vm.vcpu_fd, KVM_TRANSLATE, &t) == 0 && t.valid &&
	    t.physical_address < vm.ram_size - 16) {
		fprintf(stderr, "  code at RIP (physical %#llx):", t.physical_address);
		for (int i = 0; i < 16; i++)
			fprintf(stderr, " %02x", vm.ram[t.physical_address + i]);
		fputc('\n', stderr);
	}
}
/*:*/

/*L:295 Reporting a dead machine.
 * When the Host dies we say how, with the registers, and stop with status 126.
 * The reasons get words, not numbers; the internal error's sub-reason and its
 * extra data words are what a KVM developer would ask for first. The table of
 * sub-reasons is bounded by its own size, not by a count typed beside it: when
 * we name a reason a newer KVM adds, the bound grows with the table. :*/
static void kvm_report_exit(struct kvm_run *run)
{
	switch (run->exit_reason) {
	case KVM_EXIT_SHUTDOWN:
		fprintf(stderr, "lguest: the Host crashed (triple fault)\n");
		break;
	case KVM_EXIT_HLT:
		fprintf(stderr, "lguest: the Host halted and nothing can wake it\n");
		break;
	case KVM_EXIT_FAIL_ENTRY:
		fprintf(stderr, "lguest: KVM cannot enter the vCPU (hardware reason %#llx)\n",
			(unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		static const char *const suberrors[] = {
			[KVM_INTERNAL_ERROR_EMULATION] = "emulation failure",
			[KVM_INTERNAL_ERROR_SIMUL_EX] = "exception while delivering an exception",
			[KVM_INTERNAL_ERROR_DELIVERY_EV] = "cannot deliver an event",
			[KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON] = "unexpected hardware exit",
		};
		u32 sub = run->internal.suberror;

		fprintf(stderr, "lguest: KVM internal error %u (%s) in the Host", sub,
			sub < sizeof(suberrors) / sizeof(suberrors[0]) && suberrors[sub] ? suberrors[sub] : "unknown");
		for (u32 i = 0; i < run->internal.ndata && i < 16; i++)
			fprintf(stderr, "%s%#llx", i ? " " : "; data ", (unsigned long long)run->internal.data[i]);
		fputc('\n', stderr);
		break;
	default:
		fprintf(stderr, "lguest: unexpected KVM exit reason %u\n", run->exit_reason);
	}
	kvm_dump_registers();
	exit(LG_EXIT_HOST_PANIC);
}
/*:*/

/*L:280 The run loop.
 * Here is the heart of every VMM: run until KVM hands the CPU back, look at
 * why, answer, run again. `KVM_RUN` returns `EINTR` when a signal arrives
 * while the vCPU runs; that is not an error, we just go round again. The
 * loop ends when the Host writes its status to the exit port; the control
 * ports (*L:620*) note it, and we pick it up after each exit. :*/
int kvm_run_vcpu(void)
{
	lg_say("running the Host");
	while (!control_stopped()) {
		if (ioctl(vm.vcpu_fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			err(1, "KVM_RUN");
		}
		/*L:290 Why KVM_RUN returned.
		 * Only two exits are the machine talking to us: port I/O and MMIO, both
		 * handed to the dispatcher (*L:600*). A `hlt` never reaches us: with the
		 * in-kernel irqchip KVM parks the vCPU itself until an interrupt arrives. So a
		 * `KVM_EXIT_HLT` would mean our set-up is wrong, and the remaining exits mean
		 * that the Host is broken: a triple fault (`KVM_EXIT_SHUTDOWN`: an exception
		 * while delivering an exception while delivering an exception, which on a real
		 * PC resets the machine), a CPU state the hardware refuses to enter
		 * (`KVM_EXIT_FAIL_ENTRY`), or an instruction KVM could not handle
		 * (`KVM_EXIT_INTERNAL_ERROR`). On this machine's nested KVM, where ring 0 code
		 * is emulated, the last one is what a Host bug most often looks like: an
		 * `int $0x80` executed at ring 0 stops the machine with sub-reason 1,
		 * "emulation failure", whose data words are a flags word (1: instruction bytes
		 * follow) and then the length and bytes of the instruction (`0f cd 80 ...`:
		 * 15 bytes, starting `int $0x80`). A genuine triple fault, on the other hand,
		 * arrives here as `KVM_EXIT_SHUTDOWN`, just as on hardware: our test kernel
		 * loads an empty IDT and executes `ud2` to prove it. :*/
		switch (vm.run->exit_reason) {
		case KVM_EXIT_IO:
			io_port_exit(vm.run);
			break;
		case KVM_EXIT_MMIO:
			io_mmio_exit(vm.run);
			break;
		default:
			kvm_report_exit(vm.run);
		}
		/*:*/
	}
	return control_exit_status();
}
/*:*/
/*:*/
