/* Tangled from chapters/10-guest.nw and chapters/12-guest-interrupts.nw
 * by `make tangle`: edit the chapters, not this file. */
/*G:810 The interrupt entry.
 * An interrupt arrives with the same seven words on the stack as an exception
 * (G:400): vector, error code (always 0), and the CPU's five. So our interrupt
 * entry is the exception entry's twin: push the general registers to complete
 * a `struct trap_frame`, call C, pop them, drop vector and error code, and
 * `iretq`. It is a separate entry only so that interrupts and exceptions each
 * go to their own C function: interrupts always need the flag put back on the
 * way out, exceptions never touch it. :*/
/* The Guest's interrupt entry: the Host starts us here with a frame pushed. */
#include "lguest.h"

	.text
	.globl guest_irq_entry
guest_irq_entry:
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
	call guest_irq
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
	add $16, %rsp
	iretq
	.section .note.GNU-stack, "", @progbits
/*:*/
