/* Tangled from chapters/20-drivers.nw, chapters/21-drivers-console.nw,
 * chapters/22-drivers-block.nw and chapters/23-drivers-net.nw
 * by `make tangle`: edit the chapters, not this file. */
/*D:120 The drivers' header.
 * The drivers share one header, `drivers/drivers.h`. It is the contract between
 * the bus and every driver, and between the shell and every command, so it is
 * short and says everything a driver author needs:
 *
 * - a `virtio_device` is one window the bus found, with what it learned and
 *   what the driver hangs on it (its queues, its private state);
 * - a `virtio_driver` is a device type and a `probe` function; drivers join the
 *   bus's list through *the virtio drivers*;
 * - the bus functions (*D:140* to *D:180*) negotiate features, read the
 *   configuration, and say the driver is ready;
 * - the queue functions (*D:200* on) add buffers, kick, collect what came back,
 *   and wait;
 * - the console (*D:310*) gives the shell and its commands their output;
 * - the shell's commands join its table through *the shell commands*, and
 *   their functions are declared through *driver declarations*. :*/
/* The Guest's drivers: the virtio bus, virtqueues, console, shell. */
#ifndef DRIVERS_H
#define DRIVERS_H

#include "guest.h"
#include "virtio_spec.h"

/*D:125 A device on the bus.
 * What the bus knows of a device: where its registers are, its interrupt, its
 * type, the features both sides settled on, its place in the boot list, and up
 * to eight queues. A driver adds its own state in `priv` and, if it cares about
 * configuration changes, a `config_changed` function the interrupt handler calls.
 * Registers are read and written through two little helpers, so that every
 * access is a single 32-bit `volatile` load or store, as the transport demands. :*/
#define VIRTIO_MAX_VQS 8

struct virtqueue;

struct virtio_device {
	volatile u8 *regs;		/* the mapped window */
	u64 addr;
	u32 size, irq;
	u32 device_id;
	u64 features;			/* negotiated */
	int index;			/* its place in the boot information */
	const char *driver;		/* the name of the driver that took it */
	void (*config_changed)(struct virtio_device *d);
	struct virtqueue *vqs[VIRTIO_MAX_VQS];
	void *priv;
};

struct virtio_driver {
	u32 device_id;
	const char *name;
	int (*probe)(struct virtio_device *d);	/* 0: taken, <0: refused */
};

static inline u32 vio_read(struct virtio_device *d, u32 reg)
{
	return *(volatile u32 *)(d->regs + reg);
}

/*:*/
/*D:125, continued :*/
static inline void vio_write(struct virtio_device *d, u32 reg, u32 v)
{
	*(volatile u32 *)(d->regs + reg) = v;
}
/*:*/
/*D:130 The bus's functions.
 * `virtio_init` runs once at boot, before the Guest decides what to do, and
 * brings every device it finds to its driver. The rest are for drivers:
 * `virtio_find` answers "is there a disk?", `virtio_negotiate` and
 * `virtio_driver_ok` are the two halves of the handshake a `probe` performs, and
 * the configuration readers hide the generation dance. Two more serve the
 * Guest's main program: `driver_option` takes the command-line words the Guest
 * does not know itself, and `driver_boot_work` runs what those words asked for
 * (a benchmark, say) before the shell starts. :*/
void virtio_init(void);
int virtio_count(void);
struct virtio_device *virtio_device_at(int i);
struct virtio_device *virtio_find(u32 device_id, int nth);
int virtio_negotiate(struct virtio_device *d, u64 wanted);
void virtio_driver_ok(struct virtio_device *d);
void virtio_failed(struct virtio_device *d);
u32 virtio_config_read(struct virtio_device *d, u32 offset, int width);
u64 virtio_config_read64(struct virtio_device *d, u32 offset);
int driver_option(const char *word);
void driver_boot_work(void);
u64 parse_u64(const char *s, int *ok);
/*:*/
/*D:135 The queue's functions.
 * A buffer is an address and a length; a request is some buffers the device
 * reads (`out`) followed by some it writes (`in`). `vq_add` queues one request
 * with a *token*, any pointer the driver likes, which `vq_get` hands back when
 * the device is done with it, with the number of bytes written. `vq_kick` tells
 * the device, unless it said it needs no telling. A driver that wants to sleep
 * until one request is done calls `vq_wait_for`, and one with many in flight
 * that wants whichever finishes first calls `vq_wait_any`; one that sleeps on a queue
 * without a callback for some other reason calls `vq_arm` first, which asks
 * for an interrupt at the next used buffer (*D:235*). The queue's own structure is
 * private to `virtqueue.c`; drivers see only these functions. None of them
 * disables interrupts by itself except `vq_wait_for`: a driver whose callback
 * also touches the queue brackets its calls with `irq_save` and `irq_restore`. :*/
struct vq_buf {
	const void *addr;
	u32 len;
};

struct virtqueue *vq_setup(struct virtio_device *d, unsigned index, unsigned max_num,
			   void (*callback)(struct virtqueue *vq));
int vq_add(struct virtqueue *vq, const struct vq_buf *out, unsigned nout,
	   const struct vq_buf *in, unsigned nin, void *token);
void vq_kick(struct virtqueue *vq);
void *vq_get(struct virtqueue *vq, u32 *len);
unsigned vq_free(struct virtqueue *vq);
unsigned vq_size(struct virtqueue *vq);
u32 vq_wait_for(struct virtqueue *vq, void *token);
void *vq_wait_any(struct virtqueue *vq, u32 *len);
int vq_arm(struct virtqueue *vq);
struct virtio_device *vq_device(struct virtqueue *vq);
void vq_stats(struct virtqueue *vq, u64 *kicks, u64 *interrupts);
void vq_interrupt(struct virtqueue *vq);

struct vq_rings {	/* for drivers/hostile.c alone (D:255) */
	struct vring_desc *desc;
	struct vring_avail *avail;
	u16 num, avail_idx;
};
struct vq_rings vq_rings(struct virtqueue *vq);
/*:*/
/*D:138 The console and shell, for every command.
 * Commands print through the console, never through `printk`, whose lines go to
 * the Host's early console and may land elsewhere. A command is a name, a line
 * of help and a function taking `argc` and `argv` like a C program's `main`; it
 * returns 0 on success. A driver adds its commands to *the shell commands* as
 * table lines, `{ "ls", "ls: list the files on the disk", cmd_ls },`, and
 * declares their functions in *driver declarations*. :*/
int console_present(void);
void console_write(const char *buf, u64 len);
void console_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int console_getc(void);
int console_poll(void);
/*:*/
/*D:138, continued :*/
struct shell_command {
	const char *name;
	const char *help;
	int (*run)(int argc, char **argv);
};

void shell_run(void) __attribute__((noreturn));
int rng_read(void *buf, u32 len);
/*:*/
/*D:138, continued :*/
int cmd_help(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_uptime(int argc, char **argv);
int cmd_selftest(int argc, char **argv);
int cmd_rng(int argc, char **argv);
int cmd_poweroff(int argc, char **argv);
/*:*/
/*D:340, continued :*/
extern const struct virtio_driver virtio_console_driver;
void console_flush(void);
int console_interrupt_pending(void);
int console_interrupt(void);
int console_sleep_until(u64 deadline);
int cmd_sleep(int argc, char **argv);
/*:*/
/*D:350, continued :*/
extern const struct virtio_driver virtio_rng_driver;
/*:*/
/*D:505, continued :*/
#define BLK_EIO		(-1)	/* the device said IOERR, or gave no status */
#define BLK_EUNSUPP	(-2)	/* the device does not know the request */
#define BLK_EROFS	(-3)	/* a write to a read-only disk */
#define BLK_ERANGE	(-4)	/* sectors beyond the disk's end */
#define BLK_EINVAL	(-5)	/* not whole sectors, or too many buffers */
#define BLK_EBUSY	(-6)	/* no room in the queue */

struct blk_disk {
	struct virtio_device *dev;
	struct virtqueue *vq;
	int number;			/* 0 for the first disk */
	u64 capacity;			/* in 512-byte sectors */
	u32 blk_size, seg_max;
	int read_only, can_flush;
	char id[VIRTIO_BLK_ID_BYTES + 1];
};

struct blk_req {
	struct virtio_blk_outhdr hdr;	/* what the device reads first */
	u8 status;			/* what it writes last */
	u32 len;			/* bytes it wrote, once the request is back */
};

extern const struct virtio_driver virtio_blk_driver;
int blk_count(void);
struct blk_disk *blk_disk_at(int n);
int blk_io(struct blk_disk *d, u32 type, u64 sector, const struct vq_buf *data, unsigned n);
int blk_read(struct blk_disk *d, u64 sector, void *buf, u32 len);
int blk_write(struct blk_disk *d, u64 sector, const void *buf, u32 len);
int blk_flush(struct blk_disk *d);
int blk_start(struct blk_disk *d, struct blk_req *r, u32 type, u64 sector,
	      const struct vq_buf *data, unsigned n);
void blk_kick(struct blk_disk *d);
struct blk_req *blk_wait(struct blk_disk *d);
struct blk_req *blk_poll(struct blk_disk *d);
int blk_status(const struct blk_req *r);
const char *blk_strerror(int err);
/*:*/
/*D:660, continued :*/
int cmd_blk(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_cat(int argc, char **argv);
/*:*/
/*D:690, continued :*/
extern int blk_bench_wanted;
int blk_bench(void);
/*:*/
/*D:848, continued :*/
struct net_if;
extern const struct virtio_driver virtio_net_driver;
int net_set_ip(const char *text);
struct net_if *net_default(void);
int net_tx_wait(struct net_if *nif, u64 deadline);
void net_ping_reply(struct net_if *nif, u32 from, u16 id, u16 seq, u32 len);
void net_udp_input(struct net_if *nif, u32 from, u16 sport, u16 dport,
		   const u8 *data, u32 len);
int cmd_ping(int argc, char **argv);
int cmd_ip(int argc, char **argv);
int cmd_netbench(int argc, char **argv);
int cmd_udp(int argc, char **argv);
/*:*/
/*D:889, continued :*/
int net_bench_option(const char *word);
void net_bench_boot(void);
/*:*/

#endif
/*:*/
