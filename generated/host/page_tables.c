/* Tangled from chapters/40-host.nw by `make tangle`: edit the chapter, not this file. */
/*H:350 The Guest's page tables.
 * The Guest runs in an address space of the Host's making. In lguest the Guest
 * kept its own page tables and the Host built *shadow* tables from them, entry by
 * entry, checking each; that is the subject of *Shadow page tables*. For the first
 * boot we do something much simpler, which the shadow tables will replace
 * without disturbing anything else: the Host builds one table itself. It maps
 * the window one to one (Guest-virtual address = Guest-physical address) with
 * 2 MiB pages that ring 3 may read, write and run, and nothing else below slot
 * 511. Slot 511 is the Host's: the same `host_pdpt` as in the Host's own table,
 * without the user bit, so the Guest can see that something is there and
 * touch none of it.
 *
 * Two functions make up the interface the shadow tables will keep:
 * `guest_pagetable_init` gives the Guest an address space, and
 * `guest_virt_to_phys` answers, for the Host, "what does this Guest-virtual
 * address mean?"; the Host reads and writes Guest memory by virtual address only
 * through it. :*/
/* The Guest's address space: the first-boot table and the walker. */
#include "host.h"

extern u64 host_pdpt[];

static u64 guest_pml4[PT_ENTRIES] __attribute__((aligned(PAGE_SIZE)));
static u64 guest_pdpt[PT_ENTRIES] __attribute__((aligned(PAGE_SIZE)));
static u64 guest_pd[4 * PT_ENTRIES] __attribute__((aligned(PAGE_SIZE)));

/*H:355 Mapping the window.
 * The four page directories cover the first 4 GiB, and the window lies inside
 * them, so an entry's index is simply its address divided by 2 MiB. A 256 MiB
 * machine needs 120 entries, a few hundred emulated instructions. We load the
 * new table into `%cr3` at once: the Host is in it too, in slot 511, so the
 * Host keeps running as if nothing happened. :*/
void guest_pagetable_init(struct lguest *lg)
{
	const u64 user = PTE_P | PTE_W | PTE_U;

	for (u64 pa = lg->mem_start; pa < lg->mem_end; pa += LARGE_PAGE)
		guest_pd[pa / LARGE_PAGE] = pa | user | PTE_PS;
	for (int i = 0; i < 4; i++)
		guest_pdpt[i] = host_image_phys(&guest_pd[i * PT_ENTRIES]) | user;
	guest_pml4[0] = host_image_phys(guest_pdpt) | user;
	guest_pml4[HOST_PML4_SLOT] = host_image_phys(host_pdpt) | PTE_P | PTE_W;
	lg->pgdir = guest_pml4;
	asm volatile("mov %0, %%cr3" : : "r"(host_image_phys(guest_pml4)) : "memory");
}
/*:*/
/*H:360 Walking the table.
 * The walk is the CPU's own, done by hand: four levels, nine bits of the address
 * each, a large page ending the walk early. At every level the entry must be
 * present and open to ring 3 (and writable, if we are about to write), because
 * the Host must never do on the Guest's behalf what the Guest could not do
 * itself. The answer goes through the one door: a Guest-virtual address that
 * leads outside the window does not translate. Since the first-boot table is
 * the Host's own, the tables it walks are trusted; the shadow tables will
 * keep that property, which is why we can follow their addresses through the
 * direct map. Once the Guest has page tables of its own and has told us where
 * they are (`gpgdir`), the question is the Guest's to answer, so we walk *its*
 * tables instead, as *Shadow page tables* explains. :*/
int guest_virt_to_phys(const struct lguest *lg, u64 va, int write, u64 *pa)
{
	const u64 *table = lg->pgdir;
	u64 need = PTE_P | PTE_U | (write ? PTE_W : 0);

	if (lg->gpgdir)
		return shadow_guest_walk(lg, va, write, pa);
	for (int level = 3; level >= 0; level--) {
		int shift = 12 + 9 * level;
		u64 e = table[(va >> shift) & (PT_ENTRIES - 1)];

		if ((e & need) != need)
			return 0;
		if (level == 0 || (level <= 2 && (e & PTE_PS))) {
			u64 offset = va & ((1ULL << shift) - 1);
			*pa = (e & PTE_ADDR & ~((1ULL << shift) - 1)) + offset;
			return lg_address_ok(lg, *pa, 1);
		}
		table = phys_to_virt(e & PTE_ADDR);
	}
	return 0;
}
/*:*/
/*H:365 Guest memory by virtual address.
 * To read the instruction the Guest trapped on, or to push a trap frame onto
 * its stack, the Host copies through the walker one page at a time: two
 * neighbouring virtual pages need not be neighbours in physical memory (they
 * are now, but they will not be under shadow paging). Each piece stays inside
 * one page, and the page was checked, so the copy cannot leave the window. :*/
static int guest_copy(const struct lguest *lg, u64 va, void *buf, u64 len,
		      int write)
{
	while (len) {
		u64 pa, n = PAGE_SIZE - (va & (PAGE_SIZE - 1));

		if (n > len)
			n = len;
		if (!guest_virt_to_phys(lg, va, write, &pa))
			return 0;
		if (write)
			memcpy(from_guest_phys(lg, pa), buf, n);
		else
			memcpy(buf, from_guest_phys(lg, pa), n);
		va += n, buf = (u8 *)buf + n, len -= n;
	}
	return 1;
}

int guest_read(const struct lguest *lg, u64 va, void *buf, u64 len)
{
	return guest_copy(lg, va, buf, len, 0);
}

int guest_write(const struct lguest *lg, u64 va, const void *buf, u64 len)
{
	return guest_copy(lg, va, (void *)buf, len, 1);
}
/*:*/
/*:*/
