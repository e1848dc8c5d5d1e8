/* The libc side of the Host's fuzz targets: kill_guest() is a longjmp back
 * to the harness (a clean outcome), host_panic() and fuzz_fail() abort (a
 * finding), host_printf() formats with libc (the arguments are still read,
 * so a bad %s is seen by ASan) and prints with FUZZ_VERBOSE=1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

struct lguest;
static jmp_buf host_jmp;
static int armed;

int host_try(void (*fn)(void *arg), void *arg)
{
	if (setjmp(host_jmp) == 0) {
		armed = 1;
		fn(arg);
		armed = 0;
		return 0;
	}
	armed = 0;
	return 1;
}

static void say(const char *what, const char *fmt, va_list ap)
{
	char buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (getenv("FUZZ_VERBOSE") || what[0] == '!')
		fprintf(stderr, "%s%s\n", what + (what[0] == '!'), buf);
}

void kill_guest(struct lguest *lg, const char *fmt, ...)
{
	va_list ap;

	(void)lg;
	va_start(ap, fmt);
	say("fuzz: killed the Guest: ", fmt, ap);
	va_end(ap);
	if (!armed)
		abort();
	longjmp(host_jmp, 1);
}

int fuzz_skip_known(void)
{
	static int skip = -1;

	if (skip < 0)
		skip = getenv("FUZZ_SKIP_KNOWN") && getenv("FUZZ_SKIP_KNOWN")[0] != '0';
	return skip;
}

void host_panic(const char *fmt, ...)
{
	va_list ap;

	if (fuzz_skip_known() && armed)	/* issue 10: the Guest overlapping its module */
		longjmp(host_jmp, 1);

	va_start(ap, fmt);
	say("!fuzz: the Host panicked on Guest input: ", fmt, ap);
	va_end(ap);
	abort();
}

void fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say("!fuzz: ", fmt, ap);
	va_end(ap);
	abort();
}

void host_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say("fuzz: host: ", fmt, ap);
	va_end(ap);
}

/* lib/string.c's, which we do not link: it defines memcpy and friends too. */
int str_starts(const char *s, const char *prefix)
{
	while (*prefix)
		if (*s++ != *prefix++)
			return 0;
	return 1;
}
