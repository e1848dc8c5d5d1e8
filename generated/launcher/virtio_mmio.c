/* Tangled from chapters/33-launcher-virtio.nw by `make tangle`: edit the chapter, not this file. */
/*L:870, continued :*/
/* The virtio-mmio transport: registers, features, status, queues, interrupts. */
#define _GNU_SOURCE		/* ppoll */
#include "virtio.h"
#include <err.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

static struct virtio_dev *devices[VIRTIO_MAX_DEVICES];
static int nr_devices;

int virtio_nr_devices(void)
{
	return nr_devices;
}

struct virtio_dev *virtio_device(int i)
{
	return devices[i];
}
/*L:872 Registering a device.
 * A device registers itself while the options are read, before the VM
 * exists, because its window must be on the Host's command line, which is
 * written first. Registering fixes the window and the line; the lock, the
 * worker and the link to KVM come later, when the machine is there
 * (*L:895*). :*/
void virtio_register(struct virtio_dev *d, const struct virtio_ops *ops,
		     void *config, u32 config_len, u64 features)
{
	if (nr_devices == VIRTIO_MAX_DEVICES)
		errx(LG_EXIT_USAGE, "too many devices: at most %d", VIRTIO_MAX_DEVICES);
	d->ops = ops;
	d->config = config;
	d->config_len = config_len;
	d->features = features | VIRTIO_BIT(VIRTIO_F_VERSION_1) |
		      VIRTIO_BIT(VIRTIO_F_RING_INDIRECT_DESC) |
		      VIRTIO_BIT(VIRTIO_F_RING_EVENT_IDX);
	d->base = VIRTIO_MMIO_BASE + VIRTIO_MMIO_WINDOW * nr_devices;
	d->gsi = VIRTIO_FIRST_GSI + nr_devices;
	d->poll_fd = -1;
	snprintf(d->name, sizeof(d->name), "%s %d", ops->name, nr_devices);
	devices[nr_devices++] = d;
}
/*:*/
/*L:875 The interrupt line: edge or level?
 * A device interrupts the driver by raising its line, and here we must think,
 * because an interrupt line is a wire with a *level*, and the I/O APIC at its
 * other end may be set to react to the edge or to the level.
 *
 * The obvious way is a pulse: KVM's `irqfd` raises the line and drops it at
 * once, each time we write to an eventfd. For an edge-triggered input that is
 * just right. For a level-triggered input it can lose interrupts: the I/O APIC
 * delivers a level interrupt and then ignores the line until the CPU signals
 * the end of the interrupt (EOI); a pulse that comes and goes in between is
 * never seen, and the driver waits forever for a buffer it was given.
 *
 * virtio-mmio's own answer is in its registers: the line is *up exactly while
 * `InterruptStatus` is not zero*. The driver reads the status, acknowledges
 * the bits it saw with `InterruptACK`, and handles the queues. So we model the
 * wire faithfully: when the status goes from zero to non-zero we raise the line
 * with `KVM_IRQ_LINE`, and when an acknowledgement brings it back to zero we
 * lower it. Both changes happen under the device's lock, so the status and the
 * wire always agree. This is right for both trigger modes: a level-triggered
 * input sees the line held until the driver has acknowledged; an
 * edge-triggered input sees a rising edge each time new work arrives after an
 * acknowledgement, and the driver, which acknowledges before it looks at the
 * queues, cannot miss work that came while it was handling the last
 * interrupt. Edge mode has one hole, though: an acknowledgement that clears
 * only *some* bits (the driver saw "used buffer", and a configuration change
 * came in before its write) leaves the line up, so no new edge ever announces
 * the bit that is left. Our Host therefore routes the lines level-triggered and
 * masks each one until the Guest's driver has acknowledged it (*H:800*). :*/
static void virtio_irq_line(struct virtio_dev *d, int level)
{
	struct kvm_irq_level irq = { .irq = d->gsi, .level = level };

	if (ioctl(vm.vm_fd, KVM_IRQ_LINE, &irq) < 0)
		err(1, "%s: KVM_IRQ_LINE %u", d->name, d->gsi);
}
/*:*/
/*L:875, continued :*/
void virtio_interrupt(struct virtio_dev *d, u32 why)
{
	u32 was = d->isr;

	d->isr |= why;
	if (!was)
		virtio_irq_line(d, 1);
}
/*:*/
/*L:875, continued :*/
static void virtio_ack(struct virtio_dev *d, u32 bits)
{
	u32 was = d->isr;

	d->isr &= ~bits;
	if (was && !d->isr)
		virtio_irq_line(d, 0);
}
/*:*/
/*M:870 Why not `irqfd`?
 * Each raise and each lower is a system call, and KVM has a way to save one:
 * `KVM_IRQFD` with a *resample* eventfd raises the line when we write to one
 * eventfd, lowers it itself when the CPU signals the end of the interrupt, and
 * tells us through the other so that we can raise it again if the device still
 * has something to say. It fits a kernel that ends an interrupt after its
 * driver has acknowledged the device. Our Host does not: it masks the line and
 * ends the interrupt at once, before the Guest has even run (*H:890*). So the
 * resample would come straight back, we would find `InterruptStatus` still set
 * and raise the line again, and when the Guest unmasked it after its
 * acknowledgement a second, empty interrupt would be waiting: a trap and a
 * hypercall for nothing, on every interrupt. `KVM_IRQ_LINE` tells the wire's
 * true state, and costs two system calls only when the state changes. An
 * exercise: measure both with the network benchmark, the device with the most
 * interrupts. */
/*L:878 When a queue is done.
 * After a batch of pushes a device asks whether the driver wants to hear about
 * it (*L:850*) and, if so, raises the used-buffer bit. Both run under the
 * device's lock, taken by the worker. :*/
void virtio_queue_done(struct virtio_dev *d, struct devq *vq)
{
	if (devq_needs_interrupt(vq))
		virtio_interrupt(d, VIRTIO_INT_USED);
}
/*:*/
/*L:880 Reset.
 * Writing 0 to `Status` resets the device: the queues are forgotten, the
 * features too, and the interrupt line goes down. The device's own `reset`
 * hook drops whatever it held (input waiting for the console, say). A driver
 * resets a device when it starts and when it gives up on it, so this path is
 * ordinary. :*/
static void virtio_reset(struct virtio_dev *d)
{
	virtio_ack(d, ~0u);
	memset(d->vq, 0, sizeof(d->vq));
	d->status = 0;
	d->driver_features = 0;
	d->dev_features_sel = d->driver_features_sel = d->queue_sel = 0;
	if (d->ops->reset)
		d->ops->reset(d);
}
/*:*/
/*L:882 Feature negotiation.
 * The driver writes the features it accepts, 32 bits at a time, and then sets
 * `FEATURES_OK`. That is our moment to refuse: a driver that accepts a feature
 * we never offered, or that does not accept `VERSION_1` (a legacy driver,
 * which would expect the legacy layout), gets a status without
 * `FEATURES_OK`, which it reads back and gives up. Refusing is the
 * specification's way; killing the Guest is not needed, since nothing unsafe
 * has happened yet. :*/
static bool virtio_features_ok(struct virtio_dev *d)
{
	u64 f = d->driver_features;

	if (f & ~d->features) {
		lg_say("%s: driver wants features %#llx we did not offer", d->name,
		       f & ~d->features);
		return false;
	}
	return f & VIRTIO_BIT(VIRTIO_F_VERSION_1);
}
/*:*/
/*L:884 Status.
 * The status register mostly just stores what the driver writes. Two writes
 * mean more: 0 is a reset, and setting `FEATURES_OK` is checked as above.
 * When the driver sets `DRIVER_OK` the device is live; a driver may have
 * kicked its queues before (filling the console's input queue, say), and the
 * specification forbids us to use buffers before `DRIVER_OK`, so the worker
 * ignored those kicks. We kick the worker ourselves now. :*/
static void virtio_write_status(struct virtio_dev *d, u32 status)
{
	u32 was = d->status;

	if (status == 0) {
		virtio_reset(d);
		return;
	}
	if ((status & VIRTIO_STATUS_FEATURES_OK) && !(was & VIRTIO_STATUS_FEATURES_OK) &&
	    !virtio_features_ok(d))
		status &= ~VIRTIO_STATUS_FEATURES_OK;
	d->status = status;
	if ((status & VIRTIO_STATUS_DRIVER_OK) && !(was & VIRTIO_STATUS_DRIVER_OK))
		eventfd_write(d->notify_fd, 1);
}
/*:*/
/*L:886 Setting up a queue.
 * The driver selects a queue, reads its maximum size, writes the size it
 * chose and the three addresses, and writes 1 to `QueueReady`. We check and
 * map the queue then (*L:835*), and note which of the ring features the
 * driver accepted, since they change how the walker reads the rings. :*/
static struct devq *virtio_selected(struct virtio_dev *d)
{
	return d->queue_sel < d->ops->nr_queues ? &d->vq[d->queue_sel] : NULL;
}

static void virtio_queue_ready(struct virtio_dev *d, struct devq *vq, u32 ready)
{
	if (!ready) {
		vq->ready = false;
		return;
	}
	vq->event_idx = d->driver_features & VIRTIO_BIT(VIRTIO_F_RING_EVENT_IDX);
	vq->indirect = d->driver_features & VIRTIO_BIT(VIRTIO_F_RING_INDIRECT_DESC);
	devq_map(vq, d->name);
	vq->ready = true;
}
/*:*/
/*L:888 Reading a register.
 * Reads are a flat switch over the register offsets, the fair exception to
 * short functions. A queue register with no queue selected (a `QueueSel`
 * beyond the device's queues) reads zero, which is how a driver learns that
 * the queue does not exist: a maximum size of 0. :*/
static u32 virtio_read(struct virtio_dev *d, u64 offset)
{
	struct devq *vq = virtio_selected(d);

	switch (offset) {
	case VIRTIO_MMIO_MAGIC_VALUE:	return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION:	return VIRTIO_MMIO_VERSION_2;
	case VIRTIO_MMIO_DEVICE_ID:	return d->ops->device_id;
	case VIRTIO_MMIO_VENDOR_ID:	return VIRTIO_VENDOR_LGUEST;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		return d->dev_features_sel > 1 ? 0 : d->features >> (32 * d->dev_features_sel);
	case VIRTIO_MMIO_QUEUE_NUM_MAX:	return vq ? DEVQ_NUM_MAX : 0;
	case VIRTIO_MMIO_QUEUE_READY:	return vq && vq->ready;
	case VIRTIO_MMIO_INTERRUPT_STATUS: return d->isr;
	case VIRTIO_MMIO_STATUS:	return d->status;
	case VIRTIO_MMIO_CONFIG_GENERATION: return 0;
	}
	return 0;
}
/*:*/
/*L:890 Writing a register.
 * Writes split in two: the queue registers, which act on the selected queue
 * and may not change a queue that is live, and the rest. The 64-bit addresses
 * arrive in 32-bit halves. `QueueNotify` normally never reaches us, because
 * KVM turns it into an eventfd signal by itself (*L:897*); if it does, we pass
 * it on to the worker the same way. :*/
static void virtio_write_queue(struct virtio_dev *d, u64 offset, u32 v)
{
	struct devq *vq = virtio_selected(d);
	u64 *addr = NULL;

	if (!vq || (vq->ready && offset != VIRTIO_MMIO_QUEUE_READY))
		return;
	switch (offset & ~4ULL) {
	case VIRTIO_MMIO_QUEUE_DESC_LOW:	addr = &vq->desc_addr; break;
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:	addr = &vq->avail_addr; break;
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW:	addr = &vq->used_addr; break;
	}
	if (addr && (offset & 4))
		*addr = (*addr & 0xffffffffULL) | (u64)v << 32;
	else if (addr)
		*addr = (*addr & ~0xffffffffULL) | v;
	else if (offset == VIRTIO_MMIO_QUEUE_NUM)
		vq->num = v > 0xffff ? 0 : v;
	else if (offset == VIRTIO_MMIO_QUEUE_READY)
		virtio_queue_ready(d, vq, v);
}
/*:*/
/*L:890, continued :*/
/*L:897, continued :*/
static void virtio_kick(struct virtio_dev *d)
{
	bool live = d->status & VIRTIO_STATUS_DRIVER_OK;

	if (!live || !d->ops->kick || !d->ops->kick(d))
		eventfd_write(d->notify_fd, 1);
}
/*:*/

static void virtio_write(struct virtio_dev *d, u64 offset, u32 v)
{
	u32 shift = 32 * (d->driver_features_sel & 1);

	switch (offset) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:	d->dev_features_sel = v; break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:	d->driver_features_sel = v; break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		if (d->driver_features_sel < 2 && !(d->status & VIRTIO_STATUS_FEATURES_OK))
			d->driver_features = (d->driver_features & ~(0xffffffffULL << shift)) |
					     (u64)v << shift;
		break;
	case VIRTIO_MMIO_QUEUE_SEL:		d->queue_sel = v; break;
	case VIRTIO_MMIO_QUEUE_NOTIFY:		virtio_kick(d); break;
	case VIRTIO_MMIO_INTERRUPT_ACK:		virtio_ack(d, v); break;
	case VIRTIO_MMIO_STATUS:		virtio_write_status(d, v); break;
	default:				virtio_write_queue(d, offset, v);
	}
}
/*:*/
/*L:892 The configuration space.
 * From offset 0x100 the window shows the device's configuration structure,
 * byte for byte; drivers read its fields with accesses of the field's size.
 * Our devices' configurations never change after set-up, so the
 * configuration generation is always 0 and writes are ignored. A read beyond
 * the structure returns zeros. :*/
static void virtio_config_access(struct virtio_dev *d, u64 offset, u8 *data, u32 size,
				 bool write)
{
	if (write)
		return;
	memset(data, 0, size);
	if (offset < d->config_len)
		memcpy(data, (u8 *)d->config + offset,
		       size < d->config_len - offset ? size : d->config_len - offset);
}
/*:*/
/*L:894 One access.
 * An MMIO exit in the window lands here (*L:620*). The registers are 32 bits
 * wide and must be accessed so; other sizes read as zero and write nothing.
 * Everything happens under the device's lock. :*/
static void virtio_access(struct io_region *r, u64 offset, u8 *data, u32 size, bool write)
{
	struct virtio_dev *d = r->opaque;

	pthread_mutex_lock(&d->lock);
	if (offset >= VIRTIO_MMIO_CONFIG)
		virtio_config_access(d, offset - VIRTIO_MMIO_CONFIG, data, size, write);
	else if (size != 4 && !write)
		memset(data, 0, size);
	else if (size == 4 && write)
		virtio_write(d, offset, io_get(data, 4));
	else if (size == 4)
		io_put(data, 4, virtio_read(d, offset));
	pthread_mutex_unlock(&d->lock);
}
/*:*/
/*L:895, continued :*/
#define VIRTIO_FD_READY (POLLIN | POLLHUP | POLLERR | POLLNVAL)

static int virtio_worker_fd(struct virtio_dev *d)
{
	return d->status & VIRTIO_STATUS_DRIVER_OK ? d->poll_fd : -1;
}
/*:*/
/*L:895 The worker thread.
 * Each device has one thread that does its work. It sleeps in `poll` on two
 * descriptors: the eventfd the Guest's kicks arrive on, and the device's own
 * descriptor if it has one. The latter can change (the console stops
 * listening to the keyboard while the Guest has no buffer to receive into),
 * so we read it afresh every time round. A device may also ask to be called
 * after a while even if no kick comes (`again_ns`, a fraction of a second):
 * the network card does, when it has told the Guest not to kick for every
 * frame (*L:959*); a wait that ends so counts as a kick. Work happens under
 * the lock, and only once the driver has said `DRIVER_OK`. Before its first `poll` the
 * thread gives up every system call its device does not need (*L:596*). :*/
static void *virtio_worker(void *arg)
{
	struct virtio_dev *d = arg;

	sandbox_enter_device(d->ops->device_id, d->name);
	for (;;) {
		struct pollfd p[2] = {
			{ d->notify_fd, POLLIN, 0 }, { virtio_worker_fd(d), POLLIN, 0 },
		};
		struct timespec again = { 0, d->again_ns };
		int k = ppoll(p, 2, d->again_ns ? &again : NULL, NULL);
		eventfd_t n;

		if (k < 0 && errno != EINTR)
			err(1, "%s: poll", d->name);
		if (p[0].revents & POLLIN)
			eventfd_read(d->notify_fd, &n);
		pthread_mutex_lock(&d->lock);
		if ((d->status & VIRTIO_STATUS_DRIVER_OK) && ((p[0].revents & POLLIN) || k == 0))
			d->ops->notify(d);
		if ((d->status & VIRTIO_STATUS_DRIVER_OK) && (p[1].revents & VIRTIO_FD_READY) &&
		    d->ops->fd_ready)
			d->ops->fd_ready(d);
		pthread_mutex_unlock(&d->lock);
	}
	return NULL;
}
/*:*/
/*L:897 Kicks without a VM exit to us.
 * A kick is a store to `QueueNotify`. Left to itself it would be an MMIO exit:
 * KVM stops the vCPU, returns to our run loop, we find the device, write an
 * eventfd, and the vCPU goes back in. `KVM_IOEVENTFD` short-cuts all that:
 * we tell KVM "a store to this address signals this eventfd", and KVM does it
 * inside the kernel without leaving `KVM_RUN`, so the vCPU pays only the exit
 * into KVM and our worker wakes up in parallel. If KVM refuses, the MMIO path
 * (*L:890*) does the same job more slowly, and we say so when asked to be
 * verbose. :*/
static void virtio_ioeventfd(struct virtio_dev *d)
{
	struct kvm_ioeventfd io = {
		.addr = d->base + VIRTIO_MMIO_QUEUE_NOTIFY, .len = 4, .fd = d->notify_fd,
	};

	if (d->ops->kick)
		return;
	if (ioctl(vm.vm_fd, KVM_IOEVENTFD, &io) < 0)
		lg_say("%s: no ioeventfd (%s); kicks go through the run loop",
		       d->name, strerror(errno));
}
/*:*/
/*L:899 Starting the devices.
 * Once the VM exists, each device gets its lock, its eventfd, its window on
 * the I/O map (*L:600*), its chain buffer, the device's own `start` hook
 * (which opens the terminal, the tap device, the image), and its thread. :*/
static void virtio_start(struct virtio_dev *d)
{
	pthread_t thread;

	pthread_mutex_init(&d->lock, NULL);
	d->notify_fd = eventfd(0, EFD_CLOEXEC);
	d->chain = malloc(sizeof(*d->chain));
	if (d->notify_fd < 0 || !d->chain)
		err(1, "%s: set-up", d->name);
	d->region = (struct io_region){ IO_MMIO, d->base, VIRTIO_MMIO_WINDOW, d->name,
					virtio_access, d };
	io_register(&d->region);
	virtio_ioeventfd(d);
	if (d->ops->start)
		d->ops->start(d);
	if (pthread_create(&thread, NULL, virtio_worker, d))
		errx(1, "%s: cannot start its thread", d->name);
	pthread_detach(thread);
}

void virtio_start_all(void)
{
	for (int i = 0; i < nr_devices; i++)
		virtio_start(devices[i]);
}
/*:*/
/*:*/
