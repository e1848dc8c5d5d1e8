/*
 * Host-side test of the places table on the console (chapter 37, L:792):
 * the Launcher's UART (serial.c) and places.c alone, no /dev/kvm.  A Host
 * panic line, fed byte by byte to the UART as KVM would, must end with the
 * place of its rip; any other line must pass untouched.
 *   panic-test HOST.ELF GUEST.ELF ADDRESS     (a "places" file beside us)
 */
#include "launcher.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct vm vm;
bool lg_verbose;
void lg_say(const char *fmt, ...) { (void)fmt; }

static union { struct kvm_run run; u8 page[4096]; } shared;

static void uart_line(const char *s)
{
	for (; *s; s++) {
		shared.run.io.direction = KVM_EXIT_IO_OUT;
		shared.run.io.port = LG_PORT_SERIAL;
		shared.run.io.size = 1;
		shared.run.io.count = 1;
		shared.run.io.data_offset = 512;
		shared.page[512] = (u8)*s;
		io_port_exit(&shared.run);
	}
}

static struct image load(const char *path)
{
	struct image img = { path, "image", NULL, 0 };
	FILE *f = fopen(path, "rb");
	u8 *data = NULL;
	size_t n = 0;
	int c;

	while (f && (c = getc(f)) != EOF) {
		data = realloc(data, n + 1);
		data[n++] = c;
	}
	if (f)
		fclose(f);
	img.data = data;
	img.size = n;
	return img;
}

int main(int argc, char *argv[])
{
	static struct image host, guest;
	char line[200];

	if (argc != 4)
		return 2;
	host = load(argv[1]);
	guest = load(argv[2]);
	serial_init();
	places_open(&host, &guest);
	uart_line("an ordinary line at rip ");
	uart_line(argv[3]);
	uart_line("\n");
	snprintf(line, sizeof(line), "lguest: host panic: trap 14 in the Host at rip %s, "
		 "error code 0x0\n", argv[3]);
	uart_line(line);
	return 0;
}
