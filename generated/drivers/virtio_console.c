/* Tangled from chapters/21-drivers-console.nw by `make tangle`: edit the chapter, not this file. */
/*D:310 The console's state.
 * Input and output are both buffers in the Guest's memory, which we give the
 * device and get back. We keep them in the console's own structure, static,
 * since there is one console: sixteen receive buffers of 64 bytes and sixteen
 * transmit buffers of 512. Keys, once received, wait in `input`, a ring of
 * bytes the interrupt handler fills and the shell empties; its two counters only
 * ever grow, and their difference is how many bytes wait. :*/
/* The virtio console: port 0, input into a ring of bytes, output in buffers. */
#include "drivers.h"

#define CON_RX_BUFS	16
#define CON_RX_SIZE	64
#define CON_TX_BUFS	16
#define CON_TX_SIZE	512
#define CON_INPUT	(2 * CON_RX_BUFS * CON_RX_SIZE)

static struct console {
	struct virtio_device *dev;
	struct virtqueue *rx, *tx;
	u8 rx_buf[CON_RX_BUFS][CON_RX_SIZE];
	u8 tx_buf[CON_TX_BUFS][CON_TX_SIZE];
	u8 tx_busy[CON_TX_BUFS];
	unsigned nr_tx;
	u8 *held[CON_RX_BUFS];		/* receive buffers waiting for room */
	unsigned nr_held, nr_posted;
	u8 input[CON_INPUT];
	volatile u64 in_head, in_tail;	/* bytes put, bytes taken */
	volatile unsigned nr_intr;	/* Ctrl-C bytes among them */
} con;

/*D:315 Receive buffers, and not losing keys.
 * Whatever the device puts in a receive buffer must find room in the input
 * ring, or it is lost. A script piped into the console delivers many lines at
 * once, far faster than the shell consumes them, so room is not a given. We
 * keep a simple promise instead: a buffer is given to the device only while the
 * ring could take it *and* every other buffer the device already holds, were
 * they all to come back full. Otherwise the buffer is *held*, and given back as
 * soon as the shell has read enough. The device then simply stops delivering,
 * and the Launcher stops reading its input (*L:912*): the pressure travels back
 * to the writer of the pipe and nothing is dropped. :*/
static int console_room_for(unsigned bufs)
{
	return CON_INPUT - (con.in_head - con.in_tail) >= (u64)bufs * CON_RX_SIZE;
}

/*:*/
/*D:315, continued :*/
static void console_post(u8 *buf)
{
	struct vq_buf b = { buf, CON_RX_SIZE };

	if (!console_room_for(con.nr_posted + 1) || vq_add(con.rx, NULL, 0, &b, 1, buf) < 0) {
		con.held[con.nr_held++] = buf;
		return;
	}
	con.nr_posted++;
}

/*:*/
/*D:315, continued :*/
static void console_post_held(void)
{
	unsigned n = con.nr_held;

	con.nr_held = 0;
	for (unsigned i = 0; i < n; i++)
		console_post(con.held[i]);
	if (con.nr_held < n)
		vq_kick(con.rx);
}
/*:*/
/*D:320 Keys arriving.
 * The receive queue's callback runs in the interrupt handler. Each used buffer
 * holds `len` bytes of input; they go into the ring, and the buffer goes back to
 * the device (or is held). We count the Ctrl-C bytes on the way (*D:336*). One kick at the end covers every buffer given back,
 * and with `EVENT_IDX` the Launcher usually needs none. :*/
static void console_received(struct virtqueue *vq)
{
	u8 *buf;
	u32 len;

	while ((buf = vq_get(vq, &len))) {
		con.nr_posted--;
		for (u32 i = 0; i < len && i < CON_RX_SIZE; i++) {
			con.nr_intr += buf[i] == 0x03;
			con.input[con.in_head++ % CON_INPUT] = buf[i];
		}
		console_post(buf);
	}
	vq_kick(vq);
}
/*:*/
/*D:325 Transmit buffers.
 * Output is copied into one of our transmit buffers, since the caller's bytes
 * may be gone by the time the device reads them. A buffer is busy from the
 * moment it is queued until the device gives it back; we collect what came back
 * whenever we need a buffer, without an interrupt handler of our own, and
 * without interrupts: the transmit queue has no callback, so it does not ask
 * for them (*D:230*). Only if all are busy do we wait, with the usual disable,
 * check, halt, after arming the queue (*D:235*) so that the next buffer the
 * device gives back wakes us. Before sleeping we kick, in case the buffers that
 * are busy are the ones this very write queued and has not yet announced. :*/
static void console_reclaim(void)
{
	u8 *buf;

	while ((buf = vq_get(con.tx, NULL)))
		con.tx_busy[(buf - con.tx_buf[0]) / CON_TX_SIZE] = 0;
}

/*:*/
/*D:325, continued :*/
static u8 *console_tx_buffer(void)
{
	for (;;) {
		console_reclaim();
		for (unsigned i = 0; i < con.nr_tx; i++)
			if (!con.tx_busy[i]) {
				con.tx_busy[i] = 1;
				return con.tx_buf[i];
			}
		vq_kick(con.tx);
		if (!vq_arm(con.tx))
			guest_halt();
		irq_disable();
	}
}
/*:*/
/*D:330 Writing.
 * `console_write` cuts the text into buffers, queues them all, and kicks once.
 * With no console at all it falls back to the Host's early console, so a
 * command's output is never lost. `console_flush` waits until the device has
 * given back every buffer: the Launcher gives one back only after writing it
 * out, so after a flush the text has left the machine, and a `poweroff` that
 * flushes first does not cut the last line off. `console_printf` formats into
 * a buffer of its own first. :*/
void console_write(const char *s, u64 len)
{
	u64 flags;

	if (!con.dev) {
		hcall(LHCALL_CONSOLE_WRITE, guest_pa(s), len, 0);
		return;
	}
	flags = irq_save();
	while (len) {
		u8 *buf = console_tx_buffer();
		u32 n = len < CON_TX_SIZE ? len : CON_TX_SIZE;
		struct vq_buf b = { buf, n };

		memcpy(buf, s, n);
		if (vq_add(con.tx, &b, 1, NULL, 0, buf) < 0)
			guest_panic("console: the transmit queue is full");
		s += n, len -= n;
	}
	vq_kick(con.tx);
	irq_restore(flags);
}

/*:*/
/*D:330, continued :*/
void console_flush(void)
{
	u64 flags = irq_save();
	unsigned busy;

	for (;;) {
		console_reclaim();
		busy = 0;
		for (unsigned i = 0; i < con.nr_tx; i++)
			busy += con.tx_busy[i];
		if (!con.dev || !busy)
			break;
		if (!vq_arm(con.tx))
			guest_halt();
		irq_disable();
	}
	irq_restore(flags);
}

/*:*/
/*D:330, continued :*/
void console_printf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	console_write(buf, n < (int)sizeof(buf) ? n : (int)sizeof(buf) - 1);
}
/*:*/
/*D:335 Reading.
 * `console_getc` sleeps until a key waits in the ring and takes it; taking
 * bytes makes room, so held receive buffers go back to the device.
 * `console_poll` is the same without the sleep: -1 when there is nothing. :*/
int console_poll(void)
{
	u64 flags = irq_save();
	int c = -1;

	if (con.in_tail != con.in_head) {
		c = con.input[con.in_tail++ % CON_INPUT];
		con.nr_intr -= c == 0x03;
		if (con.nr_held)
			console_post_held();
	}
	irq_restore(flags);
	return c;
}

/*:*/
/*D:335, continued :*/
int console_getc(void)
{
	u64 flags = irq_save();
	int c = -1;

	while (con.dev && (c = console_poll()) < 0) {
		guest_halt();
		irq_disable();
	}
	irq_restore(flags);
	return con.dev ? c : -1;
}

/*:*/
/*D:335, continued :*/
int console_present(void)
{
	return con.dev != NULL;
}
/*:*/
/*D:336 Ctrl-C.
 * A user who starts a `ping` of a hundred seconds, or a `sleep`, wants a way to
 * stop it, and a Unix user presses Ctrl-C. Our Launcher lets the key through to
 * us as the byte 0x03 (*L:908*), as do a pipe and QEMU's console. While the
 * shell reads a line, the byte is simply a key, which abandons the line
 * (*D:425*). While a command runs, nobody reads keys; the bytes pile up in the
 * input ring. So the ring keeps count of the Ctrl-C bytes it holds
 * (`nr_intr`, counted in by *D:320* and out by *D:335*), and a command that
 * waits for something asks, each time it wakes, whether the count is above
 * zero. That is one load, cheap enough for any loop, and it needs no signal
 * machinery the Guest does not have: a command is interrupted only where it
 * chooses to look, as a Unix program that blocks SIGINT is.
 *
 * A command that sees the interrupt takes it: it drops the input up to and
 * including the first Ctrl-C, as a terminal drops what was typed ahead when
 * it sends SIGINT, echoes `^C` (our Launcher has switched the terminal's echo
 * off, so that is ours to do), and gives up. Bytes after the Ctrl-C stay: a
 * script that interrupts a command and goes on is read on. One limit: a
 * Ctrl-C can only be seen once it is in the ring, and a script that has typed
 * more than the ring holds ahead of a long command keeps the key waiting
 * behind its own commands (*D:315*). A person at a terminal never gets there. :*/
int console_interrupt_pending(void)
{
	return con.nr_intr > 0;
}

/*:*/
/*D:336, continued :*/
int console_interrupt(void)
{
	u64 flags = irq_save();
	int taken = con.nr_intr > 0;

	while (taken && console_poll() != 0x03)
		;
	irq_restore(flags);
	if (taken)
		console_write("^C\n", 3);
	return taken;
}
/*:*/
/*D:338 Sleeping until a deadline or Ctrl-C.
 * The wait every such command needs: until a time, unless the user presses
 * Ctrl-C first. It is the Guest's usual sleep (*G:825*) with one more reason
 * to stop, and since every key arrives by interrupt, the halt ends when one
 * comes. It returns 1, with the interrupt taken, if the user stopped it. :*/
int console_sleep_until(u64 deadline)
{
	clock_event_at(deadline);
	for (;;) {
		irq_disable();
		if (con.nr_intr || clock_tsc() >= deadline)
			break;
		guest_halt();
	}
	irq_enable();
	return console_interrupt();
}
/*:*/
/*D:340 Probing a console.
 * The console's probe is the handshake in miniature: features (none of the
 * console's own), two queues, every receive buffer given, `DRIVER_OK`, and the
 * first kick, which must wait for `DRIVER_OK`. The transmit buffers are as many
 * as the queue holds, up to our sixteen. A second console is refused: one
 * keyboard is enough. :*/
static int console_probe(struct virtio_device *d)
{
	if (con.dev || virtio_negotiate(d, 0) < 0)
		return -1;
	con.rx = vq_setup(d, 0, CON_RX_BUFS, console_received);
	con.tx = vq_setup(d, 1, CON_TX_BUFS, NULL);
	if (!con.rx || !con.tx)
		return -1;
	con.nr_tx = vq_size(con.tx);
	for (unsigned i = 0; i < CON_RX_BUFS; i++)
		console_post(con.rx_buf[i]);
	con.dev = d;
	virtio_driver_ok(d);
	vq_kick(con.rx);
	return 0;
}

const struct virtio_driver virtio_console_driver = {
	VIRTIO_ID_CONSOLE, "virtio-console", console_probe,
};
/*:*/
/*:*/
