/* index.c: the book's contents (home.md) and its index (identifiers.md):
 * every identifier with its kind, program, definition and uses, then every
 * chunk name with its definitions, in HTML and LaTeX. */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "weave.h"

/* One step of the contents: <li> with the marker and the title. */
static void home_step(struct buf *b, struct chunk *c, const char *sep)
{
	char *t = line_text(&c->lines[0]), *title = t + 5;
	size_t n = strlen(title);
	while (n && (title[n - 1] == '.' || title[n - 1] == ' '))
		n--;
	title[n] = 0;
	bprintf(b, "%s<li><a href=\"%s#%s\"><span class=\"marker\">%s</span>",
	        sep, book.chapters[c->chapter].page, c->marker, c->marker);
	html_text(b, title, 0);
	bputs(b, "</a></li>\n");
	free(t);
}

static int is_step(struct chunk *c)
{
	return !c->code && c->marker && c->nlines && c->lines[0].n &&
	       !strncmp(c->lines[0].p[0].s, c->marker, 5);
}

/* The home page: the table of contents, with every step. */
void write_home(const char *dir)
{
	struct buf b = {0};
	bputs(&b, "```{=html}\n<nav class=\"book-toc\" id=\"contents\">\n<ol class=\"chapters\">\n");
	for (int ch = 0; ch < book.nchapters; ch++) {
		bprintf(&b, "<li><a class=\"chapter\" href=\"%s\">", book.chapters[ch].page);
		html_text(&b, book.chapters[ch].title, 0);
		bputs(&b, "</a>");
		const char *sep = "\n<ol class=\"steps\">\n";
		for (int i = 0; i < book.nchunks; i++)
			if (book.chunks[i].chapter == ch && is_step(&book.chunks[i])) {
				home_step(&b, &book.chunks[i], sep);
				sep = "";
			}
		bputs(&b, *sep ? "</li>\n" : "</ol></li>\n");
	}
	bputs(&b, "<li><a class=\"chapter\" href=\"identifiers.html\">Index</a></li>\n"
	      "</ol>\n</nav>\n```\n");
	char *path = xasprintf("%s/home.md", dir);
	write_if_changed(path, &b);
	free(path);
	free(b.s);
}

static int by_name(const char *x, const char *y)
{
	int c = strcasecmp(x, y);
	return c ? c : strcmp(x, y);
}

/* Identifiers (indexes into idents[]) by name, then by place. */
static int by_ident(const void *a, const void *b)
{
	const struct ref *x = &idents[*(const int *)a], *y = &idents[*(const int *)b];
	int c = by_name(x->what, y->what);
	return c ? c : x->where - y->where;
}

/* The letters of the index, each a link to its first entry. */
static void letters(struct buf *h, const int *sorted)
{
	char last = 0;
	bputs(h, "<section class=\"identifiers\" id=\"identifiers\">\n"
	      "<h2>Identifiers</h2>\n<p class=\"letters\">");
	for (int i = 0; i < nidents; i++) {
		char c = toupper((unsigned char)idents[sorted[i]].what[0]);
		if (c != last)
			bprintf(h, "<a href=\"#letter-%c\">%c</a> ", c == '_' ? 'U' : c, c);
		last = c;
	}
	bputs(h, "</p>\n<dl class=\"index\">\n");
}

/* Where identifier k is used: in its own program or the ABI only. */
static void ident_uses(struct buf *h, struct buf *l, int k)
{
	const char *sep = "; used in ", *last_label = "";
	for (int u = 0; u < niuses; u++) {
		const struct def *d = &defs[iuses[u].where];
		if (iuses[u].to != k)
			continue;
		bprintf(l, "\\lgpref{%s}", lid(d->id));
		if (!strcmp(last_label, d->label))
			continue;       /* one link per step is enough */
		last_label = d->label;
		bprintf(h, "%s<a href=\"%s#%s\">", sep, d->page, d->id);
		html_text(h, d->label, 0);
		bputs(h, "</a>");
		sep = ", ";
	}
}

/* An identifier's kind, and its program where it has one. */
static const char *kind_of(const struct ref *r)
{
	static char buf[128];
	int prog = defs[r->where].prog;
	if (prog == PROG_NONE || prog == PROG_OTHER)
		return r->kind;
	snprintf(buf, sizeof buf, "%s, %s", r->kind, prog_name[prog]);
	return buf;
}

static void ident_entry(struct buf *h, struct buf *l, const int *sorted, int i)
{
	const struct ref *r = &idents[sorted[i]];
	int again = i > 0 && !strcmp(idents[sorted[i - 1]].what, r->what);
	char c = toupper((unsigned char)r->what[0]);
	if (!i || c != toupper((unsigned char)idents[sorted[i - 1]].what[0]))
		bprintf(h, "<dt class=\"letter\" id=\"letter-%c\">%c</dt>\n",
		        c == '_' ? 'U' : c, c);
	bprintf(h, "<dt%s%s%s><code>", again ? "" : " id=\"i-",
	        again ? "" : r->what, again ? "" : "\"");
	html_text(h, r->what, 0);
	bprintf(h, "</code> <span class=\"kind\">%s</span></dt>\n<dd>defined in ", kind_of(r));
	bputs(l, "\\lgientry{");
	latex_text(l, r->what, 0, 0);
	bprintf(l, "}{%s}{%s}{", kind_of(r), lid(defs[r->where].id));
	html_chunk_ref(h, r->where, "", 1);
	ident_uses(h, l, sorted[i]);
	bputs(h, "</dd>\n");
	bputs(l, "}\n");
}

static void identifier_index(struct buf *h, struct buf *l)
{
	int *sorted = malloc((nidents + 1) * sizeof *sorted);
	if (!sorted)
		die("out of memory");
	for (int i = 0; i < nidents; i++)
		sorted[i] = i;
	qsort(sorted, nidents, sizeof *sorted, by_ident);
	letters(h, sorted);
	bputs(l, "\\section*{Identifiers}\n\\begin{lgindex}\n");
	for (int i = 0; i < nidents; i++)
		ident_entry(h, l, sorted, i);
	bputs(h, "</dl>\n</section>\n");
	bputs(l, "\\end{lgindex}\n");
	if (!nidents) {
		bputs(l, "(None yet.)\n");
		bputs(h, "<p>(None yet.)</p>\n");
	}
	free(sorted);
}

/* Chunk names (first definitions in defs[]) by name. */
static int by_chunk(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	int c = by_name(defs[x].name, defs[y].name);
	return c ? c : x - y;
}

static void chunk_entry(struct buf *h, struct buf *l, int d)
{
	const char *sep = " ";
	bputs(h, "<li>");
	html_chunk_ref(h, d, "", 0);
	bputs(l, "\\lgcentry{");
	latex_text(l, defs[d].name, 1, 0);
	bputs(l, "}{");
	for (int k = d; k < ndefs; k++)
		if (!strcmp(defs[k].name, defs[d].name)) {
			bprintf(h, "%s<a href=\"%s#%s\">", sep, defs[k].page, defs[k].id);
			html_text(h, defs[k].label, 0);
			bputs(h, "</a>");
			bprintf(l, "\\lgpref{%s}", lid(defs[k].id));
			sep = ", ";
		}
	bputs(h, "</li>\n");
	bputs(l, "}\n");
}

/* Chunks, sorted by name, each with its definitions. */
static void chunk_index(struct buf *h, struct buf *l)
{
	int *names = malloc((ndefs + 1) * sizeof *names), n = 0;
	if (!names)
		die("out of memory");
	for (int i = 0; i < ndefs; i++)
		if (first_def(defs[i].name) == i)
			names[n++] = i;
	qsort(names, n, sizeof *names, by_chunk);
	bputs(h, "<section class=\"chunks\" id=\"chunks\">\n<h2>Code chunks</h2>\n<ul class=\"index\">\n");
	bputs(l, "\\section*{Code chunks}\n\\begin{lgindex}\n");
	for (int i = 0; i < n; i++)
		chunk_entry(h, l, names[i]);
	bputs(h, "</ul>\n</section>\n");
	bputs(l, "\\end{lgindex}\n");
	free(names);
}

/* The index of identifiers and the list of chunks, both formats. */
void write_identifiers(const char *dir)
{
	struct buf h = {0}, l = {0}, b = {0};
	identifier_index(&h, &l);
	chunk_index(&h, &l);
	bprintf(&b, "# Index {#index .unnumbered}\n\n~~~~~~~~~~{=html}\n%s~~~~~~~~~~\n\n"
	        "~~~~~~~~~~{=latex}\n%s~~~~~~~~~~\n", h.s, l.s);
	char *path = xasprintf("%s/identifiers.md", dir);
	write_if_changed(path, &b);
	free(path);
	free(h.s);
	free(l.s);
	free(b.s);
}
