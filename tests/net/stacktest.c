/* The Guest's network stack (drivers/net.c) on the host: hand-made frames in,
 * the stack's answers checked byte by byte.  The checksums are recomputed here
 * with code of our own (and checked against a published example), so a wrong
 * stack checksum cannot agree with itself.  Prints ok/FAIL lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "net.h"

static const u8 our_mac[6] = { 0x02, 0x01, 0, 0, 0x12, 0x34 };
static const u8 peer_mac[6] = { 0x02, 0x02, 0, 0, 0x56, 0x78 };
#define OUR_IP  0x0a000001u	/* 10.0.0.1 */
#define PEER_IP 0x0a000002u	/* 10.0.0.2 */

static u8 sent[16][2048];
static u32 sent_len[16];
static int nsent;
static int failures;

static struct { u32 from; u16 id, seq; u32 len; int n; } echo;
static struct { u32 from; u16 sport, dport; u8 data[2048]; u32 len; int n; } udp;

static void transmit(struct net_if *nif, const u8 *frame, u32 len)
{
	(void)nif;
	if (nsent < 16) {
		memcpy(sent[nsent], frame, len);
		sent_len[nsent] = len;
	}
	nsent++;
}

static void on_echo(struct net_if *nif, u32 from, u16 id, u16 seq, u32 len)
{
	(void)nif;
	echo.from = from, echo.id = id, echo.seq = seq, echo.len = len, echo.n++;
}

static void on_udp(struct net_if *nif, u32 from, u16 sport, u16 dport, const u8 *d, u32 len)
{
	(void)nif;
	udp.from = from, udp.sport = sport, udp.dport = dport, udp.len = len, udp.n++;
	memcpy(udp.data, d, len);
}

static struct net_if nif;

static void reset(void)
{
	memset(&nif, 0, sizeof(nif));
	memcpy(nif.mac, our_mac, 6);
	nif.ip = OUR_IP;
	nif.transmit = transmit;
	nif.echo_reply = on_echo;
	nif.udp_input = on_udp;
	nsent = 0;
	memset(&echo, 0, sizeof(echo));
	memset(&udp, 0, sizeof(udp));
}

static void check(const char *name, int cond, const char *why)
{
	if (cond) {
		printf("ok net-stack-%s\n", name);
	} else {
		printf("FAIL net-stack-%s: %s\n", name, why);
		failures++;
	}
}

/* ---- the test's own byte helpers and checksum */
static void w16(u8 *p, unsigned v) { p[0] = v >> 8; p[1] = v; }
static void w32(u8 *p, u32 v) { w16(p, v >> 16); w16(p + 2, v & 0xffff); }
static unsigned r16(const u8 *p) { return p[0] * 256u + p[1]; }
static u32 r32(const u8 *p) { return (u32)r16(p) * 65536u + r16(p + 2); }

static unsigned ref_sum(const u8 *p, size_t len, unsigned long start)
{
	unsigned long s = start;
	size_t i;

	for (i = 0; i < len; i++)
		s += (i % 2 == 0) ? p[i] * 256ul : p[i];
	while (s > 0xffff)
		s = (s & 0xffff) + (s / 65536);
	return (unsigned)(~s & 0xffff);
}

static unsigned long pseudo(u32 src, u32 dst, unsigned len)
{
	return (src / 65536) + (src & 0xffff) + (dst / 65536) + (dst & 0xffff) + 17 + len;
}

/* ---- frame builders */
static u32 eth(u8 *f, const u8 *dst, const u8 *src, unsigned type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	w16(f + 12, type);
	return 14;
}

static u32 arp(u8 *f, unsigned op, const u8 *sha, u32 spa, const u8 *tha, u32 tpa)
{
	static const u8 bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	u8 *a = f + eth(f, op == 1 ? bcast : tha, sha, 0x0806);

	w16(a, 1); w16(a + 2, 0x0800); a[4] = 6; a[5] = 4; w16(a + 6, op);
	memcpy(a + 8, sha, 6); w32(a + 14, spa);
	memcpy(a + 18, tha, 6); w32(a + 24, tpa);
	memset(a + 28, 0, 18);			/* Ethernet padding to 60 bytes */
	return 60;
}

static u32 ipv4(u8 *f, u32 src, u32 dst, unsigned proto, const u8 *payload, unsigned len)
{
	u8 *ip = f + eth(f, our_mac, peer_mac, 0x0800);

	memset(ip, 0, 20);
	ip[0] = 0x45; w16(ip + 2, 20 + len); w16(ip + 4, 0x1234); w16(ip + 6, 0x4000);
	ip[8] = 64; ip[9] = proto; w32(ip + 12, src); w32(ip + 16, dst);
	w16(ip + 10, ref_sum(ip, 20, 0));
	memcpy(ip + 20, payload, len);
	return 14 + 20 + len;
}

static unsigned icmp_echo(u8 *m, unsigned type, unsigned id, unsigned seq, unsigned dlen)
{
	m[0] = type; m[1] = 0; w16(m + 2, 0); w16(m + 4, id); w16(m + 6, seq);
	for (unsigned i = 0; i < dlen; i++)
		m[8 + i] = (u8)(i * 7 + 3);
	w16(m + 2, ref_sum(m, 8 + dlen, 0));
	return 8 + dlen;
}

static unsigned udp_dgram(u8 *u, u32 src, u32 dst, unsigned sport, unsigned dport,
			  const char *text, int with_sum)
{
	unsigned len = 8 + strlen(text);

	w16(u, sport); w16(u + 2, dport); w16(u + 4, len); w16(u + 6, 0);
	memcpy(u + 8, text, strlen(text));
	if (with_sum)
		w16(u + 6, ref_sum(u, len, pseudo(src, dst, len)));
	return len;
}

/* ---- checks on what the stack sent */
static int ip_ok(const u8 *f, u32 src, u32 dst, unsigned proto)
{
	const u8 *ip = f + 14;

	return r16(f + 12) == 0x0800 && ip[0] == 0x45 && ref_sum(ip, 20, 0) == 0 &&
	       r32(ip + 12) == src && r32(ip + 16) == dst && ip[9] == proto && ip[8] > 0;
}

static void test_checksum_vector(void)
{
	/* A published IPv4 header whose checksum is 0xb861. */
	u8 h[20] = { 0x45, 0, 0, 0x73, 0, 0, 0x40, 0, 0x40, 0x11, 0, 0,
		     0xc0, 0xa8, 0, 1, 0xc0, 0xa8, 0, 0xc7 };

	check("checksum-vector", net_checksum(h, 20) == 0xb861, "expected 0xb861");
	check("checksum-ref", ref_sum(h, 20, 0) == 0xb861, "the test's own checksum is wrong");
	h[10] = 0xb8, h[11] = 0x61;
	check("checksum-verify", net_checksum(h, 20) == 0, "a correct header must sum to 0");
	check("checksum-odd", net_checksum((const u8[]){ 1, 2, 3 }, 3) ==
	      ref_sum((const u8[]){ 1, 2, 3 }, 3, 0), "odd length");
}

static void test_arp(void)
{
	u8 f[128];
	u8 mac[6];
	u32 len;

	reset();
	len = arp(f, 1, peer_mac, PEER_IP, (const u8[6]){ 0 }, OUR_IP);
	net_input(&nif, f, len);
	check("arp-reply-sent", nsent == 1, "one ARP reply expected");
	const u8 *a = sent[0] + 14;
	check("arp-reply-form", sent_len[0] >= 42 && !memcmp(sent[0], peer_mac, 6) &&
	      !memcmp(sent[0] + 6, our_mac, 6) && r16(sent[0] + 12) == 0x0806 &&
	      r16(a) == 1 && r16(a + 2) == 0x0800 && r16(a + 6) == 2 &&
	      !memcmp(a + 8, our_mac, 6) && r32(a + 14) == OUR_IP &&
	      !memcmp(a + 18, peer_mac, 6) && r32(a + 24) == PEER_IP, "wrong ARP reply");
	check("arp-padded", sent_len[0] == 60, "frames are padded to 60 bytes");
	check("arp-learned", net_arp_lookup(&nif, PEER_IP, mac) && !memcmp(mac, peer_mac, 6),
	      "the asker's address must be cached");

	reset();
	len = arp(f, 1, peer_mac, PEER_IP, (const u8[6]){ 0 }, 0x0a000009);
	net_input(&nif, f, len);
	check("arp-other-ignored", nsent == 0 && !net_arp_lookup(&nif, PEER_IP, mac) &&
	      nif.stats.not_for_us == 1, "a request for another address must not be answered or learned");

	reset();
	nif.ip = 0;
	len = arp(f, 1, peer_mac, PEER_IP, (const u8[6]){ 0 }, 0);
	net_input(&nif, f, len);
	check("arp-no-address", nsent == 0, "a Guest without an address answers nothing");

	reset();
	net_arp_request(&nif, PEER_IP);
	a = sent[0] + 14;
	check("arp-request", nsent == 1 && !memcmp(sent[0], "\xff\xff\xff\xff\xff\xff", 6) &&
	      r16(a + 6) == 1 && r32(a + 24) == PEER_IP && r32(a + 14) == OUR_IP,
	      "a broadcast request for the peer");
	len = arp(f, 2, peer_mac, PEER_IP, our_mac, OUR_IP);
	net_input(&nif, f, len);
	check("arp-reply-learned", nsent == 1 && net_arp_lookup(&nif, PEER_IP, mac) &&
	      !memcmp(mac, peer_mac, 6), "a reply is learned and not answered");

	/* A known sender's new MAC is learnt even from a request for someone else. */
	u8 new_mac[6] = { 0x02, 0x09, 9, 9, 9, 9 };
	len = arp(f, 1, new_mac, PEER_IP, (const u8[6]){ 0 }, 0x0a000009);
	net_input(&nif, f, len);
	check("arp-refresh", net_arp_lookup(&nif, PEER_IP, mac) && !memcmp(mac, new_mac, 6),
	      "RFC 826: a known sender's entry is refreshed");

	/* Nine addresses in eight slots: the first is forgotten, the last kept. */
	reset();
	for (u32 i = 0; i < 9; i++) {
		len = arp(f, 2, peer_mac, 0x0a000010 + i, our_mac, OUR_IP);
		net_input(&nif, f, len);
	}
	check("arp-cache-full", !net_arp_lookup(&nif, 0x0a000010, mac) &&
	      net_arp_lookup(&nif, 0x0a000018, mac) && net_arp_lookup(&nif, 0x0a000011, mac),
	      "the oldest entry makes room");
}

static void test_icmp(void)
{
	u8 f[2048], m[1600];
	unsigned mlen;
	u32 len;

	reset();
	mlen = icmp_echo(m, 8, 0x4242, 7, 56);
	len = ipv4(f, PEER_IP, OUR_IP, 1, m, mlen);
	net_input(&nif, f, len);
	check("echo-answered", nsent == 1, "one echo reply expected");
	const u8 *r = sent[0] + 34;
	check("echo-reply-ip", ip_ok(sent[0], OUR_IP, PEER_IP, 1) && !memcmp(sent[0], peer_mac, 6) &&
	      r16(sent[0] + 16) == 20 + mlen, "IP header of the reply");
	check("echo-reply-icmp", r[0] == 0 && r[1] == 0 && r16(r + 4) == 0x4242 && r16(r + 6) == 7 &&
	      !memcmp(r + 8, m + 8, 56) && ref_sum(r, mlen, 0) == 0, "ICMP echo reply");

	reset();
	m[9] ^= 1;
	len = ipv4(f, PEER_IP, OUR_IP, 1, m, mlen);
	net_input(&nif, f, len);
	check("echo-bad-icmp-sum", nsent == 0 && nif.stats.bad_checksum == 1, "bad ICMP checksum answered");
	m[9] ^= 1;

	reset();
	len = ipv4(f, PEER_IP, OUR_IP, 1, m, mlen);
	f[14 + 8] = 1;				/* the TTL, without fixing the checksum */
	net_input(&nif, f, len);
	check("echo-bad-ip-sum", nsent == 0 && nif.stats.bad_checksum == 1, "bad IP checksum answered");

	reset();
	len = ipv4(f, PEER_IP, 0x0a000003, 1, m, mlen);
	net_input(&nif, f, len);
	check("echo-not-ours", nsent == 0 && nif.stats.not_for_us == 1, "packet for another IP answered");

	reset();
	len = ipv4(f, PEER_IP, OUR_IP, 1, m, mlen);
	f[14 + 6] = 0x20;			/* more fragments */
	w16(f + 14 + 10, 0);
	w16(f + 14 + 10, ref_sum(f + 14, 20, 0));
	net_input(&nif, f, len);
	check("echo-fragment", nsent == 0 && nif.stats.unsupported == 1, "fragments are dropped");

	reset();
	len = ipv4(f, PEER_IP, OUR_IP, 1, m, mlen);
	w16(f + 14 + 2, 20 + mlen + 100);	/* a total length past the frame */
	w16(f + 14 + 10, 0);
	w16(f + 14 + 10, ref_sum(f + 14, 20, 0));
	net_input(&nif, f, len);
	check("ip-length-lies", nsent == 0 && nif.stats.malformed == 1, "a lying total length");

	reset();
	net_input(&nif, f, 13);
	check("eth-short", nsent == 0 && nif.stats.malformed == 1, "a 13-byte frame");

	reset();
	len = ipv4(f, PEER_IP, OUR_IP, 1, m, mlen);
	f[0] = 0x02, f[5] = 0x99;		/* someone else's MAC */
	net_input(&nif, f, len);
	check("eth-not-ours", nsent == 0 && nif.stats.not_for_us == 1, "frame for another MAC");

	/* Ethernet padding after a short IP packet is ignored. */
	reset();
	mlen = icmp_echo(m, 8, 1, 2, 0);
	len = ipv4(f, PEER_IP, OUR_IP, 1, m, mlen);
	memset(f + len, 0xee, 60 - len);
	net_input(&nif, f, 60);
	check("echo-padded-request", nsent == 1 && r16(sent[0] + 16) == 28, "padding is not data");

	reset();
	mlen = icmp_echo(m, 0, 0x0777, 3, 56);
	len = ipv4(f, PEER_IP, OUR_IP, 1, m, mlen);
	net_input(&nif, f, len);
	check("echo-reply-reported", echo.n == 1 && echo.from == PEER_IP && echo.id == 0x0777 &&
	      echo.seq == 3 && echo.len == 64 && nsent == 0, "echo reply to the driver");
}

static void test_udp(void)
{
	u8 f[2048], u[1600];
	unsigned ulen;
	u32 len;

	reset();
	ulen = udp_dgram(u, PEER_IP, OUR_IP, 40000, 7, "hello, echo", 1);
	len = ipv4(f, PEER_IP, OUR_IP, 17, u, ulen);
	net_input(&nif, f, len);
	const u8 *r = sent[0] + 34;
	check("udp-echo", nsent == 1 && ip_ok(sent[0], OUR_IP, PEER_IP, 17) &&
	      r16(r) == 7 && r16(r + 2) == 40000 && r16(r + 4) == ulen &&
	      !memcmp(r + 8, "hello, echo", 11), "UDP echo reply");
	check("udp-echo-sum", r16(r + 6) != 0 &&
	      ref_sum(r, ulen, pseudo(OUR_IP, PEER_IP, ulen)) == 0, "UDP checksum of the reply");

	reset();
	ulen = udp_dgram(u, PEER_IP, OUR_IP, 40000, 7, "odd", 1);
	len = ipv4(f, PEER_IP, OUR_IP, 17, u, ulen);
	net_input(&nif, f, len);
	r = sent[0] + 34;
	check("udp-echo-odd", nsent == 1 && ref_sum(r, ulen, pseudo(OUR_IP, PEER_IP, ulen)) == 0,
	      "odd-length datagram echoed with a good checksum");

	reset();
	ulen = udp_dgram(u, PEER_IP, OUR_IP, 40000, 7, "no sum", 0);
	len = ipv4(f, PEER_IP, OUR_IP, 17, u, ulen);
	net_input(&nif, f, len);
	check("udp-no-sum", nsent == 1, "a zero checksum means none");

	reset();
	ulen = udp_dgram(u, PEER_IP, OUR_IP, 40000, 7, "bad sum", 1);
	u[9] ^= 0x40;
	len = ipv4(f, PEER_IP, OUR_IP, 17, u, ulen);
	net_input(&nif, f, len);
	check("udp-bad-sum", nsent == 0 && nif.stats.bad_checksum == 1, "a bad checksum");

	reset();
	ulen = udp_dgram(u, PEER_IP, OUR_IP, 1234, 9, "count me", 1);
	len = ipv4(f, PEER_IP, OUR_IP, 17, u, ulen);
	net_input(&nif, f, len);
	check("udp-deliver", nsent == 0 && udp.n == 1 && udp.from == PEER_IP && udp.sport == 1234 &&
	      udp.dport == 9 && udp.len == 8 && !memcmp(udp.data, "count me", 8),
	      "another port goes to the driver");

	reset();
	ulen = udp_dgram(u, PEER_IP, OUR_IP, 1234, 9, "x", 1);
	w16(u + 4, 200);			/* a UDP length past the packet */
	len = ipv4(f, PEER_IP, OUR_IP, 17, u, ulen);
	net_input(&nif, f, len);
	check("udp-length-lies", udp.n == 0 && nif.stats.malformed == 1, "a lying UDP length");
}

static void test_send(void)
{
	u8 f[128], mac[6];
	char data[1472];

	reset();
	check("send-echo-unresolved", net_send_echo(&nif, PEER_IP, 1, 1, 56) == -1 && nsent == 0,
	      "no MAC yet: refuse");
	net_input(&nif, f, arp(f, 2, peer_mac, PEER_IP, our_mac, OUR_IP));
	check("send-echo", net_send_echo(&nif, PEER_IP, 0x55, 9, 56) == 0 && nsent == 1 &&
	      ip_ok(sent[0], OUR_IP, PEER_IP, 1) && !memcmp(sent[0], peer_mac, 6) &&
	      sent[0][34] == 8 && r16(sent[0] + 38) == 0x55 && r16(sent[0] + 40) == 9 &&
	      ref_sum(sent[0] + 34, 64, 0) == 0 && sent_len[0] == 98, "echo request");

	memset(data, 'z', sizeof(data));
	check("send-udp-max", net_send_udp(&nif, PEER_IP, 5000, 9, data, 1472) == 0 &&
	      sent_len[1] == 1514 && ref_sum(sent[1] + 34, 1480, pseudo(OUR_IP, PEER_IP, 1480)) == 0,
	      "a full-sized datagram");
	check("send-udp-too-big", net_send_udp(&nif, PEER_IP, 5000, 9, data, 1473) == -1,
	      "a datagram past the MTU");
	(void)mac;
}

static void test_parse(void)
{
	u32 ip = 0;

	check("parse-ip", net_parse_ip("10.0.0.2", &ip) == 0 && ip == 0x0a000002, "10.0.0.2");
	check("parse-ip-max", net_parse_ip("255.255.255.255", &ip) == 0 && ip == 0xffffffff, "max");
	check("parse-ip-refused", net_parse_ip("10.0.0.256", &ip) && net_parse_ip("10.0.0", &ip) &&
	      net_parse_ip("10.0.0.1.", &ip) && net_parse_ip("10..0.1", &ip) &&
	      net_parse_ip("", &ip) && net_parse_ip("a.b.c.d", &ip) &&
	      net_parse_ip("10.0.0.0001", &ip), "bad addresses refused");
}

int main(void)
{
	test_checksum_vector();
	test_arp();
	test_icmp();
	test_udp();
	test_send();
	test_parse();
	printf("ok net-stack-done\n");
	return failures != 0;
}
