/*
 * The Launcher's devices through their worker threads, where `make mutate`
 * found behaviour no other test looked at (chapters 33 and 34):
 *
 *  - the transport's worker (L:1049 and around): a kick before DRIVER_OK
 *    reaches no device, a kick is handled once (the eventfd is emptied, the
 *    worker does not spin), the device's own descriptor is served without a
 *    kick, and a reset reaches the device's reset hook;
 *  - the ioeventfd: the notify register is covered by one, bound to the
 *    device's eventfd, so a kick never exits to the run loop (KVM is played
 *    here: a 4-byte write at a registered address signals the eventfd);
 *  - the console: input larger than the Guest's buffers arrives whole and in
 *    order, the end of input is a newline and ^D, and a Guest that resets
 *    the console sees the end of input again;
 *  - the entropy device fills exactly the writable buffers of one chain, at
 *    most 64 KiB;
 *  - the disk: GET_ID into a short buffer, io_uring used where the kernel has
 *    it, and a ring that cannot be set up leaves no descriptor behind and
 *    falls back to one request at a time.
 *
 * We link the tangled launcher/virtqueue.c, virtio_mmio.c, virtio_console.c,
 * virtio_rng.c, virtio_blk.c and virtio_devices.c, and play the rest of the
 * Launcher and KVM.  Standard input is a pipe we write (the console's).
 * Prints "ok NAME" / "FAIL NAME: why" / "skip NAME: why"; exit status 0.
 */
#define _GNU_SOURCE		/* posix_openpt, ptsname */
#define FAKE_KVM
#include "fake_launcher.h"
#include "../harness.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------ the fake Launcher */
#define RAM_SIZE (4u << 20)

void sandbox_enter_device(u32 device_id, const char *thread) { (void)device_id, (void)thread; }
void sandbox_vcpu_may_use(int fd) { (void)fd; }
void net_add_tap(const char *value) { (void)value; }
void net_add_switch(const char *value) { (void)value; }

/* KVM, played: interrupt lines are accepted, ioeventfds are remembered (with
 * KVM's rule that a length is 1, 2, 4 or 8), and guest_write() below hands
 * a write to an ioeventfd that covers it, else to the region (an exit). */
static struct kvm_ioeventfd iofds[32];
static int nr_iofds;

static int fake_kvm_ioctl(unsigned long req, void *arg)
{
	struct kvm_ioeventfd *io = arg;

	if (req == KVM_IRQ_LINE)
		return 0;
	if (req != KVM_IOEVENTFD) {
		errno = ENOTTY;
		return -1;
	}
	if ((io->len != 1 && io->len != 2 && io->len != 4 && io->len != 8) || nr_iofds == 32) {
		errno = EINVAL;
		return -1;
	}
	iofds[nr_iofds++] = *io;
	return 0;
}

/* open(): the Nth open of FAIL_PATH fails with ENFILE (a ring that cannot be
 * set up), or opens OTHER_PATH instead when that is set (the image replaced
 * between two opens); the rest are real. */
static const char *fail_path, *other_path;
static int fail_nth, opens_of_path;

int open(const char *path, int flags, ...)
{
	va_list ap;
	int mode;

	va_start(ap, flags);
	mode = va_arg(ap, int);
	va_end(ap);
	if (fail_path && strcmp(path, fail_path) == 0 && ++opens_of_path == fail_nth) {
		if (other_path)
			return syscall(SYS_openat, AT_FDCWD, other_path, flags, mode);
		errno = ENFILE;
		return -1;
	}
	return syscall(SYS_openat, AT_FDCWD, path, flags, mode);
}

/* getrandom(): as the manual allows, short (about half of what is asked,
 * at least one byte) and now and then interrupted before any byte, so the
 * entropy device must loop until its buffers are full, and no further. */
static int getrandom_calls;

ssize_t getrandom(void *buf, size_t len, unsigned flags)
{
	if (++getrandom_calls % 3 == 0) {
		errno = EINTR;
		return -1;
	}
	return syscall(SYS_getrandom, buf, len > 1 ? len / 2 : len, flags);
}

/* ppoll(): on the descriptors of ppoll_fails_fd's worker, fails with EINVAL
 * (as no worker should ever meet); the rest are real. */
static volatile int ppoll_fails_fd = -1;

/* glibc declares fds write-only; the descriptors in it are read all the same */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *t, const sigset_t *mask)
{
	struct timespec left, *tp = NULL;

	if (n && fds[0].fd == ppoll_fails_fd) {
		errno = EINVAL;
		return -1;
	}
	if (t)
		left = *t, tp = &left;	/* the kernel writes back what is left */
	return syscall(SYS_ppoll, fds, n, tp, mask, _NSIG / 8);
}
#pragma GCC diagnostic pop

/* eventfd(): with eventfd_fails set, there are none left (EMFILE). */
static int eventfd_fails;

int eventfd(unsigned int count, int flags)
{
	if (eventfd_fails) {
		errno = EMFILE;
		return -1;
	}
	return syscall(SYS_eventfd2, count, flags);
}

/* err(): the Launcher's way out.  When a test expects it (err_expected), a
 * worker notes its status and words and ends its own thread, and the main
 * thread ends the process with the status; any other call is a failure. */
static volatile int err_expected, err_status;
static char err_said[256];

void err(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err_said, sizeof(err_said), fmt, ap);
	va_end(ap);
	if (!err_expected) {
		printf("FAIL unexpected-err: %s\n", err_said);
		fflush(stdout);
		_exit(0);
	}
	if (pthread_equal(pthread_self(), fake_main_thread))
		_exit(status);
	__atomic_store_n(&err_status, status, __ATOMIC_RELEASE);
	pthread_exit(NULL);
}

static int exits;		/* writes that reached a region: exits to the run loop */

static void guest_write(struct virtio_dev *d, u64 off, u32 v)
{
	u8 data[4];

	for (int i = 0; i < nr_iofds; i++)
		if (iofds[i].addr == d->base + off && iofds[i].len == 4) {
			eventfd_write(iofds[i].fd, 1);
			return;
		}
	exits++;
	io_put(data, 4, v);
	d->region.access(&d->region, off, data, 4, true);
}

static u32 guest_read(struct virtio_dev *d, u64 off)
{
	u8 data[4];

	d->region.access(&d->region, off, data, 4, false);
	return io_get(data, 4);
}

static void pause_ms(int ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&t, NULL);
}

/* Wait up to 10 s (the machine may be loaded) for *P to reach WANT. */
static bool wait_for(volatile int *p, int want)
{
	for (int i = 0; i < 10000 && __atomic_load_n(p, __ATOMIC_ACQUIRE) < want; i++)
		pause_ms(1);
	return __atomic_load_n(p, __ATOMIC_ACQUIRE) >= want;
}

/* ------------------------------------------------------------ queues in guest RAM */
/* Queue Q of D: 8 entries at BASE (descriptors), BASE+0x1000 (available),
 * BASE+0x2000 (used), set up register by register as a driver does. */
struct gq {
	struct virtio_dev *d;
	u64 base;
	u16 next;			/* the next descriptor to use */
};

static struct vring_desc *gq_desc(struct gq *q) { return (void *)(vm.ram + q->base); }
static struct vring_avail *gq_avail(struct gq *q) { return (void *)(vm.ram + q->base + 0x1000); }
static struct vring_used *gq_used(struct gq *q) { return (void *)(vm.ram + q->base + 0x2000); }

static void driver_start_with(struct virtio_dev *d, u32 low)
{
	guest_write(d, VIRTIO_MMIO_STATUS, 0);
	guest_write(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	guest_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	guest_write(d, VIRTIO_MMIO_DRIVER_FEATURES, low);
	guest_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	guest_write(d, VIRTIO_MMIO_DRIVER_FEATURES, 1);	/* VERSION_1 */
	guest_write(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		    VIRTIO_STATUS_FEATURES_OK);
}

static void driver_start(struct virtio_dev *d)
{
	driver_start_with(d, 0);
}

static void gq_up(struct gq *q, struct virtio_dev *d, int sel, u64 base)
{
	*q = (struct gq){ d, base, 0 };
	memset(vm.ram + base, 0, 0x3000);
	guest_write(d, VIRTIO_MMIO_QUEUE_SEL, sel);
	guest_write(d, VIRTIO_MMIO_QUEUE_NUM, 8);
	guest_write(d, VIRTIO_MMIO_QUEUE_DESC_LOW, base);
	guest_write(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, base + 0x1000);
	guest_write(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, base + 0x2000);
	guest_write(d, VIRTIO_MMIO_QUEUE_READY, 1);
}

static void driver_ok(struct virtio_dev *d)
{
	guest_write(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		    VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
}

/* Offer one chain of N buffers (ADDR[i], LEN[i], writable if W[i]); no kick. */
static void gq_offer(struct gq *q, int n, const u64 *addr, const u32 *len, const bool *w)
{
	struct vring_avail *a = gq_avail(q);
	u16 head = q->next & 7;

	for (int i = 0; i < n; i++) {
		u16 k = q->next++ & 7;

		gq_desc(q)[k] = (struct vring_desc){ addr[i], len[i],
			(w[i] ? VRING_DESC_F_WRITE : 0) | (i + 1 < n ? VRING_DESC_F_NEXT : 0),
			(u16)(q->next & 7) };
	}
	a->ring[a->idx & 7] = head;
	__atomic_store_n(&a->idx, (u16)(a->idx + 1), __ATOMIC_RELEASE);
}

static void gq_kick(struct gq *q)
{
	guest_write(q->d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
}

/* Wait up to MS for the used index to reach IDX. */
static bool gq_wait_ms(struct gq *q, u16 idx, int ms)
{
	for (int i = 0; i < ms; i++) {
		if ((u16)(__atomic_load_n(&gq_used(q)->idx, __ATOMIC_ACQUIRE) - idx) < 0x8000)
			return true;
		pause_ms(1);
	}
	return false;
}

/* Wait (generously: the machine may be loaded) for the used index to reach IDX. */
static bool gq_wait(struct gq *q, u16 idx)
{
	return gq_wait_ms(q, idx, 10000);
}

static u32 gq_used_len(struct gq *q, u16 idx)
{
	return gq_used(q)->ring[idx & 7].len;
}

/* ------------------------------------------------------------ the transport */
/* A device that only counts: kicks, its own descriptor's readiness, resets. */
static volatile int probe_notes, probe_ready, probe_resets;
static int probe_pipe[2];

static void probe_notify(struct virtio_dev *d) { (void)d; __atomic_add_fetch(&probe_notes, 1, __ATOMIC_RELEASE); }
static void probe_reset(struct virtio_dev *d) { (void)d; probe_resets++; }
static void probe_start(struct virtio_dev *d) { d->poll_fd = probe_pipe[0]; }

static void probe_fd_ready(struct virtio_dev *d)
{
	char c;

	(void)d;
	if (read(probe_pipe[0], &c, 1) == 1)
		__atomic_add_fetch(&probe_ready, 1, __ATOMIC_RELEASE);
}

static const struct virtio_ops probe_ops = {
	.name = "probe", .device_id = 42, .nr_queues = 1, .notify = probe_notify,
	.fd_ready = probe_fd_ready, .reset = probe_reset, .start = probe_start,
};
static struct virtio_dev probe;

static void test_worker(void)
{
	int notes, covered = 0;
	char want[64];

	for (int i = 0; i < nr_iofds; i++)
		covered += iofds[i].addr == probe.base + VIRTIO_MMIO_QUEUE_NOTIFY &&
			   iofds[i].len == 4 && iofds[i].fd == probe.notify_fd;
	check("ioeventfd-covers-notify", covered == 1, "%d ioeventfds cover the probe's notify "
	      "register with its eventfd (KVM would send every kick to the run loop)", covered);
	check("ioeventfd-no-complaint", !strstr(fake_said, "no ioeventfd"),
	      "an ioeventfd KVM took was said to be missing: '%s'", fake_said);
	driver_start(&probe);
	guest_write(&probe, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	pause_ms(100);
	check("worker-no-kick-before-driver-ok", probe_notes == 0,
	      "a kick before DRIVER_OK reached the device %d times", probe_notes);
	driver_ok(&probe);
	wait_for(&probe_notes, 1);
	pause_ms(200);
	notes = probe_notes;
	check("worker-driver-ok-wakes-once", notes == 1,
	      "DRIVER_OK woke the device %d times in 200 ms (want once: is the eventfd emptied?)",
	      notes);
	driver_ok(&probe);		/* the same status again: not news */
	pause_ms(100);
	check("worker-status-rewrite-no-wake", probe_notes == notes,
	      "writing DRIVER_OK again woke the device %d times", probe_notes - notes);
	notes = probe_notes;
	exits = 0;
	guest_write(&probe, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	wait_for(&probe_notes, notes + 1);
	check("kick-by-ioeventfd", probe_notes == notes + 1 && exits == 0,
	      "a kick woke the device %d times, with %d MMIO exits (want 1 wake-up, no exit)",
	      probe_notes - notes, exits);
	notes = probe_notes;
	if (write(probe_pipe[1], "x", 1) != 1)
		check("worker-fd-ready", false, "cannot write the probe's pipe");
	wait_for(&probe_ready, 1);
	check("worker-fd-ready-without-kick", probe_ready == 1,
	      "the device's own descriptor was not served within 10 s of becoming readable");
	check("worker-fd-ready-is-not-a-kick", probe_notes == notes,
	      "readiness of the device's descriptor was taken as %d kicks", probe_notes - notes);
	guest_write(&probe, VIRTIO_MMIO_STATUS, 0);
	/* After the reset the driver's features are none: one that writes only
	 * the high word (VERSION_1) asks for exactly that, and is accepted. */
	guest_write(&probe, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	guest_write(&probe, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	guest_write(&probe, VIRTIO_MMIO_DRIVER_FEATURES, 1);
	guest_write(&probe, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		    VIRTIO_STATUS_FEATURES_OK);
	check("reset-clears-driver-features",
	      guest_read(&probe, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK,
	      "after a reset, a driver asking for VERSION_1 alone was refused FEATURES_OK");
	check("reset-reaches-device", probe_resets == 2,
	      "%d resets reached the device's hook, want 2 (driver_start's and this one)",
	      probe_resets);
	/* Only selectors 0 and 1 name words of features: a write under any
	 * other is ignored, and cannot ask for what the device never offered. */
	guest_write(&probe, VIRTIO_MMIO_STATUS, 0);
	guest_write(&probe, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	guest_write(&probe, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 2);
	guest_write(&probe, VIRTIO_MMIO_DRIVER_FEATURES, 0xffffffff);
	guest_write(&probe, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	guest_write(&probe, VIRTIO_MMIO_DRIVER_FEATURES, 1);
	guest_write(&probe, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		    VIRTIO_STATUS_FEATURES_OK);
	check("driver-features-selector-2-ignored",
	      guest_read(&probe, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK,
	      "a write of features under selector 2 reached the device's features");
	/* Last, since it ends the probe's worker: a worker whose poll fails
	 * ends the Launcher with a word naming its device, and does not spin
	 * on the failure.  A kick wakes it into the failing poll. */
	err_expected = 1;
	ppoll_fails_fd = probe.notify_fd;
	guest_write(&probe, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	wait_for(&err_status, 1);
	snprintf(want, sizeof(want), "%s: poll", probe.name);
	check("worker-poll-failure-ends", err_status == 1 && strstr(err_said, want),
	      "a failing poll gave status %d, '%s' (want 1, '%s')", err_status, err_said, want);
	ppoll_fails_fd = -1;
	err_expected = 0;
}

/* ------------------------------------------------------------ the console */
#define CON_BUFS 0x300000ULL
static int con_in;		/* the write end of standard input */

/* Read the console's receive queue until WANT bytes came or a buffer waited
 * MS in vain, one 16-byte buffer at a time; the bytes go to OUT, their count
 * is returned. */
static size_t con_collect(struct gq *rx, u8 *out, size_t want, int ms)
{
	size_t got = 0;
	u16 idx = gq_used(rx)->idx;

	while (got < want) {
		u64 a = CON_BUFS + (idx & 7) * 16;
		u32 len = 16;
		bool w = true;
		u32 n;

		gq_offer(rx, 1, &a, &len, &w);
		gq_kick(rx);
		if (!gq_wait_ms(rx, (u16)(idx + 1), ms))
			break;
		n = gq_used_len(rx, idx);
		if (n > 16 || got + n > want)
			return got + n;		/* more than was given or asked */
		memcpy(out + got, vm.ram + a, n);
		got += n, idx++;
	}
	return got;
}

static void test_console(struct virtio_dev *con)
{
	struct gq rx, tx;
	u8 in[600], out[700];
	size_t n;

	driver_start(con);
	gq_up(&rx, con, 0, 0x280000);
	gq_up(&tx, con, 1, 0x290000);
	driver_ok(con);
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = 'a' + i % 26;
	if (write(con_in, in, sizeof(in)) != (ssize_t)sizeof(in))
		check("console-input", false, "cannot write the console's input");
	n = con_collect(&rx, out, sizeof(in), 10000);
	check("console-input-whole-in-order", n == sizeof(in) && memcmp(in, out, n) == 0,
	      "600 bytes through 16-byte buffers: %zu came%s", n,
	      n == sizeof(in) ? ", not in order" : "");
	if (write(con_in, "tail", 4) != 4)
		check("console-input", false, "cannot write the console's input");
	close(con_in);
	n = con_collect(&rx, out, 6, 10000);
	check("console-end-of-input", n == 6 && memcmp(out, "tail\n\004", 6) == 0,
	      "input 'tail' then its end: %zu bytes '%.*s' (want tail, newline, ^D)",
	      n, (int)n, out);
	n = con_collect(&rx, out, 1, 300);
	check("console-end-of-input-once", n == 0, "%zu more bytes after the end of input", n);

	/* The Guest resets the console (a driver probing again): it hears the end again. */
	driver_start(con);
	gq_up(&rx, con, 0, 0x280000);
	gq_up(&tx, con, 1, 0x290000);
	driver_ok(con);
	n = con_collect(&rx, out, 2, 10000);
	check("console-end-of-input-after-reset", n >= 1 && out[n - 1] == 0x04,
	      "after a reset the Guest got %zu bytes, not the end of input", n);
}

/* ------------------------------------------------------------ the entropy device */
#define RNG_BUFS 0x100000ULL

static void test_rng(struct virtio_dev *rng)
{
	struct gq q;
	u16 idx;
	u32 lens[2] = { 32, 32 };
	u64 addrs[2] = { RNG_BUFS, RNG_BUFS + 0x100 };
	bool ws[2] = { true, true };
	bool zero = true, quiet;

	driver_start(rng);			/* no EVENT_IDX: the flag decides */
	gq_up(&q, rng, 0, 0x2a0000);
	driver_ok(rng);
	gq_avail(&q)->flags = VRING_AVAIL_F_NO_INTERRUPT;
	gq_offer(&q, 1, addrs, lens, ws);
	gq_kick(&q);
	gq_wait(&q, 1);
	quiet = guest_read(rng, VIRTIO_MMIO_INTERRUPT_STATUS) == 0;
	gq_avail(&q)->flags = 0;
	gq_offer(&q, 1, addrs, lens, ws);
	gq_kick(&q);
	gq_wait(&q, 2);
	check("rng-no-interrupt-flag", quiet &&
	      guest_read(rng, VIRTIO_MMIO_INTERRUPT_STATUS) == VIRTIO_INT_USED,
	      "without EVENT_IDX, VRING_AVAIL_F_NO_INTERRUPT was not obeyed (%s)",
	      quiet ? "no interrupt once the flag was cleared" : "interrupted despite it");
	guest_write(rng, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_INT_USED);
	idx = gq_used(&q)->idx;
	memset(vm.ram + RNG_BUFS, 0, 0x200);
	gq_offer(&q, 2, addrs, lens, ws);
	gq_kick(&q);
	gq_wait(&q, idx + 1);
	for (int i = 32; i < 0x100; i++)
		zero &= vm.ram[RNG_BUFS + i] == 0 && vm.ram[RNG_BUFS + 0x100 + i] == 0;
	check("rng-two-buffers", gq_used_len(&q, idx) == 64 && zero,
	      "a chain of two 32-byte buffers got %u bytes, the bytes after them %s",
	      gq_used_len(&q, idx), zero ? "untouched" : "written");

	/* A readable buffer, then one writable: only the writable one is filled. */
	memset(vm.ram + RNG_BUFS + 0x200, 0, 8);
	addrs[0] = RNG_BUFS + 0x200, lens[0] = 8, ws[0] = false;
	lens[1] = 16;
	gq_offer(&q, 2, addrs, lens, ws);
	gq_kick(&q);
	gq_wait(&q, idx + 2);
	for (int i = 0; i < 8; i++)
		zero &= vm.ram[RNG_BUFS + 0x200 + i] == 0;
	check("rng-only-writable-buffers", gq_used_len(&q, idx + 1) == 16 && zero,
	      "readable 8 + writable 16: %u bytes given, readable buffer %s",
	      gq_used_len(&q, idx + 1), zero ? "untouched" : "written");

	/* Two 48 KiB buffers: 64 KiB at most, the rest untouched. */
	memset(vm.ram + RNG_BUFS, 0, 0x20000);
	addrs[0] = RNG_BUFS, addrs[1] = RNG_BUFS + 0xc000;
	lens[0] = lens[1] = 0xc000, ws[0] = true;
	gq_offer(&q, 2, addrs, lens, ws);
	gq_kick(&q);
	gq_wait(&q, idx + 3);
	zero = true;
	for (u32 i = 0x10000; i < 0x18000; i++)
		zero &= vm.ram[RNG_BUFS + i] == 0;
	check("rng-at-most-64k", gq_used_len(&q, idx + 2) == 0x10000 && zero,
	      "two 48 KiB buffers: %u bytes said given, the bytes past 64 KiB %s",
	      gq_used_len(&q, idx + 2), zero ? "untouched" : "written");
	guest_write(rng, VIRTIO_MMIO_STATUS, 0);
}

/* With EVENT_IDX, a queue the driver turns off and on again (QueueReady 0,
 * new rings, QueueReady 1) starts with no interrupt history: the first
 * buffer used on the new rings, crossing used_event 0, interrupts, whatever
 * the old rings had reached. */
static void test_rng_requeue(struct virtio_dev *rng)
{
	struct gq q;
	u64 a = RNG_BUFS;
	u32 len = 8;
	bool w = true;

	driver_start_with(rng, 1u << VIRTIO_F_RING_EVENT_IDX);
	gq_up(&q, rng, 0, 0x2a0000);
	driver_ok(rng);
	gq_offer(&q, 1, &a, &len, &w);
	gq_kick(&q);
	gq_wait(&q, 1);
	guest_write(rng, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_INT_USED);

	/* While the queue is ready its registers are not the driver's to
	 * change; nor are those of a queue the device does not have. */
	guest_write(rng, VIRTIO_MMIO_QUEUE_NUM, 4);
	guest_write(rng, VIRTIO_MMIO_QUEUE_DRIVER_LOW, 0x2a8000);
	guest_write(rng, VIRTIO_MMIO_QUEUE_SEL, 5);
	guest_write(rng, VIRTIO_MMIO_QUEUE_NUM, 4);
	guest_write(rng, VIRTIO_MMIO_QUEUE_SEL, 0);
	gq_offer(&q, 1, &a, &len, &w);
	gq_kick(&q);
	check("queue-registers-fixed-while-ready", gq_wait(&q, 2) && rng->vq[0].num == 8,
	      "a ready queue's size or ring moved when the driver wrote them");
	guest_write(rng, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_INT_USED);

	guest_write(rng, VIRTIO_MMIO_QUEUE_READY, 0);
	check("queue-ready-cleared", guest_read(rng, VIRTIO_MMIO_QUEUE_READY) == 0,
	      "QueueReady still reads 1 after the driver wrote 0");
	gq_up(&q, rng, 0, 0x2a4000);
	gq_offer(&q, 1, &a, &len, &w);
	gq_kick(&q);
	check("rng-event-idx-queue-reenabled", gq_wait(&q, 1) &&
	      guest_read(rng, VIRTIO_MMIO_INTERRUPT_STATUS) == VIRTIO_INT_USED,
	      "the first buffer on re-enabled rings was not used, or sent no interrupt");

	/* Reset, and a driver that writes only the high word: EVENT_IDX is
	 * forgotten, so VRING_AVAIL_F_NO_INTERRUPT holds from the first buffer. */
	guest_write(rng, VIRTIO_MMIO_STATUS, 0);
	guest_write(rng, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	guest_write(rng, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	guest_write(rng, VIRTIO_MMIO_DRIVER_FEATURES, 1);
	guest_write(rng, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		    VIRTIO_STATUS_FEATURES_OK);
	gq_up(&q, rng, 0, 0x2a0000);
	driver_ok(rng);
	gq_avail(&q)->flags = VRING_AVAIL_F_NO_INTERRUPT;
	gq_offer(&q, 1, &a, &len, &w);
	gq_kick(&q);
	gq_wait(&q, 1);
	check("reset-forgets-event-idx", guest_read(rng, VIRTIO_MMIO_INTERRUPT_STATUS) == 0,
	      "after a reset without EVENT_IDX asked again, NO_INTERRUPT was not obeyed");
	guest_write(rng, VIRTIO_MMIO_STATUS, 0);
}

/* ------------------------------------------------------------ the disk */
#define BLK_BUF 0x200000ULL
struct outhdr { u32 type, reserved; u64 sector; };

/* One request on queue Q: the header, DATA bytes (writable if W), status. */
static u8 blk_request(struct gq *q, u32 type, u64 sector, u32 data, bool w, u32 *used_len)
{
	struct outhdr h = { type, 0, sector };
	u64 addrs[3] = { BLK_BUF, BLK_BUF + 0x1000, BLK_BUF + 0x3000 };
	u32 lens[3] = { sizeof(h), data, 1 };
	bool ws[3] = { false, w, true };
	u16 idx = gq_used(q)->idx;

	memcpy(vm.ram + BLK_BUF, &h, sizeof(h));
	vm.ram[BLK_BUF + 0x3000] = 0xee;
	gq_offer(q, 3, addrs, lens, ws);
	gq_kick(q);
	if (!gq_wait(q, idx + 1))
		return 0xdd;
	*used_len = gq_used_len(q, idx);
	return vm.ram[BLK_BUF + 0x3000];
}

static const char *base_of(const char *path)
{
	return strrchr(path, '/') + 1;
}

static void test_blk_id(struct virtio_dev *d, const char *path)
{
	struct gq q;
	u32 len = 0;
	u8 st;

	driver_start(d);
	gq_up(&q, d, 0, 0x2b0000);
	driver_ok(d);
	memset(vm.ram + BLK_BUF + 0x1000, 0, 64);
	st = blk_request(&q, VIRTIO_BLK_T_GET_ID, 0, 8, true, &len);
	check("blk-get-id-short", st == 0 && len == 9 &&
	      memcmp(vm.ram + BLK_BUF + 0x1000, base_of(path), 8) == 0 &&
	      vm.ram[BLK_BUF + 0x1008] == 0,
	      "GET_ID into 8 bytes: status %u, used length %u (want 9), id '%.8s'",
	      st, len, vm.ram + BLK_BUF + 0x1000);
	st = blk_request(&q, VIRTIO_BLK_T_GET_ID, 0, 19, true, &len);
	check("blk-get-id-one-short", st == 0 && len == 20 &&
	      memcmp(vm.ram + BLK_BUF + 0x1000, base_of(path), 19) == 0,
	      "GET_ID into 19 bytes: status %u, used length %u (want 20)", st, len);
	st = blk_request(&q, VIRTIO_BLK_T_GET_ID, 0, 32, true, &len);
	check("blk-get-id-long", st == 0 && len == VIRTIO_BLK_ID_BYTES + 1,
	      "GET_ID into 32 bytes: status %u, used length %u (want 21)", st, len);
	memset(vm.ram + BLK_BUF + 0x1000, 'x', 1024);
	st = blk_request(&q, VIRTIO_BLK_T_OUT, 5, 1024, false, &len);
	memset(vm.ram + BLK_BUF + 0x1000, 0, 1024);
	st |= blk_request(&q, VIRTIO_BLK_T_IN, 5, 1024, true, &len) << 4;
	check("blk-write-read-back", st == 0 && len == 1025 &&
	      vm.ram[BLK_BUF + 0x1000] == 'x' && vm.ram[BLK_BUF + 0x13ff] == 'x',
	      "two sectors written and read back: status %#x, used length %u, first byte %#x",
	      st, len, vm.ram[BLK_BUF + 0x1000]);
	/* The image shrinks under the disk: a read of it fails, and only the
	 * status byte is said to be written. */
	if (truncate(path, 0) < 0)
		check("blk-image-shrunk", false, "cannot truncate %s", path);
	st = blk_request(&q, VIRTIO_BLK_T_IN, 0, 512, true, &len);
	check("blk-failed-read-used-length", st == VIRTIO_BLK_S_IOERR && len == 1,
	      "a read of a shrunk image: status %u, used length %u (want 1, 1)", st, len);
	guest_write(d, VIRTIO_MMIO_STATUS, 0);
}

static int count_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	while (dir && (e = readdir(dir)))
		n += e->d_name[0] != '.';
	if (dir)
		closedir(dir);
	return n;
}

static bool io_uring_here(void)
{
	struct io_uring ring;

	if (io_uring_queue_init(4, &ring, IORING_SETUP_R_DISABLED) < 0)
		return false;
	io_uring_queue_exit(&ring);
	return true;
}

/* Queue 0 of a disk D that was never started by virtio_start(): 8 entries at
 * DQ, its chain, and requests driven here as the worker would drive them. */
#define DQ 0x2c0000ULL

static void blk_direct_queue(struct virtio_dev *d)
{
	struct devq *vq = &d->vq[0];

	memset(vm.ram + DQ, 0, 0x3000);
	*vq = (struct devq){ .num = 8, .desc_addr = DQ, .avail_addr = DQ + 0x1000,
			     .used_addr = DQ + 0x2000 };
	devq_map(vq, d->name);
	vq->ready = true;
	d->chain = malloc(sizeof(*d->chain));
}

/* One request of TYPE at SECTOR, 512 bytes at BLK_BUF + 0x1000: its status,
 * or 0xdd if it is not answered within 10 s. */
static u8 blk_direct(struct virtio_dev *d, u32 type, u64 sector)
{
	struct outhdr h = { type, 0, sector };
	struct vring_desc *t = (void *)(vm.ram + DQ);
	struct vring_avail *a = (void *)(vm.ram + DQ + 0x1000);
	struct vring_used *u = (void *)(vm.ram + DQ + 0x2000);
	u16 idx = u->idx;

	memcpy(vm.ram + BLK_BUF, &h, sizeof(h));
	t[0] = (struct vring_desc){ BLK_BUF, sizeof(h), VRING_DESC_F_NEXT, 1 };
	t[1] = (struct vring_desc){ BLK_BUF + 0x1000, 512, VRING_DESC_F_NEXT |
				    (type == VIRTIO_BLK_T_IN ? VRING_DESC_F_WRITE : 0), 2 };
	t[2] = (struct vring_desc){ BLK_BUF + 0x3000, 1, VRING_DESC_F_WRITE, 0 };
	vm.ram[BLK_BUF + 0x3000] = 0xee;
	a->ring[a->idx & 7] = 0;
	a->idx++;
	d->ops->notify(d);
	for (int i = 0; i < 10000 && u->idx == idx; i++) {
		struct pollfd p = { d->poll_fd, POLLIN, 0 };

		if (d->poll_fd >= 0 && poll(&p, 1, 1) == 1)
			d->ops->fd_ready(d);
		else if (d->poll_fd < 0)
			pause_ms(1);
	}
	return u->idx == idx ? 0xdd : vm.ram[BLK_BUF + 0x3000];
}

/* A disk whose image is replaced between its two opens (the second, for the
 * ring, finds another file at the path): the ring must use neither that
 * file nor, once it is closed, whatever next takes its descriptor (here the
 * other file again, as a second disk), so the disk reads its own image. */
static void test_blk_replaced(const char *path, const char *other)
{
	struct virtio_dev *d;
	u8 st;

	fail_path = path, other_path = other, fail_nth = 2, opens_of_path = 0;
	blk_add(path);
	fail_path = other_path = NULL;
	d = virtio_device(virtio_nr_devices() - 1);
	blk_add(other);		/* takes the lowest free descriptor */
	d->ops->start(d);
	blk_direct_queue(d);
	memset(vm.ram + BLK_BUF + 0x1000, 0, 512);
	st = blk_direct(d, VIRTIO_BLK_T_IN, 0);
	check("blk-replaced-image-not-used", st == 0 && vm.ram[BLK_BUF + 0x1000] == 'A' &&
	      vm.ram[BLK_BUF + 0x11ff] == 'A',
	      "status %u, read %#x from the disk's image of 'A's", st, vm.ram[BLK_BUF + 0x1000]);
}

/* A disk whose ring cannot be set up (the image's second open fails): no
 * descriptor is left behind, the fallback is said, and a write and a read
 * still work, one request at a time.  Driven without a worker: notify runs
 * here, as the worker would run it. */
static void test_blk_no_ring(const char *path)
{
	struct virtio_dev *d;
	int before, after;
	bool wrote, read_back;

	fail_path = path, fail_nth = 2, opens_of_path = 0;
	blk_add(path);
	fail_path = NULL;
	d = virtio_device(virtio_nr_devices() - 1);
	fake_said[0] = '\0';
	before = count_fds();
	d->ops->start(d);
	after = count_fds();
	check("blk-ring-failure-no-leak", after == before,
	      "a ring that could not be set up left %d descriptors open", after - before);
	check("blk-ring-failure-said", strstr(fake_said, "no io_uring") != NULL,
	      "the fallback to one request at a time was not said: '%s'", fake_said);

	blk_direct_queue(d);
	memset(vm.ram + BLK_BUF + 0x1000, 'w', 512);
	wrote = blk_direct(d, VIRTIO_BLK_T_OUT, 3) == 0;
	memset(vm.ram + BLK_BUF + 0x1000, 0, 512);
	read_back = blk_direct(d, VIRTIO_BLK_T_IN, 3) == 0 &&
		    vm.ram[BLK_BUF + 0x1000] == 'w' && vm.ram[BLK_BUF + 0x11ff] == 'w';
	check("blk-without-ring-works", wrote && read_back,
	      "one request at a time: write %s, read %s", wrote ? "ok" : "failed",
	      read_back ? "ok" : "failed");
}

/* ------------------------------------------------------------ the device list */
static void test_options(void)
{
	/* Built with AddressSanitizer: a search past the option table stops us. */
	check("option-unknown-refused", !virtio_parse_option("--frob") &&
	      !virtio_parse_option("--rn") && !virtio_parse_option("--blocks=x"),
	      "an unknown option was taken for a device option");
}

/* ------------------------------------------------------------ the console's output */
/* The Guest's output when the write is cut short: standard output is a pipe
 * of one page that nobody reads yet, the Guest sends two buffers of 3000
 * bytes, and a signal every 20 ms interrupts the writes while the page is
 * full (a write that wrote part returns short; one that wrote nothing fails
 * with EINTR).  What was not written is written after, so all 6000 bytes
 * arrive, in order.  In a child (one thread: the signals are ours), the
 * transmit queue driven here. */
static void on_alarm(int sig) { (void)sig; }

static void console_output_child(struct virtio_dev *con, int out)
{
	struct devq *tx = &con->vq[1];
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { .it_interval = { 0, 20000 }, .it_value = { 0, 20000 } };
	struct vring_desc *t = (void *)(vm.ram + DQ);
	struct vring_avail *a = (void *)(vm.ram + DQ + 0x1000);

	dup2(out, STDOUT_FILENO);
	memset(vm.ram + DQ, 0, 0x3000);
	*tx = (struct devq){ .num = 8, .desc_addr = DQ, .avail_addr = DQ + 0x1000,
			     .used_addr = DQ + 0x2000 };
	devq_map(tx, con->name);
	tx->ready = true;
	con->chain = malloc(sizeof(*con->chain));
	for (int i = 0; i < 6000; i++)
		vm.ram[0x100000 + i] = 'A' + i % 23;
	t[0] = (struct vring_desc){ 0x100000, 3000, VRING_DESC_F_NEXT, 1 };
	t[1] = (struct vring_desc){ 0x100000 + 3000, 3000, 0, 0 };
	a->idx = 1;
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	con->ops->notify(con);
	_exit(0);
}

static void test_console_output(struct virtio_dev *con)
{
	int p[2], status;
	char got[8000];
	size_t n = 0;
	ssize_t r;
	pid_t pid;
	bool same = true;

	if (pipe(p) < 0 || fcntl(p[1], F_SETPIPE_SZ, 4096) < 0) {
		skip("console-output-cut-short", "cannot make a pipe of one page");
		return;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		console_output_child(con, p[1]);
	}
	close(p[1]);
	pause_ms(300);		/* the child's write blocks, and its signal comes */
	while (n < sizeof(got) && (r = read(p[0], got + n, sizeof(got) - n)) > 0)
		n += r;
	close(p[0]);
	waitpid(pid, &status, 0);
	for (size_t i = 0; i < n && i < 6000; i++)
		same &= got[i] == 'A' + (int)(i % 23);
	check("console-output-cut-short", n == 6000 && same,
	      "6000 bytes sent through a write cut short by a signal: %zu arrived%s", n,
	      same ? "" : ", not in order");
}

/* ------------------------------------------------------------ queues per device */
/* Each device offers exactly its own queues: QueueNumMax is 0 past them. */
static void test_queue_counts(struct virtio_dev *con, struct virtio_dev *rng,
			      struct virtio_dev *blk)
{
	struct { struct virtio_dev *d; u32 n; } want[] = { { con, 2 }, { rng, 1 }, { blk, 1 } };

	for (int i = 0; i < 3; i++) {
		struct virtio_dev *d = want[i].d;
		u32 n = want[i].n, last, past;

		guest_write(d, VIRTIO_MMIO_QUEUE_SEL, n - 1);
		last = guest_read(d, VIRTIO_MMIO_QUEUE_NUM_MAX);
		guest_write(d, VIRTIO_MMIO_QUEUE_SEL, n);
		past = guest_read(d, VIRTIO_MMIO_QUEUE_NUM_MAX);
		guest_write(d, VIRTIO_MMIO_QUEUE_SEL, 0);
		check(i == 0 ? "queues-console-two" : i == 1 ? "queues-rng-one" : "queues-blk-one",
		      last == DEVQ_NUM_MAX && past == 0, "%s: queue %u offers %u entries, "
		      "queue %u offers %u (want %d and 0)", d->name, n - 1, last, n, past,
		      DEVQ_NUM_MAX);
	}
}

/* ------------------------------------------------------------ the console on a terminal */
/* In a child whose standard input is a fresh pseudo-terminal (canonical, with
 * VMIN 4 and VTIME 3 to be overwritten), the console's start makes it raw:
 * no line editing or echo, no interrupt character (Ctrl-C is the Guest's),
 * reads of single bytes at once; and every ending signal, the first and last
 * of its list and the real-time ones at both ends, gets the handler that puts
 * the terminal back.  Built with AddressSanitizer, a walk past the list of
 * signals stops the child. */
static void console_tty_child(struct virtio_dev *con, int master)
{
	static const int sigs[] = { SIGHUP, SIGINT, SIGSYS, SIGTSTP, SIGCONT };
	struct termios t;
	struct sigaction sa;
	int s, caught = 0, want = 0;

	setsid();
	s = open(ptsname(master), O_RDWR);
	if (s < 0 || dup2(s, STDIN_FILENO) < 0 || tcgetattr(STDIN_FILENO, &t) < 0) {
		check("console-tty", 0, "cannot make a terminal the child's input");
		_exit(0);
	}
	t.c_lflag |= ICANON | ECHO;
	t.c_cc[VMIN] = 4, t.c_cc[VTIME] = 3;
	tcsetattr(STDIN_FILENO, TCSANOW, &t);
	con->ops->start(con);
	tcgetattr(STDIN_FILENO, &t);
	check("console-tty-raw", !(t.c_lflag & (ICANON | ECHO)) &&
	      t.c_cc[VINTR] == _POSIX_VDISABLE && t.c_cc[VMIN] == 1 && t.c_cc[VTIME] == 0,
	      "lflag %#x, VINTR %d, VMIN %d, VTIME %d (want no ICANON or ECHO, VINTR off, "
	      "VMIN 1, VTIME 0)", t.c_lflag, t.c_cc[VINTR], t.c_cc[VMIN], t.c_cc[VTIME]);
	check("console-tty-settings-kept", (t.c_cflag & CREAD) && (t.c_oflag & OPOST),
	      "the rest of the terminal's settings were not kept (cflag %#x, oflag %#x)",
	      t.c_cflag, t.c_oflag);
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++, want++)
		caught += sigaction(sigs[i], NULL, &sa) == 0 && sa.sa_handler != SIG_DFL;
	for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig += SIGRTMAX - SIGRTMIN, want++)
		caught += sigaction(sig, NULL, &sa) == 0 && sa.sa_handler != SIG_DFL;
	check("console-tty-signals-caught", caught == want,
	      "%d of %d signals (SIGHUP, SIGINT, SIGSYS, SIGTSTP, SIGCONT, SIGRTMIN, SIGRTMAX) "
	      "have a handler", caught, want);
	fflush(stdout);
	_exit(0);
}

/* A device whose set-up fails (no eventfd left) ends the Launcher with
 * status 1, rather than running on with no way to be kicked.  In a child,
 * before the devices start, since it ends the process. */
static void test_setup_failure(void)
{
	int status = 0;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		eventfd_fails = 1;
		err_expected = 1;
		virtio_start_all();
		_exit(0);
	}
	for (int i = 0; i < 100 && waitpid(pid, &status, WNOHANG) == 0; i++)
		pause_ms(100);
	if (waitpid(pid, &status, WNOHANG) == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	check("setup-failure-ends", WIFEXITED(status) && WEXITSTATUS(status) == 1,
	      "a device without an eventfd left the Launcher with status %#x (want an exit with 1)",
	      status);
}

static void test_console_tty(struct virtio_dev *con)
{
	int master = posix_openpt(O_RDWR | O_NOCTTY), status;
	pid_t pid;

	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0) {
		skip("console-tty", "no pseudo-terminal here");
		return;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		console_tty_child(con, master);
	waitpid(pid, &status, 0);
	close(master);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		check("console-tty-child", 0, "the child ended with status %#x", status);
}

/* A 64-sector image at TMPL (a mkstemp template), every byte FILL. */
static char *make_image(char *tmpl, char fill)
{
	static char bytes[64 * 512];
	int fd = mkstemp(tmpl);

	memset(bytes, fill, sizeof(bytes));
	if (fd < 0 || write(fd, bytes, sizeof(bytes)) != (ssize_t)sizeof(bytes)) {
		check("devedge-image", 0, "cannot make %s", tmpl);
		exit(0);
	}
	close(fd);
	return tmpl;
}

int main(void)
{
	static char disk[] = "/tmp/lguest-devedge-disk-XXXXXX";
	static char disk2[] = "/tmp/lguest-devedge-two-XXXXXX";
	static char disk_a[] = "/tmp/lguest-devedge-a-XXXXXX";
	static char disk_b[] = "/tmp/lguest-devedge-b-XXXXXX";
	struct virtio_dev *con, *rng, *blk;
	int in[2];

	setvbuf(stdout, NULL, _IOLBF, 0);
	vm.ram = aligned_alloc(4096, RAM_SIZE);
	vm.ram_size = RAM_SIZE;
	vm.vm_fd = FAKE_VM_FD;
	memset(vm.ram, 0, RAM_SIZE);
	if (pipe(in) < 0 || dup2(in[0], STDIN_FILENO) < 0 || pipe(probe_pipe) < 0) {
		check("devedge-pipes", 0, "%s", strerror(errno));
		return 0;
	}
	close(in[0]);
	con_in = in[1];

	test_options();				/* adds the console: device 0 */
	con = virtio_device(0);
	virtio_parse_option("--rng");
	rng = virtio_device(1);
	virtio_register(&probe, &probe_ops, NULL, 0, 0);
	blk_add(make_image(disk, 0));
	blk = virtio_device(virtio_nr_devices() - 1);
	test_console_tty(con);
	test_console_output(con);
	test_setup_failure();
	virtio_start_all();
	test_queue_counts(con, rng, blk);

	test_worker();
	test_console(con);
	test_rng(rng);
	test_rng_requeue(rng);
	test_blk_id(blk, disk);
	if (io_uring_here())
		check("blk-uses-io-uring", !strstr(fake_said, "no io_uring"),
		      "io_uring works here, but the disk did without: '%s'", fake_said);
	else
		skip("blk-uses-io-uring", "io_uring is not available here");
	test_blk_no_ring(make_image(disk2, 0));
	test_blk_replaced(make_image(disk_a, 'A'), make_image(disk_b, 'B'));
	unlink(disk);
	unlink(disk2);
	unlink(disk_a);
	unlink(disk_b);
	return harness_done("devedge");
}
