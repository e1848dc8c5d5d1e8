/* Tangled from chapters/35-launcher-net.nw by `make tangle`: edit the chapter, not this file. */
/*L:950 The network card.
 * A virtio network card has (at least) two queues: queue 0 receives, queue 1
 * transmits. Every frame, in both directions, is preceded by a 12-byte header
 * that describes checksum and segmentation offloads; we offer none of those
 * features, so the header we send is zeros but for `num_buffers`, which says
 * the frame fits in one buffer, and the header we receive is ignored. The
 * configuration carries the card's MAC address, offered with
 * `VIRTIO_NET_F_MAC`. :*/
/* The network card: Ethernet frames between the Guest and a tap or a switch. */
#include "virtio.h"
#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

enum { NET_RX, NET_TX };
#define NET_ETH_HEADER 14		/* destination, source, type */

struct net {
	struct virtio_dev dev;		/* first: a virtio_dev * is a net * */
	struct virtio_net_config config;
	int fd;				/* one frame per read or write */
	struct iovec frame[DEVQ_MAX_SEGS];
	unsigned long dropped;
	bool kicked;			/* the vCPU sent frames since the worker last looked */
	struct sockaddr_un sw;		/* the switch's path, if on a Guest LAN */
	struct sockaddr_un peer;	/* the switch we joined, as the kernel names it */
	socklen_t peer_len;
};
/*L:982 When the switch goes away.
 * A switch is an ordinary program, and ordinary programs are stopped and
 * started again: to change it, after a crash, or because someone pressed
 * Ctrl-C in the wrong window. Its Guests should not care; on a real LAN,
 * replugging the switch costs a few lost frames and nothing more. Two things
 * stand in the way. Our socket is still connected to the old switch's
 * socket, which is dead: the kernel tells us so on our next send with
 * `ECONNREFUSED`, and from then on, with no peer left, with `ENOTCONN`. And
 * the new switch knows no ports at all, since it learns them only from what it
 * receives.
 *
 * So a card on a Guest LAN says hello again whenever a send fails, and a
 * hello that fails `connect`s the same socket to the path afresh (a datagram
 * socket may be connected again, to the same address or another) before it
 * says hello to whoever is there now. We note the new switch's address as
 * the kernel gives it back (`getpeername`), for *L:984*. A full queue at the
 * switch (`EAGAIN`) is not a lost switch, and leaves everything as it is. :*/
static bool net_join(struct net *n)
{
	socklen_t len = sizeof(n->peer);

	if (connect(n->fd, (struct sockaddr *)&n->sw, sizeof(n->sw)) < 0 ||
	    getpeername(n->fd, (struct sockaddr *)&n->peer, &len) < 0)
		return false;
	n->peer_len = len;
	lg_say("%s: joined the switch at %s", n->dev.name, n->sw.sun_path);
	return send(n->fd, "", 0, MSG_DONTWAIT) == 0 || errno == EAGAIN;
}

static bool net_hello(struct net *n)
{
	if (send(n->fd, "", 0, MSG_DONTWAIT) == 0 || errno == EAGAIN)
		return true;
	return net_join(n);
}
/*:*/
/*L:982, continued :*/

static bool net_resend_after_rejoin(struct net *n, unsigned k)
{
	if (!n->sw.sun_path[0] || errno == EAGAIN || errno == ENOBUFS || !net_hello(n))
		return false;
	return writev(n->fd, n->frame, k) >= 0;
}
/*:*/
/*L:983 Keeping in touch.
 * That repairs a Guest that sends. A Guest that only listens never sends, so
 * it would never notice the new switch, and the new switch, which floods
 * frames only to the ports it knows, would never reach it: the Guest that
 * pings it gets no answer, for ever. So each card on a Guest LAN also says
 * hello once a second, from a small thread of its own that does nothing else.
 * The hello costs an empty datagram a second; it is also what tells the
 * switch that our port is alive and busy (*L:988*), so a switch with a full
 * port table never mistakes us for a port that has been abandoned. The thread
 * takes the device's lock for each hello, since a hello may join a new switch
 * and change the address we check every frame against (*L:984*); a hello is
 * one system call or three, so the worker hardly notices. Like every Launcher
 * thread, it first enters its sandbox (*L:596*). :*/
static void *net_keepalive(void *arg)
{
	struct net *n = arg;

	sandbox_enter(SANDBOX_NET_KEEPALIVE, "keep-alive");
	for (;;) {
		sleep(1);
		pthread_mutex_lock(&n->dev.lock);
		net_hello(n);
		pthread_mutex_unlock(&n->dev.lock);
	}
	return NULL;
}

static void net_keep_in_touch(struct net *n)
{
	pthread_t thread;

	if (n->sw.sun_path[0] && pthread_create(&thread, NULL, net_keepalive, n) == 0)
		pthread_detach(thread);
}
/*:*/
/*L:984 Frames from the switch alone.
 * A connected datagram socket takes datagrams from its peer alone, and that
 * is what keeps other processes out of our Guest (*L:980*). But once the
 * switch has gone and a send has told us so, the kernel forgets the peer, and
 * until a new switch is there to join, our socket is unconnected: anyone on
 * the machine who finds its abstract name (`/proc/net/unix` lists it) could
 * send frames straight into the Guest. So a card on a Guest LAN reads with
 * `recvmsg`, which names the sender, and skips every datagram that does not
 * come from the switch it last joined. A tap has no strangers, and keeps its
 * plain `readv`. :*/
static ssize_t net_read(struct net *n, unsigned k)
{
	struct sockaddr_un from;
	struct msghdr m = { .msg_name = &from, .msg_namelen = sizeof(from),
			    .msg_iov = n->frame, .msg_iovlen = k };
	ssize_t len;

	if (!n->sw.sun_path[0])
		return readv(n->fd, n->frame, k);
	len = recvmsg(n->fd, &m, 0);
	if (len >= 0 && (m.msg_namelen != n->peer_len || memcmp(&from, &n->peer, n->peer_len)))
		return 0;			/* a stranger's: skipped */
	return len;
}
/*:*/
/*L:955 Transmitting.
 * A transmit chain is the header and the frame, all readable. We cut the frame
 * out of it (*L:860*) and hand it to `writev`, which for both our ends sends
 * exactly one frame. A frame the other end will not take (the tap's queue is
 * full, the switch is gone) is dropped, as a real wire drops it: networks
 * lose packets, and the protocols above expect it. A switch that has gone
 * may have been replaced by a new one at the same path, so a card on a Guest
 * LAN looks for it before it gives the frame up (*L:982*). :*/
static u32 net_transmit(void *ctx, struct devq_chain *c)
{
	struct net *n = ctx;
	u64 hdr = sizeof(struct virtio_net_hdr);
	unsigned k;

	if (c->out_len < hdr)
		bad_driver("%s: frame without its header", n->dev.name);
	k = iov_slice(c->iov, c->nr_out, hdr, c->out_len - hdr, n->frame);
	if (writev(n->fd, n->frame, k) < 0 && !net_resend_after_rejoin(n, k))
		n->dropped++;
	return 0;
}
/*:*/
/*L:959, continued :*/
#define NET_TX_BATCH	32
#define NET_TX_AGAIN_NS	200000

static unsigned net_send_some(struct net *n, unsigned max)
{
	struct devq *tx = &n->dev.vq[NET_TX];
	struct devq_chain *c = n->dev.chain;
	unsigned sent = 0;

	while (sent < max && devq_pop(tx, c, n->dev.name)) {
		devq_push(tx, c, net_transmit(n, c));
		sent++;
	}
	return sent;
}

static u16 net_tx_batch(const struct devq *tx)
{
	return tx->num / 2 < NET_TX_BATCH ? tx->num / 2 : NET_TX_BATCH;
}
/*:*/
/*L:959, continued :*/

static void net_send_queued(struct net *n)
{
	struct devq *tx = &n->dev.vq[NET_TX];
	unsigned sent = 0;
	bool stream;

	do {
		sent += net_send_some(n, ~0u);
		stream = sent > 1 || n->kicked;
	} while (tx->ready && !devq_enable_notify_after(tx, stream ? net_tx_batch(tx) : 1));
	n->kicked = false;
	n->dev.again_ns = stream ? NET_TX_AGAIN_NS : 0;
	if (sent)
		virtio_queue_done(&n->dev, tx);
}
/*:*/
/*L:960 Receiving.
 * Receiving runs the other way round from the disk: the frame arrives when
 * it likes, and we need an empty buffer from the Guest to put it in. So we pop
 * a buffer first and read the frame straight into it, after room for the
 * header. Our descriptor is non-blocking: when no frame is waiting, `readv`
 * says `EAGAIN` and we give the buffer back unused (`devq_unpop`, *L:848*).
 * When the Guest has no buffers left, we stop listening to the descriptor and
 * ask for a kick (*L:855*); the frames wait in the kernel's queue meanwhile,
 * and the kernel drops them if it fills, as a switch with a slow port would. :*/
static void net_receive(struct net *n)
{
	struct devq *rx = &n->dev.vq[NET_RX];
	struct devq_chain *c = n->dev.chain;
	bool pushed = false;

	for (;;) {
		if (!devq_pop(rx, c, n->dev.name)) {
			if (!rx->ready || devq_enable_notify(rx)) {
				n->dev.poll_fd = -1;
				break;
			}
			continue;
		}
		struct virtio_net_hdr h = { .num_buffers = 1 };
		u64 hdr = sizeof(h);
		ssize_t len;
		unsigned k;

		/*L:961 A buffer that cannot hold a frame.
		 * The loop above trusts one thing: that the read either fails or takes
		 * something. A buffer with room for the header and not one byte more breaks
		 * that trust. We would ask `readv` for zero bytes, and the kernel answers a
		 * request for nothing at once, with 0, before it looks at the socket or the
		 * tap at all; so nothing is taken, we give the buffer back, pop it again, and
		 * go round for ever, one core at full speed, while the Guest's network is
		 * dead. A hostile Guest could park our worker so with one descriptor.
		 *
		 * We could refuse the buffer more gently, by handing it back as used with
		 * nothing in it. But virtio has no way to say "refused" on a receive queue: a
		 * used length shorter than the header means nothing to a driver, and one that
		 * posts such buffers will post them again, so the card could never deliver a
		 * frame anyway. A driver that does this is broken, not frugal, and the rule of
		 * our Launcher for a broken driver is to stop the Guest and say why. So we
		 * kill the Guest when its buffer cannot hold the header and an Ethernet header
		 * (14 bytes): anything smaller cannot carry any frame at all. Larger buffers,
		 * even short of the 1526 the specification asks for, are taken, and frames are
		 * cut to fit. Because every buffer we read into now has room for at least one
		 * byte, a read that returns 0 has really taken a datagram, and the loop
		 * always makes progress. The tap and the switch share this path, so one
		 * check covers both. :*/
		if (c->in_len < hdr + NET_ETH_HEADER)
			bad_driver("%s: a receive buffer of %llu bytes cannot hold a frame "
				   "(it needs %llu for the header and an Ethernet header)",
				   n->dev.name, c->in_len, hdr + NET_ETH_HEADER);
		/*:*/
		k = iov_slice(c->iov + c->nr_out, c->nr_in, hdr, c->in_len - hdr, n->frame);
		len = net_read(n, k);
		if (len <= 0) {
			devq_unpop(rx);
			if (len < 0)
				break;
			continue;
		}
		iov_copy_to(c->iov + c->nr_out, c->nr_in, 0, &h, hdr);
		devq_push(rx, c, hdr + len);
		pushed = true;
	}
	if (pushed)
		virtio_queue_done(&n->dev, rx);
}
/*:*/
/*L:965 The card's handlers.
 * A kick means frames to send or new receive buffers, so `notify` sends what
 * is queued (*L:959*) and then tries to receive, listening to the descriptor
 * again in case it had stopped. A readable descriptor means frames for the
 * Guest; a card that is waiting to look at its transmit queue looks then too,
 * so that a steady stream of frames coming in cannot hold back the few going
 * out. Starting the card also starts, for a card on a Guest LAN, the little
 * thread that keeps in touch with the switch (*L:982*). :*/
static void net_notify(struct virtio_dev *d)
{
	struct net *n = (struct net *)d;

	net_send_queued(n);
	d->poll_fd = n->fd;
	net_receive(n);
}

static void net_fd_ready(struct virtio_dev *d)
{
	struct net *n = (struct net *)d;

	if (d->again_ns)
		net_send_queued(n);
	net_receive(n);
}

static void net_reset(struct virtio_dev *d)
{
	d->poll_fd = ((struct net *)d)->fd;
	d->again_ns = 0;
	((struct net *)d)->kicked = false;
}

static void net_start(struct virtio_dev *d)
{
	net_reset(d);
	net_keep_in_touch((struct net *)d);
}

static const struct virtio_ops net_ops = {
	.name = "virtio-net", .device_id = VIRTIO_ID_NET, .nr_queues = 2,
	.notify = net_notify, .fd_ready = net_fd_ready,
	.reset = net_reset, .start = net_start,
};
/*:*/
/*L:969 Sending on the vCPU's own thread.
 * Kicks by the batch were not enough on a busy machine, and the spread of
 * `make bench` said so: the tap row gave 2.84 times QEMU's card in one run
 * and 0.58 in the next. To find out why, we read each thread's scheduler
 * statistics (`/proc/PID/task/TID/schedstat`: time run, time spent waiting
 * for a CPU while runnable) over two seconds in the middle of a stream, with
 * the machine's load average near 3. Run after run, the device thread ran for
 * 0.37 to 1.05 seconds of the two, and spent 0.87 to 1.54 seconds runnable
 * but waiting, preempted 14,000 to 38,000 times; the vCPU thread ran 1.0 to
 * 1.7 seconds, nearly all of it the Guest spinning for a free transmit buffer
 * (*D:890*); and the rate followed the device thread's CPU time, at 5.4 to
 * 5.8 microseconds a frame, from 46 to 140 MB/s. The scheduler is fair to
 * threads, not to work: the spin got its share of the two CPUs, and what the
 * spin took, the thread that would have freed its buffers did not get.
 * QEMU's card is in the same position (its main loop, which sends, ran 0.53
 * to 0.61 seconds of the same two in three runs of four), so the ratio of
 * the two swung with whichever of them the scheduler favoured that minute.
 *
 * So the tap card sends on the thread that kicks. A device with a `kick` hook
 * takes its kicks through the run loop (*L:897*), on the vCPU thread, with
 * the Guest stopped in its store; the hook sends what is queued there and
 * then, and asks for the next kick a batch ahead (*L:959*). The Guest never
 * waits for another thread to free its buffers, so it never spins, and the
 * time the spin took now sends frames. A tap's descriptor is non-blocking
 * and a write to it is one frame into the host's network stack, a few
 * microseconds, so the Guest's pause is short. Four things needed care.
 *
 * - *The frames that follow.* The last frames of a stream do not fill a
 *   batch, so no kick comes for them; the worker still looks every 200
 *   microseconds while a stream runs. The hook marks the card `kicked`, so that
 *   a look finding the queue empty just after a kick does not end the stream;
 *   and when the worker is not looking, the hook starts it, by answering that
 *   it did not deal with the kick (the worker is then woken as for any
 *   device).
 * - *The bound.* The Guest stands still while we send (M:928). The hook sends
 *   at most `NET_KICK_MAX` (64) frames, some 350 microseconds of writes here;
 *   a driver that queues more before it kicks (one that ignores `avail_event`)
 *   has the rest sent by the worker.
 * - *Receive kicks.* The hook is not told which queue was kicked. New receive
 *   buffers matter only when the worker has stopped listening for want of
 *   them (*L:960*); then the hook wakes the worker, which listens again.
 * - *The sandbox.* The vCPU may now `writev`, on the tap's descriptor alone
 *   (*L:579*).
 *
 * A card on a Guest LAN keeps its `ioeventfd` and sends on the worker: a
 * send to a switch that has gone turns into a rejoin (*L:982*), with system
 * calls the vCPU should not have, and that row met its goal without this. What
 * we give up is the overlap: on a machine with a CPU to spare, a worker sends
 * while the Guest builds the next frames.
 *
 * Measured the same way afterwards, at a load average near 4.5, the rate
 * follows the vCPU thread's run time, about 10 microseconds a frame for the
 * Guest's work, its share of a kick and the write together (0.82 to 1.17
 * seconds of two, for 76 to 122 MB/s); the device thread runs 0.15 to 0.18
 * seconds for its looks, and sends a tenth of the frames or fewer. What is left
 * of the waiting is the host's: each write wakes the receiving program,
 * which often preempts the vCPU thread, 14,000 to 46,000 times in two
 * seconds. The receiver is the same for both cards, and the table near the
 * end of *Drivers: the network* has the rows. :*/
#define NET_KICK_MAX	64

static bool net_kick(struct virtio_dev *d)
{
	struct net *n = (struct net *)d;
	struct devq *tx = &d->vq[NET_TX];
	unsigned sent = net_send_some(n, NET_KICK_MAX);
	bool rest = sent && tx->ready && !devq_enable_notify_after(tx, net_tx_batch(tx));

	if (sent)
		virtio_queue_done(d, tx), n->kicked = true;
	return !rest && d->poll_fd >= 0 && (!sent || d->again_ns);
}

static const struct virtio_ops net_tap_ops = {
	.name = "virtio-net", .device_id = VIRTIO_ID_NET, .nr_queues = 2,
	.notify = net_notify, .fd_ready = net_fd_ready,
	.reset = net_reset, .start = net_start, .kick = net_kick,
};
/*:*/
/*M:889 Both threads, when there is room.
 * Sending on the vCPU gives up the overlap of the Guest building frames
 * while a worker sends them. On the busy machine of these measurements
 * nothing was lost by that, and the machine was never idle enough to weigh
 * it there. A card could choose for itself: time how long the worker takes
 * to look after it is woken, and hand the batch to the worker while that
 * delay is short, keeping it on the vCPU while it is long. */
/*L:970 Unique MAC addresses.
 * Two cards on one LAN with the same MAC address would steal each other's
 * frames, so every card needs its own, and we cannot ask the other Launchers
 * which they have taken. We build the address from what is already unique:
 * the process id, unique among the Launchers running on this machine, and the
 * device's number, unique within one Launcher. The first byte is 0x02: the
 * "locally administered" bit set and the multicast bit clear, the range the
 * IEEE leaves to people who make up their own addresses. Process ids fit in
 * the four remaining bytes on Linux (at most 2^22). :*/
static void net_mac(struct net *n)
{
	u32 pid = getpid();

	n->config.mac[0] = 0x02;
	n->config.mac[1] = (n->dev.base - VIRTIO_MMIO_BASE) / VIRTIO_MMIO_WINDOW;
	n->config.mac[2] = pid >> 24;
	n->config.mac[3] = pid >> 16;
	n->config.mac[4] = pid >> 8;
	n->config.mac[5] = pid;
}
/*:*/
/*L:970, continued :*/
static struct net *net_add(int fd, const char *what, const struct virtio_ops *ops)
{
	struct net *n = calloc(1, sizeof(*n));

	if (!n)
		err(1, "%s", what);
	n->fd = fd;
	virtio_register(&n->dev, ops, &n->config, sizeof(n->config),
			VIRTIO_BIT(VIRTIO_NET_F_MAC));
	net_mac(n);
	lg_say("%s: %s, MAC %02x:%02x:%02x:%02x:%02x:%02x", n->dev.name, what,
	       n->config.mac[0], n->config.mac[1], n->config.mac[2],
	       n->config.mac[3], n->config.mac[4], n->config.mac[5]);
	return n;
}
/*:*/
/*L:975 A tap device.
 * A tap device is made by opening `/dev/net/tun` and naming the kind of
 * interface we want with `TUNSETIFF`: a tap (Ethernet frames, where a *tun*
 * would carry bare IP packets), without the 4-byte packet information prefix
 * (`IFF_NO_PI`). The kernel picks the name from our pattern, `lguest0`,
 * `lguest1` and so on. The interface vanishes when we exit and the descriptor
 * closes. Then we give it its address and bring it up, through the
 * traditional `ioctl`s on any socket. Both steps need `CAP_NET_ADMIN`, so
 * the messages say so. :*/
static void net_set_addr(int s, struct ifreq *ifr, unsigned long req, struct in_addr a)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr->ifr_addr;

	*sin = (struct sockaddr_in){ .sin_family = AF_INET, .sin_addr = a };
	if (ioctl(s, req, ifr) < 0)
		err(1, "--tunnet: cannot configure %s", ifr->ifr_name);
}

static void net_configure_tap(const char ifname[IFNAMSIZ], struct in_addr ip)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memcpy(ifr.ifr_name, ifname, IFNAMSIZ);
	net_set_addr(s, &ifr, SIOCSIFADDR, ip);
	net_set_addr(s, &ifr, SIOCSIFNETMASK, (struct in_addr){ htonl(0xffffff00) });
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		err(1, "--tunnet: %s", ifname);
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		err(1, "--tunnet: cannot bring %s up", ifname);
	close(s);
}
/*:*/
/*L:975, continued :*/
void net_add_tap(const char *value)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	struct in_addr ip;
	int fd;

	if (inet_pton(AF_INET, value, &ip) != 1)
		errx(LG_EXIT_USAGE, "--tunnet=%s: not an IPv4 address; write e.g. "
		     "--tunnet=192.168.19.1", value);
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		err(1, "--tunnet: cannot open /dev/net/tun (modprobe tun; run as root)");
	strcpy(ifr.ifr_name, "lguest%d");
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		err(1, "--tunnet: cannot create a tap device (it needs CAP_NET_ADMIN: run as root)");
	net_configure_tap(ifr.ifr_name, ip);
	lg_say("--tunnet: %s is %s/24", ifr.ifr_name, value);
	sandbox_vcpu_may_send(fd);
	net_add(fd, ifr.ifr_name, &net_tap_ops);
}
/*:*/
/*L:980 Plugging into a switch.
 * A Guest LAN is a UNIX datagram socket. We make our own socket and let the
 * kernel give it an *abstract* address of its own (a `bind` with only the
 * address family: "autobind"), so that the switch can answer us, and then
 * `connect` it to the switch's path: a connected datagram socket sends to the
 * switch with a plain `write` and accepts datagrams from the switch alone, so
 * no other process can slip frames into our Guest. An empty datagram says
 * hello, so the switch knows us before we send our first frame. We keep the
 * switch's address in the card, because we may need it again. :*/
void net_add_switch(const char *value)
{
	struct net *n;
	struct sockaddr_un sw = { .sun_family = AF_UNIX };
	sa_family_t autobind = AF_UNIX;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (strlen(value) >= sizeof(sw.sun_path))
		errx(LG_EXIT_USAGE, "--net=%s: the path is too long for a UNIX socket", value);
	strcpy(sw.sun_path, value);
	if (fd < 0 || bind(fd, (struct sockaddr *)&autobind, sizeof(autobind)) < 0)
		err(1, "--net: socket");
	if (connect(fd, (struct sockaddr *)&sw, sizeof(sw)) < 0)
		err(LG_EXIT_USAGE, "--net=%s: no switch there; start one with 'lguest switch %s'",
		    value, value);
	n = net_add(fd, value, &net_ops);
	n->sw = sw;
	if (!net_join(n))
		err(1, "--net=%s: the switch does not answer", value);
}
/*:*/
/*:*/
