/* Tangled from chapters/10-guest.nw, chapters/11-guest-memory.nw,
 * chapters/12-guest-interrupts.nw and chapters/21-drivers-console.nw
 * by `make tangle`: edit the chapters, not this file. */
/*G:320 Saying hello.
 * The Guest's `main` is its boot, in order: register the shared page (the Host
 * accepts nothing before it), say where we run, and read the command line. The
 * banner proves its claims from the CPU itself: the privilege level is the low
 * two bits of `%cs`, which no one can fake at ring 3, and the RAM window is what
 * the Host told us. Then, depending on the command line, we attack the Host,
 * test ourselves, or simply power off; once the Guest has drivers (*D:300*),
 * it brings up its devices first, and with no instruction on the command line
 * it starts a shell on its console. :*/
/* The Guest's boot: hello, options, and the end. */
#include "guest.h"

static struct lg_shared_page shared __attribute__((aligned(4096)));
struct lg_shared_page *guest_shared = &shared;
const struct lg_boot_info *guest_boot;

/*G:330 printk.
 * The early console: format into a buffer, then one hypercall with the buffer's
 * physical address. A line too long for the buffer is cut, not lost. A message
 * may start with a level, as Linux's do; `printk_level` (G:850) strips it and
 * says whether the message is urgent enough to print. :*/
void printk(const char *fmt, ...)
{
	char buf[256];
	const char *msg;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(buf))
		n = sizeof(buf) - 1;
	msg = printk_level(buf, &n);
	if (msg)
		hcall(LHCALL_CONSOLE_WRITE, guest_pa(msg), n, 0);
}
/*:*/
/*G:340 The end.
 * Powering off is a hypercall that does not return. A Guest kernel that finds
 * its own invariants broken *panics*: it says so and powers off with status 1,
 * the same status a failed self-test gives, so a script sees "something is
 * wrong" either way and the console says what, followed by the chain of
 * return addresses that led to the panic (G:855). :*/
void guest_poweroff(u64 status)
{
	hcall(LHCALL_SHUTDOWN, status, 0, 0);
	for (;;)
		;
}

/*:*/
/*G:340, continued :*/
void guest_panic(const char *fmt, ...)
{
	char buf[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printk("Guest panic: %s\n", buf);
	guest_print_backtrace();
	guest_poweroff(1);
}
/*:*/
/*G:350 The command line.
 * The Guest understands three words: `poweroff=N` (power off with status N,
 * default 0), `selftest` (run the test table and power off with its verdict),
 * and `hostile=N` (misbehave in way N, to test the Host). Anything else is
 * reported and ignored, so a typo shows on the console instead of vanishing.
 * A known word with a value that is not a number (`poweroff=abc`) is another
 * matter: read as 0, it would end the machine with "success", or run hostile
 * case 0. We cannot ignore it either, since `poweroff=` means "do not start the
 * shell" and a script waiting for the status would wait for ever. So the Guest
 * refuses it, with a line naming the word and what it takes, and powers off
 * with 1, as the Launcher does for its own usage errors. (A number too big
 * for a status, `poweroff=200`, passes here; the Host refuses it when the
 * Guest powers off with it, *H:545*.) The check is the
 * Guest's, not the Launcher's, because only the Guest knows its words: the
 * Launcher may be running some other Guest. Later chapters add their words to
 * *more of the Guest's options*. :*/
struct boot_options {
	int selftest;
	int hostile;
	u64 status;
	int poweroff;		/* poweroff=N was given */
};

static u64 parse_decimal(const char *s)
{
	u64 n = 0;

	while (*s >= '0' && *s <= '9')
		n = n * 10 + (*s++ - '0');
	return n;
}

/*:*/
/*G:350, continued :*/
static u64 word_number(const char *w, int skip)
{
	const char *s = w + skip;
	int digits = 0;

	while (s[digits] >= '0' && s[digits] <= '9')
		digits++;
	if (digits && digits < 10 && !s[digits])
		return parse_decimal(s);
	printk("Guest: %s: not a number; write e.g. %.*s3\n", w, skip, w);
	guest_poweroff(1);
}

/*:*/
/*G:350, continued :*/
static void parse_word(const char *w, struct boot_options *opt)
{
	if (str_starts(w, "poweroff=")) {
		opt->status = word_number(w, 9);
		opt->poweroff = 1;
	} else if (str_starts(w, "hostile="))
		opt->hostile = word_number(w, 8);
	else if (!strcmp(w, "selftest"))
		opt->selftest = 1;
	/*G:870 The new options.
	 * Four more words on the Guest's command line: `loglevel=N`, `panic`,
	 * `sleep=MS`, which sleeps that long before going on (so a test can hold the
	 * Guest's idea of a second against the wall clock's), and `bench=trap`, which
	 * runs the measurements of G:900 and powers off. :*/
	else if (str_starts(w, "loglevel="))
		printk_loglevel = parse_decimal(w + 9);
	else if (str_starts(w, "sleep="))
		guest_sleep_ms = parse_decimal(w + 6);
	else if (!strcmp(w, "panic"))
		guest_panic_test = 1;
	else if (!strcmp(w, "bench=trap"))
		guest_bench_trap = 1;
	else if (!strcmp(w, "bench=count"))
		guest_bench_count = 1;
	else if (!strcmp(w, "bench=ring0"))
		guest_bench_ring0 = 1;
	/*:*/
	/*D:305 The drivers' words.
	 * The Guest's parser asks the drivers about every word it does not know before
	 * it calls the word a mistake. :*/
	else if (drivers_option(w)) {
		/* a driver took it */
	}
	/*:*/
	else
		printk("Guest: ignoring argument %s\n", w);
}
/*G:360 Words.
 * The command line is one string; we copy each space-separated word into a
 * small buffer of its own so it can be compared and printed on its own. :*/
static void parse_options(const char *cmdline, struct boot_options *opt)
{
	char word[64];
	u64 n;

	while (*cmdline) {
		while (*cmdline == ' ')
			cmdline++;
		for (n = 0; cmdline[n] && cmdline[n] != ' '; n++)
			;
		if (n && n < sizeof(word)) {
			memcpy(word, cmdline, n);
			word[n] = '\0';
			parse_word(word, opt);
		}
		cmdline += n;
	}
}
/*:*/
/*:*/

void guest_main(const struct lg_boot_info *bi)
{
	struct boot_options opt = { 0, -1, 0, 0 };

	guest_boot = bi;
	hcall(LHCALL_INIT, guest_pa(&shared), 0, 0);
	printk("Guest running at CPL %u, RAM 0x%llx-0x%llx\n", guest_cpl(),
	       bi->ram_start, bi->ram_start + bi->ram_size);
	/*G:640 Setting up memory.
	 * At boot, right after it has said hello, the Guest takes charge of its memory
	 * in three steps: the page allocator learns what is free, the heap needs nothing
	 * until its first request, and the kernel's page tables are built and loaded.
	 * From then on the Guest runs on shadows of its own tables. :*/
	page_alloc_init(bi);
	paging_init(bi);
	/*:*/
	parse_options(bi->cmdline, &opt);
	if (opt.hostile >= 0)
		guest_hostile(opt.hostile);
	hcall(LHCALL_SET_TRAP_ENTRY, (u64)guest_trap_entry, 0, 0);
	/*G:870, continued :*/
	guest_interrupts_init();
	clock_init();
	if (guest_sleep_ms)
		msleep(guest_sleep_ms);
	if (guest_panic_test)
		panic_on_purpose();
	if (guest_bench_trap)
		guest_poweroff(guest_bench());
	if (guest_bench_count)
		guest_poweroff(guest_count());
	if (guest_bench_ring0)
		guest_poweroff(guest_probe_costs());
	/*:*/
	/*D:300 Bringing up the devices at boot.
	 * The devices come up right after the clock, so that everything after, the
	 * self-tests included, finds them ready. A benchmark or another job asked for
	 * on the command line runs next (*D:180*). Then the Guest's old rule still
	 * holds for `selftest`, `hostile=N` and `poweroff=N`: each keeps its meaning
	 * and ends the machine. Without any of them the Guest now starts its shell,
	 * if it has a console; without a console there is nobody to talk to, and it
	 * powers off with 0 as before.
	 * The kernel names no driver in any of this: it asks whichever drivers
	 * registered (D:126), and the shell is one of them, whose `run` hook returns
	 * at once when there is no console. :*/
	drivers_init();
	drivers_boot_work();
	/*:*/
	if (opt.selftest)
		guest_poweroff(guest_selftest());
	/*D:300, continued :*/
	if (!opt.poweroff)
		drivers_run();
	/*:*/
	guest_poweroff(opt.status);
}
/*:*/
