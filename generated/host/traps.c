/* Tangled from chapters/40-host.nw and chapters/50-switcher.nw
 * by `make tangle`: edit the chapters, not this file. */
/*H:500 Traps.
 * When the Switcher brings us back, the vector number says why. Three kinds of
 * reason arrive. A hypercall, by the vector we gave it. A fault or exception
 * of the Guest's own, vectors 0 to 31, which the Guest handles itself if it has
 * told us how. And interrupts, vectors 32 and up: the LAPIC timer's and,
 * later, the devices', which *Interrupts and time* turns into the Guest's
 * virtual interrupts. Only the page fault needs attention before
 * anything else runs, because the faulting address is in `%cr2`, and any page
 * fault the Host took later (there should be none, but) would overwrite it. :*/
/* Guest traps: hypercalls, and exceptions reflected back to the Guest. */
#include "host.h"

#define VECTOR_UD 6
#define VECTOR_PF 14

/*S:247, continued :*/
struct lg_fast lg_fast = {
	.rip = ~0ULL, .rip2 = ~0ULL, .fill.region = NO_REGION,
	.nop_key = ~0ULL, .clock_key = ~0ULL,
	.nop_learned = ~0ULL, .clock_learned = ~0ULL,
};

_Static_assert(__builtin_offsetof(struct lg_fast, rip) == LG_FAST_RIP &&
	       __builtin_offsetof(struct lg_fast, insn) == LG_FAST_INSN &&
	       __builtin_offsetof(struct lg_fast, nop_key) == LG_FAST_NOP_KEY &&
	       __builtin_offsetof(struct lg_fast, clock) == LG_FAST_CLOCK &&
	       __builtin_offsetof(struct lg_fast, clock_ahead) == LG_FAST_CLOCK_AHEAD &&
	       __builtin_offsetof(struct lg_fast, clock_key) == LG_FAST_CLOCK_KEY &&
	       __builtin_offsetof(struct lg_fast, rip2) == LG_FAST_RIP2 &&
	       __builtin_offsetof(struct lg_fast, insn2) == LG_FAST_INSN2 &&
	       __builtin_offsetof(struct lg_fast, mem_start) == LG_FAST_MEM_START &&
	       __builtin_offsetof(struct lg_fast, mem_end) == LG_FAST_MEM_END &&
	       __builtin_offsetof(struct lg_fast, last_key) == LG_FAST_LAST_KEY &&
	       __builtin_offsetof(struct lg_fast, fill.region) == LG_FAST_REGION &&
	       __builtin_offsetof(struct lg_fast, fill.gpt) == LG_FAST_GPT &&
	       __builtin_offsetof(struct lg_fast, fill.spt) == LG_FAST_SPT &&
	       __builtin_offsetof(struct lg_fast, fill.up_w) == LG_FAST_UP_W &&
	       __builtin_offsetof(struct lg_fast, fill.up_nx) == LG_FAST_UP_NX,
	       "struct lg_fast and the Switcher disagree");
/*:*/
/*H:505 The two ways a hypercall arrives.
 * The Guest asks for a hypercall with `int $0x1f`, two bytes, `cd 1f`. On
 * hardware KVM that does what it says: the CPU finds our gate for vector
 * `0x1f`, which allows ring 3, and the trap arrives with `%rip` already past the
 * instruction. On the nested, software KVM this book was written on, `int $n`
 * from ring 3 arrives instead as an invalid-opcode fault (#UD, vector 6), with
 * `%rip` still *on* the instruction. We accept both. On a #UD we read the two
 * bytes at `%rip`, through the Guest's own page table (the Guest chose that
 * address; it might point anywhere, including at the Host), and if they are
 * `cd 1f` we step over them ourselves and carry on as if vector `0x1f` had
 * arrived. If they are not, it was a real invalid opcode, and it goes to the
 * Guest like any other exception.
 *
 * Reading those two bytes is the most expensive part of a hypercall on an
 * emulated ring 0: the walk through four levels of page table costs about as
 * much as everything else the Host does for a hypercall put together. A Guest
 * makes its hypercalls from a handful of places, so we remember the last one:
 * its `%rip` and the physical address the walk found. The bytes themselves are
 * read afresh every time (the Guest may have rewritten them); only the
 * translation is remembered, and it stays true as long as the Guest's page
 * table does not change. The first-boot table never does. The shadow page
 * tables will, and they must clear `hcall_pa` whenever they change a mapping.
 * An instruction that straddles two pages is simply not remembered. The
 * Switcher's fast path (S:227) shares the memory: what is remembered here is
 * copied to `lg_fast`, and forgetting forgets both (`hcall_forget`). :*/
static int is_hypercall(struct lguest *lg, u64 rip)
{
	const u8 *insn;
	u8 two[2];

	if ((rip & (PAGE_SIZE - 1)) == PAGE_SIZE - 1)
		return guest_read(lg, rip, two, 2) && two[0] == 0xcd &&
		       two[1] == LG_HCALL_VECTOR;
	if (rip != lg->hcall_rip || !lg->hcall_pa) {
		if (!guest_virt_to_phys(lg, rip, 0, &lg->hcall_pa))
			return lg->hcall_pa = 0;
		lg->hcall_rip = rip;
	}
	insn = from_guest_phys(lg, lg->hcall_pa, 2, "a hypercall instruction");
	if (rip != lg_fast.rip) {
		lg_fast.rip2 = lg_fast.rip, lg_fast.insn2 = lg_fast.insn;
		lg_fast.rip = rip, lg_fast.insn = insn;
	}
	return insn[0] == 0xcd && insn[1] == LG_HCALL_VECTOR;
}
/*:*/
/*H:510 Saying what went wrong.
 * A killed Guest deserves an epitaph that says what happened, in words, with the
 * numbers a debugger would want: the vector, where it happened, and for a page
 * fault the address it touched. :*/
static const char *const trap_names[32] = {
	"divide error", "debug trap", "NMI", "breakpoint", "overflow",
	"bound range exceeded", "invalid opcode", "device not available",
	"double fault", "coprocessor overrun", "invalid TSS",
	"segment not present", "stack fault", "general protection fault",
	"page fault", "reserved trap", "x87 error", "alignment check",
	"machine check", "SIMD error", "virtualization exception",
	"control protection fault",
};

static void kill_for_trap(struct lguest *lg, const char *why)
{
	struct lg_regs *r = lg->regs;
	const char *name = trap_names[r->vector] ? trap_names[r->vector] : "trap";

	if (r->vector == VECTOR_PF)
		kill_guest(lg, "%s%s (vector %llu) at rip 0x%llx, address 0x%llx",
			   why, name, r->vector, r->rip, lg->cr2);
	kill_guest(lg, "%s%s (vector %llu) at rip 0x%llx, error code 0x%llx",
		   why, name, r->vector, r->rip, r->error_code);
}
/*:*/
/*H:515 Reflecting an exception.
 * A Guest kernel handles its own exceptions: a page fault in a Guest program
 * is the Guest's business, not ours. lguest had the Guest tell the Host its
 * interrupt table; we keep it simpler, with one entry point for all
 * exceptions, registered with `LHCALL_SET_TRAP_ENTRY`. To *reflect* an
 * exception we do to the Guest what the CPU would have done to a kernel: align
 * its stack to 16 bytes and push a frame onto it, then continue the Guest at
 * its handler. The frame is the hardware's, with the vector added at the
 * bottom, since one entry point serves every vector:
 *
 * | offset | 0 | 8 | 16 | 24 | 32 | 40 | 48 |
 * |---|---|---|---|---|---|---|---|
 * | | vector | error code | rip | cs | rflags | rsp | ss |
 *
 * The Guest returns with `iretq`, which works between two ring-3 contexts. A
 * page fault's address cannot be read at ring 3 (`%cr2` is privileged), so we
 * put it in the shared page first. We push through the Guest's page table
 * (writable, user-visible pages only); if the stack is not there, the Guest
 * cannot be helped and is killed, as it is if it has no handler at all. :*/
static void reflect_trap(struct lguest *lg)
{
	struct lg_regs *r = lg->regs;
	u64 frame[7] = { r->vector, r->error_code, r->rip, r->cs, r->rflags,
			 r->rsp, r->ss };
	u64 sp = (r->rsp & ~15ULL) - sizeof(frame);

	if (!lg->trap_entry)
		kill_for_trap(lg, "");
	if (r->vector == VECTOR_PF)
		lg->shared->cr2 = lg->cr2;
	if (!guest_write(lg, sp, frame, sizeof(frame)))
		kill_for_trap(lg, "no stack to deliver ");
	r->rsp = sp;
	r->rip = lg->trap_entry;
	r->rflags &= ~(u64)X86_FLAGS_TF;
}
/*:*/
/*S:300, continued :*/
void host_trap_panic(const u64 *frame)
{
	u64 cr2;

	asm volatile("mov %%cr2, %0" : "=r"(cr2));
	host_panic("trap %llu in the Host at rip 0x%llx, error code 0x%llx, cr2 0x%llx",
		   frame[0], frame[2], frame[1], cr2);
}
/*:*/

static __attribute__((noinline)) void page_fault(struct lguest *lg)
{
	asm volatile("mov %%cr2, %0" : "=r"(lg->cr2));
	if (!shadow_page_fault(lg, lg->cr2, &lg->regs->error_code))
		reflect_trap(lg);
}

static __attribute__((noinline)) void invalid_opcode(struct lguest *lg)
{
	struct lg_regs *r = lg->regs;

	if (!is_hypercall(lg, r->rip))
		return reflect_trap(lg);
	r->rip += 2;
	hcall_trap(lg, r);
}

void lg_handle_trap(struct lguest *lg)
{
	u64 vector = lg->regs->vector;

	if (vector == VECTOR_PF)
		return page_fault(lg);
	if (vector == LG_HCALL_VECTOR)
		return hcall_trap(lg, lg->regs);
	if (vector == VECTOR_UD)
		return invalid_opcode(lg);
	if (vector < 32)
		return reflect_trap(lg);
	irq_host_interrupt(lg, vector);
}
/*:*/
