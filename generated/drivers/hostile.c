/* Tangled from chapters/20-drivers.nw by `make tangle`: edit the chapter, not this file. */
/*D:250 A Guest that lies about its rings.
 * Every number a driver writes into a queue is a claim the device must check
 * before it believes it, because the driver may be broken, or hostile. Our
 * Launcher checks them all (*L:830* on), and kills a Guest that lies, with a
 * reason; the tests prove it with a Guest that lies on purpose. `hostile=N`
 * for N from 30 to 38 brings up the devices, then writes one kind of lie into
 * the console's transmit queue, where the Launcher looks as soon as it is
 * kicked:
 *
 * 30. a buffer whose address is outside the Guest's RAM;
 * 31. a buffer that starts inside RAM and runs past its end;
 * 32. two descriptors chained to each other, a loop;
 * 33. a chain head beyond the end of the descriptor table;
 * 34. an available index that jumps ahead by more than the queue holds;
 * 35. an indirect table whose descriptor is itself indirect;
 * 36. a `next` link beyond the end of the table;
 * 37. a readable buffer after a writable one;
 * 38. on the first disk's queue: a request to write sector 0 whose data runs
 *     past the end of RAM. The Launcher must refuse the whole request before it
 *     writes a byte of it, and the test checks the disk image afterwards. The
 *     disk's driver waits for an answer from the device while it comes up, so
 *     this case turns on interrupts and the clock first.
 *
 * Each should end with the Launcher's message and exit status 125; the Guest
 * waits a few seconds of the time-stamp counter (its clock is not running yet)
 * and then admits it was not stopped. Before it lies it says which queue of
 * which device it lies to: both devices refuse a buffer past the end of RAM
 * with the same message, so only this line tells a test that case 38 reached
 * the disk.
 *
 * Lying is not a queue's business, so the lies live in a file of their own,
 * `drivers/hostile.c`, which registers with the kernel (D:126) for the hostile
 * cases it knows; the kernel offers it every case it does not know itself. :*/
/* A driver that lies on purpose, for the Launcher's tests: hostile=30..38. */
#include "drivers.h"

/*D:255 The lies.
 * The queue is fresh, so descriptors 0 and 1 are free and the next available
 * slot is 0. Most cases write one or two descriptors and offer descriptor 0 as
 * a chain head the honest way; two lie in the available ring instead. :*/
static void vq_lie(struct virtqueue *vq, int n)
{
	static u8 byte[16];
	struct vq_rings r = vq_rings(vq);
	struct vring_desc *t = r.desc, *table = kmalloc(2 * sizeof(*table));
	u64 end = guest_boot->ram_start + guest_boot->ram_size, buf = guest_pa(byte);
	u16 head = 0, step = 1;

	t[0] = (struct vring_desc){ buf, 1, 0, 0 };
	if (n == 30)
		t[0].addr = end + 0x100000;
	if (n == 31)
		t[0] = (struct vring_desc){ end - 16, 4096, 0, 0 };
	if (n == 32) {
		t[0] = (struct vring_desc){ buf, 1, VRING_DESC_F_NEXT, 1 };
		t[1] = (struct vring_desc){ buf, 1, VRING_DESC_F_NEXT, 0 };
	}
	if (n == 33)
		head = r.num + 5;
	if (n == 34)
		step = r.num + 1;
	if (n == 35) {
		table[0] = (struct vring_desc){ guest_pa(table), 32, VRING_DESC_F_INDIRECT, 0 };
		t[0] = (struct vring_desc){ guest_pa(table), 32, VRING_DESC_F_INDIRECT, 0 };
	}
	if (n == 36)
		t[0] = (struct vring_desc){ buf, 1, VRING_DESC_F_NEXT, r.num + 3 };
	if (n == 37) {
		t[0] = (struct vring_desc){ buf, 1, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1 };
		t[1] = (struct vring_desc){ buf, 1, 0, 0 };
	}
	if (n == 38) {
		static struct virtio_blk_outhdr write = { .type = VIRTIO_BLK_T_OUT };

		t[0] = (struct vring_desc){ guest_pa(&write), sizeof(write), VRING_DESC_F_NEXT, 1 };
		t[1] = (struct vring_desc){ end - 256, 512, VRING_DESC_F_NEXT, 2 };
		t[2] = (struct vring_desc){ buf, 1, VRING_DESC_F_WRITE, 0 };
	}
	r.avail->ring[r.avail_idx % r.num] = head;
	asm volatile("" : : : "memory");	/* the entry before the index */
	*(volatile u16 *)&r.avail->idx = r.avail_idx + step;
}
/*:*/
static void virtio_hostile(int n)
{
	struct virtio_device *d;
	u64 start = guest_rdtsc();
	int disk = n == 38, q = disk ? 0 : 1;

	if (n < 30 || n > 38)
		return;
	if (disk) {
		guest_interrupts_init();
		clock_init();
	}
	virtio_init();
	d = virtio_find(disk ? VIRTIO_ID_BLOCK : VIRTIO_ID_CONSOLE, 0);
	if (!d || !d->vqs[q]) {
		printk("hostile: no %s to lie to\n", disk ? "disk" : "console");
		guest_poweroff(2);
	}
	printk("hostile: case %d, in queue %d of the %s\n", n, q, disk ? "disk" : "console");
	vq_lie(d->vqs[q], n);
	vio_write(d, VIRTIO_MMIO_QUEUE_NOTIFY, q);
	while (guest_rdtsc() - start < 10000000000ULL)
		asm volatile("pause");
	printk("Guest: hostile case %d was not stopped\n", n);
	guest_poweroff(1);
}

static const struct guest_driver hostile_driver = {
	.name = "hostile virtio",
	.hostile = virtio_hostile,
};
GUEST_DRIVER(hostile_driver);
/*:*/
