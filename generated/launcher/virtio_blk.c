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
 * answered `IOERR`. :*/
/* The block device: a file as a disk, read and written off the vCPU thread. */
#define _GNU_SOURCE		/* F_OFD_SETLK */
#include "virtio.h"
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECTOR VIRTIO_BLK_SECTOR

struct blk {
	struct virtio_dev dev;		/* first: a virtio_dev * is a blk * */
	struct virtio_blk_config config;
	int fd;
	bool read_only;
	char id[VIRTIO_BLK_ID_BYTES];
	struct iovec data[DEVQ_MAX_SEGS];	/* the data part of the request at hand */
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
 * as an `iovec` array (*L:860*), goes to `preadv` or `pwritev` with the
 * sector's offset. The bytes travel between the file and the Guest's buffers
 * with no copy of ours. A transfer that comes up short is an I/O error for the
 * Guest. For a read, the bytes written into the Guest are the data and the
 * status byte; for a write, just the status byte.
 *
 * Nothing reaches the file before the whole chain has been walked and checked
 * (*L:845*): a Guest killed for a bad descriptor is killed before its request
 * touches the disk, and a request the range check refuses writes nothing, so
 * the image never holds more than the Guest asked to write. :*/
static u8 blk_read(struct blk *b, struct devq_chain *c, u64 sector, u32 *written)
{
	u64 len = c->in_len - 1;
	unsigned n = iov_slice(c->iov + c->nr_out, c->nr_in, 0, len, b->data);

	if (!blk_in_range(b, sector, len))
		return VIRTIO_BLK_S_IOERR;
	if (preadv(b->fd, b->data, n, sector * SECTOR) != (ssize_t)len)
		return VIRTIO_BLK_S_IOERR;
	*written = len;
	return VIRTIO_BLK_S_OK;
}
/*:*/
/*L:922, continued :*/
static u8 blk_write(struct blk *b, struct devq_chain *c, u64 sector)
{
	u64 len = c->out_len - sizeof(struct virtio_blk_outhdr);
	unsigned n = iov_slice(c->iov, c->nr_out, sizeof(struct virtio_blk_outhdr), len, b->data);

	if (b->read_only || !blk_in_range(b, sector, len))
		return VIRTIO_BLK_S_IOERR;
	if (pwritev(b->fd, b->data, n, sector * SECTOR) != (ssize_t)len)
		return VIRTIO_BLK_S_IOERR;
	return VIRTIO_BLK_S_OK;
}
/*:*/
/*L:924 Flush and identity.
 * A flush is `fdatasync`: the data and whatever metadata is needed to read it
 * back (the file's size), without the rest.
 *
 * What may a Guest count on, then? A write whose flush we have answered is in
 * the file, and stays there whatever becomes of the Launcher.
 * `tests/block/test-durability.sh` holds us to it: twenty times it types
 * `blk write` lines into the Guest's shell, which prints `ok` only after the
 * flush's answer, kills the Launcher with `kill -9` at a random moment after a
 * random number of `ok`s, and checks every acknowledged sector in the image
 * (and that a `,ro` disk beside it is untouched). A killed process loses
 * nothing the kernel already holds, so what this proves is our order: the
 * `pwritev` is done before the answer goes back. A Launcher that answers
 * without having written fails it at once: we built one that skipped every
 * fifth sector's write, and the first trial caught it. That
 * the bytes survive a power cut as well is `fdatasync`'s promise, and the
 * file system's. The identity is the image's file
 * name, cut to 20 bytes, padded with zeros; the specification lets it fill
 * all 20 with no terminator. :*/
static u8 blk_flush(struct blk *b)
{
	return fdatasync(b->fd) == 0 ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
}

static u8 blk_get_id(struct blk *b, struct devq_chain *c, u32 *written)
{
	u64 len = c->in_len - 1 < VIRTIO_BLK_ID_BYTES ? c->in_len - 1 : VIRTIO_BLK_ID_BYTES;

	*written = iov_copy_to(c->iov + c->nr_out, c->nr_in, 0, b->id, len);
	return VIRTIO_BLK_S_OK;
}
/*:*/
/*L:926 One request.
 * A request must have at least its header to read and its status byte to
 * write; a chain without them is not a disk request at all, and the Guest is
 * killed. The status goes into the last byte of the writable part, and the
 * length we return counts every byte we wrote. :*/
static u32 blk_request(void *ctx, struct devq_chain *c)
{
	struct blk *b = ctx;
	struct virtio_blk_outhdr h;
	u32 written = 0;
	u8 status;

	if (c->out_len < sizeof(h) || c->in_len < 1)
		bad_driver("%s: request without a header or a status byte", b->dev.name);
	iov_copy_from(c->iov, c->nr_out, 0, &h, sizeof(h));
	switch (h.type) {
	case VIRTIO_BLK_T_IN:		status = blk_read(b, c, h.sector, &written); break;
	case VIRTIO_BLK_T_OUT:		status = blk_write(b, c, h.sector); break;
	case VIRTIO_BLK_T_FLUSH:	status = blk_flush(b); break;
	case VIRTIO_BLK_T_GET_ID:	status = blk_get_id(b, c, &written); break;
	default:			status = VIRTIO_BLK_S_UNSUPP;
	}
	iov_copy_to(c->iov + c->nr_out, c->nr_in, c->in_len - 1, &status, 1);
	return written + 1;
}
/*:*/
/*L:928 The disk's queue handler.
 * The disk's `notify` is the loop of *L:858* with `blk_request` as the
 * handler, and one interrupt decision per batch. It runs on the disk's worker
 * thread: the vCPU's kick went to an eventfd and the vCPU is already back in
 * the Guest while we read and write. :*/
static void blk_notify(struct virtio_dev *d)
{
	if (devq_drain(&d->vq[0], d->chain, d->name, blk_request, d))
		virtio_queue_done(d, &d->vq[0]);
}

static const struct virtio_ops blk_ops = {
	.name = "virtio-blk", .device_id = VIRTIO_ID_BLOCK, .nr_queues = 1,
	.notify = blk_notify,
};
/*:*/
/*M:928 Many requests at once.
 * We serve one request at a time: a Guest that queues many reads waits for
 * each in turn. Several threads, or `io_uring` with the chains' `iovec`s,
 * would let the disk work on many at once; the used ring does not care in
 * which order chains come back. */
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
static void blk_open(struct blk *b, const char *path)
{
	struct stat st;

	b->fd = blk_open_file(path, b->read_only);
	if (fstat(b->fd, &st) < 0)
		err(1, "--block=%s", path);
	b->config.capacity = blk_sectors(b->fd, &st, path);
	blk_once(&st, path, b->read_only);
	blk_lock(b->fd, path, b->read_only);
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
