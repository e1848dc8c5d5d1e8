/* Tangled from chapters/10-guest.nw, chapters/11-guest-memory.nw,
 * chapters/12-guest-interrupts.nw, chapters/20-drivers.nw and
 * chapters/40-host.nw by `make tangle`: edit the chapters, not this file. */
/*G:500, continued :*/
/* The Guest's self-tests: a name and a function each. */
#include "guest.h"

extern char _start_image[], _end[];

/*G:510 Where we are.
 * We run at ring 3, and the image we are running is inside the window the Host
 * announced, with the boot information just after it. :*/
static int test_cpl(void)
{
	return guest_cpl() == 3;
}

/*:*/
/*G:510, continued :*/
static int test_window(void)
{
	u64 start = guest_boot->ram_start, end = start + guest_boot->ram_size;

	return (u64)_start_image >= start && (u64)_end <= end &&
	       (u64)guest_boot >= (u64)_end && (u64)guest_boot < end;
}

/*:*/
/*G:510, continued :*/
static int test_hypercall_registers(void)
{
	return regs_survive_hypercall();
}
/*:*/
/*G:520 Exceptions come back to us.
 * A store to an unmapped page must arrive at our handler as a page fault
 * (vector 14) whose error code says "write, page not present", with the address
 * in the shared page. A store into the Host's slot must arrive too, as a
 * *protection* fault (present bit set in the error code): the page is there,
 * but not for us. An undefined instruction, a breakpoint, and two privileged
 * instructions (`cli` and a port write) must each arrive with their own vector.
 * The error code's bits have names in `include/paging.h` (G:631). :*/
static int test_page_fault(void)
{
	return probe_store(0x1000) == 14 && guest_last_trap.address == 0x1000 &&
	       guest_last_trap.error_code == (PF_WRITE | PF_USER);
}

/*:*/
/*G:520, continued :*/
static int test_host_slot(void)
{
	u64 host = 0xffffffff80100000;

	return probe_store(host) == 14 && guest_last_trap.address == host &&
	       guest_last_trap.error_code == (PF_PRESENT | PF_WRITE | PF_USER);
}

/*:*/
/*G:520, continued :*/
static int test_traps(void)
{
	return probe_ud2() == 6 && probe_int3() == 3 && probe_cli() == 13 &&
	       probe_outb() == 13;
}
/*:*/
/*G:770 Testing memory.
 * Now the promises, each as a test in the table. The allocator hands out
 * distinct, aligned, zeroed pages of the window and takes them back; the heap
 * keeps objects of different sizes apart and reuses what was freed. The test
 * that our own tables are the ones in force reads a variable through the
 * alias: the Host's first-boot table has no such alias, so only our tables can
 * make that read succeed. A page freed comes back zeroed; which of the two
 * freed pages comes back first is the allocator's choice (its search starts in
 * the word it last took from, and `a` and `b` may lie in two words when `a` was
 * its word's last free page), so the test accepts either. The last tests work at an address nothing else uses,
 * 512 GiB, the first address of top-level slot 1, so every level of table
 * below it is made fresh. :*/
#define TEST_VA 0x8000000000ULL

static int test_pages(void)
{
	u64 before = page_free_count(), end = guest_boot->ram_start + guest_boot->ram_size;
	u64 *a = page_alloc(), *b = page_alloc(), *c;
	int ok = a && b && a != b && !(guest_pa(a) & (PAGE_SIZE - 1)) &&
		 guest_pa(a) >= guest_pa(_end) && guest_pa(b) < end &&
		 !a[0] && !a[511] && page_free_count() == before - 2;

	if (!ok)
		return 0;
	a[7] = b[7] = 1;
	page_free(a);
	page_free(b);
	c = page_alloc();
	ok = (c == a || c == b) && !c[7] && page_free_count() == before - 1;
	page_free(c);
	return ok && page_free_count() == before;
}
/*:*/
/*G:770, continued :*/
static int test_heap(void)
{
	static const u64 sizes[] = { 1, 16, 17, 100, 512, 2048 };
	u8 *p[6];
	int ok = !kmalloc(0) && !kmalloc(4096);

	for (int i = 0; i < 6; i++) {
		if (!(p[i] = kmalloc(sizes[i])))
			return 0;
		memset(p[i], i + 1, sizes[i]);
	}
	for (int i = 0; i < 6; i++)
		for (u64 j = 0; j < sizes[i]; j++)
			ok &= p[i][j] == i + 1;
	for (int i = 0; i < 6; i++)
		kfree(p[i]);
	ok &= kmalloc(100) == p[3];
	kfree(p[3]);
	return ok;
}

/*:*/
/*G:770, continued :*/
static int test_own_tables(void)
{
	static volatile u64 marker;
	volatile u64 *alias = (u64 *)(GUEST_ALIAS + (u64)&marker);

	marker = 0x600d;
	return *alias == 0x600d;
}
/*:*/
/*G:775 Faults of our own making.
 * A page mapped at a fresh address must appear there on first touch (the Host
 * fills its shadow from our tables), with the contents of the physical page we
 * gave. Once unmapped, the same store must come back to our own handler as a
 * page fault, not-present, with the address. Mapped without the writable bit,
 * the page reads but a store faults with the present bit set, and the store
 * does not happen. :*/
static int test_fresh_page(void)
{
	u64 *page = page_alloc();
	volatile u64 *va = (u64 *)TEST_VA;
	int ok;

	if (!page || !pt_map(kernel_root, TEST_VA, guest_pa(page), PTE_W))
		return 0;
	*va = 0x1234;
	ok = page[0] == 0x1234;
	pt_unmap(kernel_root, TEST_VA);
	ok = ok && probe_store(TEST_VA) == 14 && guest_last_trap.address == TEST_VA &&
	     guest_last_trap.error_code == (PF_WRITE | PF_USER) && page[0] == 0x1234;
	page_free(page);
	return ok;
}

/*:*/
/*G:775, continued :*/
static int test_read_only(void)
{
	u64 *page = page_alloc();
	int ok;

	if (!page || !pt_map(kernel_root, TEST_VA, guest_pa(page), 0))
		return 0;
	page[0] = 77;
	ok = *(volatile u64 *)TEST_VA == 77 && probe_store(TEST_VA) == 14 &&
	     guest_last_trap.error_code == (PF_PRESENT | PF_WRITE | PF_USER) &&
	     page[0] == 77;
	pt_unmap(kernel_root, TEST_VA);
	page_free(page);
	return ok;
}
/*:*/
/*G:775, continued :*/
static int dirty_bit_at(u64 addr)
{
	u64 *page = page_alloc();
	volatile u64 *pte, *va = (u64 *)addr;
	int clean, dirty;

	if (!page || !pt_map(kernel_root, addr, guest_pa(page), PTE_W))
		return 0;
	pte = pt_entry(kernel_root, addr, 0, 0);
	(void)*va;
	clean = (*pte & (PTE_A | PTE_D)) == PTE_A;
	*va = 5;
	dirty = (*pte & (PTE_A | PTE_D)) == (PTE_A | PTE_D) && page[0] == 5;
	pt_unmap(kernel_root, addr);
	page_free(page);
	return clean && dirty;
}

static int test_dirty_bit(void)
{
	return dirty_bit_at(TEST_VA) && dirty_bit_at(TEST_VA + (1ULL << 30));
}
/*:*/
/*G:775, continued :*/
static int test_roots(void)
{
	u64 *roots[6], *pages[6];
	int ok = 1;

	for (int i = 0; i < 6; i++) {
		roots[i] = pt_new_root();
		pages[i] = page_alloc();
		if (!roots[i] || !pages[i] ||
		    !pt_map(roots[i], TEST_VA, guest_pa(pages[i]), PTE_W))
			return 0;
		pages[i][0] = 100 + i;
	}
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 6; i++) {
			pt_switch(roots[i]);
			ok &= *(volatile u64 *)TEST_VA == 100 + (u64)i;
		}
	pt_switch(kernel_root);
	return ok && probe_store(TEST_VA) == 14;
}
/*:*/
/*G:775, continued :*/
static __attribute__((noinline)) void null_hypercall_here(void)
{
	hcall(LHCALL_NOP, 0, 0, 0);
}

static int test_ring_before_null(void)
{
	struct lg_shared_page *sp = guest_shared;
	int ok = 1;

	for (int i = 0; i < 3; i++) {
		if (i == 2) {
			lazy_begin();
			hcall_async(LHCALL_NOP, 0, 0, 0);
		}
		null_hypercall_here();
		ok &= sp->async_done == sp->async_queued;
	}
	lazy_end();
	return ok;
}
/*:*/
/*G:780 Measuring.
 * Two numbers this chapter promised. The first is what a page-fault fill costs:
 * 64 pages mapped (in one batch), each touched once, each first touch timed with
 * the time-stamp counter. The pages are ones we have already written through
 * the window, so the VMM has backed them and the time is the Host's fill alone,
 * not the VMM's first touch. Touched a second time, the same pages cost almost
 * nothing; the test insists that the first touch costs more, which it could
 * not if the Host had not waited for the fault. :*/
static void map_test_range(u64 pa, int n, int batched)
{
	if (batched)
		lazy_begin();
	for (int i = 0; i < n; i++)
		pt_map(kernel_root, TEST_VA + i * PAGE_SIZE, pa, PTE_W | PTE_A | PTE_D);
	if (batched)
		lazy_end();
}

/*:*/
/*G:780, continued :*/
static void unmap_test_range(int n)
{
	lazy_begin();
	for (int i = 0; i < n; i++)
		pt_unmap(kernel_root, TEST_VA + i * PAGE_SIZE);
	lazy_end();
}

/*:*/
/*G:780, continued :*/
static int test_measure_fill(void)
{
	u64 *page = page_alloc(), first = 0, again = 0, t;
	const int n = 64;
	int ok;

	map_test_range(guest_pa(page), n, 1);
	for (int i = 0; i < n; i++) {
		t = guest_rdtsc();
		*(volatile u64 *)(TEST_VA + i * PAGE_SIZE + 8 * i) = i;
		first += guest_rdtsc() - t;
	}
	for (int i = 0; i < n; i++) {
		t = guest_rdtsc();
		*(volatile u64 *)(TEST_VA + i * PAGE_SIZE + 8 * i) = i;
		again += guest_rdtsc() - t;
	}
	ok = page[n - 1] == (u64)n - 1 && first > 2 * again;
	unmap_test_range(n);
	page_free(page);
	printk("selftest: measure: page-fault fill %llu cycles (touching a filled page: %llu)\n",
	       first / n, again / n);
	return ok;
}
/*:*/
/*G:780, continued :*/
static u64 time_mapping(u64 pa, int n, int batched)
{
	u64 t = guest_rdtsc();

	map_test_range(pa, n, batched);
	t = guest_rdtsc() - t;
	unmap_test_range(n);
	return t;
}

static int test_measure_batching(void)
{
	u64 *page = page_alloc(), one = ~0ULL, batched = ~0ULL, t;
	const int n = 512;
	int ok;

	map_test_range(guest_pa(page), n, 1);
	unmap_test_range(n);
	for (int round = 0; round < 2; round++) {
		if ((t = time_mapping(guest_pa(page), n, 0)) < one)
			one = t;
		if ((t = time_mapping(guest_pa(page), n, 1)) < batched)
			batched = t;
	}
	map_test_range(guest_pa(page), n, 1);
	page[5] = 0xba7c;
	ok = *(volatile u64 *)(TEST_VA + 300 * PAGE_SIZE + 40) == 0xba7c;
	unmap_test_range(n);
	page_free(page);
	printk("selftest: measure: 512 entries one trap each %llu cycles, batched %llu cycles, %llu.%llux\n",
	       one, batched, one / batched, one * 10 / batched % 10);
	return ok && batched < one;
}
/*:*/
/*G:910 Tests: the clock's frequency.
 * The self-tests of this chapter check each promise above. First, that the
 * Host told us a frequency at all, and a believable one: between 100 MHz and
 * 10 GHz. We print it, which is how a reader learns what the Host found. :*/
#define MS(n) clock_ns_to_tsc((n) * 1000000ULL)

static int test_tsc_frequency(void)
{
	u64 hz = guest_boot->tsc_hz;

	printk(KERN_INFO "selftest: the TSC runs at %llu kHz\n", hz / 1000);
	return hz >= 100000000ULL && hz <= 10000000000ULL;
}
/*:*/
/*G:915 Tests: a clock event comes on time.
 * We ask for an event 2 ms ahead, with interrupts disabled while we ask (an
 * event that came before we halted would otherwise be handled before the halt,
 * and the halt would then wait for nothing), sleep until the clock interrupt
 * has been counted, and check when its handler ran: not before the deadline,
 * and not more than 50 ms after (generous: on this machine every Host
 * instruction on the way is emulated). A loaded host adds delays of its own
 * that no Host of ours can help, now and then, so lateness gets three tries;
 * earliness gets none, since no load can make an event come early. A timer
 * armed in the wrong units is late every time. The best lateness is printed,
 * for the curious. :*/
static void event_and_wait(u64 deadline)
{
	u64 fired = clock_events_fired;

	irq_disable();
	clock_event_at(deadline);
	while (clock_events_fired == fired) {
		guest_halt();
		irq_disable();
	}
	irq_enable();
}

/*:*/
/*G:915, continued :*/
static int test_clock_event(void)
{
	u64 want, late = ~0ULL;

	for (int try = 0; try < 3 && late >= MS(50); try++) {
		want = clock_tsc() + MS(2);
		event_and_wait(want);
		if (clock_last_event < want)
			return 0;
		late = clock_last_event - want;
	}
	printk(KERN_INFO "selftest: a 2 ms clock event came %llu us late\n",
	       clock_tsc_to_ns(late) / 1000);
	return late < MS(50);
}
/*:*/
/*G:920 Tests: sleeping.
 * `msleep(5)` must take at least 5 ms of uptime, every time, and not absurdly
 * more, once in three tries (a loaded host may stall us on any one of them). :*/
static int test_msleep(void)
{
	u64 t0, took = ~0ULL;

	for (int try = 0; try < 3 && took >= 100000000; try++) {
		t0 = clock_uptime_ns();
		msleep(5);
		took = clock_uptime_ns() - t0;
		if (took < 5000000)
			return 0;
	}
	return took < 100000000;
}
/*:*/
/*G:925 Tests: pending while disabled.
 * The central promise. With interrupts disabled we ask for an event *now*,
 * then spin at ring 3 watching the pending word. The real timer interrupt
 * traps to the Host, which must mark interrupt 0 pending and *not* deliver it:
 * the handler's count must not move. Then `irq_enable` must find the bit and
 * make its hypercall, and by the time it returns the handler must have run
 * exactly once and the bit must be clear. :*/
static int test_pending_while_disabled(void)
{
	u64 fired = clock_events_fired, give_up;
	int held;

	irq_disable();
	clock_event_at(clock_tsc());
	give_up = clock_tsc() + MS(500);
	while (!(irq_pending() & 1) && clock_tsc() < give_up)
		;
	held = (irq_pending() & 1) && clock_events_fired == fired;
	irq_enable();
	return held && clock_events_fired == fired + 1 && !(irq_pending() & 1);
}
/*:*/
/*G:930 Tests: halt wakes on the clock.
 * Disable, arm an event 5 ms ahead, halt. The halt must return only after the
 * clock interrupt was handled, with interrupts enabled again, and no sooner
 * than the event. :*/
static int test_halt_wakes(void)
{
	u64 fired = clock_events_fired, t0 = clock_tsc();

	irq_disable();
	clock_event_at(t0 + MS(5));
	guest_halt();
	return clock_events_fired == fired + 1 && irq_enabled() &&
	       clock_tsc() >= t0 + MS(5);
}
/*:*/
/*G:935 Tests: an exception inside an interrupt handler.
 * A handler is Guest code like any other and may fault. Through the clock's
 * hook we run an `ud2` probe inside the handler: the Host must reflect the
 * invalid-opcode fault to our exception entry, on the interrupt stack, and the
 * probe must return its vector, 6, to the handler, which then returns normally.
 * The hook also records where its stack was, for the next test. :*/
static u64 nested_vector, handler_stack;

static void fault_in_handler(void)
{
	handler_stack = (u64)__builtin_frame_address(0);
	nested_vector = probe_ud2();
}

/*:*/
/*G:935, continued :*/
static int test_nested_exception(void)
{
	nested_vector = 0;
	clock_event_hook = fault_in_handler;
	event_and_wait(clock_tsc());
	clock_event_hook = NULL;
	return nested_vector == 6;
}

/*:*/
/*G:935, continued :*/
static int test_interrupt_stack(void)
{
	return irq_on_stack(handler_stack);
}
/*:*/
/*G:937 Tests: an exception handler from the table.
 * A breakpoint handler in the exception table must be called for an `int3`
 * with no fixup armed, and execution must go on after it (a breakpoint is a
 * trap: the saved `%rip` is already past the instruction). :*/
static u64 breakpoints;

static void count_breakpoint(struct trap_frame *f)
{
	(void)f;
	breakpoints++;
}

/*:*/
/*G:937, continued :*/
static int test_exception_table(void)
{
	u64 before = breakpoints;

	trap_set_handler(3, count_breakpoint);
	asm volatile("int3" : : : "memory");
	trap_set_handler(3, NULL);
	return breakpoints == before + 1;
}
/*:*/
/*G:940 Tests: message levels and the backtrace.
 * At loglevel 4 an error passes with its prefix removed and its length
 * corrected, and an informational message is dropped. The backtrace, taken
 * three calls deep, must name those calls' return addresses in order: each
 * just after the start of the function that made the call. :*/
static int test_printk_levels(void)
{
	int saved = printk_loglevel, n_err = 5, n_info = 5, ok;
	const char *err;

	printk_loglevel = 4;
	err = printk_level(KERN_ERR "abc", &n_err);
	ok = err && !strcmp(err, "abc") && n_err == 3 &&
	     !printk_level(KERN_INFO "abc", &n_info);
	printk_loglevel = saved;
	return ok;
}

/*:*/
/*G:940, continued :*/
static __attribute__((noinline)) int backtrace_c(u64 *a)
{
	int n = guest_backtrace(a, 4);

	asm volatile("");
	return n;
}

/*:*/
/*G:940, continued :*/
static __attribute__((noinline)) int backtrace_b(u64 *a)
{
	int n = backtrace_c(a);

	asm volatile("");
	return n;
}

/*:*/
/*G:940, continued :*/
static int test_backtrace(void)
{
	u64 a[4];
	int n = backtrace_b(a);

	return n >= 3 && a[0] - (u64)backtrace_c < 64 &&
	       a[1] - (u64)backtrace_b < 64 && a[2] - (u64)test_backtrace < 64;
}
/*:*/
/*H:551 Promises the Guest can check.
 * Some paths of this chapter run so rarely that a Host could break them and
 * still boot every Guest we have: no Guest of ours puts a hypercall across a
 * page boundary, none faults with its stack pointer in nowhere, none touches
 * port 0, none uses `int` for anything but a hypercall, and none runs code its
 * own table has stopped mapping. Yet each is a promise, and the Guest can
 * check it. The first is the short path of H:505: a Guest whose code is laid
 * out differently may well end a page with `cd` and start the next with `1f`,
 * and that is still a hypercall, not an invalid opcode. So the Guest's
 * self-test writes those two bytes, and a `ret`, across the last byte of one
 * page and the first of the next, calls them, and expects to come back with
 * `%rax` cleared, as every hypercall returns (H:525). A Host that misread the
 * two bytes would reflect an invalid opcode, and the Guest would panic on a
 * trap it never expected. The two virtual pages are one physical page, mapped
 * twice: the byte after its end in physical memory belongs to some other page,
 * so a Host that read the two bytes as physically contiguous would not find the
 * second one by luck. :*/
static int test_hypercall_across_pages(void)
{
	u64 nr = LHCALL_NOP, at = TEST_VA + PAGE_SIZE - 1;
	u8 *page = page_alloc();

	if (!page)
		return 0;
	pt_map(kernel_root, TEST_VA, guest_pa(page), 0);
	pt_map(kernel_root, TEST_VA + PAGE_SIZE, guest_pa(page), 0);
	page[PAGE_SIZE - 1] = 0xcd;
	page[0] = LG_HCALL_VECTOR;
	page[1] = 0xc3;			/* ret */
	asm volatile("call *%1" : "+a"(nr) : "r"(at) : "memory", "cc");
	pt_unmap(kernel_root, TEST_VA);
	pt_unmap(kernel_root, TEST_VA + PAGE_SIZE);
	page_free(page);
	return nr == 0;
}
/*:*/
/*H:551, continued :*/
static int test_port0(void)
{
	return probe_port0() == 13;
}
/*:*/
/*H:551, continued :*/
static int test_int80(void)
{
	return probe_int80() != 0;
}
/*:*/
/*H:551, continued :*/
static int test_code_unmapped_behind_the_host(void)
{
	u8 *page = page_alloc();
	volatile u64 *pte;
	u64 was, v;

	if (!page)
		return 0;
	pt_map(kernel_root, TEST_VA, guest_pa(page), 0);
	page[0] = 0x0f, page[1] = 0x0b;		/* ud2 */
	(void)*(volatile u8 *)TEST_VA;		/* the Host fills its shadow */
	pte = pt_entry(kernel_root, TEST_VA, 0, 0);
	was = *pte;
	*pte = 0;				/* and is not told */
	v = probe_jump(TEST_VA);
	*pte = was;
	pt_unmap(kernel_root, TEST_VA);
	page_free(page);
	return v == 6;
}
/*:*/
/*H:551, continued :*/
static int test_learned_place(void)
{
	u8 *page = page_alloc();
	u64 v[4];

	if (!page)
		return 0;
	pt_map(kernel_root, TEST_VA, guest_pa(page), PTE_W);
	page[0] = 0xcd, page[1] = LG_HCALL_VECTOR;
	page[2] = 0xff, page[3] = 0xe2;		/* jmp *%rdx */
	v[0] = probe_jump_with_rax(TEST_VA, LHCALL_NOP);
	v[1] = probe_jump_with_rax(TEST_VA, LHCALL_NOP);
	page[0] = 0x0f, page[1] = 0x0b;		/* ud2, unannounced */
	v[2] = probe_jump_with_rax(TEST_VA, LHCALL_SET_CLOCKEVENT);
	pt_unmap(kernel_root, TEST_VA);
	pt_map(kernel_root, TEST_VA, guest_pa(page), PTE_W);
	v[3] = probe_jump_with_rax(TEST_VA, LHCALL_NOP);
	pt_unmap(kernel_root, TEST_VA);
	page_free(page);
	return !v[0] && !v[1] && v[2] == 6 && v[3] == 6;
}
/*:*/
/*G:530 What a hypercall costs.
 * Not a test, but a number every reader of this book should see once: how long
 * the round trip to the Host takes. We time a thousand do-nothing hypercalls
 * (printing zero bytes) with the time-stamp counter, which ring 3 may read, and
 * report the average in TSC cycles. On hardware KVM it is a few hundred cycles;
 * on the book's machine (two CPUs, a nested kvm_pvm, 2026) the trap alone costs
 * over twelve microseconds and every Host instruction half a microsecond more,
 * so expect tens of thousands. :*/
static u64 rdtsc(void)
{
	u32 lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (u64)hi << 32 | lo;
}

/*:*/
/*G:530, continued :*/
static void report_hypercall_cost(void)
{
	const int n = 1000;
	u64 start = rdtsc();

	for (int i = 0; i < n; i++)
		hcall(LHCALL_CONSOLE_WRITE, guest_pa(_end) - 1, 0, 0);
	printk("selftest: a hypercall takes %llu TSC cycles\n", (rdtsc() - start) / n);
}
/*:*/

static const struct guest_test tests[] = {
	/*G:510, continued :*/
	{ "runs at CPL 3", test_cpl },
	{ "the image lies in the RAM window", test_window },
	{ "registers survive a hypercall", test_hypercall_registers },
	/*:*/
	/*G:520, continued :*/
	{ "a page fault reaches the Guest with its address", test_page_fault },
	{ "the Host's slot is out of the Guest's reach", test_host_slot },
	{ "ud2, int3, cli and outb reach the Guest's handler", test_traps },
	/*:*/
	/*G:770, continued :*/
	{ "pages come from the window, zeroed, and go back", test_pages },
	{ "the heap keeps objects apart and reuses them", test_heap },
	{ "our own page tables are in force (the alias)", test_own_tables },
	/*:*/
	/*G:775, continued :*/
	{ "a fresh page appears at a new address, and faults once unmapped", test_fresh_page },
	{ "a read-only page reads, and a store to it faults", test_read_only },
	{ "a page read is accessed, a page written is dirty", test_dirty_bit },
	{ "six address spaces, switched and switched back", test_roots },
	/*:*/
	/*G:775, continued :*/
	{ "a null hypercall runs the calls queued before it", test_ring_before_null },
	/*:*/
	/*G:780, continued :*/
	{ "a page-fault fill costs more than a filled page", test_measure_fill },
	{ "512 entries batched cost less than one trap each", test_measure_batching },
	/*:*/
	/*G:910, continued :*/
	{ "the Host gives a plausible TSC frequency", test_tsc_frequency },
	/*:*/
	/*G:915, continued :*/
	{ "a clock event fires after the time asked, within 50 ms", test_clock_event },
	/*:*/
	/*G:920, continued :*/
	{ "msleep(5) sleeps at least 5 ms", test_msleep },
	/*:*/
	/*G:925, continued :*/
	{ "interrupts wait while disabled, arrive on enable", test_pending_while_disabled },
	/*:*/
	/*G:930, continued :*/
	{ "halt sleeps until the clock event and wakes in its handler", test_halt_wakes },
	/*:*/
	/*G:935, continued :*/
	{ "an exception inside an interrupt handler reaches the Guest", test_nested_exception },
	{ "interrupt handlers run on the interrupt stack", test_interrupt_stack },
	/*:*/
	/*G:937, continued :*/
	{ "an exception goes to the handler its vector has in the table", test_exception_table },
	/*:*/
	/*G:940, continued :*/
	{ "printk keeps messages above the loglevel and drops the rest", test_printk_levels },
	{ "a backtrace walks the frame pointers", test_backtrace },
	/*:*/
	/*H:551, continued :*/
	{ "a hypercall across two pages is still a hypercall", test_hypercall_across_pages },
	/*:*/
	/*H:551, continued :*/
	{ "port 0 is not the Guest's either", test_port0 },
	/*:*/
	/*H:551, continued :*/
	{ "int $0x80 is not a hypercall", test_int80 },
	/*:*/
	/*H:551, continued :*/
	{ "code our table no longer maps is not a hypercall", test_code_unmapped_behind_the_host },
	/*:*/
	/*H:551, continued :*/
	{ "a learned place holding other code is no hypercall", test_learned_place },
	/*:*/
};

/*G:505, continued :*/
static const char *skip_why;

int selftest_skip(const char *why)
{
	skip_why = why;
	return SELFTEST_SKIP;
}
/*:*/

static void selftest_run(const struct guest_test *t, int *failed, int *skipped)
{
	int r = t->run();

	/*G:505, continued :*/
	if (r == SELFTEST_SKIP)
		printk("selftest: skip %s (%s)\n", t->name, skip_why);
	else
		printk("selftest: %s %s\n", r ? "ok  " : "FAIL", t->name);
	/*:*/
	*failed += r == 0;
	*skipped += r == SELFTEST_SKIP;
}

/*:*/
/*G:500, continued :*/
int guest_selftest(void)
{
	int n = (int)(sizeof(tests) / sizeof(tests[0])), failed = 0, skipped = 0;

	for (int i = 0; i < n; i++)
		selftest_run(&tests[i], &failed, &skipped);
	/*D:127, continued :*/
	{
		extern const struct guest_test *const __start_guest_tests[], *const __stop_guest_tests[];

		for (const struct guest_test *const *t = __start_guest_tests; t < __stop_guest_tests; t++, n++)
			selftest_run(*t, &failed, &skipped);
	}
	/*:*/
	printk("selftest: %d passed, %d failed, %d skipped\n", n - failed - skipped,
	       failed, skipped);
	report_hypercall_cost();
	return failed ? 1 : 0;
}
/*:*/
