/*
 * lgweave: the back end of our weave.
 *
 * noweb's front end, markup, turns chapters/NN-name.nw into a pipeline of
 * lines; lgweave reads that pipeline (pipeline.c) and writes Pandoc
 * Markdown in two flavours, which pandoc then turns into HTML pages and,
 * through LaTeX, into the PDF.  Prose passes through with its references
 * made links (refs.c); each code chunk becomes a raw block, HTML in one
 * flavour and LaTeX in the other, already highlighted and
 * cross-referenced (code.c), because pandoc's own highlighter cannot put
 * links inside code.  weave.h lists the parts.
 *
 *   lgweave index DIR [-f FRONT.md]... [-b BACK.md]...
 *                          reads the whole book; writes, each only if changed:
 *                          DIR/chapters.tsv  page, title and number of every
 *                                            page, front and back matter too
 *                          DIR/NAME.yaml     front and back matter's navigation
 *                          DIR/markers.tsv   the page of every step
 *                          DIR/figures.tsv   the page and number of every
 *                                            named figure
 *                          DIR/PAGE.xref     what chapter PAGE needs to know
 *                                            about the rest of the book
 *                          DIR/home.md       the book's table of contents
 *                          DIR/identifiers.md  the index of identifiers
 *   lgweave chapter DIR META TEX
 *                          reads one chapter; with DIR/PAGE.xref,
 *                          DIR/chapters.tsv, markers.tsv and figures.tsv
 *                          writes its Markdown for HTML to stdout, for
 *                          LaTeX to TEX, and its page metadata
 *                          (navigation) to META.
 *   lgweave matter DIR FILE HTML TEX
 *                          front or back matter FILE, its references
 *                          linked, as Markdown for HTML and for LaTeX.
 *   lgweave search PAGE.html
 *                          the woven page's text, step by step, as
 *                          records for the book's search (search.c).
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

static FILE *create(const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		die("cannot write %s", path);
	return f;
}

static void finish(FILE *f, const char *path)
{
	if (ferror(f) || fclose(f))
		die("cannot write %s", path);
}

/* lgweave chapter DIR META TEX < markup of one chapter */
static void weave_chapter(const char *dir, const char *meta, const char *tex)
{
	read_markup(stdin, &book);
	if (book.nchapters != 1)
		die("chapter mode wants exactly one chapter, got %d", book.nchapters);
	char *page = book.chapters[0].page, *title = book.chapters[0].title;
	char *path = xasprintf("%s/%.*s.xref", dir, (int)strlen(page) - 5, page);
	read_xref(path);
	match_defs(page, path);
	read_chapter_list(xasprintf("%s/chapters.tsv", dir));
	refs_load(dir);
	int number = chapter_number(page);
	FILE *latex = create(tex);
	for (int i = 0; i < book.nchunks; i++) {
		if (book.chunks[i].code)
			write_code(stdout, latex, &book.chunks[i], page);
		else
			write_docs(stdout, latex, &book.chunks[i], page, number);
	}
	putchar('\n');
	fputc('\n', latex);
	finish(latex, tex);
	write_nav(meta, title, page);
}

/* lgweave matter DIR FILE.md HTML.md TEX.md: front or back matter, with
 * its references as links, in both flavours. */
static void weave_matter(const char *dir, const char *file, const char *html, const char *tex)
{
	char *in = read_all(file);
	struct buf out = {0};
	read_chapter_list(xasprintf("%s/chapters.tsv", dir));
	refs_load(dir);
	char *page = matter_page(file);
	for (int latex = 0; latex <= 1; latex++) {
		const char *path = latex ? tex : html;
		FILE *o = create(path);
		out.n = 0;
		bputs(&out, "");
		link_refs(&out, in, page, latex);
		fputs(out.s, o);
		finish(o, path);
	}
	free(in);
	free(out.s);
	free(page);
}

/* The pages in reading order: -f front matter, the chapters, -b back. */
static void reading_order(char **argv)
{
	for (char **a = argv; *a; a++)
		if (!strcmp(a[0], "-f") && a[1])
			nav_add_matter(*++a);
	for (int i = 0; i < book.nchapters; i++)
		nav_add(book.chapters[i].page, book.chapters[i].title, i + 1);
	for (char **a = argv; *a; a++)
		if (!strcmp(a[0], "-b") && a[1])
			nav_add_matter(*++a);
}

/* lgweave index DIR [-f FRONT.md]... [-b BACK.md]... < the whole book */
static void weave_index(const char *dir, char **argv)
{
	read_markup(stdin, &book);
	build_index();
	reading_order(argv);
	write_chapter_list(dir);
	for (int i = 0; i < book.nchapters; i++)
		write_xref(dir, i);
	scan_prose(dir);
	write_home(dir);
	write_identifiers(dir);
	write_nav(xasprintf("%s/home.yaml", dir), "Contents", "index.html");
	write_nav(xasprintf("%s/identifiers.yaml", dir), "Index", "identifiers.html");
	for (int i = 0; i < nnav; i++)
		if (!nav[i].number) {
			char *path = xasprintf("%s/%.*s.yaml", dir, (int)strlen(nav[i].page) - 5, nav[i].page);
			write_nav(path, nav[i].title, nav[i].page);
			free(path);
		}
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "index"))
		weave_index(argv[2], argv + 3);
	else if (argc == 5 && !strcmp(argv[1], "chapter"))
		weave_chapter(argv[2], argv[3], argv[4]);
	else if (argc == 6 && !strcmp(argv[1], "matter"))
		weave_matter(argv[2], argv[3], argv[4], argv[5]);
	else if (argc == 3 && !strcmp(argv[1], "search"))
		search_records(argv[2]);
	else
		die("usage: lgweave index DIR [-f FRONT.md]... [-b BACK.md]... < markup\n"
		    "       lgweave chapter DIR META.yaml TEX.md < markup > HTML.md\n"
		    "       lgweave matter DIR FILE.md HTML.md TEX.md\n"
		    "       lgweave search PAGE.html > PAGE.js");
	return 0;
}
