/*
 * Verdicts for the host-side C harnesses (tests/AREA/NAME.c), in the lines
 * tests/run counts: "ok NAME", "FAIL NAME: why", "skip NAME: why", and a
 * last line "ok NAME-done (N failed)" that tests/lib.sh's run_harness looks
 * for, so that a harness that stopped half-way is seen.  Each line is
 * flushed as it is printed: a crash later, or a sanitizer ending the
 * program, must not lose it.  HARNESS_PREFIX, when defined before this file
 * is included, goes in front of every name.
 *
 * A harness exits with status 0 when it reached its end, whatever it found
 * (each failure is its own FAIL line, counted once); any other status means
 * it crashed.
 *
 * We declare the little we need from libc ourselves: some harnesses include
 * the Host's or the Guest's sources whole, whose headers stand in for libc's
 * and cannot be mixed with <stdio.h>.
 */
#ifndef TESTS_HARNESS_H
#define TESTS_HARNESS_H

#ifndef HARNESS_PREFIX
#define HARNESS_PREFIX ""
#endif

int printf(const char *fmt, ...);
int vprintf(const char *fmt, __builtin_va_list ap);
int fflush();			/* FILE * or void *, whichever the harness has */

static int harness_failures;

static void harness_line(const char *verdict, const char *name, const char *why,
			 __builtin_va_list ap)
{
	printf("%s " HARNESS_PREFIX "%s", verdict, name);
	if (why) {
		printf(": ");
		vprintf(why, ap);
	}
	printf("\n");
	fflush(0);
}

/* check(NAME, GOOD, WHY, ...): "ok NAME", or "FAIL NAME: WHY" (a printf
 * format) and one failure more. */
__attribute__((format(printf, 3, 4), unused))
static void check(const char *name, int good, const char *why, ...)
{
	__builtin_va_list ap;

	__builtin_va_start(ap, why);
	harness_line(good ? "ok" : "FAIL", name, good ? 0 : why, ap);
	__builtin_va_end(ap);
	harness_failures += !good;
}

/* ok(NAME), fail(NAME, WHY, ...): a verdict already reached. */
__attribute__((unused))
static void ok(const char *name)
{
	check(name, 1, "%s", "");
}

#define fail(name, ...) check(name, 0, __VA_ARGS__)

/* expect(NAME, CONDITION): check() with the condition's own text as why. */
#define expect(name, cond) check(name, cond, "%s", #cond)

/* skip(NAME, WHY, ...): a case that cannot run here, and why. */
__attribute__((format(printf, 2, 3), unused))
static void skip(const char *name, const char *why, ...)
{
	__builtin_va_list ap;

	__builtin_va_start(ap, why);
	harness_line("skip", name, why, ap);
	__builtin_va_end(ap);
}

/* harness_done(NAME): the last line, "ok NAME-done (N failed)" (no
 * prefix); the status for main to return. */
__attribute__((unused))
static int harness_done(const char *name)
{
	printf("ok %s-done (%d failed)\n", name, harness_failures);
	fflush(0);
	return 0;
}

#endif
