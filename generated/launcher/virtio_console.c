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
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <termios.h>
#include <time.h>
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
	u8 last;			/* the last byte read, '\n' before any */
	bool eof;
};
/*L:908 The terminal, and putting it back.
 * A shell in the Guest wants every key as it is typed, not a line at a time
 * after the user presses Enter, and it wants to do its own echoing. So when
 * standard input is a terminal we switch off its line editing (`ICANON`) and
 * its echo (`ECHO`). Ctrl-C belongs to the Guest too: its shell interrupts
 * the command that runs (*D:336*), so we take the key away from the
 * terminal's signals by disabling the interrupt character (`VINTR` set to
 * `_POSIX_VDISABLE`), and it arrives as the byte 0x03. On Linux that value is
 * 0, and we checked that a NUL byte does not then become SIGINT in its place:
 * the terminal driver knows 0 as "disabled". The terminal keeps its other
 * signal keys (`ISIG` stays on): Ctrl-Z stops the Launcher as it stops any
 * program (*L:909*), and Ctrl-\\ quits it, the last resort it always is.
 * The output processing that turns `\n` into `\r\n` stays too. And since
 * Ctrl-C no longer ends the Launcher, we keep a way out of our own: three
 * Ctrl-C within a second (*L:911*), the rule lguest's own Launcher had.
 *
 * Changing the user's terminal is a promise to change it back, whatever
 * happens. A normal exit, a Guest killed for misbehaving, a Host crash and a
 * Launcher error reported with `err` or `errx` all leave through `exit`, even
 * from a device's thread, so one `atexit` handler covers them. A signal does
 * not pass through `exit`; *L:909* deals with those. `raw_termios` is kept
 * so that we can go raw again after a stop. :*/
static struct termios saved_termios, raw_termios;
static volatile sig_atomic_t termios_saved;

static void console_restore_tty(void)
{
	if (termios_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
}
/*:*/
/*L:909 Every signal that would end us, and Ctrl-Z.
 * Most signals end a process by default: not only SIGINT, SIGTERM and SIGHUP,
 * but SIGQUIT (Ctrl-\\), SIGUSR1 and SIGUSR2, SIGALRM, the real-time signals,
 * and the crashes (SIGSEGV, SIGABRT, ...). Any of them would leave the user's
 * terminal raw, echo off, with a shell that seems dead. So for every one of
 * them that is still at its default action (one the user chose to ignore,
 * SIGHUP under `nohup`, say, stays ignored) we install a handler that puts the
 * terminal back, restores the default action and raises the signal again. The
 * raised signal waits until the handler returns, as the signal being handled
 * is blocked meanwhile, and then ends the Launcher with its default action,
 * so the parent still sees what killed us. `tcsetattr` may be called from a
 * signal handler. SIGPIPE is the exception: we ignore it (*L:916*), and a write
 * to a reader that has gone is an error we handle, not a death. :*/
static void console_signal(int sig)
{
	console_restore_tty();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void console_catch(int sig, void (*handler)(int))
{
	struct sigaction old, sa = { .sa_handler = handler, .sa_flags = SA_RESTART };

	if (sigaction(sig, NULL, &old) == 0 && old.sa_handler == SIG_DFL)
		sigaction(sig, &sa, NULL);
}
/*:*/
/*L:909, continued :*/
static void console_raw_again(int sig)
{
	(void)sig;
	if (termios_saved && tcgetpgrp(STDIN_FILENO) == getpgrp())
		tcsetattr(STDIN_FILENO, TCSANOW, &raw_termios);
}

static void console_stop(int sig)
{
	sigset_t set;

	console_restore_tty();
	signal(sig, SIG_DFL);
	raise(sig);
	sigemptyset(&set);
	sigaddset(&set, sig);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	signal(sig, console_stop);
	console_raw_again(sig);
}
/*:*/
/*L:909, continued :*/
static void console_raw_tty(void)
{
	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_termios) < 0)
		return;
	raw_termios = saved_termios;
	raw_termios.c_lflag &= ~(ICANON | ECHO);
	raw_termios.c_cc[VINTR] = _POSIX_VDISABLE;
	raw_termios.c_cc[VMIN] = 1;
	raw_termios.c_cc[VTIME] = 0;
	termios_saved = 1;
	atexit(console_restore_tty);
	static const int ending[] = {
		SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGUSR1,
		SIGSEGV, SIGUSR2, SIGALRM, SIGTERM, SIGSTKFLT, SIGXCPU, SIGXFSZ, SIGVTALRM,
		SIGPROF, SIGIO, SIGPWR, SIGSYS,
	};

	for (unsigned i = 0; i < sizeof(ending) / sizeof(ending[0]); i++)
		console_catch(ending[i], console_signal);
	for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
		console_catch(sig, console_signal);
	console_catch(SIGTSTP, console_stop);
	console_catch(SIGCONT, console_raw_again);
	if (tcsetattr(STDIN_FILENO, TCSANOW, &raw_termios) < 0)
		warn("console: cannot put the terminal in raw mode");
}
/*:*/
/*M:908 A terminal that changes size.
 * We offer no `VIRTIO_CONSOLE_F_SIZE`, so the Guest never learns the
 * terminal's rows and columns. SIGWINCH, a `TIOCGWINSZ` and a configuration
 * change interrupt would tell it; a Guest with a full-screen editor would care. */
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

static u32 console_output(void *ctx, struct devq_chain *c)
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
/*L:911 The way out: three Ctrl-C within a second.
 * Every Ctrl-C goes to the Guest. But a Guest that has hung, or a shell busy
 * in a command that does not look at its keyboard, would leave the user with
 * no way out but another terminal and `kill`. So we watch the keys on their
 * way in: when three Ctrl-C arrive within one second of the first, the user
 * means *us*, and we stop the whole machine. We choose this, lguest's old
 * rule, over a telnet-like prefix (Ctrl-] then a letter), because a user
 * whose machine does not answer hammers Ctrl-C before reading any manual,
 * and because two presses still reach the Guest as ordinary interrupts. We
 * watch only a terminal: from a pipe or a file, 0x03 is data, and a script
 * may send as many as it likes. The Launcher then ends as a program ended by
 * Ctrl-C always ends, by SIGINT, so a shell reports it the usual way (status
 * 130), after the terminal is put back and a line on standard error has said
 * why. :*/
static void console_escape(void)
{
	console_restore_tty();
	fprintf(stderr, "\nlguest: three Ctrl-C within a second: stopping the machine\n");
	signal(SIGINT, SIG_DFL);
	raise(SIGINT);
}

static void console_watch_ctrl_c(const u8 *p, size_t len)
{
	static struct timespec first;
	static int count;
	struct timespec now;

	for (size_t i = 0; i < len && termios_saved; i++) {
		if (p[i] != 0x03)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (!count || (now.tv_sec - first.tv_sec) * 1000000000L +
		    (now.tv_nsec - first.tv_nsec) > 1000000000L)
			first = now, count = 0;
		if (++count == 3)
			console_escape();
	}
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
	struct devq *rx = &con->dev.vq[CONSOLE_RX];
	struct devq_chain *c = con->dev.chain;
	bool pushed = false;

	while (con->input_off < con->input_len) {
		u64 n;

		if (!devq_pop(rx, c, con->dev.name)) {
			if (!rx->ready || devq_enable_notify(rx))
				break;
			continue;
		}
		n = iov_copy_to(c->iov + c->nr_out, c->nr_in, 0, con->input + con->input_off,
				con->input_len - con->input_off);
		con->input_off += n;
		devq_push(rx, c, n);
		pushed = true;
	}
	if (pushed)
		virtio_queue_done(&con->dev, rx);
	con->dev.poll_fd = con->input_off < con->input_len || con->eof ? -1 : STDIN_FILENO;
}
/*:*/
/*L:913 End of input.
 * End of file on standard input is normal: a script piped into the Guest's
 * shell, a file, `/dev/null`, or a terminal that hangs up. A Unix shell
 * reading such input runs every command it got and then exits; ours should
 * too, and the machine with it. But the console has no word for "end of
 * input": with one port and no `MULTIPORT` there is no control queue to say
 * it on, and a receive buffer given back empty means nothing but an empty
 * buffer. The only thing we can send is bytes. So we send the byte a terminal
 * user would type, Ctrl-D (0x04), after the last byte of input. The shell
 * already takes Ctrl-D on an empty line as the end of its input (*D:425*),
 * so a pipe and a terminal end the same way, through one path in the Guest.
 * Coming after everything else, in order, the byte is read only once the
 * shell has run every command before it: nothing the user sent is skipped.
 *
 * One care: a Ctrl-D in the middle of a line does nothing (a user who types
 * one there did not mean to log out). A script whose last line has no
 * newline would leave the shell just there, so from a pipe or a file we end
 * such a line with `\n` first, and it runs, as `sh` runs it. From a terminal
 * that hung up we send Ctrl-U (erase the line) instead: a half-typed line of
 * a user who has gone is not a command. :*/
static void console_end_of_input(struct console *con)
{
	size_t len = 0;

	if (termios_saved)
		con->input[len++] = 0x15;
	else if (con->last != '\n' && con->last != '\r')
		con->input[len++] = '\n';
	con->input[len++] = 0x04;
	con->input_len = len;
	con->input_off = 0;
	con->eof = true;
}
/*:*/
/*L:913, continued :*/
static void console_read(struct console *con)
{
	ssize_t n = read(STDIN_FILENO, con->input, sizeof(con->input));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		console_end_of_input(con);
		return;
	}
	console_watch_ctrl_c(con->input, n);
	con->input_len = n;
	con->input_off = 0;
	con->last = con->input[n - 1];
}
/*:*/
/*L:914 The console's handlers.
 * A kick may mean new output or new receive buffers, so `notify` does both.
 * Input waiting on standard input triggers `fd_ready`. Reset forgets input
 * not yet delivered, except the end of it: a Guest that resets its console
 * after input has ended still learns that it has. :*/
static void console_notify(struct virtio_dev *d)
{
	struct console *con = (struct console *)d;

	if (devq_drain(&d->vq[CONSOLE_TX], d->chain, d->name, console_output, con))
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
	if (con->eof)
		console_end_of_input(con);
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
	con->last = '\n';
	virtio_register(&con->dev, &console_ops, &con->config, sizeof(con->config), 0);
}
/*:*/
/*:*/
