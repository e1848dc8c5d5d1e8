/* Tangled from chapters/22-drivers-block.nw by `make tangle`: edit the chapter, not this file. */
/*D:690, continued :*/
/* bench=blk: the disk's throughput and latency, measured by the Guest. */
#include "drivers.h"

#define BENCH_PAGES	32
#define BENCH_BYTES	(32ULL << 20)
#define BENCH_RANDOM	2000
#define BENCH_DEPTH_MAX	32

int blk_bench_wanted;
static struct vq_buf bench_buf[BENCH_PAGES];
static struct blk_req bench_req[BENCH_DEPTH_MAX];

static u64 bench_sequential(struct blk_disk *d, u32 type, u64 bytes, unsigned pages)
{
	u64 step = pages * PAGE_SIZE / VIRTIO_BLK_SECTOR, t0 = clock_uptime_ns();

	for (u64 s = 0; s < bytes / VIRTIO_BLK_SECTOR; s += step)
		if (blk_io(d, type, s, bench_buf, pages))
			return 0;
	if (type == VIRTIO_BLK_T_OUT && blk_flush(d))
		return 0;
	return clock_uptime_ns() - t0;
}
/*D:698 Random requests at a queue depth.
 * The random places come from a xorshift generator with a fixed seed, so both
 * machines read the same places in the same order, at every depth. :*/
#define BENCH_SEED 88172645463325252ULL

static u64 bench_place(u64 *x, u64 slots)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x % slots * (PAGE_SIZE / VIRTIO_BLK_SECTOR);
}
/*:*/
/*D:698, continued :*/
static int bench_start(struct blk_disk *d, unsigned i, u32 type, u64 *x, u64 slots)
{
	return blk_start(d, &bench_req[i], type, bench_place(x, slots), &bench_buf[i], 1);
}
/*:*/
/*D:698, continued :*/
static u64 bench_random(struct blk_disk *d, u32 type, u64 bytes, unsigned depth)
{
	u64 x = BENCH_SEED, slots = bytes / PAGE_SIZE, t0 = clock_uptime_ns();
	unsigned started = 0;
	struct blk_req *r;

	for (; started < depth && started < BENCH_RANDOM; started++)
		if (bench_start(d, started, type, &x, slots))
			return 0;
	blk_kick(d);
	while ((r = blk_wait(d))) {
		do {
			if (blk_status(r))
				return 0;
			if (started++ < BENCH_RANDOM && bench_start(d, r - bench_req, type, &x, slots))
				return 0;
		} while ((r = blk_poll(d)));
		blk_kick(d);
	}
	if (type == VIRTIO_BLK_T_OUT && blk_flush(d))
		return 0;
	return clock_uptime_ns() - t0;
}
/*:*/
/*D:698, continued :*/
static int bench_depths(struct blk_disk *d, u64 bytes)
{
	static const unsigned depths[] = { 1, 8, 32 };

	for (unsigned i = 0; i < sizeof(depths) / sizeof(depths[0]); i++) {
		u64 r = bench_random(d, VIRTIO_BLK_T_IN, bytes, depths[i]);
		u64 w = bench_random(d, VIRTIO_BLK_T_OUT, bytes, depths[i]);

		if (!r || !w)
			return 1;
		printk("measure: blk rand-read-qd%u %d reads %llu ns\n", depths[i], BENCH_RANDOM, r);
		printk("measure: blk rand-write-qd%u %d writes %llu ns\n", depths[i], BENCH_RANDOM, w);
	}
	return 0;
}
/*:*/
/*D:698, continued :*/
int blk_bench(void)
{
	struct blk_disk *d = blk_disk_at(0);
	unsigned pages = BENCH_PAGES;
	u64 bytes, w, r;

	if (!d || d->read_only) {
		printk("bench: bench=blk needs a writable disk (--block=FILE)\n");
		return 1;
	}
	if (d->seg_max < pages)
		pages = d->seg_max;
	bytes = d->capacity * VIRTIO_BLK_SECTOR;
	bytes = (bytes < BENCH_BYTES ? bytes : BENCH_BYTES) / (pages * PAGE_SIZE) * pages * PAGE_SIZE;
	for (unsigned i = 0; i < BENCH_PAGES; i++) {
		bench_buf[i] = (struct vq_buf){ page_alloc(), PAGE_SIZE };
		memset((void *)bench_buf[i].addr, 0x40 + i, PAGE_SIZE);
	}
	w = bench_sequential(d, VIRTIO_BLK_T_OUT, bytes, pages);
	r = bench_sequential(d, VIRTIO_BLK_T_IN, bytes, pages);
	if (!w || !r || !bytes) {
		printk("bench: a disk request failed\n");
		return 1;
	}
	printk("measure: blk seq-write %llu bytes %llu ns (%u KiB requests)\n", bytes, w, pages * 4);
	printk("measure: blk seq-read %llu bytes %llu ns\n", bytes, r);
	if (bench_depths(d, bytes)) {
		printk("bench: a disk request failed\n");
		return 1;
	}
	return 0;
}
/*:*/
/*:*/
