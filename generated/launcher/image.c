/* Tangled from chapters/31-launcher-pvh.nw by `make tangle`: edit the chapter, not this file. */
/*L:300, continued :*/
/* Images: read from a file, inflated if gzip'd, or built into the Launcher. */
#include "launcher.h"
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdnoreturn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static const char *const image_what[] = {
	[LG_HOST_IMAGE] = "Host image", [LG_GUEST_IMAGE] = "Guest image",
};
static const char *const image_hint[] = {
	[LG_HOST_IMAGE] = "a Host image is a PVH kernel such as build/host.elf",
	[LG_GUEST_IMAGE] = "a Guest image is an ELF kernel such as build/guest.elf",
};

static noreturn void too_large(const char *what, const char *name, const char *verb,
			       u64 limit)
{
	errx(1, "%s '%s' %s larger than the machine's RAM (%llu MiB), so it cannot be "
	     "loaded; is it really a kernel? (--memory sets the RAM)",
	     what, name, verb, (unsigned long long)(limit >> 20));
}

/*L:305 No image larger than the machine.
 * How large may an image be? Whatever we read must end up in the machine's RAM:
 * the Host's segments are copied there, and the Guest image is copied there
 * whole, as module 0 (*L:470*). So the machine's RAM, `--memory`, is the bound,
 * and we apply it while reading, not after. Without it, `lguest /dev/zero`
 * reads until `malloc` gives up, eating the host's memory on the way, and a
 * gzip "bomb", a few MiB that inflate to gigabytes, costs gigabytes before
 * anything looks at it. With it, neither costs more than the RAM the user
 * already agreed to give the machine.
 *
 * One helper grows a buffer for both readers, doubling, but never past
 * `limit + 1` bytes: the one byte more is how a reader notices that the input
 * goes on past the limit, without a separate probe. :*/
static u8 *grow(u8 *buf, size_t *cap, u64 limit, const char *what, const char *name)
{
	size_t want = *cap ? *cap * 2 : 1 << 16;

	if (want > limit + 1)
		want = limit + 1;
	if (!(buf = realloc(buf, want)))
		errx(1, "out of memory reading %s '%s'", what, name);
	*cap = want;
	return buf;
}
/*:*/

/*L:310 Reading a file.
 * We read the whole file at once: images are a few hundred KiB. We read until
 * end of file rather than trusting the size `fstat` reports, so that a pipe or
 * `/dev/stdin` works too. Each failure says which file and what to do; an
 * empty file and a directory are the two mistakes `open` does not catch. A
 * regular file that `fstat` says is larger than RAM is refused before we read a
 * byte of it; a pipe or a device, which has no size, is refused as soon as it
 * has given us one byte more than RAM. :*/
static u8 *read_file(const char *path, const char *what, u64 limit, size_t *size)
{
	struct stat st;
	size_t len = 0, cap = 0;
	u8 *buf = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		err(1, "cannot open %s '%s'; check the path", what, path);
	if (fstat(fd, &st) < 0)
		err(1, "cannot read %s '%s'", what, path);
	if (S_ISDIR(st.st_mode))
		errx(1, "%s '%s' is a directory; give an ELF file", what, path);
	if (S_ISREG(st.st_mode) && (u64)st.st_size > limit)
		too_large(what, path, "is", limit);
	for (;;) {
		ssize_t n;

		if (len == cap)
			buf = grow(buf, &cap, limit, what, path);
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err(1, "cannot read %s '%s'", what, path);
		if (n == 0)
			break;
		len += n;
		if (len > limit)
			too_large(what, path, "is", limit);
	}
	close(fd);
	if (len == 0)
		errx(1, "%s '%s' is empty; give an ELF file", what, path);
	*size = len;
	return buf;
}
/*:*/

/*L:320 Inflating a gzip'd image.
 * zlib's `inflate` does the work; `16 + MAX_WBITS` tells it to expect a gzip
 * header and trailer (with its CRC, so a damaged file is caught). We do not
 * know the inflated size in advance (gzip keeps it, modulo 4 GiB, in its last
 * four bytes, but a damaged file could say anything), so we grow the output
 * buffer as `inflate` fills it, with the same helper and the same bound as a
 * file (*L:305*): the machine's RAM. A "zip bomb" stops the moment its output
 * passes that, having cost no more than the RAM itself. (We once bounded it by
 * the largest machine we can build, 3 GiB, whatever the machine in hand: a
 * 4 MiB file then cost some 4 GiB of the host's memory before it was refused.) :*/
static void gunzip(struct image *img, u8 *in, size_t in_size, u64 limit)
{
	z_stream z = { .next_in = in, .avail_in = in_size };
	const char *what = img->what;
	size_t cap = 0;
	u8 *out = NULL;
	int ret;

	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		errx(1, "cannot start inflating %s '%s'", what, img->name);
	do {
		if (z.total_out > limit)
			too_large(what, img->name, "inflates to something", limit);
		if (z.total_out == cap)
			out = grow(out, &cap, limit, what, img->name);
		z.next_out = out + z.total_out;
		z.avail_out = cap - z.total_out;
		ret = inflate(&z, Z_NO_FLUSH);
	} while (ret == Z_OK);
	if (z.total_out > limit)
		too_large(what, img->name, "inflates to something", limit);
	if (ret == Z_BUF_ERROR)
		errx(1, "%s '%s' is a truncated gzip file; copy or build it again", what, img->name);
	if (ret == Z_DATA_ERROR)
		errx(1, "%s '%s' is a corrupt gzip file (%s); copy or build it again",
		     what, img->name, z.msg ? z.msg : "bad data");
	if (ret != Z_STREAM_END)
		errx(1, "cannot inflate %s '%s' (zlib error %d)", what, img->name, ret);
	img->data = out;
	img->size = z.total_out;
	inflateEnd(&z);
	lg_say("inflated %s '%s': %zu bytes to %zu", what, img->name, in_size, img->size);
}
/*:*/

/*L:330 Is it an ELF file?
 * Both images must be ELF files, and both are checked closely when we place
 * them (*L:445*, *L:475*). Here we only catch the common mistake of naming the
 * wrong file, show its first bytes, which often tell at a glance what it
 * really is, and say what kind of file was wanted: for `--host=`, the Host,
 * not the Guest. :*/
static void image_check_elf(const struct image *img, enum lg_image_kind kind)
{
	const u8 *d = img->data;

	if (img->size < 4 || memcmp(d, "\177ELF", 4) != 0)
		errx(1, "%s '%s' is not an ELF file (it starts with %02x %02x %02x %02x); %s",
		     img->what, img->name, d[0], img->size > 1 ? d[1] : 0,
		     img->size > 2 ? d[2] : 0, img->size > 3 ? d[3] : 0, image_hint[kind]);
}
/*:*/

void image_from_file(struct image *img, const char *path, enum lg_image_kind kind,
		     u64 limit)
{
	size_t size;
	u8 *data = read_file(path, image_what[kind], limit, &size);

	*img = (struct image){ .name = path, .what = image_what[kind], .data = data,
			       .size = size };
	if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b)
		gunzip(img, data, size, limit);
	image_check_elf(img, kind);
}

extern const u8 lg_builtin_host[], lg_builtin_host_end[];
extern const u8 lg_builtin_guest[], lg_builtin_guest_end[];

void image_builtin(struct image *img, enum lg_image_kind kind)
{
	if (kind == LG_HOST_IMAGE)
		*img = (struct image){ "built-in Host (build/host.elf)", image_what[kind],
				       lg_builtin_host, lg_builtin_host_end - lg_builtin_host };
	else
		*img = (struct image){ "built-in Guest (build/guest.elf)", image_what[kind],
				       lg_builtin_guest, lg_builtin_guest_end - lg_builtin_guest };
	image_check_elf(img, kind);
}
/*:*/
