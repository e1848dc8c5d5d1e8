/* pipeline.c: read noweb's pipeline (see pipeline.h). */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util.h"
#include "pipeline.h"

/* A step marker: one capital, a colon, three digits ("H:515"). */
int is_marker(const char *s)
{
	return isupper((unsigned char)s[0]) && s[1] == ':' &&
	       isdigit((unsigned char)s[2]) && isdigit((unsigned char)s[3]) &&
	       isdigit((unsigned char)s[4]) && (s[5] == ' ' || s[5] == 0);
}

/* chapters/20-drivers.nw is woven into 20-drivers.html. */
char *page_of(const char *file)
{
	const char *base = strrchr(file, '/');
	base = base ? base + 1 : file;
	size_t n = strlen(base);
	if (n > 3 && !strcmp(base + n - 3, ".nw"))
		n -= 3;
	return xasprintf("%.*s.html", (int)n, base);
}

static void add_piece(struct chunk *c, int use, const char *s)
{
	if (!c->nlines) {
		struct line empty = {0};
		PUSH(c->lines, c->nlines, c->cap, empty);
	}
	struct line *l = &c->lines[c->nlines - 1];
	struct piece p = { use, xstrdup(s) };
	PUSH(l->p, l->n, l->cap, p);
}

static void end_line(struct chunk *c)
{
	struct line empty = {0};
	if (!c->nlines)
		PUSH(c->lines, c->nlines, c->cap, empty);
	PUSH(c->lines, c->nlines, c->cap, empty);
}

/* Documentation quotes [[code]] become Markdown code spans. */
static void add_quote(struct chunk *c, const char *code)
{
	int run = 0, longest = 0;
	for (const char *s = code; *s; s++) {
		run = *s == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	struct buf b = {0};
	for (int i = 0; i <= longest; i++)
		bputc(&b, '`');
	bputs(&b, code[0] == '`' ? " " : "");
	bputs(&b, code);
	bputs(&b, code[0] && code[strlen(code) - 1] == '`' ? " " : "");
	for (int i = 0; i <= longest; i++)
		bputc(&b, '`');
	add_piece(c, 0, b.s);
	free(b.s);
}

/* What the reader carries from one line of the pipeline to the next. */
struct reader {
	struct book *bk;
	struct chunk *c;        /* the chunk being read, or NULL */
	struct buf quote;       /* a [[quote]] being gathered */
	int quoting, skip_nl;
	char *marker;           /* the current step */
};

static void begin_chunk(struct reader *r, const char *arg)
{
	struct book *bk = r->bk;
	if (!bk->nchapters)
		die("markup has no @file line");
	struct chunk k = {0};
	k.code = !strncmp(arg, "code", 4);
	k.chapter = bk->nchapters - 1;
	k.def = -1;
	PUSH(bk->chunks, bk->nchunks, bk->capchunks, k);
	r->c = &bk->chunks[bk->nchunks - 1];
	r->c->marker = r->marker;
}

static void text(struct reader *r, const char *arg)
{
	struct chunk *c = r->c;
	if (r->quoting) {
		bputs(&r->quote, arg);
		return;
	}
	/* The first text of a documentation chunk may be its marker. */
	if (!c->code && !c->nlines && is_marker(arg)) {
		r->marker = xstrdup(arg);
		r->marker[5] = 0;
		c->marker = r->marker;
	}
	add_piece(c, 0, arg);
}

static void newline(struct reader *r)
{
	if (r->quoting)
		bputc(&r->quote, ' ');
	else if (r->skip_nl)
		r->skip_nl = 0;
	else
		end_line(r->c);
}

/* One line inside a chunk. */
static void chunk_line(struct reader *r, const char *line, const char *arg)
{
	if (!strncmp(line, "@defn ", 6)) {
		r->c->name = xstrdup(arg);
		r->skip_nl = 1;
	} else if (!strcmp(line, "@nl")) {
		newline(r);
	} else if (!strncmp(line, "@text ", 6) || !strcmp(line, "@text")) {
		text(r, arg);
	} else if (!strncmp(line, "@use ", 5)) {
		if (r->quoting)
			bprintf(&r->quote, "<<%s>>", arg);
		else
			add_piece(r->c, 1, arg);
	} else if (!strcmp(line, "@quote")) {
		r->quoting = 1;
		r->quote.n = 0;
		bputs(&r->quote, "");
	} else if (!strcmp(line, "@endquote")) {
		r->quoting = 0;
		add_quote(r->c, r->quote.s);
	}
}

static void markup_line(struct reader *r, const char *line, const char *arg)
{
	struct book *bk = r->bk;
	if (!strncmp(line, "@file ", 6)) {
		struct chapter ch = { xstrdup(arg), page_of(arg), NULL };
		PUSH(bk->chapters, bk->nchapters, bk->capchapters, ch);
		r->marker = NULL;
	} else if (!strncmp(line, "@begin ", 7)) {
		begin_chunk(r, arg);
	} else if (!strncmp(line, "@end ", 5)) {
		r->c = NULL;
	} else if (!strncmp(line, "@fatal", 6)) {
		die("markup failed: %s", line);
	} else if (r->c) {
		chunk_line(r, line, arg);
	}       /* @index, @xref and friends outside chunks: we make our own */
}

/* Chapter titles: the first line "# Title". */
static void find_titles(struct book *bk)
{
	for (int i = 0; i < bk->nchunks; i++) {
		struct chunk *k = &bk->chunks[i];
		struct chapter *ch = &bk->chapters[k->chapter];
		if (ch->title || k->code || !k->nlines || !k->lines[0].n)
			continue;
		const char *t = k->lines[0].p[0].s;
		if (t[0] == '#' && t[1] == ' ')
			ch->title = xstrdup(t + 2);
	}
	for (int i = 0; i < bk->nchapters; i++)
		if (!bk->chapters[i].title) {
			fprintf(stderr, "%s: warning: no '# Title' on the first line\n",
			        bk->chapters[i].file);
			bk->chapters[i].title = xstrdup(bk->chapters[i].page);
		}
}

/* Read noweb's pipeline from f into bk's chapters and chunks. */
void read_markup(FILE *f, struct book *bk)
{
	struct reader r = { .bk = bk };
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = 0;
		char *arg = strchr(line, ' ');
		arg = arg ? arg + 1 : line + len;
		markup_line(&r, line, arg);
	}
	free(line);
	free(r.quote.s);
	find_titles(bk);
}

/* The text of a line of a chunk, with each use as ``<<name>>''. */
char *line_text(struct line *l)
{
	struct buf b = {0};
	bputs(&b, "");
	for (int i = 0; i < l->n; i++)
		if (l->p[i].use)
			bprintf(&b, "<<%s>>", l->p[i].s);
		else
			bputs(&b, l->p[i].s);
	return b.s;
}
