/*
 * The Guest driver's vq_alloc (drivers/virtqueue.c, D:212) when memory runs
 * out part-way: built on the host, with -fsanitize=address, by
 * test-vq-alloc.sh.  The tangled file is included whole so that the static
 * vq_alloc is in reach; kmalloc and the page allocator are ours.  kmalloc
 * hands out memory full of 0xa5, as the Guest's heap hands out whatever was
 * there before, and allocation number FAIL_AT fails.  page_free and kfree
 * refuse any pointer we did not hand out, or handed out and took back, so a
 * free of an uninitialised field is caught even without ASan.  After each
 * failure everything taken must have been given back.
 *
 * Prints "ok NAME" / "FAIL NAME: why" lines; exit status 0.
 */
#include "virtqueue.c"
#include "../harness.h"

void *malloc(u64 size);
void *aligned_alloc(u64 align, u64 size);
void free(void *p);

#define MAX_TAKEN 16

static void *taken[MAX_TAKEN];
static int ntaken, nallocs, fail_at;
static char bad[128];

static void *take(void *p)
{
	if (p && ntaken < MAX_TAKEN)
		taken[ntaken++] = p;
	return p;
}

static void give_back(void *p, const char *who)
{
	for (int i = 0; i < ntaken; i++)
		if (taken[i] == p) {
			taken[i] = taken[--ntaken];
			free(p);
			return;
		}
	if (!bad[0])
		snprintf(bad, sizeof(bad), "%s(%p), which was never handed out", who, p);
}

static int should_fail(void)
{
	return ++nallocs == fail_at;
}

void *kmalloc(u64 size)
{
	void *p;

	if (should_fail() || !(p = malloc(size)))
		return NULL;
	return take(memset(p, 0xa5, size));
}

void kfree(void *p)
{
	if (p)
		give_back(p, "kfree");
}

void *page_alloc(void)
{
	void *p;

	if (should_fail() || !(p = aligned_alloc(PAGE_SIZE, PAGE_SIZE)))
		return NULL;
	return take(memset(p, 0, PAGE_SIZE));
}

void page_free(void *p)
{
	give_back(p, "page_free");
}

/* The rest of virtqueue.c needs these to link; vq_alloc calls none of them. */
void printk(const char *fmt, ...) { (void)fmt; }
void panic(const char *fmt, ...) { (void)fmt; for (;;); }

static void one_failure(int n)
{
	char name[32];
	struct virtqueue *vq;

	snprintf(name, sizeof(name), "vq-alloc-fail-%d", n);
	ntaken = nallocs = 0, fail_at = n, bad[0] = 0;
	vq = vq_alloc(256);
	if (vq)
		fail(name, "vq_alloc succeeded with allocation %d failing", n);
	else if (bad[0])
		fail(name, "the error path called %s", bad);
	else
		check(name, !ntaken, "%d allocations leaked", ntaken);
}

int main(void)
{
	struct virtqueue *vq;
	int total;

	ntaken = nallocs = 0, fail_at = -1, bad[0] = 0;
	vq = vq_alloc(256);
	check("vq-alloc-whole",
	      vq && vq->desc[255].next == 256 && vq->nr_free == 256 && !vq->kicked && nallocs == 5,
	      "%s", vq ? "the queue is not set up" : "it failed");
	total = nallocs;
	while (ntaken)
		free(taken[--ntaken]);
	for (int n = 1; n <= total; n++)
		one_failure(n);
	return harness_done("vq-alloc");
}
