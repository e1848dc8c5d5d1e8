/* Tangled from chapters/10-guest.nw by `make tangle`: edit the chapter, not this file. */
/*G:130, continued :*/
/* vsnprintf: the formatter the Host and the Guest share. */
#include "lib.h"

struct out {
	char *buf;
	u64 size;
	u64 len;
};

/*G:140 The output buffer.
 * Every character goes through one function, which stores it only while there is
 * room for it and the final NUL, but always counts it. :*/
static void emit(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void emit_str(struct out *o, const char *s, u64 max)
{
	if (!s)
		s = "(null)";
	while (max-- && *s)
		emit(o, *s++);
}
/*:*/
/*G:150 Numbers.
 * A number is produced backwards, least significant digit first, into a small
 * array, then emitted in the right order after any padding. Twenty-two digits
 * are enough for a 64-bit value in any base we offer. :*/
static void emit_num(struct out *o, u64 v, unsigned base, int neg,
		     int width, char pad)
{
	char digits[22];
	int n = 0;

	do {
		digits[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		digits[n++] = '-';
	for (; width > n; width--)
		emit(o, pad);
	while (n)
		emit(o, digits[--n]);
}
/*:*/
/*G:160 One conversion.
 * After the `%` come an optional `0`, an optional width, an optional
 * precision, an optional `l` (or `ll`; on x86-64 they mean the same) and the
 * conversion letter. The precision matters only to `%s`, where it is the most
 * characters to print: `.N`, or `.*` to take it from the arguments, as in
 * `%.*s`, the usual way to print a word that is not NUL-terminated. (Before we
 * had it, `%.*s` in the Host printed a length as if it were a pointer and
 * brought the Host down; the compiler's format check accepts it, so the
 * library must too.) An unknown letter is copied out as it stands, so a mistake
 * shows up in the output rather than eating an argument. :*/
static const char *emit_conversion(struct out *o, const char *f, va_list *ap)
{
	char pad = ' ';
	int width = 0, is_long = 0;
	u64 max = ~0ULL;
	s64 sv;

	if (*f == '0')
		pad = *f++;
	while (*f >= '0' && *f <= '9')
		width = width * 10 + (*f++ - '0');
	if (*f == '.' && f[1] == '*') {
		int p = va_arg(*ap, int);

		max = p < 0 ? ~0ULL : (u64)p, f += 2;
	} else if (*f == '.') {
		for (max = 0, f++; *f >= '0' && *f <= '9'; f++)
			max = max * 10 + (*f - '0');
	}
	while (*f == 'l')
		is_long = 1, f++;
	switch (*f) {
	/*G:170 The conversion letters.
	 * Signed numbers are widened to 64 bits before their sign is taken, so the same
	 * code serves `%d` and `%lld`. :*/
	case 'd':
		sv = is_long ? va_arg(*ap, s64) : va_arg(*ap, int);
		emit_num(o, sv < 0 ? -(u64)sv : (u64)sv, 10, sv < 0, width, pad);
		break;
	case 'u':
		emit_num(o, is_long ? va_arg(*ap, u64) : va_arg(*ap, unsigned), 10,
			 0, width, pad);
		break;
	case 'x':
		emit_num(o, is_long ? va_arg(*ap, u64) : va_arg(*ap, unsigned), 16,
			 0, width, pad);
		break;
	case 'p':
		emit_str(o, "0x", ~0ULL);
		emit_num(o, (u64)va_arg(*ap, void *), 16, 0, width, pad);
		break;
	case 's':
		emit_str(o, va_arg(*ap, const char *), max);
		break;
	case 'c':
		emit(o, (char)va_arg(*ap, int));
		break;
	default:
		emit(o, '%');
		emit(o, *f);
		break;
	/*:*/
	}
	return f + 1;
}
/*:*/
/*G:180 The whole string.
 * The driver loop copies plain characters and hands each `%` to the conversion
 * code. A trailing lone `%` is copied rather than read past. We work on a copy
 * of the argument list because on x86-64 a `va_list` is an array, and a
 * parameter of array type is really a pointer: `&ap` would not be the pointer to
 * a `va_list` that `emit_conversion` expects, but `&args` is. :*/
int vsnprintf(char *buf, u64 size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };
	va_list args;

	va_copy(args, ap);
	while (*fmt) {
		if (*fmt != '%' || !fmt[1])
			emit(&o, *fmt++);
		else if (fmt[1] == '%')
			emit(&o, '%'), fmt += 2;
		else
			fmt = emit_conversion(&o, fmt + 1, &args);
	}
	va_end(args);
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return o.len;
}

int snprintf(char *buf, u64 size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
/*:*/
/*:*/
