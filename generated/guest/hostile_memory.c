/* Tangled from chapters/11-guest-memory.nw by `make tangle`: edit the chapter, not this file. */
/*G:790, continued :*/
/* hostile=4..11: the Guest breaks the rules of memory. */
#include "guest.h"

#define HOSTILE_VA 0x8000000000ULL
#define HOST_IMAGE 0x100000ULL

static void touch(u64 va)
{
	volatile u64 *p = (u64 *)va;

	*p = 0x6c67756573742121;
	printk("hostile: wrote 0x%llx at 0x%llx\n", *p, va);
}

/*:*/
/*G:790, continued :*/
void hostile_memory(int n)
{
	u64 end = guest_boot->ram_start + guest_boot->ram_size;

	switch (n) {
	case 4:
		hcall(LHCALL_SET_PTE, HOSTILE_VA, HOST_IMAGE | PTE_P | PTE_W, 0);
		touch(HOSTILE_VA);
		break;
	case 5:
		*pt_entry(kernel_root, HOSTILE_VA, 0, 1) = HOST_IMAGE | PTE_P | PTE_W;
		touch(HOSTILE_VA);
		break;
	case 6:
		hcall(LHCALL_SET_PDE, HOSTILE_VA, end | PTE_P | PTE_W | PTE_PS, 0);
		touch(HOSTILE_VA);
		break;
	case 7:
		hcall(LHCALL_SET_PML4E, 0xffffff8000000000ULL, kernel_root[0], 0);
		break;
	case 8:
		hcall(LHCALL_NEW_PGTABLE, HOST_IMAGE, 0, 0);
		break;
	case 9:
		hcall(LHCALL_SET_PTE, 0x800000000000ULL, guest_pa(kernel_root) | PTE_P, 0);
		break;
	case 10:
		*pt_entry(kernel_root, HOSTILE_VA, 1, 1) = 0x200000 | PTE_P | PTE_W;
		touch(HOSTILE_VA);
		break;
	case 11:
		guest_shared->async_queued = guest_shared->async_done + 1000;
		hcall(LHCALL_FLUSH_ASYNC, 0, 0, 0);
		break;
	/*G:792, continued :*/
	case 42:
	case 43:
		pt_map(kernel_root, HOSTILE_VA, guest_pa(page_alloc()), PTE_W);
		(void)*(volatile u64 *)HOSTILE_VA;
		*pt_entry(kernel_root, HOSTILE_VA + PAGE_SIZE, 0, 1) =
			(n == 42 ? end : guest_boot->ram_start - PAGE_SIZE) | PTE_P | PTE_W;
		touch(HOSTILE_VA + PAGE_SIZE);
		break;
	/*:*/
	}
}
/*:*/
