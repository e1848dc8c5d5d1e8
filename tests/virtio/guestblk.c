/*
 * The Guest disk driver's requests (drivers/virtio_blk.c, D:520 to D:530):
 * the driver's own checks, the layout of a request, its status, and many
 * requests in flight (blk_start, blk_kick, blk_wait, blk_poll), against a
 * model disk, built on the host by test-guest-blk.sh.  The queue and its
 * model device are guestvq.c's; the disk here serves every request offered
 * when the Guest halts, the newest first, since a device owes no order.
 *
 * Prints "ok NAME" / "FAIL NAME: why" lines; exit status 0.
 */
#define GUESTVQ_MODEL_ONLY
#include "guestvq.c"
#include "virtio_blk.c"

void *memcpy(void *dst, const void *src, u64 len);

/* The rest of virtio_blk.c (its probe and self-tests) needs these to link. */
u32 virtio_config_read(struct virtio_device *d, u32 offset, int width)
{
	(void)d, (void)offset, (void)width;
	return 0;
}
u64 virtio_config_read64(struct virtio_device *d, u32 offset) { (void)d, (void)offset; return 0; }
void virtio_driver_ok(struct virtio_device *d) { (void)d; }
int virtio_negotiate(struct virtio_device *d, u64 wanted) { (void)d, (void)wanted; return -1; }
int selftest_skip(const char *why) { (void)why; return SELFTEST_SKIP; }

/* ------------------------------------------------------------ the model disk */
#define SECTORS 64
static u8 image[SECTORS * VIRTIO_BLK_SECTOR];
static struct blk_disk disk;
static int served, flushes, bad_layout, io_error_sector = -1;

/* One request: a readable header, data (readable for a write, writable for
 * a read), a writable status byte; the length used counts what we wrote. */
static void serve(struct virtqueue *vq, u16 head)
{
	struct vring_desc c[BLK_MAX_SEGS + 3];
	int n = dev_chain(vq, head, c, BLK_MAX_SEGS + 3);
	struct virtio_blk_outhdr h;
	u64 off;
	u32 wrote = 0;
	u8 st = VIRTIO_BLK_S_OK;

	if (n < 2 || c[0].len != sizeof(h) || (c[0].flags & VRING_DESC_F_WRITE) ||
	    c[n - 1].len != 1 || !(c[n - 1].flags & VRING_DESC_F_WRITE)) {
		bad_layout++;
		return;
	}
	memcpy(&h, (void *)c[0].addr, sizeof(h));
	off = h.sector * VIRTIO_BLK_SECTOR;
	for (int i = 1; i < n - 1; i++) {
		int in = !!(c[i].flags & VRING_DESC_F_WRITE);

		if (in != (h.type == VIRTIO_BLK_T_IN) || off + c[i].len > sizeof(image)) {
			st = VIRTIO_BLK_S_IOERR;
			break;
		}
		if (in)
			memcpy((void *)c[i].addr, image + off, c[i].len), wrote += c[i].len;
		else
			memcpy(image + off, (void *)c[i].addr, c[i].len);
		off += c[i].len;
	}
	if (h.type == VIRTIO_BLK_T_FLUSH)
		flushes++;
	else if (h.type != VIRTIO_BLK_T_IN && h.type != VIRTIO_BLK_T_OUT)
		st = VIRTIO_BLK_S_UNSUPP;
	if ((int)h.sector == io_error_sector)
		st = VIRTIO_BLK_S_IOERR;
	*(u8 *)c[n - 1].addr = st;
	dev_use(vq, head, wrote + 1);
	served++;
}

static void serve_all(void)
{
	int heads[256], n = 0, h;

	while ((h = dev_next(disk.vq)) >= 0)
		heads[n++] = h;
	while (n)
		serve(disk.vq, heads[--n]);
}

static void fresh_disk_of(u64 features, unsigned num)
{
	disk = (struct blk_disk){ &dev, fresh(features, num, num, NULL), 0, SECTORS, 512, 8, 0, 1, "" };
	device_turn = serve_all;
	served = flushes = bad_layout = 0, io_error_sector = -1;
	for (unsigned i = 0; i < sizeof(image); i++)
		image[i] = i * 7 + i / VIRTIO_BLK_SECTOR;
}

static void fresh_disk(u64 features)
{
	fresh_disk_of(features, 64);
}

/* ------------------------------------------------------------ the tests */
static u8 data[8][2 * VIRTIO_BLK_SECTOR];

static int start(struct blk_req *r, u32 type, u64 sector, u32 len, unsigned n)
{
	struct vq_buf b[BLK_MAX_SEGS + 1];

	for (unsigned i = 0; i < n; i++)
		b[i] = (struct vq_buf){ data[i % 8], len };
	return blk_start(&disk, r, type, sector, b, n);
}

/* D:525: the driver refuses what the disk cannot take, before it leaves. */
static void test_checks(void)
{
	struct blk_req r[12];
	int good;

	fresh_disk(0);
	disk.seg_max = 4;
	good = start(&r[0], VIRTIO_BLK_T_IN, 0, 512, 5) == BLK_EINVAL &&
	       start(&r[1], VIRTIO_BLK_T_IN, 0, 512, 4) == 0;
	disk.seg_max = 1000;
	good &= start(&r[2], VIRTIO_BLK_T_IN, 0, 0, BLK_MAX_SEGS + 1) == BLK_EINVAL;
	check("guest-blk-too-many-buffers", good,
	      "more buffers than the device's seg_max, or than the driver's 64, were queued");
	check("guest-blk-whole-sectors",
	      start(&r[3], VIRTIO_BLK_T_OUT, 0, 100, 1) == BLK_EINVAL &&
	      start(&r[4], VIRTIO_BLK_T_GET_ID, 0, VIRTIO_BLK_ID_BYTES, 1) == 0 &&
	      start(&r[5], VIRTIO_BLK_T_FLUSH, 0, 0, 0) == 0,
	      "a read or write of part of a sector was queued, or an identity request refused");
	check("guest-blk-range",
	      start(&r[6], VIRTIO_BLK_T_IN, SECTORS - 1, 512, 1) == 0 &&
	      start(&r[7], VIRTIO_BLK_T_IN, SECTORS - 2, 1024, 1) == 0 &&
	      start(&r[8], VIRTIO_BLK_T_IN, SECTORS, 0, 1) == 0 &&
	      start(&r[9], VIRTIO_BLK_T_IN, SECTORS - 1, 1024, 1) == BLK_ERANGE &&
	      start(&r[9], VIRTIO_BLK_T_IN, SECTORS + 1, 0, 1) == BLK_ERANGE &&
	      start(&r[9], VIRTIO_BLK_T_OUT, ~0ULL / 512, 1024, 1) == BLK_ERANGE &&
	      start(&r[9], VIRTIO_BLK_T_OUT, ~0ULL, 512, 1) == BLK_ERANGE,
	      "the disk's last sectors refused, or a request past its end queued");
	disk.read_only = 1;
	check("guest-blk-read-only",
	      start(&r[9], VIRTIO_BLK_T_OUT, 0, 512, 1) == BLK_EROFS &&
	      start(&r[10], VIRTIO_BLK_T_IN, 0, 512, 1) == 0,
	      "a read-only disk took a write, or refused a read");
	good = served;
	serve_all();
	check("guest-blk-checked-ones-queued", served - good == 7 && !bad_layout,
	      "the requests that passed the checks are not the ones the disk saw");
}

/* D:520: header, data, status, in that order and direction; the status
 * starts as no status at all. */
static void test_layout(void)
{
	struct blk_req w, r;
	int head;
	struct vring_desc c[8];

	fresh_disk(0);
	for (int i = 0; i < 1024; i++)
		data[0][i] = data[1][i] = 0x5a;
	start(&w, VIRTIO_BLK_T_OUT, 5, 512, 2);
	head = dev_next(disk.vq);
	check("guest-blk-write-layout",
	      head >= 0 && dev_chain(disk.vq, head, c, 8) == 4 && c[0].len == sizeof(w.hdr) &&
	      !(c[0].flags & VRING_DESC_F_WRITE) && !(c[1].flags & VRING_DESC_F_WRITE) &&
	      !(c[2].flags & VRING_DESC_F_WRITE) && (c[3].flags & VRING_DESC_F_WRITE) &&
	      c[3].len == 1 && w.hdr.type == VIRTIO_BLK_T_OUT && w.hdr.sector == 5 &&
	      w.status == 0xff,
	      "a write of two buffers is not header, two readable buffers, status byte");
	dev_avail--;
	{
		struct vq_buf b = { data[4], 512 };

		blk_start(&disk, &r, VIRTIO_BLK_T_IN, 9, &b, 1);
	}
	serve_all();
	check("guest-blk-read-write",
	      blk_poll(&disk) == &r && r.len == 513 && !blk_status(&r) && blk_poll(&disk) == &w &&
	      w.len == 1 && !blk_status(&w) && !blk_poll(&disk) && image[5 * 512] == 0x5a &&
	      image[7 * 512 - 1] == 0x5a && image[7 * 512] != 0x5a && !bad_layout &&
	      !__builtin_memcmp(data[4], image + 9 * 512, 512),
	      "a write did not reach the disk, or a read did not come back, with its length");
}

/* D:520: the answer is read from the request alone. */
static void test_status(void)
{
	struct blk_req r = { { 0, 0, 0 }, VIRTIO_BLK_S_OK, 0 };
	int good = blk_status(&r) == BLK_EIO;

	r.len = 1;
	good &= blk_status(&r) == 0;
	r.status = VIRTIO_BLK_S_UNSUPP;
	good &= blk_status(&r) == BLK_EUNSUPP;
	r.status = VIRTIO_BLK_S_IOERR;
	good &= blk_status(&r) == BLK_EIO;
	r.status = 0xff;
	good &= blk_status(&r) == BLK_EIO;
	check("guest-blk-status", good, "a status byte, or its absence, read wrong");
}

/* D:528: requests started are not seen until the kick, which is one for
 * the batch; they come back in any order, each once, and then none. */
static void test_batch(void)
{
	struct blk_req r[6], *back[8];
	int n = 0, good, seen = 0;
	u64 kicks, irqs, k0;

	fresh_disk(F(RING_EVENT_IDX));
	vq_stats(disk.vq, &k0, &irqs);
	for (int i = 0; i < 6; i++)
		start(&r[i], VIRTIO_BLK_T_IN, 10 + i, 512, 1);
	vq_stats(disk.vq, &kicks, &irqs);
	good = kicks == k0;
	blk_kick(&disk);
	vq_stats(disk.vq, &kicks, &irqs);
	good &= kicks == k0 + 1;
	halts = 0;
	while (n < 8 && (back[n] = blk_wait(&disk)))
		n++;
	for (int i = 0; i < n; i++) {
		int k = back[i] - r;

		good &= k >= 0 && k < 6 && !(seen & 1 << k) && back[i]->len == 513 &&
			!blk_status(back[i]);
		seen |= 1 << k;
	}
	check("guest-blk-batch",
	      good && n == 6 && seen == 0x3f && back[0] == &r[5] && halts == 1,
	      "six reads kicked once did not come back once each, newest first");
	check("guest-blk-none-in-flight", !blk_wait(&disk) && !blk_poll(&disk) && halts == 1,
	      "with nothing in flight a wait slept, or something came back");
	start(&r[0], VIRTIO_BLK_T_IN, 1, 512, 1);
	start(&r[1], VIRTIO_BLK_T_IN, 2, 512, 1);
	blk_kick(&disk);
	good = !blk_poll(&disk);
	serve_all();
	good &= blk_poll(&disk) == &r[1] && r[1].len == 513 && blk_poll(&disk) == &r[0] &&
		!blk_poll(&disk);
	check("guest-blk-poll", good, "blk_poll waited, or missed what had come back");
}

/* D:530: one request at a time, through the checks, and what the device said. */
static void test_io(void)
{
	u8 buf[1024], back[1024];
	int good;

	fresh_disk(F(RING_INDIRECT_DESC));
	for (int i = 0; i < 1024; i++)
		buf[i] = i ^ 0x33;
	good = blk_write(&disk, 20, buf, 1024) == 0 && blk_read(&disk, 20, back, 1024) == 0 &&
	       !__builtin_memcmp(buf, back, 1024);
	check("guest-blk-io", good, "what was written did not read back");
	io_error_sector = 30;
	check("guest-blk-io-errors",
	      blk_read(&disk, 30, back, 512) == BLK_EIO && blk_read(&disk, 31, back, 512) == 0 &&
	      blk_write(&disk, 64, buf, 512) == BLK_ERANGE,
	      "the device's IOERR or the driver's range check not reported");
	{
		static struct blk_req r[100];
		int n = 0;

		while (n < 100 && start(&r[n], VIRTIO_BLK_T_IN, n % SECTORS, 512, 1) == 0)
			n++;
		halts = 0;
		check("guest-blk-io-busy",
		      n == 64 && blk_read(&disk, 0, back, 512) == BLK_EBUSY && !halts,
		      "a read on a full queue did not say busy at once");
		serve_all();
		while (blk_poll(&disk))
			;
	}
	disk.can_flush = 0;
	good = blk_flush(&disk) == 0 && flushes == 0;
	disk.can_flush = 1;
	check("guest-blk-flush", good && blk_flush(&disk) == 0 && flushes == 1,
	      "a flush not sent to a disk with a cache, or sent to one without");
}

/* D:520: the most buffers a request may have, and its status byte. */
static void test_most_buffers(void)
{
	static u8 whole[SECTORS][VIRTIO_BLK_SECTOR];
	struct vq_buf b[BLK_MAX_SEGS];
	struct blk_req r;
	int good;

	fresh_disk_of(0, 256);
	disk.seg_max = BLK_MAX_SEGS;
	for (int i = 0; i < BLK_MAX_SEGS; i++)
		b[i] = (struct vq_buf){ whole[i], VIRTIO_BLK_SECTOR };
	good = blk_io(&disk, VIRTIO_BLK_T_IN, 0, b, BLK_MAX_SEGS) == 0 &&
	       !__builtin_memcmp(whole, image, sizeof(whole));
	good &= blk_start(&disk, &r, VIRTIO_BLK_T_OUT, 0, b, BLK_MAX_SEGS) == 0;
	serve_all();
	check("guest-blk-most-buffers",
	      good && blk_poll(&disk) == &r && r.len == 1 && !blk_status(&r) && !bad_layout,
	      "a read or a write of 64 buffers failed");
}

int main(void)
{
	test_checks();
	test_most_buffers();
	test_layout();
	test_status();
	test_batch();
	test_io();
	return harness_done("guest-blk");
}
