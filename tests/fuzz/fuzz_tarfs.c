/* Fuzz target "tarfs": the Guest's tar file system (drivers/tarfs.c) on a
 * disk whose bytes are the input (rounded up to whole 512-byte sectors).
 * As tests/block/tartest.c does (its `fuzz` command is this target's
 * ancestor): walk the archive, list the root and every directory seen, and
 * read every file seen, whole, 8 sectors at a time and at odd offsets.  A
 * read at or past the disk's end is a finding (abort), as is anything the
 * sanitizers report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tarfs.h"

#define DISK_MAX (1 << 20)
#define SEEN_MAX 64
static u8 disk[DISK_MAX];
static struct tarfs fs;
static char seen[SEEN_MAX][TAR_NAME_MAX + 1];
static enum tar_type seen_type[SEEN_MAX];
static int nseen;

static int disk_read(void *ctx, u64 sector, void *buf, u32 count)
{
	(void)ctx;
	if (sector >= fs.sectors || count > fs.sectors - sector) {
		fprintf(stderr, "fuzz-tarfs: a read of %u sectors at %llu, past the disk's %llu\n",
			count, sector, fs.sectors);
		abort();
	}
	memcpy(buf, disk + sector * TAR_BLOCK, (size_t)count * TAR_BLOCK);
	return 0;
}

static void remember(void *arg, const struct tar_entry *e)
{
	(void)arg;
	if (strlen(e->name) > TAR_NAME_MAX)
		abort();
	if (nseen < SEEN_MAX) {
		strcpy(seen[nseen], e->name);
		seen_type[nseen++] = e->type;
	}
}

static void child(void *arg, const char *name, enum tar_type type, u64 size)
{
	(void)arg, (void)type, (void)size;
	if (strlen(name) > TAR_NAME_MAX)
		abort();
}

static void read_all(const char *path)
{
	static u8 buf[8 * TAR_BLOCK + 1];
	struct tar_entry e;
	u64 off = 0;
	s64 n;

	if (tarfs_lookup(&fs, path, &e) < 0)
		return;
	while ((n = tarfs_read(&fs, &e, off, buf, sizeof(buf) - 1)) > 0) {
		if ((u64)n > sizeof(buf) - 1 || off + n > e.size)
			abort();	/* more than asked for, or past the file's end */
		off += n;
	}
	tarfs_read(&fs, &e, e.size / 2 + 1, buf, 3);
	tarfs_read(&fs, &e, e.size + 5, buf, 1);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	if (size > DISK_MAX)
		return 0;
	memset(disk, 0, (size + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK);
	memcpy(disk, data, size);
	fs = (struct tarfs){ disk_read, NULL, (size + TAR_BLOCK - 1) / TAR_BLOCK };
	nseen = 0;
	tarfs_walk(&fs, remember, NULL);
	tarfs_list(&fs, "", child, NULL);
	for (int i = 0; i < nseen; i++) {
		if (seen_type[i] == TAR_DIR)
			tarfs_list(&fs, seen[i], child, NULL);
		else
			read_all(seen[i]);
	}
	tar_strerror(TAR_ECORRUPT);
	return 0;
}
