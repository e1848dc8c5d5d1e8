/* Tangled from chapters/12-guest-interrupts.nw by `make tangle`: edit the chapter, not this file. */
/*G:850, continued :*/
/* printk's levels, and the backtrace a panic prints. */
#include "guest.h"

#define LOGLEVEL_DEFAULT 4

int printk_loglevel = 7;

const char *printk_level(const char *msg, int *len)
{
	int level = LOGLEVEL_DEFAULT;

	if (msg[0] == KERN_SOH[0] && msg[1] >= '0' && msg[1] <= '7') {
		level = msg[1] - '0';
		msg += 2;
		*len -= 2;
	}
	return level < printk_loglevel ? msg : NULL;
}
/*G:855 A backtrace.
 * When the Guest panics, the message says what went wrong, and a backtrace
 * says how we got there. We compile the Guest with `-fno-omit-frame-pointer`,
 * so every function starts by pushing `%rbp` and pointing `%rbp` at that saved
 * value: the saved `%rbp` values form a linked list up the stack, and the
 * return address sits in the word above each link. Walking it needs no debug
 * information and no unwinder, only care: a link must be 8-byte aligned and
 * inside the Guest's image, where all our stacks are (the boot stack and the
 * interrupt stack are both in `.bss`), and the walk stops after a dozen
 * frames, at a zero, or at a link that points anywhere else. The Host started
 * us with `%rbp` zero, so the chain ends cleanly at `_start`. An interrupt
 * handler's chain runs on into the code it interrupted, because the entry
 * leaves the interrupted `%rbp` in place: a panic in a handler shows both. :*/
extern char _start_image[], _end[];

static int frame_ok(const u64 *fp)
{
	u64 a = (u64)fp;

	return !(a & 7) && a >= (u64)_start_image && a + 16 <= (u64)_end;
}

__attribute__((noinline)) int guest_backtrace(u64 *addrs, int max)
{
	const u64 *fp = __builtin_frame_address(0);
	int n = 0;

	while (n < max && frame_ok(fp) && fp[1]) {
		addrs[n++] = fp[1];
		fp = (const u64 *)fp[0];
	}
	return n;
}
/*:*/
/*G:860 Printing it.
 * The addresses go on one line, at the emergency level so no loglevel hides
 * them. Twelve addresses of up to eighteen characters fit the 256 bytes
 * `printk` formats into. To turn them into names, give them to
 * `addr2line -f -e build/guest.elf`, as the tests do, less one each: a return
 * address is the byte after its call, and after a call to a function that never
 * returns, that byte is already the next function's. :*/
#define BACKTRACE_MAX 12

void guest_print_backtrace(void)
{
	u64 addrs[BACKTRACE_MAX];
	char line[BACKTRACE_MAX * 20];
	int n = guest_backtrace(addrs, BACKTRACE_MAX), len = 0;

	line[0] = '\0';
	for (int i = 0; i < n; i++)
		len += snprintf(line + len, sizeof(line) - len, " 0x%llx", addrs[i]);
	printk(KERN_EMERG "Guest backtrace:%s\n", line);
}
/*:*/
/*G:865 A panic to look at.
 * `panic` on the command line makes the Guest panic three calls deep, on
 * purpose, so that a test can check the backtrace names those three functions.
 * Each call is followed by an empty `asm`, which stops the compiler from
 * turning it into a jump (a tail call leaves no frame behind, and the
 * backtrace would skip it). :*/
int guest_panic_test;

static __attribute__((noinline, noreturn)) void panic_depth_3(void)
{
	guest_panic("on purpose, as the command line asked");
}

static __attribute__((noinline)) void panic_depth_2(void)
{
	panic_depth_3();
	asm volatile("");
}

void panic_on_purpose(void)
{
	panic_depth_2();
	asm volatile("");
	for (;;)
		;
}
/*:*/
/*:*/
