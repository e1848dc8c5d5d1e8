/* Tangled from chapters/11-guest-memory.nw by `make tangle`: edit the chapter, not this file. */
/*G:700 Page tables of our own.
 * Now the tables. Each is a page from the allocator; an entry holds the
 * Guest-physical address of the next table, or of the page it maps, and the
 * usual x86-64 bits. We set `P`, `W`, `A`, `D`, `PS` and `NX`; the Host gives
 * every Guest mapping the user bit itself (the Guest runs at ring 3, so all of
 * its mappings must be reachable from ring 3), and it ignores the caching bits
 * and the global bit. Setting `A` and `D` ourselves on the kernel's own mappings
 * spares the Host from tracking them there: it shadows a page whose dirty bit
 * is clear as read-only, to learn of the first write (see *Shadow page tables*). :*/
/* The Guest's page tables: built in its own RAM, announced to the Host. */
#include "guest.h"

u64 *kernel_root;
static int lazy;

static inline int pt_index(u64 va, int level)
{
	return (va >> (12 + 9 * level)) & 511;
}

/*G:710 Queueing a hypercall.
 * Outside lazy mode a call is made at once. Inside, it goes into the next slot
 * of the ring; only when the ring is full do we trap, with a flush, to empty
 * it. The compiler must not move the store of the counter before the stores of
 * the call, so a barrier sits between them. (There is one CPU and the Host
 * reads the ring only when we trap, so the barrier is for the compiler alone.) :*/
void hcall_async(u64 nr, u64 a1, u64 a2, u64 a3)
{
	struct lg_shared_page *sp = guest_shared;
	struct lg_async_call *c;

	if (!lazy) {
		hcall(nr, a1, a2, a3);
		return;
	}
	if (sp->async_queued - sp->async_done >= LG_ASYNC_RING_SIZE)
		hcall(LHCALL_FLUSH_ASYNC, 0, 0, 0);
	c = &sp->async[sp->async_queued % LG_ASYNC_RING_SIZE];
	c->nr = nr, c->arg1 = a1, c->arg2 = a2, c->arg3 = a3;
	asm volatile("" : : : "memory");
	sp->async_queued++;
}
/*:*/
/*G:715 Lazy mode.
 * Lazy mode is a bracket: whatever is queued inside it has reached the Host by
 * the time `lazy_end` returns. That is the guarantee callers rely on, for
 * example before they touch a page whose mapping they have just changed. :*/
void lazy_begin(void)
{
	lazy = 1;
}

void lazy_end(void)
{
	lazy = 0;
	hcall(LHCALL_FLUSH_ASYNC, 0, 0, 0);
}
/*:*/
/*G:720 Setting an entry.
 * Every entry the Guest writes it announces, with the level and an address the
 * entry helps to translate. That is the rule the Host relies on to keep its
 * shadows true: it shadows what it reads from our tables, and it learns that
 * what it read has changed only from us. One subtlety: a table reachable at two
 * addresses (our alias below shares the kernel's tables) is changed at
 * both, and the announcement names one; changes there must be announced at
 * each address, or followed by `LHCALL_FLUSH_ALL`. :*/
void pt_set(u64 *entry, u64 va, u64 value, int level)
{
	*entry = value;
	hcall_async(LHCALL_SET_PTE + level, va, value, 0);
}
/*:*/
/*G:730 Walking our own tables.
 * To find the entry for an address at some level we walk down from the root,
 * making any missing table on the way if asked to. A new table is a zeroed
 * page, and its entry above is set like any other, announced. The walk stops at
 * a large page: there is no table below it to find. :*/
u64 *pt_entry(u64 *root, u64 va, int level, int make)
{
	u64 *table = root;

	for (int l = 3; l > level; l--) {
		u64 *e = &table[pt_index(va, l)];
		void *next;

		if (!(*e & PTE_P)) {
			if (!make || !(next = page_alloc()))
				return NULL;
			pt_set(e, va, guest_pa(next) | PTE_P | PTE_W, l);
		}
		if (*e & PTE_PS)
			return NULL;
		table = guest_va(*e & PTE_ADDR);
	}
	return &table[pt_index(va, level)];
}
/*:*/
/*G:740 Mapping a page.
 * Mapping and unmapping are then one entry each. Unmapping announces the now
 * empty entry, which is all the Host needs to forget the page; a Guest that
 * wanted to be lazier could queue many unmappings and flush once. :*/
int pt_map(u64 *root, u64 va, u64 pa, u64 flags)
{
	u64 *e = pt_entry(root, va, 0, 1);

	if (!e)
		return 0;
	pt_set(e, va, pa | flags | PTE_P, 0);
	return 1;
}

void pt_unmap(u64 *root, u64 va)
{
	u64 *e = pt_entry(root, va, 0, 0);

	if (e && (*e & PTE_P))
		pt_set(e, va, 0, 0);
}
/*:*/
/*M:620 Freeing an address space.
 * The address spaces made next, and their tables, are never freed: the test of
 * G:775 makes six and keeps them all. Freeing a root safely needs one more rule:
 * the Host may still hold a shadow of that page, and if the page came back as
 * somebody else's root, the Host would find the old shadow and trust it. A Guest
 * that frees a root must therefore flush (`LHCALL_FLUSH_ALL`), or better, a
 * hypercall could tell the Host to drop the one shadow. */
/*G:750 More than one address space.
 * A kernel with processes has one address space per process, all sharing the
 * kernel's part. Ours is two top-level slots, the window and its alias, and a
 * new root starts as a copy of those two entries of the kernel root, so it
 * shares the kernel's lower tables; each copy is announced like any other
 * entry. Everything else in a new root is its own. The address an announcement carries for
 * slot `i` is the first address the slot translates, `i` times 512 GiB; but
 * from slot 256 on, an x86-64 address must be *canonical*, its top 17 bits all
 * equal, and the Host refuses any other. So `pt_slot_address` shifts the slot
 * number to the top of a word and back down arithmetically, which copies bit
 * 47 into the bits above it. Switching is one hypercall, our `mov` to `%cr3`.
 * The Host keeps shadows of the last few roots, so switching back to one
 * recently used is cheap: its shadow is still filled. :*/
static u64 pt_slot_address(int slot)
{
	s64 top = (s64)((u64)slot << 55);

	return (u64)(top >> 16);
}

u64 *pt_new_root(void)
{
	u64 *root = page_alloc();

	if (!root)
		return NULL;
	for (int n = 0; n < 2; n++) {
		int i = pt_index(n ? GUEST_ALIAS : 0, 3);

		pt_set(&root[i], pt_slot_address(i), kernel_root[i], 3);
	}
	return root;
}

void pt_switch(u64 *root)
{
	hcall(LHCALL_NEW_PGTABLE, guest_pa(root), 0, 0);
}
/*:*/
/*G:760 The kernel's tables.
 * The kernel's own address space maps the window one to one, with 2 MiB pages
 * (so that the Host's shadows need few entries and few faults), and maps it a
 * second time, at `0x7f8000000000`, by pointing a second top-level slot, the
 * last of the lower half, at the same table below. Linux would put such an
 * alias in the upper half, above `0xffff800000000000`, and so did our first
 * try; but on this book's nested KVM, code at ring 3 can never reach an
 * upper-half address: the access faults, the Host fills the shadow, and the
 * access faults again, forever. The lower half works everywhere. The window's ends are 2 MiB aligned; the Host
 * promises that, and we check it rather than trust it. All of it is queued
 * and handed over in one trap, and then the root goes to the Host, which from
 * that moment runs us on its shadow of it. :*/
void paging_init(const struct lg_boot_info *bi)
{
	u64 start = bi->ram_start, end = start + bi->ram_size;
	u64 pml4e;

	if ((start | end) & (LARGE_PAGE - 1))
		guest_panic("RAM window 0x%llx-0x%llx is not 2 MiB aligned", start, end);
	kernel_root = page_alloc();
	lazy_begin();
	for (u64 pa = start; pa < end; pa += LARGE_PAGE)
		pt_set(pt_entry(kernel_root, pa, 1, 1), pa,
		       pa | PTE_P | PTE_W | PTE_A | PTE_D | PTE_PS, 1);
	pml4e = kernel_root[0];
	pt_set(&kernel_root[pt_index(GUEST_ALIAS, 3)], GUEST_ALIAS, pml4e, 3);
	lazy_end();
	pt_switch(kernel_root);
}
/*:*/
/*:*/
