/* Tangled from chapters/37-launcher-debug.nw by `make tangle`: edit the chapter, not this file. */
/*L:502, continued :*/
/* A GDB remote stub: the machine stopped, inspected and driven from gdb. */
#include "launcher.h"
#include <err.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static struct {
	const char *where;		/* the --gdb= value, or NULL */
	int fd;				/* the connection to gdb, or -1 */
	bool attached;			/* it has not yet asked for its first stop */
	pthread_t vcpu;			/* the thread that calls KVM_RUN */
	u64 bp[2];			/* Host breakpoints in DR0 and DR1, 0 if free */
	struct { u64 addr; u8 saved; bool set; } gbp[8];	/* int3s in the Guest */
	bool in_guest;			/* stopped in the Guest: its registers are view */
	struct kvm_regs view;
	u16 guest_cs, guest_ss;
	volatile int interrupted;	/* gdb sent Ctrl-C while the machine ran */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool running, watching;
} gdb = { .fd = -1, .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

bool gdb_parse_option(const char *arg)
{
	if (strncmp(arg, "--gdb=", 6))
		return false;
	if (!arg[6])
		errx(LG_EXIT_USAGE, "--gdb= needs a TCP port or a UNIX socket path");
	gdb.where = arg + 6;
	sandbox_parse_option("--sandbox=off");
	return true;
}

static int gdb_bind_port(const char *where, long port)
{
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&in, sizeof(in)) < 0)
		err(1, "--gdb=%s: cannot listen on 127.0.0.1:%ld", where, port);
	return fd;
}

static int gdb_bind_path(const char *where)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(where) >= sizeof(un.sun_path))
		errx(1, "--gdb=%s: the path is too long for a UNIX socket", where);
	strcpy(un.sun_path, where);
	unlink(where);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&un, sizeof(un)) < 0)
		err(1, "--gdb=%s: cannot make the UNIX socket", where);
	return fd;
}

static int gdb_listen(const char *where)
{
	char *end;
	long port = strtol(where, &end, 10);
	int fd = *end == '\0' && port > 0 && port < 65536 ? gdb_bind_port(where, port)
							 : gdb_bind_path(where);

	if (listen(fd, 1) < 0)
		err(1, "--gdb=%s: listen", where);
	return fd;
}

/*L:512 Packets.
 * Everything in the protocol is text: a packet is `$`, the data, `#` and two
 * hex digits of the data's byte sum. The receiver answers `+`, or `-` to ask
 * again. Numbers inside are hex, and register and memory contents are bytes in
 * target order, little-endian here, two hex digits each. One byte stands
 * outside the packets: a bare 0x03 is gdb's Ctrl-C. The connection failing is
 * the end of the session, and of the machine. :*/
static const char hex[] = "0123456789abcdef";

static int unhex(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static void put_le(char *out, u64 v, int bytes)
{
	for (int i = 0; i < bytes; i++, v >>= 8) {
		out[2 * i] = hex[(v >> 4) & 0xf];
		out[2 * i + 1] = hex[v & 0xf];
	}
	out[2 * bytes] = '\0';
}

static u64 get_le(const char *in, int bytes)
{
	u64 v = 0;

	for (int i = bytes - 1; i >= 0; i--)
		v = v << 8 | (u64)(unhex(in[2 * i]) << 4 | unhex(in[2 * i + 1]));
	return v;
}

static void gdb_send(const char *data)
{
	char buf[9000];
	u8 sum = 0;
	size_t n = strlen(data);

	for (size_t i = 0; i < n; i++)
		sum += (u8)data[i];
	n = snprintf(buf, sizeof(buf), "$%s#%02x", data, sum);
	if (write(gdb.fd, buf, n) != (ssize_t)n)
		errx(1, "gdb went away");
}

static int gdb_getc(void)
{
	u8 c;

	if (read(gdb.fd, &c, 1) != 1)
		errx(1, "gdb went away");
	return c;
}

static void gdb_receive(char *buf, size_t size)
{
	for (;;) {
		size_t n = 0;
		u8 sum = 0;
		int c, hi, lo;

		while (gdb_getc() != '$')
			;
		while ((c = gdb_getc()) != '#') {
			if (n + 1 < size)
				buf[n++] = c;
			sum += c;
		}
		buf[n] = '\0';
		hi = unhex(gdb_getc());
		lo = unhex(gdb_getc());
		if (write(gdb.fd, hi >= 0 && lo >= 0 && (hi << 4 | lo) == sum ? "+" : "-", 1) != 1)
			errx(1, "gdb went away");
		if (hi >= 0 && lo >= 0 && (hi << 4 | lo) == sum)
			return;
	}
}
/*:*/

/*L:522 Registers.
 * Without a target description from us, `gdb` assumes the classic x86-64
 * register file: sixteen general registers in the odd order `rax rbx rcx rdx
 * rsi rdi rbp rsp r8`..`r15`, then `rip` (eight bytes each), `eflags` and the
 * six segment selectors (four bytes each), then the x87 and SSE registers. A
 * `g` reply may stop short, and `gdb` then treats the rest as unavailable; our
 * Host has no floating point to show (it is built without it), so we stop
 * after the selectors. KVM keeps the general registers in one structure and
 * the segments in another, so a register number finds its slot through a
 * table. :*/
#define NREGS 24

static u64 *reg_slot(struct kvm_regs *r, int n)
{
	u64 *order[] = { &r->rax, &r->rbx, &r->rcx, &r->rdx, &r->rsi, &r->rdi, &r->rbp,
			 &r->rsp, &r->r8, &r->r9, &r->r10, &r->r11, &r->r12, &r->r13,
			 &r->r14, &r->r15, &r->rip, &r->rflags };
	return n < 18 ? order[n] : NULL;
}

static int reg_size(int n)
{
	return n < 17 ? 8 : 4;
}

static void regs_read(struct kvm_regs *r, struct kvm_sregs *s)
{
	if (ioctl(vm.vcpu_fd, KVM_GET_REGS, r) < 0 || ioctl(vm.vcpu_fd, KVM_GET_SREGS, s) < 0)
		err(1, "gdb: reading the vCPU's registers");
	if (gdb.in_guest) {
		*r = gdb.view;
		s->cs.selector = gdb.guest_cs;
		s->ss.selector = gdb.guest_ss;
	}
}

static u64 reg_get(struct kvm_regs *r, struct kvm_sregs *s, int n)
{
	struct kvm_segment *seg[] = { &s->cs, &s->ss, &s->ds, &s->es, &s->fs, &s->gs };

	return n < 18 ? *reg_slot(r, n) : seg[n - 18]->selector;
}

static void gdb_send_registers(int only)
{
	char out[NREGS * 16 + 1], *p = out;
	struct kvm_regs r;
	struct kvm_sregs s;

	regs_read(&r, &s);
	for (int n = 0; n < NREGS; n++)
		if (only < 0 || n == only) {
			put_le(p, reg_get(&r, &s, n), reg_size(n));
			p += 2 * reg_size(n);
		}
	gdb_send(out);
}

static void gdb_write_register(int n, const char *value)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	regs_read(&r, &s);
	if (n < 18) {
		*reg_slot(&r, n) = get_le(value, reg_size(n));
		if (gdb.in_guest)
			gdb.view = r;
		else if (ioctl(vm.vcpu_fd, KVM_SET_REGS, &r) < 0)
			err(1, "gdb: KVM_SET_REGS");
	}
	gdb_send("OK");
}
/*:*/

/*L:532 Memory, through the page tables.
 * `gdb` asks for memory by virtual address, the address the code uses. We
 * translate it as the CPU would at that moment: through the four levels of
 * the page tables whose root is in the vCPU's `CR3`, nine bits of the address
 * at each level, stopping early at a 1 GiB or 2 MiB page. With paging off (the
 * Host's first instructions) an address is physical. Every table entry and
 * every byte is read through `ram_ptr`, so a wild address reads as an error,
 * never as our own memory. When the machine stopped in the Guest, `CR3` is the
 * Guest's shadow table (*H:575*), so `gdb` sees the Guest's memory as the
 * Guest does, and the Host's own slot above it. :*/
static u64 gdb_translate(u64 va)
{
	const u64 frame = 0x000ffffffffff000ull;
	struct kvm_sregs s;
	u64 table, *e;

	if (ioctl(vm.vcpu_fd, KVM_GET_SREGS, &s) < 0 || !(s.cr0 & 0x80000000))
		return va;
	table = s.cr3 & frame;
	for (int level = 3; level >= 0; level--) {
		int shift = 12 + 9 * level;

		e = ram_ptr(table + ((va >> shift) & 511) * 8, 8);
		if (!e || !(*e & 1))
			return ~0ull;
		if (level == 0 || (level <= 2 && (*e & 0x80)))
			return (*e & frame & ~((1ull << shift) - 1)) | (va & ((1ull << shift) - 1));
		table = *e & frame;
	}
	return ~0ull;
}

static u8 *gdb_byte(u64 va)
{
	u64 pa = gdb_translate(va);

	return pa == ~0ull ? NULL : ram_ptr(pa, 1);
}

static void gdb_read_memory(u64 addr, u64 len)
{
	char out[4096 * 2 + 1];
	u64 n;

	for (n = 0; n < len && n < 4096 && gdb_byte(addr + n); n++)
		put_le(out + 2 * n, *gdb_byte(addr + n), 1);
	out[2 * n] = '\0';
	gdb_send(n ? out : "E14");
}

static void gdb_write_memory(u64 addr, u64 len, const char *data)
{
	for (u64 n = 0; n < len; n++) {
		u8 *b = gdb_byte(addr + n);
		if (!b) {
			gdb_send("E14");
			return;
		}
		*b = get_le(data + 2 * n, 1);
	}
	gdb_send("OK");
}
/*:*/

/*L:542, continued :*/
#define HOST_HALF 0xffff800000000000ull

static bool gdb_read_u64(u64 va, u64 *v)
{
	*v = 0;
	for (int i = 7; i >= 0; i--) {
		u8 *b = gdb_byte(va + i);
		if (!b)
			return false;
		*v = *v << 8 | *b;
	}
	return true;
}

static u64 idt_handler(int v)
{
	struct kvm_sregs s;
	u64 lo, hi, handler;

	if (ioctl(vm.vcpu_fd, KVM_GET_SREGS, &s) < 0 || s.idt.limit < 16 * v + 15 ||
	    !gdb_read_u64(s.idt.base + 16 * v, &lo) || !gdb_read_u64(s.idt.base + 16 * v + 8, &hi))
		return 0;
	handler = (lo & 0xffff) | ((lo >> 32) & 0xffff0000) | (hi << 32);
	return handler >= HOST_HALF ? handler : 0;
}
/*:*/

/*L:542, continued :*/
static void gdb_guest_breakpoint(bool insert, u64 addr)
{
	u8 *b = gdb_byte(addr);

	for (int i = 0; i < 8; i++) {
		if (insert && !gdb.gbp[i].set && b) {
			gdb.gbp[i].addr = addr, gdb.gbp[i].saved = *b, gdb.gbp[i].set = true;
			*b = 0xcc;
			gdb_send("OK");
			return;
		}
		if (!insert && gdb.gbp[i].set && gdb.gbp[i].addr == addr) {
			if (b)
				*b = gdb.gbp[i].saved;
			gdb.gbp[i].set = false;
			gdb_send("OK");
			return;
		}
	}
	gdb_send(!insert ? "OK" : b ? "E28" : "E14");
}
/*:*/

/*L:542, continued :*/
static bool gdb_guest_trapped(void)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	u64 f[5];

	regs_read(&r, &s);
	if (!r.rip || (r.rip != idt_handler(3) && r.rip != idt_handler(1)))
		return false;
	for (int i = 0; i < 5; i++)
		if (!gdb_read_u64(r.rsp + 8 * i, &f[i]))
			return false;
	if ((f[1] & 3) != 3)
		return false;
	gdb.view = r;
	gdb.view.rip = f[0] - (r.rip == idt_handler(3));
	gdb.view.rflags = f[2] & ~0x100ull;
	gdb.view.rsp = f[3];
	gdb.guest_cs = f[1], gdb.guest_ss = f[4];
	gdb.in_guest = true;
	return true;
}
/*:*/

/*L:542, continued :*/
static void gdb_resume_guest(bool step)
{
	struct kvm_regs r = gdb.view;
	struct kvm_sregs s;

	if (ioctl(vm.vcpu_fd, KVM_GET_SREGS, &s) < 0)
		err(1, "gdb: KVM_GET_SREGS");
	r.rflags = (r.rflags & ~0x100ull) | (step ? 0x100 : 0);
	s.cs = (struct kvm_segment){ .limit = 0xffffffff, .selector = gdb.guest_cs, .type = 0xb,
				     .present = 1, .dpl = 3, .s = 1, .l = 1, .g = 1 };
	s.ss = (struct kvm_segment){ .limit = 0xffffffff, .selector = gdb.guest_ss, .type = 0x3,
				     .present = 1, .dpl = 3, .s = 1, .db = 1, .g = 1 };
	if (ioctl(vm.vcpu_fd, KVM_SET_SREGS, &s) < 0 || ioctl(vm.vcpu_fd, KVM_SET_REGS, &r) < 0)
		err(1, "gdb: putting the vCPU back into the Guest");
	gdb.in_guest = false;
}
/*:*/

/*L:542 Breakpoints and single steps.
 * `gdb` asks for a software breakpoint (`Z0`) or a hardware one (`Z1`). On this
 * machine a software breakpoint, an `int3` written into the code, stops the VM
 * with an emulation failure when the Host reaches it (the probe's table), so in
 * the Host we serve both kinds from the debug registers: `DR0` and `DR1` hold
 * the addresses, and `DR7` enables each for execution of one byte (its two
 * enable bits at `2 * i`, its kind and length bits left zero). A third Host
 * breakpoint is refused, and `gdb` says so. The other two registers watch the
 * Guest, as we see next. `KVM_SET_GUEST_DEBUG` takes the whole state at once:
 * the debug registers, whether to use them, and whether to stop after one
 * instruction. :*/
static void gdb_set_debug(bool step)
{
	struct kvm_guest_debug debug = { .control = KVM_GUESTDBG_ENABLE };
	u64 dr7 = 0;

	debug.arch.debugreg[0] = gdb.bp[0];
	debug.arch.debugreg[1] = gdb.bp[1];
	debug.arch.debugreg[2] = idt_handler(3);
	debug.arch.debugreg[3] = idt_handler(1);
	for (int i = 0; i < 4; i++)
		dr7 |= debug.arch.debugreg[i] ? 1ull << (2 * i) : 0;
	debug.arch.debugreg[7] = dr7;
	debug.control |= (dr7 ? KVM_GUESTDBG_USE_HW_BP : 0) | (step ? KVM_GUESTDBG_SINGLESTEP : 0);
	if (ioctl(vm.vcpu_fd, KVM_SET_GUEST_DEBUG, &debug) < 0)
		err(1, "gdb: KVM_SET_GUEST_DEBUG");
}

static void gdb_breakpoint(bool insert, u64 addr)
{
	if (addr < HOST_HALF) {
		gdb_guest_breakpoint(insert, addr);
		return;
	}
	for (int i = 0; i < 2; i++)
		if (insert ? !gdb.bp[i] : gdb.bp[i] == addr) {
			gdb.bp[i] = insert ? addr : 0;
			gdb_send("OK");
			return;
		}
	gdb_send(insert ? "E28" : "OK");
}
/*:*/

/*M:542 More breakpoints in the Host.
 * Two hardware breakpoints in the Host are few. On hardware KVM an `int3`
 * written into Host code, with `KVM_GUESTDBG_USE_SW_BP`, would exit to us
 * instead of into the emulator's failure, and lift the limit; the stub would
 * choose by asking the probe's question once at start-up. */
/*L:552 Ctrl-C, and the conversation.
 * While the machine runs, the vCPU thread is inside `KVM_RUN` and reads
 * nothing, so a second thread watches the socket for gdb's Ctrl-C. On one, it
 * sets the flag, sets `immediate_exit` in the vCPU's shared page (so a
 * `KVM_RUN` about to start returns at once instead of missing the news) and
 * sends the vCPU thread a signal whose handler does nothing: its only work is
 * to make `KVM_RUN` return `EINTR`. The run loop then calls `gdb_poll`, which
 * stops. The watcher must not read a byte of a packet meant for the
 * conversation, so the vCPU thread, before it says "stopped", waits until the
 * watcher has seen that the machine no longer runs; `gdb` sends nothing until
 * it hears "stopped". :*/
static void gdb_kick(int sig)
{
	(void)sig;
}

static void *gdb_watch(void *unused)
{
	(void)unused;
	pthread_mutex_lock(&gdb.lock);
	for (;;) {
		while (!gdb.running)
			pthread_cond_wait(&gdb.cond, &gdb.lock);
		gdb.watching = true;
		pthread_mutex_unlock(&gdb.lock);
		while (gdb.running) {
			struct pollfd p = { .fd = gdb.fd, .events = POLLIN };
			u8 c;

			if (poll(&p, 1, 20) == 1 && gdb.running && read(gdb.fd, &c, 1) == 1 && c == 3) {
				gdb.interrupted = 1;
				vm.run->immediate_exit = 1;
				pthread_kill(gdb.vcpu, SIGUSR2);
			}
		}
		pthread_mutex_lock(&gdb.lock);
		gdb.watching = false;
		pthread_cond_broadcast(&gdb.cond);
	}
	return NULL;
}

static void gdb_running(bool running)
{
	pthread_mutex_lock(&gdb.lock);
	gdb.running = running;
	pthread_cond_broadcast(&gdb.cond);
	while (!running && gdb.watching)
		pthread_cond_wait(&gdb.cond, &gdb.lock);
	pthread_mutex_unlock(&gdb.lock);
}
/*:*/

/*L:552, continued :*/
static void gdb_serve(const char *stop)
{
	char in[9000];

	gdb_running(false);
	vm.run->immediate_exit = 0;
	gdb.interrupted = 0;
	if (stop)
		gdb_send(stop);
	for (;;) {
		gdb_receive(in, sizeof(in));
		unsigned n;
		unsigned long long a, b;
		char *colon = strchr(in, ':'), *eq = strchr(in, '=');

		if (in[0] == '?')
			gdb_send("S05");
		else if (in[0] == 'g')
			gdb_send_registers(-1);
		else if (in[0] == 'p' && sscanf(in + 1, "%x", &n) == 1 && n < NREGS)
			gdb_send_registers(n);
		else if (in[0] == 'P' && sscanf(in + 1, "%x=", &n) == 1 && n < NREGS && eq)
			gdb_write_register(n, eq + 1);
		else if (in[0] == 'm' && sscanf(in + 1, "%llx,%llx", &a, &b) == 2)
			gdb_read_memory(a, b);
		else if (in[0] == 'M' && sscanf(in + 1, "%llx,%llx:", &a, &b) == 2 && colon &&
			 b <= 4096 && strlen(colon + 1) >= 2 * b)
			gdb_write_memory(a, b, colon + 1);
		else if ((in[0] == 'Z' || in[0] == 'z') && (in[1] == '0' || in[1] == '1') &&
			 sscanf(in + 2, ",%llx", &a) == 1)
			gdb_breakpoint(in[0] == 'Z', a);
		else if (in[0] == 'c' || in[0] == 's') {
			bool guest = gdb.in_guest;

			if (guest)
				gdb_resume_guest(in[0] == 's');
			gdb_set_debug(in[0] == 's' && !guest);
			gdb_running(true);
			return;
		} else if (in[0] == 'D') {
			for (int i = 0; i < 8; i++) {
				u8 *b = gdb.gbp[i].set ? gdb_byte(gdb.gbp[i].addr) : NULL;
				if (b)
					*b = gdb.gbp[i].saved;
			}
			memset(gdb.gbp, 0, sizeof(gdb.gbp));
			if (gdb.in_guest)
				gdb_resume_guest(false);
			memset(gdb.bp, 0, sizeof(gdb.bp));
			gdb_set_debug(false);
			gdb_send("OK");
			close(gdb.fd);
			gdb.fd = -1;
			return;
		} else if (in[0] == 'k')
			exit(0);
		else if (strncmp(in, "qSupported", 10) == 0)
			gdb_send("PacketSize=2000");
		else if (strcmp(in, "qAttached") == 0)
			gdb_send("1");
		else if (strcmp(in, "qC") == 0)
			gdb_send("QC1");
		else if (strcmp(in, "qfThreadInfo") == 0)
			gdb_send("m1");
		else if (strcmp(in, "qsThreadInfo") == 0)
			gdb_send("l");
		else if (in[0] == 'H')
			gdb_send("OK");
		else
			gdb_send("");
	}
}
/*:*/

/*L:552, continued :*/
void gdb_start(void)
{
	struct sigaction sa = { .sa_handler = gdb_kick };
	pthread_t watcher;
	int listener;

	if (!gdb.where)
		return;
	listener = gdb_listen(gdb.where);
	fprintf(stderr, "lguest: waiting for gdb on %s\n", gdb.where);
	gdb.fd = accept(listener, NULL, NULL);
	if (gdb.fd < 0)
		err(1, "--gdb: accept");
	close(listener);
	gdb.vcpu = pthread_self();
	if (sigaction(SIGUSR2, &sa, NULL) < 0 || pthread_create(&watcher, NULL, gdb_watch, NULL))
		errx(1, "--gdb: cannot start the thread that watches for Ctrl-C");
	gdb.attached = true;
}
/*:*/

/*L:552, continued :*/
void gdb_poll(void)
{
	if (gdb.fd >= 0 && (gdb.attached || gdb.interrupted)) {
		gdb_serve(gdb.attached ? NULL : "S02");
		gdb.attached = false;
	}
}

void gdb_stop(void)
{
	if (gdb.fd < 0)
		errx(LG_EXIT_HOST_PANIC, "a debug exit with no debugger attached");
	gdb_guest_trapped();
	gdb_serve("S05");
}
/*:*/
/*:*/
