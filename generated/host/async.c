/* Tangled from chapters/41-host-paging.nw by `make tangle`: edit the chapter, not this file. */
/*H:670 The ring of queued hypercalls.
 * The Guest queues hypercalls in its shared page (G:620) and traps once; here
 * is the other end. The ring is Guest memory, so everything in it is suspect.
 * We read the Guest's count once, and compare it with *our* count of the calls
 * we have run, not with the copy in the shared page, which the Guest could
 * rewrite. More than a ring's worth waiting (rule 6) means the Guest's count is
 * garbage: a Guest that claims a thousand calls in a ring of 64 is killed, not
 * believed. Each call is copied out of the ring into a scratch set of
 * registers and dispatched exactly as a direct one, through `hcall_dispatch`,
 * so a queued call meets every check a direct one does, and an unknown number
 * in the ring kills the Guest just as it would in `%rax`. A call that changes
 * the Guest's registers makes no sense queued; none of ours does. :*/
/* The ring of queued hypercalls in the shared page: lguest's lazy mode. */
#include "host.h"

void async_run_queue(struct lguest *lg, const struct lg_regs *r)
{
	static struct lg_regs call;
	struct lg_shared_page *sp = lg->shared;
	u32 queued, done = lg->async_done;

	if (!sp || (queued = sp->async_queued) == done)
		return;
	if (queued - done > LG_ASYNC_RING_SIZE)
		kill_guest(lg, "hypercall ring: %u calls queued, but it holds %d",
			   queued - done, LG_ASYNC_RING_SIZE);
	for (; done != queued; done++) {
		const struct lg_async_call *c = &sp->async[done % LG_ASYNC_RING_SIZE];

		call.rax = c->nr, call.rdi = c->arg1, call.rsi = c->arg2;
		call.rdx = c->arg3, call.rip = r->rip;
		hcall_dispatch(lg, &call);
	}
	lg->async_done = sp->async_done = done;
}
/*:*/
