/* Tangled from chapters/23-drivers-net.nw by `make tangle`: edit the chapter, not this file. */
/*D:705 The stack's file.
 * The stack is one file in the order a frame climbs it: bytes and
 * checksums, then Ethernet, ARP, IP, and the two protocols on top. It uses
 * nothing from the Guest but `memcpy`, `memset` and `memcmp`, which is what
 * lets the same file compile into the host's unit test. :*/
/* The Guest's tiny network stack: pure code, frames in and frames out. */
#include "lib.h"
#include "net.h"

#define ETH_P_IP	0x0800
#define ETH_P_ARP	0x0806
#define ARP_REQUEST	1
#define ARP_REPLY	2
#define IP_PROTO_ICMP	1
#define IP_PROTO_UDP	17
#define ICMP_ECHO_REPLY	0
#define ICMP_ECHO	8
#define UDP_PORT_ECHO	7

static const u8 eth_broadcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
/*D:710 Network byte order.
 * Every number in these headers is big-endian, the most significant byte
 * first, and our CPU is little-endian. Rather than overlay C structures on
 * the frame (which would bring byte swaps *and* questions of alignment and
 * padding: an IP header starts 14 bytes into a frame, which is not even
 * 4-byte aligned), we read and write fields a byte at a time at their
 * offsets. The offsets are the protocol's own, as every RFC draws them. :*/
static u16 get16(const u8 *p)
{
	return (u16)(p[0] << 8 | p[1]);
}

static u32 get32(const u8 *p)
{
	return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3];
}

static void put16(u8 *p, u16 v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(u8 *p, u32 v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}
/*:*/
/*D:715 The Internet checksum.
 * IP, ICMP and UDP all protect their headers with the same checksum (RFC
 * 1071): add the data up as 16-bit big-endian words in ones' complement
 * arithmetic, which is ordinary addition with every carry out of the top bit
 * fed back in at the bottom, and store the complement of the sum. A receiver
 * adds up the same bytes *including* the stored checksum and gets all ones
 * (complemented: zero) if nothing changed. An odd byte at the end counts as
 * a word with a zero after it. We add into 64 bits and fold the carries in
 * at the end; a frame is far too short to overflow that.
 *
 * UDP also covers a *pseudo-header*: the two IP addresses, the protocol and
 * the UDP length, so that a datagram delivered to the wrong host fails its
 * check. `csum_add` takes a running sum so that the pseudo-header and the
 * datagram can be added in two calls. :*/
static u64 csum_add(u64 sum, const u8 *p, u32 len)
{
	u32 i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += (u32)p[len - 1] << 8;
	return sum;
}

static u16 csum_fold(u64 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (u16)~sum;
}

u16 net_checksum(const void *data, u32 len)
{
	return csum_fold(csum_add(0, data, len));
}
/*:*/
/*D:720 Sending a frame.
 * Everything we send ends here: the Ethernet header is the destination, our
 * own address and the type of what follows. The caller has left those 14
 * bytes free at the front of its buffer, so nothing is copied; short frames
 * are padded to Ethernet's minimum. :*/
static void eth_send(struct net_if *nif, u8 *frame, const u8 dst[ETH_ALEN],
		     u16 type, u32 len)
{
	memcpy(frame, dst, ETH_ALEN);
	memcpy(frame + 6, nif->mac, ETH_ALEN);
	put16(frame + 12, type);
	if (len < ETH_FRAME_MIN) {
		memset(frame + len, 0, ETH_FRAME_MIN - len);
		len = ETH_FRAME_MIN;
	}
	nif->stats.tx_frames++;
	nif->stats.tx_bytes += len;
	nif->transmit(nif, frame, len);
}
/*:*/
/*D:725 ARP: the cache.
 * IP addresses name machines; Ethernet delivers only to MAC addresses. ARP
 * (RFC 826) connects the two: a broadcast asks "who has 10.0.0.2? tell
 * 10.0.0.1", and the owner answers to the asker alone. Answers go into a
 * cache so that the question is asked once, not once per packet. Ours has
 * eight slots, plenty for a classroom LAN, and when it is full a new entry
 * replaces the oldest. Entries never expire: on a LAN of Guests a MAC address
 * changes only when a Launcher restarts, and then its first ARP request
 * updates us (below). :*/
static int arp_find(struct net_if *nif, u32 ip)
{
	for (int i = 0; i < NET_ARP_SLOTS; i++)
		if (nif->arp[i].ip == ip)
			return i;
	return -1;
}

static void arp_store(struct net_if *nif, u32 ip, const u8 mac[ETH_ALEN])
{
	int i = arp_find(nif, ip);

	if (i < 0) {
		i = nif->arp_next;
		nif->arp_next = (nif->arp_next + 1) % NET_ARP_SLOTS;
	}
	nif->arp[i].ip = ip;
	memcpy(nif->arp[i].mac, mac, ETH_ALEN);
}

int net_arp_lookup(struct net_if *nif, u32 ip, u8 mac[ETH_ALEN])
{
	int i = ip ? arp_find(nif, ip) : -1;

	if (i >= 0)
		memcpy(mac, nif->arp[i].mac, ETH_ALEN);
	return i >= 0;
}
/*:*/
/*D:730 ARP packets.
 * An ARP packet for IPv4 over Ethernet is 28 bytes: the hardware and protocol
 * types (1 and 0x0800) with their address lengths (6 and 4), the operation,
 * then the sender's MAC and IP and the target's MAC and IP. A request leaves
 * the target MAC zero. One function builds both kinds, in a buffer of
 * Ethernet's minimum size, since the 42 bytes of an ARP frame get padded.
 *
 * A request for our own address is an *announcement* (a "gratuitous" ARP):
 * nobody answers it, but everyone who hears it learns, or refreshes, where we
 * are. We send one when the card comes up. It also introduces us to a
 * learning switch, which otherwise would not know our port until we first
 * spoke: QEMU's end of our Guest LAN, for one, says nothing until its Guest
 * does (see the end of this chapter). :*/
static void arp_send(struct net_if *nif, u16 op, const u8 tha[ETH_ALEN], u32 tpa)
{
	u8 frame[ETH_FRAME_MIN];
	u8 *a = frame + ETH_HLEN;

	put16(a, 1);
	put16(a + 2, ETH_P_IP);
	a[4] = ETH_ALEN;
	a[5] = 4;
	put16(a + 6, op);
	memcpy(a + 8, nif->mac, ETH_ALEN);
	put32(a + 14, nif->ip);
	memcpy(a + 18, op == ARP_REQUEST ? (const u8[ETH_ALEN]){ 0 } : tha, ETH_ALEN);
	put32(a + 24, tpa);
	eth_send(nif, frame, op == ARP_REQUEST ? eth_broadcast : tha, ETH_P_ARP,
		 ETH_HLEN + 28);
}

void net_arp_request(struct net_if *nif, u32 ip)
{
	arp_send(nif, ARP_REQUEST, eth_broadcast, ip);
}

void net_arp_announce(struct net_if *nif)
{
	if (nif->ip)
		arp_send(nif, ARP_REQUEST, eth_broadcast, nif->ip);
}
static void arp_input(struct net_if *nif, const u8 *a, u32 len)
{
	u32 spa, tpa;

	if (len < 28 || get16(a) != 1 || get16(a + 2) != ETH_P_IP ||
	    a[4] != ETH_ALEN || a[5] != 4) {
		nif->stats.malformed++;
		return;
	}
	spa = get32(a + 14);
	tpa = get32(a + 24);
	if (spa && arp_find(nif, spa) >= 0)
		arp_store(nif, spa, a + 8);
	if (!nif->ip || tpa != nif->ip) {
		nif->stats.not_for_us++;
		return;
	}
	if (spa)
		arp_store(nif, spa, a + 8);
	if (get16(a + 6) == ARP_REQUEST) {
		arp_send(nif, ARP_REPLY, a + 8, spa);
		nif->stats.arp_replies_sent++;
	}
}
/*:*/
/*D:735 Sending an IPv4 packet.
 * An IPv4 header without options is 20 bytes: version and header length in
 * one byte (0x45), a type of service we leave zero, the total length, an
 * identification number for reassembling fragments (we count it up, as most
 * stacks do, though we never fragment), the flags with "don't fragment" set,
 * a time-to-live of 64, the protocol, the header checksum, and the two
 * addresses. The caller has put its payload 34 bytes into the frame, behind
 * room for both headers, and names the MAC address to send to: a reply goes
 * straight back to the frame it answers, a packet of our own to whatever ARP
 * found. :*/
static void ip_send(struct net_if *nif, u8 *frame, const u8 dst_mac[ETH_ALEN],
		    u32 dst, u8 proto, u32 payload_len)
{
	u8 *ip = frame + ETH_HLEN;

	ip[0] = 0x45;
	ip[1] = 0;
	put16(ip + 2, IP_HLEN + payload_len);
	put16(ip + 4, nif->ip_id++);
	put16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = proto;
	put16(ip + 10, 0);
	put32(ip + 12, nif->ip);
	put32(ip + 16, dst);
	put16(ip + 10, net_checksum(ip, IP_HLEN));
	eth_send(nif, frame, dst_mac, ETH_P_IP, ETH_HLEN + IP_HLEN + payload_len);
}
/*:*/
/*D:740 ICMP echo.
 * `ping` is ICMP's echo (RFC 792): a request of type 8 carries an identifier,
 * a sequence number and any data; the reply, type 0, carries all three back
 * unchanged. Answering is therefore a copy with one byte changed and the
 * checksum recomputed. The identifier and sequence number of a *reply*
 * belong to whoever sent the request, so we hand them to the driver, which
 * knows which ping is waiting, with the message's length, header included,
 * which is what `ping` prints as "64 bytes". :*/
static void icmp_input(struct net_if *nif, const u8 *src_mac, u32 src,
		       const u8 *m, u32 len)
{
	u8 frame[ETH_FRAME_MAX];
	u8 *reply = frame + ETH_HLEN + IP_HLEN;

	if (len < ICMP_HLEN || net_checksum(m, len) != 0) {
		nif->stats.bad_checksum++;
		return;
	}
	if (m[0] == ICMP_ECHO_REPLY && m[1] == 0) {
		if (nif->echo_reply)
			nif->echo_reply(nif, src, get16(m + 4), get16(m + 6), len);
		return;
	}
	if (m[0] != ICMP_ECHO || m[1] != 0) {
		nif->stats.unsupported++;
		return;
	}
	memcpy(reply, m, len);
	reply[0] = ICMP_ECHO_REPLY;
	put16(reply + 2, 0);
	put16(reply + 2, net_checksum(reply, len));
	ip_send(nif, frame, src_mac, src, IP_PROTO_ICMP, len);
	nif->stats.echo_replies_sent++;
}
/*:*/
/*D:745 UDP.
 * A UDP header is four fields of two bytes: source port, destination port,
 * length (header included) and checksum. The checksum is optional over IPv4:
 * a sender that did not compute one writes zero, and a computed checksum that
 * comes out as zero is sent as 0xffff, its other ones'-complement spelling.
 * We always compute one and check every one we are given.
 *
 * Port 7 is the echo service (RFC 862): whatever arrives goes back to the
 * sender's port. Any other port is the driver's business; `netbench` uses
 * that to count what another Guest sends it. :*/
static u64 udp_pseudo_sum(u32 src, u32 dst, u32 len)
{
	return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) +
	       IP_PROTO_UDP + len;
}

static void udp_send_from(struct net_if *nif, u8 *frame, const u8 dst_mac[ETH_ALEN],
			  u32 dst, u16 sport, u16 dport, u32 len)
{
	u8 *u = frame + ETH_HLEN + IP_HLEN;
	u16 sum;

	put16(u, sport);
	put16(u + 2, dport);
	put16(u + 4, UDP_HLEN + len);
	put16(u + 6, 0);
	sum = csum_fold(csum_add(udp_pseudo_sum(nif->ip, dst, UDP_HLEN + len), u,
				 UDP_HLEN + len));
	put16(u + 6, sum ? sum : 0xffff);
	ip_send(nif, frame, dst_mac, dst, IP_PROTO_UDP, UDP_HLEN + len);
}
static void udp_input(struct net_if *nif, const u8 *src_mac, u32 src,
		      const u8 *u, u32 len)
{
	u8 frame[ETH_FRAME_MAX];
	u32 ulen = len >= UDP_HLEN ? get16(u + 4) : 0;

	if (ulen < UDP_HLEN || ulen > len) {
		nif->stats.malformed++;
		return;
	}
	if (get16(u + 6) && csum_fold(csum_add(udp_pseudo_sum(src, nif->ip, ulen), u, ulen))) {
		nif->stats.bad_checksum++;
		return;
	}
	if (get16(u + 2) == UDP_PORT_ECHO) {
		memcpy(frame + ETH_HLEN + IP_HLEN + UDP_HLEN, u + UDP_HLEN, ulen - UDP_HLEN);
		udp_send_from(nif, frame, src_mac, src, UDP_PORT_ECHO, get16(u),
			      ulen - UDP_HLEN);
		nif->stats.udp_echoed++;
	} else if (nif->udp_input) {
		nif->stats.udp_delivered++;
		nif->udp_input(nif, src, get16(u), get16(u + 2), u + UDP_HLEN,
			       ulen - UDP_HLEN);
	} else {
		nif->stats.unsupported++;
	}
}
/*:*/
/*D:750 Receiving an IPv4 packet.
 * A packet must earn its way up. It must be long enough for a header, say
 * version 4, have a header length of at least five words that fits, a total
 * length that fits in what arrived (Ethernet may have added padding after
 * it, which the total length tells us to ignore), and a correct header
 * checksum. It must be addressed to us: we answer neither broadcasts nor
 * packets for other machines. And it must be whole: a fragment (the "more
 * fragments" flag, or a non-zero offset) is dropped, since we do not
 * reassemble. Options, if any, are skipped by the header length. :*/
static void ip_input(struct net_if *nif, const u8 *src_mac, const u8 *ip, u32 len)
{
	u32 hlen = len >= IP_HLEN ? (ip[0] & 15) * 4u : 0, total;

	total = hlen ? get16(ip + 2) : 0;
	if (!hlen || ip[0] >> 4 != 4 || hlen < IP_HLEN || total < hlen || total > len) {
		nif->stats.malformed++;
		return;
	}
	if (net_checksum(ip, hlen) != 0) {
		nif->stats.bad_checksum++;
		return;
	}
	if (!nif->ip || get32(ip + 16) != nif->ip) {
		nif->stats.not_for_us++;
		return;
	}
	if (get16(ip + 6) & 0x3fff) {
		nif->stats.unsupported++;
		return;
	}
	if (ip[9] == IP_PROTO_ICMP)
		icmp_input(nif, src_mac, get32(ip + 12), ip + hlen, total - hlen);
	else if (ip[9] == IP_PROTO_UDP)
		udp_input(nif, src_mac, get32(ip + 12), ip + hlen, total - hlen);
	else
		nif->stats.unsupported++;
}
/*:*/
/*D:755 Receiving a frame.
 * The bottom of the climb. A frame is for us if its destination is our MAC
 * address or the broadcast address (we join no multicast groups); the type
 * field then says whether ARP or IP follows. Everything we count as received
 * is counted here, dropped or not. :*/
void net_input(struct net_if *nif, const u8 *frame, u32 len)
{
	nif->stats.rx_frames++;
	nif->stats.rx_bytes += len;
	if (len < ETH_HLEN) {
		nif->stats.malformed++;
		return;
	}
	if (memcmp(frame, nif->mac, ETH_ALEN) && memcmp(frame, eth_broadcast, ETH_ALEN)) {
		nif->stats.not_for_us++;
		return;
	}
	if (get16(frame + 12) == ETH_P_ARP)
		arp_input(nif, frame + ETH_HLEN, len - ETH_HLEN);
	else if (get16(frame + 12) == ETH_P_IP)
		ip_input(nif, frame + 6, frame + ETH_HLEN, len - ETH_HLEN);
	else
		nif->stats.unsupported++;
}
/*:*/
/*D:760 Sending our own packets.
 * The two things the Guest starts rather than answers: an echo request and
 * a UDP datagram. Both need the destination's MAC address, and neither waits
 * for it: if ARP has no answer yet, they fail, and the caller (who has a
 * clock) asks ARP and tries again. The echo request's data is a counting
 * pattern, so a reply that comes back changed would show it. :*/
int net_send_echo(struct net_if *nif, u32 dst, u16 id, u16 seq, u32 data_len)
{
	u8 frame[ETH_FRAME_MAX], mac[ETH_ALEN];
	u8 *m = frame + ETH_HLEN + IP_HLEN;

	if (data_len > ETH_MTU - IP_HLEN - ICMP_HLEN || !net_arp_lookup(nif, dst, mac))
		return -1;
	m[0] = ICMP_ECHO;
	m[1] = 0;
	put16(m + 2, 0);
	put16(m + 4, id);
	put16(m + 6, seq);
	for (u32 i = 0; i < data_len; i++)
		m[ICMP_HLEN + i] = (u8)i;
	put16(m + 2, net_checksum(m, ICMP_HLEN + data_len));
	ip_send(nif, frame, mac, dst, IP_PROTO_ICMP, ICMP_HLEN + data_len);
	return 0;
}
/*:*/
/*D:760, continued :*/
int net_send_udp(struct net_if *nif, u32 dst, u16 sport, u16 dport,
		 const void *data, u32 len)
{
	u8 frame[ETH_FRAME_MAX], mac[ETH_ALEN];

	if (len > NET_UDP_MAX || !net_arp_lookup(nif, dst, mac))
		return -1;
	memcpy(frame + ETH_HLEN + IP_HLEN + UDP_HLEN, data, len);
	udp_send_from(nif, frame, mac, dst, sport, dport, len);
	return 0;
}
/*:*/
/*D:765 Addresses as text.
 * The user writes addresses as four decimal numbers with dots; each must be
 * below 256 and the string must end after the fourth. We return 0 on
 * success and -1 for anything else, so `ip=10.0.0.300` is refused, not
 * quietly wrapped. Printing goes the other way with a format and a macro
 * (`NET_IP_FMT`, `NET_IP_ARGS`) in the header, so that a caller's `printk`
 * does it in one line. :*/
int net_parse_ip(const char *s, u32 *ip)
{
	u32 v = 0;

	for (int part = 0; part < 4; part++) {
		u32 n = 0, digits = 0;

		while (*s >= '0' && *s <= '9' && digits < 3) {
			n = n * 10 + (u32)(*s++ - '0');
			digits++;
		}
		if (!digits || n > 255 || *s != (part < 3 ? '.' : '\0'))
			return -1;
		v = v << 8 | n;
		s += part < 3;
	}
	*ip = v;
	return 0;
}
/*:*/
/*:*/
