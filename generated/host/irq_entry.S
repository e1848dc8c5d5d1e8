/* Tangled from chapters/42-host-interrupts.nw by `make tangle`: edit the chapter, not this file. */
/*H:835 Interrupt gates of our own.
 * The Switcher's 256 stubs send every trap to `lg_trap_common`, which assumes
 * the Guest was running: a trap taken at ring 0 is a Host bug and panics. That
 * was true until now. But a halted Host (H:870) sleeps with interrupts enabled
 * at ring 0, and the interrupt that wakes it arrives at ring 0, on the Host's
 * own stack, in the middle of a C function. So the interrupt vectors, 32 to 95,
 * get stubs of their own. Each looks at the saved `%cs`, 8 bytes up the frame
 * the CPU pushed (interrupts push no error code). From ring 3 it jumps
 * straight to the Switcher's stub for the same vector, and the interrupt is
 * handled exactly like any Guest trap. From ring 0 it pushes its vector and
 * goes to `irq_ring0_common` (H:840).
 *
 * A stub is at most 18 bytes, so they are 32 apart. The spurious vector gets the
 * shortest handler there is: a spurious interrupt needs no acknowledgement, so
 * `iretq` alone, from either ring. :*/
/* Interrupt gates: real interrupts from ring 3 and ring 0, and the bare trap. */
#include "lguest.h"
#include "layout.h"

	.text
	.balign LG_IRQ_STUB_SIZE
	.globl lg_irq_stubs
lg_irq_stubs:
	.set vector, LG_IRQ_VECTOR_BASE
	.rept LG_NR_IRQS
	.balign LG_IRQ_STUB_SIZE
	testb $3, 8(%rsp)
	jnz lg_trap_stubs + vector * LG_TRAP_STUB_SIZE
	push $vector
	jmp irq_ring0_common
	.set vector, vector + 1
	.endr

	.globl lg_irq_spurious
lg_irq_spurious:
	iretq

/*H:840 At ring 0.
 * The Host was in the middle of a C function, so this is an ordinary interrupt
 * handler: save the registers a C call may clobber (the C code saves the rest),
 * call `irq_at_ring0` with the vector, restore, drop the vector, `iretq`. On
 * entry the CPU had aligned the stack to 16 bytes and pushed five words; with
 * the vector and nine registers that is fifteen words, so one more word of
 * padding makes the call aligned as C expects. The Host is compiled without a
 * red zone, so the interrupted function kept nothing below its stack pointer. :*/
irq_ring0_common:
	push %rax
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %r8
	push %r9
	push %r10
	push %r11
	mov 72(%rsp), %rdi
	sub $8, %rsp
	call irq_at_ring0
	add $8, %rsp
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rax
	add $8, %rsp
	iretq
/*:*/
/*M:757 What is left of a wake-up that is ours.
 * The count (S:307) said where to look, and the second pass took what it
 * pointed at: the re-arming of a fired timer (H:830), the translation's two
 * functions and two range checks (`guest_virt_page`, H:607), the question
 * `irq_deliver_pending` asked twice (H:880), the frame built on the Host's
 * stack and copied (H:875), and the clock event's whole trip through C
 * (S:237), and every trip to C saves nine of the Guest's registers where it
 * saved fifteen (S:210), and the delivery's common case calls nothing, so
 * that C saves none of the Host's registers for it (H:875). An interrupt and
 * its delivery went from 734 instructions to 205 (S:347), and to 196 when
 * the clock event came to be recognised by one key (S:237). What is left is
 * mostly the crossing itself: the interrupt's trip still pushes and pops nine
 * registers the interrupt's C code never reads, and pushes and pops are the
 * costliest kind of instruction after `iretq` on this machine (H:907). The next step would move the delivery itself into the Switcher,
 * as the fill moved (S:257), when the interrupt stack's page is remembered:
 * the EOI, the deadline's test and seven stores, some forty instructions in
 * all, where C now takes about a hundred and fifty. */
/*H:900 The bare trap.
 * How much of a hypercall is the Host's own work, and how much is the price of
 * the trap itself? To answer, the Guest can send its `int3` to a handler that
 * does as little as a handler can: count, and return. `int3` is the one
 * software interrupt that arrives as itself on this machine's KVM (any other
 * `int $n` from ring 3 arrives as an invalid opcode) and on hardware KVM alike,
 * and its gate is open to ring 3 already. The handler runs on the trap stack the
 * TSS names, the top of the Guest's saved registers; its frame lands on the
 * saved `%rip` to `%ss`, which mean nothing while the Guest runs, and `iretq`
 * takes it off again. Nothing else of the Host is involved. :*/
	.globl lg_bare_trap
lg_bare_trap:
	incq lg_bare_traps(%rip)
	iretq

		.globl lg_bare_ud
	lg_bare_ud:
		testb $3, 8(%rsp)
		jz lg_hcall_entry
		cmp $LHCALL_BARE_TRAP, %rax
		je lg_hcall_entry
		addq $2, (%rsp)
		iretq

	.bss
	.balign 8
	.globl lg_bare_traps
lg_bare_traps:
	.quad 0
	.text
/*:*/
/*H:907 What a ring-0 instruction costs, by kind.
 * The count of S:307 is exact, but it weighs every instruction the same, and
 * on this book's machine they are not the same. Its KVM emulates ring 0 one
 * instruction at a time, so an instruction costs what the emulator must do for
 * it: decode it, fetch its operands, and for a few, leave the emulator
 * altogether for the machine below. Before cutting a path we want to know
 * which instructions are worth cutting, and the bare trap gives us the way to
 * ask. A *probe* is a bare trap with a body: it saves three scratch
 * registers, runs one kind of instruction `LG_PROBE_REPEAT` times, restores
 * them and returns. The Guest times each probe as it times the bare trap
 * (G:900); the empty probe, the same frame with no body, is subtracted, and
 * what is left, divided by the repeats, is that kind's price. :*/
	.macro probe name
	.balign 16
\name:
	push %rax
	push %rcx
	push %rdx
	.endm
	.macro end_probe
	pop %rdx
	pop %rcx
	pop %rax
	incq lg_bare_traps(%rip)
	iretq
	.endm
	probe probe_empty
	end_probe
	probe probe_nop
	.rept LG_PROBE_REPEAT
	nop
	.endr
	end_probe
	probe probe_add
	.rept LG_PROBE_REPEAT
	add %rcx, %rax
	.endr
	end_probe
	probe probe_load
	.rept LG_PROBE_REPEAT
	mov lg_bare_traps(%rip), %rax
	.endr
	end_probe
	probe probe_store
	.rept LG_PROBE_REPEAT
	mov %rax, probe_scratch(%rip)
	.endr
	end_probe
	probe probe_cmp
	.rept LG_PROBE_REPEAT
	cmpq $0, lg_bare_traps(%rip)
	.endr
	end_probe
	probe probe_push_pop
	.rept LG_PROBE_REPEAT
	push %rax
	pop %rax
	.endr
	end_probe
	probe probe_jump
	.rept LG_PROBE_REPEAT
	jmp 1f
1:
	.endr
	end_probe
	probe probe_cr2
	.rept LG_PROBE_REPEAT
	mov %cr2, %rax
	.endr
	end_probe
	probe probe_rdtsc
	.rept LG_PROBE_REPEAT
	rdtsc
	.endr
	end_probe
	probe probe_cr3
	.rept LG_PROBE_REPEAT
	mov %cr3, %rax
	mov %rax, %cr3
	.endr
	end_probe
	probe probe_msr
	.rept LG_PROBE_REPEAT
	mov $0xc0000102, %ecx
	rdmsr
	wrmsr
	.endr
	end_probe
	probe probe_swapgs
	.rept LG_PROBE_REPEAT
	swapgs
	.endr
	end_probe
	probe probe_iretq
	.rept LG_PROBE_REPEAT
	mov %rsp, %rax
	push $SEL_KERNEL_DS
	push %rax
	pushfq
	push $SEL_KERNEL_CS
	lea 1f(%rip), %rcx
	push %rcx
	iretq
1:
	.endr
	end_probe
	probe probe_load_stack
	.rept LG_PROBE_REPEAT
	mov 8(%rsp), %rax
	.endr
	end_probe
	.irp kind, 2m, 4k
	probe probe_load_\kind
	movabs $PROBE_ALIAS_\kind + lg_bare_traps - HOST_KBASE, %rcx
	.rept LG_PROBE_REPEAT
	mov (%rcx), %rax
	.endr
	end_probe
	.endr
	probe probe_load_two
	lea lg_bare_traps(%rip), %rcx
	lea lg_fast(%rip), %rdx
	.rept LG_PROBE_REPEAT
	mov (%rcx), %rax
	mov (%rdx), %rax
	.endr
	end_probe
	.irp kind, 2m, 4k
	probe probe_code_\kind
	lea 1f(%rip), %rdx
	movabs $PROBE_ALIAS_\kind + probe_nops - HOST_KBASE, %rcx
	jmp *%rcx
1:	end_probe
	.endr
probe_nops:
	.rept LG_PROBE_REPEAT
	nop
	.endr
	jmp *%rdx
	.set PROBE_ALIAS_2m, HOST_KBASE
	.set PROBE_ALIAS_4k, 0xffffffff40000000
	.section .data
	.balign PAGE_SIZE
	.globl probe_alias_pd
probe_alias_pd:
	.quad probe_alias_pt - HOST_KBASE + PTE_P + PTE_W
	.quad probe_alias_pt - HOST_KBASE + PAGE_SIZE + PTE_P + PTE_W
	.fill 510, 8, 0
probe_alias_pt:
	.set addr, 0
	.rept 1024
	.quad addr + PTE_P + PTE_W
	.set addr, addr + PAGE_SIZE
	.endr
	.text
	.section .rodata
	.balign 8
	.globl lg_probes
lg_probes:
	.quad probe_empty, probe_nop, probe_add, probe_load, probe_store, probe_cmp
	.quad probe_push_pop, probe_jump, probe_cr2, probe_rdtsc, probe_cr3
	.quad probe_msr, probe_swapgs, probe_iretq
	.quad probe_load_stack, probe_load_2m, probe_load_4k
	.quad probe_load_two, probe_code_2m, probe_code_4k
	.bss
	.balign 8
probe_scratch:
	.quad 0
	.text
/*:*/
	.section .note.GNU-stack, "", @progbits
/*:*/
