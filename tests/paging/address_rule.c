/*
 * One rule, five places.  Which Guest-physical pages the Host will touch
 * for the Guest is decided by the one door, from_guest_phys (H:310), and
 * again by the two short ways of filling a page beside the last fill, the
 * C one, shadow_fill_recent (H:627), and the Switcher's assembly (S:257),
 * which must not trust the door's verdict on entries it never saw.  Here
 * every edge page goes through those three, and through the long way of a
 * fill (H:615), which alone may also map a device's page, and through the
 * Host's own translation of a Guest address (H:605) and its pointer into a
 * Guest page (guest_virt_page, H:607), which must not:
 *
 * - the window's first and last page, and the pages just outside them;
 * - pages of the Host's own memory below the window, and its image;
 * - the pages of the devices' windows, placed as the Launcher places
 *   them, and the pages on either side;
 * - the highest page a frame can name.
 *
 * The door, both short ways, and the Host's walk and pointer must accept
 * the same pages and refuse the same pages; a page accepted is filled
 * identically by both short ways.
 * Built and run by test-address-rule.sh (harness.h says how).
 */
#include "harness.h"

#define VA 0x50000000ULL	/* the region of the last fill */

struct edge {
	const char *name;
	u64 page;
};

static u64 root, *gpt;
static struct recent_fill remembered;	/* the tables of the fill at VA */

/* The door: the whole page, and its last byte alone. */
static int door(u64 page)
{
	int whole = !KILLED(from_guest_phys(&guest, page, PAGE_SIZE, "a test page"));
	int last = !KILLED(from_guest_phys(&guest, page + PAGE_SIZE - 1, 1, "a test byte"));

	return whole && last && lg_address_ok(&guest, page, PAGE_SIZE) ? 1 :
	       !whole && !last && !lg_address_ok(&guest, page, PAGE_SIZE) ? 0 : -1;
}

/*
 * A short way: the entry beside the last fill names the page; a write.
 * Returns 1 if it filled, 0 if it declined, and checks what it wrote.
 */
static int short_way(int switcher, u64 page, u64 *shadow)
{
	u64 va = VA + 7 * PAGE_SIZE;
	int i = pt_index(va, 0), took;

	lg_fast.fill = remembered;
	gpt[i] = page | PTE_P | PTE_W | PTE_U;
	lg_fast.fill.spt[i] = 0;
	guest.fill_va = 0;
	harness_switcher_forget();
	if (switcher) {
		took = harness_fast_fill(va, PF_USER | PF_WRITE);
	} else {
		took = shadow_fill_recent(&guest, va, PF_USER | PF_WRITE);
	}
	*shadow = lg_fast.fill.spt[i];
	return took;
}

/* The Host's own translation (H:605): 1 if it would read or write the page. */
static int host_walk(u64 page)
{
	u64 va = VA + (2ULL << 30), pa = 0;
	int took;

	*gentry(root, va, 0) = page | PTE_P | PTE_W | PTE_U;
	shadow_flush_one(&guest, va);
	took = shadow_guest_walk(&guest, va + 0x9, 1, &pa);
	*gentry(root, va, 0) = 0;
	shadow_flush_one(&guest, va);
	return took && pa == page + 0x9 ? 1 : took ? -1 : 0;
}

/*
 * The Host's pointer into a Guest page (H:607, for delivering interrupts):
 * 1 if it gave the page, 0 if it refused, -1 for anything else.  Asked twice:
 * by a walk, and again from the translation the walk left behind.
 */
static int host_page(u64 page)
{
	u64 va = VA + (3ULL << 30);
	u8 *first = NULL, *again = NULL;
	int killed;

	*gentry(root, va, 0) = page | PTE_P | PTE_W | PTE_U;
	shadow_flush_one(&guest, va);
	killed = KILLED((first = guest_virt_page(&guest, va + 0x9, 1),
			 again = guest_virt_page(&guest, va + 0x9, 1)));
	*gentry(root, va, 0) = 0;
	shadow_flush_one(&guest, va);
	if (killed)
		return -1;
	return first == (u8 *)page + 0x9 && again == first ? 1 : !first && !again ? 0 : -1;
}

/* The long way: 1 filled, 0 killed; how it filled in *shadow. */
static int long_way(u64 page, u64 *shadow)
{
	u64 va = VA + (1ULL << 30), error = PF_USER;
	int killed;

	*gentry(root, va, 0) = page | PTE_P | PTE_W | PTE_U;
	guest.fill_va = 0;
	killed = KILLED(shadow_fault_walk(&guest, va, &error));
	*shadow = killed ? 0 : sentry(va, 0);
	*gentry(root, va, 0) = 0;
	shadow_flush_one(&guest, va);
	return !killed;
}

int main(void)
{
	u64 end, start, dev = DEVICE_PAGE, top = PTE_ADDR & ~(u64)(PAGE_SIZE - 1);
	int filled, all = 1;
	u64 error = PF_USER;

	harness_init();
	start = guest.mem_start, end = guest.mem_end;
	const struct edge edges[] = {
		{ "first-page", start },
		{ "second-page", start + PAGE_SIZE },
		{ "last-page", end - PAGE_SIZE },
		{ "first-page-past", end },
		{ "page-after-that", end + PAGE_SIZE },
		{ "page-below", start - PAGE_SIZE },
		{ "host-image", 0x100000 },
		{ "page-zero", 0 },
		{ "first-device-page", DEVICES_BASE },
		{ "last-device-page", dev },
		{ "below-devices", DEVICES_BASE - PAGE_SIZE },
		{ "above-devices", dev + PAGE_SIZE },
		{ "highest-frame", top },
	};

	/* a Guest with a 4 KiB page filled in the region at VA */
	root = gpage();
	shadow_new_root(&guest, root);
	*gentry(root, VA, 0) = gframe(1) | PTE_P | PTE_W | PTE_U;
	shadow_page_fault(&guest, VA, &error);
	gpt = (u64 *)((u64)gentry(root, VA, 0) & ~(u64)(PAGE_SIZE - 1));
	if (lg_fast.fill.gpt != gpt) {
		check("address-rule-setup", 0, "a 4 KiB fill did not leave its tables for the short ways");
		return 0;
	}
	remembered = lg_fast.fill;
	for (u64 k = 0; k < sizeof(edges) / sizeof(edges[0]); k++) {
		const struct edge *e = &edges[k];
		u64 c_entry, s_entry, l_entry;
		int d = door(e->page);
		int c = short_way(0, e->page, &c_entry);
		int s = short_way(1, e->page, &s_entry);
		int l = long_way(e->page, &l_entry);
		int h = host_walk(e->page);
		int p = host_page(e->page);
		int device = e->page == dev || e->page == DEVICES_BASE;
		char name[80], why[200];

		snprintf(name, sizeof(name), "address-rule-%s", e->name);
		snprintf(why, sizeof(why), "page 0x%llx: door %d, shadow_fill_recent %d, Switcher %d, "
			 "the Host's own walk %d and page %d, long way %d", e->page, d, c, s, h, p, l);
		filled = d == c && c == s && s == h && h == p && l == (d || device) &&
			 (!c || (c_entry == s_entry && c_entry == (e->page | PTE_P | PTE_W | PTE_U))) &&
			 (!l || (l_entry & PTE_ADDR) == e->page) &&
			 (!device || (l_entry & (PTE_PCD | PTE_PWT)) == (PTE_PCD | PTE_PWT));
		check(name, filled, "%s", why);
		all &= filled;
	}
	/* the edges the rule turns on must go both ways, or the test proves nothing */
	check("address-rule-both-ways", door(end - PAGE_SIZE) == 1 && door(end) == 0 &&
	      door(start) == 1 && door(start - PAGE_SIZE) == 0,
	      "the window's edges are not where the test thinks they are");
	return harness_done("address-rule");
}
