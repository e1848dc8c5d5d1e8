/* util.c: dying, memory, growing strings, a hash table, cpif, TSV files. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util.h"

void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "lgweave: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p)
		die("out of memory");
	return p;
}

char *xstrdup(const char *s)
{
	char *d = strdup(s ? s : "");
	if (!d)
		die("out of memory");
	return d;
}

char *xasprintf(const char *fmt, ...)
{
	char *s;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		die("out of memory");
	va_end(ap);
	return s;
}

void bputn(struct buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->s = xrealloc(b->s, b->cap);
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = 0;
}

void bputs(struct buf *b, const char *s) { bputn(b, s, strlen(s)); }
void bputc(struct buf *b, char c) { bputn(b, &c, 1); }

void bprintf(struct buf *b, const char *fmt, ...)
{
	char *s;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		die("out of memory");
	va_end(ap);
	bputs(b, s);
	free(s);
}

/* Write a file only if its contents change (noweb's cpif), so that make
 * rebuilds what depends on it only when it really changed. */
void write_if_changed(const char *path, struct buf *b)
{
	FILE *f = fopen(path, "r");
	if (f) {
		struct buf old = {0};
		char tmp[8192];
		size_t n;
		while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
			bputn(&old, tmp, n);
		fclose(f);
		int same = old.n == b->n && (b->n == 0 || !memcmp(old.s, b->s, b->n));
		free(old.s);
		if (same)
			return;
	}
	f = fopen(path, "w");
	if (!f || fwrite(b->s ? b->s : "", 1, b->n, f) != b->n || fclose(f))
		die("cannot write %s", path);
}

/* A file of tab-separated records, as lgweave index writes them: row() is
 * called with each line's fields (at most TSV_MAX; the last keeps any
 * further tabs) and how many there are.  A file that is not there dies with
 * the path and hint, which says what makes it. */
/* The whole of a file, as a string. */
char *read_all(const char *path)
{
	FILE *f = fopen(path, "r");
	struct buf b = {0};
	char chunk[8192];
	size_t n;
	if (!f)
		die("cannot read %s", path);
	bputs(&b, "");
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		bputn(&b, chunk, n);
	fclose(f);
	return b.s;
}

void read_tsv(const char *path, const char *hint, void (*row)(char **field, int n))
{
	FILE *f = fopen(path, "r");
	if (!f)
		die("cannot read %s%s", path, hint);
	char *line = NULL, *field[TSV_MAX];
	size_t cap = 0;
	ssize_t len;
	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = 0;
		int n = 0;
		for (char *s = line; s && n < TSV_MAX; n++) {
			field[n] = s;
			if ((s = strchr(s, '\t')) && n + 1 < TSV_MAX)
				*s++ = 0;
		}
		row(field, n);
	}
	free(line);
	fclose(f);
}

static size_t hash(const char *s)
{
	size_t h = 5381;
	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

static void map_grow(struct map *m)
{
	struct map big = { 0 };
	big.cap = m->cap ? 2 * m->cap : 64;
	big.keys = calloc(big.cap, sizeof *big.keys);
	big.vals = calloc(big.cap, sizeof *big.vals);
	if (!big.keys || !big.vals)
		die("out of memory");
	for (size_t i = 0; i < m->cap; i++)
		if (m->keys[i])
			*map_slot(&big, m->keys[i], 1) = m->vals[i];
	free(m->keys);
	free(m->vals);
	*m = big;
}

/* The value's slot for key, made (holding -1) if create is set. */
int *map_slot(struct map *m, const char *key, int create)
{
	if (create && 2 * (m->n + 1) > m->cap)
		map_grow(m);
	if (!m->cap)
		return NULL;
	size_t i = hash(key) & (m->cap - 1);
	while (m->keys[i] && strcmp(m->keys[i], key))
		i = (i + 1) & (m->cap - 1);
	if (!m->keys[i]) {
		if (!create)
			return NULL;
		m->keys[i] = xstrdup(key);
		m->vals[i] = -1;
		m->n++;
	}
	return &m->vals[i];
}

int map_get(struct map *m, const char *key)
{
	int *v = map_slot(m, key, 0);
	return v ? *v : -1;
}
