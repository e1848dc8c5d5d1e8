/*
 * Host-side test driver for the Guest's tar reader (drivers/tarfs.c).
 *
 * The image file is read into memory and served as a disk of 512-byte
 * sectors; every read the reader asks for is checked against the disk's
 * size, and one past it aborts the program ("never read past the disk").
 *
 *   tartest [EDITS...] IMAGE COMMAND [ARG]
 *
 * EDITS change the in-memory copy before the command runs:
 *   --sectors N          the disk holds only N sectors (a shorter disk)
 *   --poke S:OFF:TEXT    write TEXT at byte OFF of sector S
 *   --fixsum S           recompute the checksum of the header in sector S
 * COMMAND:
 *   ls DIR       one line per child: "d NAME" or "f SIZE NAME"; then "total N"
 *   cat FILE     the file's bytes on stdout, read 8 sectors at a time
 *   walk         the number of entries
 *   fuzz N SEED  N random header mutations (checksum fixed up half the time),
 *                each followed by a walk, a listing of every directory seen,
 *                and a full read of every file seen; prints the outcomes
 * Errors print "error: MESSAGE" on stdout and exit 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tarfs.h"

static unsigned char *disk;
static u64 disk_sectors, reads;

static int disk_read(void *ctx, u64 sector, void *buf, u32 count)
{
	(void)ctx;
	if (sector >= disk_sectors || count > disk_sectors - sector) {
		fprintf(stderr, "tartest: read of %u sectors at %llu, past the disk's %llu\n",
			count, sector, disk_sectors);
		abort();
	}
	memcpy(buf, disk + sector * TAR_BLOCK, (size_t)count * TAR_BLOCK);
	reads++;
	return 0;
}

static struct tarfs fs = { disk_read, NULL, 0 };

static void fix_checksum(unsigned char *h)
{
	unsigned sum = 0;

	memset(h + 148, ' ', 8);
	for (int i = 0; i < TAR_BLOCK; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
}

static void print_child(void *arg, const char *name, enum tar_type type, u64 size)
{
	(void)arg;
	if (type == TAR_DIR)
		printf("d %s\n", name);
	else
		printf("f %llu %s\n", size, name);
}

static int cat(const char *path, FILE *out)
{
	static unsigned char buf[8 * TAR_BLOCK];
	struct tar_entry e;
	u64 off = 0;
	s64 n;
	int r = tarfs_lookup(&fs, path, &e);

	if (r < 0)
		return r;
	while ((n = tarfs_read(&fs, &e, off, buf, sizeof(buf))) > 0) {
		if (out)
			fwrite(buf, 1, n, out);
		off += n;
	}
	return n < 0 ? (int)n : 0;
}

/* ---------------------------------------------------------------- fuzzing */
#define SEEN_MAX 64
static char seen_names[SEEN_MAX][TAR_NAME_MAX + 1];
static enum tar_type seen_types[SEEN_MAX];
static int nseen;

static void remember(void *arg, const struct tar_entry *e)
{
	(void)arg;
	if (nseen < SEEN_MAX) {
		strcpy(seen_names[nseen], e->name);
		seen_types[nseen++] = e->type;
	}
}

static void quiet_child(void *arg, const char *name, enum tar_type type, u64 size)
{
	(void)arg, (void)name, (void)type, (void)size;
}

static void mutate(unsigned char *img, u64 sectors, unsigned *seed)
{
	u64 s = rand_r(seed) % (sectors < 64 ? sectors : 64);
	unsigned char *h = img + s * TAR_BLOCK;
	static const char junk[] = "0123456777777777 \0/./..x5";

	switch (rand_r(seed) % 4) {
	case 0:				/* any byte */
		h[rand_r(seed) % TAR_BLOCK] = rand_r(seed);
		break;
	case 1:				/* a byte of a name, size or type field */
		h[(int[]){ 0, 99, 124, 130, 135, 156, 345, 499 }[rand_r(seed) % 8]] =
			junk[rand_r(seed) % (sizeof(junk) - 1)];
		break;
	case 2:				/* a size: huge, or a few sectors */
		snprintf((char *)h + 124, 12, "%011o", rand_r(seed) % 2 ? 077777777777u :
			 (unsigned)(rand_r(seed) % (8 * TAR_BLOCK)));
		break;
	case 3:				/* a whole name field, no terminator */
		memset(h + (rand_r(seed) % 2 ? 0 : 345), 'a' + rand_r(seed) % 3,
		       rand_r(seed) % 2 ? 100 : 155);
		break;
	}
	if (rand_r(seed) % 2)
		fix_checksum(h);
}

static int fuzz(unsigned long n, unsigned seed)
{
	u64 bytes = disk_sectors * TAR_BLOCK;
	unsigned char *orig = malloc(bytes);
	unsigned long outcome[8] = { 0 };

	memcpy(orig, disk, bytes);
	for (unsigned long i = 0; i < n; i++) {
		int r;

		memcpy(disk, orig, bytes);
		for (int k = 1 + rand_r(&seed) % 3; k > 0; k--)
			mutate(disk, disk_sectors, &seed);
		if (rand_r(&seed) % 8 == 0)
			fs.sectors = disk_sectors - rand_r(&seed) % disk_sectors;
		else
			fs.sectors = disk_sectors;
		nseen = 0;
		r = tarfs_walk(&fs, remember, NULL);
		outcome[r < 0 ? -r : 0]++;
		tarfs_list(&fs, "", quiet_child, NULL);
		for (int j = 0; j < nseen; j++) {
			if (seen_types[j] == TAR_DIR)
				tarfs_list(&fs, seen_names[j], quiet_child, NULL);
			else
				cat(seen_names[j], NULL);
		}
	}
	fs.sectors = disk_sectors;
	printf("fuzz: %lu runs: %lu walked, %lu not tar, %lu damaged, %llu reads, none past the disk\n",
	       n, outcome[0], outcome[-TAR_ENOTTAR], outcome[-TAR_ECORRUPT], reads);
	free(orig);
	return 0;
}

/* ---------------------------------------------------------------- main */
static void load(const char *path)
{
	FILE *f = fopen(path, "rb");
	long len;

	if (!f || fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0) {
		perror(path);
		exit(2);
	}
	rewind(f);
	disk_sectors = len / TAR_BLOCK;
	disk = calloc(disk_sectors ? disk_sectors : 1, TAR_BLOCK);
	if (fread(disk, 1, disk_sectors * TAR_BLOCK, f) != disk_sectors * TAR_BLOCK) {
		perror(path);
		exit(2);
	}
	fclose(f);
}

static int edit(char **argv, int i)
{
	unsigned long s, off;
	int used;

	if (!strcmp(argv[i], "--sectors")) {
		s = strtoul(argv[i + 1], NULL, 0);
		if (s < disk_sectors)
			disk_sectors = s;
	} else if (!strcmp(argv[i], "--poke") &&
		   sscanf(argv[i + 1], "%lu:%lu:%n", &s, &off, &used) == 2 &&
		   s < disk_sectors && off + strlen(argv[i + 1] + used) <= TAR_BLOCK) {
		memcpy(disk + s * TAR_BLOCK + off, argv[i + 1] + used, strlen(argv[i + 1] + used));
	} else if (!strcmp(argv[i], "--fixsum") &&
		   (s = strtoul(argv[i + 1], NULL, 0)) < disk_sectors) {
		fix_checksum(disk + s * TAR_BLOCK);
	} else {
		fprintf(stderr, "tartest: bad edit %s %s\n", argv[i], argv[i + 1]);
		exit(2);
	}
	return i + 2;
}

int main(int argc, char **argv)
{
	int i = 1, r;
	const char *cmd;

	while (i + 1 < argc && !strncmp(argv[i], "--", 2) && i + 2 < argc)
		i += 2;			/* the image comes after the edits */
	if (i + 1 >= argc) {
		fprintf(stderr, "usage: tartest [EDITS] IMAGE ls|cat|walk|fuzz [ARGS]\n");
		return 2;
	}
	load(argv[i]);
	for (int j = 1; j < i; j = edit(argv, j))
		;
	fs.sectors = disk_sectors;
	cmd = argv[i + 1];
	if (!strcmp(cmd, "ls")) {
		r = tarfs_list(&fs, i + 2 < argc ? argv[i + 2] : "", print_child, NULL);
		if (r >= 0)
			printf("total %d\n", r);
	} else if (!strcmp(cmd, "cat") && i + 2 < argc) {
		r = cat(argv[i + 2], stdout);
	} else if (!strcmp(cmd, "walk")) {
		r = tarfs_walk(&fs, NULL, NULL);
		if (r >= 0)
			printf("%d entries\n", r);
	} else if (!strcmp(cmd, "fuzz") && i + 3 < argc) {
		r = fuzz(strtoul(argv[i + 2], NULL, 0), strtoul(argv[i + 3], NULL, 0));
	} else {
		fprintf(stderr, "tartest: unknown command %s\n", cmd);
		return 2;
	}
	if (r < 0) {
		fflush(stdout);
		printf("error: %s\n", tar_strerror(r));
		return 1;
	}
	return 0;
}
