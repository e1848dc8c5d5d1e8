/*
 * remap: lead a compiler's diagnostics back to the chapters.
 *
 * The compiler reads the code-only copies in build/src/, whose line numbers
 * mean nothing to a reader of the book.  Next to each copy lgtangle leaves
 * PATH.lines, one "chapters/FILE.nw:LINE" per line of the copy.  remap is a
 * filter: every "build/src/PATH:N" in its input becomes the chapter line
 * that line N came from; everything else passes through untouched.
 *
 *   cc ... 2>&1 | remap [SRCDIR]
 *
 * A path the compiler names without a line ("In function 'f'", the
 * assembler's "Assembler messages:") maps to the line that defines f, or
 * else to the chapter line of the copy's first line; so does an object file
 * of build/obj/PROGRAM/PATH.o that the linker names.  A line of a chunk
 * used more than once says which use it is: its map line ends "via LOC",
 * and the diagnostic line ends "(in the use at LOC)".
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct map {
	char *path;     /* the copy, e.g. build/src/host/main.c */
	char **lines;   /* lines[n - 1] is where line n came from */
	int *shifts;    /* and how far right of its chapter column it stands */
	char **vias;    /* and the use it came through, or NULL */
	int nlines;
};

static struct map *maps;
static int nmaps;

static struct map *load_map(const char *path)
{
	char name[4200], *line = NULL;
	size_t cap = 0;
	ssize_t n;
	struct map *m;
	FILE *f;

	for (int i = 0; i < nmaps; i++)
		if (strcmp(maps[i].path, path) == 0)
			return &maps[i];
	maps = realloc(maps, (nmaps + 1) * sizeof(*maps));
	m = &maps[nmaps++];
	*m = (struct map){ .path = strdup(path) };
	snprintf(name, sizeof(name), "%s.lines", path);
	f = fopen(name, "r");
	if (!f)
		return m;
	while ((n = getline(&line, &cap, f)) > 0) {
		char *space = strchr(line, ' '), *via = strstr(line, " via ");
		m->lines = realloc(m->lines, (m->nlines + 1) * sizeof(char *));
		m->shifts = realloc(m->shifts, (m->nlines + 1) * sizeof(int));
		m->vias = realloc(m->vias, (m->nlines + 1) * sizeof(char *));
		m->shifts[m->nlines] = space ? atoi(space + 1) : 0;
		m->vias[m->nlines] = via ? strndup(via + 5, strcspn(via + 5, "\n")) : NULL;
		line[space ? (size_t)(space - line) : strcspn(line, "\n")] = '\0';
		m->lines[m->nlines++] = strdup(line);
	}
	free(line);
	fclose(f);
	return m;
}

static char note[4200];   /* said at the end of the line being remapped */

/* The line of the copy at path that defines function name, or 1. */
static long definition_line(const char *path, const char *name, size_t len)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	long n = 0, found = 0;

	while (f && !found && getline(&line, &cap, f) > 0) {
		char *at = strstr(line, name);
		n++;
		while (at && !found) {
			int whole = (at == line || !(at[-1] == '_' || isalnum((unsigned char)at[-1]))) &&
				    at[len] == '(';
			if (whole && line[0] != ' ' && line[0] != '\t' && line[0] != '#' &&
			    !strchr(at, ';'))
				found = n;
			at = strstr(at + 1, name);
		}
	}
	free(line);
	if (f)
		fclose(f);
	return found ? found : 1;
}

/* The function a message names after a path: "In function 'f'", "in function `f'". */
static long function_line(const char *path, const char *after)
{
	const char *q = strstr(after, "unction ");
	size_t len;

	if (!q || q - after > 8)
		return 1;
	q += 8;
	q += !strncmp(q, "\xe2\x80\x98", 3) ? 3 : (*q == '\'' || *q == '`');
	len = strcspn(q, "'\xe2");
	if (!len)
		return 1;
	char *name = strndup(q, len);
	long n = definition_line(path, name, len);
	free(name);
	return n;
}

/* At p stands "SRCDIR/PATH:N"; print its chapter line and return what follows. */
static const char *remap_one(const char *p, size_t prefix)
{
	size_t len = prefix + strcspn(p + prefix, ": \t\n'\"()");
	char path[4096];
	char *end;
	long n;

	if (p[len] != ':' || len >= sizeof(path))
		return NULL;
	memcpy(path, p, len);
	path[len] = '\0';
	n = strtol(p + len + 1, &end, 10);
	if (end == p + len + 1) {       /* no line: the file, or a function in it */
		end = (char *)p + len;
		n = function_line(path, end);
		struct map *m = load_map(path);
		if (n < 1 || n > m->nlines)
			return NULL;
		fputs(m->lines[n - 1], stdout);
		return end;
	}
	struct map *m = load_map(path);
	if (n < 1 || n > m->nlines)
		return NULL;
	fputs(m->lines[n - 1], stdout);
	if (m->vias[n - 1] && !note[0])
		snprintf(note, sizeof(note), " (in the use at %s)", m->vias[n - 1]);
	if (end[0] == ':' && end[1] >= '0' && end[1] <= '9') {
		long col = strtol(end + 1, &end, 10) - m->shifts[n - 1];
		printf(":%ld", col < 1 ? 1 : col);
	}
	return end;
}

/* At p stands "build/obj/PROGRAM/PATH.o" (the linker's name for an object):
 * print the chapter line of its copy's function, or of its first line. */
static const char *remap_object(const char *p, const char *obj, const char *src)
{
	const char *prog = p + strlen(obj), *rest = strchr(prog, '/');
	size_t len;
	char path[4096];

	if (!rest)
		return NULL;
	rest++;
	len = strcspn(rest, ": \t\n'\"()");
	if (len < 3 || strncmp(rest + len - 2, ".o", 2) != 0 ||
	    strlen(src) + len + 2 >= sizeof(path))
		return NULL;
	snprintf(path, sizeof(path), "%s/%.*s", src, (int)(len - 2), rest);
	struct map *m = load_map(path);
	long n = function_line(path, rest + len);
	if (n < 1 || n > m->nlines)
		return NULL;
	fputs(m->lines[n - 1], stdout);
	return rest + len;
}

int main(int argc, char **argv)
{
	const char *src = argc > 1 ? argv[1] : "build/src";
	size_t prefix = strlen(src);
	char *line = NULL, cwd[4096], obj[4200];
	size_t cap = 0, cwdlen;

	/* The linker names copies by absolute path, from the debug information. */
	if (!getcwd(cwd, sizeof(cwd) - 2))
		cwd[0] = '\0';
	strcat(cwd, "/");
	cwdlen = strlen(cwd);
	snprintf(obj, sizeof(obj), "%.*sobj/", (int)(strrchr(src, '/') ? strrchr(src, '/') - src + 1 : 0), src);
	while (getline(&line, &cap, stdin) > 0) {
		const char *p = line, *hit;
		note[0] = '\0';
		for (;;) {
			const char *hs = strstr(p, src), *ho = strstr(p, obj), *after;
			int is_obj = ho && (!hs || ho < hs), cut;
			hit = is_obj ? ho : hs;
			if (!hit)
				break;
			cut = hit - p >= (long)cwdlen && !strncmp(hit - cwdlen, cwd, cwdlen);
			fwrite(p, 1, hit - p - (cut ? cwdlen : 0), stdout);
			after = is_obj ? remap_object(hit, obj, src)
				: hit[prefix] == '/' ? remap_one(hit, prefix) : NULL;
			if (!after) {
				size_t n = is_obj ? strlen(obj) : prefix;
				if (cut)	/* what was cut as the directory is put back */
					fwrite(hit - cwdlen, 1, cwdlen, stdout);
				fwrite(hit, 1, n, stdout);
				after = hit + n;
			}
			p = after;
		}
		if (note[0]) {
			size_t n = strcspn(p, "\n");
			fwrite(p, 1, n, stdout);
			fputs(note, stdout);
			p += n;
		}
		fputs(p, stdout);
		fflush(stdout);
	}
	free(line);
	return 0;
}
