/* Tangled from chapters/10-guest.nw by `make tangle`: edit the chapter, not this file. */
/*G:100 A library for freestanding code.
 * Neither the Host nor the Guest has a C library: there is no operating system
 * underneath them to provide one. Both need the same handful of helpers, so they
 * share one small library in `lib/`, compiled twice, once with each side's
 * flags. Its header declares the string functions the compiler itself may call
 * (a structure copy can become a call to `memcpy`), a formatter, and the
 * variable-argument machinery, which without a C library we take straight from
 * the compiler's built-ins. :*/
/* The freestanding library shared by the Host and the Guest. */
#ifndef LIB_H
#define LIB_H

#include "lguest.h"

typedef __builtin_va_list va_list;
#define va_start(ap, last) __builtin_va_start(ap, last)
#define va_arg(ap, type)   __builtin_va_arg(ap, type)
#define va_end(ap)         __builtin_va_end(ap)
#define va_copy(to, from)  __builtin_va_copy(to, from)

#define NULL ((void *)0)

/*G:110 Copying and filling memory.
 * We write the two workhorses with the x86 string instructions rather than as C
 * loops, for two reasons. A loop that copies bytes is exactly what an optimising
 * compiler likes to replace with a call to `memcpy`, which would then call
 * itself forever. And the Host runs on a machine whose ring 0 is emulated one
 * instruction at a time (see *The Host*): there, one `rep movsb` is one
 * instruction to decode where a loop would be four per byte.
 *
 * The emulator, though, runs a `rep` prefix one iteration at a time, each
 * iteration costing about as much as an instruction. Measured in the Host on
 * the book's machine (two CPUs, a nested kvm_pvm), zeroing a page with `rep stosb` costs about five million cycles, and with
 * `rep stosq` about 0.7 million. So both helpers move eight bytes a step for
 * the bulk of the work, and single bytes only for the tail. :*/
void *memcpy(void *dst, const void *src, u64 len);
void *memset(void *dst, int byte, u64 len);
int memcmp(const void *a, const void *b, u64 len);
u64 strlen(const char *s);
int strcmp(const char *a, const char *b);
int str_starts(const char *s, const char *prefix);
/*:*/
/*G:130 A small printf.
 * Both sides print: the Host to its serial port, the Guest through a hypercall.
 * Both need the same thing first, a formatter that turns `"RAM 0x%llx"` and a
 * number into characters in a buffer. We implement the subset the book uses:
 * `%s`, `%c`, `%d`, `%u`, `%x` and `%p`, an `l` for 64-bit arguments, and a
 * field width with an optional leading zero. Like the C library's
 * `vsnprintf`, it never writes past the buffer, always terminates it, and
 * returns the length it *wanted*, so a caller can tell when it was cut short. :*/
int vsnprintf(char *buf, u64 size, const char *fmt, va_list ap);
int snprintf(char *buf, u64 size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*:*/

#endif
/*:*/
