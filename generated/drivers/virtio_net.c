/* Tangled from chapters/23-drivers-net.nw by `make tangle`: edit the chapter, not this file. */
/*D:805 The driver's state.
 * One card is one `net_if` for the stack plus the two queues and a small
 * pool of transmit buffers. Every buffer, for either direction, is big
 * enough for the header and the largest frame, 1526 bytes, which is also
 * the least the specification lets a driver without offloads give for
 * receiving; two of them fit in a page.
 *
 * We keep the receive queue as full as the device allows, up to 64
 * buffers (the most a queue of the bus chapter holds), so that a burst of frames finds room while the Guest is busy
 * elsewhere: a frame that arrives to an empty queue waits in the Launcher's
 * socket, or in QEMU, and a long enough wait loses it. Transmit buffers are
 * fewer, since we fill them ourselves and can wait for them. :*/
/* The virtio network card: the stack's frames through two queues. */
#include "drivers.h"
#include "net.h"

#define NET_HDR		sizeof(struct virtio_net_hdr)
#define NET_BUF_SIZE	(NET_HDR + ETH_FRAME_MAX)
#define NET_RX_BUFS	64
#define NET_TX_BUFS	64
#define NET_MAX_CARDS	4
enum { NET_RXQ, NET_TXQ };

struct vnet {
	struct virtio_device *dev;
	struct virtqueue *rx, *tx;
	struct net_if nif;
	u8 *tx_free[NET_TX_BUFS];
	unsigned nr_tx_free, nr_rx_posted;
	u64 tx_dropped, tx_kicks;
};

static struct vnet *net_cards[NET_MAX_CARDS];
static int nr_net_cards;
static u32 net_ip_option;

/*D:810 Buffers.
 * The Guest's heap hands out powers of two, and a 2048-byte block for a
 * 1526-byte buffer wastes a quarter; so we take whole pages from the page
 * allocator and cut two buffers from each. Buffers are never freed: a card
 * lives as long as the Guest. :*/
static u8 *net_buffer(void)
{
	static u8 *page;
	static unsigned used;
	u8 *buf;

	if (!page || used + NET_BUF_SIZE > PAGE_SIZE) {
		page = page_alloc();
		used = 0;
		if (!page)
			return NULL;
	}
	buf = page + used;
	used += NET_BUF_SIZE;
	return buf;
}
/*:*/
/*D:815 Offering a receive buffer.
 * A receive buffer is a single descriptor the device may write, and its
 * token is the buffer itself, so that `vq_get` hands back the very address
 * the frame is in. :*/
static int net_post_rx(struct vnet *n, u8 *buf)
{
	struct vq_buf in = { buf, NET_BUF_SIZE };

	if (vq_add(n->rx, NULL, 0, &in, 1, buf) < 0)
		return -1;
	n->nr_rx_posted++;
	return 0;
}
/*:*/
/*D:820 Receiving.
 * Frames arrive with an interrupt, and the bus calls us, still in interrupt
 * context, for each interrupt that found used buffers. We run the stack on
 * each frame right there, then put the same buffer straight back into the
 * queue, and kick once for the whole batch (a kick the device did not ask
 * for, by its `EVENT_IDX` counter, costs nothing: `vq_kick` skips it).
 * Running the stack in interrupt context is what makes a ping answer itself
 * while the Guest's shell sits waiting for a key: nothing else needs to run.
 * It also means the stack's answers are *sent* from interrupt context, which
 * the transmit side must allow for (*D:830*).
 *
 * A used buffer shorter than the header is a broken device; we put it back
 * without looking at it. :*/
static void net_rx_done(struct virtqueue *vq)
{
	struct vnet *n = vq_device(vq)->priv;
	u32 len;
	u8 *buf;

	while ((buf = vq_get(vq, &len))) {
		n->nr_rx_posted--;
		if (len > NET_HDR && len <= NET_BUF_SIZE)
			net_input(&n->nif, buf + NET_HDR, len - NET_HDR);
		net_post_rx(n, buf);
	}
	vq_kick(vq);
}
/*:*/
/*D:825 Reclaiming sent buffers.
 * We ask for no interrupt when the card has sent a frame: there is nothing
 * to do then but take the buffer back, and that can wait until we next want
 * one. So every transmission first collects what the card has finished
 * with. The caller has interrupts disabled, as everything that touches the
 * transmit queue must. :*/
static void net_reclaim_tx(struct vnet *n)
{
	u8 *buf;
	u32 len;

	while ((buf = vq_get(n->tx, &len)))
		n->tx_free[n->nr_tx_free++] = buf;
}
/*:*/
/*D:830 Transmitting.
 * The stack hands us a finished frame. We copy it behind a zeroed header
 * into a free buffer, queue it and kick. The copy is the price of the
 * stack's simplicity (it builds its frames on its own stack); for 1514
 * bytes at native speed it is far cheaper than the kick.
 *
 * Two callers may want the transmit queue at once: the shell sending a ping,
 * and an interrupt arriving in the middle of that to answer someone else's
 * ping. The queue's bookkeeping cannot survive that, so the whole of
 * transmission runs with interrupts disabled; `irq_save` rather than
 * `irq_disable`, since the interrupt-context caller already has them off and
 * must find them still off when we return. With no buffer free the frame is
 * dropped and counted, as a real card's full ring drops it: callers that
 * cannot afford that (the benchmark, *D:885*) wait for room first. :*/
static void net_transmit(struct net_if *nif, const u8 *frame, u32 len)
{
	struct vnet *n = nif->priv;
	u64 flags = irq_save();
	struct vq_buf out;
	u8 *buf;

	net_reclaim_tx(n);
	if (!n->nr_tx_free) {
		n->tx_dropped++;
		irq_restore(flags);
		return;
	}
	buf = n->tx_free[--n->nr_tx_free];
	memset(buf, 0, NET_HDR);
	memcpy(buf + NET_HDR, frame, len);
	out = (struct vq_buf){ buf, NET_HDR + len };
	if (vq_add(n->tx, &out, 1, NULL, 0, buf) < 0)
		n->tx_free[n->nr_tx_free++] = buf;
	vq_kick(n->tx);
	irq_restore(flags);
}
/*:*/
/*M:900 Receiving in batches, and sleeping senders.
 * Two ideas for a reader with a profiler. The receive interrupt could be
 * asked for less often: with `EVENT_IDX` the driver may set `used_event` a
 * quarter of the queue ahead rather than at the next buffer, as Linux's
 * `virtqueue_enable_cb_delayed` does, so that one interrupt collects many
 * frames. And the sender could sleep instead of spinning when its transmit
 * queue is full, by asking for an interrupt when the card has sent half of
 * it; on a machine with fewer CPUs than busy threads that would hand the
 * receiver the time the sender now burns.
 *
 * We tried the second, with the bus's own wait (*D:235*: spin for 200
 * microseconds, then arm the queue and halt), and with deeper queues, 256
 * receive and 128 transmit buffers, beside it. On our card the sender did no
 * worse; on QEMU's card the same Guest sent a third to a half as much to the
 * host as before, run after run. A change to the Guest that slows the peer is
 * no way to win a comparison against it, so both stayed out; finding out why
 * QEMU suffers (its transmit interrupt? the halt's 2 to 4 ms wake-up, *D:235*,
 * against a device that takes longer per frame?) is the first step of this
 * idea. One surprise on the way: with 256 transmit buffers the card's state,
 * which holds the free list as an array, outgrew the heap's largest block (2
 * KiB), and the card failed to probe with no more said than "refused". */
/*D:890 Waiting for a transmit buffer.
 * The one function the benchmark needs from the driver: wait until the card
 * has a free transmit buffer, by taking back what it has sent, or until the
 * deadline passes. It spins rather than sleeps. Sleeping would need an
 * interrupt when the card finishes a frame, and we asked for none (*D:825*);
 * the spin reads only memory, the used ring, and costs no exit. Behind our
 * Launcher's tap it seldom spins at all: that card sends the queued frames
 * inside the kick itself (*L:969*), so the buffers are back before the
 * Guest's store to the notify register completes. :*/
int net_tx_wait(struct net_if *nif, u64 deadline)
{
	struct vnet *n = nif->priv;

	for (;;) {
		u64 flags = irq_save();
		unsigned room;

		net_reclaim_tx(n);
		room = n->nr_tx_free;
		irq_restore(flags);
		if (room && clock_tsc() < deadline)
			return 1;
		if (clock_tsc() >= deadline)
			return 0;
		asm volatile("pause");
	}
}
/*:*/
/*D:835 The MAC address.
 * A card that offers `VIRTIO_NET_F_MAC` tells us its address in the first six
 * bytes of its configuration; the Launcher makes one up per card (*L:970*),
 * QEMU uses `52:54:00:12:34:56` unless told otherwise. A card that does not
 * offer one leaves the choice to us, and we make one up the way the
 * Launcher does: locally administered (0x02 first), from something that
 * differs between Guests, here the cycle counter at the moment we ask. :*/
static void net_read_mac(struct vnet *n)
{
	struct virtio_device *d = n->dev;

	if (d->features & VIRTIO_BIT(VIRTIO_NET_F_MAC)) {
		for (int i = 0; i < ETH_ALEN; i++)
			n->nif.mac[i] = virtio_config_read(d, i, 1);
		return;
	}
	u64 t = guest_rdtsc();

	n->nif.mac[0] = 0x02;
	for (int i = 1; i < ETH_ALEN; i++)
		n->nif.mac[i] = (u8)(t >> (8 * i));
}
/*:*/
/*D:840 Probing.
 * The order is the specification's: negotiate features (the MAC address and
 * `EVENT_IDX`; the bus adds `VERSION_1`), set up both queues, fill the
 * receive queue, and only then say `DRIVER_OK`, so that the first frame the
 * device has for us finds buffers waiting. Queue 0 receives and queue 1
 * transmits; the transmit queue has no callback (*D:825*). A card with an
 * address announces it (*D:730*). :*/
static int net_probe(struct virtio_device *d)
{
	struct vnet *n = kmalloc(sizeof(*n));

	if (!n || nr_net_cards == NET_MAX_CARDS ||
	    virtio_negotiate(d, VIRTIO_BIT(VIRTIO_NET_F_MAC) |
			     VIRTIO_BIT(VIRTIO_F_RING_EVENT_IDX)) < 0)
		return -1;
	memset(n, 0, sizeof(*n));
	n->dev = d;
	d->priv = n;
	n->rx = vq_setup(d, NET_RXQ, NET_RX_BUFS, net_rx_done);
	n->tx = vq_setup(d, NET_TXQ, NET_TX_BUFS, NULL);
	if (!n->rx || !n->tx)
		return -1;
	for (unsigned i = 0; i < vq_size(n->tx) && i < NET_TX_BUFS; i++) {
		u8 *buf = net_buffer();

		if (buf)
			n->tx_free[n->nr_tx_free++] = buf;
	}
	for (unsigned i = 0; i < vq_size(n->rx) && i < NET_RX_BUFS; i++) {
		u8 *buf = net_buffer();

		if (!buf || net_post_rx(n, buf) < 0)
			break;
	}
	net_read_mac(n);
	n->nif.transmit = net_transmit;
	n->nif.echo_reply = net_ping_reply;
	n->nif.udp_input = net_udp_input;
	n->nif.priv = n;
	n->nif.ip = nr_net_cards == 0 ? net_ip_option : 0;
	n->nif.ip_id = (u16)guest_rdtsc();
	printk(KERN_INFO "net%d: MAC %02x:%02x:%02x:%02x:%02x:%02x, %u receive buffers\n",
	       nr_net_cards, n->nif.mac[0], n->nif.mac[1], n->nif.mac[2], n->nif.mac[3],
	       n->nif.mac[4], n->nif.mac[5], n->nr_rx_posted);
	virtio_driver_ok(d);
	vq_kick(n->rx);
	net_cards[nr_net_cards++] = n;
	net_arp_announce(&n->nif);
	return 0;
}
/*:*/
/*D:845 The address option and the first card.
 * `ip=ADDR` on the Guest's command line gives the first card its address,
 * on a /24. The option is read before the bus probes (*D:180*), so we keep
 * the number until the card appears. The shell's commands work on the first
 * card, `net_default`. :*/
int net_set_ip(const char *text)
{
	u32 ip;

	if (net_parse_ip(text, &ip) < 0 || !ip) {
		printk("Guest: ip=%s is not an IPv4 address; write e.g. ip=10.0.0.1\n", text);
		return 1;
	}
	net_ip_option = ip;
	if (nr_net_cards)
		net_cards[0]->nif.ip = ip;
	return 1;
}

struct net_if *net_default(void)
{
	return nr_net_cards ? &net_cards[0]->nif : NULL;
}
/*:*/
/*D:845, continued :*/
const struct virtio_driver virtio_net_driver = {
	.device_id = VIRTIO_ID_NET,
	.name = "virtio-net",
	.probe = net_probe,
};
/*:*/
/*D:895 Self-tests.
 * Two promises the driver makes can be checked from inside, on whatever card
 * the Guest has, ours or QEMU's: the card has a usable MAC address (not zero,
 * not a multicast address, which no card may own), and its receive queue is
 * as full as we meant it to be (every buffer we posted is still there or back
 * already, none leaked). A Guest without a card skips both and says why
 * (*G:505*). :*/
static struct vnet *net_first(void)
{
	return nr_net_cards ? net_cards[0] : NULL;
}

static int net_test_mac(void)
{
	struct vnet *n = net_first();
	static const u8 zero[ETH_ALEN];

	if (!n)
		return selftest_skip("no network card");
	return memcmp(n->nif.mac, zero, ETH_ALEN) && !(n->nif.mac[0] & 1);
}

static int net_test_rx_buffers(void)
{
	struct vnet *n = net_first();
	u64 flags;
	int ok;

	if (!n)
		return selftest_skip("no network card");
	flags = irq_save();
	ok = n->nr_rx_posted == (vq_size(n->rx) < NET_RX_BUFS ? vq_size(n->rx) : NET_RX_BUFS);
	irq_restore(flags);
	return ok;
}
/*:*/

/*:*/
/*D:895, continued :*/
GUEST_TEST(net_test_mac, "net-mac: the network card has a unicast MAC address");
GUEST_TEST(net_test_rx_buffers, "net-rx: the network card's receive queue is full");
/*:*/
