/*
 * harness_fast_fill(va, error): run the Switcher's fast path for a fill
 * (S:257, assembled from the tangled switcher.S with %cr2 read from
 * harness_cr2 and its way out to the common trap path sent to
 * harness_declined) on a trap frame that looks like a fault from ring 3.
 * Returns 1 when the path filled and returned by iretq, 0 when it declined.
 * Our own ring is 3, so iretq to it is allowed.
 */
	.text
	.globl harness_fast_fill
harness_fast_fill:
	mov %rdi, harness_cr2(%rip)
	mov %rsp, %rax
	xor %ecx, %ecx
	mov %ss, %cx
	push %rcx		/* ss */
	push %rax		/* rsp: where we return from */
	pushfq			/* rflags */
	mov %cs, %cx
	push %rcx		/* cs, with our ring 3 in its low bits */
	lea 1f(%rip), %rcx
	push %rcx		/* rip */
	push %rsi		/* the error code */
	jmp harness_pf_entry
1:	mov $1, %eax
	ret

	.globl harness_declined
harness_declined:
	/* the stack: $14, the error code, rip, cs, rflags, rsp, ss */
	cmpq $14, (%rsp)
	jne 2f
	mov 40(%rsp), %rsp
	xor %eax, %eax
	ret
2:	ud2
	.section .note.GNU-stack,"",@progbits
