/* Tangled from chapters/40-host.nw by `make tangle`: edit the chapter, not this file. */
/*H:200 The console.
 * The Host's console is an 8250 UART at port `0x3f8`, the one every PC has and
 * every VMM emulates. We use only its transmit side: wait until the line-status
 * register (base + 5) says the transmit holding register is empty (bit 5), then
 * write the byte. We do not program the baud rate or line settings: a virtual
 * UART has no wire, and both QEMU and our Launcher print whatever reaches the
 * holding register. Each byte costs two exits to the VMM, so the Host prints
 * only what a reader of its console needs. :*/
/* The Host's serial console, and the two ways the Host ends the machine. */
#include "host.h"

#define UART_LSR        5
#define UART_LSR_THRE   0x20

static void serial_putc(char c)
{
	while (!(inb(LG_PORT_SERIAL + UART_LSR) & UART_LSR_THRE))
		;
	outb(c, LG_PORT_SERIAL);
}

void console_write(const char *s, u64 len)
{
	while (len--)
		serial_putc(*s++);
}
/*H:205 Printing.
 * `host_printf` formats into a buffer on the stack with the shared formatter
 * and writes the result. A line longer than the buffer is cut short; the Host
 * has nothing that long to say. :*/
void host_printf(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	console_write(buf, n < (int)sizeof(buf) ? (u64)n : sizeof(buf) - 1);
}
/*:*/
/*H:210 Ending the machine.
 * There is one way out, shared with QEMU: a 16-bit write of the status to port
 * `0x501`, where QEMU's `isa-debug-exit` device and our Launcher both listen.
 * If nobody listens there (a VMM without that device), the write does nothing,
 * so we then stop the CPU for good with interrupts off.
 *
 * When the Host itself is broken (not the Guest: the Guest's faults are
 * handled by killing it), it *panics*: it says why and ends the machine with
 * a status of its own, `LG_EXIT_HOST_PANIC` (L:110), which the ABI reserves next
 * to the Guest-killed status. :*/
void host_exit(u16 status)
{
	outw(status, LG_PORT_EXIT);
	for (;;)
		asm volatile("cli; hlt");
}

void host_panic(const char *fmt, ...)
{
	char buf[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	host_printf("lguest: host panic: %s\n", buf);
	host_exit(LG_EXIT_HOST_PANIC);
}
/*:*/
/*:*/
