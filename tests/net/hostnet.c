/* The host's end of the network tests, so that they need no ping or netcat:
 *   hostnet ping ADDR COUNT          ICMP echo (raw socket: root), one line per reply
 *   hostnet udpecho ADDR TEXT        a datagram to ADDR's port 7; expects TEXT back
 *   hostnet sink PORT WAIT_S         counts UDP datagrams on PORT until a second of
 *                                    silence after the first (or WAIT_S with none)
 * Exit status 0 on success. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static unsigned short csum(const void *p, int len)
{
	const unsigned char *b = p;
	unsigned long s = 0;

	for (int i = 0; i < len; i++)
		s += (i & 1) ? b[i] : b[i] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons(~s & 0xffff);
}

static int wait_readable(int fd, double seconds)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, (int)(seconds * 1000)) > 0;
}

static int do_ping(const char *addr, int count)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), got = 0;
	unsigned short id = getpid() & 0xffff;

	if (fd < 0 || inet_pton(AF_INET, addr, &to.sin_addr) != 1) {
		perror("hostnet ping");
		return 2;
	}
	for (int seq = 1; seq <= count; seq++) {
		unsigned char pkt[64] = { 0 }, buf[2048];
		struct icmphdr *h = (struct icmphdr *)pkt;
		double sent = now();

		h->type = ICMP_ECHO, h->un.echo.id = htons(id), h->un.echo.sequence = htons(seq);
		for (int i = 8; i < 64; i++)
			pkt[i] = i;
		h->checksum = csum(pkt, sizeof(pkt));
		sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&to, sizeof(to));
		while (now() < sent + 1 && wait_readable(fd, sent + 1 - now())) {
			ssize_t n = recv(fd, buf, sizeof(buf), 0);
			struct iphdr *ip = (struct iphdr *)buf;
			struct icmphdr *r = (struct icmphdr *)(buf + ip->ihl * 4);

			if (n < (ssize_t)(ip->ihl * 4 + 8) || ip->saddr != to.sin_addr.s_addr ||
			    r->type != ICMP_ECHOREPLY || ntohs(r->un.echo.id) != id ||
			    ntohs(r->un.echo.sequence) != seq)
				continue;
			if (csum(r, n - ip->ihl * 4) != 0 || memcmp(r + 1, pkt + 8, 56)) {
				printf("bad reply for icmp_seq=%d\n", seq);
				continue;
			}
			printf("%d bytes from %s: icmp_seq=%d time=%.3f ms\n",
			       (int)(n - ip->ihl * 4), addr, seq, (now() - sent) * 1000);
			got++;
			break;
		}
	}
	printf("%d packets transmitted, %d received, %d%% packet loss\n", count, got,
	       (count - got) * 100 / count);
	return got == count ? 0 : 1;
}

static int do_udpecho(const char *addr, const char *text)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(7) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	char buf[2048];
	ssize_t n;

	inet_pton(AF_INET, addr, &to.sin_addr);
	connect(fd, (struct sockaddr *)&to, sizeof(to));
	for (int tries = 0; tries < 3; tries++) {
		send(fd, text, strlen(text), 0);
		if (!wait_readable(fd, 1))
			continue;
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n < 0)
			continue;
		buf[n] = '\0';
		printf("echo from %s: %s\n", addr, buf);
		return strcmp(buf, text) != 0;
	}
	printf("no echo from %s\n", addr);
	return 1;
}

/* The kernel's arrival time of a datagram (SO_TIMESTAMPNS), so that a sink
 * descheduled for a while does not see a burst and report a false rate. */
static double arrival(struct msghdr *m)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec t;

			memcpy(&t, CMSG_DATA(c), sizeof(t));
			return t.tv_sec + t.tv_nsec / 1e9;
		}
	return now();
}

/* The sink takes what is waiting in batches (recvmmsg), and sleeps in poll
 * only when nothing is: a sink that pays a poll and a recvmsg for every
 * datagram is, on a busy two-CPU machine, slower than the card it measures,
 * and then the row measures the sink.  Arrival times are the kernel's. */
#define SINK_BATCH 64

static int do_sink(int port, int wait_s)
{
	static char buf[SINK_BATCH][9216], ctl[SINK_BATCH][256];
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), size = 4 << 20, one = 1;
	struct iovec iov[SINK_BATCH];
	struct mmsghdr m[SINK_BATCH];
	unsigned long long n = 0, bytes = 0;
	double first = 0, last = 0;

	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&me, sizeof(me)) < 0) {
		perror("hostnet sink: bind");
		return 2;
	}
	printf("hostnet sink: listening on port %d\n", port);
	fflush(stdout);
	if (!wait_readable(fd, wait_s)) {
		printf("hostnet sink: nothing arrived\n");
		return 1;
	}
	for (;;) {
		int k;

		for (int i = 0; i < SINK_BATCH; i++) {
			iov[i] = (struct iovec){ buf[i], sizeof(buf[i]) };
			m[i].msg_hdr = (struct msghdr){ .msg_iov = &iov[i], .msg_iovlen = 1,
							.msg_control = ctl[i],
							.msg_controllen = sizeof(ctl[i]) };
		}
		k = recvmmsg(fd, m, SINK_BATCH, MSG_DONTWAIT, NULL);
		if (k <= 0) {
			if (!wait_readable(fd, 1))
				break;
			continue;
		}
		for (int i = 0; i < k; i++) {
			last = arrival(&m[i].msg_hdr);
			if (!n)
				first = last;
			n++, bytes += m[i].msg_len;
		}
	}
	printf("hostnet sink: received %llu datagrams, %llu bytes in %.0f us: %.2f MB/s\n",
	       n, bytes, (last - first) * 1e6, last > first ? bytes / (last - first) / 1e6 : 0);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "ping"))
		return do_ping(argv[2], atoi(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "udpecho"))
		return do_udpecho(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "sink"))
		return do_sink(atoi(argv[2]), atoi(argv[3]));
	fprintf(stderr, "usage: hostnet ping ADDR COUNT | udpecho ADDR TEXT | sink PORT WAIT_S\n");
	return 2;
}
