/* Fuzz target "mmio": the virtio-mmio register file (launcher/virtio_mmio.c)
 * with each device behind it: the console, a block device on a 32 KiB
 * memfd, the entropy device and a network card on a UNIX-socket "switch"
 * that this harness plays.  No KVM and no worker threads: the harness makes
 * the register accesses the vCPU would make and calls the device as its
 * worker thread would, one step at a time.
 *
 * Input: a list of operations, each an opcode byte and its arguments (all
 * little-endian; a short tail is read as zeros):
 *   0 DEV OFF16 VAL32        4-byte register write
 *   1 DEV OFF16 SIZE         read of SIZE (1, 2, 4 or 8 by SIZE & 3) bytes
 *   2 DEV OFF16 SIZE VAL64   write of SIZE bytes (odd sizes, config space)
 *   3 ADDR16 LEN BYTES...    Guest RAM poke (no DEV byte)
 *   4 DEV                    the worker sees a kick (notify)
 *   5 DEV                    the worker sees its device's fd readable
 *   6 LEN BYTES...           a frame from the switch to the network card (no DEV)
 *   7 DEV Q LOG2NUM DESC16 AVAIL16 USED16   set up and enable queue Q
 *   8 DEV FEAT32 FEAT32 OK   negotiate features (low, high); OK & 1: DRIVER_OK
 * DEV is taken modulo 4: 0 console, 1 block, 2 entropy, 3 network.  Every
 * run starts with each device reset and Guest RAM zeroed.  A bad_driver()
 * ends the run (the Launcher would have exited); a hang is a finding (the
 * worker spins), and so is anything the sanitizers report. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sanitizer/lsan_interface.h>
#include "virtio.h"
#include "fake_launcher.h"

#define NDEV 4
static struct io_region *regions[NDEV];
static int nregions;
static int sw_fd = -1;			/* the switch end of the network card's socket */
static struct sockaddr_un card;		/* the card's address, learnt from its hello */
static socklen_t card_len;

void io_register(struct io_region *r)
{
	if (nregions < NDEV)
		regions[nregions++] = r;
}

static void setup(void)
{
	char path[64], disk[64];
	struct sockaddr_un sw = { .sun_family = AF_UNIX };
	int fd = memfd_create("fuzz-disk", 0);
	u8 hello;

	fuzz_ram_init(FUZZ_RAM);
	if (fd < 0 || ftruncate(fd, 64 * 512) < 0)
		abort();
	snprintf(disk, sizeof(disk), "/proc/self/fd/%d", fd);
	snprintf(path, sizeof(path), "/tmp/lg-fuzz-switch-%d", getpid());
	strcpy(sw.sun_path, path);
	unlink(path);
	sw_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (sw_fd < 0 || bind(sw_fd, (struct sockaddr *)&sw, sizeof(sw)) < 0)
		abort();
	console_add();
	blk_add(disk);
	rng_add(NULL);
	net_add_switch(path);
	unlink(path);
	card_len = sizeof(card);
	if (recvfrom(sw_fd, &hello, 1, 0, (struct sockaddr *)&card, &card_len) < 0)
		abort();
	virtio_start_all();
	if (nregions != NDEV)
		abort();
}

/* ---------------------------------------------------------------- input */
static const u8 *in, *in_end;

static u64 take(int bytes)
{
	u64 v = 0;

	for (int i = 0; i < bytes; i++)
		v |= (u64)(in < in_end ? *in++ : 0) << (8 * i);
	return v;
}

static void access_reg(int dev, u64 off, u32 size, u64 value, bool write)
{
	u8 data[8];

	io_put(data, size, value);
	regions[dev]->access(regions[dev], off % VIRTIO_MMIO_WINDOW, data, size, write);
}

static void worker(int dev, bool kick)
{
	struct virtio_dev *d = virtio_device(dev);

	pthread_mutex_lock(&d->lock);
	if ((d->status & VIRTIO_STATUS_DRIVER_OK) && kick)
		d->ops->notify(d);
	else if ((d->status & VIRTIO_STATUS_DRIVER_OK) && d->ops->fd_ready && d->poll_fd >= 0 &&
		 dev == 3)	/* the console's fd is our standard input: not that */
		d->ops->fd_ready(d);
	pthread_mutex_unlock(&d->lock);
}

static void setup_queue(int dev)
{
	u32 q = take(1), lg = take(1) % 10;
	u64 desc = take(2), avail = take(2), used = take(2);

	access_reg(dev, VIRTIO_MMIO_QUEUE_SEL, 4, q, true);
	access_reg(dev, VIRTIO_MMIO_QUEUE_NUM, 4, 1u << lg, true);
	access_reg(dev, VIRTIO_MMIO_QUEUE_DESC_LOW, 4, desc, true);
	access_reg(dev, VIRTIO_MMIO_QUEUE_DESC_HIGH, 4, 0, true);
	access_reg(dev, VIRTIO_MMIO_QUEUE_DRIVER_LOW, 4, avail, true);
	access_reg(dev, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, 4, 0, true);
	access_reg(dev, VIRTIO_MMIO_QUEUE_DEVICE_LOW, 4, used, true);
	access_reg(dev, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, 4, 0, true);
	access_reg(dev, VIRTIO_MMIO_QUEUE_READY, 4, 1, true);
}

static void negotiate(int dev)
{
	u32 lo = take(4), hi = take(4), ok = take(1);
	u32 s = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;

	access_reg(dev, VIRTIO_MMIO_STATUS, 4, s, true);
	access_reg(dev, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 4, 0, true);
	access_reg(dev, VIRTIO_MMIO_DRIVER_FEATURES, 4, lo, true);
	access_reg(dev, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 4, 1, true);
	access_reg(dev, VIRTIO_MMIO_DRIVER_FEATURES, 4, hi, true);
	access_reg(dev, VIRTIO_MMIO_STATUS, 4, s |= VIRTIO_STATUS_FEATURES_OK, true);
	if (ok & 1)
		access_reg(dev, VIRTIO_MMIO_STATUS, 4, s | VIRTIO_STATUS_DRIVER_OK, true);
}

static void frame_from_switch(void)
{
	u8 frame[256];
	u32 len = take(1);

	for (u32 i = 0; i < len; i++)
		frame[i] = take(1);
	sendto(sw_fd, frame, len, MSG_DONTWAIT, (struct sockaddr *)&card, card_len);
}

static void play(void *arg)
{
	(void)arg;
	while (in < in_end) {
		u32 op = take(1) % 9, dev = op == 3 || op == 6 ? 0 : take(1) % NDEV;
		u64 off, size;

		switch (op) {
		case 0:
			off = take(2);
			access_reg(dev, off, 4, take(4), true);
			break;
		case 1:
			off = take(2);
			access_reg(dev, off, 1u << (take(1) & 3), 0, false);
			break;
		case 2:
			off = take(2), size = 1u << (take(1) & 3);
			access_reg(dev, off, size, take(8), true);
			break;
		case 3:
			off = take(2);
			size = take(1);
			for (u64 i = 0; i < size; i++)
				vm.ram[(off + i) % FUZZ_RAM] = take(1);
			break;
		case 4: worker(dev, true); break;
		case 5: worker(dev, false); break;
		case 6: frame_from_switch(); break;
		case 7: setup_queue(dev); break;
		case 8: negotiate(dev); break;
		}
	}
}

static void reset_all(void)
{
	u8 sink[2048];

	for (int i = 0; i < NDEV; i++) {
		struct virtio_dev *d = virtio_device(i);

		/* A kill may have left a lock held; we are the only thread. */
		pthread_mutex_trylock(&d->lock);
		pthread_mutex_unlock(&d->lock);
		access_reg(i, VIRTIO_MMIO_STATUS, 4, 0, true);
	}
	while (recv(sw_fd, sink, sizeof(sink), MSG_DONTWAIT) >= 0)
		;			/* what the card sent last time */
	while (recv(virtio_device(3)->poll_fd, sink, sizeof(sink), MSG_DONTWAIT) >= 0)
		;			/* frames the card left unread (reset set poll_fd) */
	memset(vm.ram, 0, FUZZ_RAM);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	if (sw_fd < 0) {
		__lsan_disable();	/* the devices live as long as the Launcher */
		setup();
		__lsan_enable();
	}
	reset_all();
	in = data, in_end = data + size;
	fuzz_try(play, NULL);
	for (int i = 0; getenv("FUZZ_VERBOSE") && i < NDEV; i++) {
		struct virtio_dev *d = virtio_device(i);

		fprintf(stderr, "fuzz: %s: status %#x, isr %u, line %d", d->name, d->status,
			d->isr, fuzz_irq_level[d->gsi]);
		for (int q = 0; q < d->ops->nr_queues; q++)
			fprintf(stderr, "; queue %d %s, %u used", q,
				d->vq[q].ready ? "ready" : "off", d->vq[q].used_idx);
		fprintf(stderr, "\n");
	}
	return 0;
}
