/* Tangled from chapters/32-launcher-exits.nw by `make tangle`: edit the chapter, not this file. */
/*L:600, continued :*/
/* The switchboard: port and MMIO accesses routed to registered regions. */
#include "launcher.h"
#include <err.h>
#include <stdio.h>
#include <string.h>

/*L:610 Registering a region.
 * A machine has a handful of devices, so a small fixed table searched in order
 * is all we need. Two regions that overlap would make an access ambiguous; that
 * is a bug in the Launcher, and we stop at once and name both. :*/
#define IO_MAX_REGIONS 32
static struct io_region *regions[IO_MAX_REGIONS];
static int nr_regions;
/*:*/

void io_register(struct io_region *r)
{
	for (int i = 0; i < nr_regions; i++) {
		struct io_region *o = regions[i];

		if (o->space == r->space && r->base < o->base + o->len && o->base < r->base + r->len)
			errx(1, "internal error: %s at %#llx overlaps %s at %#llx",
			     r->name, r->base, o->name, o->base);
	}
	if (nr_regions == IO_MAX_REGIONS)
		errx(1, "internal error: more than %d I/O regions", IO_MAX_REGIONS);
	regions[nr_regions++] = r;
	lg_say("%s: %s [%#llx, %#llx)", r->name, r->space == IO_PORT ? "ports" : "MMIO",
	       r->base, r->base + r->len);
}

u64 io_get(const u8 *data, u32 size)
{
	u64 value = 0;

	memcpy(&value, data, size < 8 ? size : 8);
	return value;
}

void io_put(u8 *data, u32 size, u64 value)
{
	memcpy(data, &value, size < 8 ? size : 8);
}

/*L:620 Routing an access.
 * An access belongs to the region that holds its first byte; the region's
 * `access` function sees the size and decides what a wide access means. Accesses that nobody
 * claims behave as on a PC bus with nothing there: reads see all ones, writes
 * vanish. A Host probing for hardware we do not have is normal, so we stay
 * quiet about it unless asked to be verbose. :*/
static struct io_region *io_find(enum io_space space, u64 addr)
{
	for (int i = 0; i < nr_regions; i++) {
		struct io_region *r = regions[i];

		if (r->space == space && addr >= r->base && addr - r->base < r->len)
			return r;
	}
	return NULL;
}
/*:*/

static void io_access(enum io_space space, u64 addr, u8 *data, u32 size, bool write)
{
	struct io_region *r = io_find(space, addr);

	if (r) {
		r->access(r, addr - r->base, data, size, write);
		return;
	}
	if (!write)
		memset(data, 0xff, size);
	lg_say("unclaimed %u-byte %s %s %#llx", size, write ? "write to" : "read from",
	       space == IO_PORT ? "port" : "address", addr);
}

/*L:630 Port I/O exits.
 * For `in` and `out`, KVM's shared page gives the port, the size and the
 * direction, and the data sits in the same page at `data_offset`. A string
 * instruction (`rep outsb`) can move many items in one exit; `count` says how
 * many, laid one after the other, and each is a separate access to the device. :*/
void io_port_exit(struct kvm_run *run)
{
	u8 *data = (u8 *)run + run->io.data_offset;
	bool write = run->io.direction == KVM_EXIT_IO_OUT;

	for (u32 i = 0; i < run->io.count; i++, data += run->io.size)
		io_access(IO_PORT, run->io.port, data, run->io.size, write);
}
/*:*/

/*L:640 MMIO exits.
 * An MMIO exit describes one load or store: the physical address, its length
 * and, for a store, the bytes in `data`. For a load we fill `data`, and KVM
 * completes the instruction with it when we next call `KVM_RUN`. :*/
void io_mmio_exit(struct kvm_run *run)
{
	io_access(IO_MMIO, run->mmio.phys_addr, run->mmio.data, run->mmio.len,
		  run->mmio.is_write);
}
/*:*/
/*:*/
