/*
 * The rest of the Launcher, played for the host-side harnesses that link its
 * virtio code (vqtest.c, devedge.c, vqedge.c, vqalign.c).  Included once, by
 * the harness's one C file: it defines what it declares.
 *
 *  - Guest RAM is vm.ram, of vm.ram_size bytes, which the harness allocates.
 *    guest_ptr() lets through [FAKE_WIN_START, FAKE_WIN_END), all of RAM
 *    unless the harness defines them first; with fake_lenient set it lets
 *    anything through, wrapped into RAM (for a walker that never reads the
 *    buffers it is handed).
 *  - bad_driver() keeps its reason in fake_reason.  While fake_armed is set
 *    (FAKE_KILLED sets it), on the main thread, it jumps back to
 *    fake_kill_jmp; any other kill is a test's failure: it prints "FAIL
 *    unexpected-kill" and ends the program.
 *  - lg_say() keeps every line said in fake_said.
 *  - The I/O regions are not registered; io_get()/io_put() are the real
 *    little-endian copies.
 *  - With FAKE_KVM defined, ioctl() on FAKE_VM_FD (vm.vm_fd, which the
 *    harness sets) goes to the harness's fake_kvm_ioctl(); any other
 *    descriptor's is the real one.
 */
#ifndef TESTS_VIRTIO_FAKE_LAUNCHER_H
#define TESTS_VIRTIO_FAKE_LAUNCHER_H
#include "virtio.h"
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef FAKE_WIN_START
#define FAKE_WIN_START 0ULL
#endif
#ifndef FAKE_WIN_END
#define FAKE_WIN_END ((u64)vm.ram_size)
#endif

struct vm vm;
bool lg_verbose;

static jmp_buf fake_kill_jmp;
static volatile int fake_armed;
static char fake_reason[512];
static bool fake_lenient;
static pthread_t fake_main_thread;

__attribute__((constructor)) static void fake_note_main_thread(void)
{
	fake_main_thread = pthread_self();
}

/* FAKE_KILLED(CALL): 1 if CALL killed the Guest, 0 if it returned. */
#define FAKE_KILLED(call) \
	(setjmp(fake_kill_jmp) ? 1 : (fake_armed = 1, (call), fake_armed = 0, 0))

static pthread_mutex_t fake_said_lock = PTHREAD_MUTEX_INITIALIZER;
static char fake_said[4096];

void lg_say(const char *fmt, ...)
{
	va_list ap;
	size_t n;

	pthread_mutex_lock(&fake_said_lock);
	n = strlen(fake_said);
	va_start(ap, fmt);
	vsnprintf(fake_said + n, sizeof(fake_said) - n - 1, fmt, ap);
	va_end(ap);
	strcat(fake_said, "\n");
	pthread_mutex_unlock(&fake_said_lock);
}

void *guest_ptr(u64 addr, u64 len)
{
	const u64 start = FAKE_WIN_START;	/* a variable: no warning when it is 0 */

	if (fake_lenient)
		return vm.ram + addr % vm.ram_size;
	if (addr < start || addr + len < addr || addr + len > FAKE_WIN_END)
		bad_driver("it used [%#llx, +%#llx), outside its window", addr, len);
	return vm.ram + addr;
}

void *ram_ptr(u64 addr, u64 len)
{
	return addr + len >= addr && addr + len <= vm.ram_size ? vm.ram + addr : NULL;
}

void bad_driver(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fake_reason, sizeof(fake_reason), fmt, ap);
	va_end(ap);
	if (!fake_armed || !pthread_equal(pthread_self(), fake_main_thread)) {
		printf("FAIL unexpected-kill: %s\n", fake_reason);
		fflush(stdout);
		_exit(0);
	}
	fake_armed = 0;
	longjmp(fake_kill_jmp, 1);
}

#ifdef FAKE_KVM
#define FAKE_VM_FD 1000
static int fake_kvm_ioctl(unsigned long req, void *arg);

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fd == FAKE_VM_FD)
		return fake_kvm_ioctl(req, arg);
	return syscall(SYS_ioctl, fd, req, arg);
}
#endif

void io_register(struct io_region *r) { (void)r; }
u64 io_get(const u8 *data, u32 size) { u64 v = 0; memcpy(&v, data, size); return v; }
void io_put(u8 *data, u32 size, u64 value) { memcpy(data, &value, size); }

#endif
