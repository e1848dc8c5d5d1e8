/* Fuzz target "switch": `lguest switch PATH`'s frame handling
 * (launcher/switch.c), the whole of switch_main() run as a function.  We
 * include switch.c with its socket calls renamed to fakes: recvfrom() hands
 * it the input's datagrams one by one and leaves (longjmp) when they run out;
 * sendto() records which peer got what.
 *
 * Input: datagrams, each SENDER LEN BYTES[LEN].  SENDER & 127 names the peer
 * it comes from: 0-31 are live Guests, 32-126 throwaway sockets that have gone
 * (a send to them fails with ECONNREFUSED), 127 an unnamed socket.
 * SENDER & 128: an honest frame, whose source MAC the harness sets to the
 * peer's own, 02:00:00:00:00:ID.
 *
 * Besides the sanitizers, the harness checks two promises of the switch and
 * aborts when one is broken:
 *   - a live Guest is never locked out: an honest broadcast frame from a live
 *     Guest reaches every other live Guest that has sent an honest frame;
 *   - no port steals another's traffic: an honest unicast frame to live Guest
 *     T's MAC reaches T, if T has sent an honest frame since anyone else last
 *     sent a frame with T's MAC as its source. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "launcher.h"
#include "fake_launcher.h"

static ssize_t fake_recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *from,
			     socklen_t *len);
static ssize_t fake_sendto(int fd, const void *buf, size_t n, int flags,
			   const struct sockaddr *to, socklen_t len);
#define recvfrom fake_recvfrom
#define sendto fake_sendto
#define socket(d, t, p) 100
#define bind(fd, a, l) 0
#define connect(fd, a, l) (errno = ECONNREFUSED, -1)
#define unlink(p) 0
#define printf(...) 0
#include "switch.c"
#undef recvfrom
#undef sendto

#define LIVE 32
#define PEERS 128
static const u8 *in, *in_end;
static jmp_buf done;
static int got[PEERS];		/* frames each peer received from this datagram */
static bool spoke[LIVE];	/* sent an honest frame (it ought to have a port) */
static bool claimed[LIVE];	/* someone else used its MAC since it last spoke */

static void peer_addr(int id, struct sockaddr_un *a, socklen_t *len)
{
	*a = (struct sockaddr_un){ .sun_family = AF_UNIX };
	if (id == PEERS - 1) {
		*len = sizeof(sa_family_t);
		return;
	}
	snprintf(a->sun_path + 1, sizeof(a->sun_path) - 1, "fz%03d", id);
	*len = offsetof(struct sockaddr_un, sun_path) + 6;
}

static int peer_id(const struct sockaddr *to, socklen_t len)
{
	const struct sockaddr_un *a = (const void *)to;
	int id;

	if (len != offsetof(struct sockaddr_un, sun_path) + 6 || a->sun_path[0] ||
	    sscanf(a->sun_path + 1, "fz%3d", &id) != 1 || id < 0 || id >= PEERS)
		abort();	/* the switch sent to an address no peer has */
	return id;
}

static ssize_t fake_sendto(int fd, const void *buf, size_t n, int flags,
			   const struct sockaddr *to, socklen_t len)
{
	int id = peer_id(to, len);
	volatile const u8 *b = buf;

	(void)fd, (void)flags;
	if (n)
		(void)b[0], (void)b[n - 1];
	if (id >= LIVE) {
		errno = ECONNREFUSED;
		return -1;
	}
	got[id]++;
	return n;
}

static const u8 *mac_of(int id)
{
	static u8 mac[6] = { 2, 0, 0, 0, 0, 0 };

	mac[5] = id;
	return mac;
}

static int owner(const u8 *mac)		/* the live Guest with this MAC, or -1 */
{
	return memcmp(mac, mac_of(0), 5) == 0 && mac[5] < LIVE ? mac[5] : -1;
}

/* What the previous datagram promised, checked once the switch is done with it. */
static struct { int from, to; bool bcast, honest; } last = { -1, -1, false, false };

static void check_last(void)
{
	if (last.from < 0 || !last.honest || last.from >= LIVE || fuzz_skip_known())
		return;		/* (both checks are issue 10's bugs) */
	for (int t = 0; t < LIVE; t++) {
		if (t == last.from || !spoke[t] || got[t])
			continue;
		if (last.bcast) {
			fprintf(stderr, "fuzz-switch: a broadcast from live Guest %d did not reach "
				"live Guest %d: is it locked out of the port table?\n", last.from, t);
			abort();
		}
		if (t == last.to && !claimed[t]) {
			fprintf(stderr, "fuzz-switch: a frame from Guest %d to Guest %d's MAC went "
				"elsewhere: its traffic was stolen\n", last.from, t);
			abort();
		}
	}
}

static ssize_t fake_recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *from,
			     socklen_t *len)
{
	int sender, o;
	size_t size;
	u8 *f = buf;

	(void)fd, (void)flags;
	check_last();
	if (in_end - in < 2)
		longjmp(done, 1);
	sender = *in++, size = *in++;
	if (size > (size_t)(in_end - in))
		size = in_end - in;
	if (size > n)
		size = n;
	memcpy(f, in, size);
	in += size;
	last.from = sender & 127, last.honest = (sender & 128) && size >= ETH_HEADER;
	if (last.honest)
		memcpy(f + 6, mac_of(last.from), 6);
	last.bcast = size >= 6 && memcmp(f, "\xff\xff\xff\xff\xff\xff", 6) == 0;
	last.to = size >= 6 ? owner(f) : -1;
	if (size >= ETH_HEADER && last.from != PEERS - 1 && (o = owner(f + 6)) >= 0) {
		if (o == last.from)
			claimed[o] = false;
		else
			claimed[o] = true;
	}
	if (last.honest && last.from < LIVE)
		spoke[last.from] = true;
	memset(got, 0, sizeof(got));
	peer_addr(last.from, (struct sockaddr_un *)from, len);
	return size;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	char *argv[] = { "switch", "/nonexistent/fuzz-switch", NULL };

	memset(ports, 0, sizeof(ports));
	nr_ports = 0;
	memset(spoke, 0, sizeof(spoke));
	memset(claimed, 0, sizeof(claimed));
	last.from = -1;
	in = data, in_end = data + size;
	if (setjmp(done) == 0)
		switch_main(2, argv);
	return 0;
}
