/* Force-included (-include) before every Launcher source a fuzz target
 * compiles.  The Launcher's ways out of the process (err, errx) become a
 * longjmp back to the harness, which counts a clean refusal; the calls that
 * would touch the machine (KVM ioctls, threads, the terminal, standard
 * output) go to fakes in tests/fuzz/fake_launcher.c. */
#ifndef FUZZ_LAUNCHER_SHIM_H
#define FUZZ_LAUNCHER_SHIM_H
/* First, as the Launcher's own files ask (F_OFD_SETLK, memfd_create). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <err.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

void fuzz_refuse(int status, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));
int fuzz_ioctl(int fd, unsigned long req, ...);
int fuzz_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg);
ssize_t fuzz_write(int fd, const void *p, size_t n);
ssize_t fuzz_writev(int fd, const struct iovec *iov, int n);
ssize_t fuzz_readv(int fd, const struct iovec *iov, int n);

#define err(status, ...)	fuzz_refuse(status, __VA_ARGS__)
#define errx(status, ...)	fuzz_refuse(status, __VA_ARGS__)
#define warn(...)		((void)0)
#define warnx(...)		((void)0)
#define ioctl(...)		fuzz_ioctl(__VA_ARGS__)
#define pthread_create(...)	fuzz_pthread_create(__VA_ARGS__)
#define pthread_detach(t)	((void)(t), 0)
#define isatty(fd)		((void)(fd), 0)
#define write(...)		fuzz_write(__VA_ARGS__)
#define writev(...)		fuzz_writev(__VA_ARGS__)
#define readv(...)		fuzz_readv(__VA_ARGS__)
#endif
