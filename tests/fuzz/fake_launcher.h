/* The fake Launcher the fuzz targets link with (tests/fuzz/fake_launcher.c). */
#ifndef FUZZ_FAKE_LAUNCHER_H
#define FUZZ_FAKE_LAUNCHER_H
#include <setjmp.h>
#include "launcher.h"

/* Guest RAM is FUZZ_RAM bytes; guest_ptr() allows [FUZZ_WIN_START, FUZZ_WIN_END). */
#define FUZZ_RAM	(64u << 10)
#define FUZZ_WIN_START	0x1000ULL
#define FUZZ_WIN_END	((u64)FUZZ_RAM)

/* fuzz_try(fn, arg): runs fn(arg); FUZZ_RAN if it returned, FUZZ_KILLED if
 * the Launcher killed the Guest, FUZZ_REFUSED if it called err()/errx()
 * (fuzz_reason says why). */
enum fuzz_outcome { FUZZ_RAN, FUZZ_KILLED, FUZZ_REFUSED };
extern char fuzz_reason[512];
enum fuzz_outcome fuzz_try(void (*fn)(void *arg), void *arg);

void fuzz_ram_init(u64 size);

/* FUZZ_SKIP_KNOWN=1 in the environment: the bugs issue 10 lists are not
 * reported again (each harness turns its check for them off), so a long run
 * looks for new ones.  make fuzz FUZZ_SKIP_KNOWN=1 sets it. */
bool fuzz_skip_known(void);
extern int fuzz_irq_level[64];
#endif
