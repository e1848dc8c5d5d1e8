/* Tangled from chapters/22-drivers-block.nw by `make tangle`: edit the chapter, not this file. */
/*D:660 Three commands.
 * Three commands make the disk something a student can touch. `blk` works on
 * raw sectors of any disk, and its forms are fixed, because test scripts
 * drive it through a pipe:
 *
 * - `blk` lists the disks: number, size, read-only or not, block size, name,
 *   and which one is `blk`'s default (*D:667*);
 * - `blk [DISK] read SECTOR`, `blk [DISK] dump SECTOR` and `blk [DISK] write
 *   SECTOR TEXT` work on disk number DISK as `blk` lists it, or on the default
 *   disk when no number is given;
 * - `blk read SECTOR` prints the sector as text: its bytes up to the first
 *   NUL, with any byte that is not printable ASCII (nor a newline or a tab)
 *   written as `\xNN`, then a newline. So what `blk write` wrote comes back
 *   exactly, and a binary sector is still one safe line of text;
 * - `blk dump SECTOR` prints the whole sector in hex and ASCII, 16 bytes a
 *   line, for the binary ones;
 * - `blk write SECTOR TEXT` writes TEXT, padded with zeros to 512 bytes, to
 *   the sector, then flushes the disk, then prints `ok`. TEXT is the rest of
 *   the line, its words joined by single spaces (the shell has split them);
 *   it may be empty, which zeroes the sector.
 *
 * `ls [DIR]` and `cat FILE` read the tar archive of *D:600* from the first
 * disk that holds one. Which disk that is, is decided afresh by every
 * command, since `blk write` may have just made or unmade one. :*/
/* The disk's shell commands: blk, ls, cat. */
#include "drivers.h"
#include "tarfs.h"

/*D:665 Listing the disks.
 * Every command that needs a disk says so plainly when there is none,
 * rather than printing nothing. :*/
static struct blk_disk *blk_first(const char *cmd)
{
	struct blk_disk *d = blk_disk_at(0);

	if (!d)
		console_printf("%s: no disk (start the Launcher with --block=FILE)\n", cmd);
	return d;
}
/*:*/
/*D:667 Which disk.
 * A machine with more than one disk needs a way to say which one, and a
 * sensible answer when nobody says. The usual machine has a read-only disk of
 * files and a scratch disk beside it, the README's example among them
 * (`--block=files.img,ro --block=disk.img`); a `blk write` there that went to
 * the first disk would only be told that the disk is read-only. So the
 * default is the first *writable* disk, and the first disk when every disk is
 * read-only; reads use the same default, so that `blk read 7` finds what `blk
 * write 7` just wrote. A number before the verb overrides it: `blk 0 read 7`
 * reads the files' disk. The number is the one `blk` lists (`ls` and `cat`
 * need none: they find the archive themselves, *D:680*). :*/
static int blk_default(void)
{
	for (int i = 0; i < blk_count(); i++)
		if (!blk_disk_at(i)->read_only)
			return i;
	return 0;
}
/*:*/
/*D:667, continued :*/
static struct blk_disk *blk_choose(int *argc, char ***argv, int *index)
{
	int ok = 0;
	u64 n = *argc > 0 ? parse_u64((*argv)[0], &ok) : 0;

	if (!blk_first("blk"))
		return NULL;
	if (!ok) {
		*index = blk_default();
		return blk_disk_at(*index);
	}
	if (n >= (u64)blk_count()) {
		console_printf("blk: there is no disk %llu; there are %d (blk lists them)\n",
			       n, blk_count());
		return NULL;
	}
	*index = (int)n, --*argc, ++*argv;
	return blk_disk_at(*index);
}
/*:*/
/*D:667, continued :*/
static int blk_list(void)
{
	if (!blk_first("blk"))
		return 1;
	for (int i = 0; i < blk_count(); i++) {
		struct blk_disk *d = blk_disk_at(i);

		console_printf("disk %d: %llu sectors (%llu KiB), %s, block %u, id \"%s\"%s\n",
			       i, d->capacity, d->capacity / 2,
			       d->read_only ? "read-only" : "read-write", d->blk_size, d->id,
			       i == blk_default() ? ", blk's default" : "");
	}
	return 0;
}
/*:*/
/*D:670 Reading and printing a sector.
 * A sector number is a word the user typed; `parse_u64` (*D:180*) takes
 * decimal or `0x` hexadecimal, and anything else is refused with the word
 * quoted back. The read itself goes into a page of its own: the stack would
 * do as well, but a page makes it plain that this memory is the device's to
 * write. :*/
static int blk_sector_arg(const char *word, u64 *sector)
{
	int ok;

	*sector = parse_u64(word, &ok);
	if (!ok)
		console_printf("blk: '%s' is not a sector number\n", word);
	return ok;
}
/*:*/
/*D:670, continued :*/
static void blk_print_text(const u8 *p)
{
	for (int i = 0; i < VIRTIO_BLK_SECTOR && p[i]; i++) {
		if ((p[i] >= 0x20 && p[i] < 0x7f) || p[i] == '\n' || p[i] == '\t')
			console_write((const char *)p + i, 1);
		else
			console_printf("\\x%02x", p[i]);
	}
	console_write("\n", 1);
}
/*:*/
/*D:670, continued :*/
static void blk_print_dump(const u8 *p)
{
	for (int i = 0; i < VIRTIO_BLK_SECTOR; i += 16) {
		char ascii[17];

		console_printf("%03x:", i);
		for (int j = 0; j < 16; j++) {
			console_printf(" %02x", p[i + j]);
			ascii[j] = p[i + j] >= 0x20 && p[i + j] < 0x7f ? p[i + j] : '.';
		}
		ascii[16] = '\0';
		console_printf("  %s\n", ascii);
	}
}
/*:*/
/*D:670, continued :*/
static int blk_cmd_read(struct blk_disk *d, int disk, const char *word, int dump)
{
	u64 sector;
	u8 *buf;
	int err;

	if (!blk_sector_arg(word, &sector))
		return 1;
	buf = page_alloc();
	err = blk_read(d, sector, buf, VIRTIO_BLK_SECTOR);
	if (err)
		console_printf("blk: cannot read sector %llu of disk %d (%llu sectors): %s\n",
			       sector, disk, d->capacity, blk_strerror(err));
	else if (dump)
		blk_print_dump(buf);
	else
		blk_print_text(buf);
	page_free(buf);
	return err ? 1 : 0;
}
/*:*/
/*D:675 Writing a sector.
 * The text is gathered into a zeroed page, the write goes out, and then the
 * flush: `ok` is printed only once the device has said both are done, so a
 * script that sees `ok` and powers the Guest off finds its bytes in the image
 * file. Text longer than a sector is refused whole rather than cut. :*/
static int blk_cmd_write(struct blk_disk *d, int disk, int argc, char **argv)
{
	u64 sector, len = 0;
	char *buf;
	int err;

	if (!blk_sector_arg(argv[0], &sector))
		return 1;
	buf = page_alloc();
	for (int i = 1; i < argc && len <= VIRTIO_BLK_SECTOR; i++) {
		u64 n = strlen(argv[i]);

		if (len + (i > 1) + n <= VIRTIO_BLK_SECTOR) {
			if (i > 1)
				buf[len] = ' ';
			memcpy(buf + len + (i > 1), argv[i], n);
		}
		len += (i > 1) + n;
	}
	if (len > VIRTIO_BLK_SECTOR)
		err = BLK_EINVAL, console_printf("blk: the text is longer than a sector\n");
	else if ((err = blk_write(d, sector, buf, VIRTIO_BLK_SECTOR)) || (err = blk_flush(d)))
		console_printf("blk: cannot write sector %llu of disk %d: %s\n", sector,
			       disk, blk_strerror(err));
	else
		console_printf("ok\n");
	page_free(buf);
	return err ? 1 : 0;
}
/*:*/
/*D:675, continued :*/
int cmd_blk(int argc, char **argv)
{
	struct blk_disk *d;
	int disk;

	if (argc == 1)
		return blk_list();
	argc--, argv++;
	if (!(d = blk_choose(&argc, &argv, &disk)))
		return 1;
	if (argc == 2 && !strcmp(argv[0], "read"))
		return blk_cmd_read(d, disk, argv[1], 0);
	if (argc == 2 && !strcmp(argv[0], "dump"))
		return blk_cmd_read(d, disk, argv[1], 1);
	if (argc >= 2 && !strcmp(argv[0], "write"))
		return blk_cmd_write(d, disk, argc - 1, argv + 1);
	console_printf("usage: blk | blk [DISK] read SECTOR | blk [DISK] dump SECTOR | "
		       "blk [DISK] write SECTOR TEXT\n");
	return 1;
}
/*:*/
/*D:680 Which disk holds the files.
 * The tar reader wants a function that reads sectors; a disk's is `blk_read`
 * with the count turned into bytes. A disk holds an archive if its first
 * sector is a good header, which `tar_parse` decides without reading more.
 * The first such disk wins; if there is none, the command says so, naming how
 * many disks it looked at. :*/
static int blk_tar_read(void *ctx, u64 sector, void *buf, u32 count)
{
	return blk_read(ctx, sector, buf, count * VIRTIO_BLK_SECTOR);
}

static int blk_tar_open(const char *cmd, struct tarfs *fs)
{
	struct tar_entry e;
	u8 *block = page_alloc();
	int found = 0;

	for (int i = 0; i < blk_count() && !found; i++) {
		struct blk_disk *d = blk_disk_at(i);

		*fs = (struct tarfs){ blk_tar_read, d, d->capacity };
		found = d->capacity && blk_read(d, 0, block, VIRTIO_BLK_SECTOR) == 0 &&
			tar_parse(block, &e) == 1;
	}
	page_free(block);
	if (!found)
		console_printf("%s: none of the %d disks holds a tar archive\n", cmd, blk_count());
	return found;
}
/*:*/
/*D:685 `ls` and `cat`.
 * `ls` prints one line per child, a size and a name for a file, `<dir>` and
 * the name with a slash for a directory, in the order of the archive. (Our
 * `printf` pads numbers to a width but not strings, hence the literal
 * spaces.) `cat`
 * reads its file a page at a time and writes each piece to the console as it
 * comes, so a file of any size needs one page of memory. :*/
static void ls_print(void *arg, const char *name, enum tar_type type, u64 size)
{
	(void)arg;
	if (type == TAR_DIR)
		console_printf("     <dir>  %s/\n", name);
	else
		console_printf("%10llu  %s\n", size, name);
}

int cmd_ls(int argc, char **argv)
{
	struct tarfs fs;
	int r;

	if (argc > 2) {
		console_printf("usage: ls [DIR]\n");
		return 1;
	}
	if (!blk_tar_open("ls", &fs))
		return 1;
	r = tarfs_list(&fs, argc == 2 ? argv[1] : "", ls_print, NULL);
	if (r < 0)
		console_printf("ls: %s: %s\n", argc == 2 ? argv[1] : "/", tar_strerror(r));
	return r < 0;
}
/*:*/
/*D:685, continued :*/
int cmd_cat(int argc, char **argv)
{
	struct tarfs fs;
	struct tar_entry e;
	u64 off = 0;
	s64 n = 0;
	int r;
	u8 *buf;

	if (argc != 2) {
		console_printf("usage: cat FILE\n");
		return 1;
	}
	if (!blk_tar_open("cat", &fs))
		return 1;
	r = tarfs_lookup(&fs, argv[1], &e);
	buf = page_alloc();
	while (r == 0 && (n = tarfs_read(&fs, &e, off, buf, PAGE_SIZE)) > 0) {
		console_write((const char *)buf, n);
		off += n;
	}
	page_free(buf);
	if (r == 0 && n < 0)
		r = n;
	if (r < 0)
		console_printf("cat: %s: %s\n", argv[1], tar_strerror(r));
	return r < 0;
}
/*:*/
/*:*/
