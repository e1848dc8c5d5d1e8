/* search.c: a woven page's text, step by step, for the book's search.
 *
 * "lgweave search PAGE.html" reads the page pandoc wrote and prints one
 * record per step (each <h2> with an id starts one; the text before the
 * first is the page's own), as search.js wants them:
 *
 *   {"p":"PAGE.html","i":"ID","t":"step title","c":"page title","x":"text"},
 *
 * make joins the pages' records into search-data.js.  Reading the finished
 * page rather than pandoc's document costs almost nothing, and the text is
 * exactly what the reader sees: the prose, the code, the figures' words.
 * Only the page's <main> counts, up to its bottom navigation. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "weave.h"

/* A character by number, in UTF-8. */
static void utf8(struct buf *b, unsigned long c)
{
	if (c < 0x80) {
		bputc(b, c);
	} else if (c < 0x800) {
		bputc(b, 0xc0 | c >> 6);
		bputc(b, 0x80 | (c & 0x3f));
	} else if (c < 0x10000) {
		bputc(b, 0xe0 | c >> 12);
		bputc(b, 0x80 | (c >> 6 & 0x3f));
		bputc(b, 0x80 | (c & 0x3f));
	} else {
		bputc(b, 0xf0 | c >> 18);
		bputc(b, 0x80 | (c >> 12 & 0x3f));
		bputc(b, 0x80 | (c >> 6 & 0x3f));
		bputc(b, 0x80 | (c & 0x3f));
	}
}

/* The entities pandoc and dot write, as characters; the angle brackets
 * of chunk names as < and >, so that a search can quote them. */
static const char *entity(const char *s, struct buf *b)
{
	static const char *names[][2] = {
		{ "&lt;", "<" }, { "&gt;", ">" }, { "&quot;", "\"" }, { "&amp;", "&" },
		{ "&#x27E8;", "<" }, { "&#x27E9;", ">" }, { "&nbsp;", " " },
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strncmp(s, names[i][0], strlen(names[i][0]))) {
			bputs(b, names[i][1]);
			return s + strlen(names[i][0]);
		}
	char *e;
	unsigned long c = s[1] != '#' ? 0 : (s[2] == 'x' || s[2] == 'X') ?
	                  strtoul(s + 3, &e, 16) : strtoul(s + 2, &e, 10);
	if (c && c < 0x110000 && *e == ';') {
		utf8(b, c < 0x20 ? ' ' : c);
		return e + 1;
	}
	bputc(b, '&');
	return s + 1;
}

/* Tags that sit inside a word's line, and so part no words. */
static int inline_tag(const char *s)
{
	static const char *tags[] = { "a", "span", "code", "em", "strong", "sub", "sup", "b", "i" };
	s += 1 + (s[1] == '/');
	for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++) {
		size_t n = strlen(tags[i]);
		if (!strncmp(s, tags[i], n) && strchr(" >", s[n]))
			return 1;
	}
	return 0;
}

/* The text of [s, end): tags between words become spaces, entities
 * characters, and every run of white space one space. */
static void text_of(struct buf *b, const char *s, const char *end)
{
	struct buf t = {0};
	bputs(&t, "");
	while (s < end) {
		if (*s == '<') {
			const char *e = memchr(s, '>', end - s);
			if (!inline_tag(s))
				bputc(&t, ' ');
			s = e ? e + 1 : end;
		} else if (*s == '&') {
			s = entity(s, &t);
		} else {
			bputc(&t, *s++);
		}
	}
	size_t first = b->n;
	for (const char *p = t.s; *p; p++)
		if (strchr(" \t\n\r\f\v", *p)) {
			if (b->n > first && b->s[b->n - 1] != ' ')
				bputc(b, ' ');
		} else {
			bputc(b, *p);
		}
	if (b->n > first && b->s[b->n - 1] == ' ')
		b->s[--b->n] = 0;
	free(t.s);
}

/* A JSON string: quotes and backslashes escaped, control characters as
 * spaces. */
static void json(struct buf *o, const char *s)
{
	bputc(o, '"');
	for (; *s; s++)
		if (*s == '"' || *s == '\\')
			bprintf(o, "\\%c", *s);
		else
			bputc(o, (unsigned char)*s < 0x20 ? ' ' : *s);
	bputc(o, '"');
}

static void record(struct buf *o, const char *page, const char *id, const char *title,
                   const char *chapter, const char *text)
{
	if (!*id && !*text)
		return;
	bputs(o, "{\"p\":");
	json(o, page);
	bputs(o, ",\"i\":");
	json(o, id);
	bputs(o, ",\"t\":");
	json(o, title);
	bputs(o, ",\"c\":");
	json(o, chapter);
	bputs(o, ",\"x\":");
	json(o, text);
	bputs(o, "},\n");
}

/* The next step's heading, <h2 ... id="ID"...>, in [s, end), or NULL. */
static const char *next_step(const char *s, const char *end, char **id)
{
	while ((s = strstr(s, "<h2")) && s < end) {
		const char *gt = strchr(s, '>'), *at = strstr(s, " id=\"");
		if (gt && at && at < gt) {
			*id = strndup(at + 5, strcspn(at + 5, "\""));
			return s;
		}
		s += 3;
	}
	return NULL;
}

/* lgweave search PAGE.html: the page's records on stdout. */
void search_records(const char *path)
{
	char *html = read_all(path), *id = xstrdup(""), *next_id = NULL;
	const char *base = strrchr(path, '/'), *t = strstr(html, "<title>");
	const char *main = strstr(html, "<main>"), *end;
	struct buf chapter = {0}, title = {0}, text = {0}, o = {0};
	base = base ? base + 1 : path;
	if (!t || !main)
		die("%s: no <title> or <main>: not a page of the book", path);
	t += 7;
	text_of(&chapter, t, t + strcspn(t, "<"));
	char *dot = strstr(chapter.s, " \u00b7 ");
	if (dot)
		*dot = 0;
	if (!(end = strstr(main, "<nav class=\"pn bottom\"")) && !(end = strstr(main, "</main>")))
		end = main + strlen(main);
	bputs(&title, chapter.s);
	bputs(&o, "");
	for (const char *s = main + 6; s < end; ) {
		const char *h = next_step(s, end, &next_id);
		const char *stop = h ? h : end;
		text.n = 0;
		bputs(&text, "");
		text_of(&text, s, stop);
		record(&o, base, id, title.s, chapter.s, text.s);
		if (!h)
			break;
		const char *close = strstr(h, "</h2>");
		close = close && close < end ? close : end;
		title.n = 0;
		bputs(&title, "");
		text_of(&title, strchr(h, '>') + 1, close);
		free(id);
		id = next_id;
		s = close;
	}
	fputs(o.s, stdout);
	free(html);
	free(id);
	free(chapter.s);
	free(title.s);
	free(text.s);
	free(o.s);
}
