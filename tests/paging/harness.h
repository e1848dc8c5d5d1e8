/*
 * The Host's shadow paging on the host, without a machine: the scaffolding
 * shared by shadow_unit.c and address_rule.c (tests/paging/).
 *
 * We include the tangled host/shadow.c, memory.c, devices.c and
 * page_tables.c whole, so
 * that their static functions are in reach, with the Host's direct map
 * moved to 0: a Host pointer and its "physical" address are then the same
 * number, and the Guest's RAM window is an array of ours.  The Host's
 * privileged instructions (a load of %cr3, invlpg) fault at ring 3; a
 * SIGSEGV handler decodes them, notes what they did, and steps over them.
 * kill_guest and host_panic jump back to the test that called them.
 *
 * The Switcher's fast path for a fill (S:257) is assembled from the tangled
 * switcher.S by test-shadow-unit.sh, with %cr2 read from harness_cr2;
 * harness_fast_fill (fastpath_glue.S) runs it on a trap frame of our own.
 */
#define _GNU_SOURCE	/* REG_RIP and friends in <ucontext.h> */
#include "layout.h"
#undef HOST_KBASE
#undef HOST_DIRECT_MAP
#define HOST_KBASE 0
#define HOST_DIRECT_MAP 0
#include "shadow.c"
#include "memory.c"
#include "devices.c"
#include "page_tables.c"

#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>

char *strstr(const char *haystack, const char *needle);

struct lg_fast lg_fast;
u64 host_pml4[PT_ENTRIES] __attribute__((aligned(PAGE_SIZE)));
u64 host_pdpt[PT_ENTRIES] __attribute__((aligned(PAGE_SIZE)));
u64 harness_cr2;
int harness_fast_fill(u64 va, u64 error);	/* 1: the Switcher filled it */

/* The Switcher forgets the last fault it saw, as a change of mapping makes it. */
static void harness_switcher_forget(void)
{
#ifdef LG_FAST_LAST_KEY
	lg_fast.last_key = 0;	/* one word, the address ^ the error code */
#else
	lg_fast.last_va = lg_fast.last_error = 0;
#endif
}

/* ---------------------------------------------------------- verdicts */
#include "../harness.h"

/* ------------------------------------------- kills and panics come back */
static sigjmp_buf escape;
static int escape_armed;
static char said[300];

static void say(const char *fmt, va_list ap)
{
	vsnprintf(said, sizeof(said), fmt, ap);
}

void kill_guest(struct lguest *lg, const char *fmt, ...)
{
	va_list ap;

	(void)lg;
	va_start(ap, fmt);
	say(fmt, ap);
	va_end(ap);
	if (!escape_armed) {
		fail("unexpected-kill", "%s", said);
		__builtin_trap();
	}
	siglongjmp(escape, 1);
}

void host_panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(fmt, ap);
	va_end(ap);
	fail("host-panic", "%s", said);
	__builtin_trap();
}

static char printed[300];

void host_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(printed, sizeof(printed), fmt, ap);
	va_end(ap);
}

/* KILLED(stmt): run stmt; 1 if it killed the Guest (the reason in said). */
#define KILLED(stmt) ({						\
	int killed_ = 0;					\
	said[0] = 0;						\
	escape_armed = 1;					\
	if (sigsetjmp(escape, 1))				\
		killed_ = 1;					\
	else							\
		stmt;						\
	escape_armed = 0;					\
	killed_;						\
})

/* -------------------------------- the privileged instructions, stepped over */
static volatile u64 cr3_now, cr3_loads, invlpgs, invlpg_last;	/* written by on_segv */
static volatile u64 cr3_seen_host;	/* loads of the Host's own table */
static void *volatile guarded;		/* a page we made inaccessible, to catch a touch */
static volatile int guarded_touched;

static const int greg[16] = {
	REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
	REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
};

/* The address a memory operand names, and the instruction's length so far. */
static u64 operand(const u8 *p, int rex, const greg_t *g, int *len)
{
	int mod = p[0] >> 6, rm = p[0] & 7, n = 1;
	u64 a = 0;

	if (rm == 4) {
		int base = p[1] & 7, index = (p[1] >> 3) & 7, scale = p[1] >> 6;

		n++;
		if (index != 4 || (rex & 2))
			a += g[greg[index | (rex & 2 ? 8 : 0)]] << scale;
		if (base == 5 && mod == 0)
			a += (int)(p[n] | p[n + 1] << 8 | p[n + 2] << 16 | (u32)p[n + 3] << 24), n += 4;
		else
			a += g[greg[base | (rex & 1 ? 8 : 0)]];
	} else if (rm == 5 && mod == 0) {
		n += 4;		/* rip-relative: not used for invlpg here */
	} else {
		a = g[greg[rm | (rex & 1 ? 8 : 0)]];
	}
	if (mod == 1)
		a += (signed char)p[n], n += 1;
	else if (mod == 2)
		a += (int)(p[n] | p[n + 1] << 8 | p[n + 2] << 16 | (u32)p[n + 3] << 24), n += 4;
	*len += n;
	return a;
}

static void on_segv(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	greg_t *g = uc->uc_mcontext.gregs;
	const u8 *p = (const u8 *)g[REG_RIP];
	int rex = 0, len = 0;

	if (guarded && (u8 *)si->si_addr >= (u8 *)guarded &&
	    (u8 *)si->si_addr < (u8 *)guarded + PAGE_SIZE) {
		guarded_touched++;
		mprotect(guarded, PAGE_SIZE, PROT_READ | PROT_WRITE);
		guarded = NULL;
		return;
	}
	if ((p[0] & 0xf0) == 0x40)
		rex = p[0] & 0xf, p++, len++;
	if (p[0] == 0x0f && p[1] == 0x22 && ((p[2] >> 3) & 7) == 3 && (p[2] >> 6) == 3) {
		cr3_now = g[greg[(p[2] & 7) | (rex & 1 ? 8 : 0)]];
		cr3_loads++;
		cr3_seen_host += cr3_now == host_image_phys(host_pml4);
		g[REG_RIP] += len + 3;
		return;
	}
	if (p[0] == 0x0f && p[1] == 0x01 && ((p[2] >> 3) & 7) == 7 && (p[2] >> 6) != 3) {
		len += 2;
		invlpg_last = operand(p + 2, rex, g, &len);
		invlpgs++;
		g[REG_RIP] += len;
		return;
	}
	signal(sig, SIG_DFL);	/* anything else is a real crash: let it be one */
}

static void guard(void *page)
{
	guarded = page;
	mprotect(page, PAGE_SIZE, PROT_NONE);
}

static void unguard(void)
{
	if (guarded)
		mprotect(guarded, PAGE_SIZE, PROT_READ | PROT_WRITE);
	guarded = NULL;
}

/* ------------------------------------------------ a Guest and its tables */
/*
 * Nine large pages, the first at a multiple of 4 MiB, so that the last one
 * has bit 21 clear; a device page with bit 12 set.  Those two bits are where
 * a frame's address stops (the PAT bit of a large page, the 4 KiB bit): a
 * check that keeps the one or drops the other moves the frame we test.
 * The devices sit as the Launcher places them (L:, virtio_mmio.c), a window
 * of 0x200 bytes each from 0xd0000000: nine of them fill one page and start
 * the next, DEVICE_PAGE, where the ninth alone raises DEVICE_IRQ.
 */
#define RAM_SIZE (18ULL << 20)
#define DEVICES_BASE 0xd0000000ULL
#define DEVICES 9
#define DEVICE_PAGE 0xd0001000ULL
#define DEVICE_IRQ (5 + DEVICES - 1)

static u8 ram[RAM_SIZE] __attribute__((aligned(2 * LARGE_PAGE)));
static u64 ram_next;		/* the next unused page of the Guest's RAM */
static struct lguest guest;

static void harness_init(void)
{
	struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO | SA_NODEFER };

	sigaction(SIGSEGV, &sa, NULL);
	guest.mem_start = (u64)ram;
	guest.mem_end = (u64)ram + RAM_SIZE;
	guest.nr_devices = DEVICES;
	for (int i = 0; i < DEVICES; i++) {
		guest.devices[i].addr = DEVICES_BASE + 0x200 * i;
		guest.devices[i].size = 0x200;
		guest.devices[i].irq = 5 + i;
	}
	lg_fast.mem_start = guest.mem_start;
	lg_fast.mem_end = guest.mem_end;
	ram_next = RAM_SIZE / 2;	/* the lower half is for pages to map */
}

/* A zeroed page of the Guest's RAM for its tables, by Guest-physical address. */
static u64 gpage(void)
{
	u64 pa = (u64)ram + ram_next;

	if (ram_next + PAGE_SIZE > RAM_SIZE) {
		fail("harness", "out of Guest RAM");
		__builtin_trap();
	}
	ram_next += PAGE_SIZE;
	memset((void *)pa, 0, PAGE_SIZE);
	return pa;
}

/* The Guest's entry at LEVEL for va under ROOT, making tables on the way. */
static u64 *gentry(u64 root, u64 va, int level)
{
	u64 *table = (u64 *)root;

	for (int l = 3; l > level; l--) {
		u64 *e = &table[pt_index(va, l)];

		if (!(*e & PTE_P))
			*e = gpage() | PTE_P | PTE_W | PTE_U;
		table = (u64 *)(*e & PTE_ADDR);
	}
	return &table[pt_index(va, level)];
}

/* A page of the Guest's RAM to map: the Nth of the lower half. */
static u64 gframe(u64 n)
{
	return (u64)ram + n * PAGE_SIZE;
}

/* The shadow's entry for va at LEVEL in the current shadow, or 0. */
static u64 sentry(u64 va, int level)
{
	u64 *table = guest.pgdir;

	for (int l = 3; l > level; l--) {
		u64 e = table[pt_index(va, l)];

		if (!(e & PTE_P))
			return 0;
		if (e & PTE_PS)
			return l == level ? e : 0;
		table = (u64 *)(e & PTE_ADDR);
	}
	return table[pt_index(va, level)];
}
