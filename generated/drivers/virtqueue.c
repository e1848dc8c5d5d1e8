/* Tangled from chapters/20-drivers.nw by `make tangle`: edit the chapter, not this file. */
/*D:200 The queue's state.
 * What the driver keeps beside the three arrays: the size, a *free list* of
 * descriptors (threaded through their own `next` fields, as in every virtio
 * driver since lguest's), our copy of the available index (we never read back
 * what we wrote to shared memory, we count), the next used entry we will read,
 * and, per chain head, the driver's token and the indirect table if the request
 * has one. `kicked` is the available index at our last kick, which `EVENT_IDX`
 * needs (*D:225*). Requests that `vq_wait_for` saw finish while it waited for
 * another are parked in `done` until `vq_get` asks. :*/
/* Split virtqueues: the driver's side. */
#include "drivers.h"

#define VQ_NUM_MAX 256

struct vq_slot {
	void *token;
	struct vring_desc *table;	/* an indirect table, or NULL */
};

struct vq_done {
	void *token;
	u32 len;
};

struct virtqueue {
	struct virtio_device *dev;
	unsigned index, num;
	int event_idx, indirect;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	u16 free_head, nr_free;
	u16 avail_idx, kicked, last_used;
	u16 seen_used;			/* used->idx at the last interrupt */
	struct vq_slot *slots;
	struct vq_done *done;
	unsigned nr_done;
	void (*callback)(struct virtqueue *vq);
	u64 kicks, interrupts;
};

/*D:205 Ordering on x86.
 * What barriers does a split queue need? x86 keeps stores in order with other
 * stores, and loads in order with other loads, so the two rules "write the
 * descriptor before publishing its index" and "read the index before the entry
 * it covers" need only the *compiler* held back: `barrier()`, an empty `asm`
 * with a memory clobber. The one reordering x86 does allow is a load passing an
 * earlier store to another address, and `EVENT_IDX` has exactly that pattern,
 * twice. After publishing `avail->idx` the driver reads `avail_event` to decide
 * whether to kick; the device, symmetrically, publishes its `avail_event` and
 * then reads `avail->idx` to see whether it missed anything. If both loads could
 * overtake both stores, each side could read the other's stale value: the
 * driver would skip the kick and the device would go to sleep, and the request
 * would wait forever. A full fence, `mfence`, between the store and the load
 * rules it out. The same holds for `used_event` against `used->idx` in the
 * other direction. Ring 3 may execute `mfence`, and it costs a few dozen
 * cycles, nothing beside a trap. :*/
#define barrier() asm volatile("" : : : "memory")
#define vq_mb() asm volatile("mfence" : : : "memory")

static inline u16 vq_read16(const u16 *p)
{
	return *(const volatile u16 *)p;
}

static inline void vq_write16(u16 *p, u16 v)
{
	*(volatile u16 *)p = v;
}

static u16 *vq_used_event(struct virtqueue *vq)
{
	return &vq->avail->ring[vq->num];
}

static u16 *vq_avail_event(struct virtqueue *vq)
{
	return (u16 *)&vq->used->ring[vq->num];
}
/*:*/
/*D:210 Setting up a queue.
 * A queue is set up while the device is between `FEATURES_OK` and `DRIVER_OK`:
 * select it, ask how big it may be (0 means there is no such queue), choose a
 * size, give the device the three addresses, and say it is ready. Our size is
 * the smallest of the device's limit, the driver's wish and 256, rounded down
 * to a power of two. At 256 the descriptor table fills exactly one page, and
 * the two rings fit together in a second one: the available ring (at most 518
 * bytes) at its start and the used ring (at most 2054) from offset 1024, where
 * its 4-byte alignment is certain. Both pages come from the page allocator,
 * zeroed, and their addresses are Guest-physical, which are the addresses the
 * device uses. :*/
/*D:212 The queue's memory.
 * The free list starts as every descriptor in order. The two bookkeeping
 * arrays, a slot per descriptor for what each request is and a place to park
 * requests that came back while someone waited for another, are 16 bytes an
 * entry: 4 KiB each at 256 entries, so each is a page of its own. (The heap's
 * largest block is 2 KiB, and a queue of 128 entries once failed for asking it
 * for more.)
 *
 * Any of the five allocations can fail, and then we give back what we took and
 * nothing else. The heap does not zero what it hands out, so the queue's fields
 * hold whatever the last owner left until we clear them: we clear them before
 * anything can fail, and take the pages one by one, each failure jumping to
 * the label that undoes what came before it. :*/
static struct virtqueue *vq_alloc(unsigned num)
{
	struct virtqueue *vq = kmalloc(sizeof(*vq));
	u8 *rings;

	if (!vq)
		return NULL;
	memset(vq, 0, sizeof(*vq));
	if (!(rings = page_alloc()))
		goto out_free_vq;
	if (!(vq->desc = page_alloc()))
		goto out_free_rings;
	if (!(vq->slots = page_alloc()))
		goto out_free_desc;
	if (!(vq->done = page_alloc()))
		goto out_free_slots;
	vq->num = num, vq->nr_free = num;
	vq->avail = (struct vring_avail *)rings;
	vq->used = (struct vring_used *)(rings + 1024);
	for (unsigned i = 0; i < num; i++)
		vq->desc[i].next = i + 1;
	return vq;
out_free_slots:
	page_free(vq->slots);
out_free_desc:
	page_free(vq->desc);
out_free_rings:
	page_free(rings);
out_free_vq:
	kfree(vq);
	return NULL;
}
/*:*/

struct virtqueue *vq_setup(struct virtio_device *d, unsigned index, unsigned max_num,
			   void (*callback)(struct virtqueue *vq))
{
	struct virtqueue *vq;
	unsigned num = VQ_NUM_MAX;

	if (index >= VIRTIO_MAX_VQS)
		return NULL;
	vio_write(d, VIRTIO_MMIO_QUEUE_SEL, index);
	if (vio_read(d, VIRTIO_MMIO_QUEUE_READY))
		return NULL;
	while (num > max_num || num > vio_read(d, VIRTIO_MMIO_QUEUE_NUM_MAX))
		num /= 2;
	if (!num || !(vq = vq_alloc(num)))
		return NULL;
	vq->dev = d, vq->index = index, vq->callback = callback;
	vq->event_idx = !!(d->features & VIRTIO_BIT(VIRTIO_F_RING_EVENT_IDX));
	vq->indirect = !!(d->features & VIRTIO_BIT(VIRTIO_F_RING_INDIRECT_DESC));
	/*D:212, continued :*/
	vio_write(d, VIRTIO_MMIO_QUEUE_NUM, num);
	vio_write(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (u32)guest_pa(vq->desc));
	vio_write(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, guest_pa(vq->desc) >> 32);
	vio_write(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (u32)guest_pa(vq->avail));
	vio_write(d, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, guest_pa(vq->avail) >> 32);
	vio_write(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (u32)guest_pa(vq->used));
	vio_write(d, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, guest_pa(vq->used) >> 32);
	vio_write(d, VIRTIO_MMIO_QUEUE_READY, 1);
	/*:*/
	d->vqs[index] = vq;
	return vq;
}
/*:*/
/*D:215 Adding a request.
 * A request of one buffer takes one descriptor. A longer one could take a chain
 * of descriptors from the ring, but with `RING_INDIRECT_DESC` it can take just
 * one, pointing at a table of its own, which we allocate for it: the ring then
 * holds as many requests as it has entries, whatever their lengths, and the
 * device reads the table in one go. If the heap is out of memory we fall back
 * to a chain in the ring. No chain may be longer than the queue, which is the
 * specification's limit and the Launcher's check.
 *
 * The request becomes visible in two steps, in this order: its head goes into
 * the next slot of the available ring, and only then the ring's index moves on.
 * A device that reads the index therefore always finds the slot filled
 * (*D:205*). :*/
/*D:218 Filling descriptors.
 * Both ways of filling walk the request's buffers in order, the readable ones
 * first, and link each descriptor to the next. In the ring, the links follow the
 * free list, which is already linked: we only take its first `n` entries and
 * remember where the list resumes. In a table, descriptor `i` links to `i + 1`. :*/
static void vq_fill(struct vring_desc *d, const struct vq_buf *b, u16 flags)
{
	d->addr = guest_pa(b->addr);
	d->len = b->len;
	d->flags = flags;
}

static const struct vq_buf *vq_nth(const struct vq_buf *out, unsigned nout,
				   const struct vq_buf *in, unsigned i, u16 *flags)
{
	*flags = i < nout ? 0 : VRING_DESC_F_WRITE;
	return i < nout ? &out[i] : &in[i - nout];
}

static u16 vq_add_chain(struct virtqueue *vq, const struct vq_buf *out, unsigned nout,
			const struct vq_buf *in, unsigned nin)
{
	u16 head = vq->free_head, i = head, flags;
	unsigned n = nout + nin;

	for (unsigned k = 0; k < n; k++) {
		const struct vq_buf *b = vq_nth(out, nout, in, k, &flags);

		vq_fill(&vq->desc[i], b, flags | (k + 1 < n ? VRING_DESC_F_NEXT : 0));
		if (k + 1 < n)
			i = vq->desc[i].next;
	}
	vq->free_head = vq->desc[i].next;
	vq->nr_free -= n;
	return head;
}

static u16 vq_add_indirect(struct virtqueue *vq, struct vring_desc *table,
			   const struct vq_buf *out, unsigned nout,
			   const struct vq_buf *in, unsigned nin)
{
	u16 head = vq->free_head, flags;
	unsigned n = nout + nin;

	for (unsigned k = 0; k < n; k++) {
		const struct vq_buf *b = vq_nth(out, nout, in, k, &flags);

		vq_fill(&table[k], b, flags);
		if (k + 1 < n)
			table[k].flags |= VRING_DESC_F_NEXT, table[k].next = k + 1;
	}
	vq->desc[head].addr = guest_pa(table);
	vq->desc[head].len = n * sizeof(*table);
	vq->desc[head].flags = VRING_DESC_F_INDIRECT;
	vq->free_head = vq->desc[head].next;
	vq->nr_free--;
	return head;
}
/*:*/

int vq_add(struct virtqueue *vq, const struct vq_buf *out, unsigned nout,
	   const struct vq_buf *in, unsigned nin, void *token)
{
	unsigned n = nout + nin;
	struct vring_desc *table = NULL;
	u16 head;

	if (!n || n > vq->num || !token)
		return -1;
	if (vq->indirect && n > 1)
		table = kmalloc(n * sizeof(*table));
	if (!table && vq->nr_free < n)
		return -1;
	if (table && !vq->nr_free) {
		kfree(table);
		return -1;
	}
	head = table ? vq_add_indirect(vq, table, out, nout, in, nin) :
		       vq_add_chain(vq, out, nout, in, nin);
	vq->slots[head].token = token;
	vq->slots[head].table = table;
	vq->avail->ring[vq->avail_idx % vq->num] = head;
	barrier();
	vq_write16(&vq->avail->idx, ++vq->avail_idx);
	return 0;
}
/*:*/
/*D:225 Kicking, or not.
 * A kick is a write to `QueueNotify`, a trap to the Launcher: 25 microseconds
 * on the book's machine. A device that is busy working through the ring will see our new request
 * anyway, and the kick is wasted. With `EVENT_IDX` the device tells us exactly
 * when it wants one: it writes into `avail_event` the available index it will
 * look at next, and we kick only if the requests we added since our last kick
 * cross that point. The test is the specification's: with `old` our index at
 * the last kick, `new` our index now and `event` the device's wish, kick if
 * `new - event - 1 < new - old`, all in 16-bit arithmetic so that it survives
 * the wrap. Without `EVENT_IDX` there is only the device's blunt flag
 * `NO_NOTIFY`, "do not kick me at all for now".
 *
 * The fence comes first, and it is the one that matters (*D:205*): our new
 * index must be visible before we read the device's `avail_event`. :*/
static int vq_need_event(u16 event, u16 new, u16 old)
{
	return (u16)(new - event - 1) < (u16)(new - old);
}

void vq_kick(struct virtqueue *vq)
{
	u16 old = vq->kicked, new = vq->avail_idx;
	int need;

	vq_mb();
	vq->kicked = new;
	if (vq->event_idx)
		need = vq_need_event(vq_read16(vq_avail_event(vq)), new, old);
	else
		need = !(vq_read16(&vq->used->flags) & VRING_USED_F_NO_NOTIFY);
	if (!need)
		return;
	vio_write(vq->dev, VIRTIO_MMIO_QUEUE_NOTIFY, vq->index);
	vq->kicks++;
}
/*:*/
/*D:230 Taking a request back.
 * The device returns a request by writing its head and a length into the used
 * ring and moving `used->idx` on. We compare that index with our own count of
 * what we have taken; a difference means there is news. The entry is read only
 * after the index (*D:205*). The head must name a request we gave: a device
 * that returns anything else is broken, and we panic rather than corrupt the
 * free list. Then the request's descriptors go back on the free list, or its
 * indirect table back to the heap. How many descriptors a chain holds we count
 * again by following its `NEXT` flags: the ring is ours, written only by us, so
 * it still says what we wrote, and a slot need not remember it.
 *
 * With `EVENT_IDX`, a queue with a callback also tells the device, through
 * `used_event`, that it wants an interrupt for the next entry after this one.
 * A queue without a callback does not: nobody would run on that interrupt,
 * and its owner collects what came back when it next needs a descriptor (a
 * transmit queue) or asks for the interrupt explicitly before it sleeps
 * (`vq_arm`, *D:235*). Writing `used_event`, then reading `used->idx` again,
 * is the store-then-load pattern that needs the fence: without it the device
 * might return a request, decide from a stale `used_event` that we do not want
 * to hear about it, while we decide from a stale index that nothing came, and
 * we would sleep with a request done. :*/
static void vq_free_chain(struct virtqueue *vq, u16 head)
{
	struct vq_slot *s = &vq->slots[head];
	u16 last = head, n = 1;

	for (; vq->desc[last].flags & VRING_DESC_F_NEXT; n++)
		last = vq->desc[last].next;
	vq->desc[last].next = vq->free_head;
	vq->free_head = head;
	vq->nr_free += n;
	kfree(s->table);
	s->token = NULL, s->table = NULL;
}

static void *vq_get_used(struct virtqueue *vq, u32 *len)
{
	struct vring_used_elem e;
	void *token;

	if (vq->last_used == vq_read16(&vq->used->idx))
		return NULL;
	barrier();
	e = vq->used->ring[vq->last_used % vq->num];
	if (e.id >= vq->num || !vq->slots[e.id].token)
		guest_panic("virtio: device %d returned head %u on queue %u", vq->dev->index,
			    e.id, vq->index);
	token = vq->slots[e.id].token;
	vq_free_chain(vq, e.id);
	vq->last_used++;
	if (vq->event_idx && vq->callback) {
		vq_write16(vq_used_event(vq), vq->last_used);
		vq_mb();
	}
	if (len)
		*len = e.len;
	return token;
}

void *vq_get(struct virtqueue *vq, u32 *len)
{
	if (vq->nr_done) {
		struct vq_done *d = &vq->done[--vq->nr_done];

		if (len)
			*len = d->len;
		return d->token;
	}
	return vq_get_used(vq, len);
}
/*:*/
/*M:230 A packed ring.
 * Virtio 1.1 added a second layout, the *packed* virtqueue: one ring in which
 * descriptors, offers and returns all live, marked by flags that flip on each
 * lap, so that a device touches one cache line per request instead of three.
 * A driver for it next to the split one, behind the same functions, and
 * a comparison of the two on the same device, is a project of a few evenings;
 * our Launcher would need the other half. */
/*D:235 Waiting for one request.
 * Some drivers work one request at a time: the random number generator asks for
 * bytes and can do nothing until they come; a disk read in a shell command is
 * the same. `vq_wait_for` sleeps until the request with a given token comes
 * back, for a queue that has no callback (a callback would take the request
 * first). The pattern is the one *G:825* prescribes: disable interrupts, check,
 * and halt only if there is still nothing, since the halt re-enables interrupts
 * and sleeps in one step. Any interrupt wakes us, the device's or the clock's,
 * so we check again. Other requests that come back meanwhile are parked for a
 * later `vq_get`.
 *
 * Before halting we *arm* the queue: with `EVENT_IDX`, we write our position
 * into `used_event`, asking for an interrupt at the very next used entry, then
 * fence and look once more, since the entry may have arrived just before the
 * device could see our wish. `vq_arm` is for any driver that sleeps on a queue
 * without a callback; it returns 1 if there is already something to take.
 *
 * And before arming, we *poll*: for up to 200 microseconds we simply watch the
 * used index, which costs no exit at all. The reason is a measurement. On the
 * book's machine (a nested kvm_pvm), a halted Guest takes 2 to 4 milliseconds to wake when the
 * device's interrupt comes (the clock's alarms show the same lateness, *G:915*),
 * while a device thread in the Launcher usually finishes a small request within
 * a few tens of microseconds of the kick. Twenty one-byte requests to the
 * entropy device took 2.4 ms each with a halt at once, and 0.05 ms with the
 * poll (*D:470*). A request that takes longer, a disk write with a flush, pays
 * 200 microseconds of spinning on top of its sleep, a small price beside the
 * milliseconds it waits anyway. Linux's KVM does the same on the host side
 * for the same reason: `halt_poll_ns`. :*/
#define VQ_POLL_NS 200000

static int vq_poll(struct virtqueue *vq)
{
	u64 end = guest_rdtsc() + clock_ns_to_tsc(VQ_POLL_NS);

	do {
		if (vq->last_used != vq_read16(&vq->used->idx))
			return 1;
		asm volatile("pause");
	} while (guest_rdtsc() < end);
	return 0;
}

int vq_arm(struct virtqueue *vq)
{
	if (vq->event_idx) {
		vq_write16(vq_used_event(vq), vq->last_used);
		vq_mb();
	}
	return vq->last_used != vq_read16(&vq->used->idx);
}

u32 vq_wait_for(struct virtqueue *vq, void *token)
{
	u64 flags = irq_save();
	void *t;
	u32 len;

	for (;;) {
		while ((t = vq_get_used(vq, &len)) && t != token) {
			vq->done[vq->nr_done].token = t;
			vq->done[vq->nr_done++].len = len;
		}
		if (t == token)
			break;
		if (!vq_poll(vq) && !vq_arm(vq))
			guest_halt();
		irq_disable();
	}
	irq_restore(flags);
	return len;
}
/*:*/
/*D:238 Waiting for any request.
 * A driver with many requests in flight, the disk's benchmark at a queue depth
 * of 32 (*D:698*), does not care which comes back first: it wants the next
 * one, whatever it is, to put another in its place. `vq_wait_any` is the same
 * wait as `vq_wait_for` without the token: it takes a parked request first,
 * then anything in the used ring, and sleeps only when both are empty. With
 * nothing in flight at all it would sleep forever, so then it returns `NULL`
 * at once: every descriptor on the free list means no request is out. :*/
void *vq_wait_any(struct virtqueue *vq, u32 *len)
{
	u64 flags = irq_save();
	void *t;

	while (!(t = vq_get(vq, len)) && vq->nr_free != vq->num) {
		if (!vq_poll(vq) && !vq_arm(vq))
			guest_halt();
		irq_disable();
	}
	irq_restore(flags);
	return t;
}
/*:*/
/*D:240 The interrupt, and small questions.
 * The bus calls `vq_interrupt` for each queue of a device whose interrupt says
 * "used buffers"; it runs the queue's callback if there is anything to take,
 * and counts the interrupt against the queue if the device used something in
 * it since the last one.
 * The rest answer small questions: how many descriptors are free, how big the
 * queue is, which device it belongs to, and how many kicks and interrupts it
 * has cost so far, which the shell's `info` prints so that a reader can watch
 * `EVENT_IDX` at work. :*/
void vq_interrupt(struct virtqueue *vq)
{
	u16 used = vq_read16(&vq->used->idx);

	if (used != vq->seen_used)
		vq->interrupts++;
	vq->seen_used = used;
	if (vq->callback && vq->last_used != used)
		vq->callback(vq);
}

unsigned vq_free(struct virtqueue *vq)
{
	return vq->nr_free;
}

unsigned vq_size(struct virtqueue *vq)
{
	return vq->num;
}

struct virtio_device *vq_device(struct virtqueue *vq)
{
	return vq->dev;
}

void vq_stats(struct virtqueue *vq, u64 *kicks, u64 *interrupts)
{
	*kicks = vq->kicks;
	*interrupts = vq->interrupts;
}
/*:*/
/*:*/
/*D:255, continued :*/

struct vq_rings vq_rings(struct virtqueue *vq)
{
	return (struct vq_rings){ vq->desc, vq->avail, vq->num, vq->avail_idx };
}
/*:*/
