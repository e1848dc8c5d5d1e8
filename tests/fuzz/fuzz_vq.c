/* Fuzz target "vq": the Launcher's split virtqueue walker (launcher/virtqueue.c).
 *
 * Input: byte 0 picks the queue (bits 0-3: log2 of its size, clamped to 8;
 * bit 4: EVENT_IDX; bit 5: INDIRECT_DESC); the rest is Guest RAM from
 * 0x1000 on.  The descriptor table is at 0x1000, the driver (available) ring
 * right after it, the device (used) ring at 0x8000; the buffers and indirect
 * tables are wherever the descriptors say.  The walker drains the queue as a
 * device would, reading every readable buffer and filling every writable one.
 * A clean bad_driver() is a good outcome; anything ASan or UBSan reports is a
 * finding (UBSan: a misaligned descriptor read, for one). */
#include <string.h>
#include "virtio.h"
#include "fake_launcher.h"

#define DESC_AT 0x1000ULL
#define USED_AT 0x8000ULL

static struct devq vq;
static struct devq_chain chain;
static u8 scratch[1 << 16];

static u32 consume(void *ctx, struct devq_chain *c)
{
	u64 n = c->out_len < sizeof(scratch) ? c->out_len : sizeof(scratch);
	u64 w = c->in_len < sizeof(scratch) ? c->in_len : sizeof(scratch);

	(void)ctx;
	iov_copy_from(c->iov, c->nr_out, 0, scratch, n);
	iov_copy_to(c->iov + c->nr_out, c->nr_in, 0, scratch, w);
	return w;
}

static void run(void *arg)
{
	(void)arg;
	devq_map(&vq, "fuzz");
	vq.ready = true;
	devq_drain(&vq, &chain, "fuzz", consume, NULL);
	devq_needs_interrupt(&vq);
	devq_enable_notify(&vq);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	u16 num;

	if (!vm.ram)
		fuzz_ram_init(FUZZ_RAM);
	if (size < 1)
		return 0;
	num = 1u << ((data[0] & 15) > 8 ? 8 : (data[0] & 15));
	memset(vm.ram, 0, FUZZ_RAM);
	size--, data++;
	if (size > FUZZ_RAM - DESC_AT)
		size = FUZZ_RAM - DESC_AT;
	memcpy(vm.ram + DESC_AT, data, size);
	vq = (struct devq){ .num = num, .desc_addr = DESC_AT,
				 .avail_addr = DESC_AT + 16ULL * num, .used_addr = USED_AT,
				 .event_idx = data[-1] & 16, .indirect = data[-1] & 32 };
	fuzz_try(run, NULL);
	return 0;
}
