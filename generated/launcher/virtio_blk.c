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
#include "virtio.h"
#include <err.h>
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
	struct iovec data[VQ_MAX_SEGS];	/* the data part of the request at hand */
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
static u8 blk_read(struct blk *b, struct vq_chain *c, u64 sector, u32 *written)
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
static u8 blk_write(struct blk *b, struct vq_chain *c, u64 sector)
{
	u64 len = c->out_len - sizeof(struct virtio_blk_outhdr);
	unsigned n = iov_slice(c->iov, c->nr_out, sizeof(struct virtio_blk_outhdr), len, b->data);

	if (b->read_only || !blk_in_range(b, sector, len))
		return VIRTIO_BLK_S_IOERR;
	if (pwritev(b->fd, b->data, n, sector * SECTOR) != (ssize_t)len)
		return VIRTIO_BLK_S_IOERR;
	return VIRTIO_BLK_S_OK;
}
/*L:924 Flush and identity.
 * A flush is `fdatasync`: the data and whatever metadata is needed to read it
 * back (the file's size), without the rest. The identity is the image's file
 * name, cut to 20 bytes, padded with zeros; the specification lets it fill
 * all 20 with no terminator. :*/
static u8 blk_flush(struct blk *b)
{
	return fdatasync(b->fd) == 0 ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
}

static u8 blk_get_id(struct blk *b, struct vq_chain *c, u32 *written)
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
static u32 blk_request(void *ctx, struct vq_chain *c)
{
	struct blk *b = ctx;
	struct virtio_blk_outhdr h;
	u32 written = 0;
	u8 status;

	if (c->out_len < sizeof(h) || c->in_len < 1)
		kill_guest("%s: request without a header or a status byte", b->dev.name);
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
	if (vq_drain(&d->vq[0], d->chain, d->name, blk_request, d))
		virtio_queue_done(d, &d->vq[0]);
}

static const struct virtio_ops blk_ops = {
	.name = "virtio-blk", .device_id = VIRTIO_ID_BLOCK, .nr_queues = 1,
	.notify = blk_notify,
};
/*:*/
/*M:928 One request at a time: a Guest that queues many reads waits for each
 * in turn. Several threads, or `io_uring` with the chains' `iovec`s, would let
 * the disk work on many at once; the used ring does not care in which order
 * chains come back. */
/*L:930 The size of a disk.
 * The image may be a plain file, whose size `fstat` gives, or a block device
 * (`/dev/sdb`), whose `st_size` is 0 and which answers `BLKGETSIZE64`. A tail
 * shorter than a sector is invisible to the Guest. :*/
static u64 blk_sectors(int fd, const char *path)
{
	struct stat st;
	u64 bytes;

	if (fstat(fd, &st) < 0)
		err(1, "--block=%s", path);
	bytes = st.st_size;
	if (S_ISBLK(st.st_mode) && ioctl(fd, BLKGETSIZE64, &bytes) < 0)
		err(1, "--block=%s: cannot find its size", path);
	return bytes / SECTOR;
}
/*:*/
/*L:932 Setting up a disk.
 * `--block=FILE` opens the file for reading and writing, `--block=FILE,ro`
 * for reading only, and errors come at once, before the machine exists, naming
 * the file and what to do. The file's name (after its last `/`) is its
 * identity. :*/
void blk_add(const char *value)
{
	struct blk *b = calloc(1, sizeof(*b));
	char *path = strdup(value), *comma = strrchr(path, ',');
	const char *base;

	if (!b || !path)
		err(1, "--block");
	if (comma && strcmp(comma, ",ro") == 0)
		*comma = '\0', b->read_only = true;
	b->fd = open(path, (b->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (b->fd < 0)
		err(LG_EXIT_USAGE, "--block=%s: cannot open the disk image%s", path,
		    b->read_only ? "" : " for writing (add ,ro for a read-only disk)");
	b->config.capacity = blk_sectors(b->fd, path);
	b->config.seg_max = VQ_MAX_SEGS - 2;
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
