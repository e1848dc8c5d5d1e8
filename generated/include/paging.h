/* Tangled from chapters/11-guest-memory.nw and chapters/41-host-paging.nw
 * by `make tangle`: edit the chapters, not this file. */
/*G:631 The page-table bits, once.
 * An x86-64 page table is four levels of 512 eight-byte entries; an entry holds
 * a physical page address and, in its low and top bits, what the page may be
 * used for. The Guest writes such entries, the Host reads them and writes its
 * own shadow of them, and the Host's first instructions build one in assembly,
 * so the header serves C and assembly alike: `LG_U64` adds C's `ULL` where the
 * assembler would choke on it. A page fault's error code comes with them: its
 * low bits say whether the page was present, whether the access was a write,
 * from ring 3, or an instruction fetch. :*/
/* x86-64 page tables, as the Guest writes them and the Host reads them: C and assembly. */
#ifndef LGUEST_PAGING_H
#define LGUEST_PAGING_H

#ifdef __ASSEMBLER__
#define LG_U64(x) x
#else
#define LG_U64(x) x##ULL
#endif

#define PAGE_SIZE   LG_U64(4096)
#define LARGE_PAGE  LG_U64(0x200000)	/* what one page-directory entry maps with PS */
#define PT_ENTRIES  512			/* entries in a table, at every level */
#define PTE_P       LG_U64(0x001)	/* present */
#define PTE_W       LG_U64(0x002)	/* writable */
#define PTE_U       LG_U64(0x004)	/* reachable from ring 3 */
#define PTE_A       LG_U64(0x020)	/* accessed */
#define PTE_D       LG_U64(0x040)	/* dirty */
#define PTE_PS      LG_U64(0x080)	/* in a directory: a 2 MiB page */
#define PTE_NX      LG_U64(0x8000000000000000)	/* no execute */
#define PTE_ADDR    LG_U64(0x000ffffffffff000)	/* the physical address bits */
/*H:550 The bits we need.
 * Besides present, writable, user and page-size, the Host reads and writes the
 * accessed (`A`) and dirty (`D`) bits of the Guest's entries, and carries the
 * no-execute bit (`NX`, bit 63) over into the shadow; the Host turned on
 * no-execute in `EFER` at its first instruction for exactly this. Two
 * cache-control bits, write-through (`PWT`) and cache-disable (`PCD`), mark the
 * pages of device registers; those two join the shared bits of
 * `include/paging.h` (G:631), with the error code bits of a page fault, which
 * say whether the page was present, whether the access was a write, and
 * whether it was an instruction fetch. :*/
#define PTE_PWT     LG_U64(0x008)	/* write-through */
#define PTE_PCD     LG_U64(0x010)	/* cache disabled */
/*:*/
#define PF_PRESENT  0x01
#define PF_WRITE    0x02
#define PF_USER     0x04
#define PF_FETCH    0x10

#endif
/*:*/
