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
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct map {
	char *path;     /* the copy, e.g. build/src/host/main.c */
	char **lines;   /* lines[n - 1] is where line n came from */
	int *shifts;    /* and how far right of its chapter column it stands */
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
		char *space = strchr(line, ' ');
		m->lines = realloc(m->lines, (m->nlines + 1) * sizeof(char *));
		m->shifts = realloc(m->shifts, (m->nlines + 1) * sizeof(int));
		m->shifts[m->nlines] = space ? atoi(space + 1) : 0;
		line[space ? (size_t)(space - line) : strcspn(line, "\n")] = '\0';
		m->lines[m->nlines++] = strdup(line);
	}
	free(line);
	fclose(f);
	return m;
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
	n = strtol(p + len + 1, &end, 10);
	if (end == p + len + 1)
		return NULL;
	memcpy(path, p, len);
	path[len] = '\0';
	struct map *m = load_map(path);
	if (n < 1 || n > m->nlines)
		return NULL;
	fputs(m->lines[n - 1], stdout);
	if (end[0] == ':' && end[1] >= '0' && end[1] <= '9') {
		long col = strtol(end + 1, &end, 10) - m->shifts[n - 1];
		printf(":%ld", col < 1 ? 1 : col);
	}
	return end;
}

int main(int argc, char **argv)
{
	const char *src = argc > 1 ? argv[1] : "build/src";
	size_t prefix = strlen(src);
	char *line = NULL;
	size_t cap = 0;

	while (getline(&line, &cap, stdin) > 0) {
		const char *p = line, *hit;
		while ((hit = strstr(p, src)) != NULL) {
			const char *after;
			fwrite(p, 1, hit - p, stdout);
			after = hit[prefix] == '/' ? remap_one(hit, prefix) : NULL;
			if (!after) {
				fwrite(hit, 1, prefix, stdout);
				after = hit + prefix;
			}
			p = after;
		}
		fputs(p, stdout);
		fflush(stdout);
	}
	free(line);
	return 0;
}
