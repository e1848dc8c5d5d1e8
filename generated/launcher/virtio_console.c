/* Tangled from chapters/34-launcher-devices.nw by `make tangle`: edit the chapter, not this file. */
/*L:906 The console.
 * The console is the Guest's terminal: what the Guest writes appears on our
 * standard output, what the user types reaches the Guest. It has two queues,
 * in virtio's usual naming from the *driver's* side: queue 0, `receiveq`,
 * holds empty buffers the Guest gives us to fill with input; queue 1,
 * `transmitq`, holds the Guest's output. Its configuration (a terminal size and
 * a number of ports) matters only with features we do not offer, so it stays
 * zero but for one port. :*/
/* The console: Guest output to standard output, standard input to the Guest. */
#include "virtio.h"
#include <err.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

struct virtio_console_config {
	u16 cols, rows;
	u32 max_nr_ports;
	u32 emerg_wr;
};

enum { CONSOLE_RX, CONSOLE_TX };

struct console {
	struct virtio_dev dev;		/* first: a virtio_dev * is a console * */
	struct virtio_console_config config;
	u8 input[256];			/* read from standard input ... */
	size_t input_len, input_off;	/* ... and not yet given to the Guest */
	bool eof;
};
/*L:908 The terminal, and putting it back.
 * A shell in the Guest wants every key as it is typed, not a line at a time
 * after the user presses Enter, and it wants to do its own echoing. So when
 * standard input is a terminal we switch off its line editing (`ICANON`) and
 * its echo (`ECHO`). We leave the rest alone: `ISIG`, so that Ctrl-C still
 * stops the Launcher, and the output processing that turns `\n` into
 * `\r\n`.
 *
 * Changing the user's terminal is a promise to change it back, whatever
 * happens: a normal exit, a Guest killed for misbehaving, a Host crash
 * reported with `errx`, or a signal. The first three all leave through
 * `exit`, so an `atexit` handler covers them; for the signals that end a
 * process by default (SIGINT, SIGTERM, SIGHUP) we install a handler that
 * restores the terminal and then re-raises the signal with its default action,
 * so the Launcher still dies of it and its parent sees why. A terminal
 * restore is a `tcsetattr`, which is safe to call from a signal handler. :*/
static struct termios saved_termios;
static volatile sig_atomic_t termios_saved;

static void console_restore_tty(void)
{
	if (termios_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
}

static void console_signal(int sig)
{
	console_restore_tty();
	signal(sig, SIG_DFL);
	raise(sig);
}
/*:*/
static void console_raw_tty(void)
{
	struct termios raw;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_termios) < 0)
		return;
	termios_saved = 1;
	atexit(console_restore_tty);
	signal(SIGINT, console_signal);
	signal(SIGTERM, console_signal);
	signal(SIGHUP, console_signal);
	raw = saved_termios;
	raw.c_lflag &= ~(ICANON | ECHO);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) < 0)
		warn("console: cannot put the terminal in raw mode");
}
/*M:908 Ctrl-C stops the Launcher rather than reaching the Guest's shell. The
 * old lguest passed it through and counted: three in a row within a second
 * killed the Launcher. A Guest with jobs to interrupt would want that. */
/*L:910 Output.
 * Each output chain is written to standard output as it stands, with
 * `writev` straight from the Guest's buffers. A short write is finished with
 * plain `write`s, since standard output may be a pipe that takes only part.
 * If standard output has gone away we drop the text: a Guest does not fail
 * because nobody reads it (SIGPIPE is ignored for the same reason, *L:916*). :*/
static void console_write_all(const u8 *p, size_t len)
{
	while (len) {
		ssize_t n = write(STDOUT_FILENO, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n, len -= n;
	}
}

static u32 console_output(void *ctx, struct vq_chain *c)
{
	ssize_t n = writev(STDOUT_FILENO, c->iov, c->nr_out);
	u64 done = n > 0 ? n : 0;

	(void)ctx;
	for (unsigned i = 0; i < c->nr_out; i++) {
		u64 len = c->iov[i].iov_len, skip = done < len ? done : len;

		console_write_all((u8 *)c->iov[i].iov_base + skip, len - skip);
		done -= skip;
	}
	return 0;
}
/*:*/
/*L:912 Input.
 * Input goes the other way, and at the Guest's pace: we can only deliver
 * into buffers the Guest has given us. So input is read from standard input
 * into a small buffer of our own, then copied into as many of the Guest's
 * receive buffers as it takes. While some of it is still waiting, we stop
 * listening to standard input (`poll_fd` is -1, *L:895*), and start again
 * once it is all delivered; a Guest that gives no buffers thus makes us read
 * no more than 256 bytes ahead. When the receive queue runs dry we ask for a
 * kick (*L:855*) and stop. :*/
static void console_deliver(struct console *con)
{
	struct virtqueue *rx = &con->dev.vq[CONSOLE_RX];
	struct vq_chain *c = con->dev.chain;
	bool pushed = false;

	while (con->input_off < con->input_len) {
		u64 n;

		if (!vq_pop(rx, c, con->dev.name)) {
			if (!rx->ready || vq_enable_notify(rx))
				break;
			continue;
		}
		n = iov_copy_to(c->iov + c->nr_out, c->nr_in, 0, con->input + con->input_off,
				con->input_len - con->input_off);
		con->input_off += n;
		vq_push(rx, c, n);
		pushed = true;
	}
	if (pushed)
		virtio_queue_done(&con->dev, rx);
	con->dev.poll_fd = con->input_off < con->input_len || con->eof ? -1 : STDIN_FILENO;
}
/*:*/
static void console_read(struct console *con)
{
	ssize_t n = read(STDIN_FILENO, con->input, sizeof(con->input));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		con->eof = true;
		return;
	}
	con->input_len = n;
	con->input_off = 0;
}
/*L:914 The console's handlers.
 * A kick may mean new output or new receive buffers, so `notify` does both.
 * Input waiting on standard input triggers `fd_ready`. Reset forgets input
 * not yet delivered. :*/
static void console_notify(struct virtio_dev *d)
{
	struct console *con = (struct console *)d;

	if (vq_drain(&d->vq[CONSOLE_TX], d->chain, d->name, console_output, con))
		virtio_queue_done(d, &d->vq[CONSOLE_TX]);
	console_deliver(con);
}

static void console_fd_ready(struct virtio_dev *d)
{
	struct console *con = (struct console *)d;

	console_read(con);
	console_deliver(con);
}

static void console_reset(struct virtio_dev *d)
{
	struct console *con = (struct console *)d;

	con->input_len = con->input_off = 0;
	d->poll_fd = con->eof ? -1 : STDIN_FILENO;
}
/*:*/
/*L:916 Setting up the console.
 * The console exists from the start; its terminal is touched only once the
 * VM exists (`start`), so that a usage error never leaves a raw terminal
 * behind. :*/
static void console_start(struct virtio_dev *d)
{
	signal(SIGPIPE, SIG_IGN);
	console_raw_tty();
	d->poll_fd = STDIN_FILENO;
}

static const struct virtio_ops console_ops = {
	.name = "virtio-console", .device_id = VIRTIO_ID_CONSOLE, .nr_queues = 2,
	.notify = console_notify, .fd_ready = console_fd_ready,
	.reset = console_reset, .start = console_start,
};

void console_add(void)
{
	struct console *con = calloc(1, sizeof(*con));

	if (!con)
		err(1, "console");
	con->config.max_nr_ports = 1;
	virtio_register(&con->dev, &console_ops, &con->config, sizeof(con->config), 0);
}
/*:*/
/*:*/
