/*
 * Host-side unit test of the Launcher's switchboard (io.c), its UART (serial.c),
 * its control ports and one door (control.c), linked with those files alone: no
 * /dev/kvm. Port accesses are fed in as KVM would, through a kvm_run page.
 *   door-test ok             the checks that must pass; prints "ok NAME" lines
 *   door-test KILLCASE       one address that must kill the Guest (exit 125)
 */
#include "launcher.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct vm vm;
bool lg_verbose;
void lg_say(const char *fmt, ...) { (void)fmt; }

static union { struct kvm_run run; u8 page[4096]; } shared;

/* out: what an `outl` to PORT looks like to io_port_exit */
static void out(u16 port, u32 value, u8 size)
{
	shared.run.io.direction = KVM_EXIT_IO_OUT;
	shared.run.io.port = port;
	shared.run.io.size = size;
	shared.run.io.count = 1;
	shared.run.io.data_offset = 512;
	memcpy(shared.page + 512, &value, size);
	io_port_exit(&shared.run);
}

static u32 in(u16 port, u8 size)
{
	u32 value = 0;

	shared.run.io.direction = KVM_EXIT_IO_IN;
	shared.run.io.port = port;
	shared.run.io.size = size;
	shared.run.io.count = 1;
	shared.run.io.data_offset = 512;
	io_port_exit(&shared.run);
	memcpy(&value, shared.page + 512, size);
	return value;
}

#define CHECK(name, cond) printf("%s %s\n", (cond) ? "ok" : "FAIL", name)

int main(int argc, char *argv[])
{
	vm.ram_size = 64 << 20;
	vm.ram = calloc(1, vm.ram_size);
	control_init();
	serial_init();
	if (argc > 1 && strcmp(argv[1], "before-window") == 0)
		guest_ptr(0x1000000, 1);
	out(LG_PORT_WINDOW_START, 0x1000000 >> 12, 4);	/* window: [16 MiB, 48 MiB) */
	out(LG_PORT_WINDOW_PAGES, 0x2000000 >> 12, 4);
	if (argc > 1 && strcmp(argv[1], "below") == 0)
		guest_ptr(0xfff000, 0x2000);
	if (argc > 1 && strcmp(argv[1], "above") == 0)
		guest_ptr(0x2fff000, 0x1001);
	if (argc > 1 && strcmp(argv[1], "wrap") == 0)
		guest_ptr(0x1000000, ~0ULL);
	if (argc > 1 && strcmp(argv[1], "host-kill") == 0) {
		strcpy((char *)vm.ram + 0x5000, "bad\033[31m");
		out(LG_PORT_KILL_REASON, 0x5000, 4);
		out(LG_PORT_EXIT, LG_EXIT_KILLED, 2);
		return control_exit_status();
	}
	if (argc > 1)
		return 1;
	CHECK("door-window-read-back", in(LG_PORT_WINDOW_PAGES, 4) == 0x2000);
	CHECK("door-first-byte", guest_ptr(0x1000000, 1) == vm.ram + 0x1000000);
	CHECK("door-last-byte", guest_ptr(0x2ffffff, 1) == vm.ram + 0x2ffffff);
	CHECK("door-whole-window", guest_ptr(0x1000000, 0x2000000) != NULL);
	CHECK("ram-door-inside", ram_ptr(0x3ffffff, 1) == vm.ram + 0x3ffffff);
	CHECK("ram-door-past-end", ram_ptr(0x4000000, 1) == NULL);
	CHECK("ram-door-wrap", ram_ptr(0x10, ~0ULL - 8) == NULL);
	CHECK("uart-lsr-idle", in(LG_PORT_SERIAL + 5, 1) == 0x60);
	fflush(stdout);
	out(LG_PORT_SERIAL + 3, 0x80, 1);		/* DLAB on: 0x3f8 is the divisor */
	out(LG_PORT_SERIAL, 'X', 1);
	CHECK("uart-divisor-kept", in(LG_PORT_SERIAL, 1) == 'X');
	fflush(stdout);
	out(LG_PORT_SERIAL + 3, 0x03, 1);		/* DLAB off, 8 bits */
	for (const char *c = "uart-transmit\n"; *c; c++)
		out(LG_PORT_SERIAL, *c, 1);
	CHECK("unclaimed-port-reads-ones", in(0x80, 1) == 0xff);
	CHECK("not-stopped-yet", !control_stopped());
	out(LG_PORT_EXIT, 0x0007, 2);
	CHECK("exit-port-outw", control_stopped() && control_exit_status() == 7);
	return 0;
}
