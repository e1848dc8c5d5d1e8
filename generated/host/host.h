/* Tangled from chapters/40-host.nw, chapters/41-host-paging.nw,
 * chapters/42-host-interrupts.nw, chapters/43-host-devices.nw and
 * chapters/50-switcher.nw
 * by `make tangle`: edit the chapters, not this file. */
/*H:150 The Host's private header.
 * The Host's C files share one header. It brings in the ABI and the library,
 * says how to talk to ports, how to turn a physical address into a pointer
 * through the direct map, and collects each file's declarations in the family
 * *Host declarations*, in the order the book meets them. :*/
/* The Host's private declarations, shared by its files. */
#ifndef HOST_H
#define HOST_H

#include "lguest.h"
#include "lib.h"
#include "pvh.h"
#include "layout.h"

/*H:155 Ports.
 * The Host's only way to reach the outside world is the x86 I/O port
 * instructions, which KVM turns into exits to the Launcher (or QEMU). We wrap
 * the four sizes we use. :*/
static inline void outb(u8 v, u16 port)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(u16 v, u16 port)
{
	asm volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(u32 v, u16 port)
{
	asm volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline u8 inb(u16 port)
{
	u8 v;

	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
/*:*/
/*H:160 Physical addresses.
 * There are two kinds of Host pointer: to things in the Host image, which are
 * linked at `HOST_KBASE` and so sit `HOST_KBASE` above their physical address,
 * and to arbitrary physical memory, reached through the direct map. We convert
 * only through these helpers, so that a reader can find every place an address
 * changes kind. The direct map ends at 4 GiB; `phys_to_virt` trusts its caller
 * to have checked that. :*/
static inline void *phys_to_virt(u64 pa)
{
	return (void *)(HOST_DIRECT_MAP + pa);
}

static inline u64 host_image_phys(const void *p)
{
	return (u64)p - HOST_KBASE;
}
/*:*/
/*H:200, continued :*/
void console_write(const char *s, u64 len);
void host_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void host_exit(u16 status) __attribute__((noreturn));
void host_panic(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));
/*:*/
/*H:215, continued :*/
void segments_init(void);
void segments_set_trap_stack(u64 top);
/*:*/
/*H:250, continued :*/
struct pvh_boot {
	const char *cmdline;
	const struct pvh_memmap_entry *memmap;
	u32 memmap_entries;
	u64 module_pa, module_size;
};

void pvh_read(u32 start_info_pa, struct pvh_boot *boot);
const struct pvh_memmap_entry *pvh_ram_at(const struct pvh_boot *boot, u64 pa);
void pvh_guest_args(const char *cmdline, char *out, u64 size);
/*:*/
/*H:300 The Guest.
 * The Host runs exactly one Guest, and everything it knows about it is in one
 * structure. We keep lguest's name for it. The Guest's registers are not in
 * it: they live where the Switcher saves them, on the trap stack, and
 * `struct lguest` only points there. Later chapters add their fields to the
 * family *struct lguest fields*. :*/
struct lguest {
	struct lg_regs *regs;
	u64 mem_start, mem_end;
	u64 *pgdir;
	struct lg_shared_page *shared;
	u64 trap_entry;
	u64 cr2;
	u64 hcall_rip, hcall_pa;
	/*H:555 What the Host knows of the Guest's tables.
	 * Three fields join `struct lguest`: the Guest-physical address of the root the
	 * Guest runs on now (zero while it still runs on the first-boot table), the
	 * shadow of that root, and how many queued hypercalls the Host has run. That
	 * last count is the Host's own, kept here and only *copied* to the shared page:
	 * the Guest can scribble on the shared page, but not on this. :*/
	u64 gpgdir;		/* the Guest's current root, Guest-physical; 0 before it has one */
	struct shadow *shadow;	/* the shadow of that root */
	u32 async_done;		/* queued hypercalls run so far */
	u64 fill_va, fill_error;	/* the last fault we filled (NO_FILL: none), its error code */
	/*:*/
	/*H:765 What the Host remembers.
	 * For each Guest: where its interrupts go, the stack they run on, the TSC
	 * deadline of its clock event (0 for none), which device interrupts have been
	 * routed to it and from which I/O APIC line each comes, which of those lines
	 * are masked now and which devices the Guest has ever reached (these three let
	 * a halt tell whether anything could ever wake it, H:897), and since when an
	 * interrupt has been waiting for a Guest that keeps its interrupts disabled (0
	 * when none is). :*/
	u64 irq_entry;
	u64 stack_top, stack_size;
	u64 clock_deadline;
	u64 irq_sources;
	u8 irq_gsi[LG_NR_IRQS];	/* the I/O APIC line of each routed interrupt */
	u64 irq_masked;		/* bit n: interrupt n's line is masked, awaiting its unmask */
	u64 irq_reached;	/* bit n: the Guest has mapped the window of interrupt n's device */
	u64 lockup_since;
	/*:*/
	/*H:920 What the Host remembers of its devices.
	 * The Host keeps its own copy of the list it gave the Guest, because the Guest
	 * can write over the boot information as it likes, and every later decision
	 * (may this page be mapped? may this line be unmasked?) must rest on what the
	 * Host decided, not on what the Guest's memory says now. :*/
	u32 nr_devices;
	struct lg_device devices[LG_MAX_DEVICES];	/* the Host's copy of the list */
	/*:*/
};
/*:*/
/*H:305, continued :*/
void window_choose(struct lguest *lg, const struct pvh_boot *boot);
int lg_address_ok(const struct lguest *lg, u64 addr, u64 len);
void *from_guest_phys(struct lguest *lg, u64 addr, u64 len, const char *what);
/*:*/
/*H:350, continued :*/
void guest_pagetable_init(struct lguest *lg);
int guest_virt_to_phys(struct lguest *lg, u64 va, int write, u64 *pa);
int guest_read(struct lguest *lg, u64 va, void *buf, u64 len);
int guest_write(struct lguest *lg, u64 va, const void *buf, u64 len);
/*:*/
/*H:400, continued :*/
u64 guest_load(struct lguest *lg, const struct pvh_boot *boot, u64 *image_end);
u64 guest_boot_info(struct lguest *lg, const struct pvh_boot *boot, u64 image_end);
/*:*/
/*H:450, continued :*/
void run_guest(struct lguest *lg) __attribute__((noreturn));
void lg_switch_to_guest(struct lg_regs *regs) __attribute__((noreturn));
void lg_guest_trapped(void);
void lg_handle_trap(struct lguest *lg);
void guest_regs_init(struct lguest *lg, u64 entry, u64 boot_info);
void kill_guest(struct lguest *lg, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));
/*:*/
/*H:455 The saved registers.
 * This is the layout the Switcher writes and reads, lowest address first. The
 * last five fields are the frame the CPU itself pushes when a trap arrives from
 * ring 3 (and pops with `iretq`); above them the Switcher's stub pushes the
 * error code (or a zero, for vectors that have none) and the vector number;
 * then the fifteen general registers. Its end must be 16-byte aligned, because
 * the CPU aligns the stack to 16 before pushing its frame.
 *
 * The general registers come in two groups, and the order says which. The
 * nine above are those a C function may change; the six at the bottom are
 * those the C calling convention makes every function give back as it found
 * them. The Host's C code never reads or writes the six, so on a trap the
 * Switcher leaves them in the CPU, and the C it calls keeps them safe for it
 * (S:210). Their slots are filled only for the first entry (S:100). :*/
struct lg_regs {
	u64 r15, r14, r13, r12, rbp, rbx;	/* C preserves these: S:210 */
	u64 r11, r10, r9, r8, rdi, rsi, rdx, rcx, rax;
	u64 vector, error_code;
	u64 rip, cs, rflags, rsp, ss;
};
/*:*/
/*H:525, continued :*/
void hcall_trap(struct lguest *lg, struct lg_regs *r);
void hcall_dispatch(struct lguest *lg, struct lg_regs *r);
void host_trap_panic(const u64 *frame) __attribute__((noreturn));
/*:*/
/*H:547, continued :*/
void host_main(u32 start_info_pa);	/* called from boot.S */
/*:*/
/*H:585, continued :*/
struct shadow;
void shadow_new_root(struct lguest *lg, u64 gpgdir);
void shadow_set_entry(struct lguest *lg, u64 va, u64 entry, int level);
void shadow_flush_one(struct lguest *lg, u64 va);
void shadow_flush_all(struct lguest *lg);
int shadow_page_fault(struct lguest *lg, u64 va, u64 *error_code);
int shadow_guest_walk(struct lguest *lg, u64 va, int write, u64 *pa);
void shadow_audit(const struct lguest *lg);
/*:*/
/*H:607 The Host's own translations, remembered.
 * The Host translates the same few pages over and over: the page of the
 * Guest's interrupt stack for every interrupt it delivers, the pages of its
 * hypercall instructions, which the Switcher's one-entry memory (S:227) cannot
 * hold when two calls alternate, as a clock event and a halt do. A full walk
 * is some 250 ring-0 instructions here (S:307), so four translations are
 * kept, each a page, its frame, and whether the Guest's tables let it be
 * written. A page has one place among the four, chosen by its lowest two bits
 * of page number, so that looking costs one comparison: searching all four
 * in a loop cost fifty instructions a hit, a fifth of the walk it saved. The
 * walk itself is a function of its own, as the page fault's long way is
 * (H:620), so that a hit does not pay for the registers a walk needs. The rule for forgetting is the hypercall instruction's (H:505):
 * every announced change to any entry, every flush and every new root forgets
 * them all (`walks_forget`, called beside `hcall_forget`). What a remembered
 * frame was, a checked page of the window, it still is, so a Guest that
 * changes its tables without a word can only mislead the Host into writing
 * its own memory, as the CPU's TLB would. :*/
#define RECENT_WALKS 4

struct host_walk {
	u64 page;	/* va / PAGE_SIZE + 1; 0: empty */
	u64 frame;
	int writable;
};
extern struct host_walk host_walks[RECENT_WALKS];
/*:*/
/*H:607, continued :*/
static inline struct host_walk *host_walk_of(u64 va)
{
	return &host_walks[va / PAGE_SIZE % RECENT_WALKS];
}

static inline int host_walk_seen(u64 va, int write, u64 *pa)
{
	const struct host_walk *seen = host_walk_of(va);

	if (seen->page == va / PAGE_SIZE + 1 && (seen->writable || !write)) {
		*pa = seen->frame | va % PAGE_SIZE;
		return 1;
	}
	return 0;
}
/*:*/
/*H:607, continued :*/
void *guest_virt_page_long(struct lguest *lg, u64 va, int write);

static inline void *guest_virt_page_seen(struct lguest *lg, u64 va, int write)
{
	u64 pa;

	if (host_walk_seen(va, write, &pa) && lg->gpgdir)
		return phys_to_virt(pa);
	return NULL;
}

static inline void *guest_virt_page(struct lguest *lg, u64 va, int write)
{
	void *p = guest_virt_page_seen(lg, va, write);

	return p ? p : guest_virt_page_long(lg, va, write);
}
/*:*/
/*H:620 A page fault.
 * Every page fault the Guest takes after it has tables of its own comes here
 * first, with `%cr2` already read. A fault in the Host's slot, or at an address
 * no Guest table can name, is the Guest's business as it stands. Otherwise we
 * walk the Guest's tables. An entry that breaks a rule kills the Guest now. An
 * access the Guest's tables do not allow is the Guest's own fault, and goes
 * back to it (H:515) with the error code corrected to what the *Guest's* tables
 * say: the present bit set if they had the page but forbade the access, clear
 * if they did not have it; the shadow's state is our secret. An access they do
 * allow is filled, and the Guest retries its instruction as if nothing had
 * happened. The CPU dropped its cached translation for the address when it
 * faulted, so there is nothing to flush.
 *
 * One more case we learned the hard way. If the same access faults again at
 * once, after we filled it, and nothing has changed in between, our fill did
 * not help, and filling again would loop forever with the Guest stuck on one
 * instruction. On this book's nested KVM that is exactly what happens to any
 * ring-3 access to the upper half of the address space (`0xffff800000000000`
 * and above): the machine under us never lets ring 3 reach it, whatever our
 * shadow says. So we remember the last fill, and a repeat kills the Guest with
 * a reason that says so, instead of hanging it. Any change to a shadow forgets
 * the remembered fill, since a fault after a change is a new fault. Forgotten,
 * the address is `NO_FILL`, all ones, which lies in the Host's slot, where
 * nothing is ever filled. It was zero once, but a Guest may map page 0, and
 * its first touch of address 0 after a switch of roots, with the same error
 * code as the fill before the switch, was taken for a repeat and killed
 * (`tests/paging/shadow_unit.c` caught it). :*/
#define NO_FILL (~0ULL)	/* lg->fill_va when no fill is remembered */
/*:*/
/*H:627 Filling beside the last fill.
 * Counted (S:307), one fill was 507 ring-0 instructions on this book's
 * machine, and more than half of them walked the Guest's four levels and the
 * shadow's three, checking each entry on the way, for a page usually in the
 * same two megabytes as the page filled just before: the same Guest table at
 * the bottom, the same shadow table, the same permissions from above. So we
 * remember them. After a fill of a 4 KiB page, `lg_fast.fill` holds the region's
 * number, the Host's pointers to the Guest's lowest table and the shadow's,
 * and what the Guest's upper levels allow. The next fault in that region
 * reads one entry, checks it, and writes one. The region is kept as the
 * address shifted right by 21, which no canonical address's region can make
 * `NO_REGION`, all ones; the first version kept it plus one, so that zero
 * meant none, and paid an instruction for the addition on every fault the
 * Switcher saw (S:267).
 *
 * This is the CPU's own trick (its paging-structure caches remember upper
 * levels the same way), and it has the CPU's rule: an upper level the Guest
 * changes without telling us is not seen until it does tell us. What it tells
 * us, we act on: an announced entry above the lowest level (H:640), a new
 * root, and any shadow given back forget it (`recent_forget`), so the
 * pointers never outlive the tables they point at. A Guest that changes its
 * tables silently only misleads itself: the Guest table we read from was
 * checked to lie in its window when we remembered it, and is Guest memory
 * however the Guest uses it now, and the entry we read from it is checked as
 * every leaf is, its frame inside the window. :*/
#define NO_REGION (~0ULL)	/* lg_fast.fill.region when nothing is remembered */
/*:*/
/*H:670, continued :*/
void async_run_queue(struct lguest *lg, const struct lg_regs *r);
/*:*/
/*H:770 Privileged instructions the Host needs.
 * The LAPIC, the TSC deadline and KVM's clock are all reached through
 * model-specific registers; the TSC through `rdtsc`; what the CPU offers through
 * `cpuid`. We wrap each once. Every one of these is emulated on this book's
 * machine at about half a microsecond, which is cheap next to what they do for
 * us. :*/
static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (u64)hi << 32 | lo;
}

static inline void wrmsr(u32 msr, u64 v)
{
	asm volatile("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}

static inline u64 rdtsc(void)
{
	u32 lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (u64)hi << 32 | lo;
}

static inline void cpuid(u32 leaf, u32 *a, u32 *b, u32 *c, u32 *d)
{
	asm volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}
/*:*/
/*H:775, continued :*/
int apic_init(u64 tsc_hz, int force_count_mode);
void apic_eoi(void);
void apic_timer_arm(u64 deadline);
void irq_route(struct lguest *lg, u32 gsi, u32 irq);
void irq_line_mask(struct lguest *lg, u32 irq, int masked);
/*:*/
/*H:805, continued :*/
extern u64 host_tsc_hz;
void clock_init(void);
void clock_program(struct lguest *lg);
void clock_set_event(struct lguest *lg, u64 deadline);
void clock_tick(struct lguest *lg);
/*:*/
/*H:845, continued :*/
void idt_set_gate(int v, const void *handler, int user);
/*:*/
/*H:850, continued :*/
void interrupts_init(struct lguest *lg, const struct pvh_boot *boot, u64 boot_info);
void irq_deliver_pending(struct lguest *lg);
void irq_host_interrupt(struct lguest *lg, u64 vector);
u64 irq_lockup_limit(void);
/*:*/
/*H:860, continued :*/
void irq_set_entry(struct lguest *lg, u64 entry);
void irq_set_stack(struct lguest *lg, u64 top, u64 size);
void irq_halt(struct lguest *lg);
void irq_bare_trap(struct lguest *lg, u64 on);
/*:*/
/*H:880 When to deliver.
 * `irq_deliver` runs every time the Host is about to return to the Guest,
 * after every trap of any kind, so it must be cheap when there is nothing to
 * do. We learned how cheap the hard way: as one C function, with the delivery
 * inlined into it, the compiler saved five registers before the first test,
 * and the empty case cost 16 microseconds a trap on the book's machine, a tenth of a null
 * hypercall. So the test that almost always fails (nothing pending, no lockup
 * being watched) is an inline function in the Host's header, two loads and a
 * branch, and only when it passes do we call `irq_deliver_pending`. `irq_deliver_pending` is only ever called by that test, so it takes the
 * shared page as there, without asking again. With
 * something pending, and a Guest that has both registered where interrupts go
 * and enabled them, we deliver the lowest numbered interrupt; the rest wait for the next return, which comes at the
 * latest when the handler's `sti` asks for them. With interrupts disabled, the
 * interrupt waits, and the lockup watch (H:885) keeps an eye on the wait.
 *
 * This is also why `LHCALL_SEND_INTERRUPTS` does nothing at all in the
 * dispatcher: the Guest only needs to *trap*, and the delivery happens here on
 * the way out, as for every trap. Whatever will still wait when the Guest
 * runs again, an interrupt left pending (a second one, or one the Guest
 * cannot take yet) or a lockup watched, also turns off the Switcher's fast
 * paths until the next return (`hcall_keys_off`, S:237). :*/
static inline void irq_deliver(struct lguest *lg)
{
	if (lg->shared && (lg->shared->irq_pending | lg->lockup_since))
		irq_deliver_pending(lg);
}
/*:*/
/*H:890, continued :*/
void irq_at_ring0(u64 vector);	/* called from irq_entry.S */
/*:*/
/*H:905, continued :*/
void host_image_seal(void);
void host_image_report(void);
/*:*/
/*H:925, continued :*/
int device_page_ok(const struct lguest *lg, u64 page);
void devices_init(struct lguest *lg, const struct pvh_boot *boot, u64 boot_info);
void devices_irq_unmask(struct lguest *lg, u64 irq);
void devices_reached(struct lguest *lg, u64 page);
/*:*/
/*S:237, continued :*/
void clock_fast_init(struct lguest *lg, int deadline_mode);
/*:*/
/*S:247 What the fast path trusts.
 * One structure, written only by the Host's C code, read by the Switcher at
 * the offsets below; the compiler checks that the two agree. Beside it, the
 * key's definition, and the small functions that set keys: C learns the
 * null hypercall's key when it answers one, the clock event's when it arms
 * the clock, and turns both off when something will still wait on the
 * Guest's return (H:880). :*/
struct recent_fill {
	/*H:627, continued :*/
	u64 region;		/* va >> 21 of the last 4 KiB fill; NO_REGION: none */
	u64 *gpt, *spt;		/* the Guest's lowest table there, and the shadow's */
	u64 up_w;		/* PTE_W if every upper level allows writing, else 0 */
	u64 up_nx;		/* PTE_NX if an upper level forbids executing, else 0 */
	/*:*/
};

struct lg_fast {
	u64 rip;		/* the hypercall instruction last recognised, or ~0 */
	const u8 *insn;		/* the Host's pointer to its two bytes */
	u64 nop_key;		/* nop_learned if nothing waits, or ~0 */
	u64 *clock;		/* lg->clock_deadline in TSC-deadline mode, else NULL */
	u64 clock_key;		/* clock_learned if nothing waits, or ~0 */
	u64 rip2;		/* the one recognised before rip, or ~0 */
	const u8 *insn2;
	u64 mem_start, mem_end;	/* the Guest's RAM window */
	u64 last_key;		/* the Switcher's last fault, address ^ error code (S:267) */
	struct recent_fill fill;	/* the tables of the Host's last fill (H:627) */
	u64 clock_ahead;	/* the furthest a clock event may be, in TSC ticks (H:825) */
	u64 nop_learned;	/* the last null hypercall's key, or ~0 */
	u64 clock_learned;	/* the last clock event's key, or ~0 */
};
extern struct lg_fast lg_fast;
void lg_hcall_entry(void);
void lg_pf_entry(void);

static inline void hcall_forget(struct lguest *lg)
{
	lg->hcall_pa = 0;
	lg_fast.rip = lg_fast.rip2 = ~0ULL;
	lg_fast.nop_learned = lg_fast.clock_learned = ~0ULL;
}

#define HCALL_KEY(site, nr) ((site) ^ (u64)(nr) << 48)

static inline void hcall_keys_off(void)
{
	lg_fast.nop_key = lg_fast.clock_key = ~0ULL;
}

static inline void nop_learn(const struct lg_regs *r)
{
	lg_fast.nop_learned = HCALL_KEY(r->rip - 2, LHCALL_NOP);
}

static inline void clock_learn(const struct lg_regs *r)
{
	u64 key = HCALL_KEY(r->rip - 2, LHCALL_SET_CLOCKEVENT);

	if (lg_fast.clock)
		lg_fast.clock_learned = key;
}
/*:*/

#endif
/*:*/
