/* Tangled from chapters/37-launcher-debug.nw by `make tangle`: edit the chapter, not this file. */
/*L:782, continued :*/
/* Kill reasons and Host panics in chapter terms, from build/places. */
#include "launcher.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static struct {
	const char *text;		/* the mapped table, or NULL */
	size_t size;
	const struct image *image[2];	/* the Host and the Guest we loaded */
	char line[256];			/* the console line being written */
	size_t len;
} places;

void places_open(const struct image *host, const struct image *guest)
{
	char path[4096];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 8);
	struct stat st;
	char *slash;
	int fd;

	places.image[0] = host;
	places.image[1] = guest;
	if (n <= 0 || !(path[n] = '\0', slash = strrchr(path, '/')))
		return;
	strcpy(slash + 1, "places");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0 && st.st_size > 0) {
		void *p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p != MAP_FAILED)
			places.text = p, places.size = st.st_size;
	}
	close(fd);
}

static u64 places_hash(const struct image *img)
{
	u64 h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < img->size; i++)
		h = (h ^ img->data[i]) * 0x100000001b3ull;
	return h;
}

/*L:792 Looking an address up.
 * We walk the table once: a block counts if its hash and size are those of one
 * of our images, and within it the last row at or below the address is the
 * place. A line-table row covers only up to the next row, and the last row of
 * an image has no next; an address more than 256 bytes past its row (in data,
 * or past the image's code) is not trusted to be there, and gets no name. The
 * table is text we wrote, but we parse it with bounds all the same: a table
 * truncated by a full disk must not crash the message it was meant to improve. :*/
static const char *places_find(u64 addr, char *out, size_t size)
{
	u64 hash[2] = { places_hash(places.image[0]), places_hash(places.image[1]) };
	const char *s = places.text, *end = places.text + places.size;
	unsigned long long a, h, best = 0;
	long n;
	bool ours = false;

	out[0] = '\0';
	while (s && s < end) {
		const char *nl = memchr(s, '\n', end - s);
		int len = nl ? (int)(nl - s) : (int)(end - s);
		char row[300];

		snprintf(row, sizeof(row), "%.*s", len, s);
		s += len + 1;
		if (sscanf(row, "image %llx %ld", &h, &n) == 2)
			ours = (h == hash[0] && (size_t)n == places.image[0]->size) ||
			       (h == hash[1] && (size_t)n == places.image[1]->size);
		else if (ours && sscanf(row, "%llx %n", &a, &len) == 1 && a <= addr && a >= best) {
			best = a;
			snprintf(out, size, "%s", row + len);
		}
	}
	return out[0] && addr - best <= 256 ? out : NULL;
}
/*:*/

/*L:792, continued :*/
const char *places_name(const char *text)
{
	static char name[300];
	char place[280];
	const char *rip = text ? strstr(text, "rip 0x") : NULL;
	unsigned long long addr;

	if (!rip || !places.text || sscanf(rip + 4, "%llx", &addr) != 1 ||
	    !places_find(addr, place, sizeof(place)))
		return "";
	snprintf(name, sizeof(name), " (%s)", place);
	return name;
}
/*:*/

/*L:792, continued :*/
void places_console(u8 c)
{
	const char *name;

	if (c != '\n') {
		if (places.len + 1 < sizeof(places.line))
			places.line[places.len++] = c;
		return;
	}
	places.line[places.len] = '\0';
	places.len = 0;
	if (!strstr(places.line, "host panic:"))
		return;
	name = places_name(places.line);
	if (*name && write(STDOUT_FILENO, name, strlen(name)) < 0)
		return;
}
/*:*/
/*:*/
