/* Tangled from chapters/50-switcher.nw by `make tangle`: edit the chapter, not this file. */
/*S:100 Into the Guest.
 * `lg_switch_to_guest(regs)` is called from C, so it first saves the registers
 * the C calling convention says a function must preserve (`%rbx`, `%rbp`,
 * `%r12` to `%r15`) on the Host's stack, and the stack pointer itself in a
 * variable, because the way back will need to find it. Then it makes the
 * Guest's saved registers *be* the stack, pops them, steps over the vector and
 * the error code, and `iretq` pops the last five, the frame a trap pushed:
 * `%rip`, `%cs`, `%rflags`, `%rsp`, `%ss`. Since the saved `%cs` has privilege
 * level 3, `iretq` drops the CPU to ring 3, and the Guest runs.
 *
 * There is a quiet requirement here. The structure we pop from is the one the
 * TSS points at (its end is `rsp0`), so when the Guest next traps, the CPU
 * pushes its frame exactly where we just popped one from. Nothing in the
 * Switcher copies registers anywhere: the trap stack *is* the Guest's register
 * file. :*/
/* The Switcher: the crossing between the Host (ring 0) and the Guest (ring 3). */
#include "layout.h"

	.bss
	.balign 8
host_saved_rsp:
	.quad 0

	.text
	.globl lg_switch_to_guest
lg_switch_to_guest:
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, host_saved_rsp(%rip)
	mov %rdi, %rsp
	/*S:110 The general registers.
	 * The order is the one `struct lg_regs` declares, lowest address first: `%r15`
	 * was pushed last, so it is popped first. :*/
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

/*S:200 Back from the Guest: the stubs.
 * When the Guest traps, the CPU looks up the vector in the interrupt table,
 * sees that the gate's code runs at ring 0 while the Guest ran at ring 3,
 * loads `%rsp` from the TSS, and pushes the Guest's `%ss`, `%rsp`, `%rflags`,
 * `%cs` and `%rip`. Some exceptions push an error code after that; most do
 * not. The CPU does not say which vector it is delivering, so each vector needs
 * its own entry, a *stub*, which pushes a zero where the CPU pushed no error
 * code (so every frame has the same shape) and then the vector number, and
 * jumps to the common code.
 *
 * We let the assembler write the 256 stubs. Each starts on a 16-byte boundary,
 * so the Host can find stub `v` at `lg_trap_stubs + 16 * v` when it fills the
 * interrupt table; the longest stub is twelve bytes. The vectors with an error
 * code are the double fault (8), the four segment and protection faults
 * (10 to 13), the page fault (14), alignment check (17), control protection
 * (21), and the two security exceptions (29, 30). :*/
	.balign LG_TRAP_STUB_SIZE
	.globl lg_trap_stubs
lg_trap_stubs:
	.set vector, 0
	.rept 256
	.balign LG_TRAP_STUB_SIZE
	.if !(vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 || vector == 21 || vector == 29 || vector == 30)
	push $0
	.endif
	push $vector
	jmp lg_trap_common
	.set vector, vector + 1
	.endr
/*:*/
/*S:210 The common path.
 * Every trap from the Guest now has the same seven words on the stack:
 * vector, error code, and the CPU's five. The common code first asks whether
 * the trap came from the Guest at all: the saved `%cs` (24 bytes up) has
 * privilege level 3 if it did. A trap from ring 0 is the Host's own fault,
 * taken on the Host's own stack, and must not be mistaken for the Guest's.
 *
 * For the Guest's trap we push its fifteen general registers, completing the
 * `struct lg_regs`. Then we go back to the Host: reload the stack pointer that
 * `lg_switch_to_guest` saved, pop the Host's preserved registers, and `ret`.
 * That `ret` returns from `lg_switch_to_guest` to its caller, `run_guest`,
 * which finds the Guest's whole state in the structure and can call
 * `lg_handle_trap`. Interrupts stay off throughout: the gates are interrupt
 * gates. :*/
lg_trap_common:
	testb $3, 24(%rsp)
	jz host_trap
	/*S:220 Pushing them.
	 * The mirror image of the pops: `%rax` first, `%r15` last. :*/
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
	mov host_saved_rsp(%rip), %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret
/*:*/
/*S:300 When the Host itself traps.
 * The Host should never fault, but it is a program like any other, and if it
 * does, the worst outcome is a machine that silently resets. So a trap taken at
 * ring 0 goes to C with a pointer to its seven words, and the Host panics with
 * the vector, the address of the faulting instruction and, for a page fault,
 * the address it touched. :*/
host_trap:
	mov %rsp, %rdi
	and $-16, %rsp
	call host_trap_panic
	ud2
/*:*/
	.section .note.GNU-stack, "", @progbits
/*:*/
