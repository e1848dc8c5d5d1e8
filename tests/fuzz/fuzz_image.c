/* Fuzz target "image": the Launcher's image loader (launcher/image.c: read,
 * gunzip, ELF check) and its PVH loader (launcher/pvh.c: the Host's ELF and
 * its entry note, the Guest module, the command line and start_info).  We
 * include both files, so their static state (pvh.c's host_end) can be reset
 * for each input, and so realloc() can be watched.
 *
 * Input: byte 0 says what the rest is.  Bit 0 clear: a Host image (loaded as
 * `--host=FILE` would be); set: a Guest image (loaded as the module, above a
 * Host that ends at 2 MiB).  Bit 1: also build the Host's command line from the
 * last 64 bytes of the input (NUL-separated Guest arguments) and write the
 * start_info page.  The file is served from a memfd, through its
 * /proc/self/fd path, so read_file() reads it as it would read a disk file.
 *
 * Guest RAM is 16 MiB.  The harness aborts (a finding) when the Launcher
 * accepts what it must refuse:
 *   - an image, once read and inflated, larger than RAM (a gzip bomb), or
 *     any single allocation while reading one above twice RAM (the bomb
 *     grows before it is refused);
 *   - a Host whose PVH entry lies outside every PT_LOAD segment it loaded;
 *   - a Guest whose PT_LOAD segments overlap where its module was put.
 * err()/errx() are clean refusals. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <elf.h>
#include "fake_launcher.h"

#define IMAGE_RAM (16ULL << 20)

/* Every allocation the loader makes (zlib's too) is tracked, and freed when
 * the input is done: the loader leaks on its error paths, harmless in the
 * Launcher, which exits, but over millions of inputs it would fill memory. */
#define ARENA 256
static void *arena[ARENA];
static int narena;

static void *track(void *p)
{
	if (p && narena < ARENA)
		arena[narena++] = p;
	return p;
}

static void untrack(void *p)
{
	for (int i = 0; i < narena; i++)
		if (arena[i] == p) {
			arena[i] = arena[--narena];
			return;
		}
}

static void *fuzz_realloc(void *p, size_t n);
static void *fuzz_malloc(size_t n) { return track(malloc(n)); }
static void *fuzz_calloc(size_t n, size_t m) { return track(calloc(n, m)); }
static void fuzz_free(void *p) { untrack(p); free(p); }
#include <zlib.h>
static voidpf fuzz_zalloc(voidpf o, uInt n, uInt m) { (void)o; return fuzz_calloc(n, m); }
static void fuzz_zfree(voidpf o, voidpf p) { (void)o; fuzz_free(p); }
#undef inflateInit2
#define inflateInit2(s, w) ((s)->zalloc = fuzz_zalloc, (s)->zfree = fuzz_zfree, \
			    inflateInit2_((s), (w), ZLIB_VERSION, (int)sizeof(z_stream)))
#define realloc(p, n) fuzz_realloc(p, n)
#define malloc(n) fuzz_malloc(n)
#define calloc(n, m) fuzz_calloc(n, m)
#define free(p) fuzz_free(p)
#include "image.c"
#include "pvh.c"
#undef realloc
#undef malloc
#undef calloc
#undef free

const u8 lg_builtin_host[1], lg_builtin_host_end[1];
const u8 lg_builtin_guest[1], lg_builtin_guest_end[1];


static void *fuzz_realloc(void *p, size_t n)
{
	if (n > 2 * IMAGE_RAM && fuzz_skip_known())
		return NULL;	/* the known gzip bomb: the loader says "out of memory" */
	if (n > 2 * IMAGE_RAM) {
		fprintf(stderr, "fuzz-image: an allocation of %zu bytes while reading an "
			"image, more than twice the Guest's %llu MiB RAM\n", n, IMAGE_RAM >> 20);
		abort();
	}
	void *q = realloc(p, n);

	if (q) {
		untrack(p);
		track(q);
	}
	return q;
}

static int memfd = -1;
static char path[64];
static struct image img;
static u32 entry;
static u64 module;
static int guest_argc;
static char *guest_argv[64];

static void load_host(void *arg)
{
	(void)arg;
	image_from_file(&img, path, LG_HOST_IMAGE, IMAGE_RAM);
	entry = pvh_load_host(&img);
}

static void load_guest(void *arg)
{
	(void)arg;
	image_from_file(&img, path, LG_GUEST_IMAGE, IMAGE_RAM);
	module = pvh_load_module(&img);
}

static void start_info(void *arg)
{
	char *line = pvh_host_cmdline("virtio_mmio.device=0x200@0xd0000000:5 ",
				      guest_argc, guest_argv);

	(void)arg;
	pvh_write_start_info(line, module, img.size);
}

/* The ELF's PT_LOAD segments, when its header and table are in the file. */
static int segments(const struct image *im, Elf64_Phdr *out, int max)
{
	const Elf64_Ehdr *eh = (const void *)im->data;
	int n = 0;

	if (im->size < sizeof(*eh) || eh->e_phentsize != sizeof(Elf64_Phdr) ||
	    eh->e_phoff > im->size || eh->e_phnum > (im->size - eh->e_phoff) / sizeof(Elf64_Phdr))
		return -1;
	for (int i = 0; i < eh->e_phnum && n < max; i++) {
		Elf64_Phdr ph;

		memcpy(&ph, im->data + eh->e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type == PT_LOAD && ph.p_memsz)
			out[n++] = ph;
	}
	return n;
}

static void check_host(void)
{
	Elf64_Phdr ph[64];
	int n = segments(&img, ph, 64);

	for (int i = 0; i < n; i++)
		if (entry >= ph[i].p_paddr && entry - ph[i].p_paddr < ph[i].p_memsz)
			return;
	fprintf(stderr, "fuzz-image: Host '%s' accepted with its PVH entry %#x outside "
		"every loaded segment\n", img.name, entry);
	abort();
}

static void check_guest(void)
{
	Elf64_Phdr ph[64];
	int n = segments(&img, ph, 64);

	for (int i = 0; i < n; i++) {
		u64 start = ph[i].p_paddr, end = start + ph[i].p_memsz;

		if (end < start || (start < module + img.size && module < end)) {
			fprintf(stderr, "fuzz-image: Guest '%s' accepted, its segment [%#llx, "
				"%#llx) overlapping its module at [%#llx, %#llx)\n", img.name,
				start, end, module, module + img.size);
			abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	bool guest, cmdline;
	char words[65];

	if (memfd < 0) {
		fuzz_ram_init(IMAGE_RAM);
		memfd = memfd_create("fuzz-image", 0);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	}
	if (size < 1)
		return 0;
	guest = data[0] & 1, cmdline = data[0] & 2;
	data++, size--;
	if (ftruncate(memfd, 0) < 0 || pwrite(memfd, data, size, 0) != (ssize_t)size)
		abort();
	img = (struct image){ 0 };
	host_end = guest ? 0x200000 : 0;
	entry = 0, module = 0;
	if (fuzz_try(guest ? load_guest : load_host, NULL) == FUZZ_RAN) {
		if (img.size > IMAGE_RAM && !fuzz_skip_known()) {
			fprintf(stderr, "fuzz-image: an image of %zu bytes accepted in %llu MiB "
				"of RAM\n", img.size, IMAGE_RAM >> 20);
			abort();
		}
		if (fuzz_skip_known())
			;		/* both checks are issue 10's bugs */
		else if (guest)
			check_guest();
		else
			check_host();
		if (cmdline) {
			size_t n = size < 64 ? size : 64;

			memcpy(words, data + size - n, n);
			words[n] = '\0';
			guest_argc = 0;
			for (size_t i = 0; i < n && guest_argc < 64; i += strlen(words + i) + 1)
				guest_argv[guest_argc++] = words + i;
			fuzz_try(start_info, NULL);
		}
	}
	while (narena)
		free(arena[--narena]);	/* the image, and whatever the loader left */
	return 0;
}
