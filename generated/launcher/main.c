/* Tangled from chapters/30-launcher.nw and chapters/32-launcher-exits.nw
 * by `make tangle`: edit the chapters, not this file. */
/*L:120 What the user asks for.
 * The command line is `lguest [options] [guest-image] [guest args] [-- guest
 * args]`. A word that starts with a dash is the Launcher's, wherever it stands
 * before a `--`: the first other word is the Guest image, and the words after
 * it are the Guest's arguments, as is every word after `--`. So
 * `lguest -- poweroff=3` gives the built-in Guest its argument, and a Guest
 * argument that starts with a dash goes after `--` (*L:155* tells why). What
 * the options decide fits in one structure. :*/
/* The Launcher's entry: options, usage, and the order of events. */
#include "virtio.h"
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <stdarg.h>
#include <time.h>

struct options {
	u64 memory_mb;
	const char *host_file;	/* NULL: the built-in Host */
	const char *guest_file;	/* NULL: the built-in Guest */
	int guest_argc;
	char **guest_argv;
};

/*L:130 The usage message.
 * `--help` prints what the Launcher takes and exits with status 0; a usage
 * error prints one line naming the mistake, then a pointer to `--help`, and
 * exits with status 1. The limits on memory appear in the message itself, so
 * they cannot drift from the code that enforces them. The device options and
 * the switch belong to the chapters *Devices: console, disk, randomness* and
 * *Devices: the network*, but the user reads one help text, so they are
 * listed here, and so are the console's keys (*L:908*): a user who cannot
 * leave a program does not read a chapter to find out how. :*/
static void usage(FILE *out)
{
	fprintf(out,
		"Usage: lguest [options] [guest-image] [guest args...] [-- guest args...]\n"
		"Boot the lguest Host in a KVM virtual machine and run a Guest on it.\n"
		"\n"
		"  -m, --memory=MB     RAM for the whole machine, in MiB (%d..%d, default %d)\n"
		"      --host=FILE     boot this Host image instead of the built-in one\n"
		"      --block=FILE[,ro]  add a virtio disk backed by FILE (,ro: read-only);\n"
		"                      at most 8, each locked against other writers while in use\n"
		"      --rng           add a virtio entropy source\n"
		"      --tunnet=IP     add a virtio network card, a tap to this host at IP\n"
		"      --net=PATH      add a virtio network card on the switch at PATH\n"
		"      --sandbox=off   no seccomp filters (they are on by default); for debugging\n"
		"      --user=NAME     run as NAME once set-up is done (root only)\n"
		"      --chroot=DIR    make DIR the root directory once set-up is done (root only)\n"
		"  -v, --verbose       say what is loaded where, the Guest window, timings\n"
		"  -h, --help          print this help and exit\n"
		"\n"
		"guest-image is an ELF file, or a gzip'd one; without it the built-in\n"
		"Guest runs. Other words are the Guest's arguments, and so is every word\n"
		"after --; options are the Launcher's wherever they stand before --:\n"
		"  lguest build/guest.elf poweroff=7 --block=disk.img\n"
		"  lguest -- poweroff=7          (the built-in Guest)\n"
		"The exit status is the Guest's; 125 means the Host killed the Guest,\n"
		"126 that the Host crashed, 1 a usage or set-up error.\n"
		"\n"
		"On a terminal, Ctrl-C goes to the Guest (its shell interrupts the\n"
		"command); three Ctrl-C within a second stop the machine. The end of\n"
		"input (Ctrl-D on an empty line, or the end of a pipe) powers off.\n"
		"\n"
		"Usage: lguest switch [--sandbox=off] [--user=NAME] [--chroot=DIR] PATH\n"
		"Run a switch on the UNIX socket PATH, joining the Guests started with --net=PATH.\n",
		LG_MEMORY_MIN_MB, LG_MEMORY_MAX_MB, LG_MEMORY_DEFAULT_MB);
}
/*:*/

static u64 parse_memory(const char *arg)
{
	char *end;
	unsigned long long mb;

	errno = 0;
	mb = strtoull(arg, &end, 10);
	if (arg[0] < '0' || arg[0] > '9' || *end || errno)
		errx(LG_EXIT_USAGE, "--memory=%s: not a number of MiB; write e.g. --memory=256", arg);
	if (mb < LG_MEMORY_MIN_MB || mb > LG_MEMORY_MAX_MB)
		errx(LG_EXIT_USAGE, "--memory=%s: out of range; give %d..%d MiB",
		     arg, LG_MEMORY_MIN_MB, LG_MEMORY_MAX_MB);
	return mb;
}

/*L:150 Reading the command line.
 * `getopt_long` does the work. We switch off its own messages (`opterr`) to
 * print ours, which name the offending word; the colon after the `+` asks it
 * to tell a missing value (`:`) from an unknown option (`?`). The `+` itself
 * makes it stop at the first word that is not an option, rather than shuffle
 * the words behind our back; we then keep that word, step over it, and call
 * `getopt_long` again, so options are found wherever they stand. It never
 * sees the `--` and what follows, since we hand it only the words before. :*/
static const struct option long_options[] = {
	{ "memory", required_argument, NULL, 'm' },
	{ "host", required_argument, NULL, 'H' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/*L:155 Where the Guest's arguments begin.
 * Why not simply stop at the image and pass every word after it to the
 * Guest? Because a user who types
 * `lguest build/guest.elf --block=disk.img` means the disk for the Launcher,
 * and a Guest that is handed `--block=disk.img` ignores it with a line on a
 * console scrolling by: the disk is silently missing. So a dashed word before
 * `--` is always ours, taken if we know it and refused if we do not. The
 * price is that a Guest argument which starts with a dash must come after
 * `--`; our own Guest's words (`poweroff=3`, `selftest`) never do. The `--`
 * is also how the built-in Guest gets arguments at all: with no image before
 * it, every word after it is the Guest's. A `--` that is an option's value
 * (`--host --`) is not worth the trouble: the first `--` wins. :*/
static int options_end(int argc, char *argv[])
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0)
			return i;
	return argc;
}
/*:*/

static void parse_options(int argc, char *argv[], struct options *opt)
{
	int c, end = options_end(argc, argv), n = 0;
	char **words = calloc(argc + 1, sizeof(*words));

	if (!words)
		err(1, "the command line");
	*opt = (struct options){ .memory_mb = LG_MEMORY_DEFAULT_MB };
	opterr = 0;
	while (optind < end) {
		c = getopt_long(end, argv, "+:m:vh", long_options, NULL);
		if (c == -1) {
			words[n++] = argv[optind++];
			continue;
		}
		/*L:160 Each option, and the mistakes.
		 * A long option we do not know may be the sandbox's (`--user=nobody`,
		 * *L:570*) or a device's (`--block=disk.img`), so before calling it a mistake
		 * we offer it to the sandbox and then to the device list (*L:900*), each of
		 * which says whether it took it. Otherwise a bad option is reported by the word the
		 * user typed. `getopt_long` leaves it in `argv[optind - 1]` for an unknown long
		 * option, but for an unknown short option it keeps only the letter, in
		 * `optopt`; a missing argument is reported the same way. :*/
		switch (c) {
		case 'm':
			opt->memory_mb = parse_memory(optarg);
			break;
		case 'H':
			opt->host_file = optarg;
			break;
		case 'v':
			lg_verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case ':':
			errx(LG_EXIT_USAGE, "option '%s' needs a value; try 'lguest --help'", argv[optind - 1]);
		default:
			if (!optopt && sandbox_parse_option(argv[optind - 1]))
				break;
			if (!optopt && virtio_parse_option(argv[optind - 1]))
				break;
			if (optopt && strncmp(argv[optind - 1], "--", 2) == 0)
				errx(LG_EXIT_USAGE, "option '%s' takes no value; try 'lguest --help'", argv[optind - 1]);
			if (optopt)
				errx(LG_EXIT_USAGE, "unknown option '-%c'; try 'lguest --help'", optopt);
			errx(LG_EXIT_USAGE, "unknown option '%s'; try 'lguest --help'", argv[optind - 1]);
		}
		/*:*/
	}
	int before = n;

	for (int i = end + 1; i < argc; i++)
		words[n++] = argv[i];
	if (before > 0)
		opt->guest_file = words[0], words++, n--;
	opt->guest_argc = n;
	opt->guest_argv = words;
}
/*:*/

bool lg_verbose;
static struct timespec start_time;

double lg_elapsed_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start_time.tv_sec) * 1e3 +
	       (now.tv_nsec - start_time.tv_nsec) / 1e6;
}

void lg_say(const char *fmt, ...)
{
	va_list ap;

	if (!lg_verbose)
		return;
	fprintf(stderr, "lguest: [%8.3f ms] ", lg_elapsed_ms());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
/*L:180 The order of events.
 * `main` is the list from this chapter's opening, in code. The Host's command
 * line is built from the devices and the Guest's arguments before anything is
 * loaded, so that a command line too long for its page is a usage error,
 * reported before KVM is even opened. The devices start last, once the VM they
 * signal exists and just before it runs; just before them, with every file
 * open, the Launcher gives up root and the host's files if asked to, and once
 * set-up is done the vCPU thread enters its seccomp filter (*Confinement*,
 * *L:586*, *L:596*). One word is not an option but a
 * different program: `lguest switch PATH` runs the Guest LAN's switch
 * (*Devices: the network*), which needs no VM at all. (A Guest image that really is
 * called `switch` can still be booted as `./switch`.)
 * With `--verbose` the milliseconds tell where a boot's time goes. On the
 * book's machine (two CPUs, a nested kvm_pvm) the Launcher's own part, from its start to the Host's first
 * instruction, is about 8 ms, most of it the memory slot (*L:240*); the Host
 * announces the Guest window some 4 ms later, and the rest belongs to the Host
 * and the Guest. QEMU, booting the same two images to the same exit, spends
 * some 30 to 100 ms more than we do on its own start-up (`make bench` measures
 * both side by side). :*/
int main(int argc, char *argv[])
{
	struct options opt;
	struct image host, guest;
	char *cmdline;
	u32 entry, start_info;
	u64 module;
	int status;

	/*L:165 Three descriptors we count on.
	 * Every Unix program takes descriptors 0, 1 and 2 on trust, and so do we:
	 * the console reads 0 and writes 1, our messages go to 2. But a careless
	 * caller can start us with them closed (`lguest 0<&- 1>&- 2>&-`, or a daemon
	 * that closed everything), and then the first file we open takes the lowest
	 * free number. If that file is a disk image, it *becomes* standard output,
	 * and the Guest's console is written into the disk; or standard input, and
	 * the disk's bytes are typed into the Guest's shell. Nothing about it is
	 * visible until the disk is found scribbled on. So the very first thing `main`
	 * does, before it opens anything, is to fill each closed one of the three with
	 * `/dev/null`: input that ends at once, output that goes nowhere, and the disk
	 * gets a number of its own. `open` returns the lowest free descriptor, which is
	 * the one we are filling. :*/
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			err(1, "cannot open /dev/null in place of the closed descriptor %d", fd);
	/*:*/
	clock_gettime(CLOCK_MONOTONIC, &start_time);
	if (argc > 1 && strcmp(argv[1], "switch") == 0)
		return switch_main(argc - 1, argv + 1);
	parse_options(argc, argv, &opt);
	cmdline = pvh_host_cmdline(virtio_cmdline(), opt.guest_argc, opt.guest_argv);
	if (opt.host_file)
		image_from_file(&host, opt.host_file, LG_HOST_IMAGE, opt.memory_mb << 20);
	else
		image_builtin(&host, LG_HOST_IMAGE);
	if (opt.guest_file)
		image_from_file(&guest, opt.guest_file, LG_GUEST_IMAGE, opt.memory_mb << 20);
	else
		image_builtin(&guest, LG_GUEST_IMAGE);
	kvm_create_vm(opt.memory_mb << 20);
	serial_init();
	control_init();
	entry = pvh_load_host(&host);
	module = pvh_load_module(&guest);
	start_info = pvh_write_start_info(cmdline, module, guest.size);
	kvm_create_vcpu(entry, start_info);
	sandbox_drop_privileges();
	virtio_devices_start();
	lg_say("set-up done: %.3f ms", lg_elapsed_ms());
	sandbox_enter(SANDBOX_VCPU, "vCPU");
	status = kvm_run_vcpu();
	lg_say("the machine stopped with status %d after %.3f ms", status, lg_elapsed_ms());
	return status;
}
/*:*/
/*:*/
