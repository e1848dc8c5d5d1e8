/* Tangled from chapters/33-launcher-virtio.nw by `make tangle`: edit the chapter, not this file. */
/*L:800 One header for the devices.
 * The devices share a header of their own, `virtio.h`, beside the Launcher's.
 * Its first half is the specification's numbers, which the Guest's drivers
 * know too; its second half is our framework: the state of a queue, the state
 * of a device, and the functions every device calls. Like the Launcher's header
 * it grows family by family as the chapter goes. :*/
/* virtio 1.x over MMIO: the specification's numbers and our device framework. */
#ifndef VIRTIO_H
#define VIRTIO_H

#include <pthread.h>
#include <sys/uio.h>
#include "launcher.h"

/*L:805 The register file.
 * A virtio-mmio window starts with fixed registers, all 32 bits wide, and ends
 * with the device's own configuration space from offset 0x100. The magic value
 * is "virt" in ASCII read as a little-endian word, and version 2 marks the
 * modern interface (version 1 was the legacy one, which placed the queues in a
 * single block by page number). Some registers select what others show:
 * `DeviceFeaturesSel` picks which 32 bits of the 64 feature bits appear in
 * `DeviceFeatures`, and `QueueSel` picks which queue the queue registers
 * describe. :*/
#define VIRTIO_MMIO_MAGIC_VALUE		0x000
#define VIRTIO_MMIO_VERSION		0x004
#define VIRTIO_MMIO_DEVICE_ID		0x008
#define VIRTIO_MMIO_VENDOR_ID		0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES	0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL	0x014
#define VIRTIO_MMIO_DRIVER_FEATURES	0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL	0x024
#define VIRTIO_MMIO_QUEUE_SEL		0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX	0x034
#define VIRTIO_MMIO_QUEUE_NUM		0x038
#define VIRTIO_MMIO_QUEUE_READY		0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY	0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS	0x060
#define VIRTIO_MMIO_INTERRUPT_ACK	0x064
#define VIRTIO_MMIO_STATUS		0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW	0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH	0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW	0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH	0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW	0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH	0x0a4
#define VIRTIO_MMIO_CONFIG_GENERATION	0x0fc
#define VIRTIO_MMIO_CONFIG		0x100
#define VIRTIO_MMIO_WINDOW		0x200

#define VIRTIO_MMIO_MAGIC	0x74726976	/* "virt" */
#define VIRTIO_MMIO_VERSION_2	2
#define VIRTIO_VENDOR_LGUEST	0x5453474c	/* "LGST" */
/*:*/
/*L:810 Status, features, interrupts, devices.
 * The driver brings a device up by setting bits in `Status`, one stage at a
 * time: it has seen the device (ACKNOWLEDGE), knows how to drive it (DRIVER),
 * has chosen its features (FEATURES_OK, which the device may refuse by not
 * keeping the bit), and has set up its queues (DRIVER_OK). Writing 0 resets the
 * device.
 *
 * Features are 64 bits, offered by the device and accepted by the driver. The
 * bits from 0 to 23 belong to each kind of device; the others to virtio itself.
 * We always offer three: `VERSION_1`, which says we speak modern virtio and
 * which a modern driver must accept; `RING_INDIRECT_DESC`, which lets a driver
 * put a whole list of buffers in one queue entry; and `RING_EVENT_IDX`, the
 * finer way of suppressing notifications, explained at *L:850*.
 *
 * `InterruptStatus` says why the interrupt line is up: bit 0 for used buffers,
 * bit 1 for a change in the configuration space. Last, the device identifiers
 * for the four devices of this book. :*/
#define VIRTIO_STATUS_ACKNOWLEDGE	1
#define VIRTIO_STATUS_DRIVER		2
#define VIRTIO_STATUS_DRIVER_OK		4
#define VIRTIO_STATUS_FEATURES_OK	8
#define VIRTIO_STATUS_FAILED		128

#define VIRTIO_F_RING_INDIRECT_DESC	28
#define VIRTIO_F_RING_EVENT_IDX		29
#define VIRTIO_F_VERSION_1		32
#define VIRTIO_BIT(n)			(1ULL << (n))

#define VIRTIO_INT_USED		1
#define VIRTIO_INT_CONFIG	2

#define VIRTIO_ID_NET		1
#define VIRTIO_ID_BLOCK		2
#define VIRTIO_ID_CONSOLE	3
#define VIRTIO_ID_RNG		4
/*:*/
/*L:815 The split virtqueue.
 * Now the queue itself, the heart of virtio. A *split* virtqueue is three
 * arrays in Guest memory, each written by one side only:
 *
 * - the **descriptor table**: `num` entries of 16 bytes, each an address, a
 *   length and flags; a flag `NEXT` chains a descriptor to the one named in its
 *   `next` field, and a flag `WRITE` says the device may write the buffer
 *   (otherwise it may only read it). A request is a *chain*: for a disk write,
 *   a header, the data and a status byte, three descriptors linked together.
 * - the **available ring** (the "driver area"), written by the driver: a
 *   free-running index `idx` and a ring of `num` descriptor numbers, the heads
 *   of chains it offers to the device;
 * - the **used ring** (the "device area"), written by us: its own `idx` and a
 *   ring of (head, length) pairs, the chains we have finished with and how many
 *   bytes we wrote into them.
 *
 * The indices are 16-bit counters that only ever grow, wrapping at 65536; an
 * entry's slot is the counter modulo `num`, which is why `num` must be a power
 * of two. The driver compares its counter with ours to know what we took; we
 * compare its counter with the position we have reached, `last_avail`, to know
 * what is new.
 *
 * ```{.dot caption="A split virtqueue: the driver offers chain heads in the available ring; the device returns them in the used ring"}
 * digraph vring {
 *   rankdir=LR; node [fontname="DejaVu Sans", shape=record];
 *   avail [label="{available ring (driver writes)|flags|idx = 7|<r0> ring[4] = 0|ring[5] = 3|ring[6] = ...|used_event}"];
 *   desc [label="{descriptor table|<d0> 0: header, NEXT -\> 1|<d1> 1: data, NEXT -\> 2|<d2> 2: status, WRITE|<d3> 3: INDIRECT -\> table|...}"];
 *   used [label="{used ring (device writes)|flags|idx = 5|<u4> ring[4] = (0, 1 byte)|avail_event}"];
 *   data [label="Guest buffers\n(anywhere in the window)", shape=box];
 *   avail:r0 -> desc:d0;
 *   desc:d0 -> desc:d1 [label="next"];
 *   desc:d1 -> desc:d2 [label="next"];
 *   desc:d1 -> data [style=dashed, label="addr, len"];
 *   used:u4 -> desc:d0 [style=dotted, label="head returned"];
 * }
 * ```
 *
 * The layouts are fixed by the specification, and all little-endian, like the
 * x86 we run on, so we use them as C structures with no conversion. The avail
 * ring is followed by one more 16-bit word, `used_event`, and the used ring by
 * `avail_event`: the two words of EVENT_IDX. :*/
struct vring_desc {
	u64 addr;
	u32 len;
	u16 flags;
	u16 next;
};
#define VRING_DESC_F_NEXT	1
#define VRING_DESC_F_WRITE	2
#define VRING_DESC_F_INDIRECT	4

struct vring_avail {
	u16 flags;
	u16 idx;
	u16 ring[];		/* then u16 used_event */
};
#define VRING_AVAIL_F_NO_INTERRUPT 1

struct vring_used_elem {
	u32 id;
	u32 len;
};
struct vring_used {
	u16 flags;
	u16 idx;
	struct vring_used_elem ring[];	/* then u16 avail_event */
};
/*:*/
/*L:820 Our side of a queue.
 * For each queue we keep what the driver told us through the registers (its
 * size and the three addresses), pointers to the three arrays once they are
 * checked, and our own counters: `last_avail`, the next available entry we will
 * take, and `used_idx`, the next used entry we will fill. We never read our
 * counters back from the Guest's memory: the Guest can write there, we cannot
 * trust what we would read.
 *
 * A popped chain is described to a device as an array of `iovec`s pointing
 * straight into Guest memory: first the buffers the device may read, then those
 * it may write, with their totals. That is the form `readv`, `writev`, `preadv`
 * and `pwritev` take, so a disk read lands in the Guest's buffers with no copy.
 * The array is bounded: 1024 segments, which is also Linux's `IOV_MAX`; a chain
 * longer than that is refused. :*/
struct virtqueue {
	u16 num;		/* entries; a power of two */
	bool ready;
	bool event_idx, indirect;	/* features the driver accepted */
	u64 desc_addr, avail_addr, used_addr;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	u16 last_avail;		/* the next available entry we take */
	u16 used_idx;		/* the next used entry we fill */
	u16 signalled_used;	/* used_idx when we last considered an interrupt */
	bool signalled_valid;
};

#define VQ_NUM_MAX 256
#define VQ_MAX_SEGS 1024
struct vq_chain {
	u16 head;
	unsigned nr_out, nr_in;	/* iov[0..nr_out) readable, then nr_in writable */
	u64 out_len, in_len;
	struct iovec iov[VQ_MAX_SEGS];
};
/*:*/
/*L:825 The virtqueue walker.
 * The walker is the one piece of code that reads the rings, and it lives alone
 * in `virtqueue.c`, which needs nothing from the rest of the Launcher but the
 * door for Guest addresses (*L:650*) and `kill_guest`. So our tests can compile
 * it against a fake Guest memory and feed it every lie we can think of. :*/
void vq_map(struct virtqueue *vq, const char *name);
bool vq_pop(struct virtqueue *vq, struct vq_chain *c, const char *name);
void vq_unpop(struct virtqueue *vq);
void vq_push(struct virtqueue *vq, const struct vq_chain *c, u32 written);
bool vq_enable_notify(struct virtqueue *vq);
bool vq_needs_interrupt(struct virtqueue *vq);
bool vq_drain(struct virtqueue *vq, struct vq_chain *c, const char *name,
	      u32 (*handle)(void *ctx, struct vq_chain *c), void *ctx);
u64 iov_copy_from(const struct iovec *iov, unsigned n, u64 off, void *dst, u64 len);
u64 iov_copy_to(const struct iovec *iov, unsigned n, u64 off, const void *src, u64 len);
unsigned iov_slice(const struct iovec *iov, unsigned n, u64 off, u64 len, struct iovec *out);
/*:*/
/*L:865 A device, in general.
 * Every device of this book has the same shape, so that the reader learns it
 * once: a **configuration** structure that appears at offset 0x100 of its
 * window, its **features**, its **queue handlers**, and a **set-up** function.
 * The shape is written down as a table of operations that each device fills
 * in, and a `virtio_dev` structure that each device embeds as its first member
 * (so a `virtio_dev *` is also a pointer to the device's own state).
 *
 * Two hooks matter most. `notify` runs when the Guest kicks any of the
 * device's queues; `fd_ready` runs when the device's own file descriptor (the
 * terminal for the console, the tap device for the network) has something to
 * read. Both run on the device's **worker thread**, not on the vCPU: a disk
 * read may take milliseconds, and the vCPU should be running the Guest
 * meanwhile, not waiting for the disk. :*/
struct virtio_dev;

struct virtio_ops {
	const char *name;	/* "virtio-blk", for messages */
	u32 device_id;
	u16 nr_queues;
	void (*notify)(struct virtio_dev *d);
	void (*fd_ready)(struct virtio_dev *d);
	void (*reset)(struct virtio_dev *d);
	void (*start)(struct virtio_dev *d);
};
/*:*/
/*L:868 A device's state.
 * The common state is the register file's: the status, the features both
 * ways, the selectors, the interrupt status, the queues. A device adds its
 * configuration bytes and features before it is registered. A lock serializes
 * the vCPU thread (register accesses) and the worker thread (queue work): one
 * lock per device, held for whole operations, is easy to reason about; the
 * cost is that a register access waits for a disk request in progress, which a
 * driver does rarely, since kicks travel by `ioeventfd` and take no lock. :*/
#define VIRTIO_MAX_QUEUES 2
#define VIRTIO_MAX_DEVICES 16

struct virtio_dev {
	const struct virtio_ops *ops;
	char name[32];			/* "virtio-blk 2", for messages */
	u64 features;			/* the device's own bits; ours are added */
	void *config;
	u32 config_len;
	u64 base;			/* the window's physical address */
	u32 gsi;			/* its interrupt line */
	struct io_region region;
	pthread_mutex_t lock;
	u32 status, isr;
	u64 driver_features;
	u32 dev_features_sel, driver_features_sel, queue_sel;
	struct virtqueue vq[VIRTIO_MAX_QUEUES];
	struct vq_chain *chain;		/* the worker's scratch chain */
	int notify_fd;			/* an eventfd: the Guest kicked a queue */
	int poll_fd;			/* the device's own fd to wait on, or -1 */
};

void virtio_register(struct virtio_dev *d, const struct virtio_ops *ops,
		     void *config, u32 config_len, u64 features);
void virtio_queue_done(struct virtio_dev *d, struct virtqueue *vq);
void virtio_interrupt(struct virtio_dev *d, u32 why);
void virtio_start_all(void);
int virtio_nr_devices(void);
struct virtio_dev *virtio_device(int i);
/*:*/
/*L:870 Where devices live.
 * Devices are numbered in the order they are created. Device `n` gets the
 * window at `0xd0000000 + 0x200 * n` and interrupt line 5 + n. Why there? RAM
 * ends at 3 GiB at most (*L:140*), so 0xd0000000 is above every byte of it; and
 * it is well below the region near 4 GiB where the x86 keeps its interrupt
 * controllers and where KVM keeps its private pages (*L:230*). The lines:
 * with the in-kernel interrupt controller, lines 0 to 15 are wired to both the
 * old PICs and the I/O APIC, and 16 to 23 to the I/O APIC alone; the timer
 * and keyboard lines at the bottom are traditionally spoken for, so we start at
 * 5, as QEMU's `microvm` does, and sixteen devices reach line 20. :*/
#define VIRTIO_MMIO_BASE	0xd0000000ULL
#define VIRTIO_FIRST_GSI	5
/*:*/
/*L:900 The device list and its options.
 * The user asks for devices with options: `--block=FILE[,ro]` (as many as
 * wanted), `--rng`, and the two network options of the next chapter,
 * `--tunnet=IP` and `--net=PATH`. The console needs no option: every machine
 * has one, and it is always device 0, at 0xd0000000 with line 5, so a Guest
 * finds its console in the same place every time. The options are read by the
 * Launcher's own parser (*L:150*), which hands us every option it does not
 * know; we say whether it was one of ours. :*/
bool virtio_parse_option(const char *arg);
char *virtio_cmdline(void);
void virtio_devices_start(void);

void console_add(void);
void blk_add(const char *value);
void rng_add(const char *value);
void net_add_tap(const char *value);
void net_add_switch(const char *value);
int switch_main(int argc, char *argv[]);
/*:*/

#endif
/*:*/
