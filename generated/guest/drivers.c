/* Tangled from chapters/20-drivers.nw by `make tangle`: edit the chapter, not this file. */
/*D:127, continued :*/
/* The kernel's side of its drivers: every hook, asked of every registered driver. */
#include "guest.h"

extern const struct guest_driver *const __start_guest_drivers[], *const __stop_guest_drivers[];

#define for_each_driver(d) \
	for (const struct guest_driver *const *d = __start_guest_drivers; \
	     d < __stop_guest_drivers; d++)

void drivers_init(void)
{
	for_each_driver(d)
		if ((*d)->init)
			(*d)->init();
}

int drivers_option(const char *word)
{
	for_each_driver(d)
		if ((*d)->option && (*d)->option(word))
			return 1;
	return 0;
}
void drivers_boot_work(void)
{
	for_each_driver(d)
		if ((*d)->boot_work)
			(*d)->boot_work();
}

void drivers_hostile(int n)
{
	for_each_driver(d)
		if ((*d)->hostile)
			(*d)->hostile(n);
}

void drivers_run(void)
{
	for_each_driver(d)
		if ((*d)->run)
			(*d)->run();
}
/*:*/
