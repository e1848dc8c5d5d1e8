/* Tangled from chapters/30-launcher.nw by `make tangle`: edit the chapter, not this file. */
/*L:120 What the user asks for.
 * The command line is `lguest [options] [guest-image [guest args]]`. Options
 * come first and stop at the first word that is not one, so that the Guest's
 * own arguments (which may well start with a dash) reach it untouched. What the
 * options decide fits in one structure. :*/
/* The Launcher's entry: options, usage, and the order of events. */
#include "virtio.h"
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
 * the switch belong to the chapters *Devices* and *The Guest LAN*, but the user
 * reads one help text, so they are listed here. :*/
static void usage(FILE *out)
{
	fprintf(out,
		"Usage: lguest [options] [guest-image [guest args...]]\n"
		"Boot the lguest Host in a KVM virtual machine and run a Guest on it.\n"
		"\n"
		"  -m, --memory=MB     RAM for the whole machine, in MiB (%d..%d, default %d)\n"
		"      --host=FILE     boot this Host image instead of the built-in one\n"
		"      --block=FILE[,ro]  add a virtio disk backed by FILE (,ro: read-only)\n"
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
		"Guest runs. Words after it are the Guest's arguments, e.g.\n"
		"  lguest build/guest.elf poweroff=7\n"
		"The exit status is the Guest's; 125 means the Host killed the Guest,\n"
		"126 that the Host crashed, 1 a usage or set-up error.\n"
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
 * `getopt_long` does the work; the `+` at the start of the short options stops
 * it at the first non-option, which is the Guest image. We switch off its own
 * messages (`opterr`) to print ours, which name the offending word; the colon
 * after the `+` asks it to tell a missing value (`:`) from an unknown option
 * (`?`). Everything after the image belongs to the Guest. :*/
static const struct option long_options[] = {
	{ "memory", required_argument, NULL, 'm' },
	{ "host", required_argument, NULL, 'H' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void parse_options(int argc, char *argv[], struct options *opt)
{
	int c;

	*opt = (struct options){ .memory_mb = LG_MEMORY_DEFAULT_MB };
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:m:vh", long_options, NULL)) != -1) {
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
	if (optind < argc)
		opt->guest_file = argv[optind++];
	opt->guest_argc = argc - optind;
	opt->guest_argv = argv + optind;
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
 * (*The Guest LAN*), which needs no VM at all. (A Guest image that really is
 * called `switch` can still be booted as `./switch`.)
 * With `--verbose` the milliseconds tell where a boot's time goes. On this
 * machine the Launcher's own part, from its start to the Host's first
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

	clock_gettime(CLOCK_MONOTONIC, &start_time);
	if (argc > 1 && strcmp(argv[1], "switch") == 0)
		return switch_main(argc - 1, argv + 1);
	parse_options(argc, argv, &opt);
	cmdline = pvh_host_cmdline(virtio_cmdline(), opt.guest_argc, opt.guest_argv);
	if (opt.host_file)
		image_from_file(&host, opt.host_file, "Host image");
	else
		image_builtin(&host, LG_BUILTIN_HOST);
	if (opt.guest_file)
		image_from_file(&guest, opt.guest_file, "guest image");
	else
		image_builtin(&guest, LG_BUILTIN_GUEST);
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
