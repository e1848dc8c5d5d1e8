/* Fuzz target "hostcmdline": the Host's reading of its command line's
 * virtio_mmio.device=<size>@<address>:<line> words (host/devices.c,
 * devices_init()), compiled for this machine.  The input is the command line
 * (up to its first NUL); RAM is what our Launcher describes: [0, 640 KiB) and
 * [1 MiB, 256 MiB).
 *
 * To know which word made which device, we parse growing prefixes of the line
 * (the first k words, for each k).  Then, for every word the Host accepted,
 * the harness checks with its own reading of the word, and aborts (a finding)
 * if one fails:
 *   - the interrupt line written is the line routed (no silent truncation:
 *     ":4294967303" is not line 7);
 *   - the window's page-rounded end does not wrap past 2^64;
 *   - no two accepted windows overlap;
 *   - the size and address recorded are the ones written. */
#include "host.h"
#include "fake_host.h"

#define WORDS_MAX 24
#define LINE_MAX 4096
#define KEY "virtio_mmio.device="

static struct lg_boot_info bi;
static struct lguest lg;
static struct pvh_boot boot;
static const struct pvh_memmap_entry ram[] = {
	{ 0, 0xa0000, PVH_MEMMAP_RAM, 0 },
	{ 0x100000, (256ULL << 20) - 0x100000, PVH_MEMMAP_RAM, 0 },
};

void *from_guest_phys(const struct lguest *g, u64 addr)
{
	(void)g;
	if (addr != 0x1000)
		fuzz_fail("devices_init wrote its list at %#llx, not where we said", addr);
	return &bi;
}

void irq_route(struct lguest *g, u32 gsi, u32 irq)
{
	if (irq >= LG_NR_IRQS)
		fuzz_fail("interrupt %u routed, past the Host's %d", irq, LG_NR_IRQS);
	g->irq_gsi[irq] = gsi;
}

void irq_line_mask(struct lguest *g, u32 irq, int masked)
{
	(void)g, (void)irq, (void)masked;
}

void *fuzz_phys_to_virt(u64 pa)
{
	fuzz_fail("devices_init read physical %#llx directly", pa);
}

static char line[LINE_MAX + 1];

static void parse(void *arg)
{
	(void)arg;
	memset(&lg, 0, sizeof(lg));
	boot = (struct pvh_boot){ .cmdline = line, .memmap = ram, .memmap_entries = 2 };
	devices_init(&lg, &boot, 0x1000);
}

/* Our own reading of a number: its value, saturated at ~0 (and *big set). */
static const char *number(const char *s, u64 *v, int *big, int suffix)
{
	u64 base = 10, n = 0;
	const char *start;

	*big = 0;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16, s += 2;
	for (start = s;; s++) {
		u64 d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && (*s | 0x20) >= 'a' && (*s | 0x20) <= 'f')
			d = (*s | 0x20) - 'a' + 10;
		else
			break;
		if (n > (~0ULL - d) / base)
			*big = 1, n = ~0ULL;
		else
			n = n * base + d;
	}
	if (s == start)
		return 0;
	if (suffix && (*s | 0x20) == 'k')
		*big |= n >> 54 != 0, n <<= 10, s++;
	else if (suffix && (*s | 0x20) == 'm')
		*big |= n >> 44 != 0, n <<= 20, s++;
	else if (suffix && (*s | 0x20) == 'g')
		*big |= n >> 34 != 0, n <<= 30, s++;
	*v = n;
	return s;
}

static void check(const char *w, const struct lg_device *d, u32 gsi,
		  const struct lg_device *before, u32 nbefore)
{
	u64 size, addr, irq;
	int big;
	const char *s = w + sizeof(KEY) - 1;

	if (fuzz_skip_known())
		nbefore = 0;	/* issue 10's three bugs: no overlap, wrap or line checks */
	else if ((unsigned __int128)d->addr + d->size + 4095 > ~0ULL)
		fuzz_fail("accepted '%s': its window's page-rounded end wraps past 2^64", w);
	for (u32 i = 0; i < nbefore; i++)
		if (before[i].addr < d->addr + d->size && d->addr < before[i].addr + before[i].size)
			fuzz_fail("accepted '%s': its window [%#llx, +%#x) overlaps device %u's "
				  "[%#llx, +%#x)", w, d->addr, d->size, i, before[i].addr,
				  before[i].size);
	if (!(s = number(s, &size, &big, 1)) || big || *s++ != '@' ||
	    !(s = number(s, &addr, &big, 1)) || big || *s++ != ':')
		fuzz_fail("accepted '%s', which is not <size>@<address>:<line>", w);
	if (size != d->size || addr != d->addr)
		fuzz_fail("accepted '%s' as %#x@%#llx", w, d->size, d->addr);
	if (!fuzz_skip_known() && (!(s = number(s, &irq, &big, 0)) || big || irq != gsi))
		fuzz_fail("accepted '%s' with line %u, not the line written", w, gsi);
}

int LLVMFuzzerTestOneInput(const u8 *data, u64 size)
{
	const char *words[WORDS_MAX];
	u64 lens[WORDS_MAX];
	u32 nwords = 0, had = 0;
	struct lg_device dev[LG_MAX_DEVICES];
	u64 n = 0;

	while (n < size && n < LINE_MAX && data[n])
		n++;
	memcpy(line, data, n);
	line[n] = '\0';
	for (u64 i = 0; i < n && nwords < WORDS_MAX; ) {
		while (i < n && line[i] == ' ')
			i++;
		if (i == n)
			break;
		words[nwords] = line + i;
		while (i < n && line[i] != ' ')
			i++;
		lens[nwords] = line + i - words[nwords];
		nwords++;
	}
	for (u32 k = 0; k < nwords; k++) {
		char save = words[k][lens[k]], w[LINE_MAX + 1];

		((char *)words[k])[lens[k]] = '\0';	/* the first k + 1 words */
		if (host_try(parse, 0))
			fuzz_fail("devices_init killed the Guest over its command line");
		((char *)words[k])[lens[k]] = save;
		if (lg.nr_devices > had + 1 || lg.nr_devices < had)
			fuzz_fail("one more word changed the device count from %u to %u",
				  had, lg.nr_devices);
		if (lg.nr_devices == had)
			continue;
		if (bi.nr_devices != lg.nr_devices ||
		    memcmp(&bi.devices[had], &lg.devices[had], sizeof(lg.devices[had])))
			fuzz_fail("the Guest's copy of the device list differs from the Host's");
		memcpy(w, words[k], lens[k]);
		w[lens[k]] = '\0';
		check(w, &lg.devices[had], lg.irq_gsi[lg.devices[had].irq], dev, had);
		dev[had] = lg.devices[had];
		had++;
	}
	return 0;
}
