/* Tangled from chapters/40-host.nw, chapters/42-host-interrupts.nw and
 * chapters/50-switcher.nw
 * by `make tangle`: edit the chapters, not this file. */
/*H:100 The Host's address space.
 * Every address space the Host ever uses, its own at boot and the Guest's later,
 * has the Host in its last top-level slot, PML4 slot 511: the top 512 GiB of
 * the 64-bit address space. In that slot live two views of physical memory.
 * At its bottom, `0xffffff8000000000`, is the *direct map*: physical address
 * `p` appears at `HOST_DIRECT_MAP + p`, for the first 4 GiB. Near its top,
 * `0xffffffff80000000`, is where we link the Host, exactly as Linux links
 * itself, so that the compiler's `-mcmodel=kernel` can reach every Host symbol
 * with a 32-bit signed address. The Host is loaded at physical 1 MiB, so its
 * first byte is at `HOST_KBASE + 1 MiB`. These numbers are needed by assembly
 * and C alike, so they sit in a header with nothing but `#define`s in it. :*/
/* The Host's memory layout and machine constants, for C and assembly. */
#ifndef HOST_LAYOUT_H
#define HOST_LAYOUT_H

#include "paging.h"

#define HOST_KBASE           0xffffffff80000000
#define HOST_DIRECT_MAP      0xffffff8000000000
#define HOST_DIRECT_MAP_SIZE 0x100000000
#define HOST_LOAD_ADDR       0x100000
#define HOST_PML4_SLOT       511
#define HOST_STACK_SIZE      16384

/*H:105 The Host's segments.
 * Long mode mostly ignores segments, but not entirely: the code segment still
 * decides between 64-bit and 32-bit code and carries the current privilege
 * level, and the stack segment a trap pushes is checked. We need a code and a
 * data segment for ring 0, the same pair for ring 3 (the low two bits of a
 * selector are its requested privilege level, hence the `3`s), and the
 * descriptor of the task-state segment, which tells the CPU where the ring-0
 * stack is when a trap arrives from ring 3. :*/
#define SEL_KERNEL_CS   0x08
#define SEL_KERNEL_DS   0x10
#define SEL_USER_DS     0x1b
#define SEL_USER_CS     0x23
#define SEL_TSS         0x28
#define HOST_GDT_ENTRIES 7
/*:*/
/*H:225, continued :*/
#define LG_TRAP_STUB_SIZE 16
/*:*/
/*H:835, continued :*/
#define LG_IRQ_STUB_SIZE   32
#define LG_VECTOR_TIMER    32     /* LG_IRQ_VECTOR_BASE + LG_IRQ_TIMER */
#define LG_VECTOR_SPURIOUS 0xff
/*:*/
/*S:247, continued :*/
#define LG_FAST_RIP     0
#define LG_FAST_INSN    8
#define LG_FAST_NOP_KEY 16
#define LG_FAST_CLOCK   24
#define LG_FAST_CLOCK_KEY 32
#define LG_FAST_RIP2    40
#define LG_FAST_INSN2   48
#define LG_FAST_MEM_START  56
#define LG_FAST_MEM_END    64
#define LG_FAST_LAST_KEY   72
#define LG_FAST_REGION     80
#define LG_FAST_GPT        88
#define LG_FAST_SPT        96
#define LG_FAST_UP_W       104
#define LG_FAST_UP_NX      112
#define LG_FAST_CLOCK_AHEAD 120
#define MSR_TSC_DEADLINE   0x6e0
/*:*/
/*H:110 Bits of the machine.
 * The few architectural bits we set by hand get names here. The page-table
 * bits are not among them: the Guest writes page-table entries and the Host
 * reads them, so those bits are shared, in `include/paging.h` (G:631), which
 * this header includes for assembly and C alike. An entry is present (`P`),
 * writable (`W`), reachable from ring 3 (`U`) and, in a page directory, may map
 * a whole 2 MiB page (`PS`). :*/
#define CR0_PE   0x00000001
#define CR0_WP   0x00010000
#define CR0_PG   0x80000000
#define CR4_PAE  0x00000020
#define MSR_EFER 0xc0000080
#define EFER_LME 0x00000100
#define EFER_NXE 0x00000800
/*:*/
/*H:460, continued :*/
#define X86_FLAGS_FIXED  0x002
#define X86_FLAGS_TF     0x100
#define X86_FLAGS_IF     0x200
/*:*/

#endif
/*:*/
