/* Tangled from chapters/42-host-interrupts.nw by `make tangle`: edit the chapter, not this file. */
/*H:905 Proof that nothing of the Host was touched.
 * Each hostile Guest in this chapter aims at the Host: its handler or its stack
 * in the Host's own code, which a careless Host would jump to or push a frame
 * onto. "The Guest was killed" does not prove that the Host was not hurt first.
 * So at boot the Host takes a checksum of its code and read-only data (from
 * `host_start` to `host_readonly_end`, which the linker script marks), and when
 * it kills a Guest it takes it again and says whether they match. The tests read
 * that line after every kill. The sum is FNV-style, an exclusive-or and a
 * multiply per 64-bit word: a few thousand emulated instructions, a couple of
 * milliseconds at boot on the book's machine. :*/
/* A checksum of the Host's code and constants, to prove a kill left them alone. */
#include "host.h"

extern const char host_start[], host_readonly_end[];
static u64 host_image_sum;

static u64 image_sum(void)
{
	const u64 *p = (const u64 *)host_start;
	u64 sum = 0;

	while (p < (const u64 *)host_readonly_end)
		sum = (sum ^ *p++) * 0x100000001b3ULL;
	return sum;
}

void host_image_seal(void)
{
	host_image_sum = image_sum();
}

void host_image_report(void)
{
	u64 now = image_sum();

	host_printf("lguest: Host image %s (checksum 0x%llx, sealed 0x%llx)\n",
		    now == host_image_sum ? "intact" : "CHANGED", now, host_image_sum);
}
/*:*/
