/* What tests/fuzz/fake_host.c gives the Host's fuzz targets.  The targets
 * include host.h and no libc header (the Host's lib.h declares memcpy and
 * snprintf its own way), so the libc side lives in fake_host.c. */
#ifndef FUZZ_FAKE_HOST_H
#define FUZZ_FAKE_HOST_H
/* host_try(fn, arg): 0 if fn(arg) returned, 1 if it killed the Guest
 * (kill_guest()); a host_panic() aborts: the Host never panics on Guest input. */
int host_try(void (*fn)(void *arg), void *arg);
void fuzz_fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* FUZZ_SKIP_KNOWN=1: issue 10's bugs are not reported again (a panic then
 * counts as a kill; the command-line checks for them are off). */
int fuzz_skip_known(void);
#endif
