/* Fuzz target "tangle": the tangler's back end (tangle/lgtangle.c) reading
 * noweb's markup pipeline.  We include lgtangle.c with its main() renamed,
 * run it as `lgtangle --lint` (it checks and tangles everything in memory and
 * writes nothing) with the input as its standard input, and reset its
 * globals between inputs.  Its errors are the normal outcome for most
 * inputs; they go to /dev/null.  Findings: anything the sanitizers report. */
#include <stdio.h>
#define main lgtangle_main
#include "lgtangle.c"
#undef main

/* lgtangle frees little: it is a short-lived program. */
const char *__asan_default_options(void) { return "detect_leaks=0"; }

static FILE *devnull;

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char *argv[] = { "lgtangle", "--lint", NULL };
	FILE *in, *save_in = stdin, *save_err = stderr;

	if (!devnull)
		devnull = fopen("/dev/null", "w");
	if (size == 0 || !(in = fmemopen((void *)data, size, "r")))
		return 0;
	nerrors = 0;
	pieces = NULL, npieces = 0;
	chunks = NULL, nchunks = 0;
	markers = NULL, nmarkers = 0;
	outputs = NULL, noutputs = 0;
	memset(&rd, 0, sizeof(rd));
	rd.prose = rd.pending = -1;
	stdin = in, stderr = devnull;
	lgtangle_main(2, argv);
	stdin = save_in, stderr = save_err;
	fclose(in);
	return 0;
}
