/* Tangled from chapters/33-launcher-virtio.nw,
 * chapters/34-launcher-devices.nw and chapters/35-launcher-net.nw
 * by `make tangle`: edit the chapters, not this file. */
/*L:800 One header for the devices.
 * The devices share a header of their own, `virtio.h`, beside the Launcher's.
 * The specification's numbers come first, from `include/virtio_spec.h`: the
 * register offsets of a window, the status, feature and interrupt bits, the
 * device types and the layout of a split virtqueue. The Guest's drivers include
 * the same file, and the *Drivers* part of the book explains it, at *D:105*
 * (the registers), *D:110* (the handshake, features and interrupts) and *D:115*
 * (the three arrays of a queue, drawn in @fig:vring). The rest of `virtio.h` is our
 * framework: the state of a queue, the state of a device, and the functions
 * every device calls. Like the Launcher's header it grows family by family as
 * the chapter goes. :*/
/* virtio 1.x over MMIO: our device framework on the specification's numbers. */
#ifndef VIRTIO_H
#define VIRTIO_H

#include <pthread.h>
#include <sys/uio.h>
#include "launcher.h"
#include "virtio_spec.h"

/*L:820 Our side of a queue.
 * For each queue we keep what the driver told us through the registers (its
 * size and the three addresses), pointers to the three arrays once they are
 * checked, and our own counters: `last_avail`, the next available entry we will
 * take, and `used_idx`, the next used entry we will fill. We never read our
 * counters back from the Guest's memory: the Guest can write there, we cannot
 * trust what we would read.
 *
 * The Guest's driver keeps a queue too (D:135), `struct virtqueue` with its
 * `vq_` functions, as Linux's drivers do. Ours is the other end of the same
 * rings and does different things to them, so it has its own name: a
 * `struct devq`, the device's queue, with `devq_` functions.
 *
 * A popped chain is described to a device as an array of `iovec`s pointing
 * straight into Guest memory: first the buffers the device may read, then those
 * it may write, with their totals. That is the form `readv`, `writev`, `preadv`
 * and `pwritev` take, so a disk read lands in the Guest's buffers with no copy.
 * The array is bounded: 1024 segments, which is also Linux's `IOV_MAX`; a chain
 * longer than that is refused. :*/
struct devq {
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

#define DEVQ_NUM_MAX 256
#define DEVQ_MAX_SEGS 1024
struct devq_chain {
	u16 head;
	unsigned nr_out, nr_in;	/* iov[0..nr_out) readable, then nr_in writable */
	u64 out_len, in_len;
	struct iovec iov[DEVQ_MAX_SEGS];
};
/*:*/
/*L:825 The virtqueue walker.
 * The walker is the one piece of code that reads the rings, and it lives alone
 * in `virtqueue.c`, which needs nothing from the rest of the Launcher but the
 * door for Guest addresses (*L:650*) and `bad_driver`. So our tests can compile
 * it against a fake Guest memory and feed it every lie we can think of. :*/
void devq_map(struct devq *vq, const char *name);
bool devq_pop(struct devq *vq, struct devq_chain *c, const char *name);
void devq_unpop(struct devq *vq);
void devq_push(struct devq *vq, const struct devq_chain *c, u32 written);
void devq_push_head(struct devq *vq, u16 head, u32 written);
bool devq_enable_notify(struct devq *vq);
bool devq_needs_interrupt(struct devq *vq);
bool devq_drain(struct devq *vq, struct devq_chain *c, const char *name,
	      u32 (*handle)(void *ctx, struct devq_chain *c), void *ctx);
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
 * meanwhile, not waiting for the disk. A third, `kick`, is for work so short
 * that a wake-up of the worker would cost more than the work (*L:897*). :*/
struct virtio_dev;

struct virtio_ops {
	const char *name;	/* "virtio-blk", for messages */
	u32 device_id;
	u16 nr_queues;
	void (*notify)(struct virtio_dev *d);
	void (*fd_ready)(struct virtio_dev *d);
	void (*reset)(struct virtio_dev *d);
	void (*start)(struct virtio_dev *d);
	bool (*kick)(struct virtio_dev *d);	/* on the vCPU; see L:897 */
};
/*:*/
/*L:868 A device's state.
 * The common state is the register file's: the status, the features both
 * ways, the selectors, the interrupt status, the queues. A device adds its
 * configuration bytes and features before it is registered. A lock serializes
 * the vCPU thread (register accesses) and the worker thread (queue work): one
 * lock per device, held for whole operations, is easy to reason about; the
 * cost is that a register access waits for a disk request in progress, which a
 * driver does rarely, since kicks travel by `ioeventfd` and take no lock (the
 * disk's, served on the vCPU, take it, *L:897*). :*/
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
	struct devq vq[VIRTIO_MAX_QUEUES];
	struct devq_chain *chain;		/* scratch, used under the lock */
	int notify_fd;			/* an eventfd: the Guest kicked a queue */
	int poll_fd;			/* the device's own fd to wait on, or -1 */
	long again_ns;			/* without a kick, look anyway after this; 0: never */
};

void virtio_register(struct virtio_dev *d, const struct virtio_ops *ops,
		     void *config, u32 config_len, u64 features);
void virtio_queue_done(struct virtio_dev *d, struct devq *vq);
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
/*L:959, continued :*/
bool devq_enable_notify_after(struct devq *vq, u16 more);
/*:*/

#endif
/*:*/
