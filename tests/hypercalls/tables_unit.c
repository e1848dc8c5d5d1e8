/*
 * The Host's descriptor tables (chapter 40, H:215 to H:225), built by
 * host/segments.c in a Linux program and read back as the processor would
 * read them.  This machine's KVM does not check everything a processor
 * does (an int3 from ring 3 arrives whatever its gate says), so here we
 * check the tables themselves: the task-state segment's descriptor names
 * the segment, ends where it does, and leaves no I/O bitmap; every gate
 * leads to its own stub at ring 0, and only int3, into and the hypercall
 * vector may be raised from ring 3 with `int`.
 */
#include "host/segments.c"
#define HARNESS_PREFIX "host-tables-"
#include "../harness.h"

const char lg_trap_stubs[256 * LG_TRAP_STUB_SIZE];
void lg_hcall_entry(void) {}
void lg_pf_entry(void) {}

static void check_tss(void)
{
	u64 low = host_gdt[SEL_TSS / 8], high = host_gdt[SEL_TSS / 8 + 1];
	u64 limit = (low & 0xffff) | (low >> 48 & 0xf) << 16;
	u64 base = (low >> 16 & 0xffffff) | (low >> 56 & 0xff) << 24 | (high & 0xffffffff) << 32;

	expect("tss-type", (low >> 40 & 0xff) == 0x89 && (high >> 40 & 0x1f) == 0);
	expect("tss-base", base == (u64)&host_tss);
	expect("tss-limit", limit == sizeof(host_tss) - 1);
	expect("tss-no-io-bitmap", host_tss.iopb_offset > limit);
}

static void check_idt(void)
{
	int stubs = 1, ring0 = 1, open = 1;

	for (int v = 0; v < 256; v++) {
		const struct idt_gate *g = &host_idt[v];
		u64 at = g->offset_low | (u64)g->offset_mid << 16 | (u64)g->offset_high << 32;
		u64 want = (u64)lg_trap_stubs + v * LG_TRAP_STUB_SIZE;
		int user = v == 3 || v == 4 || v == LG_HCALL_VECTOR;

		if (v == 6)
			want = (u64)lg_hcall_entry;
		if (v == 14)
			want = (u64)lg_pf_entry;
		stubs &= at == want;
		ring0 &= g->selector == SEL_KERNEL_CS && g->ist == 0 && (g->type & 0x9f) == 0x8e;
		open &= (g->type >> 5 & 3) == (user ? 3 : 0);
	}
	expect("idt-stubs", stubs);
	expect("idt-ring0-interrupt-gates", ring0);
	expect("idt-open-to-ring3-only-3-4-0x1f", open);
}

int main(void)
{
	tss_init();
	idt_init();
	check_tss();
	check_idt();
	return harness_done("host-tables");
}
