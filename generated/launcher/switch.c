/* Tangled from chapters/35-launcher-net.nw by `make tangle`: edit the chapter, not this file. */
/*L:985 The switch.
 * The switch is the Guest LAN's hub, run as `lguest switch PATH`. It binds a
 * datagram socket at `PATH` and forwards what it receives, as an Ethernet
 * switch does: it *learns* which port each MAC address was last seen on (the
 * source address of every frame), sends a frame for a known address to that
 * port alone, and floods everything else (broadcasts, multicasts, addresses not
 * yet seen) to every port but the sender. A port is a Launcher's socket
 * address, learned from its first datagram.
 *
 * Anyone on the machine who can write to `PATH` can send to the switch, so it
 * must stand up to careless and hostile senders as the Launcher stands up to a
 * hostile Guest: no datagram may crash it, wedge it, fill it up for good, or
 * let one port take another's traffic. The pieces below are each shaped by
 * that. :*/
/* lguest switch PATH: a learning Ethernet switch between Guests, on a UNIX socket. */
#include "virtio.h"
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define SWITCH_PORTS 64
#define SWITCH_IDLE 3			/* seconds: a silent port may be reclaimed */
#define ETH_HEADER 14
#define SWITCH_FRAME_MAX 1518		/* 1500 bytes of data, header, a VLAN tag */

struct port {
	struct sockaddr_un addr;
	socklen_t len;
	u8 mac[6];
	bool has_mac, dead;
	time_t heard;			/* when it last sent us anything */
	unsigned long refused;		/* frames claiming another port's MAC */
};

static struct port ports[SWITCH_PORTS];
static int nr_ports, probe_fd;

static time_t switch_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec;
}
/*L:988 Reclaiming ports.
 * Once the switch kept every port it had ever heard from, until a send to it
 * failed. Sixty-four empty datagrams, from sockets thrown away at once, filled
 * the table for good, and every Guest that came later was turned away. A
 * switch cannot wait for its ports to say goodbye; it has to find out.
 *
 * The kernel can tell us whether a socket address still has a socket behind
 * it, without sending it anything: we `connect` a spare datagram socket of
 * our own, the *probe*, to it. `ECONNREFUSED` or `ENOENT` means nobody is
 * there; success, or `EPERM` (the socket is connected to somebody else, as a
 * Launcher's is to its switch), means somebody is. Sending an empty datagram
 * would ask the same question, but would disturb the peer: QEMU's datagram
 * network takes one for the end of the connection. :*/
static bool switch_gone(const struct port *p)
{
	if (connect(probe_fd, (const struct sockaddr *)&p->addr, p->len) == 0)
		return false;
	return errno == ECONNREFUSED || errno == ENOENT;
}

static void switch_sweep(void)
{
	for (int i = 0; i < nr_ports; i++)
		if (ports[i].dead)
			ports[i--] = ports[--nr_ports];
}
/*:*/
/*L:988, continued :*/
static void switch_reclaim(void)
{
	int idle = -1, gone = 0;
	time_t now = switch_now();

	for (int i = 0; i < nr_ports; i++) {
		if (switch_gone(&ports[i]))
			ports[i].dead = true, gone++;
		else if (now - ports[i].heard > SWITCH_IDLE &&
			 (idle < 0 || ports[i].heard < ports[idle].heard))
			idle = i;
	}
	if (!gone && idle >= 0)
		ports[idle].dead = true;
	switch_sweep();
}
/*:*/
/*L:988, continued :*/
static int switch_new_port(const struct sockaddr_un *from, socklen_t len)
{
	static bool warned;

	if (nr_ports == SWITCH_PORTS)
		switch_reclaim();
	if (nr_ports == SWITCH_PORTS) {
		if (!warned)
			warnx("switch: all %d ports are in use; turning newcomers away",
			      SWITCH_PORTS);
		warned = true;
		return -1;
	}
	warned = false;
	ports[nr_ports] = (struct port){ .addr = *from, .len = len, .heard = switch_now() };
	return nr_ports++;
}
/*:*/
/*L:987 Ports.
 * Addresses are compared whole, length and bytes: the Launchers' addresses are
 * abstract names the kernel made up, which may contain any byte. :*/
static int switch_port(const struct sockaddr_un *from, socklen_t len)
{
	for (int i = 0; i < nr_ports; i++)
		if (ports[i].len == len && memcmp(&ports[i].addr, from, len) == 0) {
			ports[i].heard = switch_now();
			return i;
		}
	return switch_new_port(from, len);
}
/*:*/
/*L:988, continued :*/
static void switch_send(int fd, int p, const u8 *frame, size_t len)
{
	if (sendto(fd, frame, len, MSG_DONTWAIT, (struct sockaddr *)&ports[p].addr,
		   ports[p].len) < 0 && errno != EAGAIN && errno != ENOBUFS && errno != EINTR)
		ports[p].dead = true;
}
/*:*/
/*M:901 Ports per user.
 * A local user who keeps sixty-four sockets open and lets each of them say
 * hello every second still fills the switch. The switch could ask the kernel
 * who sent each datagram (`SO_PASSCRED` gives the sender's user with every
 * datagram) and give each user at most a few ports. */
/*L:989 Who owns a MAC address.
 * A learning switch believes the source address of every frame, and a
 * switch that believes everything is easy to fool: one frame from port X
 * with port A's address as its source, and A's traffic goes to X until A
 * speaks again. On a LAN of Guests that is one hostile Guest reading
 * another's traffic, so we choose a policy. **A MAC address learned on a live
 * port stays on that port until the port goes.** A frame from elsewhere that
 * claims it is dropped and counted, and the first such frame from each port
 * (and every thousandth after it) is reported on the switch's standard error.
 * If the owner's socket has gone, the address is free to move: the claim wins
 * and the old port is reclaimed on the spot, so a Guest whose Launcher is
 * restarted with the same address is not locked out. A real switch usually
 * lets the address move and raises an alarm; we have no one to alarm, and
 * Guests do not roam. :*/
static bool switch_learn(int in, const u8 *src)
{
	for (int i = 0; i < nr_ports; i++) {
		if (i == in || !ports[i].has_mac || memcmp(ports[i].mac, src, 6))
			continue;
		if (!switch_gone(&ports[i])) {
			if (++ports[in].refused % 1000 == 1)
				warnx("switch: dropped a frame from %02x:%02x:%02x:%02x:%02x:%02x, an address "
				      "that lives on another port (%lu such frames from this port)",
				      src[0], src[1], src[2], src[3], src[4], src[5], ports[in].refused);
			return false;
		}
		ports[i].dead = true;
	}
	memcpy(ports[in].mac, src, 6);
	ports[in].has_mac = true;
	return true;
}
/*:*/
/*L:990 Forwarding.
 * First we learn: the frame's source address (bytes 6 to 11) now lives on the
 * sender's port, unless another live port owns it, and then the frame goes no
 * further. Then the destination (bytes 0 to 5): a unicast address (low bit of
 * the first byte clear) that we have seen goes to its port; anything else is
 * flooded to every port that is not dead. Dead ports are swept out after each
 * datagram (*L:996*). :*/
static void switch_forward(int fd, int in, const u8 *frame, size_t len)
{
	int out = -1;

	if (!switch_learn(in, frame + 6))
		return;
	for (int i = 0; i < nr_ports && !(frame[0] & 1); i++)
		if (i != in && ports[i].has_mac && memcmp(ports[i].mac, frame, 6) == 0)
			out = i;
	for (int i = 0; i < nr_ports; i++)
		if (i != in && !ports[i].dead && (out < 0 || i == out))
			switch_send(fd, i, frame, len);
}
/*:*/
/*L:993 Binding the switch.
 * A switch that died leaves its socket file behind, and `bind` then fails
 * with `EADDRINUSE`. We may remove that corpse, and nothing else. So we look
 * before we touch: something at `PATH` that is not a socket (a file a user
 * typed the wrong name for, a directory, a symbolic link) is refused with a
 * message and left alone. A socket there may belong to a running switch, and
 * we must not steal its path, so we try to reach it with a probe: only if
 * nobody answers (`ECONNREFUSED`) is it stale, and removed. A live switch,
 * or any answer we do not understand, is refused. :*/
static void switch_remove_stale(const char *path, const struct sockaddr_un *addr)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		err(1, "switch: cannot bind %s", path);
	if (!S_ISSOCK(st.st_mode))
		errx(1, "switch: %s exists and is not a socket; remove it yourself, "
		     "or choose another path", path);
	if (connect(probe_fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0 ||
	    errno == EPERM)
		errx(1, "switch: %s is in use by a running switch", path);
	if (errno != ECONNREFUSED)
		err(1, "switch: cannot tell whether %s is in use; remove it if it is not",
		    path);
	unlink(path);
}
/*:*/
/*L:993, continued :*/

static int switch_bind(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	probe_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || probe_fd < 0)
		err(1, "switch: socket");
	if (strlen(path) >= sizeof(addr.sun_path))
		errx(LG_EXIT_USAGE, "switch: the path '%s' is too long for a UNIX socket", path);
	strcpy(addr.sun_path, path);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0)
		return fd;
	if (errno != EADDRINUSE)
		err(1, "switch: cannot bind %s", path);
	switch_remove_stale(path, &addr);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		err(1, "switch: cannot bind %s", path);
	return fd;
}
/*:*/
/*M:902 A race at the path.
 * Between the probe that finds a socket stale and the `unlink`, another
 * switch could remove the same corpse and bind a live socket in its place,
 * which we would then remove. Two switches started at
 * the same path in the same instant are unlikely; a lock on a file beside the
 * socket (`flock`) would make it impossible. */
/*L:996 The switch's loop.
 * Every datagram is read whole or not at all. Datagrams shorter than an
 * Ethernet header are hellos (or garbage, which we treat alike): they register
 * the port and go no further. A sender without an address (an unbound socket)
 * could not be answered and is ignored. A datagram longer than the longest
 * Ethernet frame is dropped: no card on our LAN sends one, and before we
 * asked the kernel for its true length (`MSG_TRUNC`), such a datagram was cut
 * to our buffer and passed on, a corrupt frame for every Guest. :*/
static void switch_take(int fd)
{
	static u8 frame[SWITCH_FRAME_MAX];
	struct sockaddr_un from;
	socklen_t len = sizeof(from);
	ssize_t n = recvfrom(fd, frame, sizeof(frame), MSG_TRUNC,
			     (struct sockaddr *)&from, &len);
	int in;

	if (n < 0 && errno != EINTR && errno != ENOMEM && errno != ENOBUFS)
		err(1, "switch: recvfrom");
	if (n < 0 || len <= sizeof(sa_family_t))
		return;
	in = switch_port(&from, len);
	if (in >= 0 && n >= ETH_HEADER && n <= SWITCH_FRAME_MAX)
		switch_forward(fd, in, frame, n);
	switch_sweep();
}
/*:*/
/*L:996, continued :*/
int switch_main(int argc, char *argv[])
{
	int fd;

	while (argc > 2 && sandbox_parse_option(argv[1]))
		argc--, argv++;
	if (argc != 2)
		errx(LG_EXIT_USAGE, "usage: lguest switch PATH (before PATH: --sandbox=off, --user=, --chroot=)");
	fd = switch_bind(argv[1]);
	printf("lguest switch: listening on %s\n", argv[1]);
	fflush(stdout);
	sandbox_drop_privileges();
	sandbox_enter(SANDBOX_SWITCH, "switch");
	for (;;)
		switch_take(fd);
}
/*:*/
/*:*/
