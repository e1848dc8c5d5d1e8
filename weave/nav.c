/* nav.c: the book's pages in reading order (front matter, the numbered
 * chapters, back matter; then the index), kept in DIR/chapters.tsv, and
 * each HTML page's navigation: its title, the list of pages, previous and
 * next, as YAML metadata for pandoc's template (weave/page.html). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "weave.h"

struct navpage *nav; int nnav, capnav;

void nav_add(const char *page, const char *title, int number)
{
	struct navpage p = { xstrdup(page), xstrdup(title), number };
	PUSH(nav, nnav, capnav, p);
}

/* Front or back matter, book/front/NAME.md: a page NAME.html whose title
 * is the file's first line, "# Title". */
/* book/front/NAME.md's page: NAME.html. */
char *matter_page(const char *file)
{
	const char *base = strrchr(file, '/');
	base = base ? base + 1 : file;
	return xasprintf("%.*s.html", (int)strcspn(base, "."), base);
}

void nav_add_matter(const char *file)
{
	FILE *f = fopen(file, "r");
	char *line = NULL, *page = matter_page(file);
	size_t cap = 0;
	if (!f)
		die("cannot read %s", file);
	if (getline(&line, &cap, f) < 0 || strncmp(line, "# ", 2))
		die("%s:1: the first line must be '# Title'", file);
	line[strcspn(line, "\n{")] = 0;
	nav_add(page, line + 2, 0);
	free(line);
	free(page);
	fclose(f);
}

/* chapters.tsv: page, title and number of every page in reading order. */
void write_chapter_list(const char *dir)
{
	struct buf b = {0};
	bputs(&b, "");
	for (int i = 0; i < nnav; i++)
		bprintf(&b, "%s\t%s\t%d\n", nav[i].page, nav[i].title, nav[i].number);
	write_if_changed(xasprintf("%s/chapters.tsv", dir), &b);
	free(b.s);
}

static void chapter_row(char **field, int n)
{
	if (n >= 3)
		nav_add(field[0], field[1], atoi(field[2]));
}

void read_chapter_list(const char *path)
{
	read_tsv(path, "", chapter_row);
}

int chapter_number(const char *page)
{
	for (int i = 0; i < nnav; i++)
		if (!strcmp(nav[i].page, page))
			return nav[i].number;
	return 0;
}

/* YAML, double-quoted. */
void yaml_str(struct buf *b, const char *s)
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

static void page_list(struct buf *b, int me)
{
	bputs(b, "\nchapters:\n");
	for (int i = 0; i < nnav; i++) {
		bprintf(b, "- href: %s\n  title: ", nav[i].page);
		yaml_str(b, nav[i].title);
		if (nav[i].number)
			bprintf(b, "\n  number: %d", nav[i].number);
		bputs(b, i == me ? "\n  current: true\n" : "\n");
	}
}

/* The metadata of an HTML page: its title and the book's navigation.
 * page: "index.html" for the home page, "identifiers.html" for the index. */
void write_nav(const char *path, const char *title, const char *page)
{
	int me = 0, n = nnav;
	int home = !strcmp(page, "index.html"), index = !strcmp(page, "identifiers.html");
	while (me < n && strcmp(nav[me].page, page))
		me++;
	me = home ? -1 : me;
	struct buf b = {0};
	bputs(&b, "pagetitle: ");
	yaml_str(&b, title);
	bputs(&b, "\nbook-title: ");
	yaml_str(&b, book_title);
	bprintf(&b, "\npage: %s", page);
	bputs(&b, home ? "\nhome: true" : index ? "\nindex: true" : "");
	if (me >= 0 && me < n && nav[me].number)
		bprintf(&b, "\nnumber: %d", nav[me].number);
	page_list(&b, me);
	if (me >= 0)
		nav_link(&b, "prev", me ? nav[me - 1].page : "index.html",
		         me ? nav[me - 1].title : "Contents");
	if (me < n)
		nav_link(&b, "next", me + 1 < n ? nav[me + 1].page : "identifiers.html",
		         me + 1 < n ? nav[me + 1].title : "Index");
	write_if_changed(path, &b);
	free(b.s);
}
