/* Fuzz target "net": the Guest's network stack (drivers/net.c), on frames
 * the input supplies, as tests/net/stacktest.c drives it by hand.  Our
 * address is 10.0.0.1, our MAC 02:01:00:00:12:34.
 *
 * Input: operations, each an opcode byte and its arguments:
 *   0 LEN16 BYTES...          a frame arrives (net_input)
 *   1 IP32 SPORT16 DPORT16 LEN16   we send a UDP datagram of LEN bytes
 *   2 IP32 ID16 SEQ16 LEN16        we send an echo request of LEN bytes
 *   3 IP32                    we ask ARP for IP
 *   4 LEN BYTES...            net_parse_ip() of a string
 * Findings: anything the sanitizers report; a frame sent longer than an
 * Ethernet frame; UDP data delivered longer than a datagram can hold. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "net.h"

static struct net_if nif;
static const u8 *in, *in_end;
static u8 scratch[65536];

static u64 take(int bytes)	/* big-endian, as on the wire; zeros past the end */
{
	u64 v = 0;

	for (int i = 0; i < bytes; i++)
		v = v << 8 | (in < in_end ? *in++ : 0);
	return v;
}

static void transmit(struct net_if *n, const u8 *frame, u32 len)
{
	(void)n;
	if (len > ETH_FRAME_MAX || len < ETH_HLEN) {
		fprintf(stderr, "fuzz-net: the stack sent a frame of %u bytes\n", len);
		abort();
	}
	memcpy(scratch, frame, len);
}

static void echo_reply(struct net_if *n, u32 from, u16 id, u16 seq, u32 len)
{
	(void)n, (void)from, (void)id, (void)seq, (void)len;
}

static void udp_input(struct net_if *n, u32 from, u16 sport, u16 dport, const u8 *d, u32 len)
{
	(void)n, (void)from, (void)sport, (void)dport;
	if (len > NET_UDP_MAX) {
		fprintf(stderr, "fuzz-net: %u bytes of UDP data delivered\n", len);
		abort();
	}
	memcpy(scratch, d, len);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static const u8 mac[6] = { 0x02, 0x01, 0, 0, 0x12, 0x34 };
	u8 *frame;

	memset(&nif, 0, sizeof(nif));
	memcpy(nif.mac, mac, 6);
	nif.ip = 0x0a000001;
	nif.transmit = transmit, nif.echo_reply = echo_reply, nif.udp_input = udp_input;
	in = data, in_end = data + size;
	while (in < in_end) {
		u32 op = take(1) % 5, ip, len, a, b;
		char text[256];

		switch (op) {
		case 0:
			len = take(2);
			if (len > (u32)(in_end - in))
				len = in_end - in;
			frame = malloc(len ? len : 1);	/* its own size: ASan sees overreads */
			memcpy(frame, in, len);
			in += len;
			net_input(&nif, frame, len);
			free(frame);
			break;
		case 1:
			ip = take(4), a = take(2), b = take(2), len = take(2);
			net_send_udp(&nif, ip, a, b, scratch, len);
			break;
		case 2:
			ip = take(4), a = take(2), b = take(2), len = take(2);
			net_send_echo(&nif, ip, a, b, len);
			break;
		case 3:
			net_arp_request(&nif, take(4));
			break;
		case 4:
			len = take(1);
			for (u32 i = 0; i < len; i++)
				text[i] = take(1);
			text[len] = '\0';
			net_parse_ip(text, &ip);
			break;
		}
	}
	return 0;
}
