/* Tangled from chapters/34-launcher-devices.nw by `make tangle`: edit the chapter, not this file. */
/*L:934 Randomness.
 * The last device of the chapter is the smallest, which is why it makes the
 * best model of the shape: an entropy source. The Guest gives us empty
 * buffers; we fill them from the host's random source with `getrandom`, and
 * give them back. No configuration, no features, one queue. We fill at most
 * 64 KiB per buffer, which the specification allows (the driver reads the
 * length we return) and which keeps one greedy request from holding the
 * worker for long. :*/
/* The entropy device: Guest buffers filled from the host's random source. */
#include "virtio.h"
#include <err.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

#define RNG_MAX_BYTES 65536

struct rng {
	struct virtio_dev dev;		/* first: a virtio_dev * is an rng * */
};
static u32 rng_fill(void *ctx, struct devq_chain *c)
{
	u64 done = 0;

	(void)ctx;
	for (unsigned i = c->nr_out; i < c->nr_out + c->nr_in && done < RNG_MAX_BYTES; i++) {
		u8 *p = c->iov[i].iov_base;
		u64 len = c->iov[i].iov_len, got = 0;

		if (len > RNG_MAX_BYTES - done)
			len = RNG_MAX_BYTES - done;
		while (got < len) {
			ssize_t n = getrandom(p + got, len - got, 0);

			if (n < 0 && errno != EINTR)
				err(1, "getrandom");
			got += n > 0 ? n : 0;
		}
		done += got;
	}
	return done;
}
static void rng_notify(struct virtio_dev *d)
{
	if (devq_drain(&d->vq[0], d->chain, d->name, rng_fill, d))
		virtio_queue_done(d, &d->vq[0]);
}
/*L:935 One entropy source.
 * A second `--rng` would give the Guest a second device that its driver
 * refuses (it drives one), with a line on the console that is easy to miss. A
 * repeated option is a slip of the user's, so we say so while we still can. :*/
static const struct virtio_ops rng_ops = {
	.name = "virtio-rng", .device_id = VIRTIO_ID_RNG, .nr_queues = 1,
	.notify = rng_notify,
};

void rng_add(const char *value)
{
	static bool added;
	struct rng *r = calloc(1, sizeof(*r));

	(void)value;
	if (!r)
		err(1, "--rng");
	if (added)
		errx(LG_EXIT_USAGE, "option '--rng' given twice; the Guest drives one entropy source");
	added = true;
	virtio_register(&r->dev, &rng_ops, NULL, 0, 0);
}
/*:*/
/*:*/
