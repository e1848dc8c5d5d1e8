/* Tangled from chapters/10-guest.nw by `make tangle`: edit the chapter, not this file. */
/*G:420 Handling an exception.
 * This first Guest has no programs to protect and no pages to fault in, so it
 * expects an exception only when it causes one on purpose, in a test. A test
 * arms a *fixup*, the address to resume at, the same idea as Linux's exception
 * tables; the handler records what happened, resumes there with the vector in
 * `%rax`, and disarms. Without a fixup, an exception goes to the handler its
 * vector has in the table of *Interrupts and the clock* (G:818), if any. Any
 * other exception is a bug in the Guest, and it panics, naming the vector and
 * the instruction. :*/
/* The Guest's exception handler. */
#include "guest.h"

u64 trap_fixup;
struct trap_record guest_last_trap;

void guest_trap(struct trap_frame *f)
{
	if (!trap_fixup && f->vector < 32 && trap_handlers[f->vector]) {
		trap_handlers[f->vector](f);
		return;
	}
	if (!trap_fixup)
		guest_panic("unexpected trap %llu at rip 0x%llx, error code 0x%llx",
			    f->vector, f->rip, f->error_code);
	guest_last_trap.vector = f->vector;
	guest_last_trap.error_code = f->error_code;
	guest_last_trap.address = f->vector == 14 ? guest_shared->cr2 : 0;
	f->rip = trap_fixup;
	f->rax = f->vector;
	trap_fixup = 0;
}
/*:*/
