/* prose.c: what the weave adds to the prose as it passes through.
 *
 * Prose is Pandoc Markdown and passes through untouched, except that
 *   - a step's marker line "@ H:515 Title." becomes a heading with id H:515;
 *   - the chapter's "# Title" gets the id ch-PAGE and its number;
 *   - each figure (```{.dot ...}) gets its number, "3.2" for the second
 *     figure of chapter 3, as LaTeX numbers it too;
 *   - each concept-index span, [words]{.idx}, gets an id, idx-PAGE-N,
 *     for the index to link to.
 * Its references become links on the way out (refs.c); the book's
 * filter (book.lua) draws the figures.  "lgweave index" reads the
 * same things here to write markers.tsv, figures.tsv and the concepts. */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "weave.h"

struct concept *concepts; int nconcepts, capconcepts;

/* The page's name without ".html": the stem of every id we make. */
static char *stem(const char *page)
{
	return xasprintf("%.*s", (int)strlen(page) - 5, page);
}

/* A figure's fence: ```{.dot ...} or ``` {.dot ...}. */
static int is_figure(const char *t)
{
	return !strncmp(t, "```", 3) && strstr(t, ".dot") && strchr(t, '{');
}

/* The figure's name, from #fig:NAME in its fence, or NULL. */
static char *figure_name(const char *t)
{
	const char *s = strstr(t, "#fig:");
	if (!s)
		return NULL;
	const char *e = s + 1;
	while (*e && !isspace((unsigned char)*e) && *e != '}')
		e++;
	return strndup(s + 1, e - s - 1);
}

/* The fence, with number="N.K" after its opening brace. */
static void number_figure(struct buf *b, const char *t, int chapter, int k)
{
	const char *brace = strchr(t, '{');
	bputn(b, t, brace + 1 - t);
	bprintf(b, "number=\"%d.%d\" ", chapter, k);
	bputs(b, brace + 1);
}

/* Each "]{.idx" in t gets an id: "]{#idx-STEM-N .idx". */
static void number_concepts(struct buf *b, const char *t, const char *st, int *n)
{
	const char *s;
	while ((s = strstr(t, "]{.idx")) && (s[6] == '}' || s[6] == ' ')) {
		bputn(b, t, s + 2 - t);
		bprintf(b, "#idx-%s-%d ", st, ++*n);
		t = s + 2;
	}
	bputs(b, t);
}

/* A step's heading, from its marker line. */
static void step_heading(struct buf *out, struct chunk *c, const char *t)
{
	const char *title = t + 5;
	while (*title == ' ')
		title++;
	size_t n = strlen(title);
	while (n && (title[n - 1] == '.' || title[n - 1] == ' '))
		n--;
	bprintf(out, "\n## [[%s]{.marker}](#%s) %.*s {#%s .step}\n\n",
	        c->marker, c->marker, (int)n, title, c->marker);
}

/* What the prose carries from one documentation chunk to the next. */
struct prose { const char *page; int number, figures, concepts, titled; };

static void prose_line(struct buf *out, struct prose *p, const char *t, int last)
{
	char *st = stem(p->page);
	if (!p->titled && t[0] == '#' && t[1] == ' ' && !strchr(t, '{')) {
		bprintf(out, "%s {#ch-%s number=\"%d\"}", t, st, p->number);
		p->titled = 1;
	} else if (is_figure(t)) {
		number_figure(out, t, p->number, ++p->figures);
	} else {
		number_concepts(out, t, st, &p->concepts);
	}
	bputs(out, last ? "" : "\n");
	free(st);
}

/* A documentation chunk: Markdown as written, with its marker as a
 * heading and its references as links (refs.c), in both flavours. */
void write_docs(FILE *html, FILE *latex, struct chunk *c, const char *page, int number)
{
	static struct prose p;
	struct buf b = {0}, o = {0};
	if (p.page != page)
		p = (struct prose){ .page = page, .number = number };
	bputs(&b, "");
	for (int i = 0; i < c->nlines; i++) {
		char *t = line_text(&c->lines[i]);
		if (i == 0 && c->marker && !strncmp(t, c->marker, 5))
			step_heading(&b, c, t);
		else
			prose_line(&b, &p, t, i + 1 == c->nlines);
		free(t);
	}
	bputs(&o, "");
	link_refs(&o, b.s, page, 0);
	fputs(o.s, html);
	o.n = 0;
	o.s[0] = 0;
	link_refs(&o, b.s, page, 1);
	fputs(o.s, latex);
	free(b.s);
	free(o.s);
}

/* ------------------------------------------------ for the index */

/* The words of [words]{.idx term="Term"}: the term if given, else the
 * words with their emphasis and code marks dropped and spaces squeezed. */
static char *concept_term(const char *open, const char *close)
{
	const char *term = strstr(close, "term=\"");
	const char *end = strchr(close, '}');
	if (term && (!end || term < end)) {
		const char *q = strchr(term + 6, '"');
		if (q)
			return strndup(term + 6, q - term - 6);
	}
	struct buf b = {0};
	bputs(&b, "");
	for (const char *s = open + 1; s < close; s++)
		if (isspace((unsigned char)*s) && b.n && b.s[b.n - 1] != ' ')
			bputc(&b, ' ');
		else if (!isspace((unsigned char)*s) && !strchr("*_`", *s))
			bputc(&b, *s);
	return b.s;
}

static void add_concept(char *term, const char *page, const char *label, int n)
{
	char *st = stem(page);
	struct concept k = { term, xstrdup(page), xstrdup(label),
	                     xasprintf("idx-%s-%d", st, n) };
	PUSH(concepts, nconcepts, capconcepts, k);
	free(st);
}

/* The concept spans of one documentation chunk, numbered on from *n. */
static void chunk_concepts(struct chunk *c, const char *label, int *n)
{
	struct buf all = {0};
	bputs(&all, "");
	for (int i = 0; i < c->nlines; i++) {
		char *t = line_text(&c->lines[i]);
		bprintf(&all, "%s\n", t);
		free(t);
	}
	for (const char *s = all.s; (s = strstr(s, "]{.idx")); s += 6) {
		if (s[6] != '}' && s[6] != ' ')
			continue;
		const char *open = s;
		while (open > all.s && *open != '[')
			open--;
		++*n;
		add_concept(concept_term(open, s), book.chapters[c->chapter].page, label, *n);
	}
	free(all.s);
}

/* Every step, figure and concept of the book: markers.tsv, figures.tsv,
 * and concepts[] for the index. */
void scan_prose(const char *dir)
{
	struct buf m = {0}, f = {0};
	int ch = -1, figures = 0, n = 0;
	bputs(&m, "");
	bputs(&f, "");
	for (int i = 0; i < book.nchunks; i++) {
		struct chunk *c = &book.chunks[i];
		const char *page = book.chapters[c->chapter].page;
		if (c->code)
			continue;
		if (c->chapter != ch)
			ch = c->chapter, figures = 0, n = 0;
		if (c->marker && c->nlines && c->lines[0].n &&
		    !strncmp(c->lines[0].p[0].s, c->marker, 5))
			bprintf(&m, "%s\t%s\n", c->marker, page);
		for (int j = 0; j < c->nlines; j++) {
			char *t = line_text(&c->lines[j]), *name;
			if (is_figure(t) && ++figures && (name = figure_name(t)))
				bprintf(&f, "%s\t%s\t%d.%d\n", name, page, ch + 1, figures), free(name);
			free(t);
		}
		chunk_concepts(c, c->marker ? c->marker : book.chapters[ch].title, &n);
	}
	write_if_changed(xasprintf("%s/markers.tsv", dir), &m);
	write_if_changed(xasprintf("%s/figures.tsv", dir), &f);
	free(m.s);
	free(f.s);
}
