/* Tangled from chapters/30-launcher.nw, chapters/31-launcher-pvh.nw,
 * chapters/32-launcher-exits.nw, chapters/36-launcher-sandbox.nw,
 * chapters/37-launcher-debug.nw and chapters/50-switcher.nw
 * by `make tangle`: edit the chapters, not this file. */
/*L:100 One header for the Launcher's files.
 * The Launcher is an ordinary Linux program in a handful of files, one concept
 * each: `main.c` reads the options, `kvm.c` talks to KVM, `image.c` reads and
 * unzips images, `pvh.c` loads them, `io.c` routes the machine's port and
 * memory accesses to whoever registered for them, `control.c` holds the Host's
 * control ports and the one door for Guest addresses, and `serial.c` is the
 * console. They share one private header. Each file's section adds its own
 * declarations to the family `<<Launcher declarations>>`, so the header reads
 * in the same order as the book. :*/
/* The Launcher's private declarations, shared by its files. */
#ifndef LAUNCHER_H
#define LAUNCHER_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/kvm.h>
#include "lguest.h"

/*L:110, continued :*/
#define LG_EXIT_USAGE 1

/*:*/
/*L:140 How much memory.
 * The whole machine's RAM, Host and Guest together, is one size in MiB. We
 * insist on a plain decimal number: `256M` or `0x100` are refused with a
 * message, not guessed at. Below 32 MiB the Host, its page tables and a Guest
 * do not fit; the upper bound keeps all RAM below the 3 GiB line, under the
 * addresses where x86 machines keep their interrupt controllers and where KVM
 * wants its private pages (*L:230*), so one memory slot covers it all. :*/
#define LG_MEMORY_MIN_MB 32
#define LG_MEMORY_MAX_MB 3072
#define LG_MEMORY_DEFAULT_MB 256

/*:*/
/*L:170 Telling the user what happens.
 * With `--verbose` the Launcher narrates: which image went where, the Guest
 * window, how long each stage took. One helper prints such a line, prefixed by
 * the program's name and the milliseconds since start, so a slow stage shows up
 * at once. :*/
extern bool lg_verbose;
void lg_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
double lg_elapsed_ms(void);

/*:*/
/*L:200 A machine from KVM: the API in brief.
 * Before we use it, a word on how KVM is driven, because every line of
 * `kvm.c` follows from it. KVM is a set of `ioctl`s on three kinds of file
 * descriptor:
 *
 * - the **system** descriptor, from `open("/dev/kvm")`: it answers questions
 *   about KVM itself (`KVM_GET_API_VERSION`, `KVM_CHECK_EXTENSION`,
 *   `KVM_GET_SUPPORTED_CPUID`) and creates virtual machines (`KVM_CREATE_VM`);
 * - a **VM** descriptor per machine: it owns the machine's memory
 *   (`KVM_SET_USER_MEMORY_REGION` maps a range of our own address space as
 *   guest-physical RAM), its interrupt controllers (`KVM_CREATE_IRQCHIP`) and
 *   its virtual CPUs (`KVM_CREATE_VCPU`);
 * - a **vCPU** descriptor per virtual CPU: its registers (`KVM_GET_REGS`,
 *   `KVM_SET_SREGS`, ...), its CPUID (`KVM_SET_CPUID2`), and `KVM_RUN`, which
 *   runs the CPU until it does something KVM will not finish on its own.
 *
 * When `KVM_RUN` returns, *why* it returned is written in a page we share with
 * the kernel: `struct kvm_run`, which we `mmap` from the vCPU descriptor. Its
 * `exit_reason` says what happened (`KVM_EXIT_IO`: the CPU executed `in` or
 * `out`; `KVM_EXIT_MMIO`: it touched an address with no RAM behind it;
 * `KVM_EXIT_SHUTDOWN`: it triple-faulted; and so on) and a union holds the
 * details. For an `in`, we write the answer into that page and simply call
 * `KVM_RUN` again: KVM completes the instruction with our data. That loop,
 * run, look at the exit, answer, run again, is the whole of a user-space VMM.
 *
 * Everything about the machine lives in one structure, and there is one
 * machine per Launcher. :*/
struct vm {
	int kvm_fd, vm_fd, vcpu_fd;
	struct kvm_run *run;	/* shared with KVM: why KVM_RUN returned */
	u8 *ram;		/* guest-physical 0 is ram[0] */
	u64 ram_size;
};
extern struct vm vm;

void kvm_create_vm(u64 ram_size);
void kvm_create_vcpu(u32 entry, u32 start_info);
int kvm_run_vcpu(void);

/*:*/
/*L:230 Two private pages for Intel.
 * Here x86 shows its age. Intel's VT-x cannot run a CPU in real mode, or in
 * protected mode without paging, the way the guest expects, so KVM fakes them:
 * it needs a task-state segment (three pages) and an identity-mapped page
 * table (one page) somewhere in guest-physical memory, where the guest will
 * not tread. We put them just below 4 GiB, far above our largest RAM. On AMD
 * the calls are harmless; on KVMs that lack the capability (this machine's
 * nested `kvm_pvm` reports both, we check anyway) we skip them. Both must be
 * set before the first vCPU exists. :*/
#define LG_KVM_IDENTITY_MAP 0xfffbc000ULL	/* 1 page */
#define LG_KVM_TSS 0xfffbd000ULL		/* 3 pages */

/*:*/
/*L:300 An image in memory.
 * Whatever its origin, an image becomes bytes in our memory, with a name to
 * use in messages and a word for what it is, "Host image" or "Guest image", so
 * that every complaint names both. The Guest image may be gzip'd (kernels
 * usually are), and we inflate it here, so the Host always receives a plain ELF
 * module and never needs a decompressor of its own.
 *
 * Both images are input from the user, and we treat them as we treat anything
 * from outside: a file may be the wrong one, cut short, enormous, or made to
 * hurt. Every size and offset in it is checked before we believe it, and every
 * fault we can see ends in exit status 1 with a message that names the image
 * and what is wrong with it, never in a crash, a hang or a Host that dies later
 * for a reason nobody can connect to the file. (What breaks only the Host's own
 * rules for its Guest, the Host reports itself, *L:475*.) `limit`, the most we
 * will read, is the machine's RAM (*L:305*). :*/
struct image {
	const char *name;	/* the file name, for messages */
	const char *what;	/* "Host image" or "Guest image" */
	const u8 *data;
	size_t size;
};
enum lg_image_kind { LG_HOST_IMAGE, LG_GUEST_IMAGE };

void image_from_file(struct image *img, const char *path, enum lg_image_kind kind,
		     u64 limit);
void image_builtin(struct image *img, enum lg_image_kind kind);

/*:*/
/*L:410, continued :*/
#define LG_CMDLINE_MAX 8191
char *pvh_host_cmdline(const char *devices, int guest_argc, char **guest_argv);
u32 pvh_load_host(const struct image *host);
u64 pvh_load_module(const struct image *guest);
u32 pvh_write_start_info(const char *cmdline, u64 module, u64 module_size);

/*:*/
/*L:420 One range check.
 * Every offset into an image and every address in RAM is checked the same way:
 * the range `[start, start + len)` must not wrap around and must end within the
 * limit. Writing the test once, with the overflow case first, means we cannot
 * forget half of it somewhere; the one door for Guest addresses (*L:650*) uses
 * it too, so it lives in the header. :*/
static inline bool lg_range_ok(u64 start, u64 len, u64 limit)
{
	return start + len >= start && start + len <= limit;
}

/*:*/
/*L:600 The I/O map.
 * A device claims a range of ports or of physical addresses by filling in an
 * `io_region` and registering it. An access inside the range calls the
 * region's `access` function with the offset from the start of the range, the
 * access size (1, 2, 4 or 8 bytes) and a buffer: for a write, the buffer holds
 * the value written; for a read, the function fills it. The value in the buffer
 * is little-endian, as it is in KVM's shared page, and two helpers convert. :*/
enum io_space { IO_PORT, IO_MMIO };

struct io_region {
	enum io_space space;
	u64 base, len;
	const char *name;
	void (*access)(struct io_region *r, u64 offset, u8 *data, u32 size, bool write);
	void *opaque;	/* the device's own state */
};

void io_register(struct io_region *r);
void io_port_exit(struct kvm_run *run);
void io_mmio_exit(struct kvm_run *run);
u64 io_get(const u8 *data, u32 size);
void io_put(u8 *data, u32 size, u64 value);

/*:*/
/*L:650 The one door for Guest addresses.
 * Now the threat model, which every later chapter leans on. The Guest is
 * hostile: it may hand a device any number as an address or a length, hoping
 * that `vm.ram + addr` lands in the Launcher's own memory (the stack, the heap,
 * KVM's shared page) where a write would be ours to regret. The Host is our own
 * code and we trust it, but its addresses are checked too, because a bug there
 * should give a message, not a corrupted Launcher.
 *
 * So no code turns a number from the machine into a pointer except through one
 * of two doors. `ram_ptr` is for the Host: it returns NULL for a range outside
 * RAM and lets the caller decide. `guest_ptr` is for the Guest: the range must
 * lie inside the Guest's window, the RAM the Host gave it, and if it does not
 * the Guest is killed on the spot, with the reason. Both check for overflow
 * first (`addr + len` wrapping past zero), the oldest trick against bounds
 * checks. :*/
void *ram_ptr(u64 addr, u64 len);
void *guest_ptr(u64 addr, u64 len);
void bad_driver(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void control_init(void);
bool control_stopped(void);
int control_exit_status(void);

/*:*/
/*L:700 The serial console.
 * The Host's console is the PC's oldest: an 8250 UART at port 0x3f8, the
 * device every x86 kernel knows how to reach before it knows anything else.
 * We emulate only what a transmitter needs. Writing a byte to register 0, the
 * transmit holding register (THR), sends it; register 5, the line status
 * register (LSR), tells a polite driver when it may send the next, and we
 * always answer 0x60 (bits 5 and 6: THR empty, transmitter idle), because our
 * "wire" is a `write` to standard output and is never busy.
 *
 * The other registers keep what is written to them, so a driver that sets the
 * line format and reads it back finds what it expects. One matters: bit 7 of
 * the line control register (LCR), the divisor latch access bit. While it is
 * set, registers 0 and 1 hold the baud-rate divisor, and a byte written to
 * register 0 is a speed, not a character: we must not print it. :*/
void serial_init(void);

/*:*/
/*L:560 The sandbox's interface.
 * The rest of the Launcher meets the sandbox in three places. The option parser
 * offers it the words it does not know (`--sandbox=off`, `--user=`,
 * `--chroot=`). `main` asks it to give up the process's rights once every file
 * is open, just before the device threads start. And each thread, at the top of
 * its function, names its role and enters its filter. A device worker does not
 * know its role by name, only its device's virtio identifier, so it has a door
 * of its own. :*/
enum sandbox_role {
	SANDBOX_VCPU, SANDBOX_CONSOLE, SANDBOX_BLOCK, SANDBOX_RNG, SANDBOX_NET,
	SANDBOX_NET_KEEPALIVE, SANDBOX_SWITCH, SANDBOX_NR_ROLES
};
bool sandbox_parse_option(const char *arg);
void sandbox_drop_privileges(void);
void sandbox_enter(enum sandbox_role role, const char *thread);
void sandbox_enter_device(u32 device_id, const char *thread);
void sandbox_vcpu_may_use(int fd);
void sandbox_vcpu_may_send(int fd);

/*:*/
/*L:502 The option, and waiting for gdb.
 * The option joins the chain of long options the Launcher offers to each part
 * in turn (*L:160*). A debugger is the opposite of confinement: it reads and
 * writes any memory and any register at a stranger's request, over a socket.
 * So `--gdb` switches the seccomp filters off (as `--sandbox=off` does), and
 * listens only on the loopback address or on a UNIX socket, which the file
 * system's permissions guard. The wait happens after the vCPU exists and before
 * anything runs: the first thing `gdb` sees is the Host's entry point. :*/
bool gdb_parse_option(const char *arg);
void gdb_start(void);
void gdb_poll(void);
void gdb_stop(void);
/*:*/
/*L:782 The places table.
 * At build time `explain --table` walks each image's DWARF line table (every
 * address where a new source line begins, read with `objdump`, then turned
 * into copy lines by one `addr2line` run and into chapter lines by the maps)
 * and writes `build/places`: for each image a line `image HASH SIZE NAME`, then
 * one `ADDRESS STEP, CHAPTER:LINE` line at each change of place, in address
 * order. `make` rebuilds it when an image or a map changes; a prose-only edit
 * changes the maps and so this table, but compiles nothing. The Launcher looks
 * for it beside itself (`build/lguest` finds `build/places`) and trusts a block
 * only for an image whose bytes hash, by FNV-1a, to the block's hash: a Guest
 * built elsewhere gets no annotation rather than a wrong one.
 *
 * The table is mapped into memory at start-up, before the sandbox closes, and
 * read only when a kill reason or a panic needs it. That costs one `open` and
 * one `mmap` on every boot (the table is some 350 kB, none of it read), and at
 * kill time no system call at all, which the vCPU thread's seccomp filter
 * (*L:577*) would refuse anyway. :*/
void places_open(const struct image *host, const struct image *guest);
const char *places_name(const char *text);
void places_console(u8 c);
/*:*/
/*S:307, continued :*/
bool count_parse_option(const char *arg);
void count_start(void);
bool count_step(struct kvm_run *run);
/*:*/

#endif
/*:*/
