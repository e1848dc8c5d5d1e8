/*
 * untangle: carry hand edits of generated/ back into the chapters.
 *
 *   untangle RECORD GENERATED CHAPTERS
 *
 * RECORD (build/tangled/) holds what lgtangle last wrote to GENERATED, and
 * beside each file PATH.lines, one "chapters/FILE.nw:LINE SHIFT KIND" per
 * line of it: KIND is c for code, t for the tale's comments, e for a span's
 * end, h for the header.  We compare each file of GENERATED with its record,
 * line by line, and turn every changed run of lines into an edit of the
 * chapter lines they came from, in the copies of the chapters under
 * CHAPTERS (the chapter's path with its "chapters/" taken off).
 *
 * An edit must lie within the code lines of one chunk: consecutive lines of
 * one chapter, each still as the record says it was.  An inserted line goes
 * after the code line above it, or before the code line below it.  Anything
 * else (prose in a tale comment, a header, a line holding a chunk's use, a
 * run across two chunks) is refused as GENERATED/PATH:LINE: why, exit 1,
 * and nothing is written.  The Makefile then proves the result: a fresh
 * tangle of the edited chapters must give GENERATED exactly.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int nerrors;

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		perror("untangle");
		exit(2);
	}
	return p;
}

static void refuse(const char *path, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: ", path, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	nerrors++;
}

/* A file as lines, without their newlines. */
struct text {
	char **line;
	int n;
	int final_newline;
};

static int read_text(const char *path, struct text *t)
{
	FILE *f = fopen(path, "rb");
	char *s = NULL;
	size_t cap = 0;
	ssize_t len;

	*t = (struct text){ 0 };
	if (!f)
		return -1;
	t->final_newline = 1;
	while ((len = getline(&s, &cap, f)) > 0) {
		t->final_newline = s[len - 1] == '\n';
		if (t->final_newline)
			s[len - 1] = '\0';
		t->line = xrealloc(t->line, (t->n + 1) * sizeof(char *));
		t->line[t->n++] = strdup(s);
	}
	free(s);
	fclose(f);
	return 0;
}

/* One line of a record's map. */
struct where {
	char file[512];
	int lineno;
	int shift;
	char kind;
};

static struct where *read_map(const char *path, int *n)
{
	struct text t;
	struct where *w;

	if (read_text(path, &t) < 0)
		return NULL;
	w = xrealloc(NULL, (t.n + 1) * sizeof(*w));
	for (int i = 0; i < t.n; i++) {
		char *colon = strrchr(strtok(t.line[i], " "), ':');
		char *rest = strtok(NULL, "");
		w[i] = (struct where){ .kind = '?' };
		if (colon) {
			snprintf(w[i].file, sizeof(w[i].file), "%.*s", (int)(colon - t.line[i]), t.line[i]);
			w[i].lineno = atoi(colon + 1);
		}
		if (rest)
			sscanf(rest, "%d %c", &w[i].shift, &w[i].kind);
	}
	*n = t.n;
	return w;
}

/* ------------------------------------------------------------ the chapters */

struct chapter {
	char name[512];      /* chapters/FILE.nw */
	struct text text;
	struct text orig;
	int changed;
};

static struct chapter *chapters;
static int nchapters;
static const char *chapter_dir;

static struct chapter *chapter(const char *name)
{
	char path[4096];

	for (int i = 0; i < nchapters; i++)
		if (!strcmp(chapters[i].name, name))
			return &chapters[i];
	if (strncmp(name, "chapters/", 9) != 0)
		return NULL;
	chapters = xrealloc(chapters, (nchapters + 1) * sizeof(*chapters));
	struct chapter *c = &chapters[nchapters];
	*c = (struct chapter){ 0 };
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(path, sizeof(path), "%s/%s", chapter_dir, name + 9);
	if (read_text(path, &c->text) < 0 || read_text(path, &c->orig) < 0)
		return NULL;
	nchapters++;
	return c;
}

/* One edit: chapter lines [from, from + count) become the new lines. */
struct edit {
	struct chapter *c;
	int from, count;
	char **lines;
	int nlines;
	const char *path;    /* the generated file and line it came from */
	int gline;
};

static struct edit *edits;
static int nedits;

/* ------------------------------------------------------------ the diff */

/* The changed runs between old and new: the longest common subsequence of
 * the part between their common head and tail (a hand edit is small). */
struct hunk {
	int a0, a1, b0, b1;   /* old [a0, a1) became new [b0, b1) */
};

static int diff(struct text *a, struct text *b, struct hunk **hp)
{
	int head = 0, tail = 0, n, m, nh = 0;
	struct hunk *h = NULL;

	while (head < a->n && head < b->n && !strcmp(a->line[head], b->line[head]))
		head++;
	while (tail < a->n - head && tail < b->n - head &&
	       !strcmp(a->line[a->n - 1 - tail], b->line[b->n - 1 - tail]))
		tail++;
	n = a->n - head - tail;
	m = b->n - head - tail;
	if ((long)(n + 1) * (m + 1) > 16L * 1024 * 1024)
		return -1;
	/* L[i][j]: the common subsequence of old[i..] and new[j..]. */
	int *L = calloc((size_t)(n + 1) * (m + 1), sizeof(int));
#define AT(i, j) L[(i) * (m + 1) + (j)]
	for (int i = n - 1; i >= 0; i--)
		for (int j = m - 1; j >= 0; j--)
			AT(i, j) = !strcmp(a->line[head + i], b->line[head + j])
				? AT(i + 1, j + 1) + 1
				: (AT(i + 1, j) > AT(i, j + 1) ? AT(i + 1, j) : AT(i, j + 1));
	for (int i = 0, j = 0; i < n || j < m; ) {
		if (i < n && j < m && !strcmp(a->line[head + i], b->line[head + j])) {
			i++, j++;
			continue;
		}
		struct hunk k = { head + i, head + i, head + j, head + j };
		while ((i < n || j < m) &&
		       !(i < n && j < m && !strcmp(a->line[head + i], b->line[head + j]))) {
			if (j >= m || (i < n && AT(i + 1, j) >= AT(i, j + 1)))
				i++;
			else
				j++;
		}
		k.a1 = head + i;
		k.b1 = head + j;
		h = xrealloc(h, (nh + 1) * sizeof(*h));
		h[nh++] = k;
	}
#undef AT
	free(L);
	*hp = h;
	return nh;
}

/* ------------------------------------------------------------ placing edits */

/* The chapter's text of a generated line: the line less its indentation. */
static char *strip(const char *gen, const char *base, int shift)
{
	int k = 0;

	while (k < shift && base[k] && gen[k] == base[k] && (gen[k] == ' ' || gen[k] == '\t'))
		k++;
	if (k < shift)   /* less indented than its neighbours: keep what it has */
		for (k = 0; k < shift && (gen[k] == ' ' || gen[k] == '\t'); k++)
			;
	return strdup(gen + k);
}

/* lgtangle drops a line's trailing blanks; the chapter may keep them. */
static int same_but_trailing(const char *chapter, const char *gen)
{
	size_t n = strlen(gen);

	if (strncmp(chapter, gen, n) != 0)
		return 0;
	for (chapter += n; *chapter; chapter++)
		if (*chapter != ' ' && *chapter != '\t')
			return 0;
	return 1;
}

static void place(const char *path, struct text *old, struct text *new,
		  struct where *w, int nw, struct hunk *h)
{
	int gline = h->b0 + 1;
	struct where *anchor;
	int from, count = h->a1 - h->a0, shift;
	struct chapter *c;

	if (old->n != nw) {
		refuse(path, 1, "the record's line map does not match it; run make tangle on a clean file");
		return;
	}
	for (int i = h->a0; i < h->a1; i++) {
		if (w[i].kind != 'c') {
			refuse(path, gline, "the edit touches %s, not code; edit %s:%d instead",
			       w[i].kind == 't' ? "the tale's prose" : w[i].kind == 'h' ? "the header"
			       : "a step's end", w[i].file, w[i].lineno);
			return;
		}
		if (i > h->a0 && (strcmp(w[i].file, w[h->a0].file) ||
				  w[i].lineno != w[h->a0].lineno + (i - h->a0))) {
			refuse(path, gline, "the edit spans lines from two chunks (%s:%d and %s:%d); "
			       "make it in the chapters", w[h->a0].file, w[h->a0].lineno,
			       w[i].file, w[i].lineno);
			return;
		}
	}
	if (count > 0) {
		anchor = &w[h->a0];
		from = anchor->lineno;
	} else if (h->a0 > 0 && w[h->a0 - 1].kind == 'c') {
		anchor = &w[h->a0 - 1];     /* after the code line above */
		from = anchor->lineno + 1;
	} else if (h->a0 < nw && w[h->a0].kind == 'c') {
		anchor = &w[h->a0];         /* before the code line below */
		from = anchor->lineno;
	} else {
		refuse(path, gline, "the inserted lines have no code line of a chunk beside them; "
		       "make the edit in the chapters");
		return;
	}
	c = chapter(anchor->file);
	if (!c) {
		refuse(path, gline, "cannot read %s", anchor->file);
		return;
	}
	shift = anchor->shift;
	for (int i = h->a0; i < h->a1; i++) {
		int l = w[i].lineno - 1;
		const char *want = old->line[i] + (w[i].shift > 0 ? w[i].shift : 0);
		if (l < 0 || l >= c->orig.n || (int)strlen(old->line[i]) < w[i].shift ||
		    !same_but_trailing(c->orig.line[l], want)) {
			refuse(path, h->b0 + 1 + (i - h->a0),
			       "%s:%d does not read as this line did (it holds a chunk's use, "
			       "or the chapter changed since make tangle); make the edit there",
			       w[i].file, w[i].lineno);
			return;
		}
	}
	edits = xrealloc(edits, (nedits + 1) * sizeof(*edits));
	struct edit *e = &edits[nedits++];
	*e = (struct edit){ .c = c, .from = from, .count = count, .path = path, .gline = gline };
	for (int j = h->b0; j < h->b1; j++) {
		e->lines = xrealloc(e->lines, (e->nlines + 1) * sizeof(char *));
		e->lines[e->nlines++] = strip(new->line[j],
					      count ? old->line[h->a0 + (j - h->b0 < count ? j - h->b0 : count - 1)]
						    : old->line[anchor - w], shift);
	}
}

static int later_first(const void *a, const void *b)
{
	const struct edit *x = a, *y = b;
	int byname = strcmp(x->c->name, y->c->name);

	return byname ? byname : y->from - x->from;
}

static int same_edit(struct edit *x, struct edit *y)
{
	if (x->c != y->c || x->from != y->from || x->count != y->count || x->nlines != y->nlines)
		return 0;
	for (int i = 0; i < x->nlines; i++)
		if (strcmp(x->lines[i], y->lines[i]))
			return 0;
	return 1;
}

/* Applies the edits, the last lines of each chapter first. */
static void apply(void)
{
	qsort(edits, nedits, sizeof(*edits), later_first);
	for (int i = 0; i < nedits; i++) {
		struct edit *e = &edits[i];
		struct text *t = &e->c->text;
		if (i > 0 && same_edit(e, &edits[i - 1]))
			continue;   /* a chunk used twice, edited alike in both */
		if (i > 0 && edits[i - 1].c == e->c && e->from + e->count > edits[i - 1].from) {
			refuse(e->path, e->gline, "this edit and the one at %s:%d both change %s:%d; "
			       "make them in the chapter", edits[i - 1].path, edits[i - 1].gline,
			       e->c->name, e->from);
			continue;
		}
		int n = t->n - e->count + e->nlines;
		char **lines = xrealloc(NULL, (n + 1) * sizeof(char *));
		memcpy(lines, t->line, (e->from - 1) * sizeof(char *));
		memcpy(lines + e->from - 1, e->lines, e->nlines * sizeof(char *));
		memcpy(lines + e->from - 1 + e->nlines, t->line + e->from - 1 + e->count,
		       (t->n - (e->from - 1) - e->count) * sizeof(char *));
		t->line = lines;
		t->n = n;
		e->c->changed = 1;
		printf("untangle: %s:%d carries the edit of %s:%d\n", e->c->name, e->from,
		       e->path, e->gline);
	}
}

static void write_chapter(struct chapter *c)
{
	char path[4096], tmp[4200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", chapter_dir, c->name + 9);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "wb");
	for (int i = 0; f && i < c->text.n; i++)
		fprintf(f, "%s%s", c->text.line[i],
			i < c->text.n - 1 || c->text.final_newline ? "\n" : "");
	if (!f || fclose(f) != 0 || rename(tmp, path) < 0) {
		fprintf(stderr, "untangle: cannot write %s: %s\n", path, strerror(errno));
		exit(2);
	}
}

/* ------------------------------------------------------------ the walk */

static const char *record_dir, *gen_dir;

static void compare(const char *rel)
{
	char gpath[8300], rpath[8300], mpath[8400];
	struct text old, new;
	struct hunk *h = NULL;
	struct where *w;
	int nw = 0, nh;

	snprintf(gpath, sizeof(gpath), "%s/%s", gen_dir, rel);
	snprintf(rpath, sizeof(rpath), "%s/%s", record_dir, rel);
	snprintf(mpath, sizeof(mpath), "%s.lines", rpath);
	if (read_text(gpath, &new) < 0) {
		refuse(gpath, 1, "removed by hand; `git checkout %s` brings it back "
		       "(a root goes away by leaving the chapters)", gpath);
		return;
	}
	if (read_text(rpath, &old) < 0 || !(w = read_map(mpath, &nw)))
		return;
	nh = diff(&old, &new, &h);
	if (nh < 0) {
		refuse(gpath, 1, "too much of the file changed to place the edits; make them in the chapters");
		return;
	}
	if (new.final_newline != old.final_newline)
		refuse(gpath, new.n, "the file's last newline changed; put it back");
	for (int i = 0; i < nh; i++)
		place(strdup(gpath), &old, &new, w, nw, &h[i]);
}

static void walk(const char *rel)
{
	char path[4096];
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "%s%s%s", record_dir, *rel ? "/" : "", rel);
	if (!(d = opendir(path)))
		return;
	while ((e = readdir(d)) != NULL) {
		char sub[4096], full[8300];
		struct stat st;
		size_t n = strlen(e->d_name);
		if (e->d_name[0] == '.' || (n > 6 && !strcmp(e->d_name + n - 6, ".lines")))
			continue;
		snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "", e->d_name);
		snprintf(full, sizeof(full), "%s/%s", path, e->d_name);
		if (stat(full, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode))
			walk(sub);
		else
			compare(sub);
	}
	closedir(d);
}

int main(int argc, char **argv)
{
	struct stat st;

	if (argc != 4) {
		fprintf(stderr, "usage: untangle RECORD GENERATED CHAPTERS\n");
		return 2;
	}
	record_dir = argv[1];
	gen_dir = argv[2];
	chapter_dir = argv[3];
	if (stat(record_dir, &st) < 0) {
		fprintf(stderr, "untangle: %s: no record of what make tangle wrote (after make clean, "
			"say); nothing to untangle\n", record_dir);
		return 1;
	}
	walk("");
	if (!nerrors)
		apply();
	if (nerrors) {
		fprintf(stderr, "untangle: %d edit%s cannot be placed; no chapter changed\n",
			nerrors, nerrors == 1 ? "" : "s");
		return 1;
	}
	for (int i = 0; i < nchapters; i++)
		if (chapters[i].changed)
			write_chapter(&chapters[i]);
	if (!nedits)
		printf("untangle: generated/ holds no hand edits\n");
	return 0;
}
