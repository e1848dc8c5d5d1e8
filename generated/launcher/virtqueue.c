/* Tangled from chapters/33-launcher-virtio.nw and chapters/35-launcher-net.nw
 * by `make tangle`: edit the chapters, not this file. */
/*L:825, continued :*/
/* The split virtqueue walker: every ring field checked before use. */
#include "virtio.h"
#include <string.h>

/*L:830 The threat model, once more.
 * The Guest may lie about every field of every ring, and may change any of them
 * while we read. Its driver runs at ring 3 in memory it owns; it can write the
 * descriptor table, the available ring, even our used ring, at any moment,
 * from any instruction. So the walker obeys three rules:
 *
 * 1. every value is read from Guest memory *once*, into a local variable, and
 *    only the local copy is checked and used (a value read twice could change
 *    between the check and the use);
 * 2. every address and length goes through `guest_ptr`, which checks it against
 *    the Guest's window and kills the Guest if it strays;
 * 3. every walk is bounded: a chain can visit at most as many descriptors as its
 *    table has, so a loop of `next` fields ends in a kill, not a hang.
 *
 * A Guest that breaks a rule is killed with a reason that names the device and
 * the field: the Guest is broken or hostile, and either way it is done. Rule 1
 * needs the compiler's help: a plain read may be done twice or torn by an
 * optimizer, so we read through a `volatile` access, the kernel's `READ_ONCE`. :*/
#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))
/*:*/
/*L:835 Mapping a queue.
 * When the driver sets `QueueReady`, the three addresses are final, and we
 * check them once: the size a power of two no bigger than we offered, each
 * array aligned as the specification demands (16 bytes for descriptors, 2 for
 * the available ring, 4 for the used ring), and each array whole inside the
 * window. From then on the pointers are good: the window never moves, and it is
 * the *contents* we must distrust, not the places. :*/
void devq_map(struct devq *vq, const char *name)
{
	u64 n = vq->num;

	if (n == 0 || n > DEVQ_NUM_MAX || (n & (n - 1)))
		bad_driver("%s: queue size %llu is not a power of two up to %d",
			   name, n, DEVQ_NUM_MAX);
	if ((vq->desc_addr & 15) || (vq->avail_addr & 1) || (vq->used_addr & 3))
		bad_driver("%s: misaligned queue (desc %#llx, driver %#llx, device %#llx)",
			   name, vq->desc_addr, vq->avail_addr, vq->used_addr);
	vq->desc = guest_ptr(vq->desc_addr, n * sizeof(struct vring_desc));
	vq->avail = guest_ptr(vq->avail_addr, sizeof(struct vring_avail) + (n + 1) * 2);
	vq->used = guest_ptr(vq->used_addr,
			     sizeof(struct vring_used) + n * sizeof(struct vring_used_elem) + 2);
	vq->last_avail = vq->used_idx = 0;
	vq->signalled_valid = false;
}
/*:*/
/*L:840 What is new in the available ring.
 * The driver's `idx` minus our `last_avail`, in 16-bit arithmetic, is how many
 * chains wait for us. It can never honestly be more than the queue size: the
 * driver cannot offer more chains than it has descriptors. A bigger jump means
 * a lying Guest, and taking it at its word would make us process stale ring
 * entries over and over. The acquire fence orders our later reads of the ring
 * after our read of `idx`: the driver fills the ring entry before it bumps
 * the index, and we must not see the new index with the old entry. :*/
static u16 devq_avail_idx(struct devq *vq, const char *name)
{
	u16 idx = READ_ONCE(vq->avail->idx);

	if ((u16)(idx - vq->last_avail) > vq->num)
		bad_driver("%s: available index jumped from %u to %u in a queue of %u",
			   name, vq->last_avail, idx, vq->num);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return idx;
}
/*:*/
/*L:840, continued :*/
static u16 devq_next_head(struct devq *vq, const char *name)
{
	u16 head = READ_ONCE(vq->avail->ring[vq->last_avail & (vq->num - 1)]);

	if (head >= vq->num)
		bad_driver("%s: chain head %u is outside a queue of %u", name, head, vq->num);
	vq->last_avail++;
	return head;
}
/*:*/
/*L:845 Walking a chain.
 * A descriptor, copied out of the table whole, becomes one `iovec`. The
 * specification puts all the buffers the device reads before all those it
 * writes; a driver that mixes them is wrong, and we say so rather than guess
 * which part of a request is which. The running totals are 64-bit, but a used
 * length is only 32, so a chain that claims more than 4 GiB in either direction
 * is refused too (the same memory can appear in many descriptors, so the window
 * alone does not bound the sum). :*/
static void devq_add_segment(struct devq_chain *c, const struct vring_desc *d, const char *name)
{
	bool writable = d->flags & VRING_DESC_F_WRITE;
	struct iovec *iov = &c->iov[c->nr_out + c->nr_in];

	if (c->nr_out + c->nr_in == DEVQ_MAX_SEGS)
		bad_driver("%s: chain has more than %d buffers", name, DEVQ_MAX_SEGS);
	if (!writable && c->nr_in)
		bad_driver("%s: chain has a readable buffer after a writable one", name);
	iov->iov_base = guest_ptr(d->addr, d->len);
	iov->iov_len = d->len;
	if (writable)
		c->nr_in++, c->in_len += d->len;
	else
		c->nr_out++, c->out_len += d->len;
	if (c->in_len > 0xffffffffULL || c->out_len > 0xffffffffULL)
		bad_driver("%s: chain is longer than 4 GiB", name);
}
/*:*/
/*L:845, continued :*/
static const u8 *devq_indirect(struct devq *vq, const struct vring_desc *d,
			     bool nested, u32 *max, const char *name)
{
	if (!vq->indirect)
		bad_driver("%s: indirect descriptor without the feature", name);
	if (nested)
		bad_driver("%s: indirect descriptor inside an indirect table", name);
	if (d->flags & VRING_DESC_F_NEXT)
		bad_driver("%s: indirect descriptor with NEXT set", name);
	if (d->len == 0 || d->len % sizeof(struct vring_desc) ||
	    d->len / sizeof(struct vring_desc) > DEVQ_MAX_SEGS)
		bad_driver("%s: indirect table of %u bytes", name, d->len);
	*max = d->len / sizeof(struct vring_desc);
	return guest_ptr(d->addr, d->len);
}
/*:*/
/*L:845, continued :*/
static void devq_walk(struct devq *vq, struct devq_chain *c, u16 head, const char *name)
{
	const u8 *table = (const u8 *)vq->desc;
	struct vring_desc d;
	u32 max = vq->num, steps = 0, i = head;
	bool indirect = false;

	for (;;) {
		if (++steps > max)
			bad_driver("%s: descriptor chain loops (more than %u steps)", name, max);
		/*L:846 An indirect table anywhere.
		 * Where may an indirect table lie? The specification asks 16-byte alignment of
		 * a queue's own descriptor table, and `devq_map` holds the driver to it (*L:835*).
		 * It asks nothing of an indirect table: its words in the indirect-descriptor
		 * section say where the table is and how long, not how it is aligned. Linux
		 * happens to allocate its tables with `kmalloc`, which aligns them, but a driver
		 * that packs a table after a request header, at an odd address, breaks no rule
		 * we could quote. So we do not refuse it; we read it correctly.
		 *
		 * That rules out what we did first: point a `struct vring_desc *` at the table
		 * and read its fields. At an odd address that pointer is misaligned, and in C
		 * reading through it is undefined behaviour. On x86 the load happens to work, so
		 * nothing showed until UBSan (`-fsanitize=undefined`) reported it; a compiler
		 * is allowed to assume the alignment, though, and may one day emit an
		 * instruction that does not tolerate it. The table is hostile input in two
		 * ways at once: its contents may lie, and so may its address.
		 *
		 * So the walker treats every table as bytes, `const u8 *`, and copies a
		 * descriptor out with `memcpy`, which has no alignment to assume; the compiler
		 * turns it into two plain loads. The copy must also keep rule 1 (*L:830*), one
		 * read of Guest memory per value. `READ_ONCE` did that with `volatile`, but a
		 * `volatile` load of a misaligned `u64` is the same undefined access again.
		 * Instead, an empty `asm` statement tells the compiler that our copy `d` may
		 * have changed behind its back, so it can never read a field again from the
		 * table in place of the copy: the `memcpy` is the one read. The cost is nil;
		 * the test `tests/virtio/test-vq-align.sh` builds the walker with UBSan set to
		 * stop at its first report and walks tables at offsets 0, 1, 2, 4, 8 and 15 from
		 * a 16-byte boundary. :*/
		memcpy(&d, table + (u64)i * sizeof(d), sizeof(d));
		__asm__ volatile("" : "+m"(d));	/* the copy is the only read of the table */
		/*:*/
		if (d.flags & VRING_DESC_F_INDIRECT) {
			table = devq_indirect(vq, &d, indirect, &max, name);
			indirect = true, steps = 0, i = 0;
			continue;
		}
		devq_add_segment(c, &d, name);
		if (!(d.flags & VRING_DESC_F_NEXT))
			return;
		i = d.next;
		if (i >= max)
			bad_driver("%s: descriptor chains to %u, outside a table of %u",
				   name, i, max);
	}
}
/*:*/
/*L:848 Popping and pushing.
 * Popping a chain is the three steps in order: is there one, which is its
 * head, walk it. `devq_unpop` gives the last chain back untouched, for a device
 * that popped a buffer and then found it had nothing to put in it (the network
 * card, *L:960*). Pushing writes the used entry, then, after a release fence
 * so that the driver cannot see the new index before the entry, the new index.
 * A device that keeps requests in flight after their chain is gone (the disk,
 * *L:928*) pushes by the head alone, which is all a used entry names. :*/
bool devq_pop(struct devq *vq, struct devq_chain *c, const char *name)
{
	if (!vq->ready || devq_avail_idx(vq, name) == vq->last_avail)
		return false;
	c->nr_out = c->nr_in = 0;
	c->out_len = c->in_len = 0;
	c->head = devq_next_head(vq, name);
	devq_walk(vq, c, c->head, name);
	return true;
}

void devq_unpop(struct devq *vq)
{
	vq->last_avail--;
}
/*:*/
/*L:848, continued :*/
void devq_push(struct devq *vq, const struct devq_chain *c, u32 written)
{
	devq_push_head(vq, c->head, written);
}

void devq_push_head(struct devq *vq, u16 head, u32 written)
{
	struct vring_used_elem *e = &vq->used->ring[vq->used_idx & (vq->num - 1)];

	WRITE_ONCE(e->id, head);
	WRITE_ONCE(e->len, written);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	WRITE_ONCE(vq->used->idx, ++vq->used_idx);
}
/*:*/
/*L:850 Notifications, and EVENT_IDX.
 * Every notification costs: a Guest's kick (a store to `QueueNotify`) is a VM
 * exit, an interrupt is a trip through the Host into the Guest. Both sides
 * therefore try to send as few as they can. The original scheme is a pair of
 * flags: the driver sets `NO_INTERRUPT` in the available ring when it does
 * not want interrupts (it is polling), and the device may set `NO_NOTIFY` in
 * the used ring. Flags are all-or-nothing, though, and they race: between the
 * driver clearing the flag and the device looking at it, work slips through.
 *
 * `VIRTIO_F_RING_EVENT_IDX` replaces the flags with *positions*. The driver
 * writes into `used_event` (after the available ring) the used index at which
 * it next wants an interrupt; the device writes into `avail_event` (after the
 * used ring) the available index at which it next wants a kick. A side sends a
 * notification only when the index it has just moved *crosses* the other's
 * event position. "Crosses" is subtle with counters that wrap, and the
 * specification gives the test: having moved our index from `old` to `new`, we
 * notify if `event` lies in `[old, new)`, that is, if `new - event - 1 < new -
 * old` in 16-bit arithmetic. So a driver that wants one interrupt per ten
 * buffers sets `used_event` ten ahead, and we stay quiet for the first nine.
 *
 * The fence before reading `used_event` is a full one: our store of `used->idx`
 * must be visible before we read the driver's position, or both sides could
 * each believe the other will act, and the driver would sleep on a buffer it
 * never hears about.
 *
 * An off-by-one here hides well: an interrupt one buffer early or late still
 * delivers every buffer, so no ordinary test notices. The tests
 * `event-idx-table` and `event-idx-table-wrap` in `tests/virtio/vqtest.c`
 * therefore push batches of one to three buffers through the random number
 * generator with `used_event` just before, at, and just after each end of the
 * batch, near zero and across the 16-bit wrap, and judge each answer by the
 * definition itself: an interrupt exactly when the used index steps onto
 * `used_event + 1` during the batch. :*/
static bool vring_need_event(u16 event, u16 new, u16 old)
{
	return (u16)(new - event - 1) < (u16)(new - old);
}

bool devq_needs_interrupt(struct devq *vq)
{
	u16 old = vq->signalled_used, new = vq->used_idx;
	bool valid = vq->signalled_valid;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	vq->signalled_used = new;
	vq->signalled_valid = true;
	if (!vq->event_idx)
		return !(READ_ONCE(vq->avail->flags) & VRING_AVAIL_F_NO_INTERRUPT);
	if (!valid)
		return true;
	return vring_need_event(READ_ONCE(vq->avail->ring[vq->num]), new, old);
}
/*:*/
/*L:855 Going to sleep without missing a kick.
 * The other direction: when a device has emptied a queue it is about to wait
 * for a kick, and it must tell the driver where to send it. With EVENT_IDX we
 * write our `last_avail` into `avail_event` ("wake me at the very next
 * buffer"); then, after a full fence, we look at the available index once more.
 * A buffer added between our last look and our write would otherwise be
 * missed: the driver read the old `avail_event`, saw no need to kick, and we
 * went to sleep. If something did arrive, we say so, and the caller goes
 * round again instead of sleeping. :*/
bool devq_enable_notify(struct devq *vq)
{
	u16 *avail_event = (u16 *)&vq->used->ring[vq->num];

	if (vq->event_idx)
		WRITE_ONCE(*avail_event, vq->last_avail);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return READ_ONCE(vq->avail->idx) == vq->last_avail;
}
/*:*/
/*L:959 Kicks by the batch.
 * A Guest that sends a stream of frames kicks us far more often than it
 * needs to. With `EVENT_IDX` we ask for a kick at the very next frame
 * whenever we have emptied the queue (*L:855*), and on a busy machine we
 * empty it often: our worker wakes, sends the two or three frames the Guest
 * queued meanwhile, finds the queue empty, and sleeps again, and the Guest's
 * next frame kicks once more. Each round costs both sides. The kick is a
 * store to an unbacked page, which this machine's KVM must decode and
 * emulate, some 20 microseconds of the vCPU's time; the wake-up costs the
 * worker a `poll`, a context switch and an eventfd read. Measured while the
 * machine was busy, we took a kick for every three frames, and the worker
 * spent a third of its time going to sleep and waking up.
 *
 * So a card that has just sent more than one frame expects more, and says
 * so: it asks the Guest to kick only when `NET_TX_BATCH` (32) more frames
 * wait, or half the queue if that is less (a Guest with eight buffers could
 * never queue 32), and promises to look by itself after `NET_TX_AGAIN_NS` (200
 * microseconds) if no kick comes (the worker's timed wait, *L:895*). A
 * stream then costs a kick per 32 frames or fewer, and a round of the worker
 * per 32 frames or per 200 microseconds, whichever comes first. A frame that
 * arrives alone, a ping or the last of a burst, waits at most those 200
 * microseconds; and a look that finds one frame or none puts the card back
 * to asking for a kick at the very next frame, so a quiet card adds no delay
 * at all. This is interrupt moderation, which real network cards do for the
 * interrupts they send, turned round to the kicks they receive. On the same
 * busy machine the card now takes one kick per 65 to 75 frames, and its
 * thread spends 4.9 microseconds of CPU on a frame where it spent 13.3, most
 * of what is left being the host kernel's own path from the tap to a socket;
 * the Guest-to-host row of `make bench` went from 1.2 times QEMU's card to
 * 2.8 (the table near the end of *Drivers: the network*).
 *
 * For this the queue needs one more way to go to sleep: "kick me when `more`
 * new chains wait", which is `avail_event` written `more - 1` ahead of what
 * we have taken. The check after the fence now asks whether that many have
 * already come; fewer than that are left for our own look. A driver without
 * `EVENT_IDX` kicks for every chain whatever we write, so there `more` is
 * always 1. :*/

bool devq_enable_notify_after(struct devq *vq, u16 more)
{
	u16 *avail_event = (u16 *)&vq->used->ring[vq->num];

	if (!vq->event_idx || !more)
		more = 1;
	WRITE_ONCE(*avail_event, (u16)(vq->last_avail + more - 1));
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return (u16)(READ_ONCE(vq->avail->idx) - vq->last_avail) < more;
}
/*:*/
/*L:858 The loop every simple device runs.
 * Put together, a device that answers requests (the disk, the random number
 * generator, the console's output, the network's transmit side) runs one loop:
 * pop a chain, handle it, push it back with the number of bytes written, and
 * when the queue is empty, re-enable notifications and check once more. It
 * tells its caller whether it pushed anything, so the caller can consider an
 * interrupt once per batch rather than once per buffer. :*/
bool devq_drain(struct devq *vq, struct devq_chain *c, const char *name,
		u32 (*handle)(void *ctx, struct devq_chain *c), void *ctx)
{
	bool pushed = false;

	do {
		while (devq_pop(vq, c, name)) {
			devq_push(vq, c, handle(ctx, c));
			pushed = true;
		}
	} while (vq->ready && !devq_enable_notify(vq));
	return pushed;
}
/*:*/
/*L:860 Copying in and out of a chain.
 * Devices see a request as a stream of bytes spread over segments: a block
 * request's 16-byte header may in principle be split over two descriptors. Two
 * helpers copy a range of that stream to or from a plain buffer, and a third
 * cuts a range out as a new `iovec` array, for handing the data part of a
 * request to `preadv` or `writev` without copying it. :*/
static u64 iov_copy(const struct iovec *iov, unsigned n, u64 off, u8 *buf, u64 len,
		    bool to_iov)
{
	u64 done = 0;

	for (unsigned i = 0; i < n && done < len; i++) {
		u64 seg = iov[i].iov_len, chunk;

		if (off >= seg) {
			off -= seg;
			continue;
		}
		chunk = seg - off < len - done ? seg - off : len - done;
		if (to_iov)
			memcpy((u8 *)iov[i].iov_base + off, buf + done, chunk);
		else
			memcpy(buf + done, (u8 *)iov[i].iov_base + off, chunk);
		done += chunk, off = 0;
	}
	return done;
}
/*:*/
/*L:860, continued :*/
u64 iov_copy_from(const struct iovec *iov, unsigned n, u64 off, void *dst, u64 len)
{
	return iov_copy(iov, n, off, dst, len, false);
}

u64 iov_copy_to(const struct iovec *iov, unsigned n, u64 off, const void *src, u64 len)
{
	return iov_copy(iov, n, off, (u8 *)src, len, true);
}

unsigned iov_slice(const struct iovec *iov, unsigned n, u64 off, u64 len, struct iovec *out)
{
	unsigned k = 0;

	for (unsigned i = 0; i < n && len; i++) {
		u64 seg = iov[i].iov_len;

		if (off >= seg) {
			off -= seg;
			continue;
		}
		out[k].iov_base = (u8 *)iov[i].iov_base + off;
		out[k].iov_len = seg - off < len ? seg - off : len;
		len -= out[k++].iov_len, off = 0;
	}
	return k;
}
/*:*/
/*:*/
