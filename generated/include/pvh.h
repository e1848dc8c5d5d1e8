/* Tangled from chapters/31-launcher-pvh.nw by `make tangle`: edit the chapter, not this file. */
/*L:400 The start-of-day information.
 * These are the PVH structures, laid out exactly as Xen's public header
 * `arch-x86/hvm/start_info.h` defines them, under our own `pvh_` names. The
 * Launcher writes them and the Host reads them, so they are ABI: they live once,
 * in a header of their own in `include/`, which both programs include (the Host
 * meets it again at H:250). Version 1 adds the memory map; we always provide one,
 * since without it the Host would have to guess where RAM ends. :*/
/* The PVH boot protocol's start-of-day structures: the Launcher writes, the Host reads. */
#ifndef LGUEST_PVH_H
#define LGUEST_PVH_H

#include "lguest.h"

#define PVH_START_MAGIC 0x336ec578
#define PVH_MEMMAP_RAM 1

struct pvh_start_info {
	u32 magic, version, flags, nr_modules;
	u64 modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	u32 memmap_entries, reserved;
};

struct pvh_module {
	u64 paddr, size, cmdline_paddr, reserved;
};

struct pvh_memmap_entry {
	u64 addr, size;
	u32 type, reserved;
};

#endif
/*:*/
