/* Tangled from chapters/41-host-paging.nw by `make tangle`: edit the chapter, not this file. */
/*H:670, continued :*/
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
		run_hypercall(lg, &call);
	}
	lg->async_done = sp->async_done = done;
}
/*:*/
