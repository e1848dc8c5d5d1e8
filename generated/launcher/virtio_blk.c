/* Tangled from chapters/34-launcher-devices.nw by `make tangle`: edit the chapter, not this file. */
/*L:918 The disk.
 * A virtio disk is the simplest of block devices: one queue of requests, each
 * a chain of a 16-byte header (the request type and, for reads and writes, the
 * starting sector of 512 bytes), the data, and one status byte for us to fill.
 * Reads (`IN`) fill the data buffers, writes (`OUT`) take them; `FLUSH` asks
 * that what was written reach stable storage; `GET_ID` asks for a 20-byte
 * serial number. Anything else is answered `UNSUPP`.
 *
 * The configuration says how big the disk is (`capacity`, in sectors) and how
 * many data segments a request may have (`seg_max`, offered with
 * `VIRTIO_BLK_F_SEG_MAX`: our chain limit less the header and the status).
 * We offer `FLUSH`, since we can honour it with `fdatasync`, and `RO` on a
 * read-only disk, which tells the driver not to try; one that tries anyway is
 * answered `IOERR`.
 *
 * A driver may put many requests in the queue before it kicks, and ours does
 * when it has many to make (*D:528*). What can be done without waiting (a
 * read of pages the host has cached, a write into its page cache) we do at
 * once, on the vCPU thread, inside the kick; what must wait (a read the cache
 * misses, a flush) goes to the device's worker, which keeps many in flight
 * through `io_uring` (*L:928* says why this split, and why not threads).
 * Each request goes into a `blk_op` of its own, which holds what we need to
 * answer it after its chain has been forgotten, and sixty-four of them can be
 * in flight together. :*/
/* The block device: a file as a disk; at once on the vCPU, or through io_uring. */
#define _GNU_SOURCE		/* F_OFD_SETLK */
#include "virtio.h"
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SECTOR VIRTIO_BLK_SECTOR
#define BLK_DEPTH 64			/* requests in flight at once, at most */
#define BLK_IO 0xff			/* not answered yet: its I/O is to do */

struct blk_op {
	u16 head;
	u32 type;			/* VIRTIO_BLK_T_IN, _OUT or _FLUSH */
	u8 *status;			/* the status byte, in the Guest's memory */
	u32 written;			/* the used length, if it succeeds */
	u64 off, len;			/* where on the image, how many bytes */
	unsigned n, gen;		/* data[0..n); the device's resets then */
	struct iovec data[DEVQ_MAX_SEGS];
};

struct blk {
	struct virtio_dev dev;		/* first: a virtio_dev * is a blk * */
	struct virtio_blk_config config;
	int fd;
	bool read_only;
	char id[VIRTIO_BLK_ID_BYTES];
	struct blk_op *ops;		/* BLK_DEPTH of them */
	struct blk_op *free[BLK_DEPTH];
	unsigned nr_free, gen;
	struct io_uring ring;
	int ring_fd;			/* the image, again: the ring's file 0 */
	bool uring;			/* else one request at a time */
	int done_fd;			/* an eventfd: the ring finished something */
};
/*L:920 The range check.
 * The sector comes from the Guest and may be anything. The request must lie
 * wholly on the disk: the sector no further than the end, and the length no
 * more than what remains after it. Written this way round neither side can
 * overflow: `capacity - sector` cannot wrap once the first test has passed,
 * and the product is at most the disk's size in bytes. :*/
static bool blk_in_range(struct blk *b, u64 sector, u64 len)
{
	return sector <= b->config.capacity && len <= (b->config.capacity - sector) * SECTOR;
}
/*:*/
/*L:922 Reads and writes.
 * This is the fast path, and it is short: the data part of the chain, cut out
 * as an `iovec` array (*L:860*), goes into the op with the sector's offset,
 * for `preadv` or `pwritev` or the ring's equivalents. The bytes travel
 * between the file and the Guest's buffers with no copy of ours. For a read,
 * the bytes written into the Guest are the data and the status byte; for a
 * write, just the status byte.
 *
 * Nothing reaches the file before the whole chain has been walked and checked
 * (*L:845*): a Guest killed for a bad descriptor is killed before its request
 * touches the disk, and a request the range check refuses writes nothing, so
 * the image never holds more than the Guest asked to write. :*/
static u8 blk_read(struct blk *b, struct devq_chain *c, u64 sector, struct blk_op *op)
{
	op->len = c->in_len - 1;
	op->n = iov_slice(c->iov + c->nr_out, c->nr_in, 0, op->len, op->data);
	if (!blk_in_range(b, sector, op->len))
		return VIRTIO_BLK_S_IOERR;
	op->off = sector * SECTOR, op->written = op->len + 1;
	return BLK_IO;
}
/*:*/
/*L:922, continued :*/
static u8 blk_write(struct blk *b, struct devq_chain *c, u64 sector, struct blk_op *op)
{
	u64 hdr = sizeof(struct virtio_blk_outhdr);

	op->len = c->out_len - hdr;
	op->n = iov_slice(c->iov, c->nr_out, hdr, op->len, op->data);
	if (b->read_only || !blk_in_range(b, sector, op->len))
		return VIRTIO_BLK_S_IOERR;
	op->off = sector * SECTOR;
	return BLK_IO;
}
/*:*/
/*L:924 Flush and identity.
 * A flush is `fdatasync`: the data and whatever metadata is needed to read it
 * back (the file's size), without the rest. It has no data, so there is
 * nothing to prepare; its I/O is the call itself.
 *
 * What may a Guest count on, then? A write whose flush we have answered is in
 * the file, and stays there whatever becomes of the Launcher.
 * `tests/block/test-durability.sh` holds us to it: twenty times it types
 * `blk write` lines into the Guest's shell, which prints `ok` only after the
 * flush's answer, kills the Launcher with `kill -9` at a random moment after a
 * random number of `ok`s, and checks every acknowledged sector in the image
 * (and that a `,ro` disk beside it is untouched). A killed process loses
 * nothing the kernel already holds, so what this proves is our order: the
 * write is done before the answer goes back. A Launcher that answers
 * without having written fails it at once: we built one that skipped every
 * fifth sector's write, and the first trial caught it. That
 * the bytes survive a power cut as well is `fdatasync`'s promise, and the
 * file system's. The identity is the image's file
 * name, cut to 20 bytes, padded with zeros; the specification lets it fill
 * all 20 with no terminator. It is answered at once, with no I/O. :*/
static u8 blk_get_id(struct blk *b, struct devq_chain *c, struct blk_op *op)
{
	u64 len = c->in_len - 1 < VIRTIO_BLK_ID_BYTES ? c->in_len - 1 : VIRTIO_BLK_ID_BYTES;

	op->written = iov_copy_to(c->iov + c->nr_out, c->nr_in, 0, b->id, len) + 1;
	return VIRTIO_BLK_S_OK;
}
/*:*/
/*L:926 One request.
 * A request must have at least its header to read and its status byte to
 * write; a chain without them is not a disk request at all, and the Guest is
 * killed. The status goes into the last byte of the writable part, whose
 * address we keep: by the time the I/O is done the chain may be long gone.
 * `blk_prepare` fills the op and says either the status to answer at once
 * (a refusal, an identity, an unknown type) or `BLK_IO`, there is I/O to do
 * first. :*/
static u8 blk_prepare(struct blk *b, struct devq_chain *c, struct blk_op *op)
{
	struct virtio_blk_outhdr h;
	struct iovec last;

	if (c->out_len < sizeof(h) || c->in_len < 1)
		bad_driver("%s: request without a header or a status byte", b->dev.name);
	iov_copy_from(c->iov, c->nr_out, 0, &h, sizeof(h));
	iov_slice(c->iov + c->nr_out, c->nr_in, c->in_len - 1, 1, &last);
	*op = (struct blk_op){ .head = c->head, .type = h.type, .status = last.iov_base,
			       .written = 1, .gen = b->gen };
	switch (h.type) {
	case VIRTIO_BLK_T_IN:		return blk_read(b, c, h.sector, op);
	case VIRTIO_BLK_T_OUT:		return blk_write(b, c, h.sector, op);
	case VIRTIO_BLK_T_FLUSH:	return BLK_IO;
	case VIRTIO_BLK_T_GET_ID:	return blk_get_id(b, c, op);
	default:			return VIRTIO_BLK_S_UNSUPP;
	}
}
/*:*/
/*L:926, continued :*/
static u8 blk_result(struct blk_op *op, s64 res)
{
	bool ok = op->type == VIRTIO_BLK_T_FLUSH ? res == 0 : res == (s64)op->len;

	if (!ok)
		op->written = 1;
	return ok ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
}
/*:*/
/*L:926, continued :*/
static bool blk_answer(struct blk *b, struct blk_op *op, u8 status)
{
	bool current = op->gen == b->gen && b->dev.vq[0].ready;

	if (current) {
		*(volatile u8 *)op->status = status;
		devq_push_head(&b->dev.vq[0], op->head, op->written);
	}
	b->free[b->nr_free++] = op;
	return current;
}
/*:*/
/*L:926, continued :*/
static u8 blk_io_now(struct blk *b, struct blk_op *op)
{
	s64 res;

	if (op->type == VIRTIO_BLK_T_IN)
		res = preadv(b->fd, op->data, op->n, op->off);
	else if (op->type == VIRTIO_BLK_T_OUT)
		res = pwritev(b->fd, op->data, op->n, op->off);
	else
		res = fdatasync(b->fd);
	return blk_result(op, res);
}
/*:*/
/*L:928, continued :*/
static void blk_queue_io(struct blk *b, struct blk_op *op)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&b->ring);

	if (op->type == VIRTIO_BLK_T_IN)
		io_uring_prep_readv(sqe, 0, op->data, op->n, op->off);
	else
		io_uring_prep_fsync(sqe, 0, IORING_FSYNC_DATASYNC);
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data(sqe, op);
}
/*:*/
/*L:928, continued :*/
static bool blk_reap(struct blk *b, bool wait)
{
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;
	bool pushed = false;
	int r;

	if (!b->uring)
		return false;
	r = io_uring_submit_and_wait(&b->ring, wait);
	if (r < 0 && r != -EINTR)
		errx(1, "%s: io_uring: %s", b->dev.name, strerror(-r));
	io_uring_for_each_cqe(&b->ring, head, cqe) {
		struct blk_op *op = io_uring_cqe_get_data(cqe);

		pushed |= blk_answer(b, op, blk_result(op, cqe->res));
		n++;
	}
	io_uring_cq_advance(&b->ring, n);
	return pushed;
}
/*:*/
/*L:928, continued :*/
static u8 blk_io_at_once(struct blk *b, struct blk_op *op)
{
	s64 res;

	if (op->type == VIRTIO_BLK_T_OUT)
		return blk_result(op, pwritev(b->fd, op->data, op->n, op->off));
	if (op->type != VIRTIO_BLK_T_IN)
		return BLK_IO;
	res = preadv2(b->fd, op->data, op->n, op->off, RWF_NOWAIT);
	return res == (s64)op->len ? blk_result(op, res) : BLK_IO;
}
/*:*/
/*L:928, continued :*/
static bool blk_take_at_once(struct blk *b, struct devq_chain *c, bool *pushed)
{
	struct blk_op *op = b->free[b->nr_free - 1];
	u8 status = blk_prepare(b, c, op);

	if (status == BLK_IO)
		status = blk_io_at_once(b, op);
	if (status == BLK_IO)
		return false;
	b->nr_free--;
	*pushed |= blk_answer(b, op, status);
	return true;
}
/*:*/
/*L:928, continued :*/
static bool blk_kick(struct virtio_dev *d)
{
	struct blk *b = (struct blk *)d;
	struct devq *vq = &d->vq[0];
	bool pushed = false, all = true;

	if (b->nr_free != BLK_DEPTH)
		return false;
	while (all && devq_pop(vq, d->chain, d->name))
		if (!blk_take_at_once(b, d->chain, &pushed))
			devq_unpop(vq), all = false;
	if (pushed)
		virtio_queue_done(d, vq);
	return all && devq_enable_notify(vq);
}
/*:*/
/*L:928 Many requests at once: on the spot, or through io_uring.
 * How should a device have many requests in flight? There are two ways on
 * Linux. A pool of threads, each taking a request and making the same
 * `preadv` we would, is what QEMU's `aio=threads` does. Or `io_uring`: two
 * rings shared with the kernel, one of submissions and one of completions,
 * which QEMU offers as `aio=io_uring`. We use `io_uring`, but for less than
 * one might expect, and the reason is what the work is.
 *
 * A disk image in use sits in the host's page cache, so most requests never
 * wait for a disk: a read is a copy out of the cache, a write a copy into
 * it. Such a request gains nothing from being "in flight"; what it costs is
 * the trip, and on a busy machine the dearest part of the trip is a thread
 * [wake-up]{.idx}. We watched one with `perf`, tracing the scheduler on the
 * book's machine (two virtual CPUs under a nested kvm_pvm, with some fifteen
 * runnable processes of other work beside ours). The Guest's kick woke our
 * worker on the CPU where the vCPU was spinning in the Guest's poll
 * (*D:235*); the worker did not run until the vCPU had halted and another
 * program had had its turn, 7.7 ms after the kick, for a `pwritev` of 30
 * microseconds. The Guest, halted by then, needed an interrupt and more
 * milliseconds to wake. A pool of threads pays such a wake-up twice per
 * request (to the pool and back), the ring's kernel workers likewise, and
 * even our one worker pays it once.
 *
 * So what can be done without waiting we do right in the kick, on the vCPU
 * thread, which is running anyway. The disk takes its kicks through the run
 * loop rather than an `ioeventfd` (*L:897*), and its `kick` hook pops every
 * request in the queue and does each on the spot: a write with `pwritev`, a
 * read with `preadv2` and `RWF_NOWAIT`, which copies cached pages and refuses
 * (`EAGAIN`) rather than wait for the disk. When the Guest's store to
 * `QueueNotify` completes, the answers are already in the used ring, and the
 * Guest takes them without polling, halting or an interrupt. The first
 * request that cannot be done at once (a read the cache misses, a flush) goes
 * back into the queue (`devq_unpop`, *L:848*), and the worker is woken for it
 * and for everything behind it. The hook works only while the worker has
 * nothing in flight, so the two never hold requests of one queue at the same
 * time, and everything the hook answered was done before anything it passed
 * on.
 *
 * What is left for the ring is what does wait, and there it earns its keep:
 * many reads that miss the cache go to the disk together, and a flush
 * (`fdatasync`, tens of milliseconds here) does not hold up the worker while
 * it runs. Such a request goes to the kernel's own workers and comes back
 * through an eventfd our worker sleeps on.
 *
 * Writes never go to the ring, not even from the worker, because we measured
 * that they cannot profit. On this machine's kernel (Linux 6.18, on ext4) a
 * buffered write cannot be done without waiting: `pwritev2` with
 * `RWF_NOWAIT` fails with `EOPNOTSUPP`. So the ring hands every write to a
 * kernel worker, and those workers take the writes to one file one at a
 * time. A small program making 2,000 random 4 KiB writes to a cached file
 * found 1% of them done inside the submitting call, and 190 to 260
 * microseconds per write through the ring at queue depths of 1, 8 and 32
 * alike, against 45 to 85 for `pwritev` in a loop. The worker therefore
 * makes its writes itself, one after another, which is what the kernel would
 * have done with them anyway, minus two wake-ups each.
 *
 * Order comes for free. A flush must cover every write answered before it,
 * and every write is finished, by `pwritev`, before it is answered and
 * before anything behind it in the queue is looked at; so the flush needs no
 * barrier of its own. (It had one, `IOSQE_IO_DRAIN`, while writes went
 * through the ring beside it.) The last reason for the ring, confinement,
 * comes below.
 *
 * The worker's queue handler is the loop of *L:858* with a limit. It pops
 * while there is a free op, answers what needs no I/O or is a write, and puts
 * the rest on the ring; then it submits the batch and collects whatever has
 * already finished. If every op is in flight it waits for one to finish
 * before popping more. When the queue is empty, notifications are re-enabled
 * as usual. One interrupt decision covers the whole batch. :*/
static bool blk_take(struct blk *b, struct devq_chain *c)
{
	struct blk_op *op = b->free[--b->nr_free];
	u8 status = blk_prepare(b, c, op);

	if (status == BLK_IO && b->uring && op->type != VIRTIO_BLK_T_OUT)
		return blk_queue_io(b, op), false;
	if (status == BLK_IO)
		status = blk_io_now(b, op);
	return blk_answer(b, op, status);
}
/*:*/
/*L:928, continued :*/
static void blk_notify(struct virtio_dev *d)
{
	struct blk *b = (struct blk *)d;
	struct devq *vq = &d->vq[0];
	bool pushed = false;

	do {
		while (b->nr_free && devq_pop(vq, d->chain, d->name))
			pushed |= blk_take(b, d->chain);
		pushed |= blk_reap(b, !b->nr_free);
	} while (vq->ready && (!b->nr_free || !devq_enable_notify(vq)));
	if (pushed)
		virtio_queue_done(d, vq);
}
/*:*/
/*L:928, continued :*/
static void blk_done(struct virtio_dev *d)
{
	struct blk *b = (struct blk *)d;
	eventfd_t n;

	eventfd_read(b->done_fd, &n);
	if (blk_reap(b, false))
		virtio_queue_done(d, &d->vq[0]);
}
/*:*/
/*L:928, continued :*/
static void blk_reset(struct virtio_dev *d)
{
	((struct blk *)d)->gen++;
}

static void blk_start(struct virtio_dev *d);

static const struct virtio_ops blk_ops = {
	.name = "virtio-blk", .device_id = VIRTIO_ID_BLOCK, .nr_queues = 1,
	.notify = blk_notify, .fd_ready = blk_done, .reset = blk_reset, .start = blk_start,
	.kick = blk_kick,
};
/*:*/
/*L:928, continued :*/
static const struct io_uring_restriction blk_ring_rules[] = {
	{ .opcode = IORING_RESTRICTION_SQE_OP, .sqe_op = IORING_OP_READV },
	{ .opcode = IORING_RESTRICTION_SQE_OP, .sqe_op = IORING_OP_FSYNC },
	{ .opcode = IORING_RESTRICTION_SQE_FLAGS_REQUIRED, .sqe_flags = IOSQE_FIXED_FILE },
};

static int blk_ring_register(struct io_uring *ring, unsigned op, const void *arg,
			     unsigned n)
{
	return syscall(__NR_io_uring_register, ring->ring_fd, op, arg, n) < 0 ? -errno : 0;
}

static int blk_ring_setup(struct blk *b)
{
	int r = io_uring_queue_init(BLK_DEPTH, &b->ring, IORING_SETUP_R_DISABLED);

	if (r < 0)
		return r;
	b->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (b->done_fd < 0)
		r = -errno;
	if (!r)
		r = b->ring_fd < 0 ? -EBADF : io_uring_register_files(&b->ring, &b->ring_fd, 1);
	if (!r)
		r = io_uring_register_eventfd(&b->ring, b->done_fd);
	if (!r)
		r = blk_ring_register(&b->ring, IORING_REGISTER_RESTRICTIONS, blk_ring_rules,
				      sizeof(blk_ring_rules) / sizeof(blk_ring_rules[0]));
	if (!r)
		r = blk_ring_register(&b->ring, IORING_REGISTER_ENABLE_RINGS, NULL, 0);
	if (r && b->done_fd >= 0)
		close(b->done_fd);
	if (r)
		io_uring_queue_exit(&b->ring);
	return r;
}

static void blk_start(struct virtio_dev *d)
{
	struct blk *b = (struct blk *)d;
	int r = blk_ring_setup(b);

	b->uring = r == 0;
	if (b->uring)
		d->poll_fd = b->done_fd;
	else
		lg_say("%s: no io_uring (%s); one request at a time", d->name, strerror(-r));
}
/*:*/
/*M:928 Bounding the work of one kick.
 * While the vCPU serves a queue on the spot, the Guest stands still in its
 * store to `QueueNotify`: its clock's alarms wait, and so does everything
 * else it had to do. For our Guest's benchmark that is no loss (it would only
 * poll for the answers), and a queue of 32 cached 4 KiB reads is done in a
 * few hundred microseconds. But a write may also wait inside `pwritev`, when
 * the host's page cache is full of dirty pages and the kernel throttles the
 * writer, for up to tens of milliseconds; and 64 requests of 128 KiB are 8 MiB
 * to copy. A bound on the bytes served per kick, with the rest handed to
 * the worker, would cap the stall, at the price of a wake-up for the rest. */
/*L:929 Opening the image.
 * `--block=FILE` opens the file for reading and writing, `--block=FILE,ro`
 * for reading only, and errors come at once, before the machine exists. Each
 * message names the file and the fix that fits its cause. The commonest cause
 * is a file that is not there yet, and the fix is to make one: any file of
 * whole sectors is a disk, and `truncate` makes an empty one of any size, with
 * no blocks behind it until the Guest writes. A file we may read but not write
 * is the one case where `,ro` is the answer. :*/
static int blk_open_file(const char *path, bool read_only)
{
	int fd = open(path, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	if (errno == ENOENT && !read_only)
		errx(LG_EXIT_USAGE, "--block=%s: no such file; make a disk with e.g. "
		     "'truncate -s 1M %s'", path, path);
	if (errno == ENOENT)
		errx(LG_EXIT_USAGE, "--block=%s: no such file; check the path", path);
	if (errno == EISDIR)
		errx(LG_EXIT_USAGE, "--block=%s: is a directory, not a disk image", path);
	if (!read_only && (errno == EACCES || errno == EPERM || errno == EROFS))
		err(LG_EXIT_USAGE, "--block=%s: cannot open it for writing (add ,ro for a "
		    "read-only disk)", path);
	err(LG_EXIT_USAGE, "--block=%s: cannot open the disk image", path);
}
/*:*/
/*L:930 The size of a disk.
 * The image may be a plain file, whose size `fstat` gives, or a block device
 * (`/dev/sdb`), whose `st_size` is 0 and which answers `BLKGETSIZE64`. Two
 * sizes make no disk a Guest can use, and we refuse both, saying how to mend
 * the file. An empty file is a disk of no sectors: the Guest finds it, and
 * every read fails. A size that is not a whole number of sectors loses its
 * tail, since the Guest sees only whole sectors; `truncate -s %512` rounds the
 * file up with zeros. A directory opened `,ro` gets this far too (only
 * writing one fails in `open`), and so would a terminal or a pipe. :*/
static u64 blk_sectors(int fd, const struct stat *st, const char *path)
{
	u64 bytes = st->st_size;

	if (S_ISDIR(st->st_mode))
		errx(LG_EXIT_USAGE, "--block=%s: is a directory, not a disk image", path);
	if (!S_ISREG(st->st_mode) && !S_ISBLK(st->st_mode))
		errx(LG_EXIT_USAGE, "--block=%s: is neither a file nor a block device", path);
	if (S_ISBLK(st->st_mode) && ioctl(fd, BLKGETSIZE64, &bytes) < 0)
		err(1, "--block=%s: cannot find its size", path);
	if (bytes == 0)
		errx(LG_EXIT_USAGE, "--block=%s: the image is empty; give it a size, e.g. "
		     "'truncate -s 1M %s'", path, path);
	if (bytes % SECTOR)
		errx(LG_EXIT_USAGE, "--block=%s: %llu bytes is not a whole number of %d-byte "
		     "sectors; round it up with 'truncate -s %%%d %s'", path,
		     (unsigned long long)bytes, SECTOR, SECTOR, path);
	return bytes / SECTOR;
}
/*:*/
/*L:931 One writer per image.
 * Two disks backed by one file, both writable, are two caches of the same
 * sectors that know nothing of each other: a file system on one is corrupted
 * by writes through the other. The same holds for two Launchers, or a Launcher
 * and QEMU. So, as QEMU does, we lock each image while we hold it: a shared
 * lock for a disk we only read, an exclusive one for a disk we write, so any
 * number of readers may share an image but a writer has it alone.
 *
 * First our own command line, because there the message can be exact. We
 * note each image by its device and inode (for a block device, the device it
 * names), so a second name for the same file (`./disk.img`, a link) is caught
 * too. Two `,ro` uses of one image are fine. :*/
static struct blk_image {
	dev_t dev;
	ino_t ino;
	bool read_only;
	const char *path;
} blk_images[BLK_MAX_DISKS];
static int blk_nr_images;

static void blk_once(const struct stat *st, const char *path, bool read_only)
{
	dev_t dev = S_ISBLK(st->st_mode) ? st->st_rdev : st->st_dev;
	ino_t ino = S_ISBLK(st->st_mode) ? 0 : st->st_ino;

	for (int i = 0; i < blk_nr_images; i++)
		if (blk_images[i].dev == dev && blk_images[i].ino == ino &&
		    !(read_only && blk_images[i].read_only))
			errx(LG_EXIT_USAGE, "--block=%s: the same image as --block=%s; one image "
			     "is two disks only if both are ,ro", path, blk_images[i].path);
	blk_images[blk_nr_images++] = (struct blk_image){ dev, ino, read_only, path };
}
/*:*/
/*L:931, continued :*/
static void blk_lock(int fd, const char *path, bool read_only)
{
	struct flock lock = { .l_type = read_only ? F_RDLCK : F_WRLCK, .l_whence = SEEK_SET };

	if (fcntl(fd, F_OFD_SETLK, &lock) == 0)
		return;
	if (errno == EAGAIN || errno == EACCES)
		errx(LG_EXIT_USAGE, "--block=%s: %s is in use: another Launcher or program "
		     "holds it%s; end that one first, or give each its own copy", path, path,
		     read_only ? " for writing" : "");
	warn("--block=%s: cannot lock the image, so nothing keeps other programs from "
	     "writing it", path);
}
/*:*/
/*L:931, continued :*/
static int blk_reopen(const char *path, const struct stat *st, bool read_only)
{
	int fd = open(path, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	struct stat again;

	if (fd >= 0 && (fstat(fd, &again) < 0 || again.st_dev != st->st_dev ||
			again.st_ino != st->st_ino)) {
		close(fd);
		fd = -1;
	}
	return fd;
}
/*:*/
/*L:931, continued :*/
static void blk_open(struct blk *b, const char *path)
{
	struct stat st;

	b->fd = blk_open_file(path, b->read_only);
	if (fstat(b->fd, &st) < 0)
		err(1, "--block=%s", path);
	b->config.capacity = blk_sectors(b->fd, &st, path);
	blk_once(&st, path, b->read_only);
	blk_lock(b->fd, path, b->read_only);
	b->ring_fd = blk_reopen(path, &st, b->read_only);
	sandbox_vcpu_may_use(b->fd);
}
/*:*/
/*M:980 Locks QEMU understands.
 * QEMU locks a few single bytes of an image (one per permission it holds,
 * from offset 100, and one per permission it will not share, from offset
 * 200), not the whole file, and tests the others' bytes before it opens. Our
 * whole-file locks meet its scheme well enough to stop the dangerous pairs:
 * we measured that a Launcher refuses to write an image QEMU has open, read
 * or write, and that QEMU refuses an image a Launcher has open, even
 * read-only. One pair slips through: a Launcher reading (`,ro`) an image that
 * QEMU is writing, since shared locks do not conflict. Locking QEMU's bytes
 * the way QEMU does would close it, and would let a `,ro` Launcher and a
 * read-only QEMU share an image, which today they cannot. */
/*L:932 Setting up a disk.
 * `,ro` at the end of the value asks for a read-only disk. The file's name
 * (after its last `/`) is its identity. :*/
void blk_add(const char *value)
{
	struct blk *b = calloc(1, sizeof(*b));
	char *path = strdup(value), *comma = strrchr(path, ',');
	const char *base;

	if (!b || !path)
		err(1, "--block");
	if (comma && strcmp(comma, ",ro") == 0)
		*comma = '\0', b->read_only = true;
	/*L:933 Eight disks.
	 * The Launcher has room for sixteen devices, but the Guest's driver keeps
	 * eight disks (*D:505*) and refuses the ninth with a line on its console, so
	 * a ninth `--block` would be a disk the user believes is there and the Guest
	 * never sees. We take as many as the Guest drives, and refuse the next by
	 * name. The number is the driver's, `BLK_MAX_DISKS`, which lives in the
	 * shared header for exactly this; the test that boots eight disks and refuses
	 * a ninth holds the two to each other. :*/
	if (blk_nr_images == BLK_MAX_DISKS)
		errx(LG_EXIT_USAGE, "--block=%s: too many disks; the Guest sees at most %d, so leave "
		     "one out", path, BLK_MAX_DISKS);
	/*:*/
	blk_open(b, path);
	b->ops = calloc(BLK_DEPTH, sizeof(*b->ops));
	if (!b->ops)
		err(1, "--block=%s", path);
	for (int i = 0; i < BLK_DEPTH; i++)
		b->free[b->nr_free++] = &b->ops[i];
	b->config.seg_max = DEVQ_MAX_SEGS - 2;
	base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	memcpy(b->id, base, strlen(base) < sizeof(b->id) ? strlen(base) : sizeof(b->id));
	virtio_register(&b->dev, &blk_ops, &b->config, sizeof(b->config),
			VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) | VIRTIO_BIT(VIRTIO_BLK_F_FLUSH) |
			(b->read_only ? VIRTIO_BIT(VIRTIO_BLK_F_RO) : 0));
	lg_say("%s: %s, %llu sectors%s", b->dev.name, path, b->config.capacity,
	       b->read_only ? ", read-only" : "");
}
/*:*/
/*:*/
