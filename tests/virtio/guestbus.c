/*
 * The Guest's virtio-mmio bus (drivers/virtio_mmio.c, D:140 to D:180)
 * against model devices, built on the host by test-guest-bus.sh.  The
 * tangled file is included whole; its register reads and writes come here,
 * where each window is a small device that keeps the rules of the virtio
 * 1.x MMIO transport: feature words selected by half, a status that can
 * refuse FEATURES_OK, a configuration generation that can move under a
 * reader, an interrupt status.  The boot information, page tables, the four
 * drivers and the hypercall are ours too, and record what the bus asked.
 *
 * Prints "ok NAME" / "FAIL NAME: why" lines; exit status 0.
 */
#include "drivers.h"

/* The bus's register accesses, and its one hypercall, come to the models. */
static u32 model_read(struct virtio_device *d, u32 reg);
static void model_write(struct virtio_device *d, u32 reg, u32 v);
static u64 model_hcall(u64 nr, u64 a1, u64 a2, u64 a3);
#define vio_read(d, reg) model_read(d, reg)
#define vio_write(d, reg, v) model_write(d, reg, v)
#define hcall(nr, a1, a2, a3) model_hcall(nr, a1, a2, a3)

#include "virtio_mmio.c"
#include "../harness.h"

int printf(const char *fmt, ...);
void *aligned_alloc(u64 align, u64 size);

/* ------------------------------------------------------------ the models */
struct model {
	u32 magic, version, id;
	u64 offers;			/* device features */
	u32 dev_sel, drv_sel;
	u64 accepted;			/* driver features, as written */
	u32 status, refuse;		/* refuse: FEATURES_OK is not kept */
	u32 statuses[8], nr_statuses;	/* every status written, in order */
	u32 gen, gen_reads, move_at;	/* the generation moves at read move_at */
	u32 int_status, acked;
};

#define NR_MODELS 6
static u8 *window_page;			/* six windows of 0x200 in one page */
static struct model models[NR_MODELS];

static struct model *model_of(struct virtio_device *d)
{
	return &models[(d->regs - window_page) / VIRTIO_MMIO_WINDOW];
}

static u32 model_read(struct virtio_device *d, u32 reg)
{
	struct model *m = model_of(d);

	switch (reg) {
	case VIRTIO_MMIO_MAGIC_VALUE: return m->magic;
	case VIRTIO_MMIO_VERSION: return m->version;
	case VIRTIO_MMIO_DEVICE_ID: return m->id;
	case VIRTIO_MMIO_DEVICE_FEATURES: return m->dev_sel ? m->offers >> 32 : (u32)m->offers;
	case VIRTIO_MMIO_STATUS: return m->status;
	case VIRTIO_MMIO_INTERRUPT_STATUS: return m->int_status;
	case VIRTIO_MMIO_CONFIG_GENERATION:
		if (++m->gen_reads == m->move_at) {
			m->gen++;
			d->regs[VIRTIO_MMIO_CONFIG] ^= 0xff;	/* the change the reader must see */
		}
		return m->gen;
	}
	return 0;
}

static void model_write(struct virtio_device *d, u32 reg, u32 v)
{
	struct model *m = model_of(d);

	switch (reg) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL: m->dev_sel = v; break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL: m->drv_sel = v; break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		if (m->drv_sel)
			m->accepted = (m->accepted & 0xffffffffULL) | (u64)v << 32;
		else
			m->accepted = (m->accepted & ~0xffffffffULL) | v;
		break;
	case VIRTIO_MMIO_STATUS:
		if (m->nr_statuses < 8)
			m->statuses[m->nr_statuses++] = v;
		m->status = m->refuse ? v & ~VIRTIO_STATUS_FEATURES_OK : v;
		break;
	case VIRTIO_MMIO_INTERRUPT_ACK: m->acked |= v, m->int_status &= ~v; break;
	}
}

static u64 unmasked[8];
static int nr_unmasked;

static u64 model_hcall(u64 nr, u64 a1, u64 a2, u64 a3)
{
	(void)a2, (void)a3;
	if (nr == LHCALL_IRQ_UNMASK && nr_unmasked < 8)
		unmasked[nr_unmasked++] = a1;
	return 0;
}

/* ------------------------------------------------------------ the Guest's world */
static struct lg_boot_info boot;
const struct lg_boot_info *guest_boot = &boot;
u64 *kernel_root;
static u64 pte_of_page;			/* the window page's entry: present or not */
static int maps, probes, refusing_probe;
static void (*handler[24])(struct trap_frame *);

u64 *pt_entry(u64 *root, u64 va, int level, int make)
{
	(void)root, (void)level, (void)make;
	return va == (u64)window_page ? &pte_of_page : NULL;
}

int pt_map(u64 *root, u64 va, u64 pa, u64 flags)
{
	(void)root;
	maps++;
	if (va == (u64)window_page && pa == va && (flags & PTE_W))
		pte_of_page = pa | PTE_P | PTE_W;
	return 1;
}

void irq_set_handler(unsigned irq, void (*fn)(struct trap_frame *))
{
	if (irq < 24)
		handler[irq] = fn;
}

static int probe(struct virtio_device *d)
{
	probes++;
	if (refusing_probe)
		return -1;
	if (virtio_negotiate(d, 0) < 0)
		return -1;
	virtio_driver_ok(d);
	return 0;
}

const struct virtio_driver virtio_console_driver = { VIRTIO_ID_CONSOLE, "virtio-console", probe };
const struct virtio_driver virtio_rng_driver = { VIRTIO_ID_RNG, "virtio-rng", probe };
const struct virtio_driver virtio_blk_driver = { VIRTIO_ID_BLOCK, "virtio-blk", probe };
const struct virtio_driver virtio_net_driver = { VIRTIO_ID_NET, "virtio-net", probe };

static struct virtqueue *interrupted[8];
static int nr_interrupted, config_changes;

void vq_interrupt(struct virtqueue *vq)
{
	if (nr_interrupted < 8)
		interrupted[nr_interrupted++] = vq;
}

int blk_bench_wanted;
int blk_bench(void) { return 0; }
int net_set_ip(const char *text) { (void)text; return 1; }
int net_bench_option(const char *word) { (void)word; return 0; }
void net_bench_boot(void) {}
void guest_poweroff(u64 status) { (void)status; for (;;); }
int selftest_skip(const char *why) { (void)why; return SELFTEST_SKIP; }
char *strstr(const char *haystack, const char *needle);
static int refusals_told;

void printk(const char *fmt, ...)
{
	if (strstr(fmt, "refused device"))
		refusals_told++;
}

int str_starts(const char *s, const char *prefix)
{
	while (*prefix)
		if (*s++ != *prefix++)
			return 0;
	return 1;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (u8)*a - (u8)*b;
}

/* ------------------------------------------------------------ the tests */
#define F(bit) VIRTIO_BIT(VIRTIO_F_##bit)
#define RINGS (F(VERSION_1) | F(RING_INDIRECT_DESC) | F(RING_EVENT_IDX))

static void device(int i, u32 id, u32 irq)
{
	models[i] = (struct model){ .magic = VIRTIO_MMIO_MAGIC, .version = VIRTIO_MMIO_VERSION_2,
				    .id = id, .offers = RINGS | VIRTIO_BIT(5) | VIRTIO_BIT(40) };
	boot.devices[i] = (struct lg_device){ (u64)(window_page + i * VIRTIO_MMIO_WINDOW),
					      VIRTIO_MMIO_WINDOW, irq };
}

/* D:150 to D:160: of five entries, a console, a window that is not virtio,
 * one of version 1, an empty slot and an entropy device that refuses our
 * features; a sixth entry lies past the count.  The page is mapped once. */
static void test_init(void)
{
	struct model *con = &models[0], *rng = &models[4];
	struct virtio_device *d0, *d1;
	int good;

	for (int i = 0; i < NR_MODELS; i++)
		device(i, VIRTIO_ID_CONSOLE, 5 + i);
	models[1].magic = 0x12345678;
	models[2].version = 1;
	models[3].id = 0;
	models[4].id = VIRTIO_ID_RNG, rng->refuse = 1;
	models[5].id = VIRTIO_ID_BLOCK;
	boot.nr_devices = 5;
	virtio_init();
	d0 = virtio_device_at(0), d1 = virtio_device_at(1);
	check("guest-bus-finds",
	      virtio_count() == 2 && !models[1].nr_statuses && !models[2].nr_statuses &&
	      !models[3].nr_statuses && !models[5].nr_statuses && probes == 2,
	      "not exactly the console and the entropy device were brought up");
	check("guest-bus-maps-once", maps == 1 && (pte_of_page & PTE_P),
	      "the windows' page was not mapped, or mapped again for each window");
	check("guest-bus-brings-up",
	      con->nr_statuses >= 2 && con->statuses[0] == 0 &&
	      con->statuses[1] == VIRTIO_STATUS_ACKNOWLEDGE &&
	      (con->status & VIRTIO_STATUS_DRIVER_OK) && !(con->status & VIRTIO_STATUS_FAILED) &&
	      d0 && d0->driver && d0->irq == 5 && handler[5] == virtio_interrupt,
	      "the console was not reset, acknowledged, handled and driven");
	check("guest-bus-probe-refused",
	      d1 && !d1->driver && (rng->status & VIRTIO_STATUS_FAILED) && handler[9] &&
	      !virtio_find(VIRTIO_ID_RNG, 0) && refusals_told == 1,
	      "a device whose probe refused is not FAILED, still has a driver, or nobody was told");
	check("guest-bus-lookups",
	      virtio_find(VIRTIO_ID_CONSOLE, 0) == d0 && !virtio_find(VIRTIO_ID_CONSOLE, 1) &&
	      !virtio_device_at(-1) && !virtio_device_at(2),
	      "virtio_find or virtio_device_at answered past the devices");
	good = probes;
	virtio_init();
	check("guest-bus-init-once", virtio_count() == 2 && probes == good,
	      "a second virtio_init brought the devices up again");
}

/* D:165: VERSION_1 or nothing; the driver's bits, and the ring features,
 * in both halves; FEATURES_OK only if the device keeps it. */
static void test_negotiate(void)
{
	struct model *m = &models[5];
	struct virtio_device d = { .regs = window_page + 5 * VIRTIO_MMIO_WINDOW };
	int r;

	*m = (struct model){ .offers = VIRTIO_BIT(3) };
	r = virtio_negotiate(&d, VIRTIO_BIT(3));
	check("guest-bus-needs-version-1", r == -1 && !(m->status & VIRTIO_STATUS_FEATURES_OK),
	      "a device without VERSION_1 was accepted");
	*m = (struct model){ .offers = F(VERSION_1) | F(RING_EVENT_IDX) | VIRTIO_BIT(3) |
				       VIRTIO_BIT(4) | VIRTIO_BIT(35) };
	r = virtio_negotiate(&d, VIRTIO_BIT(3) | VIRTIO_BIT(6));
	check("guest-bus-negotiate",
	      r == 0 && d.features == (F(VERSION_1) | F(RING_EVENT_IDX) | VIRTIO_BIT(3)) &&
	      m->accepted == d.features && (m->status & VIRTIO_STATUS_FEATURES_OK),
	      "the features accepted are not what both sides want, in both halves");
	*m = (struct model){ .offers = RINGS, .refuse = 1 };
	r = virtio_negotiate(&d, 0);
	check("guest-bus-features-refused", r == -1,
	      "a device that refused FEATURES_OK was believed");
}

/* D:170: a field read while the generation moves is read again. */
static void test_config(void)
{
	struct model *m = &models[5];
	struct virtio_device d = { .regs = window_page + 5 * VIRTIO_MMIO_WINDOW };
	volatile u8 *c = d.regs + VIRTIO_MMIO_CONFIG;
	u32 v;
	u64 w;

	*m = (struct model){ 0 };
	for (int i = 0; i < 8; i++)
		c[i] = 0x11 * (i + 1);
	check("guest-bus-config-widths",
	      virtio_config_read(&d, 0, 1) == 0x11 && virtio_config_read(&d, 1, 2) == 0x3322 &&
	      virtio_config_read(&d, 0, 4) == 0x44332211 &&
	      virtio_config_read64(&d, 0) == 0x8877665544332211ULL,
	      "a configuration field read at the wrong width or place");
	m->gen_reads = 0, m->move_at = 2;
	v = virtio_config_read(&d, 0, 1);
	check("guest-bus-config-generation", v == 0xee && m->gen_reads == 4,
	      "a byte read while the generation moved was believed");
	m->gen_reads = 0, m->move_at = 2;
	w = virtio_config_read64(&d, 0);
	check("guest-bus-config64-generation", w == 0x8877665544332211ULL && m->gen_reads == 4,
	      "a 64-bit field read while the generation moved was believed");
}

/* D:175: acknowledge first, every queue on "used", config_changed on
 * "configuration", then the line may come back. */
static void config_changed(struct virtio_device *d) { (void)d; config_changes++; }

static void test_interrupt(void)
{
	struct virtio_device *d = virtio_device_at(0);
	struct trap_frame f = { .vector = LG_IRQ_VECTOR_BASE + 5 };
	struct model *m = &models[0];

	if (!d) {
		check("guest-bus-interrupt", 0, "no device 0 to interrupt");
		return;
	}
	d->vqs[0] = (struct virtqueue *)&f, d->vqs[VIRTIO_MAX_VQS - 1] = (struct virtqueue *)d;
	d->config_changed = config_changed;
	m->int_status = VIRTIO_INT_USED | VIRTIO_INT_CONFIG, m->acked = 0;
	virtio_interrupt(&f);
	check("guest-bus-interrupt",
	      m->acked == 3 && nr_interrupted == 2 && interrupted[0] == d->vqs[0] &&
	      interrupted[1] == d->vqs[VIRTIO_MAX_VQS - 1] && config_changes == 1 &&
	      nr_unmasked == 1 && unmasked[0] == 5,
	      "the interrupt was not acknowledged, a queue missed, or the line not unmasked");
	m->int_status = VIRTIO_INT_CONFIG;
	virtio_interrupt(&f);
	check("guest-bus-interrupt-config",
	      nr_interrupted == 2 && config_changes == 2 && nr_unmasked == 2,
	      "a configuration interrupt ran the queues");
	f.vector = LG_IRQ_VECTOR_BASE + 7;
	virtio_interrupt(&f);
	check("guest-bus-interrupt-stranger", nr_unmasked == 2,
	      "a line of no device was unmasked");
}

/* D:145: a window must fit its page and be a whole window. */
static void test_map(void)
{
	check("guest-bus-window-fits",
	      virtio_map((u64)window_page + 0xe00, VIRTIO_MMIO_WINDOW) &&
	      !virtio_map((u64)window_page + 0xe01, VIRTIO_MMIO_WINDOW) &&
	      !virtio_map((u64)window_page + 0xf00, VIRTIO_MMIO_WINDOW) &&
	      !virtio_map((u64)window_page, VIRTIO_MMIO_WINDOW - 1),
	      "a window that spills over its page, or is too small, was mapped");
}

/* D:180: decimal and 0x hexadecimal, and whether the word was a number. */
static void test_parse(void)
{
	static const struct { const char *s; u64 n; int ok; } t[] = {
		{ "0", 0, 1 }, { "9", 9, 1 }, { "190", 190, 1 }, { "0x1f", 31, 1 },
		{ "0XaF", 175, 1 }, { "0x", 0, 0 }, { "", 0, 0 }, { "12a", 12, 0 },
		{ "0x9g", 9, 0 }, { "18446744073709551615", ~0ULL, 1 },
	};
	int good = 1;

	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int ok = -1;
		u64 n = parse_u64(t[i].s, &ok);

		if (n != t[i].n || ok != t[i].ok)
			printf("    | parse_u64(\"%s\") = %llu, ok %d\n", t[i].s, n, ok), good = 0;
	}
	check("guest-bus-parse-u64", good, "a number read wrong");
}

int main(void)
{
	window_page = aligned_alloc(PAGE_SIZE, PAGE_SIZE);
	test_init();
	test_negotiate();
	test_config();
	test_interrupt();
	test_map();
	test_parse();
	return harness_done("guest-bus");
}
