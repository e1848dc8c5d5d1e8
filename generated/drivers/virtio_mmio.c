/* Tangled from chapters/20-drivers.nw, chapters/21-drivers-console.nw,
 * chapters/22-drivers-block.nw and chapters/23-drivers-net.nw
 * by `make tangle`: edit the chapters, not this file. */
/*D:140 The bus's file.
 * The bus keeps one array of devices, filled in boot order, and one table of
 * drivers, which the later chapters fill: each adds a line such as
 * `&virtio_blk_driver,` to *the virtio drivers* and declares the structure in
 * *driver declarations*. :*/
/* The virtio-mmio bus: find the devices, bring them up, take their interrupts. */
#include "drivers.h"

static const struct virtio_driver *const virtio_drivers[] = {
	/*D:340, continued :*/
	&virtio_console_driver,
	/*:*/
	/*D:350, continued :*/
	&virtio_rng_driver,
	/*:*/
	/*D:510 The driver's file.
	 * The driver keeps its disks in a small array; the bus calls its probe once
	 * for each disk it finds, and joins it to the bus's table of drivers. :*/
	&virtio_blk_driver,
	/*:*/
	/*D:848 Joining the bus and the command line.
	 * The driver joins the bus's list, and the word `ip=` joins the Guest's
	 * options. The declarations the rest of the Guest needs go into the drivers'
	 * header: the shell's commands, the two callbacks the stack calls, and the
	 * self-tests. :*/
	&virtio_net_driver,
	/*:*/
	NULL
};

static struct virtio_device devices[LG_MAX_DEVICES];
static int nr_devices;

/*D:145 Mapping a window.
 * The Guest runs with paging on, so before it can touch a device's registers it
 * must map their page. We map it *identity*, virtual address equal to physical,
 * like all of the Guest's memory, and the Host lets us do it only for pages that
 * hold one of our own windows: any other page outside our RAM kills us. Several
 * windows share a page (ours are 0x200 bytes apart, QEMU's too), so we look first
 * whether the page is already there. A window that would spill over the end of
 * its page is refused; nobody places one like that. :*/
static volatile u8 *virtio_map(u64 addr, u32 size)
{
	u64 page = addr & ~(PAGE_SIZE - 1);
	u64 *e = pt_entry(kernel_root, page, 0, 0);

	if (size < VIRTIO_MMIO_WINDOW || (addr & (PAGE_SIZE - 1)) + size > PAGE_SIZE)
		return NULL;
	if (!(e && (*e & PTE_P)) && !pt_map(kernel_root, page, page, PTE_W))
		return NULL;
	return guest_va(addr);
}
/*:*/
/*D:150 Is anybody there?
 * A window is only a promise until we read it. A virtio-mmio window starts with
 * the magic word and the version; anything else is not ours to drive. QEMU's
 * `microvm` machine is worth a word here: it announces a whole row of windows,
 * and a window with no device plugged in still answers with the magic word and
 * the version, but with device type 0. That is an *empty slot*, not an error:
 * we skip it without a word. :*/
static int virtio_window_ok(struct virtio_device *d)
{
	if (vio_read(d, VIRTIO_MMIO_MAGIC_VALUE) != VIRTIO_MMIO_MAGIC)
		return 0;
	if (vio_read(d, VIRTIO_MMIO_VERSION) != VIRTIO_MMIO_VERSION_2) {
		printk(KERN_WARNING "virtio: 0x%llx speaks version %u, not 2\n", d->addr,
		       vio_read(d, VIRTIO_MMIO_VERSION));
		return 0;
	}
	return 1;
}
/*:*/
/*D:158 Matching a driver.
 * The driver table is searched in order, and the first driver of the device's
 * type gets it. A probe that refuses (returns less than 0) leaves the device
 * failed; the bus tells the console why only in a word, since the driver has
 * already said more. :*/
static void virtio_interrupt(struct trap_frame *f);

static void virtio_probe(struct virtio_device *d)
{
	for (int k = 0; virtio_drivers[k]; k++) {
		const struct virtio_driver *drv = virtio_drivers[k];

		if (drv->device_id != d->device_id)
			continue;
		vio_write(d, VIRTIO_MMIO_STATUS,
			  VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
		d->driver = drv->name;
		if (drv->probe(d) < 0) {
			printk(KERN_WARNING "virtio: %s refused device %d\n", drv->name, d->index);
			d->driver = NULL;
			virtio_failed(d);
		}
		return;
	}
	printk(KERN_INFO "virtio: no driver for device %d (type %u)\n", d->index, d->device_id);
}
/*:*/
/*D:155 Bringing a device up.
 * The specification prescribes the order, and the bus does the part that is the
 * same for every device: reset it by writing 0 to `Status` (whatever an earlier
 * owner left, we start clean), say `ACKNOWLEDGE`, and install the interrupt
 * handler before anything could make the device interrupt. Then, if some driver
 * knows the type, `DRIVER`, and the driver's `probe` does the rest: features,
 * queues, `DRIVER_OK`. A device nobody drives stays acknowledged and silent; a
 * driver that fails marks it `FAILED`, so the device knows, too. :*/
static void virtio_bring_up(int i)
{
	const struct lg_device *ld = &guest_boot->devices[i];
	struct virtio_device *d = &devices[nr_devices];

	d->addr = ld->addr, d->size = ld->size, d->irq = ld->irq, d->index = i;
	d->regs = virtio_map(ld->addr, ld->size);
	if (!d->regs) {
		printk(KERN_WARNING "virtio: cannot map the window at 0x%llx\n", ld->addr);
		return;
	}
	if (!virtio_window_ok(d) || !(d->device_id = vio_read(d, VIRTIO_MMIO_DEVICE_ID)))
		return;
	vio_write(d, VIRTIO_MMIO_STATUS, 0);
	vio_write(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	nr_devices++;
	irq_set_handler(d->irq, virtio_interrupt);
	virtio_probe(d);
}
/*:*/
/*D:160 Every device.
 * `virtio_init` walks the boot list once. The other functions look devices up
 * for the drivers and for the shell's `info`. :*/
void virtio_init(void)
{
	static int done;

	if (done++)
		return;
	for (u32 i = 0; i < guest_boot->nr_devices && i < LG_MAX_DEVICES; i++)
		virtio_bring_up(i);
}

/*:*/
/*D:160, continued :*/
int virtio_count(void)
{
	return nr_devices;
}

/*:*/
/*D:160, continued :*/
struct virtio_device *virtio_device_at(int i)
{
	return i >= 0 && i < nr_devices ? &devices[i] : NULL;
}

/*:*/
/*D:160, continued :*/
struct virtio_device *virtio_find(u32 device_id, int nth)
{
	for (int i = 0; i < nr_devices; i++)
		if (devices[i].device_id == device_id && devices[i].driver && nth-- == 0)
			return &devices[i];
	return NULL;
}
/*:*/
/*D:165 Features.
 * The device offers its 64 feature bits in two halves; the driver answers with
 * the bits it accepts, which must be a subset. Every driver gets three virtio
 * bits on top of what it asks for: `VERSION_1`, without which we refuse the
 * device (a device that does not offer it is a legacy device we cannot drive),
 * and the two ring features our virtqueues implement, `RING_INDIRECT_DESC` and
 * `RING_EVENT_IDX`, taken whenever offered. Then `FEATURES_OK`, read back: the
 * device's last chance to say no. :*/
static u64 virtio_device_features(struct virtio_device *d)
{
	u64 f;

	vio_write(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	f = (u64)vio_read(d, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
	vio_write(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	return f | vio_read(d, VIRTIO_MMIO_DEVICE_FEATURES);
}

/*:*/
/*D:165, continued :*/
int virtio_negotiate(struct virtio_device *d, u64 wanted)
{
	u64 offered = virtio_device_features(d);
	u32 status = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;

	if (!(offered & VIRTIO_BIT(VIRTIO_F_VERSION_1))) {
		printk(KERN_WARNING "virtio: device %d does not offer VERSION_1\n", d->index);
		return -1;
	}
	wanted |= VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_RING_INDIRECT_DESC) |
		  VIRTIO_BIT(VIRTIO_F_RING_EVENT_IDX);
	d->features = offered & wanted;
	vio_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	vio_write(d, VIRTIO_MMIO_DRIVER_FEATURES, d->features >> 32);
	vio_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	vio_write(d, VIRTIO_MMIO_DRIVER_FEATURES, (u32)d->features);
	vio_write(d, VIRTIO_MMIO_STATUS, status | VIRTIO_STATUS_FEATURES_OK);
	if (!(vio_read(d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK)) {
		printk(KERN_WARNING "virtio: device %d refused features 0x%llx\n", d->index,
		       d->features);
		return -1;
	}
	return 0;
}
/*:*/
/*D:168 Ready, or failed.
 * The last word of the handshake is `DRIVER_OK`, after the queues are set up;
 * from then on the device may use them. `FAILED` is the other last word. :*/
void virtio_driver_ok(struct virtio_device *d)
{
	vio_write(d, VIRTIO_MMIO_STATUS, vio_read(d, VIRTIO_MMIO_STATUS) |
		  VIRTIO_STATUS_DRIVER_OK);
}

/*:*/
/*D:168, continued :*/
void virtio_failed(struct virtio_device *d)
{
	vio_write(d, VIRTIO_MMIO_STATUS, vio_read(d, VIRTIO_MMIO_STATUS) |
		  VIRTIO_STATUS_FAILED);
}
/*:*/
/*D:170 Reading the configuration.
 * The device's configuration may change under us (a disk grows, a link goes
 * down), and a field wider than one access, the 64-bit capacity of a disk say,
 * could be read half before and half after a change. The transport's answer is
 * `ConfigGeneration`: the device bumps it with every change, so we read it,
 * read the field, and read it again, and start over if it moved. Each field is
 * read with an access of its own width, as the specification asks of the
 * configuration space (the registers before it are always 32 bits). :*/
static u32 virtio_config_once(struct virtio_device *d, u32 offset, int width)
{
	volatile u8 *p = d->regs + VIRTIO_MMIO_CONFIG + offset;

	if (width == 1)
		return *p;
	if (width == 2)
		return *(volatile u16 *)p;
	return *(volatile u32 *)p;
}

/*:*/
/*D:170, continued :*/
u32 virtio_config_read(struct virtio_device *d, u32 offset, int width)
{
	u32 gen, v;

	do {
		gen = vio_read(d, VIRTIO_MMIO_CONFIG_GENERATION);
		v = virtio_config_once(d, offset, width);
	} while (gen != vio_read(d, VIRTIO_MMIO_CONFIG_GENERATION));
	return v;
}

/*:*/
/*D:170, continued :*/
u64 virtio_config_read64(struct virtio_device *d, u32 offset)
{
	u32 gen, lo, hi;

	do {
		gen = vio_read(d, VIRTIO_MMIO_CONFIG_GENERATION);
		lo = virtio_config_once(d, offset, 4);
		hi = virtio_config_once(d, offset + 4, 4);
	} while (gen != vio_read(d, VIRTIO_MMIO_CONFIG_GENERATION));
	return (u64)hi << 32 | lo;
}
/*:*/
/*D:175 A device's interrupt.
 * Each device raises its own Guest interrupt, and one handler serves them all:
 * the interrupt's number is in the frame, and the device with that number is
 * found in the array. Its lines are *level-triggered*: the line stays up for as
 * long as `InterruptStatus` is not zero. So the handler reads the status and
 * writes the same bits to `InterruptACK`, which lowers the line, *before* it does
 * the work. A buffer used while the work runs sets the status again and raises
 * the line again, and we lose nothing. The work is then the queues' callbacks
 * (bit 0) and the driver's `config_changed` (bit 1).
 *
 * The Host, seeing a level-triggered line, masked it before delivering the
 * interrupt to us (*H:915*); otherwise the line, still up until our
 * acknowledgement, would have interrupted the Host forever. We end by telling
 * the Host the line may come back: `LHCALL_IRQ_UNMASK`.
 *
 * That is two register accesses and a hypercall per interrupt, at the book's
 * machine's prices (two CPUs, a nested kvm_pvm) about 50 microseconds and 130. It is why the queues try hard
 * to need few interrupts (*D:225*). :*/
static void virtio_interrupt(struct trap_frame *f)
{
	u32 irq = f->vector - LG_IRQ_VECTOR_BASE, why;
	struct virtio_device *d = NULL;

	for (int i = 0; i < nr_devices && !d; i++)
		if (devices[i].irq == irq)
			d = &devices[i];
	if (!d)
		return;
	why = vio_read(d, VIRTIO_MMIO_INTERRUPT_STATUS);
	vio_write(d, VIRTIO_MMIO_INTERRUPT_ACK, why);
	for (int q = 0; q < VIRTIO_MAX_VQS && (why & VIRTIO_INT_USED); q++)
		if (d->vqs[q])
			vq_interrupt(d->vqs[q]);
	if ((why & VIRTIO_INT_CONFIG) && d->config_changed)
		d->config_changed(d);
	hcall(LHCALL_IRQ_UNMASK, irq, 0, 0);
}
/*:*/
/*D:180 The drivers' words on the command line.
 * The Guest's own command-line parser (*G:350*) hands the words it does not
 * know to every registered driver (D:126); the bus's hook is `driver_option`,
 * and each virtio driver may claim some: the network's
 * `ip=ADDR`, a benchmark's `bench=NAME`. The drivers' chapters write the
 * body, the chunk *the drivers' options*, one test a line, each returning 1
 * when it took the word. What such a word asks for is done later, in
 * `driver_boot_work`, once the devices are up and before the shell starts; its
 * body is the chunk *the drivers' work at boot*, and a benchmark there powers
 * off when it is done.
 *
 * The same place holds a helper every command needs: a number from a word,
 * decimal or with `0x` in hexadecimal, and whether the word was one. :*/
int driver_option(const char *word)
{
	(void)word;
	/*D:690 `bench=blk`.
	 * How fast is a virtio disk under our Launcher, beside the same Guest on
	 * QEMU's disk? `bench=blk` on the Guest's command line answers from inside
	 * the Guest, with its own clock, and powers off: `tests/bench.d/block.sh`
	 * runs it under both and prints the ratios. It measures three things on the
	 * first disk, which must be writable and is overwritten:
	 *
	 * - sequential writes of up to 32 MiB in requests of 128 KiB (32 pages, so
	 *   each request is one indirect table of 34 descriptors), then a flush;
	 * - sequential reads of the same sectors, in the same requests;
	 * - 2,000 reads of 4 KiB at random 4 KiB-aligned places in those sectors,
	 *   then 2,000 writes the same way followed by a flush, each at queue depths
	 *   of 1, 8 and 32 (*D:698*).
	 *
	 * The sequential passes keep one request in flight, the simplest pattern and
	 * the one that shows the cost of a round trip best; the image is in the
	 * host's page cache after the writes, so what we time is virtualization, not
	 * the host's disk. Each result is a `measure:` line of raw counts, bytes or
	 * requests and nanoseconds, which the script turns into rates. :*/
	if (!strcmp(word, "bench=blk"))
		return blk_bench_wanted = 1;
	/*:*/
	/*D:848, continued :*/
	if (str_starts(word, "ip="))
		return net_set_ip(word + 3);
	/*:*/
	/*D:889, continued :*/
	if (str_starts(word, "bench="))
		if (net_bench_option(word + 6))
			return 1;
	/*:*/
	return 0;
}

/*:*/
/*D:180, continued :*/
void driver_boot_work(void)
{
	/*D:690, continued :*/
	if (blk_bench_wanted)
		guest_poweroff(blk_bench());
	/*:*/
	/*D:889, continued :*/
	net_bench_boot();
	/*:*/
}

/*:*/
/*D:180, continued :*/
u64 parse_u64(const char *s, int *ok)
{
	u64 n = 0, base = 10;
	int digits = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16, s += 2;
	for (;; s++, digits++) {
		u64 v = *s >= '0' && *s <= '9' ? (u64)(*s - '0') :
			base == 16 && (*s | 0x20) >= 'a' && (*s | 0x20) <= 'f' ?
			(u64)((*s | 0x20) - 'a' + 10) : 99;

		if (v >= base)
			break;
		n = n * base + v;
	}
	if (ok)
		*ok = digits > 0 && *s == '\0';
	return n;
}
/*:*/
/*D:180, continued :*/

static const struct guest_driver virtio_bus = {
	.name = "virtio-mmio",
	.init = virtio_init,
	.option = driver_option,
	.boot_work = driver_boot_work,
};
GUEST_DRIVER(virtio_bus);
/*:*/
/*:*/
/*D:465, continued :*/
static int virtio_test_bus(void)
{
	for (int i = 0; i < nr_devices; i++) {
		struct virtio_device *d = &devices[i];
		u32 status = vio_read(d, VIRTIO_MMIO_STATUS);

		if (d->driver && (!(status & VIRTIO_STATUS_DRIVER_OK) ||
				  (status & VIRTIO_STATUS_FAILED) ||
				  !(d->features & VIRTIO_BIT(VIRTIO_F_VERSION_1))))
			return 0;
	}
	if (!nr_devices)
		return selftest_skip("no devices");
	return nr_devices <= (int)guest_boot->nr_devices;
}
/*:*/
/*D:465, continued :*/
GUEST_TEST(virtio_test_bus, "virtio: every device the bus kept is DRIVER_OK with VERSION_1");
/*:*/
