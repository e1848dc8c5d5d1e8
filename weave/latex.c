/* latex.c: the LaTeX writer.  Code chunks as \lgchunk and an lgcode
 * Verbatim, with \hyperlink for uses and identifiers and page numbers in
 * the footers (the macros are in weave/preamble.tex). */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include "weave.h"

static const char *latex_macro[] = { "", "\\lgkw", "\\lgty", "\\lgcm", "\\lgst", "\\lgnu", "\\lgpp" };

/* names: [[x]] is code.  verb: inside a Verbatim with commandchars \{},
 * only those three are special. */
void latex_text(struct buf *b, const char *s, int names, int verb)
{
	for (; *s; s++) {
		if (names && s[0] == '[' && s[1] == '[') {
			bputs(b, "\\texttt{");
			s++;
		} else if (names && s[0] == ']' && s[1] == ']') {
			bputs(b, "}");
			s++;
		} else if (*s == '\\') bputs(b, "\\textbackslash{}");
		else if (*s == '{' || *s == '}') bprintf(b, "\\%c", *s);
		else if (verb) bputc(b, *s);
		else if (strchr("#$%&_", *s)) bprintf(b, "\\%c", *s);
		else if (*s == '~') bputs(b, "\\textasciitilde{}");
		else if (*s == '^') bputs(b, "\\textasciicircum{}");
		else bputc(b, *s);
	}
}

/* LaTeX names for anchors: fancyvrb makes '-' active inside code, so
 * the LaTeX side spells c-name-2 as c.name.2. */
const char *lid(const char *id)
{
	static char buf[4][512];
	static int n;
	char *b = buf[n++ % 4];
	snprintf(b, sizeof buf[0], "%s", id);
	for (char *s = b; *s; s++)
		if (*s == '-')
			*s = '.';
	return b;
}

/* ⟨name⟩ p. N */
void latex_chunk_ref(struct buf *b, int d)
{
	bprintf(b, "\\lgcref{%s}{", lid(defs[d].id));
	latex_text(b, defs[d].name, 1, 0);
	bputs(b, "}");
}

/* One token of code; k: the identifier definition it links to, or -1. */
void latex_token(struct buf *b, int kind, const char *t, int k)
{
	if (k >= 0)
		bprintf(b, "\\hyperlink{%s}{", lid(defs[idents[k].where].id));
	else if (kind != PLAIN)
		bprintf(b, "%s{", latex_macro[kind]);
	latex_text(b, t, 0, 1);
	if (k >= 0 || kind != PLAIN)
		bputc(b, '}');
}

void latex_code_head(struct buf *l, int d, const char *name, int cont)
{
	bprintf(l, "\\lgchunk{%s}{", lid(defs[d].id));
	latex_text(l, name, 1, 0);
	bprintf(l, "}{%s}\n\\begin{lgcode}\n", cont ? "+" : "");
}

/* The use of chunk `name' (defs[u], or -1) inside code. */
void latex_use(struct buf *l, const char *name, int u)
{
	if (u < 0) {
		bputs(l, "\\lgundef{");
		latex_text(l, name, 1, 1);
		bputs(l, "}");
		return;
	}
	bprintf(l, "\\lguse{%s}{", lid(defs[u].id));
	latex_text(l, name, 1, 1);
	bputs(l, "}");
}

static void continued_on(struct buf *l, int d)
{
	int n = 0;
	for (int k = d + 1; k < ndefs; k++)
		if (!strcmp(defs[k].name, defs[d].name)) {
			bputs(l, n++ ? "" : "Continued on p.\\,\\lgpstart");
			bprintf(l, "\\lgpref{%s}", lid(defs[k].id));
		}
	if (n)
		bputs(l, ". ");
}

static void used_in(struct buf *l, int d, int first)
{
	int n = 0;
	for (int k = 0; k < nuses; k++)
		if (!strcmp(uses[k].what, defs[d].name) && uses[k].where >= 0) {
			bputs(l, n++ ? ", " : "Used in ");
			latex_chunk_ref(l, uses[k].where);
		}
	if (n)
		bputs(l, ". ");
	else if (first == d && !strchr(defs[d].name, '/'))
		bputs(l, "Never used. ");
}

static void defines(struct buf *l, int d)
{
	int n = 0;
	for (int k = 0; k < nidents; k++) {
		if (idents[k].where != d)
			continue;
		bputs(l, n++ ? ", " : "Defines ");
		bputs(l, "\\texttt{");
		latex_text(l, idents[k].what, 0, 0);
		bputs(l, "}");
	}
	if (n)
		bputs(l, ".");
}

/* The end of the code, and the footer, with page numbers. */
void latex_footer(struct buf *l, int d)
{
	int first = first_def(defs[d].name);
	bputs(l, "\\end{lgcode}\n\\lgfoot{");
	if (first != d) {
		bputs(l, "Continues ");
		latex_chunk_ref(l, first);
		bputs(l, ". ");
	}
	continued_on(l, d);
	used_in(l, d, first);
	defines(l, d);
	bputs(l, "}\n");
}
