/*
 * The Host's shadow paging (chapter 41) case by case, on the host, with no
 * machine (harness.h says how).  Each case sets up a Guest's own tables in
 * an array, calls the Host's functions as a trap would, and looks at what
 * the Host wrote: the shadow's entries, the Guest's accessed and dirty bits,
 * the loads of %cr3, the audit's line, the kills.  Built by
 * test-shadow-unit.sh with AddressSanitizer where it links.
 *
 * Prints "ok NAME" / "FAIL NAME: why" lines; exit status 0 unless it crashed.
 */
#include "harness.h"

#define VA1 0x40000000ULL	/* a page in a region of its own */
#define RW (PTE_P | PTE_W | PTE_U)

static u64 fault(u64 va, u64 error, int *filled)
{
	*filled = shadow_page_fault(&guest, va, &error);
	return error;
}

/*
 * Every page the pool has handed out is in exactly one list, a shadow's or
 * the free list, and each list is as long as its count says and ends there.
 */
static int pool_consistent(void)
{
	static u8 seen[SHADOW_POOL_PAGES];
	u32 total = 0;
	u16 p;

	memset(seen, 0, sizeof(seen));
	for (int i = 0; i <= SHADOW_ROOTS; i++) {
		u32 n = i < SHADOW_ROOTS ? shadows[i].pages : pool_nfree;

		p = i < SHADOW_ROOTS ? shadows[i].first : pool_free;
		for (u32 k = 0; k < n; k++, total++) {
			if (p >= pool_fresh || seen[p]++)
				return 0;
			if (i < SHADOW_ROOTS && k == n - 1 && p != shadows[i].last)
				return 0;
			p = pool_link[p];
		}
		if (p != NO_PAGE)
			return 0;
	}
	return total == pool_fresh;
}

/* A fill sets accessed, then dirty, and makes the shadow writable only then. */
static void case_fill_and_dirty(u64 root)
{
	u64 *g = gentry(root, VA1, 0);
	int filled, ok;

	*g = gframe(1) | RW;
	fault(VA1, PF_USER, &filled);
	ok = filled && sentry(VA1, 0) == (gframe(1) | PTE_P | PTE_U) && (*g & (PTE_A | PTE_D)) == PTE_A;
	check("shadow-unit-read-fill-clean", ok,
	      "a read fill is not the frame, present, user, read-only, with the Guest's entry accessed and clean");
	fault(VA1, PF_USER | PF_WRITE, &filled);
	ok = filled && sentry(VA1, 0) == (gframe(1) | RW) && (*g & PTE_D);
	check("shadow-unit-write-fill-dirty", ok,
	      "a write fill did not set the Guest's dirty bit and make the shadow writable");
	check("shadow-unit-ram-cached", !(sentry(VA1, 0) & (PTE_PCD | PTE_PWT | PTE_PS)),
	      "a page of RAM was shadowed uncached, or as a large page");
}

/* No-execute is carried over; a fetch from such a page is the Guest's own fault. */
static void case_nx(u64 root)
{
	u64 va = VA1 + (8ULL << 21), e;
	int filled;

	*gentry(root, va, 0) = gframe(2) | RW | PTE_NX;
	e = fault(va, PF_USER | PF_FETCH, &filled);
	check("shadow-unit-nx-fetch-reflected", !filled && (e & PF_PRESENT) && !sentry(va, 0),
	      "a fetch from a no-execute page was filled, or reflected as not present");
	fault(va, PF_USER, &filled);
	check("shadow-unit-nx-kept", filled && (sentry(va, 0) & PTE_NX),
	      "the shadow of a no-execute page may be executed");
	/* beside it, the short way must refuse the same fetch */
	*gentry(root, va + PAGE_SIZE, 0) = gframe(3) | RW | PTE_NX;
	e = fault(va + PAGE_SIZE, PF_USER | PF_FETCH, &filled);
	check("shadow-unit-nx-fetch-beside", !filled && (e & PF_PRESENT) && !sentry(va + PAGE_SIZE, 0),
	      "a fetch from a no-execute page beside the last fill was filled");
}

/* A 2 MiB page: its PAT bit is not part of the frame; a 1 GiB page is refused. */
static void case_large(u64 root)
{
	u64 va = VA1 + (1ULL << 30), last = guest.mem_end - LARGE_PAGE;
	int filled, ok = 1;

	/* the window's last two: the last has bit 21 clear (harness.h) */
	for (int k = 0; k < 2; k++) {
		u64 at = va + k * LARGE_PAGE, frame = last - k * LARGE_PAGE;

		*gentry(root, at, 1) = frame | RW | PTE_PS | 0x1000;	/* bit 12: PAT */
		fault(at + 5 * PAGE_SIZE, PF_USER, &filled);
		ok &= filled && sentry(at, 1) == (frame | PTE_P | PTE_U | PTE_PS);
	}
	check("shadow-unit-large-page", ok,
	      "the window's last 2 MiB pages, with their PAT bits, were not shadowed as those pages");
	check("shadow-unit-1g-announced", KILLED(shadow_set_entry(&guest, va, gframe(0) | RW | PTE_PS, 2)) &&
	      strstr(said, "1 GiB"), "an announced 1 GiB page was not refused");
	*gentry(root, VA1 + (20ULL << 30), 2) = gframe(0) | RW | PTE_PS;
	check("shadow-unit-1g-walked", KILLED(fault(VA1 + (20ULL << 30), PF_USER, &filled)) &&
	      strstr(said, "1 GiB"), "a 1 GiB page met on a walk was not refused");
	*gentry(root, VA1 + (20ULL << 30), 2) = 0;
}

/* A device's page is mapped uncached, only at the lowest level, and noted. */
static void case_device(u64 root)
{
	u64 va = VA1 + (2ULL << 30);
	int filled;

	guest.irq_reached = 0;
	*gentry(root, va, 0) = DEVICE_PAGE | RW;
	fault(va, PF_USER | PF_WRITE, &filled);
	check("shadow-unit-device-uncached", filled &&
	      (sentry(va, 0) & (PTE_ADDR | PTE_PCD | PTE_PWT)) == (DEVICE_PAGE | PTE_PCD | PTE_PWT),
	      "a device page was not shadowed with caching off");
	check("shadow-unit-device-reached", guest.irq_reached == 1ULL << DEVICE_IRQ,
	      "mapping a device's page did not note its interrupt as reached");
	check("shadow-unit-device-large", KILLED(shadow_set_entry(&guest, va + LARGE_PAGE,
						  DEVICE_PAGE | RW | PTE_PS, 1)),
	      "a device page as a 2 MiB page was accepted");
	check("shadow-unit-device-table", KILLED(shadow_set_entry(&guest, va + LARGE_PAGE, DEVICE_PAGE | RW, 1)),
	      "a device page as a page table was accepted");
}

/* The same fault again is killed; after an announcement it is a new fault. */
static void case_repeat(u64 root)
{
	u64 va = VA1 + (3ULL << 30);
	int filled;

	*gentry(root, va, 0) = gframe(4) | RW | PTE_A | PTE_D;
	fault(va, PF_USER | PF_WRITE, &filled);
	check("shadow-unit-repeat-killed", KILLED(fault(va, PF_USER | PF_WRITE, &filled)) &&
	      strstr(said, "again"), "the same fault right after its fill was filled again");
	fault(va, PF_USER, &filled);	/* a different fault: a read */
	shadow_set_entry(&guest, va, gframe(5) | RW, 0);
	*gentry(root, va, 0) = gframe(5) | RW;
	check("shadow-unit-repeat-after-change", !KILLED(fault(va, PF_USER, &filled)) && filled &&
	      (sentry(va, 0) & PTE_ADDR) == gframe(5),
	      "a fault after an announced change was taken for a repeat");
}

/*
 * An announced PTE is forgotten with invlpg; an announced PDE forgets the
 * whole table (a reload of %cr3) and the memory of the last fill there.
 */
static void case_forget(u64 root)
{
	u64 va = VA1 + (4ULL << 30), loads, *pde, pt;
	int filled;

	*gentry(root, va, 0) = gframe(6) | RW;
	*gentry(root, va + PAGE_SIZE, 0) = gframe(7) | RW;
	fault(va, PF_USER, &filled);
	invlpgs = 0;
	*gentry(root, va, 0) = gframe(8) | RW;
	shadow_set_entry(&guest, va, gframe(8) | RW, 0);
	check("shadow-unit-forget-pte", !sentry(va, 0) && invlpgs == 1 && invlpg_last == va,
	      "an announced PTE left the shadow's entry, or was not flushed from the TLB");
	fault(va, PF_USER, &filled);
	pde = gentry(root, va, 1);
	pt = gpage();
	((u64 *)pt)[pt_index(va + PAGE_SIZE, 0)] = gframe(9) | RW;
	*pde = pt | RW;
	loads = cr3_loads;
	shadow_set_entry(&guest, va, *pde, 1);
	check("shadow-unit-forget-pde", !sentry(va, 0) && cr3_loads == loads + 1,
	      "an announced PDE left the shadow's table, or the TLB was not emptied");
	fault(va + PAGE_SIZE, PF_USER, &filled);
	check("shadow-unit-forget-pde-beside", filled && (sentry(va + PAGE_SIZE, 0) & PTE_ADDR) == gframe(9),
	      "a fault beside the last fill read the table the Guest had replaced");
}

/* Beside the last fill, the short ways touch none of the upper levels. */
static void case_beside(u64 root)
{
	u64 va = VA1 + (5ULL << 30);
	int filled, ok;

	for (int i = 0; i < 6; i++)
		*gentry(root, va + i * PAGE_SIZE, 0) = gframe(10 + i) | RW;
	fault(va, PF_USER, &filled);
	guarded_touched = 0;
	guard((void *)root);
	fault(va + PAGE_SIZE, PF_USER | PF_WRITE, &filled);
	ok = filled && sentry(va + PAGE_SIZE, 0) == (gframe(11) | RW) && !guarded_touched;
	shadow_set_entry(&guest, va + 2 * PAGE_SIZE, gframe(12) | RW, 0);
	fault(va + 2 * PAGE_SIZE, PF_USER, &filled);
	ok &= filled && sentry(va + 2 * PAGE_SIZE, 0) == (gframe(12) | PTE_P | PTE_U) && !guarded_touched;
	unguard();
	check("shadow-unit-beside-short", ok,
	      "a fault beside the last fill, or after an announced PTE there, was filled wrong or walked the upper tables");
	ok = harness_fast_fill(va + 3 * PAGE_SIZE, PF_USER | PF_WRITE) &&
	     sentry(va + 3 * PAGE_SIZE, 0) == (gframe(13) | RW) &&
	     (*gentry(root, va + 3 * PAGE_SIZE, 0) & (PTE_A | PTE_D)) == (PTE_A | PTE_D);
	check("shadow-unit-beside-switcher", ok,
	      "after a 4 KiB fill the Switcher's fast path could not fill the page beside it");
	ok = !harness_fast_fill(va + 3 * PAGE_SIZE, PF_USER | PF_WRITE);
	check("shadow-unit-switcher-repeat", ok, "the Switcher filled the same fault twice");
	fault(va + (1ULL << 39), PF_USER, &filled);	/* nothing mapped there */
	check("shadow-unit-far-not-beside", !filled && !sentry(va + (1ULL << 39), 0),
	      "a fault far from the last fill was filled from the last fill's table");
}

/* The Host's own translations: right, remembered, forgotten when told. */
static void case_walks(u64 root)
{
	u64 va = VA1 + (6ULL << 30), pa;
	int ok = 1, seen = 1, told = 1;

	for (int i = 0; i < 4; i++) {
		*gentry(root, va + i * PAGE_SIZE, 0) = gframe(20 + i) | PTE_P | PTE_U | (i & 1 ? PTE_W : 0);
		ok &= shadow_guest_walk(&guest, va + i * PAGE_SIZE + 8, 0, &pa) && pa == gframe(20 + i) + 8;
		ok &= shadow_guest_walk(&guest, va + i * PAGE_SIZE, 1, &pa) == (i & 1);
	}
	check("shadow-unit-walk", ok && !shadow_guest_walk(&guest, va + 9 * PAGE_SIZE, 0, &pa),
	      "the Host's translation of a Guest address is not what the Guest's tables say");
	guarded_touched = 0;
	guard((void *)root);
	for (int i = 0; i < 4; i++)
		seen &= shadow_guest_walk(&guest, va + i * PAGE_SIZE, 0, &pa) && pa == gframe(20 + i);
	unguard();
	check("shadow-unit-walk-remembered", seen && !guarded_touched,
	      "translating a page again walked the Guest's tables again");
	for (int i = 0; i < 4; i++) {
		int filled;

		fault(va + i * PAGE_SIZE, PF_USER, &filled);
		*gentry(root, va + i * PAGE_SIZE, 0) = gframe(30 + i) | RW;
		shadow_flush_one(&guest, va + i * PAGE_SIZE);
		told &= shadow_guest_walk(&guest, va + i * PAGE_SIZE, 0, &pa) && pa == gframe(30 + i) &&
			!sentry(va + i * PAGE_SIZE, 0) && invlpg_last == va + i * PAGE_SIZE;
	}
	check("shadow-unit-walk-forgotten", told,
	      "a translation or a shadow entry outlived the flush of its page");
}

/*
 * Every change of mapping forgets where the Host found the Guest's last
 * hypercall instructions (H:505, S:227): the page may now hold another.
 */
static void remember_hcall(void)
{
	guest.hcall_pa = gframe(70);
	lg_fast.rip = lg_fast.rip2 = VA1;
}

static int hcall_forgotten(void)
{
	return !guest.hcall_pa && lg_fast.rip == ~0ULL && lg_fast.rip2 == ~0ULL;
}

static void case_hcall_forget(u64 *roots)
{
	int ok;

	remember_hcall();
	shadow_new_root(&guest, roots[1]);
	ok = hcall_forgotten();
	remember_hcall();
	shadow_new_root(&guest, roots[0]);
	ok &= hcall_forgotten();
	remember_hcall();
	shadow_set_entry(&guest, VA1, 0, 0);
	ok &= hcall_forgotten();
	remember_hcall();
	shadow_flush_one(&guest, VA1);
	ok &= hcall_forgotten();
	remember_hcall();
	shadow_flush_all(&guest);
	ok &= hcall_forgotten();
	check("shadow-unit-hcall-forgotten", ok,
	      "a new root, an announced entry or a flush left the Host's memory of a hypercall instruction");
}

/*
 * A new root, or a change, forgets the last fill for every address, page 0
 * too: the first fault at address 0 after a switch is no repeat of anything.
 */
static void case_forget_fill_at_zero(u64 *roots)
{
	u64 va = VA1 + (10ULL << 30);
	int filled, ok = 1;

	for (int r = 0; r < 2; r++) {
		*gentry(roots[r], 0, 0) = gframe(71) | RW;
		*gentry(roots[r], 1, 0) = gframe(71) | RW;
		*gentry(roots[r], va, 0) = gframe(72) | RW;
	}
	for (u64 at = 0; at < 2; at++) {
		shadow_new_root(&guest, roots[0]);
		fault(at, PF_USER, &filled);
		shadow_new_root(&guest, roots[1]);
		ok &= !KILLED(fault(at, PF_USER, &filled)) && filled;
		fault(va, PF_USER, &filled);
		shadow_set_entry(&guest, va, gframe(72) | RW, 0);
		ok &= !KILLED(fault(0, PF_USER, &filled)) && filled;
		shadow_set_entry(&guest, 0, gframe(71) | RW, 0);
	}
	check("shadow-unit-fill-forgotten-at-zero", ok,
	      "after a new root or a change, a first fault at address 0 or 1 was taken for a repeat");
}

/* Roots: kept, switched back to, the one unused longest given up. */
static void case_roots(u64 *roots)
{
	u64 va = VA1 + (7ULL << 30);
	int filled, ok = 1;

	for (int r = 0; r < 6; r++)
		*gentry(roots[r], va, 0) = gframe(40 + r) | RW;
	for (int r = 0; r < 4; r++) {
		shadow_new_root(&guest, roots[r]);
		ok &= cr3_now == host_image_phys(guest.pgdir) && guest.pgdir[HOST_PML4_SLOT] ==
		      (host_image_phys(host_pdpt) | PTE_P | PTE_W);
		fault(va, PF_USER, &filled);
	}
	check("shadow-unit-root-loaded", ok, "%s",
	      "a new root's shadow is not in %cr3, or lacks the Host's slot");
	ok = 1;
	for (int r = 0; r < 4; r++) {
		u64 pa;

		shadow_new_root(&guest, roots[r]);
		ok &= shadow_guest_walk(&guest, va, 0, &pa) && pa == gframe(40 + r);
	}
	check("shadow-unit-root-walks", ok, "the Host translated an address by the root it had left");
	shadow_new_root(&guest, roots[0]);
	check("shadow-unit-root-kept", (sentry(va, 0) & PTE_ADDR) == gframe(40),
	      "switching back to a recent root lost what its shadow had filled");
	shadow_new_root(&guest, roots[4]);	/* roots[1] is the one unused longest */
	shadow_new_root(&guest, roots[2]);
	ok = (sentry(va, 0) & PTE_ADDR) == gframe(42);
	shadow_new_root(&guest, roots[0]);
	ok &= (sentry(va, 0) & PTE_ADDR) == gframe(40);
	shadow_new_root(&guest, roots[1]);
	ok &= !sentry(va, 0);
	shadow_audit(&guest);
	check("shadow-unit-root-oldest", ok && strstr(printed, ": 4 roots,"),
	      "a fifth root did not replace the one unused longest");
	fault(va, PF_USER, &filled);
	check("shadow-unit-root-refilled", filled && (sentry(va, 0) & PTE_ADDR) == gframe(41),
	      "a root whose shadow was given up did not fill again from its own table");
}

/*
 * The Host's slot is never read from the Guest's root, whatever the Guest
 * wrote there; and forgetting in a shadow the CPU is not using costs the
 * CPU's TLB nothing.
 */
static void case_host_slot_and_others(u64 *roots)
{
	u64 va = 0xffffff8000200000ULL, e, loads, flushes;
	int filled;

	shadow_new_root(&guest, roots[0]);
	*gentry(roots[0], va, 0) = gframe(60) | RW;	/* slot 511 of its own root */
	e = fault(va, PF_USER, &filled);
	check("shadow-unit-host-slot-fault", !filled && !(e & PF_PRESENT) &&
	      guest.pgdir[HOST_PML4_SLOT] == (host_image_phys(host_pdpt) | PTE_P | PTE_W),
	      "a fault in the Host's slot was filled from what the Guest wrote there");
	((u64 *)roots[0])[HOST_PML4_SLOT] = 0;
	va = VA1 + (9ULL << 30);
	*gentry(roots[1], va, 0) = gframe(61) | RW;
	shadow_new_root(&guest, roots[1]);
	fault(va, PF_USER, &filled);
	shadow_new_root(&guest, roots[0]);	/* only roots[1]'s shadow has va */
	loads = cr3_loads, flushes = invlpgs;
	shadow_set_entry(&guest, va, gframe(62) | RW, 0);
	shadow_set_entry(&guest, va, *gentry(roots[1], va, 1), 1);
	check("shadow-unit-other-shadow-no-flush", cr3_loads == loads && invlpgs == flushes,
	      "forgetting in a shadow not in the CPU flushed the CPU's TLB");
}

/* Flushing everything: one shadow left, empty, reached via the Host's table. */
static void case_flush_all(u64 *roots)
{
	u64 va = VA1 + (7ULL << 30), seen_host = cr3_seen_host;
	int filled;

	shadow_new_root(&guest, roots[0]);
	*gentry(roots[0], va, 0) = gframe(50) | RW;	/* changed without a word */
	*gentry(roots[1], va, 0) = gframe(51) | RW;
	shadow_flush_all(&guest);
	shadow_audit(&guest);
	check("shadow-unit-flush-all", strstr(printed, ": 1 roots,") && !sentry(va, 0) &&
	      pool_available() == SHADOW_POOL_PAGES - 1 &&
	      cr3_now == host_image_phys(guest.pgdir) && cr3_seen_host > seen_host,
	      "a flush of everything kept another shadow or an entry, or never left the root it cleared");
	fault(va, PF_USER, &filled);
	shadow_new_root(&guest, roots[1]);
	fault(va, PF_USER, &filled);
	check("shadow-unit-flush-all-fresh", (sentry(va, 0) & PTE_ADDR) == gframe(51),
	      "after a flush of everything a root was shadowed from what its table used to say");
	shadow_new_root(&guest, roots[0]);
	check("shadow-unit-flush-all-kept", (sentry(va, 0) & PTE_ADDR) == gframe(50) && pool_consistent(),
	      "the shadow rebuilt by the flush was lost, or the pool's lists went wrong");
}

/*
 * Many more pages than the pool holds, over six roots: every fill right,
 * the pool never empty, and every page either in a shadow or free.
 */
static void case_pool(u64 *roots)
{
	int filled, ok = 1;
	u64 held = 0;

	for (int round = 0; round < 3; round++)
		for (int r = 0; r < 6; r++) {
			shadow_new_root(&guest, roots[r]);
			for (u64 k = 0; k < 90; k++) {
				u64 va = ((u64)(r + 1) << 39) + (k << 30) + ((k % 7) << 21);

				if (round == 0)
					*gentry(roots[r], va, 0) = gframe(k + r) | RW;
				fault(va, PF_USER, &filled);
				ok &= filled && (sentry(va, 0) & PTE_ADDR) == gframe(k + r);
			}
		}
	shadow_flush_all(&guest);	/* one root alone takes the pool dry */
	for (u64 k = 0; k < 300; k++) {
		u64 va = (7ULL << 39) + (k << 30);

		*gentry(roots[5], va, 0) = gframe(k) | RW;
		fault(va, PF_USER, &filled);
		ok &= filled && (sentry(va, 0) & PTE_ADDR) == gframe(k);
	}
	for (int i = 0; i < SHADOW_ROOTS; i++)
		held += shadows[i].pages;
	check("shadow-unit-pool-fills", ok, "with the pool taken dry and refilled, a fill went wrong");
	check("shadow-unit-pool-count", held + pool_available() == SHADOW_POOL_PAGES && pool_consistent(),
	      "a page of the pool is in no list, in two, or the counts are wrong");
}

/* The audit counts what the shadows map, and finds what should not be there. */
static void case_audit(u64 root)
{
	u64 va = 0x7000000000ULL, n, outside = guest.mem_end;
	int filled;
	char want[100];

	shadow_flush_all(&guest);
	*gentry(root, va, 0) = gframe(60) | RW;
	*gentry(root, va + PAGE_SIZE, 0) = DEVICE_PAGE | RW;
	*gentry(root, va + LARGE_PAGE, 1) = guest.mem_start | RW | PTE_PS;
	fault(va, PF_USER, &filled);
	fault(va + PAGE_SIZE, PF_USER, &filled);
	fault(va + LARGE_PAGE, PF_USER, &filled);
	host_pdpt[0] = 0x40000000 | PTE_P | PTE_W | PTE_PS;	/* the Host's own: never audited */
	shadow_audit(&guest);
	check("shadow-unit-audit-clean", !strcmp(printed,
	      "lguest: shadow audit: 1 roots, 3 pages mapped, 0 outside the window or in the Host's slot\n"),
	      "%s", printed);
	n = 0;
	for (int level = 0; level < 3; level++) {
		u64 *e = &((u64 *)(sentry(va, level + 1) & PTE_ADDR))[pt_index(va, level) + 9];

		e[0] = outside | PTE_P | PTE_U | (level ? PTE_PS : 0);	/* past the window */
		e[1] = DEVICE_PAGE | PTE_P | PTE_U | (level ? PTE_PS : 0);	/* a device page */
		n += 1 + (level > 0);
	}
	/* a 1 GiB page, however much of it lies in the window */
	((u64 *)(sentry(va, 3) & PTE_ADDR))[pt_index(va, 2) + 20] = guest.mem_start | PTE_P | PTE_U | PTE_PS;
	n++;
	guest.pgdir[HOST_PML4_SLOT] ^= PTE_U;
	shadow_audit(&guest);
	snprintf(want, sizeof(want), "1 roots, 10 pages mapped, %llu outside", n + 1);
	check("shadow-unit-audit-finds", strstr(printed, want) != NULL, "%s", printed);
	guest.pgdir[HOST_PML4_SLOT] ^= PTE_U;
	host_pdpt[0] = 0;
}

/* Announcements and roots that break the rules are refused. */
static void case_rules(void)
{
	check("shadow-unit-host-slot", KILLED(shadow_set_entry(&guest, 0xffffff8000001000ULL, 0, 0)) &&
	      strstr(said, "Host's slot"), "an entry announced in the Host's slot was accepted");
	check("shadow-unit-upper-half", !KILLED(shadow_set_entry(&guest, 0xffff800000001000ULL, 0, 0)),
	      "an entry announced in the upper half, outside the Host's slot, was refused");
	check("shadow-unit-not-canonical", KILLED(shadow_set_entry(&guest, 0x800000000000ULL, 0, 0)) &&
	      strstr(said, "canonical"), "an entry announced at a non-canonical address was accepted");
	check("shadow-unit-pte-outside", KILLED(shadow_set_entry(&guest, VA1, guest.mem_end | RW, 0)),
	      "an announced PTE past the window was accepted");
	check("shadow-unit-not-present", !KILLED(shadow_set_entry(&guest, VA1, guest.mem_end, 0)),
	      "an announced entry that is not present was checked as if it named a frame");
	check("shadow-unit-root-last-page", !KILLED(shadow_new_root(&guest, guest.mem_end - PAGE_SIZE)),
	      "the window's last page was refused as a root");
	check("shadow-unit-root-past", KILLED(shadow_new_root(&guest, guest.mem_end)),
	      "a root just past the window was accepted");
	check("shadow-unit-root-unaligned", KILLED(shadow_new_root(&guest, guest.mem_start + 8)),
	      "a root that is not a whole page was accepted");
}

int main(void)
{
	u64 roots[6];

	harness_init();
	for (int r = 0; r < 6; r++)
		roots[r] = gpage();
	shadow_new_root(&guest, roots[0]);
	shadow_new_root(&guest, roots[1]);
	shadow_flush_all(&guest);	/* with two of the four shadows never used */
	shadow_audit(&guest);
	check("shadow-unit-pool-early-flush", pool_consistent() && strstr(printed, ": 1 roots,"),
	      "a flush before every shadow was used kept another, or put a page in two lists");
	shadow_new_root(&guest, roots[0]);
	case_fill_and_dirty(roots[0]);
	case_nx(roots[0]);
	case_large(roots[0]);
	case_device(roots[0]);
	case_repeat(roots[0]);
	case_forget(roots[0]);
	case_beside(roots[0]);
	case_walks(roots[0]);
	case_hcall_forget(roots);
	case_forget_fill_at_zero(roots);
	case_roots(roots);
	case_host_slot_and_others(roots);
	case_flush_all(roots);
	case_pool(roots);
	shadow_new_root(&guest, roots[0]);
	case_audit(roots[0]);
	case_rules();
	return harness_done("shadow-unit");
}
