/* Tangled from chapters/41-host-paging.nw by `make tangle`: edit the chapter, not this file. */
/*H:560 A pool of shadow pages.
 * Shadow tables live in Host memory, outside the Guest's window, where the
 * Guest cannot write them: 256 pages of the Host's `.bss`, a megabyte, well
 * inside the 16 MiB the Host keeps for itself. Pages are handed out one at a
 * time and come back a whole shadow at a time, so each page has one link, and
 * a shadow's pages form a list we can give back in one step.
 *
 * Zeroing a page is the expensive part. At ring 0 on this book's machine every
 * iteration of a `rep stosq` is emulated: clearing one page costs about as much
 * as half a hypercall. But the machine's RAM starts out zero, and so does the
 * `.bss`. So we hand out *fresh* pages, never used, first, and only when they
 * run out do we reuse freed pages, clearing each as it is taken.
 *
 * Can the pool be empty when a page is taken? Not by anything the Guest does:
 * every taker first makes room (H:580), and making room always succeeds: a
 * fill needs at most three of the 256 pages and a new root one, and throwing
 * shadows away frees all the others. An empty pool would be our own bookkeeping gone wrong, and
 * going on would clear page `NO_PAGE`, far past the pool's end. So, as xv6
 * does with a broken invariant, we stop the Host there, naming the function,
 * rather than kill a Guest that did nothing wrong. :*/
/* Shadow page tables: the Guest's own tables, checked, as the CPU sees them. */
#include "host.h"

#define SHADOW_POOL_PAGES 256
#define SHADOW_ROOTS 4
#define NO_PAGE 0xffff

extern u64 host_pml4[], host_pdpt[];

static inline int pt_index(u64 va, int level)
{
	return (va >> (12 + 9 * level)) & (PT_ENTRIES - 1);
}

static u64 pool[SHADOW_POOL_PAGES][PT_ENTRIES] __attribute__((aligned(PAGE_SIZE)));
static u16 pool_link[SHADOW_POOL_PAGES];
static u16 pool_free = NO_PAGE;
static u32 pool_fresh, pool_nfree;

static u32 pool_available(void)
{
	return pool_nfree + SHADOW_POOL_PAGES - pool_fresh;
}

static u16 pool_take(void)
{
	u64 *p, n = PT_ENTRIES;
	u16 i;

	if (pool_fresh < SHADOW_POOL_PAGES)
		return pool_fresh++;
	if (pool_free == NO_PAGE)
		host_panic("pool_take: no shadow page left (make room first)");
	i = pool_free;
	pool_free = pool_link[i];
	pool_nfree--;
	p = pool[i];
	asm volatile("rep stosq" : "+D"(p), "+c"(n) : "a"(0ULL) : "memory");
	return i;
}
/*H:627, continued :*/
static void recent_forget(void)
{
	lg_fast.fill.region = NO_REGION;
}
/*:*/
/*H:607, continued :*/
struct host_walk host_walks[RECENT_WALKS];

static void walks_forget(void)
{
	for (int i = 0; i < RECENT_WALKS; i++)
		host_walks[i].page = 0;
}
/*:*/
/*H:570 The shadows of recent roots.
 * A Guest with processes switches between address spaces all the time, and
 * switching back to one it left a moment ago should not mean faulting its
 * whole working set in again. So we keep the shadows of the last four roots
 * the Guest used, each with the Guest-physical address of the root it shadows,
 * its own root page, the list of its pages, and when it was last loaded, so
 * that the one to throw away is the one unused longest. A new shadow starts as
 * one page with a single entry: slot 511, the Host's, exactly as in the
 * first-boot table, supervisor-only. :*/
struct shadow {
	u64 gpgdir;	/* the Guest's root, Guest-physical; 0: unused */
	u64 used;	/* when it was last loaded */
	u16 root;	/* its PML4, a pool page */
	u16 first, last, pages;	/* every pool page it owns, linked */
};

static struct shadow shadows[SHADOW_ROOTS] = {
	[0 ... SHADOW_ROOTS - 1] = { .first = NO_PAGE, .last = NO_PAGE },
};
static u64 shadow_clock;

static u16 shadow_page(struct shadow *sh)
{
	u16 i = pool_take();

	pool_link[i] = sh->first;
	sh->first = i;
	if (sh->last == NO_PAGE)
		sh->last = i;
	sh->pages++;
	return i;
}
/*:*/
/*H:570, continued :*/
static void shadow_release(struct shadow *sh)
{
	recent_forget();
	if (sh->first != NO_PAGE) {
		pool_link[sh->last] = pool_free;
		pool_free = sh->first;
		pool_nfree += sh->pages;
	}
	sh->first = sh->last = NO_PAGE;
	sh->pages = 0;
	sh->gpgdir = 0;
}

static void shadow_root_init(struct shadow *sh, u64 gpgdir)
{
	sh->root = shadow_page(sh);
	pool[sh->root][HOST_PML4_SLOT] = host_image_phys(host_pdpt) | PTE_P | PTE_W;
	sh->gpgdir = gpgdir;
}
/*:*/
/*H:575 Loading a shadow.
 * Loading a shadow is a write to `%cr3`, which also empties the TLB of
 * everything the previous address space cached. The Host itself does not
 * notice: it lives in slot 511 of every shadow. Every change of mapping
 * forgets the hypercall instruction's translation (H:505), and so does this. :*/
static void load_cr3(u64 pa)
{
	asm volatile("mov %0, %%cr3" : : "r"(pa) : "memory");
}

static void shadow_load(struct lguest *lg, struct shadow *sh)
{
	sh->used = ++shadow_clock;
	lg->shadow = sh;
	lg->gpgdir = sh->gpgdir;
	lg->pgdir = pool[sh->root];
	hcall_forget(lg);
	walks_forget();
	recent_forget();
	lg->fill_va = NO_FILL;
	load_cr3(host_image_phys(lg->pgdir));
}
/*:*/
/*H:580 Running out of pages.
 * When the pool runs dry we give back the shadow unused longest, other than the
 * one the Guest runs on. If the Guest's own shadow is the only one left, we
 * throw it away too and start it again, empty: everything in a shadow can be
 * filled again from the Guest's tables, so nothing is lost but time. That one
 * needs care, because its root is the page `%cr3` holds while we run, and
 * clearing it would unmap the Host under its own feet. So we move to the
 * Host's own boot table for the moment it takes. :*/
static struct shadow *shadow_oldest(const struct shadow *keep)
{
	struct shadow *old = NULL;

	for (int i = 0; i < SHADOW_ROOTS; i++) {
		struct shadow *sh = &shadows[i];

		if (sh->gpgdir && sh != keep && (!old || sh->used < old->used))
			old = sh;
	}
	return old;
}

static void shadow_rebuild(struct lguest *lg)
{
	struct shadow *sh = lg->shadow;
	u64 gpgdir = sh->gpgdir;

	load_cr3(host_image_phys(host_pml4));
	shadow_release(sh);
	shadow_root_init(sh, gpgdir);
	shadow_load(lg, sh);
}

static void shadow_make_room(struct lguest *lg, u32 pages)
{
	while (pool_available() < pages) {
		struct shadow *old = shadow_oldest(lg->shadow);

		if (old)
			shadow_release(old);
		else
			shadow_rebuild(lg);
	}
}
/*:*/
/*H:585 LHCALL_NEW_PGTABLE.
 * The Guest's `mov` to `%cr3`. Rule 1 first: the root must be a page of the
 * window, since we are about to read it as a table. Then, if we hold a shadow
 * of that root, switching is nothing but loading it; otherwise we take an
 * unused shadow, or the oldest, and start it empty. From the first call on,
 * the first-boot table is never loaded again: the Guest runs on shadows of its
 * own tables. :*/
static struct shadow *shadow_create(struct lguest *lg, u64 gpgdir)
{
	struct shadow *sh = NULL;

	for (int i = 0; i < SHADOW_ROOTS && !sh; i++)
		if (!shadows[i].gpgdir)
			sh = &shadows[i];
	if (!sh)
		sh = shadow_oldest(lg->shadow);
	shadow_release(sh);
	shadow_make_room(lg, 1);
	shadow_root_init(sh, gpgdir);
	return sh;
}

void shadow_new_root(struct lguest *lg, u64 gpgdir)
{
	struct shadow *sh = NULL;

	if ((gpgdir & (PAGE_SIZE - 1)) || !lg_address_ok(lg, gpgdir, PAGE_SIZE))
		kill_guest(lg, "page-table root 0x%llx is not a page of the Guest's window 0x%llx-0x%llx",
			   gpgdir, lg->mem_start, lg->mem_end);
	for (int i = 0; i < SHADOW_ROOTS; i++)
		if (shadows[i].gpgdir == gpgdir)
			sh = &shadows[i];
	shadow_load(lg, sh ? sh : shadow_create(lg, gpgdir));
}
/*:*/
/*H:590 Addresses the Guest names.
 * An x86-64 address has 48 meaningful bits, and the 16 above them must copy
 * bit 47: the address is *canonical*. Anything else is not an address at all,
 * and the CPU would fault on it. Among the canonical ones, the top 512 GiB,
 * slot 511, are the Host's (rule 3). One function says which rule an address
 * breaks, if any, and every address the Guest hands us passes through it. :*/
static const char *va_problem(u64 va)
{
	u64 top = va >> 47;

	if (top != 0 && top != 0x1ffff)
		return "is not canonical";
	if (top && pt_index(va, 3) == HOST_PML4_SLOT)
		return "is in the Host's slot, PML4 entry 511";
	return NULL;
}
/*:*/
/*H:595 Entries the Guest writes.
 * Every entry we read from the Guest's tables, or are told about, passes the
 * same checks. A present entry names a frame: at the lowest level a 4 KiB page,
 * in a page directory either the next table or (with `PS`) a 2 MiB page, and
 * above that always a table. The whole frame must lie inside the window (rule
 * 2): a table frame outside it would have us read Host memory as if it were
 * the Guest's table, a page outside it would map Host memory into the Guest.
 * A 1 GiB page is refused (rule 5); the window is rarely a whole aligned
 * gigabyte, and two sizes are enough. The size of a 2 MiB frame's address
 * drops its low bits, which in a large-page entry hold the PAT bit: we
 * support no cache attributes, and so ignore it.
 *
 * The check is `lg_address_ok`'s, written out in place: a frame address has at
 * most 52 bits and a size at most 2 MiB, so the sum cannot wrap, and on this
 * book's machine the call saved is worth it: a fill checks four entries, and
 * calling out for each cost over a third of the walk's time.
 *
 * Device windows, the MMIO register pages of the Guest's own virtio devices,
 * are the second kind of frame a Guest may map, and only as 4 KiB pages at the
 * lowest level: a device page named as a *table* would have us read a device's
 * registers as page-table entries, and a large page would reach past the
 * window into whatever lies beside it. *Devices: windows and lines* says which
 * pages those are (`device_page_ok`, H:925); a frame inside the RAM window never
 * gets that far, so the common case costs nothing more. :*/
static const char *const level_name[4] = { "PTE", "PDE", "PDPTE", "PML4E" };

static int shadow_frame_ok(const struct lguest *lg, u64 pa, u64 size, int level)
{
	if (pa >= lg->mem_start && pa + size <= lg->mem_end)
		return 1;
	return level == 0 && device_page_ok(lg, pa);
}

static const char *entry_problem(const struct lguest *lg, u64 e, int level, u64 *size)
{
	*size = level == 1 && (e & PTE_PS) ? LARGE_PAGE : PAGE_SIZE;
	if (level >= 2 && (e & PTE_PS))
		return "maps a 1 GiB page, which the Host does not support";
	if (!shadow_frame_ok(lg, e & PTE_ADDR & ~(*size - 1), *size, level))
		return "reaches outside the Guest's window";
	return NULL;
}

static void kill_for_entry(struct lguest *lg, u64 e, int level, u64 va,
			   const char *why)
{
	kill_guest(lg, "%s 0x%llx for address 0x%llx %s 0x%llx-0x%llx",
		   level_name[level], e, va, why, lg->mem_start, lg->mem_end);
}
/*:*/
/*H:600 Walking the Guest's tables.
 * The walk is the CPU's, four levels of nine bits each, but over tables that
 * may have been written by an enemy, so each table is reached only through an
 * entry that passed `entry_problem`, which put it inside the window; the root
 * passed the same test when it was registered. The walk also collects what the
 * levels together allow: a page is writable only if every level says so, and
 * not executable if any level says so; what the levels above the last allow
 * is kept too, for the next fill beside this one (H:627). It stops at a
 * not-present entry, or at one that breaks a rule, saying which. :*/
struct guest_walk {
	u64 *leaf;		/* the Guest's entry that maps the page */
	u64 frame, size;	/* the page it maps */
	u64 entry;		/* the last entry read */
	int level;		/* the level of that entry */
	int writable, nx;	/* what all the levels together allow */
	int up_writable, up_nx;	/* what the levels above the last allow */
	const char *bad;	/* the rule that entry breaks, or NULL */
};

static int guest_walk(struct lguest *lg, u64 va, struct guest_walk *w)
{
	u64 table = lg->gpgdir;

	w->writable = 1, w->nx = 0, w->bad = NULL;
	for (w->level = 3; w->level >= 0; w->level--) {
		u64 *e = (u64 *)from_guest_phys(lg, table, PAGE_SIZE, "a page table") +
			 pt_index(va, w->level);

		w->entry = *e;
		if (!(w->entry & PTE_P))
			return 0;
		if ((w->bad = entry_problem(lg, w->entry, w->level, &w->size)))
			return 0;
		if (w->level == 0 || w->size == LARGE_PAGE)
			break;
		w->writable &= !!(w->entry & PTE_W);
		w->nx |= !!(w->entry & PTE_NX);
		table = w->entry & PTE_ADDR;
	}
	w->up_writable = w->writable, w->up_nx = w->nx;
	w->writable &= !!(w->entry & PTE_W);
	w->nx |= !!(w->entry & PTE_NX);
	w->leaf = (u64 *)from_guest_phys(lg, table, PAGE_SIZE, "a page table") +
		  pt_index(va, w->level);
	w->frame = w->entry & PTE_ADDR & ~(w->size - 1);
	return 1;
}
/*:*/
/*H:605 The Host's own reads of Guest memory.
 * When the Host reads the instruction behind a hypercall, or pushes a trap frame
 * onto the Guest's stack, it asks `guest_virt_to_phys` what a Guest-virtual
 * address means. Once the Guest has its own tables the answer is theirs, not
 * the shadow's: the shadow is filled lazily and may not have the address yet.
 * A walk that meets a broken rule simply does not translate; the Guest will be
 * killed for it when it touches the address itself. :*/
static __attribute__((noinline)) int shadow_guest_walk_long(struct lguest *lg, u64 va,
							    int write, u64 *pa)
{
	struct guest_walk w;

	if (va_problem(va) || !guest_walk(lg, va, &w) || (write && !w.writable))
		return 0;
	*pa = w.frame + (va & (w.size - 1));
	if (!lg_address_ok(lg, *pa, 1))
		return 0;
	/*H:607, continued :*/
	*host_walk_of(va) = (struct host_walk){ va / PAGE_SIZE + 1, *pa & ~(PAGE_SIZE - 1), w.writable };
	/*:*/
	return 1;
}

int shadow_guest_walk(struct lguest *lg, u64 va, int write, u64 *pa)
{
	/*H:607, continued :*/
	if (host_walk_seen(va, write, pa))
		return 1;
	/*:*/
	return shadow_guest_walk_long(lg, va, write, pa);
}
/*:*/
/*H:607, continued :*/
void *guest_virt_page_long(struct lguest *lg, u64 va, int write)
{
	u64 pa;

	if (!guest_virt_to_phys(lg, va, write, &pa))
		return NULL;
	return from_guest_phys(lg, pa, PAGE_SIZE - (pa & 4095), "a page of Guest memory");
}
/*:*/
/*H:610 The shadow's side of a fill.
 * To fill, we walk the shadow from its root down to the level where the
 * Guest's page is mapped, level 0 for a 4 KiB page, level 1 for 2 MiB, making
 * any missing shadow table from the pool. The shadow's intermediate entries
 * allow everything: what the Guest's levels forbid together, the leaf forbids
 * alone. An entry that was a large page but must now hold a table (the Guest
 * replaced a 2 MiB page by a table) is simply overwritten. :*/
static u64 *shadow_entry(struct lguest *lg, u64 va, int leaf)
{
	u64 *table = lg->pgdir;

	for (int level = 3; level > leaf; level--) {
		u64 *e = &table[pt_index(va, level)];

		if ((*e & (PTE_P | PTE_PS)) != PTE_P) {
			u16 page = shadow_page(lg->shadow);

			*e = host_image_phys(pool[page]) | PTE_P | PTE_W | PTE_U;
		}
		table = phys_to_virt(*e & PTE_ADDR);
	}
	return &table[pt_index(va, leaf)];
}
/*:*/
/*H:615 Filling an entry.
 * The shadow's entry is the Guest's page, checked, with the bits we decide:
 * present and user always; writable only if every Guest level allows it *and*
 * the Guest's dirty bit is set; no-execute if any level asked for it; the page
 * size; and for a device's page, caching off (`PCD` and `PWT`), whatever the
 * Guest asked, because a cached register read would return yesterday's value. Along the way we do for the Guest what the CPU would have done for a
 * kernel on its own: set the accessed bit in its entry and, on a write, the
 * dirty bit. That is why a clean page is shadowed read-only: its first write
 * faults, we set `D`, and the shadow becomes writable. lguest tracked dirty
 * pages the same way. Nothing breaks at once if we get this wrong, so the
 * Guest's self-test checks it (G:775): a page it only read must stay clean, a
 * page it wrote must be dirty. We make room for three tables before we start, so the
 * walk down cannot run out of pages halfway. A device page filled is also a
 * device the Guest has now *reached*, which a halt needs to know (H:897). :*/
static void shadow_fill(struct lguest *lg, u64 va, struct guest_walk *w, int write)
{
	u64 *e, s;

	shadow_make_room(lg, 3);
	e = shadow_entry(lg, va, w->size == LARGE_PAGE);
	*w->leaf |= PTE_A | (write ? PTE_D : 0);
	s = w->frame | PTE_P | PTE_U;
	if (w->writable && (*w->leaf & PTE_D))
		s |= PTE_W;
	if (w->nx)
		s |= PTE_NX;
	if (w->size == LARGE_PAGE)
		s |= PTE_PS;
	if (w->frame < lg->mem_start || w->frame >= lg->mem_end) {
		s |= PTE_PCD | PTE_PWT;	/* a device's registers: never cached */
		devices_reached(lg, w->frame);
	}
	*e = s;
	if (w->size != LARGE_PAGE)
		lg_fast.fill = (struct recent_fill){ va >> 21, w->leaf - pt_index(va, 0),
						     e - pt_index(va, 0), w->up_writable ? PTE_W : 0,
						     w->up_nx ? PTE_NX : 0 };
}
/*:*/
/*H:627, continued :*/
static __attribute__((noinline)) int shadow_fill_recent(struct lguest *lg, u64 va, u64 error)
{
	int i = pt_index(va, 0), write = !!(error & PF_WRITE);
	u64 g = lg_fast.fill.gpt[i], frame = g & PTE_ADDR, s;
	int writable = !!(g & lg_fast.fill.up_w), nx = !!((g | lg_fast.fill.up_nx) & PTE_NX);

	if (!(g & PTE_P) || frame < lg->mem_start || frame >= lg->mem_end ||
	    (write && !writable) || ((error & PF_FETCH) && nx) ||
	    (va == lg->fill_va && error == lg->fill_error))
		return 0;
	g |= PTE_A | (write ? PTE_D : 0);
	lg_fast.fill.gpt[i] = g;
	s = frame | PTE_P | PTE_U | (writable && (g & PTE_D) ? PTE_W : 0) | (nx ? PTE_NX : 0);
	lg_fast.fill.spt[i] = s;
	lg->fill_va = va, lg->fill_error = error;
	return 1;
}
/*:*/
/*H:620, continued :*/
static __attribute__((noinline)) int shadow_fault_walk(struct lguest *lg, u64 va, u64 *error_code)
{
	struct guest_walk w;
	int write = !!(*error_code & PF_WRITE);

	if (!lg->gpgdir || va_problem(va))
		return 0;
	if (!guest_walk(lg, va, &w)) {
		if (w.bad)
			kill_for_entry(lg, w.entry, w.level, va, w.bad);
		*error_code &= ~(u64)PF_PRESENT;
		return 0;
	}
	if ((write && !w.writable) || ((*error_code & PF_FETCH) && w.nx)) {
		*error_code |= PF_PRESENT;
		return 0;
	}
	if (va == lg->fill_va && *error_code == lg->fill_error)
		kill_guest(lg, "page fault at 0x%llx again after the Host filled it: this machine will not map it for ring 3",
			   va);
	shadow_fill(lg, va, &w, write);
	lg->fill_va = va, lg->fill_error = *error_code;
	return 1;
}

int shadow_page_fault(struct lguest *lg, u64 va, u64 *error_code)
{
	if (va >> 21 == lg_fast.fill.region && shadow_fill_recent(lg, va, *error_code))
		return 1;
	return shadow_fault_walk(lg, va, error_code);
}
/*:*/
/*H:630 Forgetting.
 * When the Guest changes an entry, what a shadow copied from the old one must
 * go. We walk the shadow down to the level of the changed entry and clear the
 * shadow's entry there (or the large page above it, if the shadow mapped the
 * address with one). Clearing a table's entry abandons the shadow tables below
 * it; they stay on the shadow's list and come back to the pool with it. If the
 * shadow is the one the CPU is using, its TLB may still remember the old
 * translation: one page's worth if we cleared a page, so `invlpg` does, or a
 * whole subtree if we cleared a table, which only reloading `%cr3` forgets. :*/
static void shadow_forget(struct lguest *lg, struct shadow *sh, u64 va, int level)
{
	u64 *table = pool[sh->root], old;
	int l;

	lg->fill_va = NO_FILL;
	for (l = 3; ; l--) {
		u64 *e = &table[pt_index(va, l)];

		if (!(*e & PTE_P))
			return;
		old = *e;
		if (l == level || (old & PTE_PS)) {
			*e = 0;
			break;
		}
		table = phys_to_virt(old & PTE_ADDR);
	}
	if (sh != lg->shadow)
		return;
	if (l == 0 || (old & PTE_PS))
		asm volatile("invlpg (%0)" : : "r"(va) : "memory");
	else
		load_cr3(host_image_phys(lg->pgdir));
}
/*:*/
/*H:640 LHCALL_SET_PTE and its three siblings.
 * An announced entry is checked at once, so that a Guest breaking a rule is
 * killed at the hypercall that broke it, with the entry in the reason, rather
 * than later at some innocent-looking touch. A not-present entry needs no
 * check: it names nothing. Then every shadow we hold forgets the address at
 * that level. Every, not only the current one: the Guest's tables below the
 * root are often shared between roots (ours share the kernel's), and we do not
 * know which roots reach the table the Guest changed. Forgetting costs little
 * where a shadow never had the address: the walk stops at the first empty
 * entry. Rather than copy the new entry into the shadows, we let the next
 * fault fill it, which keeps one path for filling, and makes a fresh
 * mapping's first touch a fault the Guest can measure. :*/
void shadow_set_entry(struct lguest *lg, u64 va, u64 entry, int level)
{
	const char *why = va_problem(va);
	u64 size;

	if (why)
		kill_guest(lg, "%s announced for address 0x%llx, which %s",
			   level_name[level], va, why);
	if ((entry & PTE_P) && (why = entry_problem(lg, entry, level, &size)))
		kill_for_entry(lg, entry, level, va, why);
	for (int i = 0; i < SHADOW_ROOTS; i++)
		if (shadows[i].gpgdir)
			shadow_forget(lg, &shadows[i], va, level);
	hcall_forget(lg);
	walks_forget();
	if (level > 0)
		recent_forget();
}
/*:*/
/*M:640 Filling ahead.
 * lguest copied an announced page-table entry straight into the shadow when
 * the shadow had a table for it, saving the fault that would otherwise follow.
 * Here the first touch of every new mapping still faults, about as expensive
 * as a hypercall. A Guest that maps and then touches at once (most do) would
 * gain by having `shadow_set_entry` fill a leaf when the current shadow has
 * its table, through the same `shadow_fill`. */
/*H:650 Flushes.
 * `LHCALL_FLUSH_ONE` is the Guest's `invlpg`: the current shadow forgets the
 * page at the address, whatever size the shadow mapped it with.
 * `LHCALL_FLUSH_ALL` is the Guest telling us that it changed more than it
 * announced: we give back every shadow and start the current one again, empty,
 * to be filled afresh from the Guest's tables. :*/
void shadow_flush_one(struct lguest *lg, u64 va)
{
	const char *why = va_problem(va);

	if (why)
		kill_guest(lg, "flush of address 0x%llx, which %s", va, why);
	if (lg->shadow)
		shadow_forget(lg, lg->shadow, va, 0);
	hcall_forget(lg);
	walks_forget();
}

void shadow_flush_all(struct lguest *lg)
{
	if (!lg->shadow)
		return;
	for (int i = 0; i < SHADOW_ROOTS; i++)
		if (&shadows[i] != lg->shadow)
			shadow_release(&shadows[i]);
	shadow_rebuild(lg);
}
/*:*/
/*H:680 Proving nothing was reached.
 * A hostile Guest is killed when it breaks a rule, but a test should not take
 * the Host's word that it broke nothing before. So when the Host kills a Guest
 * that had tables of its own, it audits every shadow it holds: each root's
 * slot 511 must still be the Host's entry, and every page the shadows map, at
 * any level, must lie inside the window, or be one of its device pages at the
 * lowest level. The audit walks every present entry
 * of every shadow table, which on the book's emulated ring 0 costs a few milliseconds;
 * it runs once, at the end, and its one line on the console is what the tests
 * check. :*/
static u64 audit_table(const struct lguest *lg, const u64 *table, int level,
		       u64 *leaves)
{
	u64 bad = 0;

	for (int i = 0; i < PT_ENTRIES - (level == 3); i++) {
		u64 e = table[i], size = level ? LARGE_PAGE : PAGE_SIZE;

		if (!(e & PTE_P))
			continue;
		if (level && !(e & PTE_PS)) {
			bad += audit_table(lg, phys_to_virt(e & PTE_ADDR), level - 1, leaves);
			continue;
		}
		++*leaves;
		bad += level > 1 || !(lg_address_ok(lg, e & PTE_ADDR & ~(size - 1), size) ||
				      (level == 0 && device_page_ok(lg, e & PTE_ADDR)));
	}
	return bad;
}
/*:*/
/*H:680, continued :*/
void shadow_audit(const struct lguest *lg)
{
	u64 host_slot = host_image_phys(host_pdpt) | PTE_P | PTE_W;
	u64 leaves = 0, bad = 0, roots = 0;

	for (int i = 0; i < SHADOW_ROOTS; i++) {
		const u64 *root = pool[shadows[i].root];

		if (!shadows[i].gpgdir)
			continue;
		roots++;
		bad += (root[HOST_PML4_SLOT] & ~(u64)(PTE_A | PTE_D)) != host_slot;
		bad += audit_table(lg, root, 3, &leaves);
	}
	host_printf("lguest: shadow audit: %llu roots, %llu pages mapped, %llu outside the window or in the Host's slot\n",
		    roots, leaves, bad);
}
/*:*/
/*:*/
