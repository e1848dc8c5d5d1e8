/*
 * The Host's pool of shadow pages (host/shadow.c, H:560) taken dry, built on
 * the host with -fsanitize=address by test-shadow-pool.sh.  The tangled file
 * is included whole so that the static pool_take is in reach; host_panic is
 * ours and jumps back here.  Every one of the 256 pages is handed out once,
 * then a page is given back and taken again, then the pool is empty: the
 * next take must panic, naming pool_take, and touch nothing outside the pool.
 *
 * Prints "ok NAME" / "FAIL NAME: why" lines; exit status 0.
 */
#include "shadow.c"
#include "../harness.h"

char *strstr(const char *haystack, const char *needle);

static void *escape[5];
static char said[200];

void host_panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(said, sizeof(said), fmt, ap);
	va_end(ap);
	__builtin_longjmp(escape, 1);
}

int main(void)
{
	int distinct = 1;
	u16 again;

	for (u32 i = 0; i < SHADOW_POOL_PAGES; i++)
		distinct &= pool_take() == i;
	check("shadow-pool-fresh-pages", distinct && pool_available() == 0,
	      "the fresh pages were not handed out once each, in order");
	pool_link[7] = NO_PAGE, pool_free = 7, pool_nfree = 1;
	pool[7][3] = 42;
	again = pool_take();
	check("shadow-pool-reuse-cleared", again == 7 && pool[7][3] == 0,
	      "a page given back came back uncleared, or not at all");
	if (__builtin_setjmp(escape)) {
		check("shadow-pool-empty-panics", strstr(said, "pool_take") != NULL,
		      "the panic does not name pool_take");
	} else {
		again = pool_take();
		fail("shadow-pool-empty-panics", "an empty pool handed out page %u", again);
	}
	return harness_done("shadow-pool");
}
