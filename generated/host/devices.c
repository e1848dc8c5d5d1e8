/* Tangled from chapters/43-host-devices.nw by `make tangle`: edit the chapter, not this file. */
/*H:925 A device's page.
 * The Guest maps whole 4 KiB pages, and virtio-mmio windows are smaller: ours
 * and QEMU's are 512 bytes each, eight to a page. So the question the shadow
 * page tables ask (H:595) is whether a page holds any part of one of this
 * Guest's windows. Every device on the page belongs to the same Guest, since
 * the Host has only one; the Host also refused, when it read the list, any
 * window whose page it must never hand out (H:935). :*/
/* The Guest's devices: where they are, which pages it may map, their lines. */
#include "host.h"

static int window_on_page(const struct lg_device *d, u64 page)
{
	return d->addr < page + PAGE_SIZE && page < d->addr + d->size;
}

int device_page_ok(const struct lguest *lg, u64 page)
{
	for (u32 i = 0; i < lg->nr_devices; i++)
		if (window_on_page(&lg->devices[i], page))
			return 1;
	return 0;
}
/*H:927 Devices the Guest has reached.
 * When the shadow maps a device page for the Guest (H:615), every device on
 * that page is one the Guest can now talk to, and so one that may one day
 * interrupt it. We note its interrupt in `irq_reached`; a halt counts only
 * those (H:897). The note is never taken back: a Guest that unmaps a window has
 * still set the device going, and the device may still speak. :*/
void devices_reached(struct lguest *lg, u64 page)
{
	for (u32 i = 0; i < lg->nr_devices; i++)
		if (window_on_page(&lg->devices[i], page))
			lg->irq_reached |= 1ULL << lg->devices[i].irq;
}
/*:*/
/*H:930 Reading a number as Linux does.
 * The device words are Linux's, so their numbers are too: decimal, or
 * hexadecimal after `0x`, and the size, and only the size, may end in `K`, `M`
 * or `G` (Linux reads it with `memparse`, and the other two with `sscanf`, so
 * `0x200@3G:5` is no word to Linux, and none to us). QEMU writes
 * `512@0xfeb00e00:12`; our Launcher writes `0x200@0xd0000000:5`. A number
 * that does not fit in 64 bits is no number, and we say so apart from a word
 * that is simply misshapen: `0x1ffffffffffffffff` and `17179869184G` (2^64
 * bytes) are well-formed and too big, and a person who typed one deserves to
 * hear which of the two mistakes they made. So the reader answers one of
 * three things, and moves `*sp` past what it read. :*/
enum { NUMBER_OK, NUMBER_NONE, NUMBER_TOO_BIG };

static int parse_number(const char **sp, u64 *value, int suffix)
{
	const char *s = *sp, *digits;
	u64 n = 0, base = 10;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16, s += 2;
	for (digits = s; ; s++) {
		u64 d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && (*s | 0x20) >= 'a' && (*s | 0x20) <= 'f')
			d = (*s | 0x20) - 'a' + 10;
		else
			break;
		if (n > (~0ULL - d) / base)
			return NUMBER_TOO_BIG;
		n = n * base + d;
	}
	if (s == digits)
		return NUMBER_NONE;
	if (suffix) {
		for (const char *u = "KMG"; *u; u++) {
			if ((*s | 0x20) == (*u | 0x20)) {
				int shift = 10 * (int)(u - "KMG" + 1);

				if (n >> (64 - shift))
					return NUMBER_TOO_BIG;
				n <<= shift, s++;
				break;
			}
		}
	}
	*value = n, *sp = s;
	return NUMBER_OK;
}
/*:*/
/*H:935 One device word.
 * A word is `virtio_mmio.device=<size>@<address>:<line>`, perhaps with a fourth
 * `:<id>` that Linux uses to name the platform device and we ignore. Ignored
 * is not unread: like Linux we want a number there and nothing after it, so
 * `:9:abc` and `:9x` are misshapen words. Being well-formed is not enough for
 * us to hand the window to a Guest, so each word passes six rules, and a word
 * that breaks one is refused with a line on the console and otherwise
 * ignored; the Guest simply does not see that device.
 *
 * 1. The window is 1 to 4096 bytes.
 * 2. The whole page range it touches lies below 2^52, the largest physical
 *    address any x86-64 processor can have. Above that a page-table entry cannot
 *    even name the page, and near the top of the 64 bits the window's end,
 *    rounded up to a page, wraps to zero: `0x100@0xfffffffffffff000` would
 *    otherwise pass every page test below, since its page range is empty.
 * 3. No page it touches holds RAM, by the memory map. The Guest maps whole
 *    pages, so a window beside RAM would hand the Guest RAM outside its window,
 *    perhaps the Host's.
 * 4. No page it touches is the local APIC's or the I/O APIC's. A Guest that could
 *    program the interrupt controllers could aim any interrupt anywhere.
 * 5. No byte of it is another device's. Two windows on one page are normal
 *    (QEMU puts eight there); two on the same bytes are one device's registers
 *    answered by two drivers, and the first device goes deaf: the console's, say,
 *    and the shell never answers.
 * 6. The line is one of the I/O APIC's 24, not 0 (the old timer) or 2 (the
 *    cascade), and no other device has it, since a Guest interrupt is one
 *    device's.
 *
 * The VMM that wrote these words is trusted: it built the whole machine. The
 * rules are there because the words can come from a person, too: under QEMU
 * anyone can add one to `-append`, and a mistake there should cost a device,
 * not the isolation of the Guest.
 *
 * The line stays a 64-bit number until rule 6 has judged it. It once went
 * straight into a 32-bit variable, and `:4294967303` (2^32 + 7) arrived as line
 * 7, a valid line the person never wrote. :*/
#define LAPIC_PAGE  0xfee00000ULL
#define IOAPIC_PAGE 0xfec00000ULL
#define PHYS_LIMIT  (1ULL << 52)

static const char *parse_device(const char *s, struct lg_device *d, u64 *gsi)
{
	u64 v[3], id;
	int r = NUMBER_OK;

	for (int i = 0; i < 3 && r == NUMBER_OK; i++) {
		r = parse_number(&s, &v[i], i == 0);
		if (r == NUMBER_OK && i < 2 && *s++ != "@:"[i])
			r = NUMBER_NONE;
	}
	if (r == NUMBER_OK && *s == ':')
		s++, r = parse_number(&s, &id, 0);
	if (r == NUMBER_TOO_BIG)
		return "has a number that does not fit in 64 bits";
	if (r != NUMBER_OK || (*s && *s != ' '))
		return "is not <size>@<address>:<line>[:<id>]";
	if (v[0] == 0 || v[0] > PAGE_SIZE)
		return "has a window that is not 1 to 4096 bytes";
	if (v[1] > PHYS_LIMIT - v[0])
		return "has a window that reaches past the highest physical address";
	d->addr = v[1], d->size = (u32)v[0], *gsi = v[2];
	return NULL;
}
/*:*/
/*H:935, continued :*/
static const char *device_problem(const struct lguest *lg, const struct pvh_boot *boot,
				  const struct lg_device *d, u64 gsi)
{
	u64 first = d->addr & ~(PAGE_SIZE - 1), end = (d->addr + d->size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);

	for (u32 i = 0; i < boot->memmap_entries; i++) {
		const struct pvh_memmap_entry *e = &boot->memmap[i];

		if (e->type == PVH_MEMMAP_RAM && e->addr < end && first < e->addr + e->size)
			return "shares a page with RAM";
	}
	if ((first <= LAPIC_PAGE && LAPIC_PAGE < end) ||
	    (first <= IOAPIC_PAGE && IOAPIC_PAGE < end))
		return "shares a page with an interrupt controller";
	for (u32 i = 0; i < lg->nr_devices; i++) {
		const struct lg_device *o = &lg->devices[i];

		if (d->addr < o->addr + o->size && o->addr < d->addr + d->size)
			return "has a window on top of another device's window";
	}
	if (gsi == 0 || gsi == 2 || gsi >= 24)
		return "names an interrupt line other than 1 and 3 to 23";
	for (u32 i = 0; i < lg->nr_devices; i++)
		if (lg->irq_gsi[lg->devices[i].irq] == gsi)
			return "shares its interrupt line with another device";
	if (lg->nr_devices == LG_MAX_DEVICES)
		return "is one device too many";
	return NULL;
}
/*:*/
/*H:940 The whole list.
 * The Host reads every word of its command line, before and after `--`: QEMU
 * appends its device words to whatever line it was given, so they may land on
 * the Guest's side (H:270 keeps them from the Guest). Each accepted device gets
 * the next Guest interrupt, its line is routed there, and it joins the list in
 * both places, the Host's copy and the boot information. A line starts
 * unmasked: a device with nothing to say keeps it down. A word that is only
 * the key, `virtio_mmio.device=` with nothing after it, is refused like any
 * other that does not parse: H:270 keeps it from the Guest, so if we said
 * nothing it would vanish, and a typo should show. :*/
void devices_init(struct lguest *lg, const struct pvh_boot *boot, u64 boot_info)
{
	static const char key[] = "virtio_mmio.device=";
	struct lg_boot_info *bi = from_guest_phys(lg, boot_info, sizeof(*bi), "the boot information");

	for (const char *w = boot->cmdline; *w; ) {
		struct lg_device d;
		const char *why;
		u64 gsi;
		u32 len;

		while (*w == ' ')
			w++;
		for (len = 0; w[len] && w[len] != ' '; len++)
			;
		if (str_starts(w, key)) {
			why = parse_device(w + sizeof(key) - 1, &d, &gsi);
			if (!why)
				why = device_problem(lg, boot, &d, gsi);
			if (why) {
				host_printf("lguest: ignoring %.*s: it %s\n", (int)len, w, why);
			} else {
				d.irq = 1 + lg->nr_devices;
				irq_route(lg, (u32)gsi, d.irq);
				lg->devices[lg->nr_devices++] = d;
			}
		}
		w += len;
	}
	bi->nr_devices = lg->nr_devices;
	memcpy(bi->devices, lg->devices, sizeof(bi->devices));
}
/*:*/
/*M:950 An unmask without a trap.
 * Every device interrupt costs the Guest two visits to the Host: the interrupt
 * itself, and the unmask hypercall of the next step. The second could ride on
 * the first of the next visits instead: a bit per interrupt in the shared page
 * ("unmask me"), which the Host reads whenever it is entered anyway, as it does
 * `irq_pending`. The danger is a Guest that never enters the Host again; a halt,
 * a timer or any hypercall is an entry, so the line would come back at the
 * latest when the Guest next waits. Measure before and after with the block
 * benchmark. */
/*H:945 LHCALL_IRQ_UNMASK.
 * The Guest's driver has told its device "I have seen your interrupt" (it wrote
 * the device's `InterruptACK` register), and now asks for the line back. The
 * interrupt must be one of its devices'; the clock's, or a number the Host never
 * routed, is a Guest that does not know what it is doing, and it is killed. The
 * call costs a trap, one per interrupt; *M:950* says how to save it. :*/
void devices_irq_unmask(struct lguest *lg, u64 irq)
{
	if (irq == 0 || irq > lg->nr_devices)
		kill_guest(lg, "unmask of interrupt %llu, which is not one of its %u devices'",
			   irq, lg->nr_devices);
	irq_line_mask(lg, irq, 0);
}
/*:*/
/*:*/
