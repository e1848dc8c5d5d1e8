/*
 * The tap card's kick on the vCPU (L:969), played on the host: a real tap in
 * the network namespace test-netkick.sh makes, the tangled launcher/
 * virtqueue.c, virtio_mmio.c and virtio_net.c, and a Guest played here with
 * EVENT_IDX.  What must hold:
 *
 *  - the tap card has two queues, and no ioeventfd: its kicks come through
 *    the run loop;
 *  - frames queued before a kick have been sent when the store returns, and
 *    reach the tap whole; the next kick is asked for a batch ahead;
 *  - one kick sends at most 64 frames and hands the rest to the worker;
 *  - a kick while the worker already looks by itself does not wake it;
 *  - frames queued after a kick with no kick of their own (a stream's tail)
 *    are sent by the worker's look, and the stream then ends: the card asks
 *    for a kick at the very next frame again and stops looking;
 *  - frames sent, by the kick or by the worker, raise the interrupt a driver
 *    asked for (EVENT_IDX's used_event);
 *  - a receive kick wakes a worker that stopped listening for want of
 *    buffers, so a frame waiting at the tap reaches the new buffer.
 * (Which batch the worker asks for after its own look is left untested: it
 * changes how many kicks a stream takes, never which frames arrive.)
 *
 * The host's end is a packet socket on the tap.  Waits are generous (10 s):
 * nothing here is timed.  Prints "ok NAME" / "FAIL NAME: why"; exit status 0.
 */
#define _GNU_SOURCE
#include "virtio.h"
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct vm vm;
bool lg_verbose;
#define RAM_SIZE (4u << 20)
#define QN 128			/* entries in each queue */
#define TX_TYPE 0x88b5		/* an EtherType for local experiments: our frames */
#define RX_TYPE 0x88b6		/* the frame the host sends the Guest */
#define FRAME 64		/* bytes of each frame, after the 12-byte header */
#define RXQ 0
#define TXQ 1

void lg_say(const char *fmt, ...) { (void)fmt; }

void *guest_ptr(u64 addr, u64 len)
{
	if (addr + len < addr || addr + len > RAM_SIZE)
		bad_driver("it used [%#llx, +%#llx), outside its window", addr, len);
	return vm.ram + addr;
}

void *ram_ptr(u64 addr, u64 len)
{
	return addr + len >= addr && addr + len <= vm.ram_size ? vm.ram + addr : NULL;
}

void bad_driver(const char *fmt, ...)
{
	va_list ap;

	printf("FAIL netkick-unexpected-kill: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	_exit(0);
}

void sandbox_enter(enum sandbox_role role, const char *thread) { (void)role, (void)thread; }
void sandbox_enter_device(u32 device_id, const char *thread) { (void)device_id, (void)thread; }
void sandbox_vcpu_may_send(int fd) { (void)fd; }
u64 io_get(const u8 *data, u32 size) { u64 v = 0; memcpy(&v, data, size); return v; }
void io_put(u8 *data, u32 size, u64 value) { memcpy(data, &value, size); }

static struct io_region *region;
void io_register(struct io_region *r) { region = r; }

/* KVM, played: interrupt lines are accepted, ioeventfds counted; every other
 * ioctl (the tap's) is the kernel's. */
#define FAKE_VM_FD 1000
static int ioeventfds;

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fd == FAKE_VM_FD && req == KVM_IOEVENTFD)
		ioeventfds++;
	if (fd == FAKE_VM_FD)
		return 0;
	return syscall(SYS_ioctl, fd, req, arg);
}

static void check(const char *name, bool good, const char *fmt, ...)
{
	va_list ap;

	if (good) {
		printf("ok %s\n", name);
		return;
	}
	printf("FAIL %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static void pause_ms(int ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&t, NULL);
}

/* ------------------------------------------------------------ the Guest's queues */
struct gq {
	u64 base;		/* descriptors; +0x1000 available; +0x2000 used */
	u16 avail;		/* our next available index */
};
static struct virtio_dev *card;
static struct gq rxq, txq;

static struct vring_desc *gq_desc(struct gq *q) { return (void *)(vm.ram + q->base); }
static struct vring_avail *gq_avail(struct gq *q) { return (void *)(vm.ram + q->base + 0x1000); }
static struct vring_used *gq_used(struct gq *q) { return (void *)(vm.ram + q->base + 0x2000); }
static u16 gq_used_idx(struct gq *q) { return __atomic_load_n(&gq_used(q)->idx, __ATOMIC_ACQUIRE); }
static u16 gq_avail_event(struct gq *q)
{
	return __atomic_load_n((u16 *)&gq_used(q)->ring[QN], __ATOMIC_ACQUIRE);
}

static void guest_write(u64 off, u32 v)
{
	u8 data[4];

	io_put(data, 4, v);
	region->access(region, off, data, 4, true);
}

static u32 guest_read(u64 off)
{
	u8 data[4];

	region->access(region, off, data, 4, false);
	return io_get(data, 4);
}

/* Ask for an interrupt once the used index passes IDX (EVENT_IDX's
 * used_event), after acknowledging any pending one. */
static void want_interrupt_after(struct gq *q, u16 idx)
{
	guest_write(VIRTIO_MMIO_INTERRUPT_ACK, guest_read(VIRTIO_MMIO_INTERRUPT_STATUS));
	__atomic_store_n((u16 *)&gq_avail(q)->ring[QN], idx, __ATOMIC_RELEASE);
}

static bool interrupted(void)
{
	return guest_read(VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_INT_USED;
}

static void gq_up(struct gq *q, int sel, u64 base)
{
	*q = (struct gq){ base, 0 };
	guest_write(VIRTIO_MMIO_QUEUE_SEL, sel);
	guest_write(VIRTIO_MMIO_QUEUE_NUM, QN);
	guest_write(VIRTIO_MMIO_QUEUE_DESC_LOW, base);
	guest_write(VIRTIO_MMIO_QUEUE_DRIVER_LOW, base + 0x1000);
	guest_write(VIRTIO_MMIO_QUEUE_DEVICE_LOW, base + 0x2000);
	guest_write(VIRTIO_MMIO_QUEUE_READY, 1);
}

/* Offer one buffer at ADDR of LEN bytes (writable if W); no kick. */
static void gq_offer(struct gq *q, u64 addr, u32 len, bool w)
{
	u16 k = q->avail % QN;

	gq_desc(q)[k] = (struct vring_desc){ addr, len, w ? VRING_DESC_F_WRITE : 0, 0 };
	gq_avail(q)->ring[k] = k;
	q->avail++;
	__atomic_store_n(&gq_avail(q)->idx, q->avail, __ATOMIC_RELEASE);
}

/* Queue N frames for the tap, numbered from FIRST in their payload. */
static void tx_frames(int first, int n)
{
	for (int i = 0; i < n; i++) {
		u64 at = 0x100000 + (u64)(txq.avail % QN) * 0x100;
		u8 *f = vm.ram + at + sizeof(struct virtio_net_hdr);

		memset(vm.ram + at, 0, 0x100);
		memset(f, 0xff, 6);				/* broadcast */
		memcpy(f + 6, "\x02\x00\x00\x00\x00\x09", 6);
		f[12] = TX_TYPE >> 8, f[13] = TX_TYPE & 0xff;
		f[14] = (first + i) >> 8, f[15] = (first + i) & 0xff;
		gq_offer(&txq, at, sizeof(struct virtio_net_hdr) + FRAME, false);
	}
}

static void kick(void)
{
	guest_write(VIRTIO_MMIO_QUEUE_NOTIFY, TXQ);
}

/* Wait up to 10 s (the machine may be loaded) for the used index to reach IDX. */
static bool gq_wait(struct gq *q, u16 idx)
{
	for (int i = 0; i < 10000; i++) {
		if ((u16)(gq_used_idx(q) - idx) < 0x8000)
			return true;
		pause_ms(1);
	}
	return false;
}

/* ------------------------------------------------------------ the host's end */
static int pkt;			/* a packet socket on the tap */

/* Count the frames of ours that reach the tap's host side within MS of
 * silence, checking that each carries the number we expect next. */
static int tap_collect(int *next, int ms)
{
	u8 buf[256];
	int got = 0;

	for (;;) {
		struct pollfd p = { pkt, POLLIN, 0 };
		struct sockaddr_ll from;
		socklen_t len = sizeof(from);
		ssize_t n;

		if (poll(&p, 1, ms) <= 0)
			return got;
		n = recvfrom(pkt, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len);
		if (n < 16 || from.sll_pkttype == PACKET_OUTGOING || buf[12] != TX_TYPE >> 8 ||
		    buf[13] != (TX_TYPE & 0xff))
			continue;
		if (n != FRAME || (buf[14] << 8 | buf[15]) != *next)
			return -1000 - *next;
		++*next, got++;
	}
}

static void tap_open(void)
{
	struct sockaddr_ll at = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				  .sll_ifindex = (int)if_nametoindex("lguest0") };

	pkt = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (pkt < 0 || !at.sll_ifindex || bind(pkt, (struct sockaddr *)&at, sizeof(at)) < 0) {
		printf("FAIL netkick-packet-socket: %s\n", strerror(errno));
		exit(0);
	}
}

/* Send one frame into the Guest's direction: out of the tap's interface. */
static void tap_send_to_guest(void)
{
	u8 f[FRAME] = { 0 };

	memset(f, 0xff, 6);
	f[12] = RX_TYPE >> 8, f[13] = RX_TYPE & 0xff;
	if (send(pkt, f, sizeof(f), 0) != (ssize_t)sizeof(f))
		printf("FAIL netkick-host-send: %s\n", strerror(errno));
}

/* ------------------------------------------------------------ the cases */
/* The worker stops looking once a look finds nothing and no kick came. */
static bool wait_stream_over(void)
{
	for (int i = 0; i < 10000; i++) {
		if (!__atomic_load_n(&card->again_ns, __ATOMIC_ACQUIRE))
			return true;
		pause_ms(1);
	}
	return false;
}

/* 40 frames and a kick; then, before the stream can end, 3 more with no
 * kick of their own (avail_event is a batch ahead, so a Guest would not
 * kick for them): the worker's look must send them. */
static void test_kick_and_tail(void)
{
	int next = 0, got;
	u16 used, event;
	bool irq;

	guest_write(VIRTIO_MMIO_QUEUE_SEL, 2);
	check("netkick-two-queues", guest_read(VIRTIO_MMIO_QUEUE_NUM_MAX) == 0,
	      "the tap card offers a third queue of %u entries; it has two",
	      guest_read(VIRTIO_MMIO_QUEUE_NUM_MAX));
	check("netkick-no-ioeventfd", ioeventfds == 0,
	      "the tap card asked KVM for %d ioeventfds: its kicks would not reach the vCPU's hook",
	      ioeventfds);
	want_interrupt_after(&txq, 0);
	tx_frames(0, 40);
	kick();
	used = gq_used_idx(&txq), event = gq_avail_event(&txq);
	irq = interrupted();
	want_interrupt_after(&txq, 40);
	tx_frames(40, 3);
	check("netkick-sent-in-the-kick", used == 40,
	      "when the store to QueueNotify returned, %u of 40 frames were sent", used);
	check("netkick-batch-ahead", event == 40 + 32 - 1,
	      "after a kick, avail_event is %u (a batch of 32 ahead is 71)", event);
	check("netkick-interrupt-in-the-kick", irq,
	      "the driver asked for an interrupt at the first frame sent, and the kick raised none");
	check("netkick-tail-sent", gq_wait(&txq, 43),
	      "3 frames queued after a kick, with none of their own, were never sent "
	      "(used index %u, want 43)", gq_used_idx(&txq));
	check("netkick-interrupt-by-worker", interrupted(),
	      "the driver asked for an interrupt after frame 40, and the worker sent the "
	      "tail without one");
	got = tap_collect(&next, 2000);
	check("netkick-frames-arrive", got == 43,
	      got < 0 ? "frame %d came out of order or cut" : "%d of 43 frames reached the tap",
	      got < 0 ? -got - 1000 : got);
	check("netkick-stream-ends", wait_stream_over() && gq_avail_event(&txq) == 43,
	      "10 s after the last frame the worker still looks every %ld ns, and "
	      "avail_event is %u (43 asks for the very next frame)",
	      card->again_ns, gq_avail_event(&txq));
}

/* At most 64 frames in one kick; the worker sends the rest.  The hook is
 * called under the card's lock, as the run loop calls it, and the lock held
 * until we have looked, so the worker cannot send meanwhile. */
static void test_kick_bounded(void)
{
	int next = 43, got;
	u16 used;
	bool dealt;

	pthread_mutex_lock(&card->lock);
	tx_frames(43, 100);
	dealt = card->ops->kick(card);
	used = gq_used_idx(&txq);
	pthread_mutex_unlock(&card->lock);
	if (!dealt)
		eventfd_write(card->notify_fd, 1);
	check("netkick-bounded", used == 43 + 64 && !dealt,
	      "a kick with 100 frames queued sent %u of them and %s the worker",
	      (u16)(used - 43), dealt ? "did not wake" : "woke");
	check("netkick-rest-by-worker", gq_wait(&txq, 143),
	      "the 36 frames left over were never sent (used index %u, want 143)",
	      gq_used_idx(&txq));
	got = tap_collect(&next, 2000);
	check("netkick-all-arrive", got == 100, "%d of 100 frames reached the tap", got);
}

/* A worker whose Guest has no receive buffer stops listening to the tap
 * (L:960); the receive kick that brings one must wake it, so that a frame
 * waiting at the tap reaches the buffer.  Then 32 more buffers, so that the
 * worker listens again and no receive kick wakes it in the cases after. */
static void test_rx_kick(void)
{
	int i;

	for (i = 0; i < 10000 && __atomic_load_n(&card->poll_fd, __ATOMIC_ACQUIRE) >= 0; i++)
		pause_ms(1);
	if (i == 10000) {
		printf("FAIL netkick-rx-kick: the worker never stopped listening without buffers\n");
		return;
	}
	tap_send_to_guest();
	gq_offer(&rxq, 0x200000, 2048, true);
	guest_write(VIRTIO_MMIO_QUEUE_NOTIFY, RXQ);
	check("netkick-rx-kick", gq_wait(&rxq, 1),
	      "a frame waited at the tap, a receive buffer came with a kick, and the "
	      "worker never filled it");
	for (i = 1; i <= 32; i++)
		gq_offer(&rxq, 0x200000 + (u64)i * 0x800, 2048, true);
	guest_write(VIRTIO_MMIO_QUEUE_NOTIFY, RXQ);
	for (i = 0; i < 10000 && __atomic_load_n(&card->poll_fd, __ATOMIC_ACQUIRE) < 0; i++)
		pause_ms(1);
}

/* A kick while the worker already looks by itself needs no wake-up: the
 * hook deals with it (a wake-up per batch is what the hook saves).  The
 * worker's looking is set by hand, under the lock, and it is woken after. */
static void test_kick_while_looking(void)
{
	int next = 143, got;
	u16 used;
	bool dealt;

	pthread_mutex_lock(&card->lock);
	card->again_ns = 200000;
	tx_frames(143, 5);
	dealt = card->ops->kick(card);
	used = gq_used_idx(&txq);
	pthread_mutex_unlock(&card->lock);
	eventfd_write(card->notify_fd, 1);
	check("netkick-no-wake-while-looking", dealt && used == 148,
	      "a kick while the worker looks sent %u of 5 frames and %s the worker",
	      (u16)(used - 143), dealt ? "did not wake" : "woke");
	got = tap_collect(&next, 2000);
	check("netkick-last-arrive", got == 5, "%d of 5 frames reached the tap", got);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	vm.ram = aligned_alloc(4096, RAM_SIZE);
	vm.ram_size = RAM_SIZE;
	vm.vm_fd = FAKE_VM_FD;
	memset(vm.ram, 0, RAM_SIZE);
	net_add_tap("10.78.0.1");
	card = virtio_device(0);
	virtio_start_all();
	tap_open();
	guest_write(VIRTIO_MMIO_STATUS, 0);
	guest_write(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	guest_write(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	guest_write(VIRTIO_MMIO_DRIVER_FEATURES, VIRTIO_BIT(VIRTIO_NET_F_MAC) |
		    VIRTIO_BIT(VIRTIO_F_RING_EVENT_IDX));
	guest_write(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	guest_write(VIRTIO_MMIO_DRIVER_FEATURES, 1);	/* VERSION_1 */
	guest_write(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		    VIRTIO_STATUS_FEATURES_OK);
	gq_up(&rxq, RXQ, 0x10000);
	gq_up(&txq, TXQ, 0x20000);
	guest_write(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		    VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	test_rx_kick();
	test_kick_and_tail();
	test_kick_bounded();
	test_kick_while_looking();
	printf("ok netkick-done\n");
	return 0;
}
