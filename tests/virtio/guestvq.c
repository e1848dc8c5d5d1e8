/*
 * The Guest driver's split virtqueue (drivers/virtqueue.c, D:200 to D:240)
 * against a model device, built on the host by test-guest-vq.sh.  The
 * tangled file is included whole, so the test sees the rings as the device
 * does; the device is a few functions here that read the available ring and
 * write the used ring, and it works only when the Guest halts, as a real
 * device's interrupt wakes a sleeping Guest.  Memory, interrupts, halts and
 * panics are ours: a halt with interrupts enabled, a wait that never sleeps
 * and a panic the driver owes are all seen.
 *
 * Prints "ok NAME" / "FAIL NAME: why" lines; exit status 0 unless the driver
 * loops (then 1, after a FAIL line).  With GUESTVQ_MODEL_ONLY defined it is
 * only the model, for the disk's tests (guestblk.c).
 */
#include "virtqueue.c"
#include "../harness.h"

int printf(const char *fmt, ...);
void *malloc(u64 size);
void *aligned_alloc(u64 align, u64 size);
void free(void *p);
void exit(int status) __attribute__((noreturn));
int usleep(unsigned usec);
int pthread_create(unsigned long *thread, const void *attr, void *(*fn)(void *), void *arg);
int pthread_join(unsigned long thread, void **ret);

/* ------------------------------------------------------------ the Guest's world */
static int heap_fails, nr_kmalloc, nr_kfree;

void *kmalloc(u64 size)
{
	void *p = heap_fails ? NULL : malloc(size);

	if (!p)
		return NULL;
	nr_kmalloc++;
	return memset(p, 0xa5, size);	/* the Guest's heap does not zero */
}

void kfree(void *p)
{
	if (p)
		nr_kfree++, free(p);
}

void *page_alloc(void)
{
	void *p = aligned_alloc(PAGE_SIZE, PAGE_SIZE);

	return p ? memset(p, 0, PAGE_SIZE) : NULL;
}

void page_free(void *p)
{
	free(p);
}

void printk(const char *fmt, ...) { (void)fmt; }

static void *panic_jmp[5];
static int panics;

void guest_panic(const char *fmt, ...)
{
	(void)fmt;
	panics++;
	__builtin_longjmp(panic_jmp, 1);
}

/* Interrupts: a flag.  A halt must come with them disabled (G:825) and
 * enables them; the device's turn comes in the halt. */
static int irq_on = 1, halts, halts_irq_on, disables;
static void (*device_turn)(void);
static void halt_check(void);

u64 irq_save(void)
{
	u64 was = irq_on;

	irq_on = 0;
	return was;
}

void irq_restore(u64 flags)
{
	irq_on = flags;
}

void irq_disable(void)
{
	irq_on = 0;
	if (++disables > 10000) {
		printf("FAIL guest-vq-sleeps: a wait went round 10000 times without sleeping\n");
		exit(1);
	}
}

void guest_halt(void)
{
	if (irq_on)
		halts_irq_on++;
	halt_check();
	if (++halts > 100) {
		printf("FAIL guest-vq-wakes: a wait halted 100 times and its request never came back\n");
		exit(1);
	}
	irq_on = 1;
	if (device_turn)
		device_turn();
}

static u64 poll_scale = 0;	/* 0: poll a little, the device works only in a halt */

u64 clock_ns_to_tsc(u64 ns)
{
	return poll_scale ? ns * poll_scale : ns / 100;
}

/* ------------------------------------------------------------ the device */
static u32 regs[1024];
static struct virtio_device dev = { .regs = (volatile u8 *)regs };
#define REG(off) regs[(off) / 4]
static u16 dev_avail;		/* the next available entry the device reads */
static struct virtqueue *fresh(u64 features, u32 num_max, unsigned want,
			       void (*callback)(struct virtqueue *vq))
{
	memset(regs, 0, sizeof(regs));
	REG(VIRTIO_MMIO_QUEUE_NUM_MAX) = num_max;
	REG(VIRTIO_MMIO_QUEUE_NOTIFY) = 0xdead;
	dev.features = features;
	dev_avail = 0, device_turn = NULL;
	return vq_setup(&dev, 1, want, callback);
}

/* The next head the driver offered, or -1. */
static int dev_next(struct virtqueue *vq)
{
	if (dev_avail == vq->avail->idx)
		return -1;
	return vq->avail->ring[dev_avail++ % vq->num];
}

/* The request at HEAD as the device reads it, through an indirect table. */
static int dev_chain(struct virtqueue *vq, u16 head, struct vring_desc *out, int max)
{
	struct vring_desc *t = vq->desc;
	unsigned i = head, lim = vq->num;
	int n = 0;

	if (t[head].flags & VRING_DESC_F_INDIRECT)
		t = (struct vring_desc *)t[head].addr, lim = vq->desc[head].len / 16, i = 0;
	for (;;) {
		if (n == max || i >= lim)
			return -1;
		out[n] = t[i];
		if (!(t[i].flags & VRING_DESC_F_NEXT))
			return n + 1;
		i = t[i].next, n++;
	}
}

static void dev_use(struct virtqueue *vq, u32 head, u32 len)
{
	vq->used->ring[vq->used->idx % vq->num] = (struct vring_used_elem){ head, len };
	vq->used->idx++;
}

static u16 *avail_event(struct virtqueue *vq) { return (u16 *)&vq->used->ring[vq->num]; }
static u16 *used_event(struct virtqueue *vq) { return &vq->avail->ring[vq->num]; }

/* A Guest that sleeps on a queue must not sleep with news already there,
 * and with EVENT_IDX must have asked for the interrupt that wakes it. */
static struct virtqueue *sleeper;
static int halts_with_news, halts_unarmed;

static void halt_check(void)
{
	if (!sleeper)
		return;
	if (sleeper->last_used != sleeper->used->idx)
		halts_with_news++;
	if (sleeper->event_idx && *used_event(sleeper) != sleeper->last_used)
		halts_unarmed++;
}

static u8 buf[8][64];
static char tA[] = "A", tB[] = "B", tC[] = "C", tD[] = "D", tE[] = "E";
static const struct vq_buf b0 = { buf[0], 10 }, b1 = { buf[1], 20 }, b2 = { buf[2], 30 };

#define F(bit) VIRTIO_BIT(VIRTIO_F_##bit)

/* ------------------------------------------------------------ the tests */
#ifndef GUESTVQ_MODEL_ONLY	/* tests/virtio/guestblk.c takes the model alone */
/* D:210: the size is the smallest of the device's limit, the driver's wish
 * and 256, a power of two; the device learns the three addresses. */
static void test_setup(void)
{
	struct virtqueue *vq = fresh(0, 1000, 100, NULL);
	u64 desc = vq ? guest_pa(vq->desc) : 0, drv = vq ? guest_pa(vq->avail) : 0;
	u64 used = vq ? guest_pa(vq->used) : 0;

	check("guest-vq-setup-size",
	      vq && vq_size(vq) == 64 && REG(VIRTIO_MMIO_QUEUE_NUM) == 64 && vq_free(vq) == 64,
	      "a device limit of 1000 and a wish of 100 should give 64");
	check("guest-vq-setup-registers",
	      vq && REG(VIRTIO_MMIO_QUEUE_SEL) == 1 && REG(VIRTIO_MMIO_QUEUE_READY) == 1 &&
	      REG(VIRTIO_MMIO_QUEUE_DESC_LOW) == (u32)desc &&
	      REG(VIRTIO_MMIO_QUEUE_DESC_HIGH) == desc >> 32 &&
	      REG(VIRTIO_MMIO_QUEUE_DRIVER_LOW) == (u32)drv &&
	      REG(VIRTIO_MMIO_QUEUE_DRIVER_HIGH) == drv >> 32 &&
	      REG(VIRTIO_MMIO_QUEUE_DEVICE_LOW) == (u32)used &&
	      REG(VIRTIO_MMIO_QUEUE_DEVICE_HIGH) == used >> 32 &&
	      dev.vqs[1] == vq && vq_device(vq) == &dev,
	      "queue 1's size, addresses or READY not told to the device");
	vq = fresh(0, 256, 1000, NULL);
	check("guest-vq-setup-256", vq && vq_size(vq) == 256, "the largest queue is not 256");
	vq = fresh(0, 16, 256, NULL);
	check("guest-vq-setup-device-limit", vq && vq_size(vq) == 16, "a limit of 16 not kept");
	check("guest-vq-setup-absent", !fresh(0, 0, 256, NULL), "a queue of size 0 was set up");
	fresh(0, 256, 256, NULL);
	REG(VIRTIO_MMIO_QUEUE_READY) = 1;
	check("guest-vq-setup-ready", !vq_setup(&dev, 1, 256, NULL),
	      "a queue the device says is in use was set up again");
	check("guest-vq-setup-index", !vq_setup(&dev, VIRTIO_MAX_VQS, 256, NULL),
	      "a queue index past VIRTIO_MAX_VQS was accepted");
}

/* D:215, D:218: a chain in the ring, readable buffers first, linked by NEXT. */
static void test_chain(void)
{
	struct virtqueue *vq = fresh(0, 8, 8, NULL);
	struct vq_buf out[2] = { b0, b1 }, in[1] = { b2 }, many[9];
	struct vring_desc c[9];
	int head, n, r;

	r = vq_add(vq, out, 2, in, 1, tA);
	head = dev_next(vq);
	n = head < 0 ? -1 : dev_chain(vq, head, c, 9);
	check("guest-vq-chain",
	      r == 0 && n == 3 && vq_free(vq) == 5 && vq->avail->idx == 1 &&
	      c[0].addr == guest_pa(buf[0]) && c[0].len == 10 && c[0].flags == VRING_DESC_F_NEXT &&
	      c[1].addr == guest_pa(buf[1]) && c[1].len == 20 && c[1].flags == VRING_DESC_F_NEXT &&
	      c[2].addr == guest_pa(buf[2]) && c[2].len == 30 && c[2].flags == VRING_DESC_F_WRITE,
	      "two readable and one writable buffer not offered as a chain of three");
	for (int i = 0; i < 9; i++)
		many[i] = b0;
	r = vq_add(vq, NULL, 0, NULL, 0, tB) | vq_add(vq, out, 1, NULL, 0, NULL) |
	    vq_add(vq, many, 9, NULL, 0, tC);
	check("guest-vq-add-refuses", r == -1 && vq->avail->idx == 1 && vq_free(vq) == 5,
	      "an empty request, one without a token or one longer than the queue was taken");
	r = vq_add(vq, many, 5, NULL, 0, tD) | vq_add(vq, many, 1, NULL, 0, tE);
	check("guest-vq-add-full", r == -1 && vq_free(vq) == 0 && vq->avail->idx == 2,
	      "a request that does not fit in the free descriptors was taken");
	dev_use(vq, dev_next(vq), 0);
	dev_use(vq, head, 7);
	{
		u32 l1 = 99, l2 = 99;
		void *t1 = vq_get(vq, &l1), *t2 = vq_get(vq, &l2);

		check("guest-vq-get",
		      t1 && t1 == tD && l1 == 0 && t2 &&
		      t2 == tA && l2 == 7 && !vq_get(vq, NULL) && vq_free(vq) == 8,
		      "the requests, their lengths or their descriptors not given back");
	}
}

/* D:230: descriptors given back in any order are all reusable, each once. */
static void test_free_list(void)
{
	struct virtqueue *vq = fresh(0, 8, 8, NULL);
	struct vq_buf many[8];
	int heads[8], seen = 0, good = 1, n;
	static const int order[8] = { 3, 0, 7, 5, 1, 6, 2, 4 };

	for (int i = 0; i < 8; i++)
		many[i] = b0;
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 8; i++) {
			good &= vq_add(vq, many, 1, NULL, 0, &heads[i]) == 0;
			heads[i] = dev_next(vq);
			good &= heads[i] >= 0 && heads[i] < 8 && !(seen & 1 << heads[i]);
			seen |= heads[i] >= 0 ? 1 << heads[i] : 0;
		}
		for (int i = 0; i < 8; i++)
			dev_use(vq, heads[order[i]], 0);
		while (vq_get(vq, NULL))
			;
		seen = 0;
	}
	good &= vq_free(vq) == 8 && vq_add(vq, many, 8, NULL, 0, tA) == 0;
	n = 0;
	for (int i = dev_next(vq); i >= 0 && i < 8 && !(seen & 1 << i) && n < 9; i = vq->desc[i].next) {
		seen |= 1 << i, n++;
		if (!(vq->desc[i].flags & VRING_DESC_F_NEXT))
			break;
	}
	check("guest-vq-free-list", good && n == 8 && seen == 0xff,
	      "after requests came back out of order, the free list lost or repeated descriptors");
}

/* D:230: a head the driver never gave is the device's bug, and a panic. */
static void test_bad_head(void)
{
	struct virtqueue *vq = fresh(0, 256, 256, NULL);
	int before = panics;

	vq_add(vq, &b0, 1, NULL, 0, tA);
	dev_use(vq, vq_size(vq), 1);
	if (!__builtin_setjmp(panic_jmp))
		vq_get(vq, NULL);
	check("guest-vq-head-past-end", panics == before + 1,
	      "a head past the queue was believed");
	vq = fresh(0, 8, 8, NULL);
	vq_add(vq, &b0, 1, NULL, 0, tA);
	dev_use(vq, 5, 1);
	if (!__builtin_setjmp(panic_jmp))
		vq_get(vq, NULL);
	check("guest-vq-head-not-given", panics == before + 2,
	      "a head that was never offered was believed");
}

/* D:215: with RING_INDIRECT_DESC a request of several buffers takes one
 * descriptor and a table of its own; without memory, a chain after all. */
static void test_indirect(void)
{
	struct virtqueue *vq = fresh(F(RING_INDIRECT_DESC), 8, 8, NULL);
	struct vq_buf in[2] = { b1, b2 };
	struct vring_desc c[4], *d;
	int n, head, k0 = nr_kmalloc, f0 = nr_kfree, good = 1;

	vq_add(vq, &b0, 1, in, 2, tA);
	head = dev_next(vq);
	d = &vq->desc[head];
	n = dev_chain(vq, head, c, 4);
	check("guest-vq-indirect",
	      vq_free(vq) == 7 && d->flags == VRING_DESC_F_INDIRECT && d->len == 48 && n == 3 &&
	      c[0].flags == VRING_DESC_F_NEXT && c[0].next == 1 && c[0].len == 10 &&
	      c[1].flags == (VRING_DESC_F_NEXT | VRING_DESC_F_WRITE) && c[1].next == 2 &&
	      c[1].len == 20 && c[2].flags == VRING_DESC_F_WRITE && c[2].len == 30 &&
	      c[2].addr == guest_pa(buf[2]),
	      "three buffers not offered as one descriptor and a table of three");
	vq_add(vq, &b0, 1, NULL, 0, tB);
	check("guest-vq-indirect-single",
	      vq_free(vq) == 6 && nr_kmalloc == k0 + 1 && vq->desc[dev_next(vq)].flags == 0,
	      "one buffer got a table of its own");
	dev_use(vq, head, 0);
	vq_get(vq, NULL);
	check("guest-vq-indirect-freed", nr_kfree == f0 + 1 && vq_free(vq) == 7,
	      "the table did not go back to the heap, or the descriptor to the free list");
	heap_fails = 1;
	vq_add(vq, &b0, 1, in, 2, tC);
	heap_fails = 0;
	n = dev_chain(vq, dev_next(vq), c, 4);
	check("guest-vq-indirect-fallback", vq_free(vq) == 4 && n == 3,
	      "without heap, a request of three did not become a chain of three");
	while (vq_free(vq))
		good &= vq_add(vq, &b0, 1, in, 1, tD) == 0;
	k0 = nr_kmalloc, f0 = nr_kfree;
	good &= vq_add(vq, &b0, 1, in, 1, tE) == -1;
	check("guest-vq-indirect-full", good && nr_kmalloc - k0 == nr_kfree - f0,
	      "a full ring took another table, or kept the one it could not use");
}

/* D:225: without EVENT_IDX the device's NO_NOTIFY flag decides; with it,
 * the device's avail_event, across the 16-bit wrap. */
static int kicked(struct virtqueue *vq)
{
	int k = REG(VIRTIO_MMIO_QUEUE_NOTIFY) == 1;

	REG(VIRTIO_MMIO_QUEUE_NOTIFY) = 0xdead;
	return k;
}

static void test_kick(void)
{
	struct virtqueue *vq = fresh(0, 8, 8, NULL);
	u64 kicks, irqs;
	int good;

	vq_add(vq, &b0, 1, NULL, 0, tA);
	vq_kick(vq);
	good = kicked(vq);
	vq->used->flags = VRING_USED_F_NO_NOTIFY;
	vq_add(vq, &b0, 1, NULL, 0, tB);
	vq_kick(vq);
	good &= !kicked(vq);
	vq_stats(vq, &kicks, &irqs);
	check("guest-vq-kick-no-notify", good && kicks == 1,
	      "a kick not sent, or sent to a device that said NO_NOTIFY, or not counted");

	vq = fresh(F(RING_EVENT_IDX), 8, 8, NULL);
	good = 1;
	for (unsigned i = 0; i < 65536 + 8; i++) {	/* round the 16-bit indices once */
		u16 idx = vq->avail->idx;
		int want;

		*avail_event(vq) = idx + (i % 3 == 0 ? 0 : i % 3 == 1 ? 1 : 0xffff);
		/* a kick when the device waits for entry idx, not when it waits
		 * for the one after, nor when it asked for one we told it of */
		want = i % 3 == 0;
		vq_add(vq, &b0, 1, NULL, 0, tC);
		vq_kick(vq);
		good &= kicked(vq) == want;
		vq_kick(vq);	/* nothing new: never a kick */
		good &= !kicked(vq);
		dev_use(vq, dev_next(vq), 0);
		vq_get(vq, NULL);
		if (!good) {
			printf("    | at avail index %u\n", idx);
			break;
		}
	}
	check("guest-vq-kick-event-idx", good, "a kick sent or withheld against avail_event");
}

/* D:230, D:235: used_event asks for the next interrupt, when someone is
 * there to take it; vq_arm asks, and says whether anything is waiting. */
static void callback(struct virtqueue *vq) { (void)vq; }

static void test_used_event(void)
{
	struct virtqueue *vq = fresh(F(RING_EVENT_IDX), 8, 8, callback);
	int good;

	vq_add(vq, &b0, 1, NULL, 0, tA);
	vq_add(vq, &b0, 1, NULL, 0, tB);
	dev_use(vq, dev_next(vq), 0);
	dev_use(vq, dev_next(vq), 0);
	vq_get(vq, NULL);
	good = *used_event(vq) == 1;
	vq_get(vq, NULL);
	check("guest-vq-used-event", good && *used_event(vq) == 2,
	      "a queue with a callback did not ask for the next interrupt");

	vq = fresh(F(RING_EVENT_IDX), 8, 8, NULL);
	*used_event(vq) = 0x7777;
	vq_add(vq, &b0, 1, NULL, 0, tA);
	dev_use(vq, dev_next(vq), 0);
	vq_get(vq, NULL);
	good = *used_event(vq) == 0x7777;
	good &= vq_arm(vq) == 0 && *used_event(vq) == 1;
	vq_add(vq, &b0, 1, NULL, 0, tB);
	dev_use(vq, dev_next(vq), 0);
	good &= vq_arm(vq) == 1;
	check("guest-vq-arm", good, "used_event written without a callback, or vq_arm wrong");

	vq = fresh(0, 8, 8, NULL);
	*used_event(vq) = 0x7777;
	good = vq_arm(vq) == 0 && *used_event(vq) == 0x7777;
	vq_add(vq, &b0, 1, NULL, 0, tA);
	dev_use(vq, dev_next(vq), 0);
	check("guest-vq-arm-no-event-idx", good && vq_arm(vq) == 1,
	      "vq_arm without EVENT_IDX wrote used_event or missed a used entry");
}

/* D:235, D:238: the device answers B before A; waiting for A parks B for
 * vq_get; the Guest sleeps only with interrupts held off, as many times as
 * it takes, and comes back with them as they were. */
static struct virtqueue *turn_vq;
static int turn;

static void answer_on_second_halt(void)
{
	int a, b;

	if (++turn < 2)
		return;
	a = dev_next(turn_vq), b = dev_next(turn_vq);
	if (b >= 0)
		dev_use(turn_vq, b, 22);
	if (a >= 0)
		dev_use(turn_vq, a, 11);
}

static void test_wait(void)
{
	struct virtqueue *vq = fresh(F(RING_EVENT_IDX), 8, 8, NULL);
	u32 len, lb = 0;
	void *t;
	int good;

	vq_add(vq, &b0, 1, NULL, 0, tA);
	vq_add(vq, &b1, 1, NULL, 0, tB);
	turn_vq = sleeper = vq, turn = 0, device_turn = answer_on_second_halt;
	halts = halts_irq_on = halts_with_news = halts_unarmed = 0, irq_on = 1;
	len = vq_wait_for(vq, tA);
	good = len == 11 && halts == 2 && !halts_irq_on && irq_on == 1;
	t = vq_get(vq, &lb);
	check("guest-vq-wait-for",
	      good && t && t == tB && lb == 22 && !vq_get(vq, NULL) &&
	      vq_free(vq) == 8,
	      "waiting for A: wrong length, a halt with interrupts on, or B not kept for vq_get");

	halts = 0, device_turn = NULL;
	t = vq_wait_any(vq, &len);
	check("guest-vq-wait-any-idle", !t && !halts && irq_on == 1,
	      "with nothing in flight, vq_wait_any slept or returned something");
	vq_add(vq, &b0, 1, NULL, 0, tA);
	vq_add(vq, &b1, 1, NULL, 0, tB);
	turn = 0, device_turn = answer_on_second_halt;
	vq_wait_for(vq, tA);
	t = vq_wait_any(vq, &len);
	good = t && t == tB && len == 22 && halts == 2;
	vq_add(vq, &b0, 1, NULL, 0, tC);
	t = vq_wait_any(vq, &len);
	check("guest-vq-wait-any",
	      good && t && t == tC && len == 11 && halts == 3 &&
	      !halts_irq_on && irq_on == 1 && !vq_wait_any(vq, NULL) && halts == 3,
	      "vq_wait_any did not return the parked request first, or the next one after a sleep");
	check("guest-vq-sleeps-armed", !halts_with_news && !halts_unarmed,
	      "a wait slept with a request already back, or without asking for the interrupt");
	sleeper = NULL;
	device_turn = NULL;
}

/* D:235: a device that answers while the Guest polls saves it the halt.
 * Here the device is a thread that answers a millisecond after the kick,
 * and the poll's 200 microseconds are stretched to some seconds of the
 * model's clock, so that no load on the machine can make it miss. */
static void *answer_soon(void *arg)
{
	struct virtqueue *vq = arg;

	usleep(1000);
	vq->used->ring[vq->used->idx % vq->num] = (struct vring_used_elem){ dev_next(vq), 5 };
	__atomic_store_n(&vq->used->idx, vq->used->idx + 1, __ATOMIC_RELEASE);
	return NULL;
}

static void nap(void)
{
	usleep(2000);	/* a halt the test did not want: let the thread answer */
}

static void test_poll(void)
{
	struct virtqueue *vq = fresh(F(RING_EVENT_IDX), 8, 8, NULL);
	unsigned long thread;
	u32 len;

	vq_add(vq, &b0, 1, NULL, 0, tA);
	halts = 0, poll_scale = 200000, device_turn = nap;
	if (pthread_create(&thread, NULL, answer_soon, vq)) {
		printf("skip guest-vq-poll: no thread for the device\n");
		poll_scale = 0;
		return;
	}
	len = vq_wait_for(vq, tA);
	pthread_join(thread, NULL);
	poll_scale = 0, device_turn = NULL;
	check("guest-vq-poll", len == 5 && halts == 0,
	      "a request answered while the Guest polled still cost a halt");
}

/* D:240: an interrupt counts when the device used something since the
 * last, and runs the callback when there is something to take. */
static int callbacks;

static void take_all(struct virtqueue *vq)
{
	callbacks++;
	while (vq_get(vq, NULL))
		;
}

static void test_interrupt(void)
{
	struct virtqueue *vq = fresh(F(RING_EVENT_IDX), 8, 8, take_all);
	u64 kicks, irqs;
	int good;

	callbacks = 0;
	vq_interrupt(vq);
	vq_stats(vq, &kicks, &irqs);
	good = irqs == 0 && callbacks == 0;
	vq_add(vq, &b0, 1, NULL, 0, tA);
	dev_use(vq, dev_next(vq), 0);
	vq_interrupt(vq);
	vq_interrupt(vq);
	vq_stats(vq, &kicks, &irqs);
	check("guest-vq-interrupt", good && irqs == 1 && callbacks == 1 && vq_free(vq) == 8,
	      "an interrupt with nothing new was counted or called back, or news was missed");
}

int main(void)
{
	test_setup();
	test_chain();
	test_free_list();
	test_bad_head();
	test_indirect();
	test_kick();
	test_used_event();
	test_wait();
	test_poll();
	test_interrupt();
	return harness_done("guest-vq");
}
#endif
