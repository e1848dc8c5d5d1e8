/* Tangled from chapters/10-guest.nw by `make tangle`: edit the chapter, not this file. */
/*G:110, continued :*/
/* Memory and string helpers for code without a C library. */
#include "lib.h"

void *memcpy(void *dst, const void *src, u64 len)
{
	void *d = dst;
	u64 words = len / 8, tail = len % 8;

	asm volatile("rep movsq" : "+D"(d), "+S"(src), "+c"(words) : : "memory");
	asm volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(tail) : : "memory");
	return dst;
}

void *memset(void *dst, int byte, u64 len)
{
	void *d = dst;
	u64 words = len / 8, tail = len % 8;
	u64 pattern = (u8)byte * 0x0101010101010101ULL;

	asm volatile("rep stosq" : "+D"(d), "+c"(words) : "a"(pattern) : "memory");
	asm volatile("rep stosb" : "+D"(d), "+c"(tail) : "a"(pattern) : "memory");
	return dst;
}
/*G:120 Comparing and measuring.
 * The comparisons are ordinary loops: they are rare, short, and the compiler has
 * no library call to turn them into under `-ffreestanding`. `str_starts` is the
 * one command-line parsers want most: does this word begin with `poweroff=`? :*/
int memcmp(const void *a, const void *b, u64 len)
{
	const u8 *x = a, *y = b;

	for (; len; len--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

u64 strlen(const char *s)
{
	u64 n = 0;

	while (s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (u8)*a - (u8)*b;
}

int str_starts(const char *s, const char *prefix)
{
	while (*prefix)
		if (*s++ != *prefix++)
			return 0;
	return 1;
}
/*:*/
/*:*/
