/* Fuzz target "hostelf": the Host's loader of the Guest's ELF image
 * (host/loader.c, guest_load()), compiled for this machine.  The input is
 * the Guest image, the module our Launcher hands the Host; we put it where
 * the Launcher does, at the top of RAM, page-aligned.  Physical memory is an
 * 8 MiB buffer; the Guest's window is [2 MiB, 8 MiB).
 *
 * kill_guest() is the clean outcome for a bad image.  Findings: anything the
 * sanitizers report, a read or write of physical memory outside the buffer,
 * and a host_panic() (the Host never panics on Guest input: today a segment
 * that overlaps the module panics). */
#include "host.h"
#include "fake_host.h"

#define PHYS_SIZE (8ULL << 20)
#define WIN_START (2ULL << 20)

void *malloc(u64 size);		/* libc's, as lib.h does not declare it */
static u8 *phys;
static struct lguest lg;
static struct pvh_boot boot;
static u64 entry, image_end;

void *fuzz_phys_to_virt(u64 pa)
{
	if (pa > PHYS_SIZE)	/* (one past the end is a pointer, not an access) */
		fuzz_fail("the Host reached physical %#llx, outside the machine's RAM", pa);
	return phys + pa;
}

/* As host/memory.c has them; the Guest's window is all we give it. */
int lg_address_ok(const struct lguest *g, u64 addr, u64 len)
{
	return addr + len >= addr && addr >= g->mem_start && addr + len <= g->mem_end;
}

void *from_guest_phys(struct lguest *g, u64 addr, u64 len, const char *what)
{
	if (!lg_address_ok(g, addr, len))
		kill_guest(g, "%s of %llu bytes at 0x%llx is outside Guest RAM", what, len, addr);
	return fuzz_phys_to_virt(addr);
}

static void load(void *arg)
{
	(void)arg;
	entry = guest_load(&lg, &boot, &image_end);
	guest_boot_info(&lg, &boot, image_end);
}

int LLVMFuzzerTestOneInput(const u8 *data, u64 size)
{
	if (!phys)
		phys = malloc(PHYS_SIZE);
	if (size == 0 || size > PHYS_SIZE - WIN_START - 4096)
		return 0;	/* the Launcher refuses an empty image */
	memset(&lg, 0, sizeof(lg));
	lg.mem_start = WIN_START, lg.mem_end = PHYS_SIZE;
	boot = (struct pvh_boot){ .cmdline = "virtio_mmio.device=0x200@0xd0000000:5 -- poweroff=3 hello", .module_pa = (PHYS_SIZE - size) & ~4095ULL,
				  .module_size = size };
	memcpy(phys + boot.module_pa, data, size);
	if (host_try(load, 0) == 0 && (image_end < WIN_START || image_end > PHYS_SIZE))
		fuzz_fail("the image ends at %#llx, outside the Guest's window", image_end);
	return 0;
}
