/* Tangled from chapters/35-launcher-net.nw by `make tangle`: edit the chapter, not this file. */
/*L:985 The switch.
 * The switch is the Guest LAN's hub, run as `lguest switch PATH`. It binds a
 * datagram socket at `PATH` and forwards what it receives, as an Ethernet
 * switch does: it *learns* which port each MAC address was last seen on (the
 * source address of every frame), sends a frame for a known address to that
 * port alone, and floods everything else (broadcasts, multicasts, addresses not
 * yet seen) to every port but the sender. A port is a Launcher's socket
 * address, learned from its first datagram. A port whose Launcher has gone is
 * dropped when a send to it fails for any reason but a full queue (a full
 * queue only drops the frame, as a busy wire would). :*/
/* lguest switch PATH: a learning Ethernet switch between Guests, on a UNIX socket. */
#include "virtio.h"
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define SWITCH_PORTS 64
#define ETH_HEADER 14

struct port {
	struct sockaddr_un addr;
	socklen_t len;
	u8 mac[6];
	bool has_mac, dead;
};

static struct port ports[SWITCH_PORTS];
static int nr_ports;
/*L:987 Ports.
 * Addresses are compared whole, length and bytes: the Launchers' addresses are
 * abstract names the kernel made up, which may contain any byte. A full table
 * turns newcomers away with a message on the switch's standard error. :*/
static int switch_port(const struct sockaddr_un *from, socklen_t len)
{
	for (int i = 0; i < nr_ports; i++)
		if (ports[i].len == len && memcmp(&ports[i].addr, from, len) == 0)
			return i;
	if (nr_ports == SWITCH_PORTS) {
		warnx("switch: all %d ports taken; ignoring a newcomer", SWITCH_PORTS);
		return -1;
	}
	ports[nr_ports] = (struct port){ .addr = *from, .len = len };
	return nr_ports++;
}
/*:*/
static void switch_send(int fd, int p, const u8 *frame, size_t len)
{
	if (sendto(fd, frame, len, MSG_DONTWAIT, (struct sockaddr *)&ports[p].addr,
		   ports[p].len) < 0 && errno != EAGAIN && errno != ENOBUFS && errno != EINTR)
		ports[p].dead = true;
}
/*L:990 Forwarding.
 * First we learn: the frame's source address (bytes 6 to 11) now lives on the
 * sender's port. Then the destination (bytes 0 to 5): a unicast address (low
 * bit of the first byte clear) that we have seen goes to its port; anything
 * else is flooded. Dead ports are swept out after each frame. :*/
static void switch_forward(int fd, int in, const u8 *frame, size_t len)
{
	int out = -1;

	memcpy(ports[in].mac, frame + 6, 6);
	ports[in].has_mac = true;
	for (int i = 0; i < nr_ports && !(frame[0] & 1); i++)
		if (i != in && ports[i].has_mac && memcmp(ports[i].mac, frame, 6) == 0)
			out = i;
	for (int i = 0; i < nr_ports; i++)
		if (i != in && (out < 0 || i == out))
			switch_send(fd, i, frame, len);
	for (int i = 0; i < nr_ports; i++)
		if (ports[i].dead)
			ports[i--] = ports[--nr_ports];
}
/*:*/
/*L:993 Binding the switch.
 * A switch that died leaves its socket file behind, and `bind` then fails
 * with `EADDRINUSE`. We must not steal the path from a switch that is alive,
 * so we try to reach it first: if nobody answers (`ECONNREFUSED`), the file is
 * a corpse and we remove it. :*/
static int switch_bind(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), probe;

	if (strlen(path) >= sizeof(addr.sun_path))
		errx(LG_EXIT_USAGE, "switch: the path '%s' is too long for a UNIX socket", path);
	strcpy(addr.sun_path, path);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0)
		return fd;
	if (errno != EADDRINUSE)
		err(1, "switch: cannot bind %s", path);
	probe = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (connect(probe, (struct sockaddr *)&addr, sizeof(addr)) == 0 || errno != ECONNREFUSED)
		errx(1, "switch: %s is in use by a running switch", path);
	close(probe);
	unlink(path);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		err(1, "switch: cannot bind %s", path);
	return fd;
}
/*:*/
/*L:996 The switch's loop.
 * The switch runs until it is killed. Datagrams shorter than an Ethernet
 * header are hellos: they register the port and go no further; a sender
 * without an address (an unbound socket) could not be answered and is
 * ignored. The switch says
 * where it listens on standard output, so a script that starts it in the
 * background can wait for that line before it starts Guests. :*/
int switch_main(int argc, char *argv[])
{
	static u8 frame[65536];
	int fd;

	if (argc != 2)
		errx(LG_EXIT_USAGE, "usage: lguest switch PATH");
	fd = switch_bind(argv[1]);
	printf("lguest switch: listening on %s\n", argv[1]);
	fflush(stdout);
	for (;;) {
		struct sockaddr_un from;
		socklen_t len = sizeof(from);
		ssize_t n = recvfrom(fd, frame, sizeof(frame), 0, (struct sockaddr *)&from, &len);
		int in;

		if (n < 0 && errno != EINTR)
			err(1, "switch: recvfrom");
		if (n < 0 || len <= sizeof(sa_family_t))
			continue;
		in = switch_port(&from, len);
		if (in >= 0 && n >= ETH_HEADER)
			switch_forward(fd, in, frame, n);
	}
}
/*:*/
/*:*/
