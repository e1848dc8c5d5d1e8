/* pipeline.h: noweb's pipeline, read into chapters and chunks.
 *
 * noweb's front end, markup, turns each .nw file into lines such as
 * "@file F", "@begin code 3", "@defn name", "@text ...", "@use name",
 * "@nl", "@quote" ... "@endquote", "@end code 3".  read_markup() gathers
 * them into a struct book: the chapters (one per @file) and their chunks,
 * each chunk a list of lines, each line a list of pieces (text, or the use
 * of another chunk).  It knows nothing about weaving, so that a tangler can
 * read the same pipeline with it.  It depends only on util.h. */
#ifndef LGWEAVE_PIPELINE_H
#define LGWEAVE_PIPELINE_H
#include <stdio.h>

/* One piece of a line of a chunk: text, or a use of another chunk. */
struct piece { int use; char *s; };
struct line { struct piece *p; int n, cap; };

struct chapter { char *file, *page, *title; };

struct chunk {
	int code;               /* a code chunk, or documentation */
	int chapter;
	char *name;             /* code: the name defined */
	char *marker;           /* the step it belongs to ("H:515"), or NULL */
	struct line *lines;     /* documentation: one piece per line */
	int nlines, cap;
	/* Left for the reader's user: */
	int def;                /* -1 */
	int lang;               /* 0 */
	int prog;               /* 0 */
};

struct book {
	struct chapter *chapters; int nchapters, capchapters;
	struct chunk *chunks; int nchunks, capchunks;
};

void read_markup(FILE *f, struct book *bk);
int is_marker(const char *s);
char *page_of(const char *file);
char *line_text(struct line *l);

#endif
