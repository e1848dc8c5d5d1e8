/* refs.c: every reference in the prose becomes a link, as lgweave writes
 * the Markdown.
 *
 *   H:515, (H:515), *H:515*     a known step's marker: a link to the step
 *   *The Guest's memory*        a numbered chapter's title in italics: a
 *                               link to the chapter
 *   @fig:NAME, [@fig:NAME]      "Figure 3.2", a link to the figure
 *
 * In the HTML flavour a link names the page (none within the same page);
 * in the LaTeX flavour it names only the label, and \lgpage{id} after it
 * gives the page number.  Doing this here, in C, rather than in pandoc's
 * Lua filter is the weave's largest saving (weave/README.md, "Cost"): a
 * filter pays for every word it is shown, and here we only read the text.
 *
 * We read the Markdown only as far as we must to leave alone what is not
 * prose: fenced and indented code, code spans, links with their targets,
 * attribute lists, HTML tags and comments, and a chapter's title line.
 * A marker anywhere else is a word of the text, as pandoc would read it
 * when not preceded or followed by a letter, a digit or "_".  Figures'
 * captions (an attribute of the figure's fence) are not scanned. */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "weave.h"

/* Where a step or a figure is: its page, and a figure's number. */
struct target { char *page, *number; };
static struct map marker_map, figure_map;       /* -> index in targets[] */
static struct target *targets; static int ntargets, captargets;

static void add_target(struct map *m, char **field)
{
	struct target t = { xstrdup(field[1]), field[2] ? xstrdup(field[2]) : NULL };
	*map_slot(m, field[0], 1) = ntargets;
	PUSH(targets, ntargets, captargets, t);
}

static void marker_row(char **field, int n)
{
	if (n >= 2)
		field[2] = NULL, add_target(&marker_map, field);
}

static void figure_row(char **field, int n)
{
	if (n >= 3)
		add_target(&figure_map, field);
}

/* The book's steps and figures, from lgweave index's DIR; the chapters'
 * titles come from chapters.tsv (nav.c). */
void refs_load(const char *dir)
{
	read_tsv(xasprintf("%s/markers.tsv", dir), " (run lgweave index first)", marker_row);
	read_tsv(xasprintf("%s/figures.tsv", dir), " (run lgweave index first)", figure_row);
}

/* What the scan of one piece of prose writes to, and for which page. */
struct scan { struct buf *o; const char *page; int latex; };

static void scan_inline(struct scan *sc, const char *s, const char *end);

/* In the LaTeX flavour, a heading without an id of its own gets one made
 * from its page and its place: the PDF is one document, and pandoc, which
 * turns each page into LaTeX on its own, would name every chapter's
 * "Exercises" alike. */
static void heading(struct scan *sc, const char *t, const char *e)
{
	static const char *page;
	static int n;
	const char *end = e > t && e[-1] == '\n' ? e - 1 : e;
	struct buf h = {0};
	if (page != sc->page)
		page = sc->page, n = 0;
	bputn(&h, t, end - t);
	if (sc->latex && !memchr(t, '{', end - t))
		bprintf(&h, " {#h-%.*s-%d}", (int)strlen(page) - 5, page, ++n);
	bputn(&h, end, e - end);
	scan_inline(sc, h.s, h.s + h.n);
	free(h.s);
}

/* [text](target){.xref}, and in LaTeX the page number after it. */
static void link_to(struct scan *sc, const char *text, size_t n, const char *page, const char *id)
{
	bputc(sc->o, '[');
	bputn(sc->o, text, n);
	if (sc->latex)
		bprintf(sc->o, "](#%s){.xref}`\\lgpage{%s}`{=latex}", id, id);
	else
		bprintf(sc->o, "](%s){.xref}", href(page, sc->page, id));
}

static int is_word(int c)
{
	return isalnum(c) || c == '_';
}

/* ------------------------------------------------ inline prose */

/* The end of the run of c at s. */
static const char *run_end(const char *s, int c)
{
	while (*s == c)
		s++;
	return s;
}

/* A code span opened by the run of backticks [s, e): its end, or NULL. */
static const char *code_span_end(const char *e, size_t n, const char *end)
{
	for (const char *t = e; t < end; ) {
		if (*t != '`') {
			t++;
			continue;
		}
		const char *r = run_end(t, '`');
		if ((size_t)(r - t) == n)
			return r;
		t = r;
	}
	return NULL;
}

/* The bracket that closes the one at s, or NULL. */
static const char *bracket_end(const char *s, const char *end)
{
	int depth = 0;
	for (; s < end; s++) {
		if (*s == '\\' && s + 1 < end)
			s++;
		else if (*s == '`') {
			const char *r = run_end(s, '`'), *c = code_span_end(r, r - s, end);
			s = (c ? c : r) - 1;
		} else if (*s == '[')
			depth++;
		else if (*s == ']' && !--depth)
			return s;
	}
	return NULL;
}

/* The character that closes the group opened at s ("(" or "{"), or NULL. */
static const char *group_end(const char *s, const char *end, char open, char close)
{
	int depth = 0;
	for (; s < end; s++) {
		if (*s == '\\' && s + 1 < end)
			s++;
		else if (*s == open)
			depth++;
		else if (*s == close && !--depth)
			return s;
	}
	return NULL;
}

/* Text in *...* or _..._ that names a numbered chapter, or NULL. */
static struct navpage *chapter_named(const char *s, const char *e)
{
	struct buf b = {0};
	bputs(&b, "");
	for (; s < e; s++)
		if (isspace((unsigned char)*s)) {
			if (b.n && b.s[b.n - 1] != ' ')
				bputc(&b, ' ');
		} else if (!strncmp(s, "\u2019", 3)) {
			bputc(&b, '\'');
			s += 2;
		} else
			bputc(&b, *s);
	struct navpage *found = NULL;
	for (int i = 0; i < nnav && !found; i++)
		if (nav[i].number && !strcmp(nav[i].title, b.s))
			found = &nav[i];
	free(b.s);
	return found;
}

/* Emphasis at s that is a chapter's title becomes a link; returns where
 * the scan goes on, or NULL if s is not such emphasis. */
static const char *title_ref(struct scan *sc, const char *s, const char *start, const char *end)
{
	char d = *s;
	if (s[1] == d || isspace((unsigned char)s[1]) || (s > start && s[-1] == d) ||
	    (d == '_' && s > start && is_word((unsigned char)s[-1])))
		return NULL;
	const char *e = s + 1;
	while (e < end && !(*e == d && !isspace((unsigned char)e[-1]) && e[1] != d))
		e++;
	if (e >= end)
		return NULL;
	struct navpage *ch = chapter_named(s + 1, e);
	if (!ch)
		return NULL;
	char *id = xasprintf("ch-%.*s", (int)strlen(ch->page) - 5, ch->page);
	link_to(sc, s, e + 1 - s, ch->page, id);
	free(id);
	return e + 1;
}

/* @fig:NAME at s: "Figure N.K", a link; returns where the scan goes on. */
static const char *figure_ref(struct scan *sc, const char *s, const char *end)
{
	const char *e = s + 5;
	while (e < end && (is_word((unsigned char)*e) ||
	       (strchr(":.#$%&-+?<>~/", *e) && e + 1 < end && is_word((unsigned char)e[1]))))
		e++;
	char *name = strndup(s + 1, e - s - 1);
	int k = map_get(&figure_map, name);
	if (k < 0) {
		fprintf(stderr, "lgweave: %s: @%s names no figure\n", sc->page, name);
		bputs(sc->o, "Figure ??");
	} else {
		char *text = xasprintf("Figure\u00a0%s", targets[k].number);
		link_to(sc, text, strlen(text), targets[k].page, name);
		free(text);
	}
	free(name);
	return e;
}

/* A step's marker at s (one capital, ':', three digits): a link if the
 * step is known and the marker is a word of its own. */
static const char *marker_ref(struct scan *sc, const char *s, const char *start, const char *end)
{
	if (end - s < 5 || !isupper((unsigned char)s[0]) || s[1] != ':' ||
	    !isdigit((unsigned char)s[2]) || !isdigit((unsigned char)s[3]) ||
	    !isdigit((unsigned char)s[4]) || (s > start && is_word((unsigned char)s[-1])) ||
	    (s + 5 < end && is_word((unsigned char)s[5])))
		return NULL;
	char marker[6];
	memcpy(marker, s, 5);
	marker[5] = 0;
	int k = map_get(&marker_map, marker);
	if (k < 0)
		return NULL;
	link_to(sc, marker, 5, targets[k].page, marker);
	return s + 5;
}

/* "[": a link or an image is left whole, a span's words are scanned and
 * its attributes left, "[@fig:NAME]" is a figure.  Returns where the scan
 * goes on, or NULL for a bracket that is only text. */
static const char *bracket(struct scan *sc, const char *s, const char *end)
{
	const char *close = bracket_end(s, end), *g;
	if (!close)
		return NULL;
	if (close + 1 < end && close[1] == '(' && (g = group_end(close + 1, end, '(', ')'))) {
		bputn(sc->o, s, g + 1 - s);
		return g + 1;
	}
	if (close + 1 < end && close[1] == '[' && (g = bracket_end(close + 1, end))) {
		bputn(sc->o, s, g + 1 - s);
		return g + 1;
	}
	if (close + 1 < end && close[1] == '{' && (g = group_end(close + 1, end, '{', '}'))) {
		bputc(sc->o, '[');
		scan_inline(sc, s + 1, close);
		bputn(sc->o, close, g + 1 - close);
		return g + 1;
	}
	if (!strncmp(s, "[@fig:", 6) && figure_ref(sc, s + 1, close) == close)
		return close + 1;
	return NULL;
}

/* What at s is left as it is: an escape, a code span (and its attributes),
 * an attribute list, an HTML tag or comment.  Returns its end, or NULL. */
static const char *verbatim(const char *s, const char *end)
{
	const char *e;
	if (*s == '\\' && s + 1 < end)
		return s + 2;
	if (*s == '`') {
		const char *r = run_end(s, '`');
		e = code_span_end(r, r - s, end);
		if (!e)
			return r;
		if (e < end && *e == '{' && (s = group_end(e, end, '{', '}')))
			return s + 1;
		return e;
	}
	if (*s == '{' && s + 1 < end && strchr("#.=", s[1]) && (e = group_end(s, end, '{', '}')))
		return e + 1;
	if (!strncmp(s, "<!--", 4) && (e = strstr(s, "-->")) && e < end)
		return e + 3;
	if (*s == '<' && s + 1 < end && (isalpha((unsigned char)s[1]) || s[1] == '/') &&
	    (e = memchr(s, '>', end - s)))
		return e + 1;
	return NULL;
}

/* One paragraph's text (or a span's words): the references in it become
 * links, everything else is copied.  An image, ![alt](src), is copied
 * whole like a link. */
static void scan_inline(struct scan *sc, const char *s, const char *end)
{
	const char *start = s;
	while (s < end) {
		const char *next = verbatim(s, end);
		if (next)
			bputn(sc->o, s, next - s);
		if (!next && *s == '[')
			next = bracket(sc, s, end);
		if (!next && (*s == '*' || *s == '_'))
			next = title_ref(sc, s, start, end);
		if (!next && !strncmp(s, "@fig:", 5) && (s == start || !isalnum((unsigned char)s[-1])))
			next = figure_ref(sc, s, end);
		if (!next)
			next = marker_ref(sc, s, start, end);
		if (!next) {
			bputc(sc->o, *s);
			next = s + 1;
		}
		s = next;
	}
}

/* ------------------------------------------------ blocks */

/* A fence (``` or ~~~, three or more, after at most three spaces): its
 * length, or 0. */
static int fence(const char *t, char *c)
{
	int i = 0;
	while (i < 3 && t[i] == ' ')
		i++;
	if (t[i] != '`' && t[i] != '~')
		return 0;
	*c = t[i];
	int n = run_end(t + i, t[i]) - (t + i);
	return n >= 3 ? n : 0;
}

static int indent_of(const char *t)
{
	int n = 0;
	for (; *t == ' ' || *t == '\t'; t++)
		n += *t == '\t' ? 4 - n % 4 : 1;
	return n;
}

/* A list item's first line: "- ", "* ", "+ ", "1. " or "1) ". */
static int list_item(const char *t)
{
	t += strspn(t, " ");
	if (strchr("-*+", *t) && t[0] && (t[1] == ' ' || t[1] == '\t'))
		return 1;
	size_t d = strspn(t, "0123456789");
	return d && (t[d] == '.' || t[d] == ')') && (t[d + 1] == ' ' || t[d + 1] == '\t');
}

static int line_end(const char *s)
{
	return *s == '\n' || !*s;
}

/* What the scan of a chunk's lines knows at the line it is on. */
struct blocks {
	int fence; char fence_char;     /* inside a fenced block */
	int code, blank, list;          /* indented code, after a blank line, in a list
	                                 * (where code is indented twice as far) */
	const char *para;               /* the paragraph gathered so far */
};

static void flush(struct scan *sc, struct blocks *k, const char *here)
{
	if (k->para)
		scan_inline(sc, k->para, here);
	k->para = NULL;
}

/* One line of Markdown: left alone, or gathered into the paragraph. */
static void block_line(struct scan *sc, struct blocks *k, const char *t, const char *e)
{
	char c;
	int n = fence(t, &c);
	if (k->fence) {
		if (n >= k->fence && c == k->fence_char && line_end(t + strspn(t, " `~")))
			k->fence = 0;
	} else if (n && !(c == '`' && memchr(t + n, '`', e - t - n))) {
		flush(sc, k, t);
		k->fence = n, k->fence_char = c;
	} else if (line_end(t + strspn(t, " \t"))) {
		flush(sc, k, t);
		k->blank = 1;
		bputn(sc->o, t, e - t);
		return;
	} else if (indent_of(t) >= (k->list ? 8 : 4) && (k->code || k->blank)) {
		flush(sc, k, t);
		k->code = 1;
	} else if (t[0] == '#' && t[1] == ' ') {
		flush(sc, k, t);
	} else if (t[0] == '#' && t[strspn(t, "#")] == ' ' && k->blank) {
		flush(sc, k, t);
		heading(sc, t, e);
		k->blank = k->code = 0;
		return;
	} else {
		if (list_item(t))
			k->list = 1;
		else if (k->blank && indent_of(t) < 4)
			k->list = 0;
		k->code = k->blank = 0;
		if (!k->para)
			k->para = t;
		return;
	}
	if (!k->para)
		bputn(sc->o, t, e - t);
	k->blank = 0;
}

/* The Markdown of a piece of prose, s, onto o with its references as links. */
void link_refs(struct buf *o, const char *s, const char *page, int latex)
{
	struct scan sc = { o, page, latex };
	struct blocks k = {0};
	k.blank = 1;
	while (*s) {
		const char *e = strchr(s, '\n');
		e = e ? e + 1 : s + strlen(s);
		block_line(&sc, &k, s, e);
		s = e;
	}
	flush(&sc, &k, s);
}
