/* Tangled from chapters/11-guest-memory.nw by `make tangle`: edit the chapter, not this file. */
/*G:680 The heap.
 * Much of what a kernel allocates is small: a buffer, a request, a list node.
 * Our heap serves sizes up to 2 KiB from *buckets* of powers of two, 16 bytes
 * to 2 KiB. Each bucket carves whole pages into objects of its size and keeps
 * the free ones on a list threaded through them. A page serves one bucket only,
 * and says which in its first word, so `kfree` needs nothing but the pointer:
 * the page it lies in says how big it is. That first word costs one object per
 * page (the first), which for the 2 KiB bucket is half the page; we accept it
 * for the simplicity. :*/
/* The Guest's heap: kmalloc and kfree over power-of-two buckets. */
#include "guest.h"

#define HEAP_MIN_ORDER 4
#define HEAP_MAX_ORDER 11

static void *heap_free[HEAP_MAX_ORDER + 1];

/*G:685 Choosing a bucket.
 * The bucket is the smallest power of two that holds the request. :*/
static int heap_order(u64 size)
{
	int order = HEAP_MIN_ORDER;

	while ((1ULL << order) < size)
		order++;
	return order;
}
/*:*/
/*G:690 Growing a bucket.
 * A fresh page is labelled with its order in its first word, and every object
 * after the first goes onto the bucket's free list, which is threaded through
 * the objects' own first words. :*/
static int heap_grow(int order)
{
	u8 *page = page_alloc();
	u64 size = 1ULL << order;

	if (!page)
		return 0;
	*(u64 *)page = order;
	for (u64 off = PAGE_SIZE - size; off >= size; off -= size) {
		*(void **)(page + off) = heap_free[order];
		heap_free[order] = page + off;
	}
	return 1;
}
/*:*/
/*M:610 Giving pages back.
 * Before the two functions, an admission about the heap as a whole. A bucket's
 * pages are never returned to the page allocator, even when all their objects
 * are free again, and nothing larger than 2 KiB can be had from the heap. A
 * count of free objects in each page's label would let `kfree` return an empty
 * page, and runs of contiguous pages from the bitmap would serve large requests. */
/*G:695 kmalloc and kfree.
 * `kmalloc` pops an object off its bucket, growing the bucket first if it is
 * empty. `kfree` reads the page's label and checks that the pointer is a real
 * object of that page before pushing it back: a kernel that frees a pointer it
 * did not get from `kmalloc` is broken, and says so. :*/
void *kmalloc(u64 size)
{
	int order = heap_order(size);
	void *p;

	u64 flags;

	if (!size || order > HEAP_MAX_ORDER)
		return NULL;
	flags = irq_save();
	p = heap_free[order] || heap_grow(order) ? heap_free[order] : NULL;
	if (p)
		heap_free[order] = *(void **)p;
	irq_restore(flags);
	return p;
}

void kfree(void *p)
{
	u64 off = (u64)p & (PAGE_SIZE - 1), order, flags;

	if (!p)
		return;
	order = *(u64 *)((u64)p - off);
	if (order < HEAP_MIN_ORDER || order > HEAP_MAX_ORDER || off < (1ULL << order) ||
	    off % (1ULL << order))
		guest_panic("kfree(%p): not an object of the heap", p);
	flags = irq_save();
	*(void **)p = heap_free[order];
	heap_free[order] = p;
	irq_restore(flags);
}
/*:*/
/*:*/
