/* Tangled from chapters/22-drivers-block.nw by `make tangle`: edit the chapter, not this file. */
/*M:690, continued :*/
/* bench=blk: the disk's throughput and latency, measured by the Guest. */
#include "drivers.h"

#define BENCH_PAGES	32
#define BENCH_BYTES	(32ULL << 20)
#define BENCH_RANDOM	2000

int blk_bench_wanted;
static struct vq_buf bench_buf[BENCH_PAGES];

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
static u64 bench_random(struct blk_disk *d, u64 bytes)
{
	u64 x = 88172645463325252ULL, slots = bytes / PAGE_SIZE, t0 = clock_uptime_ns();

	for (int i = 0; i < BENCH_RANDOM; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (blk_io(d, VIRTIO_BLK_T_IN, x % slots * (PAGE_SIZE / VIRTIO_BLK_SECTOR),
			   bench_buf, 1))
			return 0;
	}
	return clock_uptime_ns() - t0;
}
int blk_bench(void)
{
	struct blk_disk *d = blk_disk_at(0);
	unsigned pages = BENCH_PAGES;
	u64 bytes, w, r, q;

	if (!d || d->read_only) {
		printk("bench: bench=blk needs a writable disk (--block=FILE)\n");
		return 1;
	}
	if (d->seg_max < pages)
		pages = d->seg_max;
	bytes = d->capacity * VIRTIO_BLK_SECTOR;
	bytes = (bytes < BENCH_BYTES ? bytes : BENCH_BYTES) / (pages * PAGE_SIZE) * pages * PAGE_SIZE;
	for (unsigned i = 0; i < pages; i++) {
		bench_buf[i] = (struct vq_buf){ page_alloc(), PAGE_SIZE };
		memset((void *)bench_buf[i].addr, 0x40 + i, PAGE_SIZE);
	}
	w = bench_sequential(d, VIRTIO_BLK_T_OUT, bytes, pages);
	r = bench_sequential(d, VIRTIO_BLK_T_IN, bytes, pages);
	q = bytes ? bench_random(d, bytes) : 0;
	if (!w || !r || !q) {
		printk("bench: a disk request failed\n");
		return 1;
	}
	printk("measure: blk seq-write %llu bytes %llu ns (%u KiB requests)\n", bytes, w, pages * 4);
	printk("measure: blk seq-read %llu bytes %llu ns\n", bytes, r);
	printk("measure: blk rand-read %d reads %llu ns\n", BENCH_RANDOM, q);
	return 0;
}
/*:*/
