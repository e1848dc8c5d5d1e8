/* Tangled from chapters/34-launcher-devices.nw by `make tangle`: edit the chapter, not this file. */
/*L:900, continued :*/
/* The device list: options, the Host's command line, start-up. */
#include "virtio.h"
#include <err.h>
#include <stdio.h>
#include <string.h>

static void virtio_add_console_once(void)
{
	static bool added;

	if (!added)
		console_add();
	added = true;
}
/*L:902 The option table.
 * Each option is a name and the set-up function of a device. A name ending in
 * `=` takes a value; the others stand alone. Only the `--name=value` form is
 * accepted, since the Launcher's parser has already decided, by then, that the
 * word is not one of its own options. A value given to a name that takes none
 * (`--rng=5`) is refused as such, rather than as an option we have never
 * heard of, which would send the user looking for a spelling mistake. :*/
static const struct {
	const char *name;
	void (*add)(const char *value);
} device_options[] = {
	{ "--block=", blk_add },
	{ "--rng", rng_add },
	{ "--tunnet=", net_add_tap },
	{ "--net=", net_add_switch },
};
/*:*/
bool virtio_parse_option(const char *arg)
{
	virtio_add_console_once();
	for (size_t i = 0; i < sizeof(device_options) / sizeof(device_options[0]); i++) {
		const char *name = device_options[i].name;
		size_t len = strlen(name);
		bool has_value = name[len - 1] == '=';

		if (!has_value && strncmp(arg, name, len) == 0 && arg[len] == '=')
			errx(LG_EXIT_USAGE, "option '%s' takes no value; try 'lguest --help'", arg);
		if (has_value ? strncmp(arg, name, len) == 0 : strcmp(arg, name) == 0) {
			if (has_value && !arg[len])
				errx(LG_EXIT_USAGE, "option '%s' needs a value; try 'lguest --help'", arg);
			device_options[i].add(has_value ? arg + len : NULL);
			return true;
		}
	}
	return false;
}
/*L:904 Telling the Host where the devices are.
 * The Host learns about our devices as Linux would: one word per device on its
 * command line, `virtio_mmio.device=0x200@0xd0000000:5`, the window's size,
 * its address and its interrupt line. The words come before the Host's own
 * options and the Guest's arguments; each ends with a space. Sixteen devices
 * make about 650 bytes, far inside the command line's page. :*/
char *virtio_cmdline(void)
{
	static char line[VIRTIO_MAX_DEVICES * 48 + 1];
	size_t len = 0;

	virtio_add_console_once();
	for (int i = 0; i < virtio_nr_devices(); i++) {
		struct virtio_dev *d = virtio_device(i);

		len += snprintf(line + len, sizeof(line) - len, "virtio_mmio.device=%#x@%#llx:%u ",
				VIRTIO_MMIO_WINDOW, d->base, d->gsi);
	}
	return line;
}
/*:*/
void virtio_devices_start(void)
{
	virtio_add_console_once();
	virtio_start_all();
}
/*:*/
