/* Tangled from chapters/21-drivers-console.nw by `make tangle`: edit the chapter, not this file. */
/*D:350 The entropy device.
 * The random number generator is the smallest virtio device there is: one
 * queue, into which the driver puts empty buffers, and which the device gives
 * back filled with random bytes, as many as it had, which may be fewer than
 * asked. Our Launcher reads them from the host's `getrandom`; QEMU's
 * `virtio-rng-device` from its own backend. `rng_read` asks for one buffer's
 * worth and waits for it, which is all a shell command needs; it returns the
 * number of bytes received, or -1 without a device. :*/
/* The virtio entropy device: one queue of buffers to fill. */
#include "drivers.h"

static struct virtqueue *rng_vq;

int rng_read(void *buf, u32 len)
{
	struct vq_buf b = { buf, len };
	u64 flags;
	int r;

	if (!rng_vq || !len)
		return -1;
	flags = irq_save();
	r = vq_add(rng_vq, NULL, 0, &b, 1, buf);
	if (r == 0)
		vq_kick(rng_vq);
	irq_restore(flags);
	return r < 0 ? -1 : (int)vq_wait_for(rng_vq, buf);
}

static int rng_probe(struct virtio_device *d)
{
	if (rng_vq || virtio_negotiate(d, 0) < 0)
		return -1;
	rng_vq = vq_setup(d, 0, 8, NULL);
	if (!rng_vq)
		return -1;
	virtio_driver_ok(d);
	return 0;
}

const struct virtio_driver virtio_rng_driver = {
	VIRTIO_ID_RNG, "virtio-rng", rng_probe,
};
/*D:355 The rng command.
 * `rng N` prints N random bytes in hexadecimal, 16 by default, at most 256,
 * asking the device again until it has given them all, 32 bytes to a line. :*/
int cmd_rng(int argc, char **argv)
{
	u8 buf[256];
	u64 want = 16, got = 0;
	int ok = 1, n;

	if (argc > 1)
		want = parse_u64(argv[1], &ok);
	if (!ok || want == 0 || want > sizeof(buf)) {
		console_printf("usage: rng [N], 1 <= N <= %d\n", (int)sizeof(buf));
		return 1;
	}
	while (got < want && (n = rng_read(buf + got, want - got)) > 0)
		got += n;
	if (got < want) {
		console_printf("rng: no random number generator\n");
		return 1;
	}
	for (u64 i = 0; i < want; i += 32) {
		char line[2 * 32 + 1];
		int k = 0;

		for (u64 j = i; j < want && j < i + 32; j++)
			k += snprintf(line + k, sizeof(line) - k, "%02x", buf[j]);
		console_printf("%s\n", line);
	}
	return 0;
}
/*:*/
/*:*/
/*D:460 The drivers' self-tests.
 * The self-test table (*G:500*) runs after the devices are up, so the drivers
 * can test themselves against whatever devices the machine has, ours or QEMU's.
 * A test whose device is missing is skipped with its reason (*G:505*), so
 * that a run with no devices cannot pass unnoticed. Three
 * promises are checked:
 *
 * - the bus brought every device it kept to `DRIVER_OK`, with no `FAILED`,
 *   and with `VERSION_1` negotiated;
 * - the entropy device gives back bytes that are not all the same (64 equal
 *   bytes from a working source is a chance of one in 2^504);
 * - a request of two buffers, which goes through an indirect table when the
 *   device took `RING_INDIRECT_DESC`, comes back with both filled, and leaves
 *   the queue's free list as it found it. :*/
int rng_test_bytes(void)
{
	u8 buf[64];
	u32 got = 0;
	int n;

	if (!rng_vq)
		return selftest_skip("no entropy device");
	memset(buf, 0, sizeof(buf));
	while (got < sizeof(buf) && (n = rng_read(buf + got, sizeof(buf) - got)) > 0)
		got += n;
	for (u32 i = 1; i < got; i++)
		if (buf[i] != buf[0])
			return got == sizeof(buf);
	return 0;
}
/*:*/
/*D:465 Two buffers at once.
 * The second test asks for 32 bytes in two buffers of 16, with all-zero canaries
 * beyond each, and checks that the device wrote exactly 32 bytes, that neither
 * buffer stayed all zero, and that the canaries are intact. :*/
static int all_zero(const u8 *p, u32 n)
{
	while (n--)
		if (*p++)
			return 0;
	return 1;
}

int rng_test_chain(void)
{
	u8 a[32], b[32];
	struct vq_buf in[2] = { { a, 16 }, { b, 16 } };
	unsigned before;
	u64 flags;
	u32 len;
	int r;

	if (!rng_vq)
		return selftest_skip("no entropy device");
	memset(a, 0, sizeof(a)), memset(b, 0, sizeof(b));
	flags = irq_save();
	before = vq_free(rng_vq);
	r = vq_add(rng_vq, NULL, 0, in, 2, a);
	vq_kick(rng_vq);
	irq_restore(flags);
	if (r < 0)
		return 0;
	len = vq_wait_for(rng_vq, a);
	return len == 32 && !all_zero(a, 16) && !all_zero(b, 16) && all_zero(a + 16, 16) &&
	       all_zero(b + 16, 16) && vq_free(rng_vq) == before;
}
/*:*/
/*D:470 What a request costs.
 * Not only a test: twenty one-byte requests in a row, each kicked and waited
 * for, time the whole round trip of a virtio request, the kick's exit to the
 * device, the device's work on another thread, the interrupt through the Host
 * and its acknowledgement. The test checks that every request came back with
 * its byte; the time goes to the log. Measured on the book's machine (two CPUs,
 * a nested kvm_pvm), a round trip costs 15 to
 * 80 microseconds with our Launcher and about the same with QEMU: the kick's
 * exit (25) and the wait for the device's thread to be scheduled. It was 2.4
 * milliseconds before `vq_wait_for` learnt to poll before it halts (*D:235*):
 * the interrupt itself was never the cost, waking a halted Guest is. :*/
int rng_test_round_trips(void)
{
	u8 byte;
	u64 start;
	int n = 20;

	if (!rng_vq)
		return selftest_skip("no entropy device");
	start = clock_tsc();
	for (int i = 0; i < n; i++)
		if (rng_read(&byte, 1) != 1)
			return 0;
	printk("selftest: measure: rng request round trip %llu us\n",
	       clock_tsc_to_ns((clock_tsc() - start) / n) / 1000);
	return 1;
}
/*:*/
