/* Tangled from chapters/10-guest.nw and chapters/40-host.nw
 * by `make tangle`: edit the chapters, not this file. */
/*G:310 The first instruction.
 * The Host enters the Guest at `_start`, at ring 3, with the boot information's
 * address in `%rdi`. We set up our own stack (the Host's starting `%rsp` is only
 * a suggestion) and call C with `%rdi` still in place as the first argument. :*/
/* The Guest's entry, its exception entry, and a few probes for its tests. */
#include "lguest.h"

	.section .text.entry, "ax"
	.globl _start
_start:
	lea guest_stack_top(%rip), %rsp
	call guest_main
	ud2

	.bss
	.balign 16
guest_stack:
	.skip 16384
guest_stack_top:

	.text
/*G:400 The Guest's exceptions.
 * A kernel must handle its own exceptions: a page fault, an invalid opcode, a
 * breakpoint. On real hardware the CPU would find the kernel's handler through
 * its interrupt table; ours cannot load one (that is a ring-0 instruction), so
 * it gives the Host one entry point with `LHCALL_SET_TRAP_ENTRY`, and the Host
 * *reflects* each exception there: it pushes a frame onto the Guest's stack,
 * just as the CPU would, with the vector number added below the error code, and
 * starts the Guest at the entry point. The layout, lowest address first, is the
 * one the Host's Switcher uses for its own registers:
 *
 * | vector | error code | rip | cs | rflags | rsp | ss |
 * |---|---|---|---|---|---|---|
 *
 * Our entry pushes the general registers on top, so the whole frame is one
 * `struct trap_frame`, calls C, pops them back, steps over vector and error
 * code, and returns with `iretq`, which is allowed at ring 3 as long as it
 * returns to ring 3. On entry the stack is 8 bytes off a 16-byte boundary
 * (the Host aligned it before pushing seven words); fifteen pushes make it
 * aligned for the call, as the C calling convention wants. :*/
	.globl guest_trap_entry
guest_trap_entry:
	/*G:410 Pushing and popping them.
	 * The pushes go `%rax` first, so `%r15` ends lowest, where `struct trap_frame`
	 * begins; the pops undo them in reverse. Both sequences are chunks of their
	 * own because the interrupt entry (G:810) needs exactly the same frame. :*/
	push %rax
	push %rbx
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %rbp
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
	/*:*/
	mov %rsp, %rdi
	call guest_trap
	/*G:410, continued :*/
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rbp
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rbx
	pop %rax
	/*:*/
	add $16, %rsp
	iretq
/*:*/
/*G:430 Probes.
 * Each probe runs one instruction that should trap, with a fixup armed just
 * after it. It returns 0 if the instruction completed, or the vector of the
 * trap it caused. They are written in assembly so that the fixup address is
 * exactly where we want it: C cannot take the address of a point in a function. :*/
#define PROBE(name, ...)			\
	.globl name;				\
name:						\
	lea 1f(%rip), %rax;			\
	mov %rax, trap_fixup(%rip);		\
	__VA_ARGS__;				\
	xor %eax, %eax;				\
1:	movq $0, trap_fixup(%rip);		\
	ret

PROBE(probe_store, movq $0x5a5a, (%rdi))
PROBE(probe_ud2, ud2)
PROBE(probe_int3, int3)
PROBE(probe_cli, cli)
PROBE(probe_outb, outb %al, $0x80)
/*:*/
/*H:551, continued :*/
PROBE(probe_port0, outb %al, $0)
/*:*/
/*H:551, continued :*/
PROBE(probe_int80, int $0x80)
/*:*/
/*H:551, continued :*/
PROBE(probe_jump, jmp *%rdi)
/*:*/
/*H:551, continued :*/
PROBE(probe_jump_with_rax, mov %rsi, %rax; lea 2f(%rip), %rdx; jmp *%rdi; 2:)
/*:*/
/*G:440 The registers survive a hypercall.
 * The Host promises to give back every register but `%rax`. To check the
 * Switcher's promise we fill every register with its own pattern, make a
 * harmless hypercall (printing zero bytes from a valid address), and compare.
 * The callee-saved registers are saved first and restored last, so C is none
 * the wiser. :*/
	.macro set_and_check reg, value, check
	.if \check
	movabs $\value, %rax
	cmp %rax, \reg
	jne 2f
	.else
	movabs $\value, \reg
	.endif
	.endm

	.macro all_registers check
	set_and_check %rbx, 0x1111111111111111, \check
	set_and_check %rcx, 0x2222222222222222, \check
	set_and_check %rdx, 0x3333333333333333, \check
	set_and_check %rbp, 0x4444444444444444, \check
	set_and_check %r8, 0x5555555555555555, \check
	set_and_check %r9, 0x6666666666666666, \check
	set_and_check %r10, 0x7777777777777777, \check
	set_and_check %r11, 0x0123456789abcdef, \check
	set_and_check %r12, 0x1234567890abcdef, \check
	set_and_check %r13, 0x2345678901abcdef, \check
	set_and_check %r14, 0x3456789012abcdef, \check
	set_and_check %r15, 0x4567890123abcdef, \check
	.endm

	.globl regs_survive_hypercall
regs_survive_hypercall:
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	all_registers 0
	lea guest_stack(%rip), %rdi
	xor %esi, %esi
	mov $LHCALL_CONSOLE_WRITE, %eax
	int $LG_HCALL_VECTOR
	test %rax, %rax
	jnz 2f
	all_registers 1
	lea guest_stack(%rip), %rax
	cmp %rax, %rdi
	jne 2f
	test %rsi, %rsi
	jnz 2f
	mov $1, %eax
	jmp 3f
2:	xor %eax, %eax
3:	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret
/*:*/
	.section .note.GNU-stack, "", @progbits
/*:*/
