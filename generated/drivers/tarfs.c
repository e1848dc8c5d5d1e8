/* Tangled from chapters/22-drivers-block.nw by `make tangle`: edit the chapter, not this file. */
/*D:600, continued :*/
/* The ustar reader: headers, the walk, lookup, listing, reading. */
#include "lib.h"
#include "tarfs.h"

/*D:610 The header.
 * A header is a block of fixed fields, most of them numbers written as
 * octal text. We need seven of them: the two halves of the name, the size,
 * the checksum, the type, and the magic word that says this is ustar at
 * all. The mode, owner, times and link target are there too; a read-only
 * file system with one user has no use for them. :*/
#define TAR_NAME	0		/* 100 bytes */
#define TAR_SIZE	124		/* 12 bytes, octal */
#define TAR_CHKSUM	148		/* 8 bytes, octal */
#define TAR_TYPE	156		/* 1 byte */
#define TAR_MAGIC	257		/* "ustar" */
#define TAR_PREFIX	345		/* 155 bytes */
/*:*/
/*D:615 Octal numbers.
 * A number field is ASCII octal, padded in front with spaces or zeros and
 * ended by a space or a NUL (GNU tar writes `00000001750\0`). We accept
 * exactly that and nothing else: a field with any other byte in it is a
 * broken header, not a number we should guess at. That includes GNU's
 * base-256 form for sizes of 8 GiB and more, which `--format=ustar` never
 * writes. Twelve octal digits are 36 bits, so the sum cannot overflow. :*/
static int tar_octal(const u8 *field, unsigned len, u64 *out)
{
	unsigned i = 0;
	u64 n = 0;

	while (i < len && field[i] == ' ')
		i++;
	for (; i < len && field[i] >= '0' && field[i] <= '7'; i++)
		n = n << 3 | (u64)(field[i] - '0');
	for (; i < len; i++)
		if (field[i] != ' ' && field[i] != '\0')
			return -1;
	*out = n;
	return 0;
}
/*:*/
/*D:620 The checksum.
 * The checksum is the sum of the header's 512 bytes, counting its own
 * eight bytes as spaces. It is the cheapest defence we have against reading
 * garbage as a file: a random sector passes it about once in a few
 * thousand, and must then also carry the magic. Some old archivers summed
 * *signed* bytes, so POSIX asks a reader to accept either sum. :*/
static int tar_checksum_ok(const u8 *b)
{
	u64 want, sum = 0;
	s64 ssum = 0;

	if (tar_octal(b + TAR_CHKSUM, 8, &want) < 0)
		return 0;
	for (unsigned i = 0; i < TAR_BLOCK; i++) {
		u8 c = i >= TAR_CHKSUM && i < TAR_CHKSUM + 8 ? ' ' : b[i];

		sum += c;
		ssum += (signed char)c;
	}
	return want == sum || want == (u64)ssum;
}
/*:*/
/*D:625 Names.
 * A name field is filled up to its end or to its first NUL; a field
 * that is full has no terminator at all, which is the classic way to read
 * past a tar header. The full path is the prefix, a slash, and the name. :*/
static u64 tar_field(char *out, const u8 *field, unsigned len)
{
	u64 n = 0;

	while (n < len && field[n])
		out[n] = field[n], n++;
	return n;
}

static void tar_full_name(const u8 *b, char *out)
{
	u64 n = tar_field(out, b + TAR_PREFIX, 155);

	if (n)
		out[n++] = '/';
	n += tar_field(out + n, b + TAR_NAME, 100);
	out[n] = '\0';
}
/*:*/
static void tar_clean(const char *in, char *out)
{
	u64 n = 0, len;

	while (*in) {
		for (len = 0; in[len] && in[len] != '/'; len++)
			;
		if (len && !(len == 1 && in[0] == '.')) {
			if (n)
				out[n++] = '/';
			memcpy(out + n, in, len);
			n += len;
		}
		in += len;
		while (*in == '/')
			in++;
	}
	out[n] = '\0';
}
/*D:630 One header.
 * A block of zeros ends the archive (ustar writes two, but one is enough to
 * stop). Anything else must carry the magic and a right checksum, and a
 * readable size. The type byte says what the entry is: `0`, NUL and `7` are
 * files, `5` a directory; an old archive marks a directory only by the
 * trailing slash of its name. Links and devices (`1` to `6`) never have data,
 * whatever their size field says; every other type, known or not, is
 * followed by `size` bytes, as POSIX asks of unknown types.
 *
 * `tar_parse` returns 1 for an entry, 0 for the end, and `TAR_ECORRUPT`;
 * the caller knows where the data starts, so it fills `data` itself. :*/
static int tar_is_zero(const u8 *b)
{
	for (unsigned i = 0; i < TAR_BLOCK; i++)
		if (b[i])
			return 0;
	return 1;
}

int tar_parse(const u8 *b, struct tar_entry *e)
{
	char full[TAR_NAME_MAX + 1];
	u8 t = b[TAR_TYPE];
	u64 n;

	if (tar_is_zero(b))
		return 0;
	if (memcmp(b + TAR_MAGIC, "ustar", 5) || !tar_checksum_ok(b) ||
	    tar_octal(b + TAR_SIZE, 12, &e->size) < 0)
		return TAR_ECORRUPT;
	tar_full_name(b, full);
	n = strlen(full);
	e->type = t == '5' || ((t == '0' || !t) && n && full[n - 1] == '/') ? TAR_DIR :
		  t == '0' || t == '\0' || t == '7' ? TAR_FILE : TAR_OTHER;
	if (e->type == TAR_DIR || (t >= '1' && t <= '6'))
		e->size = 0;
	tar_clean(full, e->name);
	return 1;
}
/*:*/
/*D:635 The walk.
 * Everything else is a walk over the headers from sector 0. Each header is
 * one read of one sector; its data is stepped over, not read. Before we step,
 * we check that the data fits on the disk: `sectors - data` is the room left
 * (it cannot wrap, since the header's own sector was below `sectors`), and a
 * size that needs more is a damaged or hostile archive. The walk also ends,
 * without complaint, at the disk's end when no zero block came first, which
 * is what a disk image holding only the start of an archive looks like.
 *
 * A broken first header means there is no archive here at all, which is
 * worth telling apart from a broken archive: a disk of random bytes, or one
 * that `blk write` has scribbled on, is not a tar, and the shell says so. So
 * is a disk whose first sector is zeros. Strictly that is an empty archive
 * (GNU tar writes one as ten kilobytes of zeros), but it is also exactly what
 * a new, blank disk looks like, and calling it "no archive" is the more
 * useful answer when the shell is choosing which disk to read files from. The walk
 * returns how many entries it visited, and calls `fn` for each that has a
 * name (the root directory's own entry, `./`, has none). :*/
int tarfs_walk(const struct tarfs *fs, void (*fn)(void *arg, const struct tar_entry *e),
	       void *arg)
{
	u8 block[TAR_BLOCK];
	struct tar_entry e;
	u64 sector = 0, span;
	int n = 0, r;

	while (sector < fs->sectors) {
		if (fs->read(fs->ctx, sector, block, 1) < 0)
			return TAR_EIO;
		r = tar_parse(block, &e);
		if (r == 0 && sector == 0)
			return TAR_ENOTTAR;
		if (r == 0)
			break;
		if (r < 0)
			return sector == 0 ? TAR_ENOTTAR : TAR_ECORRUPT;
		e.data = sector + 1;
		span = (e.size + TAR_BLOCK - 1) / TAR_BLOCK;
		if (span > fs->sectors - e.data)
			return TAR_ECORRUPT;
		if (e.name[0] && fn)
			fn(arg, &e);
		n++;
		sector = e.data + span;
	}
	return n;
}
/*:*/
/*D:640 Looking a path up.
 * To find a path we walk the whole archive and keep the *last* entry of
 * that name: `tar -r` appends a new copy of a file rather than changing the
 * old one, and the last copy is the file. A path may also be a directory
 * that has no entry of its own (`tar -cf x a/b/c` records only `a/b/c`); if
 * anything lies below it, it exists, and we make up its entry. The empty
 * path is the root, which always exists, even on an empty archive. :*/
struct tar_find {
	const char *path;
	u64 len;
	struct tar_entry *e;
	int found, below;
};

static int tar_is_below(const char *name, const char *dir, u64 len)
{
	return len == 0 || (!memcmp(name, dir, len) && name[len] == '/');
}

static void tar_find_one(void *arg, const struct tar_entry *e)
{
	struct tar_find *f = arg;

	if (!strcmp(e->name, f->path))
		*f->e = *e, f->found = 1;
	else if (tar_is_below(e->name, f->path, f->len))
		f->below = 1;
}
/*:*/
int tarfs_lookup(const struct tarfs *fs, const char *path, struct tar_entry *e)
{
	char buf[TAR_NAME_MAX + 1];
	struct tar_find f = { 0 };
	int r;

	if (strlen(path) > TAR_NAME_MAX)
		return TAR_ENOENT;
	tar_clean(path, buf);
	f.path = buf;
	f.len = strlen(f.path);
	f.e = e;
	r = tarfs_walk(fs, tar_find_one, &f);
	if (r < 0)
		return r;
	if (!f.found && !f.below && f.len)
		return TAR_ENOENT;
	if (!f.found) {
		memcpy(e->name, f.path, f.len + 1);
		e->type = TAR_DIR, e->size = 0, e->data = 0;
	}
	return 0;
}
/*D:645 Listing a directory.
 * `ls` wants the *children* of a directory: for every entry below it, the
 * first component after the directory's own name. Files come out as they
 * are; a component with more path after it is a directory, and so is an
 * entry whose type says so. The same directory turns up once for each thing
 * inside it, so we remember which directories we have printed, as 64-bit
 * FNV-1a hashes of their names, up to 256 of them per listing. Beyond that
 * a directory may be printed twice; a collision of two hashes could hide
 * one, with odds of about one in 2^57 for 256 names, which we accept. :*/
#define TAR_LIST_DIRS 256

struct tar_list {
	const char *dir;
	u64 len;
	void (*fn)(void *arg, const char *name, enum tar_type type, u64 size);
	void *arg;
	u64 seen[TAR_LIST_DIRS];
	unsigned nseen;
	int children, is_dir, is_file;
};

static u64 tar_hash(const char *s, u64 len)
{
	u64 h = 0xcbf29ce484222325ULL;

	for (u64 i = 0; i < len; i++)
		h = (h ^ (u8)s[i]) * 0x100000001b3ULL;
	return h;
}
/*:*/
static int tar_seen_before(struct tar_list *l, u64 h)
{
	for (unsigned i = 0; i < l->nseen; i++)
		if (l->seen[i] == h)
			return 1;
	if (l->nseen < TAR_LIST_DIRS)
		l->seen[l->nseen++] = h;
	return 0;
}
static void tar_list_one(void *arg, const struct tar_entry *e)
{
	struct tar_list *l = arg;
	const char *child = e->name + (l->len ? l->len + 1 : 0);
	char name[TAR_NAME_MAX + 1];
	u64 n = 0;

	if (!strcmp(e->name, l->dir)) {
		l->is_dir |= e->type == TAR_DIR, l->is_file |= e->type != TAR_DIR;
		return;
	}
	if (!tar_is_below(e->name, l->dir, l->len))
		return;
	l->is_dir = 1;
	while (child[n] && child[n] != '/')
		name[n] = child[n], n++;
	name[n] = '\0';
	if (child[n] == '/' || e->type == TAR_DIR) {
		if (!tar_seen_before(l, tar_hash(name, n)))
			l->fn(l->arg, name, TAR_DIR, 0), l->children++;
	} else if (e->type == TAR_FILE) {
		l->fn(l->arg, name, TAR_FILE, e->size), l->children++;
	}
}
int tarfs_list(const struct tarfs *fs, const char *dir,
	       void (*fn)(void *arg, const char *name, enum tar_type type, u64 size),
	       void *arg)
{
	char buf[TAR_NAME_MAX + 1];
	struct tar_list l;
	int r;

	if (strlen(dir) > TAR_NAME_MAX)
		return TAR_ENOENT;
	tar_clean(dir, buf);
	memset(&l, 0, sizeof(l));
	l.dir = buf, l.len = strlen(l.dir), l.fn = fn, l.arg = arg;
	r = tarfs_walk(fs, tar_list_one, &l);
	if (r < 0)
		return r;
	if (l.len && !l.is_dir)
		return l.is_file ? TAR_ENOTDIR : TAR_ENOENT;
	return l.children;
}
/*M:650 Links and long listings.
 * Symbolic links are skipped, not followed, and `ls` shows no sizes for
 * directories nor any modes or times. A reader who wants `ls -l` has every
 * field in the header already; following a link is a second lookup with the
 * link's target as the path, and a counter against loops. */
/*D:650 Reading a file.
 * A file's bytes are consecutive sectors from `data`, so a read is one call
 * of the disk's read function. To keep it that simple, the caller reads
 * whole sectors: `off` and `len` are multiples of 512, and `buf` has room for
 * `len` bytes. We return how many of the bytes read belong to the file (the
 * last sector's tail is padding), and 0 at the end. The range is checked once
 * more against the disk, although the walk that found the entry checked it
 * already: an entry may come from elsewhere, and the promise not to read past
 * the disk should not depend on who the caller is. :*/
s64 tarfs_read(const struct tarfs *fs, const struct tar_entry *e, u64 off, void *buf,
	       u64 len)
{
	u64 count;

	if (e->type != TAR_FILE)
		return TAR_EISDIR;
	if (off >= e->size)
		return 0;
	if (len > e->size - off)
		len = e->size - off;
	count = (len + TAR_BLOCK - 1) / TAR_BLOCK;
	if (e->data > fs->sectors || off / TAR_BLOCK + count > fs->sectors - e->data ||
	    count > 0xffffffffULL)
		return TAR_ECORRUPT;
	if (fs->read(fs->ctx, e->data + off / TAR_BLOCK, buf, count) < 0)
		return TAR_EIO;
	return len;
}
/*:*/
const char *tar_strerror(int err)
{
	switch (err) {
	case TAR_EIO:		return "the disk cannot be read";
	case TAR_ENOTTAR:	return "no tar archive on the disk";
	case TAR_ECORRUPT:	return "the archive is damaged";
	case TAR_ENOENT:	return "no such file or directory";
	case TAR_ENOTDIR:	return "not a directory";
	case TAR_EISDIR:	return "not a regular file";
	default:		return "unknown error";
	}
}
/*:*/
