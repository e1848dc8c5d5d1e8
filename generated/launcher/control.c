/* Tangled from chapters/32-launcher-exits.nw by `make tangle`: edit the chapter, not this file. */
/*L:650, continued :*/
/* The Host's control ports, the Guest's window, and the one door. */
#include "launcher.h"
#include <err.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KILL_REASON_MAX 256
static int exit_status = -1;		/* -1 until the Host writes the exit port */
static char kill_reason[KILL_REASON_MAX + 1];
static u64 window_start, window_size;	/* size 0: not announced yet */

void *ram_ptr(u64 addr, u64 len)
{
	return lg_range_ok(addr, len, vm.ram_size) ? vm.ram + addr : NULL;
}

void *guest_ptr(u64 addr, u64 len)
{
	if (!window_size)
		kill_guest("it used address %#llx before the Host announced its window", addr);
	if (addr < window_start || !lg_range_ok(addr, len, window_start + window_size))
		kill_guest("it used [%#llx, +%#llx), outside its window [%#llx, %#llx)",
			   addr, len, window_start, window_start + window_size);
	return vm.ram + addr;
}

/*L:660 Killing the Guest.
 * There are two ways a Guest dies. The Launcher kills it when it hands a
 * device something impossible; the Host kills it when it breaks a rule of the
 * CPU or of the hypercalls. Both end the same way for the user: one line on
 * standard error, `lguest: guest killed: ` and the reason, and exit status
 * 125, so a test script can tell "the Guest failed its test" from "the Guest
 * was caught misbehaving". Our console output goes out unbuffered (*L:700*),
 * so nothing the Guest printed before is lost. :*/
void kill_guest(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "lguest: guest killed: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(LG_EXIT_KILLED);
}
/*:*/

/*L:670 The exit port.
 * The Host ends the machine by writing a status to port 0x501. The port
 * behaves as QEMU's `isa-debug-exit` device, so the Host needs no idea which
 * VMM it runs under; QEMU turns the status into `(status << 1) | 1`, we pass it
 * through unchanged. If the Host has told us, just before, why it killed the
 * Guest (*L:680*), the status is 125 and we print that reason. :*/
static void exit_access(struct io_region *r, u64 offset, u8 *data, u32 size, bool write)
{
	u64 status = io_get(data, size);

	(void)r, (void)offset;
	if (!write) {
		io_put(data, size, 0);
		return;
	}
	if (status > 255)
		warnx("the Host wrote exit status %llu; only 0..255 reach the shell", status);
	exit_status = status & 0xff;
	lg_say("the Host wrote exit status %d", exit_status);
}

bool control_stopped(void)
{
	return exit_status >= 0;
}
/*:*/
int control_exit_status(void)
{
	if (kill_reason[0])
		kill_guest("%s", kill_reason);
	if (exit_status == LG_EXIT_KILLED)
		kill_guest("(the Host gave no reason)");
	return exit_status;
}

/*L:680 The kill reason.
 * The Host's reason is a string in its own memory; it writes the string's
 * physical address to port 0x504. We copy at most 256 bytes, through
 * `ram_ptr` one byte at a time, so the copy stops at the end of RAM, and we
 * replace anything unprintable, so a corrupted string cannot send escape
 * sequences to the user's terminal. :*/
static void kill_reason_access(struct io_region *r, u64 offset, u8 *data, u32 size, bool write)
{
	u64 addr = io_get(data, size);
	size_t len = 0;
	const u8 *c;

	(void)r, (void)offset;
	if (!write) {
		io_put(data, size, 0);
		return;
	}
	while (len < KILL_REASON_MAX && (c = ram_ptr(addr + len, 1)) && *c)
		kill_reason[len++] = *c >= ' ' && *c < 127 ? *c : '?';
	kill_reason[len] = '\0';
	if (!len)
		snprintf(kill_reason, sizeof(kill_reason), "(no readable reason at %#llx)", addr);
}
/*:*/

/*L:690 The Guest window.
 * The Host decides which RAM the Guest may use and tells us with two 32-bit
 * writes: the first page to port 0x510, the number of pages to 0x514. We
 * believe the second write completes the announcement. A window outside RAM is
 * a Host bug; we stop the machine rather than check Guest addresses against
 * nonsense. :*/
static void window_access(struct io_region *r, u64 offset, u8 *data, u32 size, bool write)
{
	u64 pages = io_get(data, size);

	(void)r;
	if (!write) {
		io_put(data, size, (offset ? window_size : window_start) >> 12);
		return;
	}
	if (offset == 0) {
		window_start = pages << 12;
		return;
	}
	window_size = pages << 12;
	if (!lg_range_ok(window_start, window_size, vm.ram_size))
		errx(LG_EXIT_HOST_PANIC, "the Host announced a Guest window [%#llx, +%#llx) "
		     "outside RAM", window_start, window_size);
	lg_say("Guest window: [%#llx, %#llx), %llu MiB", window_start,
	       window_start + window_size, window_size >> 20);
}
/*:*/

static struct io_region exit_port = {
	IO_PORT, LG_PORT_EXIT, 1, "exit port", exit_access, NULL,
};
static struct io_region kill_reason_port = {
	IO_PORT, LG_PORT_KILL_REASON, 4, "kill reason port", kill_reason_access, NULL,
};
static struct io_region window_ports = {
	IO_PORT, LG_PORT_WINDOW_START, 8, "window ports", window_access, NULL,
};

void control_init(void)
{
	io_register(&exit_port);
	io_register(&kill_reason_port);
	io_register(&window_ports);
}
/*:*/
