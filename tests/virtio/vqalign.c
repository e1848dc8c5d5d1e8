/*
 * The virtqueue walker against indirect tables at every alignment, built with
 * -fsanitize=undefined -fno-sanitize-recover=all by test-vq-align.sh.
 *
 * The virtio specification asks 16-byte alignment of a queue's own descriptor
 * table (devq_map checks it) but none of an indirect table, so a Guest may put
 * one at any address.  Reading it through a misaligned struct pointer would be
 * undefined behaviour, which UBSan reports (and aborts on, with these flags).
 * Each case puts a three-descriptor table at ITABLE + skew and checks that the
 * chain reads back right.  Only launcher/virtqueue.c is linked: this file plays
 * the Guest's memory, guest_ptr() and bad_driver().
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

#define RAM_SIZE 0x200000
#define DESC     0x1000ULL
#define AVAIL    0x2000ULL
#define USED     0x3000ULL
#define ITABLE   0x4000ULL
#define BUF      0x10000ULL

/* The Guest writes its descriptors with memcpy: the table may be misaligned. */
static void put_desc(u64 table, int i, u64 addr, u32 len, u16 flags, u16 next)
{
	struct vring_desc d = { addr, len, flags, next };

	memcpy(vm.ram + table + i * sizeof(d), &d, sizeof(d));
}

static void one_skew(unsigned skew)
{
	static struct devq vq;
	static struct devq_chain c;
	struct vring_avail *avail = (void *)(vm.ram + AVAIL);
	u64 table = ITABLE + skew;
	char name[32];
	bool popped;

	snprintf(name, sizeof(name), "indirect-skew-%u", skew);
	memset(vm.ram, 0, 0x8000);
	vq = (struct devq){ .num = 8, .desc_addr = DESC, .avail_addr = AVAIL,
				 .used_addr = USED, .indirect = true };
	put_desc(table, 0, BUF, 16, VRING_DESC_F_NEXT, 1);
	put_desc(table, 1, BUF + 0x1000, 4096, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2);
	put_desc(table, 2, BUF + 0x3000, 1, VRING_DESC_F_WRITE, 0);
	put_desc(DESC, 5, table, 48, VRING_DESC_F_INDIRECT, 0);
	avail->ring[0] = 5;
	avail->idx = 1;
	if (setjmp(fake_kill_jmp)) {
		fail(name, "the Guest was killed: %s", fake_reason);
		return;
	}
	fake_armed = 1;
	devq_map(&vq, "test");
	vq.ready = true;
	popped = devq_pop(&vq, &c, "test");
	fake_armed = 0;
	check(name, popped && c.head == 5 && c.nr_out == 1 && c.nr_in == 2 && c.out_len == 16 &&
	      c.in_len == 4097 && c.iov[1].iov_base == vm.ram + BUF + 0x1000,
	      "chain misread (popped %d, %u out, %u in)", popped, c.nr_out, c.nr_in);
}

int main(void)
{
	static const unsigned skews[] = { 0, 1, 2, 4, 8, 15 };

	setvbuf(stdout, NULL, _IOLBF, 0);
	vm.ram = aligned_alloc(4096, RAM_SIZE);
	vm.ram_size = RAM_SIZE;
	for (unsigned i = 0; i < sizeof(skews) / sizeof(skews[0]); i++)
		one_skew(skews[i]);
	return harness_done("vq-align");
}
