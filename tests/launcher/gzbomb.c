/*
 * gzbomb MIB: write to stdout a valid gzip file of MIB MiB of zeros, in a few
 * milliseconds (gzip -1 would spend seconds per GiB squeezing them).
 *
 * zlib compresses the first MiB and then a second one, each ended by a sync
 * flush, which ends on a byte boundary.  With only zeros behind it, every MiB
 * after the first compresses to the same bytes, so we compress a third to make
 * sure, then repeat those bytes, add an empty final block (0x03 0x00) and the
 * gzip trailer (the CRC of the zeros, from crc32_combine, and the size modulo
 * 2^32).  `gzip -dc` accepts the result; the test checks that on a small one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define MIB (1u << 20)

static unsigned char zeros[MIB], out[MIB];

/* Compress one more MiB of zeros; return the bytes it came to. */
static size_t one_mib(z_stream *z)
{
	z->next_in = zeros, z->avail_in = MIB;
	z->next_out = out, z->avail_out = sizeof(out);
	if (deflate(z, Z_SYNC_FLUSH) != Z_OK || z->avail_in || !z->avail_out) {
		fprintf(stderr, "gzbomb: deflate did not take a MiB in one call\n");
		exit(1);
	}
	return sizeof(out) - z->avail_out;
}

int main(int argc, char **argv)
{
	unsigned long mib = argc == 2 ? strtoul(argv[1], NULL, 0) : 0;
	static unsigned char again[MIB];
	unsigned char tail[10] = { 0x03, 0x00 };
	unsigned long crc = 0, crc_mib = crc32(0, zeros, MIB);
	z_stream z = { 0 };
	size_t n, m;

	if (mib < 3 || deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
		fprintf(stderr, "usage: gzbomb MIB (at least 3)\n");
		return 1;
	}
	fwrite(out, 1, one_mib(&z), stdout);
	n = one_mib(&z);
	memcpy(again, out, n);
	m = one_mib(&z);
	if (m != n || memcmp(again, out, n)) {
		fprintf(stderr, "gzbomb: the MiBs after the first compress differently\n");
		return 1;
	}
	for (unsigned long i = 1; i < mib; i++)
		fwrite(again, 1, n, stdout);
	for (unsigned long i = 0; i < mib; i++)
		crc = crc32_combine(crc, crc_mib, MIB);
	for (int i = 0; i < 4; i++) {
		tail[2 + i] = crc >> (8 * i);
		tail[6 + i] = (mib * MIB) >> (8 * i);
	}
	fwrite(tail, 1, sizeof(tail), stdout);
	return fflush(stdout) != 0;
}
