/* Tangled from chapters/11-guest-memory.nw by `make tangle`: edit the chapter, not this file. */
/*G:650 The page allocator.
 * Which pages of the window are free? Everything after the boot information,
 * which the Host put in the page after our image. We keep one bit per page of
 * the window, a bitmap that lives in the first free pages themselves: for the
 * 256 MiB machine it is 7.5 KiB. A bitmap rather than a free list for a reason
 * particular to virtual machines: a free list threads a pointer through every
 * free page, so building it would touch all 60,000 of them, and the first touch
 * of each page of a VM's RAM costs the VMM a fault of its own. The bitmap
 * touches two pages. `page_next` remembers the word where the last page was
 * found, so a run of allocations does not rescan from the start. :*/
/* The Guest's page allocator: one bit per page of its window. */
#include "guest.h"

static u64 *page_map;
static u64 page_base, page_count, page_words, page_next, page_nfree;

/*G:655 Marking pages used.
 * A page is used when its bit is set. Marking is done page by page: it runs
 * for the image, the boot information and the bitmap, a few dozen pages. :*/
static void mark_used(u64 start, u64 end)
{
	for (u64 pa = start; pa < end; pa += PAGE_SIZE) {
		u64 page = (pa - page_base) / PAGE_SIZE;

		page_map[page / 64] |= 1ULL << (page % 64);
		page_nfree--;
	}
}
/*:*/
/*G:660 What is already used.
 * The bitmap starts in the page after the boot information. Everything from
 * the window's start to the bitmap's end is ours already: the image, the boot
 * information, the bitmap. The bits past the last page of the window, in the
 * bitmap's last word, are marked used too, so the search never hands them out. :*/
void page_alloc_init(const struct lg_boot_info *bi)
{
	u64 map_pa = guest_pa(bi) + PAGE_SIZE, map_end;

	page_base = bi->ram_start;
	page_count = bi->ram_size / PAGE_SIZE;
	page_words = (page_count + 63) / 64;
	page_map = guest_va(map_pa);
	memset(page_map, 0, page_words * 8);
	page_nfree = page_count;
	map_end = (map_pa + page_words * 8 + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	mark_used(page_base, map_end);
	if (page_count % 64)
		page_map[page_words - 1] |= ~0ULL << (page_count % 64);
}

/*:*/
/*G:660, continued :*/
u64 page_free_count(void)
{
	return page_nfree;
}
/*:*/
/*G:665 Allocating.
 * We look for a word with a clear bit, starting at the last word that had one,
 * and take its lowest clear bit. A page is handed out zeroed: most of our pages
 * become page tables, where a stray old entry would be a mapping nobody made.
 * Zeroing costs nothing worth counting at ring 3. Running out is not a bug in
 * the Guest, so it returns `NULL` for the caller to handle. Device drivers
 * allocate and free from their interrupt handlers too (*D:215*), so the
 * allocator, and the heap below, hold interrupts off while they change their
 * lists: an interrupt in the middle of an allocation would otherwise find the
 * bitmap half updated. :*/
void *page_alloc(void)
{
	u64 flags = irq_save();

	for (u64 n = 0; n < page_words; n++) {
		u64 w = (page_next + n) % page_words;
		u64 page;

		if (page_map[w] == ~0ULL)
			continue;
		page = w * 64 + __builtin_ctzll(~page_map[w]);
		page_map[w] |= 1ULL << (page % 64);
		page_next = w;
		page_nfree--;
		irq_restore(flags);
		return memset(guest_va(page_base + page * PAGE_SIZE), 0, PAGE_SIZE);
	}
	irq_restore(flags);
	return NULL;
}
/*:*/
/*G:670 Freeing.
 * Freeing a page that is not one, or one that is already free, is a bug in the
 * Guest kernel, and a bug in a page allocator corrupts everything after it, so
 * it panics at once. :*/
void page_free(void *page)
{
	u64 pa = guest_pa(page), n = (pa - page_base) / PAGE_SIZE, flags;

	if ((pa & (PAGE_SIZE - 1)) || pa < page_base || n >= page_count ||
	    !(page_map[n / 64] & (1ULL << (n % 64))))
		guest_panic("page_free(0x%llx): not an allocated page", pa);
	flags = irq_save();
	page_map[n / 64] &= ~(1ULL << (n % 64));
	page_nfree++;
	irq_restore(flags);
}
/*:*/
/*:*/
