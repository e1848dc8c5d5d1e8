/* The rest of the Launcher, faked for the fuzz targets: Guest RAM in a
 * malloc'd buffer, bad_driver() and err()/errx() as a longjmp back to the
 * harness, KVM_IRQ_LINE recorded, every other KVM ioctl refused, no threads,
 * and the console's standard output swallowed. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include "launcher_shim.h"
#include "fake_launcher.h"

struct vm vm = { .vm_fd = 1000 };
bool lg_verbose;
static jmp_buf fuzz_jmp;
static int fuzz_armed;
static enum fuzz_outcome fuzz_outcome;
char fuzz_reason[512];
int fuzz_irq_level[64];

void fuzz_ram_init(u64 size)
{
	vm.ram = calloc(1, size);
	vm.ram_size = size;
	if (!vm.ram)
		abort();
}

/* FUZZ_VERBOSE=1 in the environment prints each outcome: a way to see what
 * a corpus file does (FUZZ_VERBOSE=1 build/fuzz/vq FILE). */
static void fuzz_tell(enum fuzz_outcome o)
{
	static const char *const what[] = { "ran", "killed the Guest", "refused" };

	if (getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "fuzz: %s%s%s\n", what[o], o ? ": " : "", o ? fuzz_reason : "");
}

enum fuzz_outcome fuzz_try(void (*fn)(void *arg), void *arg)
{
	if (setjmp(fuzz_jmp) == 0) {
		fuzz_armed = 1;
		fn(arg);
		fuzz_armed = 0;
		fuzz_tell(FUZZ_RAN);
		return FUZZ_RAN;
	}
	fuzz_armed = 0;
	fuzz_tell(fuzz_outcome);
	return fuzz_outcome;
}

void lg_say(const char *fmt, ...) { (void)fmt; }
double lg_elapsed_ms(void) { return 0; }

static void __attribute__((noreturn)) fuzz_leave(enum fuzz_outcome o, const char *fmt, va_list ap)
{
	vsnprintf(fuzz_reason, sizeof(fuzz_reason), fmt, ap);
	if (!fuzz_armed) {
		fprintf(stderr, "fuzz: the Launcher left outside a harness call: %s\n", fuzz_reason);
		abort();
	}
	fuzz_outcome = o;
	longjmp(fuzz_jmp, 1);
}

void bad_driver(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fuzz_leave(FUZZ_KILLED, fmt, ap);
}

void fuzz_refuse(int status, const char *fmt, ...)
{
	va_list ap;

	(void)status;
	va_start(ap, fmt);
	fuzz_leave(FUZZ_REFUSED, fmt, ap);
}

void *guest_ptr(u64 addr, u64 len)
{
	if (addr < FUZZ_WIN_START || addr + len < addr || addr + len > FUZZ_WIN_END)
		bad_driver("it used [%#llx, +%#llx), outside its window", addr, len);
	return vm.ram + addr;
}

void *ram_ptr(u64 addr, u64 len)
{
	return lg_range_ok(addr, len, vm.ram_size) ? vm.ram + addr : NULL;
}

u64 io_get(const u8 *data, u32 size) { u64 v = 0; memcpy(&v, data, size); return v; }
void io_put(u8 *data, u32 size, u64 value) { memcpy(data, &value, size); }

int fuzz_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fd == vm.vm_fd && req == KVM_IRQ_LINE) {
		struct kvm_irq_level *l = arg;

		fuzz_irq_level[l->irq & 63] = l->level;
		return 0;
	}
	if (fd == vm.vm_fd) {
		errno = ENOTTY;
		return -1;
	}
	return syscall(SYS_ioctl, fd, req, arg);
}

int fuzz_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg)
{
	(void)t, (void)a, (void)fn, (void)arg;
	return 0;	/* the harness plays the worker, in its own thread */
}

bool fuzz_skip_known(void)
{
	static int skip = -1;

	if (skip < 0)
		skip = getenv("FUZZ_SKIP_KNOWN") && strcmp(getenv("FUZZ_SKIP_KNOWN"), "0");
	return skip;
}

#undef readv
/* A read into no buffer at all: the receive path of issue 10's spinning
 * network worker.  With FUZZ_SKIP_KNOWN, the run ends there (as a kill). */
ssize_t fuzz_readv(int fd, const struct iovec *iov, int n)
{
	if (n == 0 && fuzz_skip_known())
		bad_driver("known bug (issue 10): a receive buffer with no room for a frame");
	return readv(fd, iov, n);
}

#undef write
#undef writev
ssize_t fuzz_write(int fd, const void *p, size_t n)
{
	return fd == STDOUT_FILENO ? (ssize_t)n : write(fd, p, n);
}

ssize_t fuzz_writev(int fd, const struct iovec *iov, int n)
{
	ssize_t total = 0;

	if (fd != STDOUT_FILENO)
		return writev(fd, iov, n);
	for (int i = 0; i < n; i++) {
		volatile const u8 *b = iov[i].iov_base;

		if (iov[i].iov_len)	/* touch the first and last byte, as write() would */
			(void)b[0], (void)b[iov[i].iov_len - 1];
		total += iov[i].iov_len;
	}
	return total;
}

/* The sandbox (chapter 36) is not under test here, and a real seccomp filter
 * would end the fuzzer at its first system call outside the list: the
 * harnesses run unconfined, and take no sandbox options. */
bool sandbox_parse_option(const char *arg)
{
	(void)arg;
	return false;
}
void sandbox_drop_privileges(void) {}
void sandbox_enter(enum sandbox_role role, const char *thread) { (void)role, (void)thread; }
void sandbox_enter_device(u32 device_id, const char *thread) { (void)device_id, (void)thread; }
void sandbox_vcpu_may_use(int fd) { (void)fd; }
void sandbox_vcpu_may_send(int fd) { (void)fd; }
