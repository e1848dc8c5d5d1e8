/* Tangled from chapters/50-switcher.nw by `make tangle`: edit the chapter, not this file. */
/*S:100 Into the Guest.
 * `lg_switch_to_guest(regs)` is called from C once, by `run_guest`, and never
 * returns. It makes the Guest's saved registers *be* the stack, pops them,
 * steps over the vector and the error code, and `iretq` pops the last five, the
 * frame a trap pushed: `%rip`, `%cs`, `%rflags`, `%rsp`, `%ss`. Since the saved
 * `%cs` has privilege level 3, `iretq` drops the CPU to ring 3, and the Guest
 * runs. Every later return to the Guest is the same code, reached from the end
 * of a trap (S:210), so it carries a second name, `lg_return_to_guest`, with
 * one difference: the six registers C preserves (H:455) are popped only on
 * the first entry, so that the Guest starts with the values `guest_regs_init`
 * gave it and not with the Host's; after a trap they are in the CPU already,
 * and the return steps over their slots.
 *
 * There is a quiet requirement here. The structure we pop from is the one the
 * TSS points at (its end is `rsp0`), so when the Guest next traps, the CPU
 * pushes its frame exactly where we just popped one from. Nothing in the
 * Switcher copies registers anywhere: the trap stack *is* the Guest's register
 * file. :*/
/* The Switcher: the crossing between the Host (ring 0) and the Guest (ring 3). */
#include "lguest.h"
#include "layout.h"

	.text
	.globl lg_switch_to_guest
lg_switch_to_guest:
	mov %rdi, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	jmp 1f
lg_return_to_guest:
	add $48, %rsp
1:
	/*S:110 The general registers.
	 * The order is the one `struct lg_regs` declares, lowest address first: `%r11`
	 * was pushed last, so it is popped first. :*/
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
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
/*S:227 A fast path for the cheapest hypercalls.
 * Counted (S:307), a null hypercall was 151 ring-0 instructions on this
 * book's machine, and only a handful of them did anything the call needed: 30
 * were the Switcher saving and restoring all fifteen of the Guest's registers
 * and six of the Host's, the rest C deciding, at length, that there was
 * nothing to do. A hypercall arrives here as an invalid-opcode fault (H:505),
 * so the Switcher itself can ask the questions before anything is saved:
 *
 * 1. Is the call `LHCALL_NOP`, a call whose whole work is to return 0 (or
 *    `LHCALL_SET_CLOCKEVENT`, whose work is three instructions, S:237)?
 * 2. Is it made from a place where the Host has seen that very call made,
 *    so that this fault is the hypercall and not some other invalid opcode?
 * 3. Is there nothing else for the Host to do on the way back: no interrupt
 *    pending in the shared page, no lockup being watched (H:885), and no
 *    call queued in the Guest's ring (H:670)?
 *
 * The first two versions of this path asked them one at a time, and each
 * question was a few loads: the frame's `%rip` against the remembered one,
 * the two bytes behind it against `cd 1f`, the pending word, the ring's count
 * against the Host's. Seventeen instructions, nine of them touching memory,
 * and on this machine an instruction that touches memory is what costs
 * (H:907): the probes said the path could not come near the goal of 1.5 bare
 * traps that way. So this version asks all three questions with one
 * comparison. We fold the call number and the place into one word, the
 * *key*: `%rax` rotated right by sixteen bits, which puts a call number's
 * sixteen bits at the top, exclusive-or the frame's `%rip`. The Host keeps,
 * in `lg_fast`, the key of the last null hypercall it answered in C, but only
 * while nothing waits; when something does, it keeps `~0` there instead, a
 * key no call can have (S:237). If the fault's key equals the Host's, all
 * three answers are yes: `%rax` becomes the answer 0 by the very exclusive-or
 * that compares (a match leaves nothing), `%rip` steps over the two bytes,
 * and `iretq`. Five instructions and the `iretq`, where the last version took
 * sixteen, and three of them touch memory.
 *
 * The Guest's ring is the one thing the Host cannot watch from here: the
 * Guest queues its calls at ring 3 without a trap, after the Host last wrote
 * the key. So the Guest says so itself. A Guest whose ring holds calls sets
 * `LHCALL_RING_HELD` in `%rax` on every hypercall (G:230); the flag changes
 * the key, the match fails, and the call goes to C, which runs the ring
 * (H:670) and takes the flag off before it looks at the number. A Guest that
 * leaves the flag off with calls queued only delays its own calls to its next
 * hypercall that reaches C.
 *
 * If the key does not match, the next question is the clock event's key
 * (S:237), and then the fault is put back as it came: the same two
 * instructions undone. From there the path is the second version's: if the
 * `%rip` is a hypercall instruction the Host recognised lately, it goes to the
 * Host as vector `LG_HCALL_VECTOR` with `%rip` already past it, as on hardware
 * KVM, so that C skips its own decoding; otherwise it is an ordinary `#UD`,
 * and goes the ordinary way. The Guest's `%rax` is our only scratch register
 * until then. :*/
	/*S:237, continued :*/
		.macro recognised fail
		cmp lg_fast+LG_FAST_RIP(%rip), %rax
		je 6f
		cmp lg_fast+LG_FAST_RIP2(%rip), %rax
		jne \fail
		mov lg_fast+LG_FAST_INSN2(%rip), %rax
		jmp 7f
	6:	mov lg_fast+LG_FAST_INSN(%rip), %rax
	7:	cmpw $(0xcd | LG_HCALL_VECTOR << 8), (%rax)
		jne \fail
		.endm
	/*:*/
	.globl lg_hcall_entry
lg_hcall_entry:
	/*S:237 One comparison.
	 * The key of a call made from `rip` with number `nr` is `rip` exclusive-or
	 * `nr` shifted left by 48 bits, for any number below 2^16^, which is what
	 * rotating `%rax` computes. A
	 * match leaves `%rax` zero, the answer; a mismatch leaves it the key's
	 * exclusive-or with the Host's, which the next instruction takes back. :*/
	ror $16, %rax
	xor (%rsp), %rax
	xor lg_fast+LG_FAST_NOP_KEY(%rip), %rax
	jnz 1f
	addq $2, (%rsp)
	iretq
	/*:*/
1:	xor lg_fast+LG_FAST_NOP_KEY(%rip), %rax
	cmp lg_fast+LG_FAST_CLOCK_KEY(%rip), %rax
	je 20f
	xor (%rsp), %rax
	rol $16, %rax
4:	push %rax
	mov 8(%rsp), %rax
	recognised 2f
	pop %rax
	addq $2, (%rsp)
	push $0
	push $LG_HCALL_VECTOR
	jmp lg_trap_common
2:	pop %rax
	push $0
	push $6
	jmp lg_trap_common
20:
	/*S:237, continued :*/
	push %rcx
	push %rdx
	mov lg_fast+LG_FAST_CLOCK(%rip), %rcx
	rdtsc
	shl $32, %rdx
	or %rdx, %rax
	mov %rdi, %rdx
	sub %rax, %rdx
	jbe 23f
	cmp lg_fast+LG_FAST_CLOCK_AHEAD(%rip), %rdx
	ja 22f
	23:
	mov %rdi, (%rcx)
	mov $MSR_TSC_DEADLINE, %ecx
	mov %rdi, %rax
	mov %rdi, %rdx
	shr $32, %rdx
	wrmsr
	pop %rdx
	pop %rcx
	xor %eax, %eax
	addq $2, (%rsp)
	iretq
	22:	pop %rdx
	pop %rcx
	mov $LHCALL_SET_CLOCKEVENT, %eax
	jmp 4b
	/*:*/
/*:*/
/*S:257 A fast path for a fill.
 * With the hypercall's side door in place, a page fault the Host fills was
 * the commonest trap still going the long way: 149 instructions after H:627,
 * of which the fill itself is some sixty and the rest the crossing into C and
 * back. The fill beside the last fill needs none of C: the Host left the
 * Guest's lowest table, the shadow's, what the upper levels allow and the
 * window's bounds in `lg_fast`, so the Switcher can do in assembly exactly
 * what `shadow_fill_recent` does, with four scratch registers saved on the
 * trap stack, and `iretq` straight back. Gate 14 comes here; anything this
 * path declines goes on to the ordinary stub's work, `push $14` and the common
 * path, where C decides everything again from the start. The path declines:
 *
 * 1. a fault from ring 0 (the Host's own: S:300);
 * 2. an address outside the region of the Host's last 4 KiB fill;
 * 3. the same address and error code as the last fault this path looked at
 *    (a fault the fill did not cure: C kills for it, H:620);
 * 4. a Guest entry not present, or naming a frame outside the RAM window (a
 *    device page, or a broken rule);
 * 5. a write the Guest's levels do not allow, or an instruction fetch they
 *    forbid.
 *
 * The rest is the CPU's work done for it: the accessed bit, and on a write the
 * dirty bit, set in the Guest's entry; the shadow's entry made of the frame,
 * present and user, writable only if every level allows it and the page is
 * dirty, no-execute if any level says so. :*/
	.globl lg_pf_entry
lg_pf_entry:
	testb $3, 16(%rsp)
	jz 9f
	push %rax
	push %rcx
	push %rdx
	push %rbx
	/*S:267 The fill, step by step.
	 * On the stack are the four saved registers, then the error code at 32 and the
	 * CPU's frame above it. The region is the address's number of 2 MiB, as C
	 * keeps it; the entry's index in its table is bits 12 to 20.
	 *
	 * The last fault this path looked at is remembered as one word, its address
	 * XORed with its error code, and written before anything else is decided. A
	 * fault with the same address and error code gives the same word, so a fill
	 * that did not cure its fault is never made twice here; it goes to C, whose
	 * own memory of the last fill is exact and kills (H:620). Two different faults
	 * can give the same word too, since the error code's bits fall among the
	 * address's low ones; then the second merely goes the long way. The first
	 * version kept the address and the error code in two words, compared them in
	 * two steps and stored them in four: one word is two instructions and two
	 * memory operands fewer, and on this machine memory operands are what cost
	 * (H:907). :*/
	mov %cr2, %rax
	mov %rax, %rcx
	shr $21, %rcx
	cmp lg_fast+LG_FAST_REGION(%rip), %rcx
	jne 8f
	mov 32(%rsp), %rbx
	xor %rax, %rbx
	cmp lg_fast+LG_FAST_LAST_KEY(%rip), %rbx
	je 8f
	mov %rbx, lg_fast+LG_FAST_LAST_KEY(%rip)
	shr $12, %rax
	and $511, %eax
	/*:*/
	/*S:267, continued :*/
	mov lg_fast+LG_FAST_GPT(%rip), %rcx
	mov (%rcx,%rax,8), %rdx
	test $PTE_P, %dl
	jz 8f
	movabs $PTE_ADDR, %rbx
	and %rdx, %rbx
	cmp lg_fast+LG_FAST_MEM_START(%rip), %rbx
	jb 8f
	cmp lg_fast+LG_FAST_MEM_END(%rip), %rbx
	jae 8f
	/*:*/
	/*S:267, continued :*/
	or $PTE_A, %rdx
	or $(PTE_P | PTE_U), %rbx
	testb $PF_WRITE, 32(%rsp)
	jz 2f
	test lg_fast+LG_FAST_UP_W(%rip), %rdx
	jz 8f
	or $PTE_D, %rdx
	or $PTE_W, %rbx
	3:
	/*:*/
	/*S:267, continued :*/
	mov %rdx, (%rcx,%rax,8)
	bt $63, %rdx
	jc 5f
	cmpq $0, lg_fast+LG_FAST_UP_NX(%rip)
	je 6f
	5:	bts $63, %rbx
	6:	mov lg_fast+LG_FAST_SPT(%rip), %rcx
	mov %rbx, (%rcx,%rax,8)
	/*:*/
	pop %rbx
	pop %rdx
	pop %rcx
	pop %rax
	add $8, %rsp
	iretq
	/*S:267, continued :*/
	2:	testb $PF_FETCH, 32(%rsp)
	jz 4f
	bt $63, %rdx
	jc 8f
	cmpq $0, lg_fast+LG_FAST_UP_NX(%rip)
	jne 8f
	4:	test lg_fast+LG_FAST_UP_W(%rip), %rdx
	jz 3b
	test $PTE_D, %dl
	jz 3b
	or $PTE_W, %rbx
	jmp 3b
	/*:*/
8:	pop %rbx
	pop %rdx
	pop %rcx
	pop %rax
9:	push $14
	jmp lg_trap_common
/*:*/
/*S:210 The common path.
 * Every trap from the Guest now has the same seven words on the stack:
 * vector, error code, and the CPU's five. The common code first asks whether
 * the trap came from the Guest at all: the saved `%cs` (24 bytes up) has
 * privilege level 3 if it did. A trap from ring 0 is the Host's own fault,
 * taken on the Host's own stack, and must not be mistaken for the Guest's.
 *
 * For the Guest's trap we push the nine general registers a C function may
 * change, step over the slots of the six it may not (H:455), which completes
 * the `struct lg_regs`, and call the Host's C code, `lg_guest_trapped`
 * (H:450), right there: the stack below the structure is the Host's stack. The stack
 * pointer is the structure's address, a multiple of 16, so the call lands
 * aligned as C expects. When the function returns, the Guest's registers are
 * whatever the Host made of them, and the way back to the Guest is the way in
 * (S:100). Interrupts stay off throughout: the gates are interrupt gates.
 *
 * The first version of this book returned to the Host instead, as if
 * `lg_switch_to_guest` were an ordinary function that took a long time: it
 * saved the Host's six callee-saved registers and its stack pointer on the way
 * in and restored them on the way out, so that the run loop could be a C
 * `for` loop. Counted (S:307), that was fourteen instructions of every trap
 * spent on registers the Host did not need. The second version still saved
 * all fifteen of the Guest's, and six of them were the same waste the other
 * way round: `%rbx`, `%rbp` and `%r12` to `%r15` are what the C calling
 * convention obliges `lg_guest_trapped` to give back unchanged, and no C in
 * the Host ever looks at them in the structure. Left in the CPU, they cost
 * nothing; saved and restored, they were twelve pushes and pops on every trap
 * that reaches C, and a push or a pop is among the dearest instructions this
 * machine emulates (H:907). :*/
lg_trap_common:
	testb $3, 24(%rsp)
	jz host_trap
	/*S:220 Pushing them.
	 * The mirror image of the pops: `%rax` first, `%r11` last. :*/
	push %rax
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %r8
	push %r9
	push %r10
	push %r11
	/*:*/
	sub $48, %rsp
	call lg_guest_trapped
	jmp lg_return_to_guest
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
