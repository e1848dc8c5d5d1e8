/* util.h: what every part of lgweave leans on: dying with a message, memory
 * that cannot fail, strings that grow, a small hash table, and writing a
 * file only when its contents change, reading a TSV file.  Nothing here knows about noweb. */
#ifndef LGWEAVE_UTIL_H
#define LGWEAVE_UTIL_H
#include <stddef.h>

void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define PUSH(arr, n, cap, val) do {                                     \
	if ((n) == (cap)) {                                             \
		(cap) = (cap) ? 2 * (cap) : 16;                         \
		(arr) = xrealloc((arr), (cap) * sizeof(*(arr)));        \
	}                                                               \
	(arr)[(n)++] = (val);                                           \
} while (0)

/* A string that grows. */
struct buf { char *s; size_t n, cap; };
void bputn(struct buf *b, const char *s, size_t n);
void bputs(struct buf *b, const char *s);
void bputc(struct buf *b, char c);
void bprintf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void write_if_changed(const char *path, struct buf *b);

char *read_all(const char *path);

/* A file of tab-separated records, a row at a time. */
#define TSV_MAX 8
void read_tsv(const char *path, const char *hint, void (*row)(char **field, int n));

/* A small hash table from strings to ints, for names and identifiers. */
struct map { char **keys; int *vals; size_t cap, n; };
int *map_slot(struct map *m, const char *key, int create);
int map_get(struct map *m, const char *key);

#endif
