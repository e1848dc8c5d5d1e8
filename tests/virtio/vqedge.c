/*
 * The virtqueue walker at its edges, where an off-by-one hides: a queue that
 * ends on the last byte of the Guest's RAM, each ring one alignment step off,
 * a chain of exactly the most buffers or the longest total length we take, and
 * the iovec copies and slices checked against a flat reference at every
 * offset (chapter 33, L:835, L:845, L:860).  `make mutate CHAPTER=33` found
 * these edges untested; each case below kills at least one of its mutants.
 * Only launcher/virtqueue.c is linked: this file plays the Guest's memory,
 * guest_ptr() and bad_driver().
 *
 * Prints "ok NAME" / "FAIL NAME: why" lines; exit status 0.
 */
#include "fake_launcher.h"
#include "../harness.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RAM_SIZE 0x200000ULL
#define ITABLE   0x100000ULL

static u16 table_flags;	/* added to every descriptor of the indirect table */

/* A verdict, with the reason of a kill the test asked for when it fails. */
static void report(const char *name, bool good, const char *why)
{
	check(name, good, "%s%s%s", why, fake_reason[0] ? "; kill reason: " : "", fake_reason);
	fake_reason[0] = '\0';
}

/* ---- mapping: the last byte of RAM is usable, one more is not */
static int map_at(u16 num, u64 desc, u64 avail, u64 used)
{
	static struct devq q;

	q = (struct devq){ .num = num, .desc_addr = desc, .avail_addr = avail,
				.used_addr = used };
	return FAKE_KILLED(devq_map(&q, "edge"));
}

static void test_map_edges(void)
{
	const u16 n = 8;
	const u64 dsz = 16 * n, asz = 4 + 2 * n + 2, usz = 4 + 8 * n + 2;

	report("edge-map-rings-end-at-ram-end",
	       !map_at(n, RAM_SIZE - dsz, RAM_SIZE - asz, (RAM_SIZE - usz) & ~3ULL),
	       "rings ending on RAM's last byte were refused");
	report("edge-map-avail-one-past", map_at(n, 0x1000, RAM_SIZE - asz + 2, 0x3000),
	       "an available ring reaching past RAM was accepted");
	report("edge-map-used-past", map_at(n, 0x1000, 0x2000, RAM_SIZE - usz + 4),
	       "a used ring reaching past RAM was accepted");
	report("edge-map-desc-past", map_at(n, RAM_SIZE - dsz + 16, 0x2000, 0x3000),
	       "a descriptor table reaching past RAM was accepted");
	report("edge-map-avail-even", !map_at(n, 0x1000, 0x2002, 0x3000),
	       "an available ring at an even address was refused");
	report("edge-map-avail-odd", map_at(n, 0x1000, 0x2001, 0x3000),
	       "an available ring at an odd address was accepted");
	report("edge-map-used-4", !map_at(n, 0x1000, 0x2000, 0x3004),
	       "a used ring on a 4-byte boundary was refused");
	report("edge-map-used-2", map_at(n, 0x1000, 0x2000, 0x3002),
	       "a used ring on a 2-byte boundary was accepted");
	report("edge-map-used-odd", map_at(n, 0x1000, 0x2000, 0x3001),
	       "a used ring at an odd address was accepted");
	report("edge-map-desc-8", map_at(n, 0x1008, 0x2000, 0x3000),
	       "a descriptor table on an 8-byte boundary was accepted");
	report("edge-map-desc-odd", map_at(n, 0x1001, 0x2000, 0x3000),
	       "a descriptor table at an odd address was accepted");
	report("edge-map-size-256", !map_at(256, 0x10000, 0x20000, 0x30000),
	       "a queue of 256 entries was refused");
}

/* ---- chains: the most buffers, and the longest total */
static struct devq vq;
static struct devq_chain chain;

static void put_desc(u64 table, int i, u64 addr, u32 len, u16 flags, u16 next)
{
	struct vring_desc d = { addr, len, flags, next };

	memcpy(vm.ram + table + i * sizeof(d), &d, sizeof(d));
}

/* A chain offered as head 0: DIRECT descriptors in the queue's table, then an
 * indirect table of N descriptors, every one LEN bytes. */
static int pop_chain(unsigned direct, unsigned n, u32 len)
{
	struct vring_avail *avail;

	memset(vm.ram, 0, 0x4000);
	vq = (struct devq){ .num = 8, .desc_addr = 0x1000, .avail_addr = 0x2000,
				 .used_addr = 0x3000, .indirect = true, .ready = true };
	devq_map(&vq, "edge");
	for (unsigned i = 0; i < n; i++)
		put_desc(ITABLE, i, 0x8000, len, table_flags | (i + 1 < n ? VRING_DESC_F_NEXT : 0), i + 1);
	for (unsigned i = 0; i < direct; i++)
		put_desc(0x1000, i, 0x8000, len, VRING_DESC_F_NEXT, i + 1);
	put_desc(0x1000, direct, ITABLE, 16 * n, VRING_DESC_F_INDIRECT, 0);
	avail = (void *)(vm.ram + 0x2000);
	avail->ring[0] = 0;
	avail->idx = 1;
	return FAKE_KILLED(devq_pop(&vq, &chain, "edge"));
}

static void test_chain_edges(void)
{
	report("edge-chain-most-buffers",
	       !pop_chain(1, DEVQ_MAX_SEGS - 1, 1) && chain.nr_out == DEVQ_MAX_SEGS,
	       "a chain of exactly DEVQ_MAX_SEGS buffers was refused or misread");
	report("edge-chain-one-buffer-too-many",
	       pop_chain(1, DEVQ_MAX_SEGS, 1) && strstr(fake_reason, "more than"),
	       "a chain of DEVQ_MAX_SEGS + 1 buffers was not refused for its count");
	fake_lenient = true;
	report("edge-chain-longest", !pop_chain(0, 1, 0xffffffffu) && chain.out_len == 0xffffffffu,
	       "a chain of 4 GiB - 1 bytes was refused");
	report("edge-chain-too-long", pop_chain(0, 2, 0x80000000u) && strstr(fake_reason, "4 GiB"),
	       "a chain of 4 GiB was not refused for its length");
	table_flags = VRING_DESC_F_WRITE;
	report("edge-chain-longest-writable",
	       !pop_chain(0, 1, 0xffffffffu) && chain.in_len == 0xffffffffu,
	       "a writable chain of 4 GiB - 1 bytes was refused");
	report("edge-chain-too-long-writable", pop_chain(0, 2, 0x80000000u) && strstr(fake_reason, "4 GiB"),
	       "a writable chain of 4 GiB was not refused for its length");
	table_flags = 0;
	fake_lenient = false;
}

/* ---- copies and slices against a flat reference */
static u8 flat[64], bufs[64], out[64];

static void test_copies(void)
{
	/* Segments of 0, 3, 1, 0, 7 and 5 bytes: empty ones, and one byte alone. */
	static const unsigned lens[] = { 0, 3, 1, 0, 7, 5 };
	static u8 beyond[8];
	struct iovec iov[7], sl[7];
	unsigned n = 6, total = 0, bad = 0;

	/* A seventh segment the functions are not given: touching it is a bug. */
	iov[6] = (struct iovec){ beyond, sizeof(beyond) };

	for (unsigned i = 0; i < n; i++) {
		iov[i].iov_base = bufs + total + 2 * i;	/* gaps between segments */
		iov[i].iov_len = lens[i];
		total += lens[i];
	}
	for (unsigned off = 0; off <= total + 1; off++)
		for (unsigned len = 0; len <= total + 1; len++) {
			u64 want = off < total ? (len < total - off ? len : total - off) : 0, got;
			unsigned k, at = 0;

			for (unsigned i = 0; i < sizeof(bufs); i++)
				bufs[i] = (u8)(i * 7 + 1);
			for (unsigned i = 0, f = 0; i < n; i++)
				for (unsigned j = 0; j < lens[i]; j++)
					flat[f++] = ((u8 *)iov[i].iov_base)[j];
			memset(out, 0xee, sizeof(out));
			got = iov_copy_from(iov, n, off, out, len);
			if (got != want || memcmp(out, flat + off, want) || out[want] != 0xee)
				bad++;
			for (unsigned i = 0; i < want; i++)
				out[i] = (u8)(0x80 + i);
			got = iov_copy_to(iov, n, off, out, len);
			for (unsigned i = 0, f = 0; i < n; i++)
				for (unsigned j = 0; j < lens[i]; j++, f++) {
					u8 now = ((u8 *)iov[i].iov_base)[j];
					u8 should = f >= off && f < off + want ? (u8)(0x80 + f - off) : flat[f];

					bad += now != should;
				}
			bad += got != want;
			k = iov_slice(iov, n, off, len, sl);
			for (unsigned i = 0; i < k; i++) {
				bad += sl[i].iov_len == 0;
				for (unsigned j = 0; j < sl[i].iov_len; j++, at++)
					bad += at >= want || ((u8 *)sl[i].iov_base)[j] != (u8)(0x80 + at);
			}
			bad += at != want;
		}
	report("edge-iov-copy-and-slice", bad == 0,
	       "iov_copy_from, iov_copy_to or iov_slice disagreed with a flat copy");
}

int main(void)
{
	vm.ram = calloc(1, RAM_SIZE);
	vm.ram_size = RAM_SIZE;
	if (!vm.ram)
		return 1;
	test_map_edges();
	test_chain_edges();
	test_copies();
	return harness_done("vq-edge");
}
