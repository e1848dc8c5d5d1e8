/* Tangled from chapters/21-drivers-console.nw, chapters/22-drivers-block.nw and
 * chapters/23-drivers-net.nw
 * by `make tangle`: edit the chapters, not this file. */
/*D:400 The shell's file.
 * The table of commands is a continued chunk: this chapter adds `help`, `info`,
 * `uptime`, `selftest`, `rng`, `sleep` and `poweroff`; the block and network chapters add
 * theirs. :*/
/* The shell: a prompt, a line editor and a table of commands. */
#include "drivers.h"

#define SHELL_LINE	128
#define SHELL_ARGS	16

static const struct shell_command commands[] = {
	{ "help", "help: list the commands", cmd_help },
	{ "info", "info: devices, memory and clock", cmd_info },
	{ "uptime", "uptime: time since the Guest booted", cmd_uptime },
	{ "rng", "rng [N]: N random bytes in hexadecimal (16)", cmd_rng },
	{ "sleep", "sleep N: wait N seconds (Ctrl-C stops it)", cmd_sleep },
	{ "selftest", "selftest: run the Guest's self-tests", cmd_selftest },
	{ "poweroff", "poweroff [N]: power off with exit status N (0)", cmd_poweroff },
	{ "blk", "blk [[DISK] read N | dump N | write N TEXT]: a disk's sectors", cmd_blk },
	{ "ls", "ls [DIR]: list a directory of the tar archive on a disk", cmd_ls },
	{ "cat", "cat FILE: print a file of the tar archive on a disk", cmd_cat },
	/*D:892 The shell's table. :*/
	{ "ping", "ping ADDR [COUNT]: ICMP echo to a neighbour, one a second", cmd_ping },
	{ "ip", "ip [ADDR]: the network card's addresses and counters; set the address", cmd_ip },
	{ "udp", "udp ADDR PORT TEXT: send TEXT in a datagram, print the answer", cmd_udp },
	{ "netbench", "netbench [ADDR SECONDS [SIZE]]: send UDP to ADDR's port 9, or report what ours got", cmd_netbench },
	/*:*/
};
#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

/*D:405 The line.
 * The line being edited is its bytes, its length and the cursor's place, which
 * the arrow keys move. Escape sequences arrive one byte at a time, so a small
 * state says how far into one we are: nothing, after `ESC`, or after `ESC [`
 * (collecting a number, as in `ESC [ 3 ~`, the Delete key). `shell_last_key` is
 * the previous byte, kept from one line to the next, for one purpose: a terminal's Enter may send `\r`, `\n` or
 * both, and a `\n` straight after a `\r` is the same line's end, not an empty
 * line.
 *
 * The echo is not written byte by byte: each `console_write` costs a transmit
 * buffer and perhaps a kick, and a script typing a whole line at once would pay
 * that for every letter. Echoed bytes collect in `echo_buf`, and go out when
 * the shell is about to wait for a key, or has a whole line. At a terminal,
 * where keys come one at a time, that is still at once; from a pipe, a whole
 * line's echo and the next prompt leave in one buffer. Measured on the book's
 * machine, a
 * script of 400 `uptime` commands piped into the shell cost 422 kicks and 216
 * transmit interrupts with an echo per byte, and about 60 kicks and 50
 * interrupts with this buffer; the whole run, boot to power-off, takes about
 * 0.2 seconds. :*/
enum { ESC_NONE, ESC_START, ESC_CSI };

struct line {
	char buf[SHELL_LINE];
	unsigned len, pos;
	int esc, esc_num;
};

static int shell_last_key;

static char echo_buf[2 * SHELL_LINE];
static unsigned echo_len;

static void shell_flush(void)
{
	if (echo_len)
		console_write(echo_buf, echo_len);
	echo_len = 0;
}

static void shell_echo(const char *s, u64 n)
{
	while (n--) {
		if (echo_len == sizeof(echo_buf))
			shell_flush();
		echo_buf[echo_len++] = *s++;
	}
}

static void shell_back(unsigned n)
{
	while (n--)
		shell_echo("\b", 1);
}
/*:*/
/*D:410 Redrawing.
 * Every edit in the middle of the line comes down to one move: print the line
 * from the cursor to its end, blank out what used to be beyond it, and walk the
 * cursor back to where it belongs with backspaces, which on a terminal move
 * the cursor left without erasing. `gone` is how many characters the line lost. :*/
static void shell_redraw(struct line *l, unsigned gone)
{
	unsigned tail = l->len - l->pos;

	shell_echo(l->buf + l->pos, tail);
	for (unsigned i = 0; i < gone; i++)
		shell_echo(" ", 1);
	shell_back(tail + gone);
}
/*:*/
/*D:415 Editing keys.
 * The keys a human expects: printable characters insert at the cursor;
 * Backspace (sent as DEL, 0x7f, by most terminals, or as Ctrl-H) deletes before
 * it; Ctrl-U erases the whole line; Ctrl-A and Ctrl-E jump to its start and
 * end; the arrows move by one. Everything else, a stray control key, is
 * ignored rather than echoed as garbage. Moving the tail of the line by one
 * byte is a loop of its own in each direction, not `memcpy`: the source and
 * the destination overlap, and our `memcpy` moves eight bytes a step. :*/
static void shell_insert(struct line *l, char c)
{
	if (l->len + 1 >= SHELL_LINE)
		return;
	for (unsigned i = l->len; i > l->pos; i--)
		l->buf[i] = l->buf[i - 1];
	l->buf[l->pos] = c;
	l->len++;
	shell_echo(&c, 1);
	l->pos++;
	shell_redraw(l, 0);
}

static void shell_delete(struct line *l)
{
	if (l->pos == l->len)
		return;
	for (unsigned i = l->pos; i + 1 < l->len; i++)
		l->buf[i] = l->buf[i + 1];
	l->len--;
	shell_redraw(l, 1);
}

static void shell_move(struct line *l, unsigned to)
{
	if (to < l->pos)
		shell_back(l->pos - to);
	else
		shell_echo(l->buf + l->pos, to - l->pos);
	l->pos = to;
}

static void shell_key(struct line *l, int c)
{
	if (c >= 0x20 && c < 0x7f)
		shell_insert(l, c);
	else if ((c == 0x7f || c == '\b') && l->pos > 0) {
		shell_move(l, l->pos - 1);
		shell_delete(l);
	} else if (c == 0x15) {
		unsigned gone = l->len;

		shell_move(l, 0);
		l->len = 0;
		shell_redraw(l, gone);
	} else if (c == 0x01)
		shell_move(l, 0);
	else if (c == 0x05)
		shell_move(l, l->len);
	else if (c == 0x1b)
		l->esc = ESC_START;
}
/*:*/
/*D:420 Escape sequences.
 * The arrow keys send three bytes, `ESC [ C` for right and `ESC [ D` for left,
 * and other keys longer ones, `ESC [ 3 ~` for Delete, `ESC [ 1 ; 5 C` for
 * Ctrl-Right. Their shape is always the same: after `ESC [`, digits and
 * semicolons, then one final byte between `@` and `~`. We follow that shape
 * to its end whatever the sequence, so that an unknown key is swallowed whole,
 * and act on the few we know. `ESC O` followed by one letter is the other
 * form some terminals send for the arrows and Home and End. :*/
static void shell_escape_done(struct line *l, int final)
{
	l->esc = ESC_NONE;
	if (final == 'C' && l->pos < l->len)
		shell_move(l, l->pos + 1);
	else if (final == 'D' && l->pos > 0)
		shell_move(l, l->pos - 1);
	else if (final == 'H' || (final == '~' && (l->esc_num == 1 || l->esc_num == 7)))
		shell_move(l, 0);
	else if (final == 'F' || (final == '~' && (l->esc_num == 4 || l->esc_num == 8)))
		shell_move(l, l->len);
	else if (final == '~' && l->esc_num == 3)
		shell_delete(l);
}

static void shell_escape(struct line *l, int c)
{
	if (l->esc == ESC_START) {
		l->esc = c == '[' || c == 'O' ? ESC_CSI : ESC_NONE;
		l->esc_num = c == 'O' ? -1 : 0;
	} else if (c >= '0' && c <= '9' && l->esc_num >= 0)
		l->esc_num = l->esc_num * 10 + (c - '0');
	else if (c >= 0x40 && c <= 0x7e)
		shell_escape_done(l, c);
	else if (c != ';' && !(c >= '0' && c <= '9'))
		l->esc = ESC_NONE;
}
/*:*/
/*M:420 A history.
 * Every shell a reader has used remembers its lines: the up arrow brings back
 * the last one. Ours forgets each line as soon as it has run. A ring of the
 * last few lines, and `ESC [ A` and `ESC [ B` in *D:420* moving through it
 * with the same redraw the editing keys use, would make a pleasant exercise,
 * and so would Tab completing a command's name from the table. */
/*D:425 Reading a line.
 * A line ends with `\r` or `\n` (a `\n` straight after a `\r` is skipped, see
 * *D:405*). Ctrl-C abandons it, as a shell does, and shows `^C`; our
 * Launcher passes the key through from a terminal (*L:908*), and a pipe, or
 * QEMU's console with `signal=off`, delivers it as a byte too. Ctrl-D on an
 * empty line is the end of input, as in every Unix shell: we power off with
 * status 0, which is the polite way for a Guest to log out. It is also how
 * the end of a pipe or a file reaches us: the console cannot say "end of
 * input", so our Launcher sends a Ctrl-D after the last byte (*L:913*), and
 * every command before it has run by the time we read it. A Ctrl-D in the
 * middle of a line is ignored, as a stray control key. The function returns 1
 * for a line to run, 0 for a line abandoned. :*/
static int shell_read_line(struct line *l)
{
	memset(l, 0, sizeof(*l));
	for (;;) {
		int c = console_poll(), last = shell_last_key;

		if (c < 0) {
			shell_flush();
			c = console_getc();
		}
		shell_last_key = c;
		if (c < 0 || (c == 0x04 && l->len == 0)) {
			shell_echo("\n", 1);
			shell_flush();
			cmd_poweroff(1, NULL);
		}
		if (l->esc != ESC_NONE)
			shell_escape(l, c);
		else if (c == '\n' && last == '\r')
			continue;
		else if (c == '\r' || c == '\n') {
			shell_echo("\n", 1);
			shell_flush();
			l->buf[l->len] = '\0';
			return 1;
		} else if (c == 0x03) {
			shell_echo("^C\n", 3);
			shell_flush();
			return 0;
		} else
			shell_key(l, c);
	}
}
/*:*/
/*D:430 Running a command.
 * The line is cut into words at spaces, in place, each word's end becoming a
 * `\0`, which gives the `argc` and `argv` a C programmer expects. An empty line
 * does nothing; an unknown word says so and points at `help`. A command that
 * fails says why itself; the shell adds nothing. :*/
static int shell_split(char *s, char **argv)
{
	int argc = 0;

	while (*s && argc < SHELL_ARGS) {
		while (*s == ' ')
			*s++ = '\0';
		if (!*s)
			break;
		argv[argc++] = s;
		while (*s && *s != ' ')
			s++;
	}
	return argc;
}

static void shell_execute(char *s)
{
	char *argv[SHELL_ARGS + 1];
	int argc = shell_split(s, argv);

	if (!argc)
		return;
	argv[argc] = NULL;
	for (unsigned i = 0; i < NR_COMMANDS; i++)
		if (!strcmp(argv[0], commands[i].name)) {
			commands[i].run(argc, argv);
			return;
		}
	console_printf("%s: unknown command (try help)\n", argv[0]);
}
/*:*/
/*D:435 The loop.
 * Nothing more to it. :*/
void shell_run(void)
{
	struct line l;

	console_printf("lguest shell: type help for the commands\n");
	for (;;) {
		shell_echo("lguest> ", 8);
		if (shell_read_line(&l))
			shell_execute(l.buf);
	}
}
/*:*/
/*D:440 help, uptime, poweroff.
 * The simplest commands. `help` prints the table's help lines. `uptime`
 * reads the Guest's clock (*G:840*). `poweroff` flushes the console first
 * (*D:330*), so that everything printed so far is out, then ends the machine
 * with the status given, which becomes the Launcher's (or QEMU's) exit status;
 * the Host accepts 0 to 124, the higher ones being reserved for a killed
 * Guest and a failed Host. :*/
int cmd_help(int argc, char **argv)
{
	(void)argc, (void)argv;
	for (unsigned i = 0; i < NR_COMMANDS; i++)
		console_printf("  %s\n", commands[i].help);
	return 0;
}

int cmd_uptime(int argc, char **argv)
{
	u64 ms = clock_uptime_ns() / 1000000;

	(void)argc, (void)argv;
	console_printf("up %llu.%03llu s\n", ms / 1000, ms % 1000);
	return 0;
}

int cmd_poweroff(int argc, char **argv)
{
	int ok = 1;
	u64 status = argc > 1 ? parse_u64(argv[1], &ok) : 0;

	if (!ok || status > 124) {
		console_printf("usage: poweroff [N], 0 <= N <= 124\n");
		return 1;
	}
	console_flush();
	guest_poweroff(status);
}
/*:*/
/*D:442 sleep.
 * `sleep N` waits N seconds, at most an hour, and is the simplest command a
 * user may want to interrupt: it waits with `console_sleep_until` (*D:338*),
 * so Ctrl-C ends it at once and the prompt comes back. It fails (status 1)
 * when interrupted, as a Unix command killed by SIGINT does. Scripts use it to
 * give a Guest on the LAN time to answer, and the tests to have something to
 * interrupt. :*/
int cmd_sleep(int argc, char **argv)
{
	int ok = 1;
	u64 s = argc == 2 ? parse_u64(argv[1], &ok) : 0;

	if (argc != 2 || !ok || s > 3600) {
		console_printf("usage: sleep N, 0 <= N <= 3600\n");
		return 1;
	}
	return console_sleep_until(clock_tsc() + clock_ns_to_tsc(s * 1000000000ULL));
}
/*:*/
/*D:445 info.
 * What a user wants to know about the machine: its memory, its clock, and its
 * devices, each with its window, interrupt, driver and the features both sides
 * agreed on, the virtio ones spelled out, and for each queue what it has cost:
 * kicks and interrupts. :*/
static const char *virtio_type_name(u32 id)
{
	static const char *const names[] = { "?", "net", "block", "console", "rng" };

	return id < sizeof(names) / sizeof(names[0]) ? names[id] : "?";
}

static void info_device(struct virtio_device *d)
{
	u64 f = d->features;

	console_printf("  device %d: %s at 0x%llx, interrupt %u, %s, features 0x%llx%s%s%s\n",
		       d->index, virtio_type_name(d->device_id), d->addr, d->irq,
		       d->driver ? d->driver : "no driver", f,
		       f & VIRTIO_BIT(VIRTIO_F_VERSION_1) ? " VERSION_1" : "",
		       f & VIRTIO_BIT(VIRTIO_F_RING_INDIRECT_DESC) ? " INDIRECT_DESC" : "",
		       f & VIRTIO_BIT(VIRTIO_F_RING_EVENT_IDX) ? " EVENT_IDX" : "");
	for (int q = 0; q < VIRTIO_MAX_VQS; q++) {
		u64 kicks, irqs;

		if (!d->vqs[q])
			continue;
		vq_stats(d->vqs[q], &kicks, &irqs);
		console_printf("    queue %d: %u entries, %llu kicks, %llu interrupts\n", q,
			       vq_size(d->vqs[q]), kicks, irqs);
	}
}

int cmd_info(int argc, char **argv)
{
	const struct lg_boot_info *bi = guest_boot;

	(void)argc, (void)argv;
	console_printf("RAM: 0x%llx-0x%llx, %llu KiB, %llu KiB free\n", bi->ram_start,
		       bi->ram_start + bi->ram_size, bi->ram_size / 1024,
		       page_free_count() * PAGE_SIZE / 1024);
	console_printf("clock: %llu TSC cycles a microsecond, up %llu ms\n",
		       clock_ns_to_tsc(1000), clock_uptime_ns() / 1000000);
	console_printf("devices: %d\n", virtio_count());
	for (int i = 0; i < virtio_count(); i++)
		info_device(virtio_device_at(i));
	return 0;
}
/*:*/
/*D:450 selftest.
 * The shell's `selftest` runs the same table as the command-line word, with
 * the devices up, but does not power off: the verdict is printed and the shell
 * goes on. The individual results go where the self-tests always print, the
 * Host's early console. :*/
int cmd_selftest(int argc, char **argv)
{
	int failed;

	(void)argc, (void)argv;
	console_flush();
	failed = guest_selftest();
	console_printf("selftest: %s\n", failed ? "FAILED (the log says which)" : "all passed");
	return failed;
}
/*:*/
/*:*/
