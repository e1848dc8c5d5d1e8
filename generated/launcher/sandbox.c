/* Tangled from chapters/36-launcher-sandbox.nw by `make tangle`: edit the chapter, not this file. */
/*L:560, continued :*/
/* Confinement: seccomp filters per thread, --user, --chroot. */
#include "virtio.h"
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

/*L:565 The settings.
 * The sandbox is on unless the user says `--sandbox=off`, which exists for
 * debugging: `strace` a Launcher whose filter refuses something, and the
 * refused call is the last line. `--user` is resolved to numbers while the
 * password file is still reachable, which is to say at once. :*/
static struct {
	bool off;
	const char *user;	/* --user=NAME, or NULL */
	uid_t uid;
	gid_t gid;
	const char *root;	/* --chroot=DIR, or NULL */
} sandbox;
/*:*/

/*L:570 The options.
 * Like the device options (*L:902*), ours come in the `--name=value` form only,
 * and the Launcher's parser hands them to us when they are not its own. Both
 * `--user` and `--chroot` need root, since only root may change its user or
 * its root directory; an ordinary user gets a message saying so at once, not a
 * half-confined Launcher later. Naming `root` as the user to become would drop
 * nothing, and is refused too. :*/
static void sandbox_need_root(const char *arg)
{
	if (geteuid() != 0)
		errx(LG_EXIT_USAGE, "%s: only root can change its user or root directory; "
		     "run the Launcher as root, or leave the option out", arg);
}

static void sandbox_set_user(const char *arg)
{
	struct passwd *pw;

	sandbox_need_root(arg);
	sandbox.user = arg + 7;
	pw = getpwnam(sandbox.user);
	if (!pw)
		errx(LG_EXIT_USAGE, "%s: no such user; name one from /etc/passwd, e.g. nobody", arg);
	if (pw->pw_uid == 0)
		errx(LG_EXIT_USAGE, "%s: that user is root; name an unprivileged one, e.g. nobody", arg);
	sandbox.uid = pw->pw_uid;
	sandbox.gid = pw->pw_gid;
}

static void sandbox_set_root(const char *arg)
{
	struct stat st;

	sandbox_need_root(arg);
	sandbox.root = arg + 9;
	if (stat(sandbox.root, &st) < 0 || !S_ISDIR(st.st_mode))
		errx(LG_EXIT_USAGE, "%s: not a directory; give an empty directory, e.g. /var/empty",
		     arg);
}

bool sandbox_parse_option(const char *arg)
{
	if (strcmp(arg, "--sandbox=off") == 0 || strcmp(arg, "--sandbox=on") == 0)
		sandbox.off = strcmp(arg, "--sandbox=off") == 0;
	else if (strncmp(arg, "--user=", 7) == 0)
		sandbox_set_user(arg);
	else if (strncmp(arg, "--chroot=", 9) == 0)
		sandbox_set_root(arg);
	else if (strncmp(arg, "--sandbox=", 10) == 0)
		errx(LG_EXIT_USAGE, "%s: say --sandbox=on or --sandbox=off", arg);
	else
		return false;
	return true;
}
/*:*/

/*L:575 The allow-lists.
 * Now the heart of it: what each thread may do once set-up is over. We found
 * the lists by watching (`strace -f` of a Launcher with every device, then a
 * Guest that uses them all) and by reading each thread's code for the calls a
 * rare path makes. Every thread shares a *base*: locks (`futex`), `write` for
 * messages and the console, leaving (`exit`, `exit_group`), signals (a
 * handler returns through `rt_sigreturn`, the console's re-raises its signal
 * with `tgkill`; on `SIGCONT` it asks whether it is in the foreground again,
 * `getpgrp` beside the terminal's `TIOCGPGRP`, before it makes the terminal
 * raw, *L:909*), the clock for `--verbose`, and memory for `malloc`, whose
 * per-thread arenas come from `mmap`. Beyond the base, a worker sleeps in
 * `poll` and reads its eventfd; the block worker reads and writes at offsets
 * and flushes, itself or through its ring (`io_uring_enter`; the ring was
 * made and fenced to the image before any filter, *L:928*, and making another
 * stays forbidden); the entropy worker asks for random bytes; the network worker
 * reads and writes frames and, on a Guest LAN, rejoins a switch that has
 * restarted (*L:982*), which takes `connect` and `getpeername`. The keep-alive
 * thread sleeps and says hello (*L:983*). The vCPU needs almost nothing but its
 * `ioctl`s, which the next step restricts by descriptor, and, where there is a
 * disk, reads and writes on its image alone (*L:578*), and, where there is a
 * tap, writes of frames to it (*L:579*). The switch receives,
 * sends, and probes its ports with `connect` (*L:988*).
 *
 * Names, not numbers: libseccomp turns them into this machine's numbers, and a
 * name this libseccomp does not know (an old one meeting a new call) is
 * skipped rather than fatal. :*/
static const char *const base_calls[] = {
	"futex", "write", "exit", "exit_group", "rt_sigreturn", "rt_sigprocmask",
	"rt_sigaction", "tgkill", "getpid", "gettid", "clock_gettime", "munmap",
	"madvise", "brk", "fstat", "newfstatat", "restart_syscall", "sched_yield",
	"getpgrp", "getpgid", NULL,
};
static const char *const worker_calls[] = { "poll", "ppoll", "read", NULL };
static const char *const console_calls[] = { "writev", NULL };
static const char *const block_calls[] = {
	"preadv", "pwritev", "pread64", "pwrite64", "fdatasync", "fsync", "io_uring_enter", NULL,
};
static const char *const rng_calls[] = { "getrandom", NULL };
static const char *const net_calls[] = {
	"readv", "writev", "recvmsg", "recvfrom", "sendto", "sendmsg", "connect",
	"getpeername", NULL,
};
static const char *const keepalive_calls[] = {
	"clock_nanosleep", "nanosleep", "sendto", "sendmsg", "connect", "getpeername", NULL,
};
static const char *const switch_calls[] = { "recvfrom", "sendto", "connect", "poll", NULL };
static const char *const no_calls[] = { NULL };
/*L:577 Roles.
 * A role is the base plus at most two lists. The table is indexed by role, so
 * adding a thread is one line here and one call at the top of its function. :*/
static const struct {
	const char *const *extra[2];
} roles[SANDBOX_NR_ROLES] = {
	[SANDBOX_VCPU] = { { no_calls, no_calls } },
	[SANDBOX_CONSOLE] = { { worker_calls, console_calls } },
	[SANDBOX_BLOCK] = { { worker_calls, block_calls } },
	[SANDBOX_RNG] = { { worker_calls, rng_calls } },
	[SANDBOX_NET] = { { worker_calls, net_calls } },
	[SANDBOX_NET_KEEPALIVE] = { { keepalive_calls, no_calls } },
	[SANDBOX_SWITCH] = { { switch_calls, no_calls } },
};
/*:*/
/*:*/
/*L:578 The vCPU at a disk.
 * One exception to "the vCPU only runs the Guest": a disk serves on the vCPU
 * thread whatever requests can be done without waiting, because handing them
 * to the disk's worker costs a wake-up that, on a busy machine, can cost
 * milliseconds (*L:928*). So the
 * vCPU may read and write at offsets, but only on the descriptors a disk
 * names while it is set up, compared as the `ioctl`s' are (*L:580*): the same
 * images the disk's worker writes, and nothing else. (It reads with
 * `preadv2`, which can refuse to wait for a page not yet in memory.) :*/
static int vcpu_io_fds[BLK_MAX_DISKS];
static int nr_vcpu_io_fds;

void sandbox_vcpu_may_use(int fd)
{
	if (nr_vcpu_io_fds < BLK_MAX_DISKS)
		vcpu_io_fds[nr_vcpu_io_fds++] = fd;
}
/*L:579 The vCPU at a tap.
 * The tap card sends on the vCPU too, for the same reason: on a busy
 * machine, the thread that waits for another thread loses (*L:969*). It
 * needs one call, `writev`, and only on the tap descriptors the cards name
 * as they are made: not `write`'s other descriptors, not reads, not the
 * sockets of a Guest LAN, whose cards send on their workers. :*/

static int vcpu_tap_fds[VIRTIO_MAX_DEVICES];
static int nr_vcpu_tap_fds;

void sandbox_vcpu_may_send(int fd)
{
	if (nr_vcpu_tap_fds < VIRTIO_MAX_DEVICES)
		vcpu_tap_fds[nr_vcpu_tap_fds++] = fd;
}
/*:*/

static void sandbox_allow_vcpu_io(scmp_filter_ctx f)
{
	for (int i = 0; i < nr_vcpu_io_fds; i++) {
		seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(preadv2), 1,
				 SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffff, vcpu_io_fds[i]));
		seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(pwritev), 1,
				 SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffff, vcpu_io_fds[i]));
	}
	/*L:579, continued :*/
	for (int i = 0; i < nr_vcpu_tap_fds; i++)
		seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(writev), 1,
				 SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffff, vcpu_tap_fds[i]));
	/*:*/
}
/*:*/
/*L:580 Calls allowed with some arguments only.
 * A few calls are safe with some arguments and dangerous with others, and
 * seccomp can look at the arguments (their values, never what they point
 * at). `mmap` and `mprotect` are allowed, for `malloc`, but never with
 * `PROT_EXEC`: an attacker who could write code into our memory could not make
 * it runnable. `kill` may reach only our own process or its process group (the
 * console stops itself on Ctrl-Z that way). `ioctl` is the widest call of all,
 * so it is allowed only for the requests we make: the terminal's own (to put
 * it back on the way out, and to ask after a stop whose it is), `KVM_IRQ_LINE` on the VM's descriptor (every device
 * raises its interrupt so, *L:870*), and, for the vCPU alone, `KVM_RUN` and
 * the register reads of a crash report on the vCPU's descriptor. Requests and
 * descriptors are compared whole; a descriptor is an `int`, so we mask it to
 * 32 bits. :*/
static const unsigned long tty_ioctls[] = {
	TCGETS, TCSETS, TCSETSW, TCSETSF, TIOCGWINSZ, TIOCGPGRP,
};
static const unsigned long vcpu_ioctls[] = {
	KVM_RUN, KVM_GET_REGS, KVM_GET_SREGS, KVM_TRANSLATE,
};

static void sandbox_allow_ioctls(scmp_filter_ctx f, int fd, const unsigned long *req, int n)
{
	for (int i = 0; i < n; i++) {
		if (fd < 0)
			seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
					 SCMP_A1(SCMP_CMP_EQ, req[i]));
		else
			seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 2,
					 SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffff, fd),
					 SCMP_A1(SCMP_CMP_EQ, req[i]));
	}
}
/*:*/
/*L:580, continued :*/
static void sandbox_allow_with_arguments(scmp_filter_ctx f, enum sandbox_role role)
{
	static const unsigned long irq_line[] = { KVM_IRQ_LINE };

	seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
			 SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
			 SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1, SCMP_A0(SCMP_CMP_EQ, getpid()));
	seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1, SCMP_A0(SCMP_CMP_EQ, 0));
	sandbox_allow_ioctls(f, -1, tty_ioctls, sizeof(tty_ioctls) / sizeof(tty_ioctls[0]));
	if (role != SANDBOX_SWITCH)
		sandbox_allow_ioctls(f, vm.vm_fd, irq_line, 1);
	if (role == SANDBOX_VCPU)
		sandbox_allow_ioctls(f, vm.vcpu_fd, vcpu_ioctls,
				     sizeof(vcpu_ioctls) / sizeof(vcpu_ioctls[0]));
	if (role == SANDBOX_VCPU)
		sandbox_allow_vcpu_io(f);
}
/*:*/

/*M:940 Filters by descriptor.
 * Our `write` is allowed on any descriptor, so a compromised console thread
 * could write to a disk image through the disk's descriptor, which it shares
 * with every thread. seccomp can compare a descriptor argument with a number,
 * as we do for `ioctl`; allowing `write` only on standard output, standard
 * error and the thread's own eventfd would close that door, at the price of
 * each filter knowing its device's descriptors. */
/*L:583 Refusing, loudly.
 * What should a forbidden call do? seccomp offers to kill the thread, kill the
 * process, fail the call with an error, or send the thread a `SIGSYS`. Failing
 * the call with `EPERM` would be gentle, and wrong: the code that made the call
 * was never meant to, so it is either a bug of ours or an attack, and neither
 * should carry on as if nothing happened. Killing the process outright is safe
 * but silent, apart from "Bad system call", and leaves the terminal raw. So we
 * trap: the thread gets `SIGSYS`, whose `siginfo` carries the number of the
 * call, and our handler says which thread made which call, puts the terminal
 * back, and leaves with status 126, the status that already means "a bug in our
 * code" (*L:110*).
 *
 * A signal handler may call only async-signal-safe functions, and `printf` is
 * not one; nor is libseccomp's number-to-name lookup, which allocates. So the
 * handler writes with `write` alone, and the names come from a table we fill
 * before any filter exists (*L:590*). A number is a name only in its own
 * architecture's table, so the handler checks the architecture the kernel
 * reports before looking the number up. The same rule says the thread's name must
 * be at hand without a call: it sits in a thread-local variable, set when the
 * thread enters its filter. :*/
#define SANDBOX_NR_NAMES 512
static const char *syscall_names[SANDBOX_NR_NAMES];
static __thread const char *sandbox_thread;
static u32 sandbox_arch;	/* the AUDIT_ARCH of our own system calls */
static struct termios sandbox_tty;
static bool sandbox_tty_saved;

static void sandbox_say(const char *s)
{
	if (write(STDERR_FILENO, s, strlen(s)) < 0)
		return;
}

static void sandbox_say_number(int n)
{
	char buf[16], *p = buf + sizeof(buf);

	*--p = '\0';
	*--p = ')';
	do
		*--p = '0' + n % 10;
	while ((n /= 10) > 0 && p > buf + 2);
	*--p = '(';
	*--p = ' ';
	sandbox_say(p);
}

static void sandbox_refused(int sig, siginfo_t *si, void *context)
{
	int nr = si->si_syscall;
	bool ours = si->si_arch == sandbox_arch;

	(void)sig, (void)context;
	if (sandbox_tty_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &sandbox_tty);
	sandbox_say("lguest: sandbox: the ");
	sandbox_say(sandbox_thread ? sandbox_thread : "unnamed");
	sandbox_say(" thread made the system call ");
	sandbox_say(!ours ? "of another architecture" :
		    nr >= 0 && nr < SANDBOX_NR_NAMES && syscall_names[nr] ? syscall_names[nr] : "?");
	sandbox_say_number(nr);
	sandbox_say(", which its filter forbids; this is a bug (or an attack), and the "
		    "Launcher stops (--sandbox=off to debug)\n");
	_exit(LG_EXIT_HOST_PANIC);
}
/*:*/

/*L:586 Giving up root and the host's files.
 * `main` calls this once every file the Launcher will ever use is open:
 * `/dev/kvm`, the images (already read into memory), the disks, the tap, the
 * switch's socket; and before any thread exists, for a reason that is easy to
 * miss. `setuid` changes the credentials of one thread in the kernel's eyes;
 * glibc makes it process-wide by signalling every other thread to make the same
 * call, and a thread whose filter forbids `setuid` would die of it. Dropping
 * before the threads start avoids the question.
 *
 * The order matters too. `chroot` needs root, so it comes first; a `chdir("/")`
 * after it, or the current directory would still be a way out. Then the
 * groups: `setgroups` with an empty list clears the supplementary groups root
 * was born with (which may include `disk` or `kvm`), then `setgid`, and
 * `setuid` last, since after it we could change neither. A `chroot` without a
 * change of user is a weaker thing, because root can leave a chroot (by making
 * another one below itself and climbing out); we say so rather than refuse,
 * since the seccomp filter forbids `chroot` anyway. :*/
/*L:590 Before the first filter.
 * Three things must be ready before any thread can be refused anything: the
 * `SIGSYS` handler, installed once for the whole process; the terminal as the
 * user left it, saved here because the console will change it moments later
 * (*L:908*); and the names of the system calls, with the architecture they
 * belong to. For the last we ask libseccomp
 * for every number up to 512 once, which costs about a quarter of a
 * millisecond here, and keep the answers. :*/
static void sandbox_prepare_reports(void)
{
	struct sigaction sa = { .sa_sigaction = sandbox_refused, .sa_flags = SA_SIGINFO };

	for (int nr = 0; nr < SANDBOX_NR_NAMES; nr++)
		syscall_names[nr] = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
	sandbox_arch = seccomp_arch_native();
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &sandbox_tty) == 0)
		sandbox_tty_saved = true;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0)
		err(1, "sandbox: cannot catch SIGSYS");
}
/*:*/

/*L:598, continued :*/
#ifdef LG_TEST_SANDBOX
static void sandbox_test_open(void)
{
	const char *path = getenv("LG_TEST_SANDBOX_OPEN");
	int fd = path ? open(path, O_RDONLY) : -1;

	if (path)
		fprintf(stderr, "lguest-test: open %s: %s\n", path, fd < 0 ? strerror(errno) : "ok");
}
#else
#define sandbox_test_open() ((void)0)
#endif
/*:*/

void sandbox_drop_privileges(void)
{
	if (!sandbox.off)
		sandbox_prepare_reports();
	if (sandbox.root && (chroot(sandbox.root) < 0 || chdir("/") < 0))
		err(1, "--chroot=%s", sandbox.root);
	if (sandbox.root && !sandbox.user)
		warnx("--chroot without --user: root can climb out of a chroot; add --user=nobody");
	if (sandbox.user &&
	    (setgroups(0, NULL) < 0 || setgid(sandbox.gid) < 0 || setuid(sandbox.uid) < 0))
		err(1, "--user=%s: cannot become that user", sandbox.user);
	lg_say("sandbox: root directory %s, user %s, seccomp filters %s",
	       sandbox.root ? sandbox.root : "unchanged", sandbox.user ? sandbox.user : "unchanged",
	       sandbox.off ? "off" : "on");
	sandbox_test_open();
}
/*:*/

/*L:593 Building a filter.
 * A filter starts from its default action, the trap, and adds one rule per
 * allowed call. Two details. A process may also make system calls of another
 * architecture (the 32-bit `int $0x80` works in a 64-bit process); libseccomp
 * kills those by default, without our message, so we ask it to trap them too.
 * And loading a filter requires either `CAP_SYS_ADMIN` or the thread's promise
 * never to gain privileges again (`PR_SET_NO_NEW_PRIVS`); libseccomp makes the
 * promise for us, which suits us: we have just given them up.
 *
 * Each thread loads its own filter, for itself alone; libseccomp could apply
 * one filter to every thread at once (`SCMP_FLTATR_CTL_TSYNC`), but then every
 * thread would have the union of all their needs, and the vCPU would be allowed
 * to write to any descriptor, not only to the disks' images.
 *
 * What does it cost? Building and loading one filter takes about 0.3 ms on
 * the book's machine (two CPUs, a nested kvm_pvm); the workers build theirs in parallel, and only the vCPU's
 * stands between set-up and the Host's first instruction. After that, a system
 * call of a confined thread may run the filter, some sixty BPF instructions for
 * the widest role. Most do not: since Linux 5.11 the kernel works out, when a
 * filter is loaded, which calls it allows whatever their arguments, and lets
 * those through from a bitmap without running it. Only the calls we allow with
 * conditions (`ioctl`, `mmap`, `mprotect`, `kill`) pay, and the hottest of them
 * all is the vCPU's `KVM_RUN`, so we ask libseccomp to test `ioctl` first. `make bench`
 * boots with filters and with `--sandbox=off` side by side: the ratio of the
 * medians comes out between 1.01 and 1.03, and the disk's random reads, each a
 * kick, a `preadv` and an interrupt through filtered threads, are no slower. :*/
static void sandbox_allow(scmp_filter_ctx f, const char *const *calls)
{
	for (; *calls; calls++) {
		int nr = seccomp_syscall_resolve_name(*calls);

		if (nr != __NR_SCMP_ERROR && seccomp_rule_add(f, SCMP_ACT_ALLOW, nr, 0) < 0)
			errx(1, "sandbox: libseccomp refuses a rule for %s", *calls);
	}
}

static void sandbox_load(enum sandbox_role role, const char *thread)
{
	scmp_filter_ctx f = seccomp_init(SCMP_ACT_TRAP);
	int rc;

	if (!f || seccomp_attr_set(f, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_TRAP) < 0)
		errx(1, "sandbox: libseccomp cannot make a filter for the %s thread", thread);
	seccomp_syscall_priority(f, SCMP_SYS(ioctl), 255);
	sandbox_allow(f, base_calls);
	sandbox_allow(f, roles[role].extra[0]);
	sandbox_allow(f, roles[role].extra[1]);
	sandbox_allow_with_arguments(f, role);
	rc = seccomp_load(f);
	if (rc < 0)
		errx(1, "sandbox: cannot load the %s thread's filter: %s; "
		     "--sandbox=off runs without", thread, strerror(-rc));
	seccomp_release(f);
}
/*:*/
/*M:941 A card that rejoins from a chroot.
 * A network card on a Guest LAN rejoins a restarted switch by `connect`ing to
 * its path (*L:982*). Inside `--chroot=DIR` that path is looked up inside
 * `DIR`, so a card can rejoin only if the switch's socket is reachable there
 * too (a switch started in that directory, say); and with `--user`, only if
 * that user may write to the socket. An abstract socket name, which lives
 * outside every file tree and has no owner, would not care. */
/*M:942 Namespaces.
 * `chroot` is the oldest way out of the host's files. A Launcher started in new
 * mount, PID, IPC and network namespaces (Firecracker's jailer, or
 * `unshare(1)`) would see no other process and, with `--tunnet`, only its own
 * tap. That belongs outside the Launcher, in whatever starts it. */
/*L:596 Entering.
 * A thread enters its sandbox with one call at the top of its function, after
 * its set-up and before its first look at the Guest's rings. The vCPU thread
 * (the main thread, which runs `KVM_RUN`) enters last, after every other thread
 * has started: a filter is inherited by threads created later, and stacked
 * filters allow only what all of them allow. A device worker maps its device's
 * virtio identifier to a role; an identifier we have no role for gets the
 * vCPU's, the narrowest, and the first call its worker makes will say so.
 *
 * One surprise when we looked at `/proc/PID/task/\*\/status` to check that every
 * thread is confined: there is a thread we never started, named
 * `kvm-nx-lpage-re`. It is KVM's, a kernel worker that this kernel attaches to
 * the VM's process at the first `KVM_RUN` (it splits huge pages for a CPU
 * bug's workaround). Being created from the vCPU thread after that thread
 * entered its filter, it reports `Seccomp: 2` as well; since it runs only in the kernel,
 * it never makes a system call, so no filter could matter to it. Our test
 * counts the Launcher's own threads and leaves KVM's aside. :*/
/*L:598 Test builds.
 * How do we test that a forbidden call is refused, when the real Launcher makes
 * none? We compile a second Launcher, with `-DLG_TEST_SANDBOX`, that misbehaves
 * on request: with `LG_TEST_SANDBOX_FORBID=NAME` in its environment, the
 * thread whose name starts with `NAME` opens `/etc/passwd` just after entering
 * its filter, as an exploited thread might (or, with `LG_TEST_SANDBOX_I386`
 * set too, makes a 32-bit system call first). With `LG_TEST_SANDBOX_OPEN=PATH`,
 * the Launcher tries to open `PATH` just after giving up its rights, and says
 * whether it could: that is how the tests see a chroot at work. Neither exists
 * in `build/lguest`. :*/
#ifdef LG_TEST_SANDBOX
static void sandbox_test_forbidden(const char *thread)
{
	const char *who = getenv("LG_TEST_SANDBOX_FORBID");

	if (who && strncmp(thread, who, strlen(who)) == 0 && getenv("LG_TEST_SANDBOX_I386"))
		asm volatile("int $0x80" : : "a"(20) : "memory");	/* i386 getpid */
	if (who && strncmp(thread, who, strlen(who)) == 0)
		open("/etc/passwd", O_RDONLY);
}
#else
#define sandbox_test_forbidden(thread) ((void)(thread))
#endif
/*:*/

void sandbox_enter(enum sandbox_role role, const char *thread)
{
	if (sandbox.off)
		return;
	sandbox_thread = thread;
	sandbox_load(role, thread);
	sandbox_test_forbidden(thread);
}

void sandbox_enter_device(u32 device_id, const char *thread)
{
	enum sandbox_role role = device_id == VIRTIO_ID_CONSOLE ? SANDBOX_CONSOLE :
				 device_id == VIRTIO_ID_BLOCK ? SANDBOX_BLOCK :
				 device_id == VIRTIO_ID_RNG ? SANDBOX_RNG :
				 device_id == VIRTIO_ID_NET ? SANDBOX_NET : SANDBOX_VCPU;

	sandbox_enter(role, thread);
}
/*:*/
/*:*/
