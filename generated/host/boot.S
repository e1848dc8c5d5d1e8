/* Tangled from chapters/40-host.nw by `make tangle`: edit the chapter, not this file. */
/*H:120 The PVH note.
 * How does a loader know where to enter? PVH borrows Xen's answer: an ELF note,
 * named `Xen`, of type 18 (`XEN_ELFNOTE_PHYS32_ENTRY`), whose payload is the
 * physical address of a 32-bit entry point. A note is a header of three words
 * (the sizes of the name and of the payload, and the type), then the name and
 * the payload, each padded to four bytes. We give the address as eight bytes,
 * as Linux does for 64-bit images; QEMU reads eight from a 64-bit ELF, and our
 * Launcher accepts four or eight. :*/
/* The Host's first instructions: from PVH's 32-bit entry to long mode. */
#include "layout.h"

#define PHYS(sym) ((sym) - HOST_KBASE)

	.section .note.Xen, "a", @note
	.balign 4
	.long 4, 8, 18
	.asciz "Xen"
	.balign 4
	.quad PHYS(pvh_start)
	.balign 4

/*H:125 The 32-bit entry.
 * A PVH loader starts us in 32-bit protected mode with paging off, flat
 * segments, interrupts off, and `%ebx` pointing at the `hvm_start_info`
 * structure that describes the machine. There is no stack. We have five things
 * to do before we are a 64-bit program: load a descriptor table that has a
 * 64-bit code segment, turn on physical-address extension (long mode's page
 * tables need it), point `%cr3` at page tables, set the long-mode-enable bit in
 * the `EFER` register, and turn on paging. The CPU is then in long mode but
 * still running 32-bit code; a far jump to the 64-bit code segment finishes the
 * change.
 *
 * Every address here is physical, because nothing is mapped yet: `PHYS()`
 * subtracts `HOST_KBASE` from a symbol. We keep `hvm_start_info`'s address in
 * `%esi`, which nothing below touches. :*/
	.section .text.boot, "ax"
	.code32
	.globl pvh_start
pvh_start:
	cli
	movl %ebx, %esi
	lgdt PHYS(boot_gdt_desc)
	movl $SEL_KERNEL_DS, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %cr4, %eax
	orl $CR4_PAE, %eax
	movl %eax, %cr4
	movl $PHYS(host_pml4), %eax
	movl %eax, %cr3
	/*H:130 EFER.
	 * `EFER` is a model-specific register, read and written whole through
	 * `%edx:%eax`. Besides long mode we enable the no-execute bit in page-table
	 * entries, which later chapters will want for the Guest's data pages. :*/
	movl $MSR_EFER, %ecx
	rdmsr
	orl $(EFER_LME | EFER_NXE), %eax
	wrmsr
	/*:*/
	movl %cr0, %eax
	orl $(CR0_PG | CR0_WP | CR0_PE), %eax
	movl %eax, %cr0
	ljmp $SEL_KERNEL_CS, $PHYS(long_mode_low)
/*:*/
/*H:135 Up to the Host's own addresses.
 * The far jump lands at `long_mode_low`, a physical address that the boot page
 * tables map to itself. From there an absolute jump through a register takes
 * us to the same code's link address in slot 511. We give ourselves a stack,
 * pass `hvm_start_info`'s physical address as the first argument (a 32-bit move
 * also clears the top half of `%rdi`), and call C. `host_main` never returns. :*/
	.code64
long_mode_low:
	movabs $long_mode_high, %rax
	jmp *%rax
long_mode_high:
	movabs $host_boot_stack_top, %rsp
	movl %esi, %edi
	call host_main
	ud2
/*:*/
/*H:130, continued :*/
	.section .rodata
boot_gdt_desc:
	.word HOST_GDT_ENTRIES * 8 - 1
	.long PHYS(host_gdt)
/*:*/
/*H:140 The boot page tables.
 * The first page tables are built by the assembler, not by code: on a machine
 * where every ring-0 instruction is emulated, a loop filling 2048 entries would
 * cost a millisecond, while a table of constants costs nothing. One page
 * directory array, `host_pd`, maps the first 4 GiB of physical memory with
 * 2 MiB pages. The page-directory-pointer table `host_pdpt` uses its first four
 * entries for that (the direct map) and its entry 510 for the first gigabyte
 * again, which is where `HOST_KBASE` points. The top-level table `host_pml4`
 * puts `host_pdpt` in slot 511 and, for the jump above only, in slot 0 as
 * well, so that low addresses are themselves. None of these entries has the
 * `U` bit: ring 3 can never use them. :*/
	.section .data
	.balign PAGE_SIZE
	.globl host_pml4, host_pdpt
host_pml4:
	.quad PHYS(host_pdpt) + PTE_P + PTE_W
	.fill 510, 8, 0
	.quad PHYS(host_pdpt) + PTE_P + PTE_W
host_pdpt:
	.quad PHYS(host_pd) + PTE_P + PTE_W
	.quad PHYS(host_pd) + PAGE_SIZE + PTE_P + PTE_W
	.quad PHYS(host_pd) + 0x2000 + PTE_P + PTE_W
	.quad PHYS(host_pd) + 0x3000 + PTE_P + PTE_W
	.fill 505, 8, 0
	.quad PHYS(probe_alias_pd) + PTE_P + PTE_W
	.quad PHYS(host_pd) + PTE_P + PTE_W
	.quad 0
host_pd:
	.set addr, 0
	.rept 2048
	.quad addr + PTE_P + PTE_W + PTE_PS
	.set addr, addr + 0x200000
	.endr
/*:*/
/*H:135, continued :*/
	.section .bss
	.balign 16
host_boot_stack:
	.skip HOST_STACK_SIZE
	.globl host_boot_stack_top
host_boot_stack_top:
	.section .note.GNU-stack, "", @progbits
/*:*/
/*:*/
