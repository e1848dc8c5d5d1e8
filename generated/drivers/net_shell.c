/* Tangled from chapters/23-drivers-net.nw by `make tangle`: edit the chapter, not this file. */
/*D:850 The shell's network file. :*/
/* The shell's network commands: ping, ip, udp, netbench. */
#include "drivers.h"
#include "net.h"

#define PING_DATA	56

/*D:852 Waiting.
 * Every wait in this file has the same shape: a condition that an interrupt
 * handler will make true (a reply came, ARP learnt an address), and a
 * deadline. The loop is the one every sleeper in this Guest uses (*G:825*):
 * disable interrupts, check, and halt only if there is still reason to,
 * with a clock event set at the deadline so that the halt ends by then at
 * the latest. Any interrupt ends the halt, and we check again. A Ctrl-C
 * waiting in the console's input (*D:336*) ends the wait too, unsatisfied:
 * the user has stopped waiting. :*/
static int net_wait(int (*done)(void *arg), void *arg, u64 deadline)
{
	int ok;

	for (;;) {
		irq_disable();
		ok = done(arg);
		if (ok || console_interrupt_pending() || clock_tsc() >= deadline)
			break;
		clock_event_at(deadline);
		guest_halt();
	}
	irq_enable();
	return ok;
}

static u64 net_seconds(u64 s)
{
	return clock_tsc() + clock_ns_to_tsc(s * NSEC_PER_SEC);
}
/*:*/
/*D:855 Resolving an address.
 * Before the first echo request we need the neighbour's MAC address. If the
 * cache has it, we are done; otherwise we broadcast an ARP request and wait
 * up to a second for the answer, three times. The stack learns the answer in
 * interrupt context (*D:730*); we only look at its cache. :*/
struct resolve {
	struct net_if *nif;
	u32 ip;
};

static int arp_known(void *arg)
{
	struct resolve *r = arg;
	u8 mac[ETH_ALEN];

	return net_arp_lookup(r->nif, r->ip, mac);
}

static int net_resolve(struct net_if *nif, u32 ip)
{
	struct resolve r = { nif, ip };

	for (int tries = 0; tries < 3 && !console_interrupt_pending(); tries++) {
		u64 flags = irq_save();
		int known = arp_known(&r);

		if (!known)
			net_arp_request(nif, ip);
		irq_restore(flags);
		if (known || net_wait(arp_known, &r, net_seconds(1)))
			return 0;
	}
	return -1;
}
/*:*/
/*D:860 The outstanding ping.
 * One ping at a time is outstanding, described by the address it went to,
 * its identifier and its sequence number. The stack calls `net_ping_reply`
 * in interrupt context for every echo reply; the one that matches all three
 * records when it came. Anything else, a late reply to an earlier request or
 * a reply to someone else's ping, is ignored. The identifier is new for each
 * `ping` command, from the cycle counter, so that replies to an earlier
 * command cannot be mistaken for ours. :*/
static struct {
	u32 dst;
	u16 id, seq;
	volatile int replied;
	u32 len;
	u64 reply_tsc;
} ping;

void net_ping_reply(struct net_if *nif, u32 from, u16 id, u16 seq, u32 len)
{
	(void)nif;
	if (from != ping.dst || id != ping.id || seq != ping.seq || ping.replied)
		return;
	ping.reply_tsc = clock_tsc();
	ping.len = len;
	ping.replied = 1;
}

static int ping_replied(void *arg)
{
	(void)arg;
	return ping.replied;
}
/*:*/
/*D:862 One request.
 * Sending goes through the stack with interrupts disabled (the stack is not
 * re-entrant, and an interrupt might otherwise answer someone while we are
 * half-way through our own frame). We wait for the reply until `deadline`,
 * a second after the request, and print the line scripts look for:
 * `64 bytes from 10.0.0.2: icmp_seq=1 time=0.734 ms`. The time is the
 * round trip measured with the cycle counter, in microseconds; the function
 * returns it, or -1 if no reply came. :*/
static s64 ping_once(struct net_if *nif, u16 seq, u64 deadline)
{
	u64 flags, sent, us;

	ping.seq = seq;
	ping.replied = 0;
	flags = irq_save();
	sent = clock_tsc();
	net_send_echo(nif, ping.dst, ping.id, seq, PING_DATA);
	irq_restore(flags);
	if (!net_wait(ping_replied, NULL, deadline)) {
		if (!console_interrupt_pending())
			console_printf("no reply for icmp_seq=%u\n", seq);
		return -1;
	}
	us = clock_tsc_to_ns(ping.reply_tsc - sent) / 1000;
	console_printf("%u bytes from " NET_IP_FMT ": icmp_seq=%u time=%llu.%03llu ms\n",
		       ping.len, NET_IP_ARGS(ping.dst), seq, us / 1000, us % 1000);
	return (s64)us;
}
/*:*/
/*D:865 The ping command.
 * `ping ADDR [COUNT]` sends COUNT requests (3 unless told), one a second,
 * and ends with the summary every `ping` prints: how many went, how many came
 * back, and the least, mean and greatest round trip. It succeeds if any
 * reply came. Ctrl-C stops it (*D:336*), during the wait for an address, a
 * reply or the next second, and the summary then counts the requests sent
 * so far, as every `ping` does. :*/
static int net_ping(struct net_if *nif, u32 dst, u64 count)
{
	u64 received = 0, min = ~0ULL, max = 0, sum = 0;

	console_printf("PING " NET_IP_FMT ": %u data bytes\n", NET_IP_ARGS(dst), PING_DATA);
	if (net_resolve(nif, dst) < 0) {
		if (!console_interrupt())
			console_printf("ping: " NET_IP_FMT ": no answer to ARP\n", NET_IP_ARGS(dst));
		return 1;
	}
	ping.dst = dst;
	ping.id = (u16)clock_tsc();
	for (u64 seq = 1; seq <= count; seq++) {
		u64 next = net_seconds(1);
		s64 us = ping_once(nif, (u16)seq, next);

		if (us >= 0) {
			received++, sum += us;
			min = (u64)us < min ? (u64)us : min;
			max = (u64)us > max ? (u64)us : max;
		}
		if ((seq < count && console_sleep_until(next)) || console_interrupt()) {
			count = seq;
			break;
		}
	}
	console_printf("--- " NET_IP_FMT " ping statistics ---\n", NET_IP_ARGS(dst));
	console_printf("%llu packets transmitted, %llu received, %llu%% packet loss\n",
		       count, received, (count - received) * 100 / count);
	if (received)
		console_printf("rtt min/avg/max = %llu.%03llu/%llu.%03llu/%llu.%03llu ms\n",
			       min / 1000, min % 1000, sum / received / 1000,
			       sum / received % 1000, max / 1000, max % 1000);
	return received ? 0 : 1;
}
/*:*/
/*D:868 Checking the arguments.
 * Before any of that, the arguments, with an error message for each way
 * they can be wrong, and each message names the one thing that is: a word
 * that is not an address, a count that is not a count, a Guest with no card
 * or no address (neither can ping), an address outside our /24 (which would
 * need a router we do not have), and, once we try, a neighbour that does not
 * answer ARP. `udp` has the same ways to fail, and one more of its own, so the
 * checks of address and peer are shared; each prints its message with the
 * command's name in front, and returns nonzero if it printed one. :*/
static int net_bad_address(const char *cmd, const char *word, u32 *dst)
{
	if (net_parse_ip(word, dst) == 0)
		return 0;
	console_printf("%s: %s is not an IPv4 address\n", cmd, word);
	return 1;
}

static int net_bad_peer(const char *cmd, struct net_if *nif, const char *word, u32 dst)
{
	if (!nif || !nif->ip)
		console_printf("%s: %s\n", cmd, nif ? "this Guest has no address (boot it with ip=ADDR)"
			       : "no network card");
	else if ((dst ^ nif->ip) & 0xffffff00 || dst == nif->ip)
		console_printf("%s: %s is %s\n", cmd, word, dst == nif->ip ? "this Guest"
			       : "not on our /24, and we have no router");
	else
		return 0;
	return 1;
}
/*:*/
/*D:868, continued :*/
int cmd_ping(int argc, char **argv)
{
	struct net_if *nif = net_default();
	u64 count = 3;
	int ok = 1;
	u32 dst;

	if (argc < 2 || argc > 3) {
		console_printf("usage: ping ADDR [COUNT]\n");
		return 1;
	}
	if (net_bad_address("ping", argv[1], &dst))
		return 1;
	if (argc == 3 && (!(count = parse_u64(argv[2], &ok)) || !ok)) {
		console_printf("ping: %s is not a count (1 or more)\n", argv[2]);
		return 1;
	}
	if (net_bad_peer("ping", nif, argv[1], dst))
		return 1;
	return net_ping(nif, dst, count);
}
/*:*/
/*D:870 The interface, and its counters.
 * `ip` shows the card's addresses and the stack's counters, which are what
 * to look at when a ping goes unanswered: were frames received at all, and
 * if so, why were they dropped? `ip ADDR` changes the address, and
 * announces the new one (*D:730*). :*/
static void net_announce_safely(struct net_if *nif)
{
	u64 flags = irq_save();

	net_arp_announce(nif);
	irq_restore(flags);
}

int cmd_ip(int argc, char **argv)
{
	struct net_if *nif = net_default();
	struct net_stats *s;

	if (!nif) {
		console_printf("ip: no network card\n");
		return 1;
	}
	if (argc == 2 && net_parse_ip(argv[1], &nif->ip) < 0)
		console_printf("ip: %s is not an IPv4 address\n", argv[1]);
	else if (argc == 2)
		net_announce_safely(nif);
	s = &nif->stats;
	console_printf("net0: MAC %02x:%02x:%02x:%02x:%02x:%02x IP " NET_IP_FMT "/24\n",
		       nif->mac[0], nif->mac[1], nif->mac[2], nif->mac[3], nif->mac[4],
		       nif->mac[5], NET_IP_ARGS(nif->ip));
	console_printf("  rx %llu frames %llu bytes, tx %llu frames %llu bytes\n",
		       s->rx_frames, s->rx_bytes, s->tx_frames, s->tx_bytes);
	console_printf("  dropped: %llu not for us, %llu malformed, %llu bad checksum, "
		       "%llu unsupported\n", s->not_for_us, s->malformed, s->bad_checksum,
		       s->unsupported);
	console_printf("  answered: %llu ARP, %llu echo, %llu UDP echo\n",
		       s->arp_replies_sent, s->echo_replies_sent, s->udp_echoed);
	return 0;
}
/*:*/
/*D:875 A datagram and its answer.
 * `udp ADDR PORT TEXT` sends TEXT to a port and prints what comes back
 * within a second: pointed at port 7 of another Guest it shows that Guest's
 * echo service at work, and pointed at a host's it tests the host's. The
 * answer is recognised by its address and ports: it comes from where we
 * sent, to the port we sent from, which is new for every command (the upper
 * half of the port numbers, chosen from the cycle counter, as a host picks
 * its "ephemeral" ports). The stack calls `udp_reply` in interrupt context
 * for every datagram that is not for the discard port. The answer can be as
 * long as anything we can type, a shell line. :*/
#define UDP_TEXT_MAX	128

static struct {
	u32 peer;
	u16 peer_port, port;
	volatile int got;
	char text[UDP_TEXT_MAX];
} udp_wait;

static void udp_reply(u32 from, u16 sport, u16 dport, const u8 *data, u32 len)
{
	if (udp_wait.got || from != udp_wait.peer || sport != udp_wait.peer_port ||
	    dport != udp_wait.port)
		return;
	len = len < sizeof(udp_wait.text) - 1 ? len : sizeof(udp_wait.text) - 1;
	memcpy(udp_wait.text, data, len);
	udp_wait.text[len] = '\0';
	udp_wait.got = 1;
}

static int udp_answered(void *arg)
{
	(void)arg;
	return udp_wait.got;
}
/*D:876 Text of several words.
 * The shell cut the line into words at its spaces, so `udp 10.0.0.2 7 hello
 * world` arrives as five words, and a command that sent only the fourth would
 * send `hello` and drop the rest without a word. The text is every word from
 * the fourth on, joined again with single spaces (a run of spaces in the line
 * becomes one, as in any shell without quotes). A line is at most
 * `UDP_TEXT_MAX` bytes, so the joined words always fit; we check anyway. :*/
static u32 join_words(int argc, char **argv, char *buf, u32 size)
{
	u32 len = 0;

	for (int i = 0; i < argc; i++) {
		u32 n = strlen(argv[i]);

		if (len + (i > 0) + n >= size)
			break;
		if (i > 0)
			buf[len++] = ' ';
		memcpy(buf + len, argv[i], n);
		len += n;
	}
	buf[len] = '\0';
	return len;
}
/*:*/
/*D:877 The udp command.
 * Its failures are told apart as `ping`'s are (D:868): a missing argument is
 * the usage, then a bad address, a port that is not 1 to 65535, no card, no
 * address of our own, a peer off our /24, no answer to ARP, and last no
 * answer to the datagram itself. Only the last two need the network, and the
 * ARP one is worth its own line: "no answer" alone would send the reader
 * looking at the far Guest's echo service when the far Guest is not there. :*/
int cmd_udp(int argc, char **argv)
{
	struct net_if *nif = net_default();
	char text[UDP_TEXT_MAX];
	int ok = 0, sent;
	u64 port = argc >= 4 ? parse_u64(argv[2], &ok) : 0, flags;
	u32 dst, len;

	if (argc < 4) {
		console_printf("usage: udp ADDR PORT TEXT\n");
		return 1;
	}
	if (net_bad_address("udp", argv[1], &dst))
		return 1;
	if (!ok || !port || port > 65535) {
		console_printf("udp: %s is not a port (1 to 65535)\n", argv[2]);
		return 1;
	}
	if (net_bad_peer("udp", nif, argv[1], dst))
		return 1;
	if (net_resolve(nif, dst) < 0) {
		console_printf("udp: %s: no answer to ARP\n", argv[1]);
		return 1;
	}
	len = join_words(argc - 3, argv + 3, text, sizeof(text));
	udp_wait.peer = dst, udp_wait.peer_port = (u16)port;
	udp_wait.port = 0x8000 | (u16)clock_tsc(), udp_wait.got = 0;
	flags = irq_save();
	sent = net_send_udp(nif, dst, udp_wait.port, (u16)port, text, len);
	irq_restore(flags);
	if (sent < 0 || !net_wait(udp_answered, NULL, net_seconds(1))) {
		console_printf("udp: no answer from %s port %llu\n", argv[1], port);
		return 1;
	}
	console_printf("udp: answer from %s port %llu: %s\n", argv[1], port, udp_wait.text);
	return 0;
}
/*:*/
/*:*/
/*D:880 The receiving side.
 * The stack hands every datagram for a port other than echo to the driver
 * (*D:745*), which hands it here. Port 9's datagrams are counted, with the
 * time of the first and the last, so that the rate is bytes over the time
 * between them; anything else may be the answer the `udp` command waits for
 * (*D:875*). :*/
#define UDP_PORT_DISCARD 9

static struct {
	volatile u64 datagrams;
	u64 bytes, first, last;
} sink;
static char bench_args[40];
static int bench_mode;

void net_udp_input(struct net_if *nif, u32 from, u16 sport, u16 dport,
		   const u8 *data, u32 len)
{
	(void)nif;
	if (dport != UDP_PORT_DISCARD) {
		udp_reply(from, sport, dport, data, len);
		return;
	}
	sink.last = clock_tsc();
	if (!sink.datagrams)
		sink.first = sink.last;
	sink.bytes += len;
	sink.datagrams++;
}
static void net_print_rate(const char *what, u64 n, u64 bytes, u64 cycles)
{
	u64 us = clock_tsc_to_ns(cycles) / 1000, rate = us ? bytes * 100 / us : 0;
	char line[120];

	snprintf(line, sizeof(line),
		 "netbench: %s %llu datagrams, %llu bytes in %llu us: %llu.%02llu MB/s\n",
		 what, n, bytes, us, rate / 100, rate % 100);
	console_write(line, strlen(line));
	if (bench_mode)
		printk("%s", line);
}
static void net_sink_report(void)
{
	u64 flags = irq_save();

	net_print_rate("received", sink.datagrams, sink.bytes, sink.last - sink.first);
	sink.datagrams = sink.bytes = 0;
	irq_restore(flags);
}
/*D:885 The sending side.
 * The sender must not outrun its own card: a datagram handed to a full
 * transmit queue is dropped at once (*D:830*), and a benchmark that measures
 * its own drops measures nothing. So before each datagram it waits for a
 * free transmit buffer (`net_tx_wait`, *D:890*), then sends. It runs for a
 * given number of seconds and reports what it sent. :*/
static int net_blast(struct net_if *nif, u32 dst, u64 seconds, u32 size)
{
	static u8 payload[NET_UDP_MAX];
	u64 start, end, sent = 0;

	if (net_resolve(nif, dst) < 0) {
		console_printf("netbench: " NET_IP_FMT ": no answer to ARP\n", NET_IP_ARGS(dst));
		return 1;
	}
	start = clock_tsc();
	end = net_seconds(seconds);
	while (net_tx_wait(nif, end)) {
		u64 flags = irq_save();

		sent += net_send_udp(nif, dst, UDP_PORT_DISCARD, UDP_PORT_DISCARD,
				     payload, size) == 0;
		irq_restore(flags);
	}
	net_print_rate("sent", sent, sent * size, clock_tsc() - start);
	return 0;
}
/*:*/
/*D:887 The command.
 * `netbench ADDR SECONDS [SIZE]` sends; `netbench` alone reports what the
 * discard port received since it last asked, and starts counting afresh.
 * The size is the UDP payload, at most 1472 bytes (1500 less the IP and UDP
 * headers); the default fills a frame. :*/
int cmd_netbench(int argc, char **argv)
{
	struct net_if *nif = net_default();
	u64 seconds = 0, size = NET_UDP_MAX;
	int ok = 1, ok2 = 1;
	u32 dst = 0;

	if (argc == 1) {
		net_sink_report();
		return 0;
	}
	if (argc >= 3)
		seconds = parse_u64(argv[2], &ok);
	if (argc >= 4)
		size = parse_u64(argv[3], &ok2);
	if (argc > 4 || net_parse_ip(argv[1], &dst) < 0 || !ok || !ok2 || !seconds ||
	    !size || size > NET_UDP_MAX || !nif || !nif->ip) {
		console_printf("usage: netbench [ADDR SECONDS [SIZE]] (with a card and ip=ADDR)\n");
		return 1;
	}
	return net_blast(nif, dst, seconds, (u32)size);
}
/*:*/
/*D:889 At boot.
 * Benchmarks run by script are easier without a shell to drive, so both
 * sides can also be asked for on the Guest's command line, and power off
 * when done: `bench=net-send:ADDR:SECONDS` sends, and `bench=net-recv`
 * waits for the first datagram (up to a minute), counts until a second goes
 * by with none, reports, and powers off. :*/
int net_bench_option(const char *word)
{
	if (!strcmp(word, "net-recv"))
		bench_mode = 1;
	else if (str_starts(word, "net-send:") && strlen(word + 9) < sizeof(bench_args))
		bench_mode = 2, memcpy(bench_args, word + 9, strlen(word + 9) + 1);
	else
		return 0;
	return 1;
}

static int sink_changed(void *seen)
{
	return sink.datagrams != *(u64 *)seen;
}
static int net_bench_recv(void)
{
	u64 seen = 0;

	if (!net_wait(sink_changed, &seen, net_seconds(60))) {
		console_printf("netbench: nothing arrived in a minute\n");
		return 1;
	}
	do
		seen = sink.datagrams;
	while (net_wait(sink_changed, &seen, net_seconds(1)));
	net_sink_report();
	return 0;
}
void net_bench_boot(void)
{
	char *argv[4] = { "netbench", bench_args, NULL, NULL };
	char *colon = bench_args;

	if (!bench_mode)
		return;
	if (bench_mode == 1)
		guest_poweroff(net_bench_recv());
	while (*colon && *colon != ':')
		colon++;
	if (*colon)
		*colon++ = '\0', argv[2] = colon;
	guest_poweroff(cmd_netbench(argv[2] ? 3 : 2, argv));
}
/*:*/
/*:*/
/*:*/
