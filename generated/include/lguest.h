/* Tangled from chapters/00-preparation.nw, chapters/10-guest.nw,
 * chapters/11-guest-memory.nw, chapters/22-drivers-block.nw,
 * chapters/30-launcher.nw, chapters/42-host-interrupts.nw and
 * chapters/43-host-devices.nw
 * by `make tangle`: edit the chapters, not this file. */
/*P:100 The one header every part shares.
 * The Launcher, the Host and the Guest are three programs built with three sets of
 * compiler flags, yet they must agree on numbers: which hypercall is which, which
 * I/O port ends the machine, where the shared page sits. We keep every such number
 * in one header, `include/lguest.h`, and each later chapter adds its own part to
 * the families of definitions below, next to the code that needs it. :*/
/* The ABI shared by the Launcher, the Host and the Guest. */
#ifndef LGUEST_H
#define LGUEST_H

/*P:110 Fixed-width types.
 * Freestanding code has no `<stdint.h>` of its own, so the header carries the
 * short names the whole book uses: `u8` to `u64`, as the Linux kernel spells them.
 * The Launcher, a hosted program, gets the same names from the same lines, so a
 * structure laid out here has one layout in all three programs. Assembly files
 * include the header for its numbers only, hence the guard. :*/
#ifndef __ASSEMBLER__
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed long long s64;
#endif
/*:*/
/*M:100 One header, three compilers.
 * Every structure in this header must mean the same thing to a hosted 64-bit
 * compiler and to two freestanding ones. A good exercise is a host-side test that
 * compiles the header three times, with each program's flags, and compares
 * `sizeof` and `offsetof` of every structure: the day someone adds a `long` to the
 * shared page, it fails. */
/*P:120 The ports that reach the Launcher.
 * The Host talks to whoever runs the virtual machine, our Launcher or QEMU,
 * through a handful of I/O ports. The serial console and the exit port are ones
 * QEMU has too (the exit port is its `isa-debug-exit` device), so the Host needs
 * no second way of doing either. The other three are ours: with them the Host
 * tells the Launcher why it killed a Guest and where the Guest's window lies, so
 * that the Launcher's devices can check every address a Guest gives them. Another
 * VMM ignores writes to ports it does not know, which is exactly right. One
 * fact decides their numbers: QEMU's exit device, given the two ports the exit
 * status needs (`iosize=2`), also answers at 0x502, and a write there ends the
 * machine with a status made of whatever was written. Our own ports therefore
 * start at 0x504. :*/
#define LG_PORT_SERIAL        0x3f8  /* 8250 UART: the Host's console */
#define LG_PORT_EXIT          0x501  /* write status: the VM ends (isa-debug-exit) */
#define LG_PORT_KILL_REASON   0x504  /* 32-bit write: physical address of a NUL-ended reason */
#define LG_PORT_WINDOW_START  0x510  /* 32-bit write: Guest RAM window start, in pages */
#define LG_PORT_WINDOW_PAGES  0x514  /* 32-bit write: Guest RAM window size, in pages */
/*:*/
/*L:110 The Launcher's exit statuses.
 * A Launcher that runs scripted tests must keep its own failures apart from the
 * Guest's answer. The Guest's status passes through unchanged, and Guests keep
 * to 0..124; above that we borrow the shell's habit of reserving the top of the
 * range. 125 is a Guest killed for breaking a rule (`LG_EXIT_KILLED`); 126 is
 * a Host that failed, by a panic of its own or a crash the Launcher saw
 * (`LG_EXIT_HOST_PANIC`), the one outcome that means a bug in *our* code rather
 * than in the Guest's. The Host ends the machine with the same two numbers, so
 * they live in the shared header, next to the exit port they are written to.
 * Usage and set-up errors give 1, like every other Unix tool, and name the
 * problem and its fix; that one is the Launcher's alone. :*/
#define LG_EXIT_KILLED        125    /* the exit status of a killed Guest */
#define LG_EXIT_HOST_PANIC    126    /* the Host itself failed: a bug in our code */
/*:*/
/*P:130 The hypercall's trap number.
 * lguest's Guests called their Host with `int $0x1f`, and ours do too. It is the
 * one number here that every later chapter leans on, the Guest to make the call,
 * the Host to recognise it, so it opens the family of hypercall numbers. :*/
#define LG_HCALL_VECTOR       0x1f   /* int $0x1f: the Guest calls the Host */
/*:*/
/*G:200 Asking the Host: hypercalls.
 * A Guest at ring 3 that wants something privileged done asks the Host with a
 * *hypercall*: it puts a call number in `%rax` and up to three arguments in
 * `%rdi`, `%rsi` and `%rdx`, and executes `int $0x1f`, the software interrupt
 * lguest always used (`0x1f` is the last vector Intel reserves for itself, so
 * no real exception or device will ever arrive on it). The Host does the work,
 * puts a result in `%rax`, and returns to the instruction after the `int`. Every
 * other register comes back untouched; one of the Guest's own tests checks
 * that. The first four calls are enough for a first boot:
 *
 * - `LHCALL_INIT` gives the Host the Guest-physical address of the Guest's
 *   *shared page* (below). It must come first; nothing else is accepted before.
 * - `LHCALL_CONSOLE_WRITE` prints a Guest-physical buffer (address, length) on
 *   the Host's console: the early console, before there is any driver.
 * - `LHCALL_SHUTDOWN` ends the machine with a status, 0 to 124, which becomes
 *   the exit status of the Launcher (or, shifted, of QEMU).
 * - `LHCALL_SET_TRAP_ENTRY` names the Guest-virtual address where the Guest
 *   wants its exceptions delivered (see G:400).
 *
 * Any other number gets the Guest killed: the Host does not guess. :*/
#define LHCALL_INIT            1  /* rdi: shared page, Guest-physical */
#define LHCALL_CONSOLE_WRITE   2  /* rdi: text, Guest-physical; rsi: length */
#define LHCALL_SHUTDOWN        3  /* rdi: exit status, 0..124 */
#define LHCALL_SET_TRAP_ENTRY  4  /* rdi: exception entry, Guest-virtual */
/*:*/
/*G:610 The calls that manage page tables.
 * Eight hypercalls make up the conversation. They take Guest-*virtual*
 * addresses where they talk about mappings, and a Guest-physical one where they
 * name a table, and they never carry more than one entry:
 *
 * - `LHCALL_NEW_PGTABLE` gives the Host the Guest-physical address of a PML4, a
 *   page of the Guest's window, and makes it the Guest's current address space,
 *   as a `mov` to `%cr3` would.
 * - `LHCALL_SET_PTE`, `LHCALL_SET_PDE`, `LHCALL_SET_PDPTE` and
 *   `LHCALL_SET_PML4E` announce an entry the Guest has just written at one of
 *   the four levels, with the virtual address the entry helps translate. The
 *   four numbers are consecutive, lowest level first, so a level is a number
 *   away from `LHCALL_SET_PTE`.
 * - `LHCALL_FLUSH_ONE` and `LHCALL_FLUSH_ALL` are the Guest's `invlpg` and
 *   full TLB flush.
 * - `LHCALL_FLUSH_ASYNC` does nothing itself: it is the trap that makes the
 *   Host run the calls queued in the shared page (G:620).
 * - `LHCALL_RING_HELD` is not a call but a flag on one: the Guest sets it in
 *   `%rax` whenever its ring holds calls, so that the Switcher's fast path
 *   (S:227), which cannot see the ring, leaves the call to C, which runs the
 *   ring first.
 *
 * The numbers start at 32, leaving the first few dozen to the calls of other
 * chapters. :*/
#define LHCALL_NEW_PGTABLE    32  /* rdi: a PML4, Guest-physical, page-aligned */
#define LHCALL_SET_PTE        33  /* rdi: Guest-virtual address; rsi: the entry */
#define LHCALL_SET_PDE        34  /* the same, one level up */
#define LHCALL_SET_PDPTE      35
#define LHCALL_SET_PML4E      36
#define LHCALL_FLUSH_ONE      37  /* rdi: Guest-virtual address */
#define LHCALL_FLUSH_ALL      38
#define LHCALL_FLUSH_ASYNC    39  /* run the calls queued in the shared page */
#define LHCALL_RING_HELD  0x8000  /* a flag: the ring holds calls (S:227) */
/*:*/
/*G:620 A ring of queued hypercalls.
 * lguest called it *lazy mode*: between two points the Guest does not make its
 * page-table hypercalls, it writes them into a ring in the shared page, and
 * at the end one hypercall hands the whole batch over. We keep two counters,
 * never reduced: how many calls the Guest has queued, and how many the Host
 * has run. Their difference is how many wait; a call's slot is its count modulo
 * the ring's size. The Guest writes the first counter and the Host the second,
 * so neither ever writes what the other writes. The Host also runs the ring at
 * the start of *every* hypercall, so a queued call can never be overtaken by a
 * later direct one. The ring's size and the shape of a queued call come with
 * the hypercall numbers, since the shared page that holds them is declared
 * just after those in the header. :*/
#define LG_ASYNC_RING_SIZE 64
#ifndef __ASSEMBLER__
struct lg_async_call {
	u64 nr, arg1, arg2, arg3;
};
#endif
/*:*/
/*H:750 The interrupt numbers.
 * A Guest has up to 64 interrupts, numbered 0 to 63, one bit each in a 64-bit
 * word. Interrupt 0 is the clock. The rest are for devices, which *Devices:
 * windows and lines* routes here. The Guest sees interrupt `n` arrive as vector `32 + n`, right after
 * the 32 vectors Intel reserves for exceptions, so that one frame layout serves
 * both and the vector says which it was. The Host's own interrupt vectors are
 * the same numbers: the LAPIC timer raises vector 32, and the device whose Guest
 * interrupt is `n` is programmed to raise vector `32 + n`. There is no table to
 * translate through, and none to get wrong. :*/
#define LG_IRQ_VECTOR_BASE     32   /* Guest interrupt n arrives as vector 32 + n */
#define LG_NR_IRQS             64   /* one bit each in irq_pending */
#define LG_IRQ_TIMER           0    /* the clock event */
/*:*/
/*H:755 The hypercalls of interrupts and time.
 * Seven calls. Two register where interrupts go: the handler's entry point and
 * the stack they run on. One asks for pending interrupts after the Guest
 * re-enables (it needs no arguments: delivery happens on the way out of *every*
 * trap, so the call itself only has to be a trap). One arms the clock, one halts.
 * The last two exist to be measured: a hypercall that does nothing, and a switch
 * that sends the Guest's `int3` to a Host handler of two instructions, the floor
 * under every trap. :*/
#define LHCALL_SET_IRQ_ENTRY   20  /* rdi: interrupt entry, Guest-virtual */
#define LHCALL_SET_STACK       21  /* rdi: interrupt stack top; rsi: its size */
#define LHCALL_SEND_INTERRUPTS 22  /* deliver what is pending, if enabled */
#define LHCALL_SET_CLOCKEVENT  23  /* rdi: TSC deadline of interrupt 0; 0: none */
#define LHCALL_HALT            24  /* enable interrupts, sleep until one arrives */
#define LHCALL_NOP             25  /* nothing at all: for measuring */
#define LHCALL_BARE_TRAP       26  /* rdi: 1 sends int3 to a bare iretq, 2+k to probe k, 0 back */
#define LG_NR_PROBES           20  /* handlers that time one kind of ring-0 instruction */
#define LG_PROBE_REPEAT        32  /* each repeats its kind this many times */
#define LG_BARE_UD   (LG_NR_PROBES + 2)  /* int3, #UD and int1 all bare */
/*:*/
/*H:915 Acknowledging a line.
 * A level-triggered line that the Host merely passed on would come straight back:
 * the Host acknowledges the interrupt controller, the line is still up (the
 * Guest's driver has not yet told the device it has seen the interrupt), and
 * the controller raises the interrupt again, forever. So the Host *masks* a device
 * line when its interrupt arrives, and the Guest unmasks it when its driver has
 * acknowledged the device. That takes one new hypercall. :*/
#define LHCALL_IRQ_UNMASK      27  /* rdi: a device's Guest interrupt, now acknowledged */
/*:*/
/*G:210 The shared page.
 * Some conversations with the Host are too frequent or too awkward for a
 * hypercall. The Guest therefore gives the Host one page of its memory that both
 * read and write freely. For now it carries one thing the Guest cannot get any
 * other way: the address of its last page fault. The CPU leaves that in `%cr2`,
 * a register ring 3 may not read, so the Host copies it here before it hands
 * the fault to the Guest. *The Guest's memory* adds the hypercall ring and
 * *Interrupts and the clock* the virtual interrupt flag; each adds to the family
 * of fields. :*/
#ifndef __ASSEMBLER__
struct lg_shared_page {
	u64 cr2;	/* the address of the last page fault the Host reflected */
	/*G:620, continued :*/
	u32 async_queued;	/* calls the Guest has queued, ever (the Guest writes it) */
	u32 async_done;		/* calls the Host has run, ever (the Host writes it) */
	struct lg_async_call async[LG_ASYNC_RING_SIZE];
	/*:*/
	/*H:760 The flag and the pending word.
	 * Two words of the shared page carry the whole protocol. `irq_enabled` is the
	 * Guest's interrupt flag: nonzero means "interrupts may come". `irq_pending` has
	 * bit `n` set while Guest interrupt `n` waits. The Guest writes the first; the
	 * Host sets bits in the second and clears a bit when it delivers that
	 * interrupt. Both live in Guest memory, so the Guest can also scribble on them:
	 * it can clear its own pending bits or invent new ones. Nothing it writes there
	 * hurts anyone but itself, and the Host reads them as numbers, never as
	 * addresses.
	 *
	 * The time-stamp counter's frequency goes in the boot information: the Guest
	 * reads the counter itself and needs only to know how fast it runs. :*/
	u64 irq_enabled;	/* the Guest's interrupt flag: 0 after its cli */
	u64 irq_pending;	/* bit n: Guest interrupt n waits for delivery */
	/*:*/
};
#endif
/*:*/
/*G:220 The boot information.
 * The Host starts the Guest with `%rdi` pointing at a `struct lg_boot_info`, in
 * the page just after the Guest's image. It says where the Guest's RAM window
 * is (a Guest has no BIOS to ask) and carries the Guest's part of the command
 * line, the words after `--`. Later chapters add the clock's frequency and the
 * list of devices. :*/
#define LG_GUEST_CMDLINE_MAX 512
#ifndef __ASSEMBLER__
struct lg_boot_info {
	u64 ram_start;			/* the Guest's RAM window, Guest-physical */
	u64 ram_size;
	char cmdline[LG_GUEST_CMDLINE_MAX];	/* the Guest's arguments, NUL-terminated */
	/*H:760, continued :*/
	u64 tsc_hz;			/* how fast the TSC runs, in cycles per second */
	/*:*/
	/*H:910 The device list in the boot information.
	 * Each device is three numbers: where its register window starts, how long it is,
	 * and which *Guest* interrupt it raises. The line number the Launcher gave is the
	 * Host's business; the Guest sees device `i` (in command-line order) as Guest
	 * interrupt `1 + i`, right after the clock's 0. Sixteen devices are plenty for a
	 * teaching machine, and the list costs the boot information page 256 bytes.
	 *
	 * The structure is declared inside the boot information's own, which C allows;
	 * the tag `struct lg_device` is visible to the whole file all the same. :*/
	u32 nr_devices;			/* how many entries of devices[] are filled */
	u32 reserved;
	#define LG_MAX_DEVICES 16
	struct lg_device {
		u64 addr;		/* the register window, Guest-physical */
		u32 size;		/* its length in bytes */
		u32 irq;		/* the Guest interrupt it raises */
	} devices[LG_MAX_DEVICES];
	/*:*/
};
#endif
/*:*/
/*D:505 What the rest of the Guest sees.
 * A disk, for the shell and the file system, is a number (its place among
 * the disks, in boot order), a size, two flags and a name. Requests are
 * described by their data buffers, as the queue describes them, so a caller
 * with a buffer made of scattered pages need not copy it into one. Most
 * callers have one buffer and use `blk_read` and `blk_write`, which wait for
 * their answer; a caller that wants many requests in flight at once starts
 * them with `blk_start`, each in a `blk_req` of its own, and collects them
 * with `blk_wait` as they finish (*D:528*).
 *
 * Errors are small negative numbers, as the tar reader's are. Two of them the
 * device gives us (`BLK_EIO`, `BLK_EUNSUPP`); the others are the driver's own
 * refusals, made before anything reaches the device. :*/
#define BLK_MAX_DISKS 8		/* disks the Guest's driver keeps; the Launcher offers no more */
/*:*/

#endif
/*:*/
