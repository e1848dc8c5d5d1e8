/* Tangled from chapters/22-drivers-block.nw by `make tangle`: edit the chapter, not this file. */
/*D:600 Why tar.
 * The Guest has no business writing a real file system: that is a book of its
 * own. What a student wants is to put a few files on a disk on the host and
 * read them inside the Guest. The oldest format that does exactly this is a
 * tape archive. `tar --format=ustar -cf disk.img files...` writes an image any
 * Unix can make, and it needs no allocation table, no inodes, no free list:
 * each file is one 512-byte header followed by its bytes, padded to a whole
 * block, one file after another, and two blocks of zeros at the end. A
 * sector of the disk is a block of the archive, so reading a file is reading
 * a run of consecutive sectors.
 *
 * The reader is written against nothing but a function that reads sectors. It
 * knows no virtio, so it can be compiled on the host, handed archives made by
 * GNU tar, and compared with what GNU tar says about them
 * (`tests/block/test-tarfs.sh`). It is read-only, and so is everything it
 * hands out.
 *
 * The disk is the Guest's input from outside, and a file on it may be
 * anything: a student's typo, a truncated copy, an image made to crash us.
 * The reader therefore makes two promises a test can hold it to. It never asks
 * for a sector beyond the disk's end, however large a size field claims to be;
 * and it never trusts a header whose checksum or magic is wrong, but says the
 * archive is damaged and stops. :*/
/* A read-only file system: a ustar archive on a disk. */
#ifndef TARFS_H
#define TARFS_H

#include "lguest.h"

/*D:605 Entries.
 * An entry of the archive, as the rest of the Guest sees it, is a name, a
 * kind, a size, and the sector where its data begins. Names in a ustar header
 * come in two parts: up to 100 bytes of `name` and up to 155 bytes of
 * `prefix`, the directories in front, so a full path has at most 256
 * characters. We keep only regular files and directories; links, devices and
 * the extended headers that other formats add are skipped over (their bytes
 * still have to be stepped across), and show up as `TAR_OTHER`.
 *
 * The disk is a read function, a context for it, and its size in sectors: the
 * reader asks for nothing at or beyond `sectors`. Errors are small negative
 * numbers, with one function to turn them into words for the shell. :*/
#define TAR_BLOCK	512
#define TAR_NAME_MAX	256		/* prefix (155) + '/' + name (100) */

#define TAR_EIO		(-1)		/* the disk said no */
#define TAR_ENOTTAR	(-2)		/* sector 0 is not a ustar header */
#define TAR_ECORRUPT	(-3)		/* a later header is broken, or runs off the disk */
#define TAR_ENOENT	(-4)
#define TAR_ENOTDIR	(-5)
#define TAR_EISDIR	(-6)		/* or anything else that is not a regular file */
/*:*/
/*D:605, continued :*/
enum tar_type { TAR_FILE, TAR_DIR, TAR_OTHER };

struct tar_entry {
	char name[TAR_NAME_MAX + 1];	/* no leading "./" or "/", no trailing "/" */
	enum tar_type type;
	u64 size;			/* bytes of data */
	u64 data;			/* the sector where the data starts */
};

struct tarfs {
	int (*read)(void *ctx, u64 sector, void *buf, u32 count);	/* 0 or < 0 */
	void *ctx;
	u64 sectors;			/* the disk's size; nothing at or past it is read */
};
/*:*/
/*D:605, continued :*/
int tar_parse(const u8 *block, struct tar_entry *e);
int tarfs_walk(const struct tarfs *fs, void (*fn)(void *arg, const struct tar_entry *e),
	       void *arg);
int tarfs_lookup(const struct tarfs *fs, const char *path, struct tar_entry *e);
int tarfs_list(const struct tarfs *fs, const char *dir,
	       void (*fn)(void *arg, const char *name, enum tar_type type, u64 size),
	       void *arg);
s64 tarfs_read(const struct tarfs *fs, const struct tar_entry *e, u64 off, void *buf,
	       u64 len);
const char *tar_strerror(int err);
/*:*/

#endif
/*:*/
