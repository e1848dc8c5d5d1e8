/* code.c: a code chunk as two raw blocks, one HTML and one LaTeX, each in
 * its flavour of the chapter's Markdown, highlighted and with every use and
 * known identifier linked.  pandoc's own highlighter cannot put links
 * inside code, so we highlight ourselves: one small C tokenizer here, the
 * markup of each format in html.c and latex.c. */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "weave.h"

int cur_def = -1;       /* the chunk being written */

/* The definition (in defs[]) an identifier in the current chunk links to,
 * or -1: none, or the chunk itself. */
static int link_of(const char *t)
{
	int k = ident_def(t, cur_def);
	int d = k >= 0 ? idents[k].where : -1;
	return d == cur_def ? -1 : k;
}

static void emit_token(struct buf *b, int latex, int kind, const char *s, size_t n,
                       const char *here)
{
	char *t = strndup(s, n);
	int k = kind == PLAIN && is_id0((unsigned char)*t) ? link_of(t) : -1;
	if (latex)
		latex_token(b, kind, t, k);
	else
		html_token(b, kind, t, k, here);
	free(t);
}

/* The end of a comment that starts at s, or goes on from the last piece. */
static const char *comment_end(const char *s, int *comment)
{
	if (!*comment)
		s += 2;
	*comment = 1;
	while (*s && !(s[0] == '*' && s[1] == '/'))
		s++;
	if (*s)
		s += 2, *comment = 0;
	return s;
}

/* The end of a string, a character or an #include <name>. */
static const char *string_end(const char *s)
{
	char q = *s == '<' ? '>' : *s;
	for (s++; *s && *s != q; s++)
		s += s[0] == '\\' && s[1];
	return s + (*s == q);
}

/* The next token of a line at s: its kind, and where it ends. */
static const char *token(const char *s, const char *first, int *comment, int *kind)
{
	const char *t = s;
	*kind = PLAIN;
	if (*comment || (s[0] == '/' && s[1] == '*')) {
		*kind = COMMENT;
		return comment_end(s, comment);
	}
	if (s[0] == '/' && s[1] == '/')
		return *kind = COMMENT, s + strlen(s);
	if (*s == '"' || *s == '\'' || (*s == '<' && *first == '#' && strstr(first, "include")))
		return *kind = STRING, string_end(s);
	if (s == first && *s == '#') {
		*kind = PREPROC;
		for (s++; *s == ' ' || *s == '\t'; s++)
			;
		while (is_id(*s))
			s++;
	} else if (isdigit((unsigned char)*s)) {
		*kind = NUMBER;
		while (is_id(*s) || *s == '.')
			s++;
	} else if (is_id0((unsigned char)*s)) {
		while (is_id(*s))
			s++;
		*kind = in_list(keywords, t, s - t) ? KEYWORD :
		        in_list(types, t, s - t) ? TYPE : PLAIN;
	} else {
		while (*s && !is_id(*s) && !strchr("\"'/#", *s))
			s++;
		s += s == t;
	}
	return s;
}

/* Highlight one line of code, in HTML or in LaTeX. */
void highlight(struct buf *b, int latex, const char *s, int *comment, const char *here)
{
	const char *first = s;
	while (*first == ' ' || *first == '\t')
		first++;
	while (*s) {
		int kind;
		const char *t = s;
		s = token(s, first, comment, &kind);
		emit_token(b, latex, kind, t, s - t, here);
	}
}

/* Tabs become spaces, so both formats line up. */
char *expand_tabs(const char *s, int *col)
{
	struct buf b = {0};
	bputs(&b, "");
	for (; *s; s++)
		if (*s == '\t')
			do bputc(&b, ' '); while (++*col % 8);
		else {
			bputc(&b, *s);
			*col += (*s & 0xc0) != 0x80;
		}
	return b.s;
}

/* The number of lines to write: trailing blank lines are dropped. */
static int lines_to_write(struct chunk *c)
{
	int last = c->nlines;
	while (last > 0 && (c->lines[last - 1].n == 0 ||
	       (c->lines[last - 1].n == 1 && !c->lines[last - 1].p[0].use &&
	        !*c->lines[last - 1].p[0].s)))
		last--;
	return last;
}

/* The line as the reader sees it, for the LaTeX side's wrapping. */
static void plain_line(struct line *ln)
{
	struct buf b = {0};
	int col = 0;
	bputs(&b, "");
	for (int j = 0; j < ln->n; j++) {
		char *t = ln->p[j].use ? xasprintf("<%s>", ln->p[j].s) : expand_tabs(ln->p[j].s, &col);
		bputs(&b, t);
		free(t);
	}
	latex_line(b.s);
	free(b.s);
}

static void write_line(struct buf *h, struct buf *l, struct line *ln,
                       int *comment, const char *here)
{
	int col = 0;
	plain_line(ln);
	for (int j = 0; j < ln->n; j++) {
		struct piece *p = &ln->p[j];
		if (p->use) {
			html_use(h, p->s, first_def(p->s), here);
			latex_use(l, p->s, first_def(p->s));
			continue;
		}
		char *t = expand_tabs(p->s, &col);
		highlight(h, 0, t, comment, here);
		highlight(l, 1, t, comment, here);
		free(t);
	}
	bputc(h, '\n');
	bputc(l, '\n');
}

/* A code chunk as two raw blocks: HTML, and LaTeX for the other flavour. */
void write_code(FILE *html, FILE *latex, struct chunk *c, const char *here)
{
	int d = c->def, comment = 0, cont = first_def(c->name) != d;
	struct buf h = {0}, l = {0};
	cur_def = d;
	html_code_head(&h, d, c->name, cont);
	latex_code_head(&l, d, c->name, cont);
	for (int i = 0, last = lines_to_write(c); i < last; i++)
		write_line(&h, &l, &c->lines[i], &comment, here);
	html_footer(&h, d, here);
	latex_footer(&l, d);
	fprintf(html, "\n~~~~~~~~~~{=html}\n%s~~~~~~~~~~\n\n", h.s);
	fprintf(latex, "\n~~~~~~~~~~{=latex}\n%s~~~~~~~~~~\n\n", l.s);
	free(h.s);
	free(l.s);
}
