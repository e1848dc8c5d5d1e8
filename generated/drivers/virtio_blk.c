/* Tangled from chapters/22-drivers-block.nw by `make tangle`: edit the chapter, not this file. */
/*D:510, continued :*/
/* The virtio disk: probe, requests, flush and identity; the disk's self-tests. */
#include "drivers.h"

static struct blk_disk *disks[BLK_MAX_DISKS];
static int nr_disks;

/*D:515 One request on the wire.
 * The header and the status byte must be in memory the device can reach,
 * which for us is any memory at all: the Guest's kernel addresses are its
 * physical addresses (*G:240*). We keep them together in one small structure,
 * `blk_req` (*D:505*), which lives wherever its caller likes: on the stack
 * for a request waited for at once, in an array for many in flight. Its
 * address is also the request's token in the queue, so what comes back from
 * the queue is the request itself. The status starts as a value no device
 * sends, so a device that gives the request back without writing its status
 * cannot be mistaken for one that said `OK`. :*/
#define BLK_NO_STATUS 0xff
/*:*/
/*D:520 Submitting and waiting.
 * A request is the header, the data buffers, and the status, in that order:
 * the device reads the ones before the first it may write. For a write the
 * data are the device's to read, so they go with the header; for a read and
 * for `GET_ID` they are the device's to fill, so they go with the status.
 * `vq_add` makes them one chain, or one indirect table when the request has
 * several pieces and the device offered that (*D:215*), and `vq_wait_for`
 * sleeps until this request, and no other, comes back.
 *
 * The length the device reports counts the bytes it wrote, and the status
 * byte is the last of them: a length of zero means it never wrote one, and
 * the request failed whatever our status byte says. :*/
#define BLK_MAX_SEGS 64

static int blk_queue(struct blk_disk *d, struct blk_req *r, u32 type, u64 sector,
		     const struct vq_buf *data, unsigned n)
{
	struct vq_buf out[1 + BLK_MAX_SEGS], in[BLK_MAX_SEGS + 1];
	unsigned nout = 1, nin = 0;
	int writes = type == VIRTIO_BLK_T_OUT;

	*r = (struct blk_req){ { type, 0, sector }, BLK_NO_STATUS, 0 };
	out[0] = (struct vq_buf){ &r->hdr, sizeof(r->hdr) };
	for (unsigned i = 0; i < n; i++) {
		if (writes)
			out[nout++] = data[i];
		else
			in[nin++] = data[i];
	}
	in[nin++] = (struct vq_buf){ &r->status, 1 };
	return vq_add(d->vq, out, nout, in, nin, r) < 0 ? BLK_EBUSY : 0;
}
/*:*/
/*D:520, continued :*/
int blk_status(const struct blk_req *r)
{
	if (r->len == 0)
		return BLK_EIO;
	return r->status == VIRTIO_BLK_S_OK ? 0 :
	       r->status == VIRTIO_BLK_S_UNSUPP ? BLK_EUNSUPP : BLK_EIO;
}

static int blk_submit(struct blk_disk *d, u32 type, u64 sector, const struct vq_buf *data,
		      unsigned n)
{
	struct blk_req r;
	int err = blk_queue(d, &r, type, sector, data, n);

	if (err)
		return err;
	vq_kick(d->vq);
	r.len = vq_wait_for(d->vq, &r);
	return blk_status(&r);
}
/*:*/
/*D:525 The driver's own checks.
 * A device must refuse a request that runs off the disk or writes a
 * read-only one, and both the Launcher's and QEMU's do. We check anyway,
 * before the request leaves, for two reasons: the error can then say what was
 * wrong (`IOERR` says only that something was), and the rule is the driver's
 * to keep, not just the device's to enforce. The self-tests send such
 * requests past these checks on purpose, to hold the device to its side
 * (*D:580*).
 *
 * The range test is written so that it cannot overflow: the sector must be
 * within the disk, and the request no longer than what remains after it. :*/
static int blk_check(struct blk_disk *d, u32 type, u64 sector, const struct vq_buf *data,
		     unsigned n)
{
	u64 bytes = 0;

	if (n > d->seg_max || n > BLK_MAX_SEGS)
		return BLK_EINVAL;
	for (unsigned i = 0; i < n; i++)
		bytes += data[i].len;
	if (type == VIRTIO_BLK_T_OUT && d->read_only)
		return BLK_EROFS;
	if (type != VIRTIO_BLK_T_IN && type != VIRTIO_BLK_T_OUT)
		return 0;
	if (bytes % VIRTIO_BLK_SECTOR)
		return BLK_EINVAL;
	if (sector > d->capacity || bytes / VIRTIO_BLK_SECTOR > d->capacity - sector)
		return BLK_ERANGE;
	return 0;
}
/*:*/
/*D:528 Many requests at once.
 * One request at a time leaves the disk idle while the Guest looks at each
 * answer, and pays a kick and an interrupt for every request. A caller with
 * many requests to make, the benchmark at a queue depth of 8 or 32
 * (*D:698*), or one day a file system reading ahead, starts them all and
 * kicks once: the device sees the whole batch, can work on all of it at once
 * (our Launcher does, *L:928*), and answers with one interrupt when it can.
 * `blk_start` checks and queues one request without a kick; `blk_kick` tells
 * the device about everything started since the last kick (with `EVENT_IDX`
 * only if it is not already busy with the queue, *D:225*); `blk_wait` returns
 * whichever request finishes next, with its length filled in for
 * `blk_status`, or `NULL` when none is in flight; `blk_poll` is the same
 * without the wait, for taking the rest of a batch that came back together,
 * so that one kick can answer all of it. The requests may finish in
 * any order: the device owes us no order, and a caller that needs one (a
 * flush after its writes) waits for the first before starting the second.
 * The queue holds 64 requests, each a single descriptor pointing at its own
 * table (*D:215*), so 64 is also the deepest queue the driver keeps. :*/
int blk_start(struct blk_disk *d, struct blk_req *r, u32 type, u64 sector,
	      const struct vq_buf *data, unsigned n)
{
	int err = blk_check(d, type, sector, data, n);

	return err ? err : blk_queue(d, r, type, sector, data, n);
}

void blk_kick(struct blk_disk *d)
{
	vq_kick(d->vq);
}

static struct blk_req *blk_back(struct blk_req *r, u32 len)
{
	if (r)
		r->len = len;
	return r;
}

struct blk_req *blk_wait(struct blk_disk *d)
{
	u32 len = 0;
	void *r = vq_wait_any(d->vq, &len);

	return blk_back(r, len);
}

struct blk_req *blk_poll(struct blk_disk *d)
{
	u32 len = 0;
	void *r = vq_get(d->vq, &len);

	return blk_back(r, len);
}
/*:*/
/*D:530 Read, write, flush.
 * Everything the rest of the Guest asks of a disk goes through `blk_io`: the
 * checks, then the request. A flush on a disk that offered no `FLUSH` has
 * nothing to do: such a device has no write cache to empty, so a write is on
 * stable storage once it completes. :*/
int blk_io(struct blk_disk *d, u32 type, u64 sector, const struct vq_buf *data, unsigned n)
{
	int err = blk_check(d, type, sector, data, n);

	return err ? err : blk_submit(d, type, sector, data, n);
}

int blk_read(struct blk_disk *d, u64 sector, void *buf, u32 len)
{
	struct vq_buf b = { buf, len };

	return blk_io(d, VIRTIO_BLK_T_IN, sector, &b, 1);
}

int blk_write(struct blk_disk *d, u64 sector, const void *buf, u32 len)
{
	struct vq_buf b = { buf, len };

	return blk_io(d, VIRTIO_BLK_T_OUT, sector, &b, 1);
}

int blk_flush(struct blk_disk *d)
{
	return d->can_flush ? blk_io(d, VIRTIO_BLK_T_FLUSH, 0, NULL, 0) : 0;
}
/*:*/
/*D:535 The disk's name.
 * `GET_ID` fills up to 20 bytes. We ask once, when the disk comes up, and keep
 * the answer with a terminator of our own. The Launcher answers with the image
 * file's name; QEMU with the drive's `serial=` property, or nothing. A disk
 * that does not know the request simply has no name. :*/
static void blk_ask_id(struct blk_disk *d)
{
	struct vq_buf b = { d->id, VIRTIO_BLK_ID_BYTES };

	memset(d->id, 0, sizeof(d->id));
	if (blk_io(d, VIRTIO_BLK_T_GET_ID, 0, &b, 1) < 0)
		memset(d->id, 0, sizeof(d->id));
}
/*:*/
/*D:540, continued :*/
#define BLK_CONFIG(field) __builtin_offsetof(struct virtio_blk_config, field)

static int blk_has(struct virtio_device *vd, int bit)
{
	return (vd->features >> bit) & 1;
}
/*:*/
/*D:540 Probing a disk.
 * The probe is the pattern every driver follows: accept features, read the
 * configuration, set up the queues, say `DRIVER_OK`. We ask for the four disk
 * features we understand; the bus adds `VERSION_1` and the ring features
 * (*D:165*). A feature the device did not offer leaves its configuration field
 * meaningless, so each field is read only when its bit came back: without
 * `BLK_SIZE` the block size is 512, and without `SEG_MAX` we may send one data
 * buffer per request, which is what Linux assumes too. The queue needs no
 * callback: every request is waited for by whoever made it. Sixty-four
 * entries let sixty-four requests be in flight, and each entry holds a whole
 * request however many pieces it has, since the bus takes indirect
 * descriptors whenever the device offers them.
 *
 * Requests may be sent only after `DRIVER_OK`, so the name is asked for
 * last. :*/
static int blk_probe(struct virtio_device *vd)
{
	struct blk_disk *d;

	if (nr_disks == BLK_MAX_DISKS) {
		printk(KERN_ERR "virtio-blk: device %d: more than %d disks\n", vd->index,
		       BLK_MAX_DISKS);
		return -1;
	}
	if (virtio_negotiate(vd, VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) | VIRTIO_BIT(VIRTIO_BLK_F_RO) |
				 VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE) | VIRTIO_BIT(VIRTIO_BLK_F_FLUSH)) < 0)
		return -1;
	d = kmalloc(sizeof(*d));
	if (!d)
		return -1;
	memset(d, 0, sizeof(*d));
	d->capacity = virtio_config_read64(vd, BLK_CONFIG(capacity));
	d->blk_size = blk_has(vd, VIRTIO_BLK_F_BLK_SIZE) ?
		      virtio_config_read(vd, BLK_CONFIG(blk_size), 4) : 512;
	d->seg_max = blk_has(vd, VIRTIO_BLK_F_SEG_MAX) ?
		     virtio_config_read(vd, BLK_CONFIG(seg_max), 4) : 1;
	d->read_only = blk_has(vd, VIRTIO_BLK_F_RO);
	d->can_flush = blk_has(vd, VIRTIO_BLK_F_FLUSH);
	d->vq = vq_setup(vd, 0, 64, NULL);
	if (!d->vq) {
		printk(KERN_ERR "virtio-blk: device %d: cannot set up its queue\n", vd->index);
		kfree(d);
		return -1;
	}
	d->dev = vd, d->number = nr_disks, vd->priv = d;
	virtio_driver_ok(vd);
	blk_ask_id(d);
	disks[nr_disks++] = d;
	printk(KERN_INFO "virtio-blk: disk %d: %llu sectors%s, id \"%s\"\n", d->number,
	       d->capacity, d->read_only ? ", read-only" : "", d->id);
	return 0;
}

const struct virtio_driver virtio_blk_driver = { VIRTIO_ID_BLOCK, "virtio-blk", blk_probe };
/*:*/
/*D:540, continued :*/
int blk_count(void)
{
	return nr_disks;
}

struct blk_disk *blk_disk_at(int n)
{
	return n >= 0 && n < nr_disks ? disks[n] : NULL;
}

const char *blk_strerror(int err)
{
	switch (err) {
	case BLK_EIO:		return "I/O error";
	case BLK_EUNSUPP:	return "the disk does not support that";
	case BLK_EROFS:		return "the disk is read-only";
	case BLK_ERANGE:	return "past the end of the disk";
	case BLK_EINVAL:	return "not whole sectors, or too many pieces";
	case BLK_EBUSY:		return "the disk's queue is full";
	default:		return "unknown error";
	}
}
/*:*/
/*D:580 The disk's self-tests.
 * With `selftest`, the Guest tests its disks too, each test a promise a
 * conforming disk keeps, whoever provides it: the same tests run against our
 * Launcher and against QEMU (`tests/block/test-block.sh`). Without a disk
 * they are skipped, and say why (*G:505*).
 *
 * The first two are about the data: the configuration makes sense (a
 * capacity, a block size that is a power of two and at least a sector), and
 * sector 0 read twice comes back the same, into buffers filled beforehand
 * with different patterns, so that a read that wrote nothing cannot pass. :*/
static int blk_test_config(void)
{
	int ok = 1;

	if (!nr_disks)
		return selftest_skip("no disk");
	for (int i = 0; i < nr_disks; i++) {
		struct blk_disk *d = disks[i];

		ok &= d->capacity > 0 && d->blk_size >= VIRTIO_BLK_SECTOR &&
		      !(d->blk_size & (d->blk_size - 1)) && d->seg_max >= 1;
	}
	return ok;
}
/*:*/
/*D:580, continued :*/
static int blk_test_read_twice(void)
{
	u8 *a = page_alloc(), *b = page_alloc();
	int ok;

	if (!nr_disks)
		return selftest_skip("no disk");
	memset(a, 0x5a, VIRTIO_BLK_SECTOR);
	memset(b, 0xa5, VIRTIO_BLK_SECTOR);
	ok = blk_read(disks[0], 0, a, VIRTIO_BLK_SECTOR) == 0 &&
	     blk_read(disks[0], 0, b, VIRTIO_BLK_SECTOR) == 0 &&
	     !memcmp(a, b, VIRTIO_BLK_SECTOR);
	page_free(a);
	page_free(b);
	return ok;
}
/*:*/
/*D:580, continued :*/
static int blk_test_device_rules(void)
{
	struct blk_disk *d = blk_disk_at(0);
	char id[VIRTIO_BLK_ID_BYTES + 1] = { 0 };
	struct vq_buf b = { id, VIRTIO_BLK_ID_BYTES };
	u8 *sector;
	struct vq_buf s;
	int ok;

	if (!d)
		return selftest_skip("no disk");
	sector = page_alloc(), s = (struct vq_buf){ sector, VIRTIO_BLK_SECTOR };
	ok = blk_submit(d, VIRTIO_BLK_T_GET_ID, 0, &b, 1) == 0 && !strcmp(id, d->id);
	ok &= blk_read(d, d->capacity, sector, VIRTIO_BLK_SECTOR) == BLK_ERANGE;
	ok &= blk_submit(d, VIRTIO_BLK_T_IN, d->capacity, &s, 1) == BLK_EIO;
	ok &= blk_submit(d, 99, 0, NULL, 0) == BLK_EUNSUPP;
	page_free(sector);
	return ok;
}
/*:*/
/*D:580, continued :*/
static int blk_test_read_only(void)
{
	struct blk_disk *d = NULL;
	u8 *sector;
	struct vq_buf s;
	int ok;

	for (int i = nr_disks - 1; i >= 0; i--)
		if (disks[i]->read_only)
			d = disks[i];
	if (!d)
		return selftest_skip("no read-only disk");
	sector = page_alloc(), s = (struct vq_buf){ sector, VIRTIO_BLK_SECTOR };
	ok = blk_read(d, 0, sector, VIRTIO_BLK_SECTOR) == 0 &&
	     blk_write(d, 0, sector, VIRTIO_BLK_SECTOR) == BLK_EROFS &&
	     blk_submit(d, VIRTIO_BLK_T_OUT, 0, &s, 1) == BLK_EIO;
	page_free(sector);
	return ok;
}
/*:*/
/*D:580, continued :*/
#define BLK_TEST_DEPTH 16

static int blk_test_collect(struct blk_disk *d, struct blk_req *req)
{
	unsigned seen = 0;
	struct blk_req *r;

	while ((r = blk_wait(d))) {
		unsigned i = r - req;

		if (i >= BLK_TEST_DEPTH || (seen & (1u << i)) || blk_status(r))
			return 0;
		seen |= 1u << i;
	}
	return seen == (1u << BLK_TEST_DEPTH) - 1;
}

static u8 *blk_test_buf(u8 *const pages[2], unsigned i)
{
	return pages[i / 8] + i % 8 * VIRTIO_BLK_SECTOR;
}

static int blk_test_queue(void)
{
	static struct blk_req req[BLK_TEST_DEPTH];
	struct blk_disk *d = blk_disk_at(0);
	u8 *pages[2], *one;
	int ok;

	if (!d || d->capacity < BLK_TEST_DEPTH)
		return selftest_skip("no disk of 16 sectors");
	pages[0] = page_alloc(), pages[1] = page_alloc(), one = page_alloc();
	memset(pages[0], 0xc3, PAGE_SIZE);
	memset(pages[1], 0xc3, PAGE_SIZE);
	ok = 1;
	for (unsigned i = 0; ok && i < BLK_TEST_DEPTH; i++) {
		struct vq_buf b = { blk_test_buf(pages, i), VIRTIO_BLK_SECTOR };

		ok = blk_start(d, &req[i], VIRTIO_BLK_T_IN, i, &b, 1) == 0;
	}
	blk_kick(d);
	ok = blk_test_collect(d, req) && ok;
	for (unsigned i = 0; ok && i < BLK_TEST_DEPTH; i++)
		ok = blk_read(d, i, one, VIRTIO_BLK_SECTOR) == 0 &&
		     !memcmp(one, blk_test_buf(pages, i), VIRTIO_BLK_SECTOR);
	page_free(pages[0]), page_free(pages[1]), page_free(one);
	return ok;
}
/*:*/
/*D:580, continued :*/
GUEST_TEST(blk_test_config, "disk: the configuration is sane");
GUEST_TEST(blk_test_read_twice, "disk: sector 0 reads the same twice");
GUEST_TEST(blk_test_device_rules, "disk: the device keeps the rules (id, end, unknown type)");
GUEST_TEST(blk_test_read_only, "disk: a read-only disk refuses a write");
GUEST_TEST(blk_test_queue, "disk: sixteen reads in flight come back once each, right");
/*:*/
/*:*/
