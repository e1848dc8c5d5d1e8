/* Tangled from chapters/23-drivers-net.nw by `make tangle`: edit the chapter, not this file. */
/*D:700 The stack's interface.
 * A network interface, to the stack, is its two addresses, a way to send a
 * frame, and a few places to report what arrived: the replies to our own
 * pings, and UDP datagrams for a port that is not ours to answer. The driver
 * fills those in; the stack fills in the rest, the ARP cache and the
 * counters. Addresses are kept as numbers in the CPU's byte order and turned
 * into the network's big-endian order only at the moment they are written
 * into a frame, so comparing and printing them needs no thought. :*/
/* The Guest's tiny network stack: Ethernet, ARP, IPv4, ICMP echo, UDP. */
#ifndef NET_H
#define NET_H

#include "lguest.h"

#define ETH_ALEN	6
#define ETH_HLEN	14
#define ETH_MTU		1500
#define ETH_FRAME_MAX	(ETH_HLEN + ETH_MTU)
#define ETH_FRAME_MIN	60
#define IP_HLEN		20
#define UDP_HLEN	8
#define ICMP_HLEN	8
#define NET_ARP_SLOTS	8
#define NET_UDP_MAX	(ETH_MTU - IP_HLEN - UDP_HLEN)
struct net_stats {
	u64 rx_frames, tx_frames, rx_bytes, tx_bytes;
	u64 not_for_us;		/* another MAC or IP, or no address yet */
	u64 malformed;		/* too short, wrong version, lengths that lie */
	u64 bad_checksum;
	u64 unsupported;	/* fragments, other protocols and ICMP types */
	u64 arp_replies_sent, echo_replies_sent, udp_echoed, udp_delivered;
};

struct net_if {
	u8 mac[ETH_ALEN];
	u32 ip;			/* ours, a /24; 0 while we have none */
	void (*transmit)(struct net_if *nif, const u8 *frame, u32 len);
	void (*echo_reply)(struct net_if *nif, u32 from, u16 id, u16 seq, u32 len);
	void (*udp_input)(struct net_if *nif, u32 from, u16 sport, u16 dport,
			  const u8 *data, u32 len);
	struct { u32 ip; u8 mac[ETH_ALEN]; } arp[NET_ARP_SLOTS];
	unsigned arp_next;
	u16 ip_id;
	struct net_stats stats;
	void *priv;
};

void net_input(struct net_if *nif, const u8 *frame, u32 len);
int net_arp_lookup(struct net_if *nif, u32 ip, u8 mac[ETH_ALEN]);
void net_arp_request(struct net_if *nif, u32 ip);
void net_arp_announce(struct net_if *nif);
int net_send_echo(struct net_if *nif, u32 dst, u16 id, u16 seq, u32 data_len);
int net_send_udp(struct net_if *nif, u32 dst, u16 sport, u16 dport,
		 const void *data, u32 len);
u16 net_checksum(const void *data, u32 len);
int net_parse_ip(const char *s, u32 *ip);
#define NET_IP_FMT "%u.%u.%u.%u"
#define NET_IP_ARGS(ip) ((ip) >> 24) & 255, ((ip) >> 16) & 255, ((ip) >> 8) & 255, (ip) & 255
#endif
/*:*/
