/* html.c: the HTML writer.  Code chunks as <div class="chunk">, their
 * names, uses, identifiers (links into the book) and footers. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include "weave.h"

static const char *html_class[] = { "", "kw", "ty", "cm", "st", "nu", "pp" };

/* Chunk names may quote code as [[x]]; HTML shows it as <code>. */
void html_text(struct buf *b, const char *s, int names)
{
	for (; *s; s++) {
		if (names && s[0] == '[' && s[1] == '[') {
			bputs(b, "<code>");
			s++;
		} else if (names && s[0] == ']' && s[1] == ']') {
			bputs(b, "</code>");
			s++;
		} else if (*s == '<') bputs(b, "&lt;");
		else if (*s == '>') bputs(b, "&gt;");
		else if (*s == '&') bputs(b, "&amp;");
		else if (*s == '"') bputs(b, "&quot;");
		else bputc(b, *s);
	}
}

/* A link to id on page, from page here. */
const char *href(const char *page, const char *here, const char *id)
{
	static char buf[1024];
	snprintf(buf, sizeof buf, "%s#%s", strcmp(page, here) ? page : "", id);
	return buf;
}

/* <a>⟨name⟩</a> label */
void html_chunk_ref(struct buf *b, int d, const char *here, int with_label)
{
	bprintf(b, "<a class=\"ref\" href=\"%s\">&#x27E8;", href(defs[d].page, here, defs[d].id));
	html_text(b, defs[d].name, 1);
	bputs(b, "&#x27E9;</a>");
	if (with_label) {
		bputs(b, " <span class=\"where\">");
		html_text(b, defs[d].label, 0);
		bputs(b, "</span>");
	}
}

/* One token of code; k: the identifier definition it links to, or -1. */
void html_token(struct buf *b, int kind, const char *t, int k, const char *here)
{
	if (k >= 0) {
		const struct def *d = &defs[idents[k].where];
		bprintf(b, "<a class=\"id\" href=\"%s\" title=\"%s %s, %s\">",
		        href(d->page, here, d->id), idents[k].kind, t, d->label);
	} else if (kind != PLAIN) {
		bprintf(b, "<span class=\"%s\">", html_class[kind]);
	}
	html_text(b, t, 0);
	if (k >= 0)
		bputs(b, "</a>");
	else if (kind != PLAIN)
		bputs(b, "</span>");
}

void html_code_head(struct buf *h, int d, const char *name, int cont)
{
	bprintf(h, "<div class=\"chunk\" id=\"%s\">\n<div class=\"chunk-name\">"
	        "<a class=\"self\" href=\"#%s\">&#x27E8;", defs[d].id, defs[d].id);
	html_text(h, name, 1);
	bprintf(h, "&#x27E9;%s</a></div>\n<pre class=\"code\"><code>",
	        cont ? "+&#x2261;" : "&#x2261;");
}

/* The use of chunk `name' (defs[u], or -1) inside code. */
void html_use(struct buf *h, const char *name, int u, const char *here)
{
	if (u < 0) {
		bputs(h, "<span class=\"use undefined\">&#x27E8;");
		html_text(h, name, 1);
		bputs(h, "&#x27E9;</span>");
		return;
	}
	bprintf(h, "<a class=\"use\" href=\"%s\">&#x27E8;", href(defs[u].page, here, defs[u].id));
	html_text(h, name, 1);
	bputs(h, "&#x27E9;</a>");
}

static void continued_in(struct buf *h, int d, const char *here)
{
	const char *sep = "<span>Continued in ";
	for (int k = d + 1; k < ndefs; k++)
		if (!strcmp(defs[k].name, defs[d].name)) {
			bprintf(h, "%s<a href=\"%s\">", sep, href(defs[k].page, here, defs[k].id));
			html_text(h, defs[k].label, 0);
			bputs(h, "</a>");
			sep = ", ";
		}
	if (*sep == ',')
		bputs(h, ".</span> ");
}

static void html_used_in(struct buf *h, int d, int first, const char *here)
{
	const char *sep = "<span>Used in ";
	for (int k = 0; k < nuses; k++)
		if (!strcmp(uses[k].what, defs[d].name) && uses[k].where >= 0) {
			bputs(h, sep);
			html_chunk_ref(h, uses[k].where, here, 1);
			sep = ", ";
		}
	if (*sep == ',')
		bputs(h, ".</span> ");
	else if (first == d && !strchr(defs[d].name, '/'))
		bputs(h, "<span>Never used.</span> ");
}

static void html_defines(struct buf *h, int d)
{
	const char *sep = "<span>Defines ";
	for (int k = 0; k < nidents; k++) {
		if (idents[k].where != d)
			continue;
		bprintf(h, "%s<a href=\"identifiers.html#i-%s\"><code>", sep, idents[k].what);
		html_text(h, idents[k].what, 0);
		bputs(h, "</code></a>");
		sep = ", ";
	}
	if (*sep == ',')
		bputs(h, ".</span>");
}

/* The end of the code, and the footer: where the chunk continues and is
 * used, what it defines. */
void html_footer(struct buf *h, int d, const char *here)
{
	int first = first_def(defs[d].name);
	bputs(h, "</code></pre>\n<div class=\"chunk-xref\">");
	if (first != d) {
		bputs(h, "<span>Continues ");
		html_chunk_ref(h, first, here, 1);
		bputs(h, ".</span> ");
	}
	continued_in(h, d, here);
	html_used_in(h, d, first, here);
	html_defines(h, d);
	bputs(h, "</div>\n</div>\n");
}
