/*
 * swclient: plays careless and hostile neighbours of `lguest switch PATH`
 * (tests/net/test-switch.sh).  Each mode prints one line and exits 0 when the
 * switch behaved, 1 when it did not:
 *
 *   swclient PATH throwaway N    N sockets each say hello and are closed
 *   swclient PATH hold N SECS    N sockets say hello and stay open, silent
 *   swclient PATH pair           two clients reach each other (broadcast, unicast)
 *   swclient PATH steal          a third port claims a live port's MAC address
 *   swclient PATH moved          ... and the address of a port that has gone
 *   swclient PATH garbage        runts, oversize datagrams and junk, then a pair
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

typedef unsigned char u8;
static struct sockaddr_un sw = { .sun_family = AF_UNIX };
static const u8 bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* A socket with an address of its own, connected to the switch, said hello. */
static int client(void)
{
	sa_family_t autobind = AF_UNIX;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&autobind, sizeof(autobind)) < 0 ||
	    connect(fd, (struct sockaddr *)&sw, sizeof(sw)) < 0 || send(fd, "", 0, 0) < 0) {
		printf("cannot reach the switch at %s: %s\n", sw.sun_path, strerror(errno));
		exit(1);
	}
	return fd;
}

static void mac(u8 *m, int who)
{
	int pid = getpid();

	m[0] = 0x02, m[1] = 0xee, m[2] = pid >> 16, m[3] = pid >> 8, m[4] = pid, m[5] = who;
}

static void send_frame(int fd, const u8 *dst, const u8 *src, const char *text)
{
	u8 f[64] = { 0 };

	memcpy(f, dst, 6), memcpy(f + 6, src, 6);
	f[12] = 0x88, f[13] = 0xb5;
	snprintf((char *)f + 14, sizeof(f) - 14, "%s", text);
	send(fd, f, sizeof(f), 0);
}

/* Wait up to MS for a frame carrying TEXT; frames of other texts are skipped.
 * The size of the largest datagram seen is kept in *BIGGEST if asked. */
static bool got(int fd, const char *text, int ms, size_t *biggest)
{
	static u8 buf[1 << 17];

	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;

		if (poll(&p, 1, ms) <= 0)
			return false;
		n = recv(fd, buf, sizeof(buf), MSG_TRUNC);
		if (biggest && n > 0 && (size_t)n > *biggest)
			*biggest = n;
		if (n >= 14 + (ssize_t)strlen(text) && memcmp(buf + 14, text, strlen(text)) == 0)
			return true;
	}
}

static int pair(void)
{
	int a = client(), b = client();
	u8 ma[6], mb[6];

	mac(ma, 1), mac(mb, 2);
	send_frame(a, bcast, ma, "broadcast from a");
	if (!got(b, "broadcast from a", 2000, NULL))
		return printf("pair: b did not get a's broadcast\n"), 1;
	send_frame(b, ma, mb, "unicast to a");
	if (!got(a, "unicast to a", 2000, NULL))
		return printf("pair: a did not get b's unicast\n"), 1;
	return printf("pair: a and b reach each other\n"), 0;
}

static int many(int n, int secs)
{
	int *fd = calloc(n, sizeof(int));

	for (int i = 0; i < n; i++)
		fd[i] = client();
	if (secs == 0)
		for (int i = 0; i < n; i++)
			close(fd[i]);
	printf("%d sockets said hello%s\n", n, secs ? " and wait" : " and are gone");
	fflush(stdout);
	sleep(secs);
	return 0;
}

/* A and B are known to the switch; X claims A's address. */
static int steal(bool a_gone)
{
	int a = client(), b = client(), x = client();
	u8 ma[6], mb[6], mx[6];

	mac(ma, 1), mac(mb, 2), mac(mx, 3);
	send_frame(a, bcast, ma, "hello from a");
	send_frame(b, bcast, mb, "hello from b");
	send_frame(x, bcast, mx, "hello from x");
	if (!got(b, "hello from a", 2000, NULL) || !got(a, "hello from b", 2000, NULL))
		return printf("steal: a and b do not reach each other\n"), 1;
	if (a_gone)
		close(a);
	send_frame(x, mb, ma, "forged by x");
	if (a_gone)
		return got(b, "forged by x", 1000, NULL) ?
			printf("moved: the address of a gone port moved to x\n"), 0 :
			(printf("moved: x could not take the address of a port that has gone\n"), 1);
	if (got(b, "forged by x", 300, NULL))
		return printf("steal: x's frame with a's address was forwarded\n"), 1;
	send_frame(b, ma, mb, "unicast to a");
	if (got(x, "unicast to a", 300, NULL))
		return printf("steal: a's traffic went to x\n"), 1;
	if (!got(a, "unicast to a", 2000, NULL))
		return printf("steal: a's traffic did not reach a\n"), 1;
	return printf("steal: a keeps its address and its traffic\n"), 0;
}

static int garbage(void)
{
	int a = client(), g = client(), bufsize = 1 << 20;
	static u8 junk[200000];
	size_t biggest = 0;
	u8 mg[6];

	mac(mg, 9);
	setsockopt(g, SOL_SOCKET, SO_SNDBUF, &bufsize, sizeof(bufsize));
	srand(getpid());
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = rand();
	memcpy(junk, bcast, 6), memcpy(junk + 6, mg, 6);
	for (int n = 1; n < 14; n++)
		send(g, junk, n, 0);
	send(g, junk, 2000, 0);
	send(g, junk, 100000, 0);
	for (int i = 0; i < 300; i++)
		send(g, junk + (rand() & 0xfff), rand() % 1600, 0);
	got(a, "no such text", 500, &biggest);
	if (biggest > 1518)
		return printf("garbage: the switch passed on a datagram of %zu bytes\n", biggest), 1;
	return pair();
}

int main(int argc, char *argv[])
{
	if (argc < 3 || strlen(argv[1]) >= sizeof(sw.sun_path))
		return fprintf(stderr, "usage: swclient PATH MODE [ARGS]\n"), 2;
	strcpy(sw.sun_path, argv[1]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(argv[2], "throwaway") == 0 && argc == 4)
		return many(atoi(argv[3]), 0);
	if (strcmp(argv[2], "hold") == 0 && argc == 5)
		return many(atoi(argv[3]), atoi(argv[4]));
	if (strcmp(argv[2], "pair") == 0)
		return pair();
	if (strcmp(argv[2], "steal") == 0)
		return steal(false);
	if (strcmp(argv[2], "moved") == 0)
		return steal(true);
	if (strcmp(argv[2], "garbage") == 0)
		return garbage();
	return fprintf(stderr, "swclient: unknown mode %s\n", argv[2]), 2;
}
