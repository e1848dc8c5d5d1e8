/* Tangled from chapters/20-drivers.nw, chapters/22-drivers-block.nw and
 * chapters/23-drivers-net.nw
 * by `make tangle`: edit the chapters, not this file. */
/*D:100 The specification's numbers.
 * A driver and a device agree on very little, but they agree on it to the bit:
 * where each register sits, what each status and feature bit means, and the
 * exact layout of a queue in memory. We keep those numbers in one header,
 * `include/virtio_spec.h`, which the Guest's drivers and the Launcher's devices
 * both include, so that the two sides of the book cannot disagree. It holds only
 * what the specification fixes; each side's own machinery lives in its own
 * header. The devices' chapters add their request formats to
 * *the devices' own structures* at the end. :*/
/* virtio 1.x over MMIO: the numbers and layouts the specification fixes. */
#ifndef VIRTIO_SPEC_H
#define VIRTIO_SPEC_H

#include "lguest.h"

/*D:105 The register window.
 * Every virtio-mmio device is a window of 0x200 bytes. It opens with a magic
 * word, the letters "virt" read as a little-endian 32-bit number, and a version:
 * 2 for the modern interface. Version 1, the *legacy* one, described each queue
 * by a single page number and lived by different rules; we neither drive nor
 * offer it. Then come the device type, the vendor, and the registers of the
 * handshake. All are 32 bits wide and must be accessed as such.
 *
 * A few registers are windows onto bigger things. Features are 64 bits, but a
 * register holds 32, so `DeviceFeaturesSel` chooses which half `DeviceFeatures`
 * shows (and `DriverFeaturesSel` the same for the driver's answer). A device may
 * have several queues, and `QueueSel` chooses the one the queue registers talk
 * about. The device's own configuration, whose layout depends on its type,
 * starts at 0x100 and runs to the end of the window; `ConfigGeneration` beside
 * it changes whenever the device changes that configuration, which matters to
 * a driver reading a field that spans several accesses (*D:170*). :*/
#define VIRTIO_MMIO_MAGIC_VALUE		0x000
#define VIRTIO_MMIO_VERSION		0x004
#define VIRTIO_MMIO_DEVICE_ID		0x008
#define VIRTIO_MMIO_VENDOR_ID		0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES	0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL	0x014
#define VIRTIO_MMIO_DRIVER_FEATURES	0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL	0x024
#define VIRTIO_MMIO_QUEUE_SEL		0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX	0x034
#define VIRTIO_MMIO_QUEUE_NUM		0x038
#define VIRTIO_MMIO_QUEUE_READY		0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY	0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS	0x060
#define VIRTIO_MMIO_INTERRUPT_ACK	0x064
#define VIRTIO_MMIO_STATUS		0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW	0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH	0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW	0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH	0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW	0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH	0x0a4
#define VIRTIO_MMIO_CONFIG_GENERATION	0x0fc
#define VIRTIO_MMIO_CONFIG		0x100
#define VIRTIO_MMIO_WINDOW		0x200

#define VIRTIO_MMIO_MAGIC	0x74726976	/* "virt" */
#define VIRTIO_MMIO_VERSION_2	2
#define VIRTIO_VENDOR_LGUEST	0x5453474c	/* "LGST" */
/*:*/
/*D:110 Bringing a device up, and what it can do.
 * A driver takes a device through a fixed sequence of stages, each a bit it
 * adds to the `Status` register: it has noticed the device (`ACKNOWLEDGE`), it
 * knows how to drive this kind (`DRIVER`), it has settled the features
 * (`FEATURES_OK`), and it has set up the queues and is ready (`DRIVER_OK`). The
 * third stage is a question as much as a statement: a device that cannot live
 * with the features the driver chose clears the bit again, and the driver must
 * read it back to know. A driver that gives up says so with `FAILED`. Writing 0
 * resets the device to its first state.
 *
 * Feature bits 0 to 23 mean something different for each kind of device; the
 * rest are virtio's own. Three of those matter to us. `VERSION_1` is the modern
 * interface's badge: a device offers it, and a driver that does not accept it
 * is refused. `RING_INDIRECT_DESC` lets a driver describe a request of many
 * buffers with one queue entry that points to a table (*D:215*).
 * `RING_EVENT_IDX` replaces the old on/off switches for notifications with
 * counters that say *when* to notify (*D:225*).
 *
 * The interrupt line of a device goes up for two reasons, which
 * `InterruptStatus` tells apart: bit 0, buffers were used; bit 1, the
 * configuration changed. And the device types: the four of this book, numbered
 * as the specification numbers them. :*/
#define VIRTIO_STATUS_ACKNOWLEDGE	1
#define VIRTIO_STATUS_DRIVER		2
#define VIRTIO_STATUS_DRIVER_OK		4
#define VIRTIO_STATUS_FEATURES_OK	8
#define VIRTIO_STATUS_FAILED		128

#define VIRTIO_F_RING_INDIRECT_DESC	28
#define VIRTIO_F_RING_EVENT_IDX		29
#define VIRTIO_F_VERSION_1		32
#define VIRTIO_BIT(n)			(1ULL << (n))

#define VIRTIO_INT_USED		1
#define VIRTIO_INT_CONFIG	2

#define VIRTIO_ID_NET		1
#define VIRTIO_ID_BLOCK		2
#define VIRTIO_ID_CONSOLE	3
#define VIRTIO_ID_RNG		4
/*:*/
/*D:115 The split virtqueue in memory.
 * The queue is where the work happens. Virtio 1.x has two kinds; we use the
 * original *split* queue, three arrays in Guest memory, each written by one side
 * only, so neither side ever has to lock against the other:
 *
 * - the **descriptor table**, written by the driver: `num` entries of 16 bytes,
 *   each the address and length of one buffer, with flags. `NEXT` links a
 *   descriptor to the one its `next` field names, so that one request may be
 *   several buffers, a *chain*; `WRITE` marks a buffer the device is to fill
 *   rather than read; `INDIRECT` says the buffer is itself a table of
 *   descriptors (*D:215*).
 * - the **available ring**, written by the driver: a counter `idx` and `num`
 *   slots, each the first descriptor of a chain offered to the device.
 * - the **used ring**, written by the device: its own counter and `num` slots,
 *   each a chain given back and the number of bytes written into it.
 *
 * Both counters are 16 bits and only ever go up, wrapping from 65535 to 0. A
 * slot is the counter taken modulo `num`, so `num` is a power of two. "What is
 * new" is always the difference of two counters, computed in 16 bits, never a
 * comparison: that stays right across the wrap. @fig:vring shows a disk request
 * of three descriptors offered at slot 4 and given back in the used ring.
 *
 * ```{.dot #fig:vring caption="A split virtqueue: the driver offers the heads of chains in the available ring; the device gives them back in the used ring"}
 * digraph vring {
 *   rankdir=LR; nodesep=0.25; ranksep=0.3;
 *   node [shape=record, fontsize=10]; edge [fontsize=9];
 *   avail [label="available ring\n(driver writes)|flags|idx = 7|<r0> ring[4] = 0|ring[5] = 3|ring[6] = ...|used_event"];
 *   used [label="used ring\n(device writes)|flags|idx = 5|<u4> ring[4] = (0, 1)|...|avail_event"];
 *   desc [label="descriptor table\n(driver writes)|<d0> 0: header, NEXT = 1|<d1> 1: data, NEXT = 2|<d2> 2: status, WRITE|<d3> 3: INDIRECT|..."];
 *   data [label="buffers\nin Guest\nRAM", shape=box];
 *   {rank=same; avail; used}
 *   avail:r0 -> desc:d0 [label="head"];
 *   desc:d0 -> data [style=dashed, label="addr, len"];
 *   desc:d1 -> data [style=dashed];
 *   desc:d2 -> data [style=dashed];
 *   used:u4 -> desc:d0 [style=dotted, label="given back"];
 * }
 * ```
 *
 * The layout is little-endian, as x86 is, so plain C structures describe it
 * exactly. Each ring carries one more 16-bit word after its slots, which only
 * `EVENT_IDX` uses: `used_event` after the available ring, `avail_event` after
 * the used ring (*D:225*). :*/
struct vring_desc {
	u64 addr;
	u32 len;
	u16 flags;
	u16 next;
};
#define VRING_DESC_F_NEXT	1
#define VRING_DESC_F_WRITE	2
#define VRING_DESC_F_INDIRECT	4

struct vring_avail {
	u16 flags;
	u16 idx;
	u16 ring[];		/* then u16 used_event */
};
#define VRING_AVAIL_F_NO_INTERRUPT 1

struct vring_used_elem {
	u32 id;
	u32 len;
};
struct vring_used {
	u16 flags;
	u16 idx;
	struct vring_used_elem ring[];	/* then u16 avail_event */
};
#define VRING_USED_F_NO_NOTIFY	1
/*:*/
/*D:118 The devices' own requests.
 * Beyond the queue, each kind of device defines what its buffers hold: a disk
 * request starts with a header naming the operation and the sector, a network
 * packet with a header about checksums. Those belong with their drivers'
 * chapters, which continue this chunk. The console and the random number
 * generator need nothing here: their buffers are plain bytes. :*/
/* Request and configuration layouts, one family per kind of device. */
/*:*/
/*D:500 The disk's requests.
 * A virtio disk is a queue of requests, and a request is three pieces in a
 * fixed order: a header the device reads (what to do, and where), the data
 * (read by the device for a write, written by it for a read), and one status
 * byte the device writes last. The header's sector is always counted in units
 * of 512 bytes, whatever the disk's real block size; the status says `OK`,
 * `IOERR` (the device tried and failed, or refused), or `UNSUPP` (it does not
 * know the request type). Four types are ours: `IN` reads, `OUT` writes,
 * `FLUSH` asks that every completed write reach stable storage, and `GET_ID`
 * asks for a serial number of up to 20 bytes, with no terminator when it fills
 * them all.
 *
 * The configuration window starts with the capacity, in those 512-byte
 * sectors, and goes on with fields that mean something only when their
 * feature bit was accepted: `seg_max`, the most data buffers one request may
 * have (`SEG_MAX`), and `blk_size`, the block size the disk prefers
 * (`BLK_SIZE`). Two more bits describe the disk itself: `RO`, it may not be
 * written, and `FLUSH`, it has a write cache worth flushing.
 *
 * Both the Launcher's disk (*L:918*) and this driver need every one of these
 * numbers and both structures, so they go into the specification's header,
 * which the Launcher includes too: one definition, two users. :*/
#define VIRTIO_BLK_F_SEG_MAX	2
#define VIRTIO_BLK_F_RO		5
#define VIRTIO_BLK_F_BLK_SIZE	6
#define VIRTIO_BLK_F_FLUSH	9

#define VIRTIO_BLK_T_IN		0
#define VIRTIO_BLK_T_OUT	1
#define VIRTIO_BLK_T_FLUSH	4
#define VIRTIO_BLK_T_GET_ID	8
#define VIRTIO_BLK_S_OK		0
#define VIRTIO_BLK_S_IOERR	1
#define VIRTIO_BLK_S_UNSUPP	2
#define VIRTIO_BLK_ID_BYTES	20
#define VIRTIO_BLK_SECTOR	512

struct virtio_blk_config {
	u64 capacity;		/* in 512-byte sectors */
	u32 size_max, seg_max;
	u16 cylinders;
	u8 heads, sectors;
	u32 blk_size;
};

struct virtio_blk_outhdr {
	u32 type;
	u32 reserved;
	u64 sector;
};
/*:*/
/*D:800 What the card puts before every frame.
 * In both directions a frame travels behind a header that tells of checksum
 * and segmentation offloads: "I left the TCP checksum for you to fill in",
 * "this 64 KiB buffer is really 45 frames". We offer and accept none of
 * those features, so the header we send is all zeros and the one we receive
 * says nothing we need. Its size, though, matters: with `VERSION_1` it is
 * always 12 bytes, because the last field, `num_buffers` (how many receive
 * buffers one large frame spilled over), is always present in virtio 1.x;
 * legacy devices left it out unless a feature asked for it, which is a
 * classic source of frames that arrive two bytes askew. The configuration
 * space begins with the card's MAC address, there when `VIRTIO_NET_F_MAC` is
 * offered.
 *
 * The Launcher's card (*L:950*) and this driver use the same definitions,
 * which is why they live in the shared specification header. :*/
#define VIRTIO_NET_F_MAC	5

struct virtio_net_config {
	u8 mac[6];
	u16 status;
};

struct virtio_net_hdr {
	u8 flags, gso_type;
	u16 hdr_len, gso_size, csum_start, csum_offset;
	u16 num_buffers;
};
/*:*/

#endif
/*:*/
