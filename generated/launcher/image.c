/* Tangled from chapters/31-launcher-pvh.nw by `make tangle`: edit the chapter, not this file. */
/* Images: read from a file, inflated if gzip'd, or built into the Launcher. */
#include "launcher.h"
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/*L:310 Reading a file.
 * We read the whole file at once: images are a few hundred KiB. We read until
 * end of file rather than trusting the size `fstat` reports, so that a pipe or
 * `/dev/stdin` works too. Each failure says which file and what to do; an
 * empty file and a directory are the two mistakes `open` does not catch. :*/
static u8 *read_file(const char *path, const char *what, size_t *size)
{
	struct stat st;
	size_t len = 0, cap = 1 << 16;
	u8 *buf = malloc(cap);
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		err(1, "cannot open %s '%s'; check the path", what, path);
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
		errx(1, "%s '%s' is a directory; give an ELF file", what, path);
	for (;;) {
		ssize_t n;

		if (len == cap && !(buf = realloc(buf, cap *= 2)))
			errx(1, "%s '%s' is too large to read into memory", what, path);
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err(1, "cannot read %s '%s'", what, path);
		if (n == 0)
			break;
		len += n;
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
 * buffer as `inflate` fills it. No sane image inflates past the largest
 * machine we can build, so that is our bound: a "zip bomb" stops there. :*/
static void gunzip(struct image *img, u8 *in, size_t in_size, const char *what)
{
	z_stream z = { .next_in = in, .avail_in = in_size };
	size_t cap = in_size * 4;
	u8 *out = malloc(cap);
	int ret;

	if (!out || inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		errx(1, "cannot start inflating %s '%s'", what, img->name);
	do {
		if (z.total_out == cap) {
			if (cap >= (u64)LG_MEMORY_MAX_MB << 20)
				errx(1, "%s '%s' inflates to more than %d MiB; is it really a gzip'd ELF?",
				     what, img->name, LG_MEMORY_MAX_MB);
			if (!(out = realloc(out, cap *= 2)))
				errx(1, "out of memory inflating %s '%s'", what, img->name);
		}
		z.next_out = out + z.total_out;
		z.avail_out = cap - z.total_out;
		ret = inflate(&z, Z_NO_FLUSH);
	} while (ret == Z_OK);
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
 * Both images must be ELF files; the Host's is checked more closely when we
 * load it, the Guest's by the Host. Here we only catch the common mistake of
 * naming the wrong file, and show its first bytes, which often tell at a glance
 * what it really is. :*/
static void image_check_elf(const struct image *img, const char *what)
{
	const u8 *d = img->data;

	if (img->size < 4 || memcmp(d, "\177ELF", 4) != 0)
		errx(1, "%s '%s' is not an ELF file (it starts with %02x %02x %02x %02x); "
		     "give an ELF image such as build/guest.elf",
		     what, img->name, d[0], img->size > 1 ? d[1] : 0,
		     img->size > 2 ? d[2] : 0, img->size > 3 ? d[3] : 0);
}
/*:*/

void image_from_file(struct image *img, const char *path, const char *what)
{
	size_t size;
	u8 *data = read_file(path, what, &size);

	*img = (struct image){ .name = path, .data = data, .size = size };
	if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b)
		gunzip(img, data, size, what);
	image_check_elf(img, what);
}

extern const u8 lg_builtin_host[], lg_builtin_host_end[];
extern const u8 lg_builtin_guest[], lg_builtin_guest_end[];

void image_builtin(struct image *img, enum lg_builtin which)
{
	if (which == LG_BUILTIN_HOST)
		*img = (struct image){ "built-in Host (build/host.elf)", lg_builtin_host,
				       lg_builtin_host_end - lg_builtin_host };
	else
		*img = (struct image){ "built-in Guest (build/guest.elf)", lg_builtin_guest,
				       lg_builtin_guest_end - lg_builtin_guest };
	image_check_elf(img, "image");
}
