/* Tangled from chapters/32-launcher-exits.nw by `make tangle`: edit the chapter, not this file. */
/*L:700, continued :*/
/* The 8250 UART's transmit path: the Host's console on standard output. */
#include "launcher.h"
#include <errno.h>
#include <unistd.h>

enum { UART_THR, UART_IER, UART_IIR, UART_LCR, UART_MCR, UART_LSR, UART_MSR, UART_SCR };
#define UART_LCR_DLAB 0x80
#define UART_LSR_IDLE 0x60
#define UART_IIR_NO_INTERRUPT 0x01

static u8 uart_regs[8];

/*L:710 Sending a byte.
 * Each byte the Host sends costs a VM exit already, so one `write` per byte
 * adds little, and it means nothing sits in a buffer when the machine stops
 * or is killed. If standard output is gone we drop the byte: the Guest's
 * run should not fail because nobody is listening. :*/
static void uart_send(u8 c)
{
	while (write(STDOUT_FILENO, &c, 1) < 0 && errno == EINTR)
		;
}
/*:*/

static void uart_access(struct io_region *r, u64 offset, u8 *data, u32 size, bool write)
{
	bool dlab = uart_regs[UART_LCR] & UART_LCR_DLAB;

	(void)r, (void)size;
	if (write && offset == UART_THR && !dlab)
		uart_send(data[0]);
	else if (write && offset != UART_LSR && offset != UART_IIR)
		uart_regs[offset] = data[0];
	else if (!write && offset == UART_LSR)
		data[0] = UART_LSR_IDLE;
	else if (!write && offset == UART_IIR)
		data[0] = UART_IIR_NO_INTERRUPT;
	else if (!write)
		data[0] = offset == UART_THR && !dlab ? 0 : uart_regs[offset];
}

static struct io_region uart = {
	IO_PORT, LG_PORT_SERIAL, 8, "serial port", uart_access, NULL,
};

void serial_init(void)
{
	io_register(&uart);
}
/*:*/
