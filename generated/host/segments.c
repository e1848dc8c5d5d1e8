/* Tangled from chapters/40-host.nw and chapters/42-host-interrupts.nw
 * by `make tangle`: edit the chapters, not this file. */
/*H:215 The Host's tables.
 * The global descriptor table is a short array of constants. Each 8-byte
 * descriptor packs a base, a limit, a type and a privilege level in an order only
 * history can explain; for 64-bit code only the type, the privilege level (bits
 * 45-46) and the long-mode bit (53) matter, and for data only the type and the
 * privilege level. The task-state segment's descriptor is 16 bytes and holds an
 * address, so it is filled in at run time. :*/
/* The Host's descriptor tables: GDT, TSS and IDT. */
#include "host.h"

u64 host_gdt[HOST_GDT_ENTRIES] __attribute__((aligned(16))) = {
	0,
	0x00af9a000000ffff,	/* SEL_KERNEL_CS: 64-bit code, ring 0 */
	0x00cf92000000ffff,	/* SEL_KERNEL_DS: data, ring 0 */
	0x00cff2000000ffff,	/* SEL_USER_DS: data, ring 3 */
	0x00affa000000ffff,	/* SEL_USER_CS: 64-bit code, ring 3 */
	0, 0,			/* SEL_TSS: filled by segments_init() */
};

/*H:220 The task-state segment.
 * In 64-bit mode the task-state segment no longer switches tasks; what is left
 * of it is a list of stack pointers. The one we need is `rsp0`: when a trap
 * arrives from ring 3, the CPU loads `%rsp` from it *before* pushing anything.
 * That is how the Guest's registers will end up in a place of the Host's
 * choosing, as *The Switcher* explains. The structure ends with the offset of
 * the I/O permission bitmap; pointing it past the end of the segment means
 * there is no bitmap, so every port instruction at ring 3 faults. The Guest
 * does not talk to ports. :*/
struct tss {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3;
	u16 iopb_offset;
} __attribute__((packed));

static struct tss host_tss __attribute__((aligned(16)));

static void tss_init(void)
{
	u64 base = (u64)&host_tss;
	u64 low = (sizeof(host_tss) - 1) | (0x89ULL << 40) | ((base & 0xffffff) << 16);

	low |= (base >> 24 & 0xff) << 56;
	host_tss.iopb_offset = sizeof(host_tss);
	host_gdt[SEL_TSS / 8] = low;
	host_gdt[SEL_TSS / 8 + 1] = base >> 32;
}

void segments_set_trap_stack(u64 top)
{
	host_tss.rsp[0] = top;
}
/*:*/
/*H:225 The interrupt descriptor table.
 * Each of the 256 vectors gets a gate pointing at its own small entry stub in
 * the Switcher (`lg_trap_stubs`, 16 bytes apart). We use interrupt gates
 * (type `0xe`), which clear the interrupt flag on entry: the Host always runs
 * with interrupts off. A gate's privilege level says who may reach it with an
 * `int` instruction. Three vectors are open to ring 3: the breakpoint, which
 * `int3` raises, the overflow trap, and `LG_HCALL_VECTOR`, the hypercall. The
 * rest can only arrive as exceptions or interrupts. (The nested KVM this book
 * was written on does not look at the level for `int3`: a breakpoint from ring
 * 3 arrives as vector 3 even through a gate closed to it, where a real
 * processor raises a general-protection fault. So a gate closed by mistake
 * passes every boot test here; `tests/hypercalls/tables_unit.c` reads the
 * table back instead.) :*/
struct idt_gate {
	u16 offset_low;
	u16 selector;
	u8 ist;
	u8 type;
	u16 offset_mid;
	u32 offset_high;
	u32 reserved;
};

static struct idt_gate host_idt[256] __attribute__((aligned(16)));
extern const char lg_trap_stubs[];

static void idt_init(void)
{
	for (int v = 0; v < 256; v++) {
		u64 stub = (u64)lg_trap_stubs + v * LG_TRAP_STUB_SIZE;

		if (v == 6)
			stub = (u64)lg_hcall_entry;	/* S:227 */
		if (v == 14)
			stub = (u64)lg_pf_entry;	/* S:257 */
		int user = v == 3 || v == 4 || v == LG_HCALL_VECTOR;

		host_idt[v].offset_low = stub;
		host_idt[v].selector = SEL_KERNEL_CS;
		host_idt[v].type = user ? 0xee : 0x8e;
		host_idt[v].offset_mid = stub >> 16;
		host_idt[v].offset_high = stub >> 32;
	}
}
/*:*/
/*H:845 Setting a gate.
 * The interrupt table is private to the Host's tables (H:225); this one
 * function lets other parts of the Host point a vector somewhere else, as an
 * interrupt gate that ring 3 may or may not reach with an `int` instruction. :*/

void idt_set_gate(int v, const void *handler, int user)
{
	u64 a = (u64)handler;

	host_idt[v].offset_low = a;
	host_idt[v].offset_mid = a >> 16;
	host_idt[v].offset_high = a >> 32;
	host_idt[v].type = user ? 0xee : 0x8e;
}
/*:*/
/*H:230 Loading the tables.
 * `lgdt` and `lidt` take a 10-byte operand, a limit and a base. Reloading the
 * GDT at its virtual address matters: the physical one the boot code loaded
 * lives in the identity map, which the Guest's address space will not have.
 * `ltr` loads the task register; it marks the TSS descriptor busy, which is
 * why it happens only once. :*/
struct desc_ptr {
	u16 limit;
	u64 base;
} __attribute__((packed));

void segments_init(void)
{
	struct desc_ptr gdt = { sizeof(host_gdt) - 1, (u64)host_gdt };
	struct desc_ptr idt = { sizeof(host_idt) - 1, (u64)host_idt };

	tss_init();
	idt_init();
	asm volatile("lgdt %0" : : "m"(gdt));
	asm volatile("lidt %0" : : "m"(idt));
	asm volatile("ltr %w0" : : "r"(SEL_TSS));
}
/*:*/
/*:*/
