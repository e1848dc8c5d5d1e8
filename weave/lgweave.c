/*
 * lgweave: the back end of our weave.
 *
 * noweb's front end, markup, turns chapters/NN-name.nw into a pipeline of
 * lines; lgweave reads that pipeline (pipeline.c) and writes Pandoc
 * Markdown, which pandoc then turns into HTML pages and, through LaTeX,
 * into the PDF.  Prose passes through untouched; each code chunk becomes a
 * pair of raw blocks, one for HTML and one for LaTeX, already highlighted
 * and cross-referenced (code.c), because pandoc's own highlighter cannot
 * put links inside code.  weave.h lists the parts.
 *
 *   lgweave index DIR      reads the whole book; writes, each only if changed:
 *                          DIR/chapters.tsv  page and title of every chapter
 *                          DIR/PAGE.xref     what chapter PAGE needs to know
 *                                            about the rest of the book
 *                          DIR/home.md       the book's table of contents
 *                          DIR/identifiers.md  the index of identifiers
 *   lgweave chapter DIR META
 *                          reads one chapter; with DIR/PAGE.xref and
 *                          DIR/chapters.tsv writes its Markdown to stdout
 *                          and its page metadata (navigation) to META.
 *
 * Identifiers (functions, structs, macros, globals, types, assembler
 * labels) are found by a small C-aware scan of the code (scan.c), so
 * authors need no "@ %def" lines.  Warnings go to stderr as FILE: message;
 * lgweave fails only when it cannot read or write.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "weave.h"

struct book book;
struct def *defs; int ndefs, capdefs;
struct ref *uses; int nuses, capuses;
struct ref *idents; int nidents, capidents;
struct ref *iuses; int niuses, capiuses;
struct map ident_map;
const char *book_title = "lguest, reborn";

/* A documentation chunk: Markdown as written, with its marker as a heading. */
static void write_docs(FILE *out, struct chunk *c)
{
	for (int i = 0; i < c->nlines; i++) {
		char *t = line_text(&c->lines[i]);
		if (i == 0 && c->marker && !strncmp(t, c->marker, 5)) {
			char *title = t + 5;
			size_t n;
			while (*title == ' ')
				title++;
			n = strlen(title);
			while (n && (title[n - 1] == '.' || title[n - 1] == ' '))
				n--;
			fprintf(out, "\n## [[%s]{.marker}](#%s) %.*s {#%s .step}\n\n",
			        c->marker, c->marker, (int)n, title, c->marker);
		} else {
			fprintf(out, "%s%s", t, i + 1 < c->nlines ? "\n" : "");
		}
		free(t);
	}
}

/* YAML, double-quoted. */
static void yaml_str(struct buf *b, const char *s)
{
	bputc(b, '"');
	for (; *s; s++)
		if (*s == '"' || *s == '\\')
			bprintf(b, "\\%c", *s);
		else
			bputc(b, *s);
	bputc(b, '"');
}

/* prev: or next: in a page's metadata. */
static void nav_link(struct buf *b, const char *which, const char *page, const char *title)
{
	bprintf(b, "%s:\n  href: %s\n  title: ", which, page);
	yaml_str(b, title);
	bputc(b, '\n');
}

/* The metadata of an HTML page: its title and the book's navigation.
 * me is the current chapter: -1 for the home page, nchapters for the index. */
static void write_nav(const char *path, const char *title, int me)
{
	struct chapter *ch = book.chapters;
	int n = book.nchapters;
	struct buf b = {0};
	bputs(&b, "pagetitle: ");
	yaml_str(&b, title);
	bputs(&b, "\nbook-title: ");
	yaml_str(&b, book_title);
	bputs(&b, me < 0 ? "\nhome: true" : me == n ? "\nindex: true" : "");
	bputs(&b, "\nchapters:\n");
	for (int i = 0; i < n; i++) {
		bprintf(&b, "- href: %s\n  title: ", ch[i].page);
		yaml_str(&b, ch[i].title);
		bputs(&b, i == me ? "\n  current: true\n" : "\n");
	}
	if (me >= 0)
		nav_link(&b, "prev", me ? ch[me - 1].page : "index.html",
		         me ? ch[me - 1].title : "Contents");
	if (me < n)
		nav_link(&b, "next", me + 1 < n ? ch[me + 1].page : "identifiers.html",
		         me + 1 < n ? ch[me + 1].title : "Index");
	write_if_changed(path, &b);
	free(b.s);
}

static void read_chapter_list(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		die("cannot read %s", path);
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	book.nchapters = 0;
	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = 0;
		char *tab = strchr(line, '\t');
		if (!tab)
			continue;
		*tab = 0;
		struct chapter ch = { NULL, xstrdup(line), xstrdup(tab + 1) };
		PUSH(book.chapters, book.nchapters, book.capchapters, ch);
	}
	free(line);
	fclose(f);
}

/* Match our code chunks with their entries in the book's index. */
static void match_defs(const char *page, const char *path)
{
	for (int i = 0; i < book.nchunks; i++) {
		struct chunk *c = &book.chunks[i];
		if (!c->code)
			continue;
		int k = 0;
		for (int j = 0; j < i; j++)
			k += book.chunks[j].code && !strcmp(book.chunks[j].name, c->name);
		for (int j = 0; j < ndefs && c->def < 0; j++)
			if (!strcmp(defs[j].page, page) && !strcmp(defs[j].name, c->name) && !k--)
				c->def = j;
		if (c->def < 0)
			die("%s: chunk <<%s>> is not in %s (stale index)", page, c->name, path);
	}
}

/* lgweave chapter DIR META < markup of one chapter */
static void weave_chapter(const char *dir, const char *meta)
{
	read_markup(stdin, &book);
	if (book.nchapters != 1)
		die("chapter mode wants exactly one chapter, got %d", book.nchapters);
	char *page = book.chapters[0].page, *title = book.chapters[0].title;
	char *path = xasprintf("%s/%.*s.xref", dir, (int)strlen(page) - 5, page);
	read_xref(path);
	match_defs(page, path);
	for (int i = 0; i < book.nchunks; i++) {
		if (book.chunks[i].code)
			write_code(stdout, &book.chunks[i], page);
		else
			write_docs(stdout, &book.chunks[i]);
	}
	putchar('\n');

	/* Navigation for the HTML page. */
	read_chapter_list(xasprintf("%s/chapters.tsv", dir));
	int me = 0;
	while (me < book.nchapters && strcmp(book.chapters[me].page, page))
		me++;
	write_nav(meta, title, me);
}

/* lgweave index DIR < markup of the whole book */
static void weave_index(const char *dir)
{
	read_markup(stdin, &book);
	build_index();
	struct buf b = {0};
	bputs(&b, "");
	for (int i = 0; i < book.nchapters; i++)
		bprintf(&b, "%s\t%s\n", book.chapters[i].page, book.chapters[i].title);
	write_if_changed(xasprintf("%s/chapters.tsv", dir), &b);
	for (int i = 0; i < book.nchapters; i++)
		write_xref(dir, i);
	write_home(dir);
	write_identifiers(dir);
	write_nav(xasprintf("%s/home.yaml", dir), "Contents", -1);
	write_nav(xasprintf("%s/identifiers.yaml", dir), "Index", book.nchapters);
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "index"))
		weave_index(argv[2]);
	else if (argc == 4 && !strcmp(argv[1], "chapter"))
		weave_chapter(argv[2], argv[3]);
	else
		die("usage: lgweave index DIR < markup\n"
		    "       lgweave chapter DIR META.yaml < markup > chapter.md");
	return 0;
}
