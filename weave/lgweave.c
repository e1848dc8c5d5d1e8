/*
 * lgweave: the back end of our weave.
 *
 * noweb's front end, markup, turns chapters/NN-name.nw into a pipeline of lines
 * ("@begin code 3", "@defn name", "@text ...", "@use name", "@nl" ...).
 * lgweave reads that pipeline and writes Pandoc Markdown, which pandoc then
 * turns into HTML pages and, through LaTeX, into the PDF.  Prose passes
 * through untouched; each code chunk becomes a pair of raw blocks, one for
 * HTML and one for LaTeX, already highlighted and cross-referenced, because
 * pandoc's own highlighter cannot put links inside code.
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
 * labels) are found by a small C-aware scan of the code, so authors need no
 * "@ %def" lines.  Warnings go to stderr as FILE: message; lgweave fails
 * only when it cannot read or write.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ utilities */

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "lgweave: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p)
		die("out of memory");
	return p;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s ? s : "");
	if (!d)
		die("out of memory");
	return d;
}

#define PUSH(arr, n, cap, val) do {                                     \
	if ((n) == (cap)) {                                             \
		(cap) = (cap) ? 2 * (cap) : 16;                         \
		(arr) = xrealloc((arr), (cap) * sizeof(*(arr)));        \
	}                                                               \
	(arr)[(n)++] = (val);                                           \
} while (0)

/* A string that grows. */
struct buf { char *s; size_t n, cap; };

static void bputn(struct buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->s = xrealloc(b->s, b->cap);
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = 0;
}
static void bputs(struct buf *b, const char *s) { bputn(b, s, strlen(s)); }
static void bputc(struct buf *b, char c) { bputn(b, &c, 1); }
static void bprintf(struct buf *b, const char *fmt, ...)
{
	char *s;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		die("out of memory");
	va_end(ap);
	bputs(b, s);
	free(s);
}

/* Write a file only if its contents change (noweb's cpif), so that make
 * rebuilds what depends on it only when it really changed. */
static void write_if_changed(const char *path, struct buf *b)
{
	FILE *f = fopen(path, "r");
	if (f) {
		struct buf old = {0};
		char tmp[8192];
		size_t n;
		while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
			bputn(&old, tmp, n);
		fclose(f);
		int same = old.n == b->n && (b->n == 0 || !memcmp(old.s, b->s, b->n));
		free(old.s);
		if (same)
			return;
	}
	f = fopen(path, "w");
	if (!f || fwrite(b->s ? b->s : "", 1, b->n, f) != b->n || fclose(f))
		die("cannot write %s", path);
}

/* A small hash table from strings to ints, for names and identifiers. */
struct map { char **keys; int *vals; size_t cap, n; };

static size_t hash(const char *s)
{
	size_t h = 5381;
	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

static int *map_slot(struct map *m, const char *key, int create)
{
	if (create && 2 * (m->n + 1) > m->cap) {
		struct map big = { 0 };
		big.cap = m->cap ? 2 * m->cap : 64;
		big.keys = calloc(big.cap, sizeof *big.keys);
		big.vals = calloc(big.cap, sizeof *big.vals);
		if (!big.keys || !big.vals)
			die("out of memory");
		for (size_t i = 0; i < m->cap; i++)
			if (m->keys[i])
				*map_slot(&big, m->keys[i], 1) = m->vals[i];
		free(m->keys);
		free(m->vals);
		*m = big;
	}
	if (!m->cap)
		return NULL;
	size_t i = hash(key) & (m->cap - 1);
	while (m->keys[i] && strcmp(m->keys[i], key))
		i = (i + 1) & (m->cap - 1);
	if (!m->keys[i]) {
		if (!create)
			return NULL;
		m->keys[i] = xstrdup(key);
		m->vals[i] = -1;
		m->n++;
	}
	return &m->vals[i];
}

static int map_get(struct map *m, const char *key)
{
	int *v = map_slot(m, key, 0);
	return v ? *v : -1;
}

/* ------------------------------------------------------------ the book */

/* One piece of a line of a chunk: text, or a use of another chunk. */
struct piece { int use; char *s; };
struct line { struct piece *p; int n, cap; };

/* What a chunk is written in: the language of the file it tangles into,
 * by the file's suffix.  Chunks in no file are taken for C. */
enum { LANG_UNKNOWN, LANG_C, LANG_ASM, LANG_OTHER };

struct chapter { char *file, *page, *title; };

struct chunk {
	int code;               /* a code chunk, or documentation */
	int chapter;
	char *name;             /* code: the name defined */
	char *marker;           /* the step it belongs to, or NULL */
	struct line *lines;     /* documentation: one piece per line */
	int nlines, cap;
	int def;                /* code: its entry in defs[] */
	int lang;               /* code: the language of the file it is in */
};

/* What the whole book knows about a code chunk, whichever chapter it is in:
 * computed from the markup by "index", read from PAGE.xref by "chapter". */
struct def { char *id, *page, *label, *name; };
/* Chunk or identifier `what' is used in (or defined in) defs[where]. */
struct ref { char *what; int where; char *kind; };

static struct chapter *chapters; static int nchapters, capchapters;
static struct chunk *chunks; static int nchunks, capchunks;
static struct def *defs; static int ndefs, capdefs;
static struct ref *uses; static int nuses, capuses;     /* chunk uses */
static struct ref *idents; static int nidents, capidents; /* definitions */
static struct ref *iuses; static int niuses, capiuses;   /* identifier uses */
static struct map ident_map;    /* identifier -> its first entry in idents */

static const char *book_title = "lguest, reborn";

static int is_marker(const char *s)
{
	return isupper((unsigned char)s[0]) && s[1] == ':' &&
	       isdigit((unsigned char)s[2]) && isdigit((unsigned char)s[3]) &&
	       isdigit((unsigned char)s[4]) && (s[5] == ' ' || s[5] == 0);
}

static char *page_of(const char *file)
{
	const char *base = strrchr(file, '/');
	base = base ? base + 1 : file;
	size_t n = strlen(base);
	if (n > 3 && !strcmp(base + n - 3, ".nw"))
		n -= 3;
	char *p;
	if (asprintf(&p, "%.*s.html", (int)n, base) < 0)
		die("out of memory");
	return p;
}

static void add_piece(struct chunk *c, int use, const char *s)
{
	if (!c->nlines) {
		struct line empty = {0};
		PUSH(c->lines, c->nlines, c->cap, empty);
	}
	struct line *l = &c->lines[c->nlines - 1];
	struct piece p = { use, xstrdup(s) };
	PUSH(l->p, l->n, l->cap, p);
}

static void end_line(struct chunk *c)
{
	struct line empty = {0};
	if (!c->nlines)
		PUSH(c->lines, c->nlines, c->cap, empty);
	PUSH(c->lines, c->nlines, c->cap, empty);
}

/* Documentation quotes [[code]] become Markdown code spans. */
static void add_quote(struct chunk *c, const char *code)
{
	int run = 0, longest = 0;
	for (const char *s = code; *s; s++) {
		run = *s == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	struct buf b = {0};
	for (int i = 0; i <= longest; i++)
		bputc(&b, '`');
	bputs(&b, code[0] == '`' ? " " : "");
	bputs(&b, code);
	bputs(&b, code[0] && code[strlen(code) - 1] == '`' ? " " : "");
	for (int i = 0; i <= longest; i++)
		bputc(&b, '`');
	add_piece(c, 0, b.s);
	free(b.s);
}

/* Read noweb's pipeline from f into chapters[] and chunks[]. */
static void read_markup(FILE *f)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	struct chunk *c = NULL;
	struct buf quote = {0};
	int quoting = 0, skip_nl = 0;
	char *marker = NULL;

	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = 0;
		char *arg = strchr(line, ' ');
		arg = arg ? arg + 1 : line + len;
		if (!strncmp(line, "@file ", 6)) {
			struct chapter ch = { xstrdup(arg), page_of(arg), NULL };
			PUSH(chapters, nchapters, capchapters, ch);
			marker = NULL;
		} else if (!strncmp(line, "@begin ", 7)) {
			if (!nchapters)
				die("markup has no @file line");
			struct chunk k = {0};
			k.code = !strncmp(arg, "code", 4);
			k.chapter = nchapters - 1;
			k.def = -1;
			PUSH(chunks, nchunks, capchunks, k);
			c = &chunks[nchunks - 1];
			c->marker = marker;
		} else if (!strncmp(line, "@end ", 5)) {
			c = NULL;
		} else if (!c) {
			continue;       /* @index, @xref and friends: we make our own */
		} else if (!strncmp(line, "@defn ", 6)) {
			c->name = xstrdup(arg);
			skip_nl = 1;
		} else if (!strcmp(line, "@nl")) {
			if (quoting)
				bputc(&quote, ' ');
			else if (skip_nl)
				skip_nl = 0;
			else
				end_line(c);
		} else if (!strncmp(line, "@text ", 6) || !strcmp(line, "@text")) {
			if (quoting) {
				bputs(&quote, arg);
				continue;
			}
			/* The first text of a documentation chunk may be its marker. */
			if (!c->code && !c->nlines && is_marker(arg)) {
				marker = xstrdup(arg);
				marker[5] = 0;
				c->marker = marker;
			}
			add_piece(c, 0, arg);
		} else if (!strncmp(line, "@use ", 5)) {
			if (quoting) {
				bprintf(&quote, "<<%s>>", arg);
				continue;
			}
			add_piece(c, 1, arg);
		} else if (!strcmp(line, "@quote")) {
			quoting = 1;
			quote.n = 0;
			bputs(&quote, "");
		} else if (!strcmp(line, "@endquote")) {
			quoting = 0;
			add_quote(c, quote.s);
		} else if (!strncmp(line, "@fatal", 6)) {
			die("markup failed: %s", line);
		}
	}
	free(line);
	free(quote.s);
	/* Chapter titles: the first line "# Title". */
	for (int i = 0; i < nchunks; i++) {
		struct chapter *ch = &chapters[chunks[i].chapter];
		struct chunk *k = &chunks[i];
		if (ch->title || k->code || !k->nlines || !k->lines[0].n)
			continue;
		const char *t = k->lines[0].p[0].s;
		if (t[0] == '#' && t[1] == ' ')
			ch->title = xstrdup(t + 2);
	}
	for (int i = 0; i < nchapters; i++)
		if (!chapters[i].title) {
			fprintf(stderr, "%s: warning: no '# Title' on the first line\n",
			        chapters[i].file);
			chapters[i].title = xstrdup(chapters[i].page);
		}
}

/* The text of a line of a chunk, with each use as ``<<name>>''. */
static char *line_text(struct line *l)
{
	struct buf b = {0};
	bputs(&b, "");
	for (int i = 0; i < l->n; i++)
		if (l->p[i].use)
			bprintf(&b, "<<%s>>", l->p[i].s);
		else
			bputs(&b, l->p[i].s);
	return b.s;
}

/* ------------------------------------------------------------ scanning C */

static int is_id0(int c) { return isalpha(c) || c == '_'; }
static int is_id(int c) { return isalnum(c) || c == '_'; }

/* Append s to b with comments and strings blanked out, so that the
 * scanners below see only declarations and names.  *comment carries an
 * open comment from one piece to the next. */
static void strip(struct buf *b, const char *s, int *comment)
{
	while (*s) {
		if (*comment) {
			if (s[0] == '*' && s[1] == '/')
				*comment = 0, s++;
			bputc(b, ' ');
			s++;
		} else if (s[0] == '/' && s[1] == '*') {
			*comment = 1;
			bputs(b, "  ");
			s += 2;
		} else if (s[0] == '/' && s[1] == '/') {
			break;
		} else if (*s == '"' || *s == '\'') {
			char q = *s++;
			while (*s && *s != q)
				s += s[0] == '\\' && s[1] ? 2 : 1;
			s += *s == q;
			bputs(b, " \"\" ");
		} else {
			bputc(b, *s++);
		}
	}
}

/* A chunk's code, stripped, uses blanked, newlines kept. */
static char *code_only(struct chunk *c)
{
	struct buf b = {0};
	int comment = 0;
	bputs(&b, "");
	for (int i = 0; i < c->nlines; i++) {
		struct line *l = &c->lines[i];
		for (int j = 0; j < l->n; j++)
			if (l->p[j].use)
				bputc(&b, ' ');
			else
				strip(&b, l->p[j].s, &comment);
		bputc(&b, '\n');
	}
	return b.s;
}

static int brace_change(const char *s)
{
	int d = 0;
	for (; *s; s++)
		d += (*s == '{') - (*s == '}');
	return d;
}

/* Chunks are written from column 0 wherever they are used, so a chunk's
 * column 0 is the top level of its file only if its first use stands
 * outside every brace.  Walk each file as notangle would, counting braces,
 * and note the depth at which each name is first expanded. */
static struct map entry_depth;

static void walk_depth(const char *name, int *depth, int level)
{
	for (int i = 0; i < nchunks && level < 50; i++) {
		struct chunk *c = &chunks[i];
		if (!c->code || strcmp(c->name, name))
			continue;
		int comment = 0;
		for (int j = 0; j < c->nlines; j++)
			for (int k = 0; k < c->lines[j].n; k++) {
				struct piece *p = &c->lines[j].p[k];
				if (p->use) {
					int *d = map_slot(&entry_depth, p->s, 1);
					if (*d < 0) {
						*d = *depth > 0 ? *depth : 0;
						walk_depth(p->s, depth, level + 1);
					}
					continue;
				}
				struct buf b = {0};
				bputs(&b, "");
				strip(&b, p->s, &comment);
				*depth += brace_change(b.s);
				free(b.s);
			}
	}
}

static const char *keywords[] = {
	"if", "else", "for", "while", "do", "switch", "case", "default",
	"break", "continue", "return", "goto", "sizeof", "typedef", "struct",
	"union", "enum", "static", "extern", "const", "volatile", "inline",
	"register", "restrict", "asm", "__asm__", "__attribute__", "_Static_assert",
	"__volatile__", "__inline__", "_Noreturn", "_Alignas", "_Alignof", NULL
};
static const char *types[] = {
	"void", "char", "short", "int", "long", "unsigned", "signed", "float",
	"double", "_Bool", "bool", "u8", "u16", "u32", "u64", "s8", "s16",
	"s32", "s64", "size_t", "ssize_t", "uintptr_t", "off_t", NULL
};

static int in_list(const char **list, const char *s, size_t n)
{
	for (; *list; list++)
		if (strlen(*list) == n && !strncmp(*list, s, n))
			return 1;
	return 0;
}

static void define_ident(const char *name, size_t n, const char *kind, int def)
{
	char *s = strndup(name, n);
	for (int i = 0; i < nidents; i++)   /* once per chunk is enough */
		if (idents[i].where == def && !strcmp(idents[i].what, s)) {
			free(s);
			return;
		}
	struct ref r = { s, def, (char *)kind };
	PUSH(idents, nidents, capidents, r);
	int *slot = map_slot(&ident_map, s, 1);
	if (*slot < 0)
		*slot = nidents - 1;
}

/* One declaration that starts at column 0 of C code: a function if a
 * parenthesis follows a name and a brace follows the parentheses, else
 * a global variable or a typedef.  Prototypes and externs define nothing. */
static void scan_decl(const char *s, int def)
{
	const char *names[64], *fname = NULL;
	size_t lens[64], flen = 0;
	int nnames = 0, depth = 0, brace = 0, typedef_ = !strncmp(s, "typedef", 7);
	int named = 0;          /* this declarator's name is already recorded */
	const char *first_end = s;
	while (is_id(*first_end))
		first_end++;
	if (in_list(keywords, s, first_end - s) && strncmp(s, "static", 6) &&
	    strncmp(s, "const", 5) && strncmp(s, "struct", 6) &&
	    strncmp(s, "union", 5) && strncmp(s, "enum", 4) && !typedef_)
		return;
	if (*first_end == ':')         /* a goto label */
		return;
	for (; *s; s++) {
		if (is_id0((unsigned char)*s)) {
			const char *t = s;
			while (is_id(*s))
				s++;
			if (!depth && !brace && nnames < 64) {
				names[nnames] = t;
				lens[nnames++] = s - t;
			}
			if (depth == 1 && typedef_ && t[-1] == '*' && *s == ')') {
				define_ident(t, s - t, "type", def);   /* (*name)(...) */
				return;
			}
			s--;
		} else if (isdigit((unsigned char)*s)) {
			while (is_id(*s))
				s++;
			s--;
		} else if (*s == '(') {
			if (!depth && !brace && !fname && nnames && s[-1] != ')') {
				const char *n = names[nnames - 1];
				size_t len = lens[nnames - 1];
				if (!strncmp(n, "__", 2) && named) {
					depth++;        /* an attribute after the name */
					continue;
				}
				if (!strncmp(n, "__", 2) && nnames > 1) {
					/* an attribute: what precedes it is a variable */
					define_ident(names[nnames - 2], lens[nnames - 2],
					             "global", def);
					return;
				}
				if (!typedef_) {
					fname = n;
					flen = len;
				}
			}
			depth++;
		} else if (*s == ')') {
			depth -= depth > 0;
		} else if (depth) {
			continue;
		} else if (*s == '{') {
			if (fname && !brace) {
				if (!in_list(keywords, fname, flen))
					define_ident(fname, flen, "function", def);
				return;
			}
			if (!typedef_)
				return;         /* struct definitions are found elsewhere */
			brace++;
		} else if (*s == '}') {
			brace -= brace > 0;
		} else if (brace) {
			continue;
		} else if (*s == '[' || *s == '=' || *s == ';' || *s == ',') {
			if (fname)
				return;         /* a prototype */
			if (!named && nnames >= 2 && (typedef_ || !in_list(types, names[nnames - 1], lens[nnames - 1])) &&
			    !in_list(keywords, names[nnames - 1], lens[nnames - 1]))
				define_ident(names[nnames - 1], lens[nnames - 1],
				             typedef_ ? "type" : "global", def);
			if (*s == ';')
				return;
			named = 1;
			if (*s == '[') {        /* skip the dimension */
				while (*s && *s != ']')
					s++;
				if (!*s)
					return;
				continue;
			} else if (*s == '=') { /* skip the initializer */
				int d = 0;
				for (s++; *s && (d || (*s != ',' && *s != ';')); s++) {
					d += *s == '(' || *s == '{' || *s == '[';
					d -= *s == ')' || *s == '}' || *s == ']';
				}
				if (!*s || *s == ';')
					return;
			}
			nnames = 1;     /* the type stays for "int a, b;" */
			named = 0;
		}
	}
}

/* Find what a code chunk defines. */
static void scan_definitions(struct chunk *c)
{
	if (c->lang == LANG_OTHER)
		return;
	char *text = code_only(c);
	int asm_ = c->lang == LANG_ASM, continued = 0;
	int depth = map_get(&entry_depth, c->name);
	depth = depth < 0 ? 0 : depth;
	for (char *s = text; *s; ) {
		char *eol = strchr(s, '\n');
		char *t = s;
		int top = depth == 0 && !continued;
		if (eol)
			*eol = 0;
		depth += brace_change(s);
		continued = eol > s && eol[-1] == '\\';
		if (eol)
			*eol = '\n';
		while (*t == ' ' || *t == '\t')
			t++;
		if (*t == '#') {                /* #define NAME */
			t++;
			while (*t == ' ' || *t == '\t')
				t++;
			if (!strncmp(t, "define", 6) && (t[6] == ' ' || t[6] == '\t')) {
				t += 7;
				while (*t == ' ' || *t == '\t')
					t++;
				char *e = t;
				while (is_id(*e))
					e++;
				if (e > t)
					define_ident(t, e - t, "macro", c->def);
			}
		} else if (!top) {
			;                       /* inside a function or a struct */
		} else if (asm_) {              /* name: at column 0 */
			char *e = s;
			while (is_id(*e))
				e++;
			if (e > s && *e == ':' && is_id0((unsigned char)*s))
				define_ident(s, e - s, "label", c->def);
		} else if (is_id0((unsigned char)*s)) {
			scan_decl(s, c->def);
		}
		s = eol ? eol + 1 : s + strlen(s);
	}
	/* struct NAME {, anywhere */
	static const char *tags[] = { "struct", "union", "enum" };
	for (char *s = text; !asm_ && *s; s++) {
		if (s > text && is_id(s[-1]))
			continue;
		for (int k = 0; k < 3; k++) {
			size_t n = strlen(tags[k]);
			if (strncmp(s, tags[k], n) || is_id(s[n]))
				continue;
			char *t = s + n;
			while (isspace((unsigned char)*t))
				t++;
			char *e = t;
			while (is_id(*e))
				e++;
			char *b = e;
			while (isspace((unsigned char)*b))
				b++;
			if (e > t && *b == '{')
				define_ident(t, e - t, tags[k], c->def);
		}
	}
	free(text);
}

/* Record every use of a known identifier outside the chunks defining it. */
static void scan_uses(struct chunk *c)
{
	char *text = code_only(c);
	for (char *s = text; *s; s++) {
		if (!is_id0((unsigned char)*s) || (s > text && is_id(s[-1])))
			continue;
		char *e = s;
		while (is_id(*e))
			e++;
		char save = *e;
		*e = 0;
		int i = map_get(&ident_map, s);
		int defined_here = 0, seen = 0;
		for (int k = i; k >= 0 && k < nidents; k++)
			if (!strcmp(idents[k].what, s) && idents[k].where == c->def)
				defined_here = 1;
		for (int k = niuses - 1; k >= 0 && iuses[k].where == c->def; k--)
			if (!strcmp(iuses[k].what, s))
				seen = 1;
		if (i >= 0 && !defined_here && !seen) {
			struct ref r = { idents[i].what, c->def, NULL };
			PUSH(iuses, niuses, capiuses, r);
		}
		*e = save;
		s = e - 1;
	}
	free(text);
}

/* ------------------------------------------------------------ the index */

/* A chunk's anchor: its name in lower case, words joined by '-'. */
static char *slug(const char *name)
{
	struct buf b = {0};
	bputs(&b, "c-");
	for (const char *s = name; *s; s++) {
		if (isalnum((unsigned char)*s))
			bputc(&b, tolower((unsigned char)*s));
		else if (b.s[b.n - 1] != '-')
			bputc(&b, '-');
	}
	while (b.n > 2 && b.s[b.n - 1] == '-')
		b.s[--b.n] = 0;
	return b.s;
}

/* What a chunk is written in: the language of the file it tangles into,
 * by the file's suffix.  Chunks in no file are taken for C. */
static int lang_of_file(const char *name)
{
	const char *dot = strrchr(name, '.');
	if (!strchr(name, '/') || !dot || strchr(dot, ' '))
		return LANG_UNKNOWN;    /* not a file */
	if (!strcmp(dot, ".c") || !strcmp(dot, ".h"))
		return LANG_C;
	if (!strcmp(dot, ".S") || !strcmp(dot, ".s"))
		return LANG_ASM;
	return LANG_OTHER;              /* linker scripts and the like */
}

static void mark_lang(const char *name, int lang, int depth)
{
	if (depth > 100)
		return;
	for (int i = 0; i < nchunks; i++) {
		struct chunk *c = &chunks[i];
		if (!c->code || c->lang || strcmp(c->name, name))
			continue;
		c->lang = lang;
		for (int j = 0; j < c->nlines; j++)
			for (int k = 0; k < c->lines[j].n; k++)
				if (c->lines[j].p[k].use)
					mark_lang(c->lines[j].p[k].s, lang, depth + 1);
	}
}

static const char *label_of(struct chunk *c)
{
	return c->marker ? c->marker : chapters[c->chapter].title;
}

static void build_index(void)
{
	struct map names = {0}, slugs = {0}, count = {0};
	for (int i = 0; i < nchunks; i++) {
		struct chunk *c = &chunks[i];
		if (!c->code)
			continue;
		/* The k-th definition of a name is "slug-k"; names whose slugs
		 * collide are told apart by a number. */
		int *nameno = map_slot(&names, c->name, 1);
		char *base = slug(c->name);
		if (*nameno < 0) {
			int *owner = map_slot(&slugs, base, 1);
			*nameno = *owner = *owner + 1;   /* -1 -> 0, 0 -> 1, ... */
		}
		if (*nameno > 0) {
			char *b2;
			if (asprintf(&b2, "%s-v%d", base, *nameno + 1) < 0)
				die("out of memory");
			free(base);
			base = b2;
		}
		int *k = map_slot(&count, c->name, 1);
		*k = *k < 0 ? 1 : *k + 1;
		char *id = base;
		if (*k > 1 && asprintf(&id, "%s-%d", base, *k) < 0)
			die("out of memory");
		struct def d = { id, chapters[c->chapter].page,
		                 xstrdup(label_of(c)), c->name };
		c->def = ndefs;
		PUSH(defs, ndefs, capdefs, d);
	}
	/* Uses of chunks, once per using chunk. */
	for (int i = 0; i < nchunks; i++) {
		struct chunk *c = &chunks[i];
		for (int j = 0; c->code && j < c->nlines; j++)
			for (int k = 0; k < c->lines[j].n; k++) {
				struct piece *p = &c->lines[j].p[k];
				int seen = 0;
				for (int u = nuses - 1; u >= 0 && uses[u].where == c->def; u--)
					seen |= !strcmp(uses[u].what, p->s);
				if (p->use && !seen) {
					struct ref r = { p->s, c->def, NULL };
					PUSH(uses, nuses, capuses, r);
				}
			}
	}
	/* The brace depth at which each chunk first stands in its file. */
	for (int i = 0; i < nchunks; i++)
		if (chunks[i].code && lang_of_file(chunks[i].name)) {
			int depth = 0;
			walk_depth(chunks[i].name, &depth, 0);
		}
	/* Each file's language, down to its chunks. */
	for (int i = 0; i < nchunks; i++)
		if (chunks[i].code && lang_of_file(chunks[i].name))
			mark_lang(chunks[i].name, lang_of_file(chunks[i].name), 0);
	for (int i = 0; i < nchunks; i++)
		if (chunks[i].code)
			scan_definitions(&chunks[i]);
	for (int i = 0; i < nchunks; i++)
		if (chunks[i].code)
			scan_uses(&chunks[i]);
	/* Warn about uses of undefined chunks; weave them all the same. */
	for (int i = 0; i < nuses; i++) {
		int found = 0;
		for (int k = 0; k < ndefs && !found; k++)
			found = !strcmp(defs[k].name, uses[i].what);
		if (!found)
			fprintf(stderr, "%s: warning: <<%s>> is used but never defined\n",
			        defs[uses[i].where].page, uses[i].what);
	}
}

/* PAGE.xref: the records of the book that chapter PAGE needs. */
static void write_xref(const char *dir, int ch)
{
	const char *page = chapters[ch].page;
	char *want_def = calloc(ndefs + 1, 1);
	struct map names = {0}, ids = {0};
	if (!want_def)
		die("out of memory");
	/* The names defined or used here, and the identifiers seen here. */
	for (int i = 0; i < ndefs; i++)
		if (!strcmp(defs[i].page, page))
			*map_slot(&names, defs[i].name, 1) = 1;
	for (int i = 0; i < nuses; i++)
		if (!strcmp(defs[uses[i].where].page, page))
			*map_slot(&names, uses[i].what, 1) = 1;
	for (int i = 0; i < nidents; i++)
		if (!strcmp(defs[idents[i].where].page, page))
			*map_slot(&ids, idents[i].what, 1) = 1;
	for (int i = 0; i < niuses; i++)
		if (!strcmp(defs[iuses[i].where].page, page))
			*map_slot(&ids, iuses[i].what, 1) = 1;

	struct buf rec = {0};
	bputs(&rec, "");
	for (int i = 0; i < nuses; i++)
		if (map_get(&names, uses[i].what) == 1) {
			bprintf(&rec, "use\t%s\t%s\n", uses[i].what, defs[uses[i].where].id);
			want_def[uses[i].where] = 1;
		}
	for (int i = 0; i < nidents; i++)
		if (map_get(&ids, idents[i].what) == 1) {
			bprintf(&rec, "ident\t%s\t%s\t%s\n", idents[i].what,
			        defs[idents[i].where].id, idents[i].kind);
			want_def[idents[i].where] = 1;
		}
	for (int i = 0; i < niuses; i++)
		if (map_get(&ids, iuses[i].what) == 1) {
			bprintf(&rec, "iuse\t%s\t%s\n", iuses[i].what, defs[iuses[i].where].id);
			want_def[iuses[i].where] = 1;
		}
	struct buf b = {0};
	bputs(&b, "");
	for (int i = 0; i < ndefs; i++)
		if (want_def[i] || map_get(&names, defs[i].name) == 1)
			bprintf(&b, "chunk\t%s\t%s\t%s\t%s\n", defs[i].id, defs[i].page,
			        defs[i].label, defs[i].name);
	bputs(&b, rec.s);
	char *path;
	size_t n = strlen(page) - 5;   /* without ".html" */
	if (asprintf(&path, "%s/%.*s.xref", dir, (int)n, page) < 0)
		die("out of memory");
	write_if_changed(path, &b);
	free(path);
	free(b.s);
	free(rec.s);
	free(want_def);
}

/* Read PAGE.xref back into defs[], uses[], idents[], iuses[]. */
static int def_by_id(const char *id)
{
	static struct map by_id;
	int i = map_get(&by_id, id);
	for (int k = i < 0 ? 0 : ndefs; k < ndefs; k++)
		*map_slot(&by_id, defs[k].id, 1) = k;
	return map_get(&by_id, id);
}

static void read_xref(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		die("cannot read %s (run lgweave index first)", path);
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = 0;
		char *field[5] = {0};
		int n = 0;
		for (char *s = line; n < 5; n++) {
			field[n] = s;
			s = strchr(s, '\t');
			if (!s)
				break;
			*s++ = 0;
		}
		if (!strcmp(field[0], "chunk") && n >= 4) {
			struct def d = { xstrdup(field[1]), xstrdup(field[2]),
			                 xstrdup(field[3]), xstrdup(field[4]) };
			PUSH(defs, ndefs, capdefs, d);
		} else if (!strcmp(field[0], "use") && n >= 2) {
			struct ref r = { xstrdup(field[1]), def_by_id(field[2]), NULL };
			PUSH(uses, nuses, capuses, r);
		} else if (!strcmp(field[0], "ident") && n >= 3) {
			struct ref r = { xstrdup(field[1]), def_by_id(field[2]),
			                 xstrdup(field[3]) };
			PUSH(idents, nidents, capidents, r);
			int *slot = map_slot(&ident_map, r.what, 1);
			if (*slot < 0)
				*slot = nidents - 1;
		} else if (!strcmp(field[0], "iuse") && n >= 2) {
			struct ref r = { xstrdup(field[1]), def_by_id(field[2]), NULL };
			PUSH(iuses, niuses, capiuses, r);
		}
	}
	free(line);
	fclose(f);
}

/* ------------------------------------------------------------ writing */

/* Chunk names may quote code as [[x]]; each output format shows it as code. */
static void html_text(struct buf *b, const char *s, int names)
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

/* verb: inside a Verbatim with commandchars \{}, only those three are special. */
static void latex_text(struct buf *b, const char *s, int names, int verb)
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

static const char *href(const char *page, const char *here, const char *id)
{
	static char buf[1024];
	snprintf(buf, sizeof buf, "%s#%s", strcmp(page, here) ? page : "", id);
	return buf;
}

/* LaTeX names for anchors: fancyvrb makes '-' active inside code, so
 * the LaTeX side spells c-name-2 as c.name.2. */
static const char *lid(const char *id)
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

/* The first definition of a chunk name, or -1. */
static int first_def(const char *name)
{
	for (int i = 0; i < ndefs; i++)
		if (!strcmp(defs[i].name, name))
			return i;
	return -1;
}

/* The definition an identifier in a chunk on page `here' links to: one on
 * the same page if there is one, else the first in the book. */
static int ident_def(const char *name, const char *here)
{
	int first = map_get(&ident_map, name), best = -1;
	for (int k = first; k >= 0 && k < nidents; k++)
		if (!strcmp(idents[k].what, name)) {
			if (best < 0)
				best = k;
			if (!strcmp(defs[idents[k].where].page, here)) {
				best = k;
				break;
			}
		}
	return best;
}

/* A reference to a chunk, in both formats: <a>⟨name⟩</a> label; ⟨name⟩ p. N. */
static void html_chunk_ref(struct buf *b, int d, const char *here, int with_label)
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

static void latex_chunk_ref(struct buf *b, int d)
{
	bprintf(b, "\\lgcref{%s}{", lid(defs[d].id));
	latex_text(b, defs[d].name, 1, 0);
	bputs(b, "}");
}

/* Highlight one line of code, in HTML or in LaTeX. */
enum { PLAIN, KEYWORD, TYPE, COMMENT, STRING, NUMBER, PREPROC };
static const char *html_class[] = { "", "kw", "ty", "cm", "st", "nu", "pp" };
static const char *latex_macro[] = { "", "\\lgkw", "\\lgty", "\\lgcm", "\\lgst", "\\lgnu", "\\lgpp" };

static int cur_def = -1;      /* the chunk being written */

static void emit_token(struct buf *b, int latex, int kind, const char *s, size_t n,
                       const char *here)
{
	char *t = strndup(s, n);
	int d = -1;
	if (kind == PLAIN && is_id0((unsigned char)*t)) {
		int k = ident_def(t, here);
		d = k >= 0 ? idents[k].where : -1;
		if (d == cur_def)       /* no links from a definition to itself */
			d = -1;
	}
	if (latex) {
		if (d >= 0)
			bprintf(b, "\\hyperlink{%s}{", lid(defs[d].id));
		else if (kind != PLAIN)
			bprintf(b, "%s{", latex_macro[kind]);
		latex_text(b, t, 0, 1);
		if (d >= 0 || kind != PLAIN)
			bputc(b, '}');
	} else {
		if (d >= 0)
			bprintf(b, "<a class=\"id\" href=\"%s\" title=\"%s %s, %s\">",
			        href(defs[d].page, here, defs[d].id),
			        idents[ident_def(t, here)].kind, t, defs[d].label);
		else if (kind != PLAIN)
			bprintf(b, "<span class=\"%s\">", html_class[kind]);
		html_text(b, t, 0);
		if (d >= 0)
			bputs(b, "</a>");
		else if (kind != PLAIN)
			bputs(b, "</span>");
	}
	free(t);
}

static void highlight(struct buf *b, int latex, const char *s, int *comment,
                      const char *here)
{
	const char *first = s;
	while (*first == ' ' || *first == '\t')
		first++;
	while (*s) {
		const char *t = s;
		int kind = PLAIN;
		if (*comment || (s[0] == '/' && s[1] == '*')) {
			kind = COMMENT;
			if (!*comment)
				s += 2;
			*comment = 1;
			while (*s && !(s[0] == '*' && s[1] == '/'))
				s++;
			if (*s)
				s += 2, *comment = 0;
		} else if (s[0] == '/' && s[1] == '/') {
			kind = COMMENT;
			s += strlen(s);
		} else if (*s == '"' || *s == '\'' || (*s == '<' && *first == '#' &&
		           strstr(first, "include"))) {
			char q = *s == '<' ? '>' : *s;
			kind = STRING;
			for (s++; *s && *s != q; s++)
				s += s[0] == '\\' && s[1];
			s += *s == q;
		} else if (s == first && *s == '#') {
			kind = PREPROC;
			for (s++; *s == ' ' || *s == '\t'; s++)
				;
			while (is_id(*s))
				s++;
		} else if (isdigit((unsigned char)*s)) {
			kind = NUMBER;
			while (is_id(*s) || *s == '.')
				s++;
		} else if (is_id0((unsigned char)*s)) {
			while (is_id(*s))
				s++;
			if (in_list(keywords, t, s - t))
				kind = KEYWORD;
			else if (in_list(types, t, s - t))
				kind = TYPE;
		} else {
			while (*s && !is_id(*s) && !strchr("\"'/#", *s))
				s++;
			if (s == t)
				s++;
		}
		emit_token(b, latex, kind, t, s - t, here);
	}
}

/* Tabs become spaces, so both formats line up. */
static char *expand_tabs(const char *s, int *col)
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

/* The footer of a definition: where it continues and is used, what it defines. */
static void chunk_footer(struct buf *h, struct buf *l, int d, const char *here)
{
	int first = first_def(defs[d].name), n = 0;
	const char *sep;
	if (first != d) {
		bputs(h, "<span>Continues ");
		html_chunk_ref(h, first, here, 1);
		bputs(h, ".</span> ");
		bputs(l, "Continues ");
		latex_chunk_ref(l, first);
		bputs(l, ". ");
	}
	sep = "<span>Continued in ";
	for (int k = d + 1; k < ndefs; k++)
		if (!strcmp(defs[k].name, defs[d].name)) {
			bprintf(h, "%s<a href=\"%s\">", sep, href(defs[k].page, here, defs[k].id));
			html_text(h, defs[k].label, 0);
			bputs(h, "</a>");
			bputs(l, n++ ? "" : "Continued on p.\\,\\lgpstart");
			bprintf(l, "\\lgpref{%s}", lid(defs[k].id));
			sep = ", ";
		}
	if (n) {
		bputs(h, ".</span> ");
		bputs(l, ". ");
	}
	sep = "<span>Used in ";
	n = 0;
	for (int k = 0; k < nuses; k++)
		if (!strcmp(uses[k].what, defs[d].name) && uses[k].where >= 0) {
			bputs(h, sep);
			html_chunk_ref(h, uses[k].where, here, 1);
			bputs(l, n++ ? ", " : "Used in ");
			latex_chunk_ref(l, uses[k].where);
			sep = ", ";
		}
	if (n) {
		bputs(h, ".</span> ");
		bputs(l, ". ");
	} else if (first == d && !strchr(defs[d].name, '/')) {
		bputs(h, "<span>Never used.</span> ");
		bputs(l, "Never used. ");
	}
	sep = "<span>Defines ";
	n = 0;
	for (int k = 0; k < nidents; k++) {
		if (idents[k].where != d)
			continue;
		bprintf(h, "%s<a href=\"identifiers.html#i-%s\"><code>", sep, idents[k].what);
		html_text(h, idents[k].what, 0);
		bputs(h, "</code></a>");
		bputs(l, n++ ? ", " : "Defines ");
		bputs(l, "\\texttt{");
		latex_text(l, idents[k].what, 0, 0);
		bputs(l, "}");
		sep = ", ";
	}
	if (n) {
		bputs(h, ".</span>");
		bputs(l, ".");
	}
}

/* A code chunk as two raw blocks: HTML and LaTeX. */
static void write_code(FILE *out, struct chunk *c, const char *here)
{
	int d = c->def, comment = 0;
	int cont = first_def(c->name) != d;
	struct buf h = {0}, l = {0};
	const char *sign = cont ? "+&#x2261;" : "&#x2261;";
	cur_def = d;

	bprintf(&h, "<div class=\"chunk\" id=\"%s\">\n<div class=\"chunk-name\">"
	        "<a class=\"self\" href=\"#%s\">&#x27E8;", defs[d].id, defs[d].id);
	html_text(&h, c->name, 1);
	bprintf(&h, "&#x27E9;%s</a></div>\n<pre class=\"code\"><code>", sign);
	bprintf(&l, "\\lgchunk{%s}{", lid(defs[d].id));
	latex_text(&l, c->name, 1, 0);
	bprintf(&l, "}{%s}\n\\begin{lgcode}\n", cont ? "+" : "");

	int last = c->nlines;   /* drop trailing blank lines */
	while (last > 0 && (c->lines[last - 1].n == 0 ||
	       (c->lines[last - 1].n == 1 && !c->lines[last - 1].p[0].use &&
	        !*c->lines[last - 1].p[0].s)))
		last--;
	for (int i = 0; i < last; i++) {
		struct line *ln = &c->lines[i];
		int col = 0;
		for (int j = 0; j < ln->n; j++) {
			struct piece *p = &ln->p[j];
			if (!p->use) {
				char *t = expand_tabs(p->s, &col);
				highlight(&h, 0, t, &comment, here);
				highlight(&l, 1, t, &comment, here);
				free(t);
				continue;
			}
			int u = first_def(p->s);
			if (u < 0) {
				bputs(&h, "<span class=\"use undefined\">&#x27E8;");
				html_text(&h, p->s, 1);
				bputs(&h, "&#x27E9;</span>");
				bputs(&l, "\\lgundef{");
				latex_text(&l, p->s, 1, 1);
				bputs(&l, "}");
			} else {
				bprintf(&h, "<a class=\"use\" href=\"%s\">&#x27E8;",
				        href(defs[u].page, here, defs[u].id));
				html_text(&h, p->s, 1);
				bputs(&h, "&#x27E9;</a>");
				bprintf(&l, "\\lguse{%s}{", lid(defs[u].id));
				latex_text(&l, p->s, 1, 1);
				bputs(&l, "}");
			}
		}
		bputc(&h, '\n');
		bputc(&l, '\n');
	}
	bputs(&h, "</code></pre>\n<div class=\"chunk-xref\">");
	bputs(&l, "\\end{lgcode}\n\\lgfoot{");
	chunk_footer(&h, &l, d, here);
	bputs(&h, "</div>\n</div>\n");
	bputs(&l, "}\n");
	fprintf(out, "\n~~~~~~~~~~{=html}\n%s~~~~~~~~~~\n\n~~~~~~~~~~{=latex}\n%s~~~~~~~~~~\n\n",
	        h.s, l.s);
	free(h.s);
	free(l.s);
}

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

/* The metadata of an HTML page: its title and the book's navigation.
 * me is the current chapter: -1 for the home page, nchapters for the index. */
static void write_nav(const char *path, const char *title, int me)
{
	struct buf b = {0};
	bputs(&b, "pagetitle: ");
	yaml_str(&b, title);
	bputs(&b, "\nbook-title: ");
	yaml_str(&b, book_title);
	bputs(&b, me < 0 ? "\nhome: true" : me == nchapters ? "\nindex: true" : "");
	bputs(&b, "\nchapters:\n");
	for (int i = 0; i < nchapters; i++) {
		bprintf(&b, "- href: %s\n  title: ", chapters[i].page);
		yaml_str(&b, chapters[i].title);
		bputs(&b, i == me ? "\n  current: true\n" : "\n");
	}
	if (me >= 0) {
		bprintf(&b, "prev:\n  href: %s\n  title: ", me ? chapters[me - 1].page : "index.html");
		yaml_str(&b, me ? chapters[me - 1].title : "Contents");
		bputc(&b, '\n');
	}
	if (me < nchapters) {
		bprintf(&b, "next:\n  href: %s\n  title: ",
		        me + 1 < nchapters ? chapters[me + 1].page : "identifiers.html");
		yaml_str(&b, me + 1 < nchapters ? chapters[me + 1].title : "Index");
		bputc(&b, '\n');
	}
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
	nchapters = 0;
	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = 0;
		char *tab = strchr(line, '\t');
		if (!tab)
			continue;
		*tab = 0;
		struct chapter ch = { NULL, xstrdup(line), xstrdup(tab + 1) };
		PUSH(chapters, nchapters, capchapters, ch);
	}
	free(line);
	fclose(f);
}

/* lgweave chapter DIR META < markup of one chapter */
static void weave_chapter(const char *dir, const char *meta)
{
	read_markup(stdin);
	if (nchapters != 1)
		die("chapter mode wants exactly one chapter, got %d", nchapters);
	char *page = chapters[0].page, *title = chapters[0].title, *path;
	size_t n = strlen(page) - 5;
	if (asprintf(&path, "%s/%.*s.xref", dir, (int)n, page) < 0)
		die("out of memory");
	read_xref(path);

	/* Match our code chunks with their entries in the book's index. */
	for (int i = 0; i < nchunks; i++) {
		struct chunk *c = &chunks[i];
		if (!c->code)
			continue;
		int k = 0;
		for (int j = 0; j < i; j++)
			k += chunks[j].code && !strcmp(chunks[j].name, c->name);
		for (int j = 0; j < ndefs && c->def < 0; j++)
			if (!strcmp(defs[j].page, page) && !strcmp(defs[j].name, c->name) && !k--)
				c->def = j;
		if (c->def < 0)
			die("%s: chunk <<%s>> is not in %s (stale index)", page, c->name, path);
	}
	for (int i = 0; i < nchunks; i++) {
		if (chunks[i].code)
			write_code(stdout, &chunks[i], page);
		else
			write_docs(stdout, &chunks[i]);
	}
	putchar('\n');

	/* Navigation for the HTML page. */
	if (asprintf(&path, "%s/chapters.tsv", dir) < 0)
		die("out of memory");
	read_chapter_list(path);
	int me = 0;
	while (me < nchapters && strcmp(chapters[me].page, page))
		me++;
	write_nav(meta, title, me);
}

/* The home page: the table of contents, with every step. */
static void write_home(const char *dir)
{
	struct buf b = {0};
	bputs(&b, "```{=html}\n<nav class=\"book-toc\" id=\"contents\">\n<ol class=\"chapters\">\n");
	for (int ch = 0; ch < nchapters; ch++) {
		bprintf(&b, "<li><a class=\"chapter\" href=\"%s\">", chapters[ch].page);
		html_text(&b, chapters[ch].title, 0);
		bputs(&b, "</a>");
		const char *sep = "\n<ol class=\"steps\">\n";
		for (int i = 0; i < nchunks; i++) {
			struct chunk *c = &chunks[i];
			if (c->chapter != ch || c->code || !c->marker || !c->nlines ||
			    !c->lines[0].n || strncmp(c->lines[0].p[0].s, c->marker, 5))
				continue;
			char *t = line_text(&c->lines[0]) , *title = t + 5;
			size_t n = strlen(title);
			while (n && (title[n - 1] == '.' || title[n - 1] == ' '))
				n--;
			title[n] = 0;
			bprintf(&b, "%s<li><a href=\"%s#%s\"><span class=\"marker\">%s</span>",
			        sep, chapters[ch].page, c->marker, c->marker);
			html_text(&b, title, 0);
			bputs(&b, "</a></li>\n");
			sep = "";
			free(t);
		}
		bputs(&b, *sep ? "</li>\n" : "</ol></li>\n");
	}
	bputs(&b, "<li><a class=\"chapter\" href=\"identifiers.html\">Index</a></li>\n"
	      "</ol>\n</nav>\n```\n");
	char *path;
	if (asprintf(&path, "%s/home.md", dir) < 0)
		die("out of memory");
	write_if_changed(path, &b);
	free(path);
	free(b.s);
}

static int by_name(const void *a, const void *b)
{
	const struct ref *x = a, *y = b;
	int c = strcasecmp(x->what, y->what);
	c = c ? c : strcmp(x->what, y->what);
	return c ? c : x->where - y->where;
}

/* The index of identifiers and the list of chunks, both formats. */
static void write_identifiers(const char *dir)
{
	struct buf h = {0}, l = {0}, b = {0};
	struct ref *sorted = malloc((nidents + 1) * sizeof *sorted);
	if (!sorted)
		die("out of memory");
	memcpy(sorted, idents, nidents * sizeof *sorted);
	qsort(sorted, nidents, sizeof *sorted, by_name);

	bputs(&h, "<section class=\"identifiers\" id=\"identifiers\">\n"
	      "<h2>Identifiers</h2>\n<p class=\"letters\">");
	char last = 0;
	for (int i = 0; i < nidents; i++) {
		char c = toupper((unsigned char)sorted[i].what[0]);
		if (c != last)
			bprintf(&h, "<a href=\"#letter-%c\">%c</a> ", c == '_' ? 'U' : c, c);
		last = c;
	}
	bputs(&h, "</p>\n<dl class=\"index\">\n");
	bputs(&l, "\\section*{Identifiers}\n\\begin{lgindex}\n");
	last = 0;
	for (int i = 0; i < nidents; i++) {
		struct ref *r = &sorted[i];
		struct def *d = &defs[r->where];
		char c = toupper((unsigned char)r->what[0]);
		int again = i > 0 && !strcmp(sorted[i - 1].what, r->what);
		if (c != last)
			bprintf(&h, "<dt class=\"letter\" id=\"letter-%c\">%c</dt>\n",
			        c == '_' ? 'U' : c, c);
		last = c;
		bprintf(&h, "<dt%s%s%s><code>", again ? "" : " id=\"i-",
		        again ? "" : r->what, again ? "" : "\"");
		html_text(&h, r->what, 0);
		bprintf(&h, "</code> <span class=\"kind\">%s</span></dt>\n<dd>defined in ", r->kind);
		bprintf(&l, "\\lgientry{");
		latex_text(&l, r->what, 0, 0);
		bprintf(&l, "}{%s}{%s}{", r->kind, lid(d->id));
		html_chunk_ref(&h, r->where, "", 1);
		const char *sep = "; used in ", *last_label = "";
		for (int k = 0; k < niuses; k++) {
			if (strcmp(iuses[k].what, r->what) || again)
				continue;
			bprintf(&l, "\\lgpref{%s}", lid(defs[iuses[k].where].id));
			if (!strcmp(last_label, defs[iuses[k].where].label))
				continue;       /* one link per step is enough */
			last_label = defs[iuses[k].where].label;
			bprintf(&h, "%s<a href=\"%s#%s\">", sep, defs[iuses[k].where].page,
			        defs[iuses[k].where].id);
			html_text(&h, defs[iuses[k].where].label, 0);
			bputs(&h, "</a>");
			sep = ", ";
		}
		bputs(&h, "</dd>\n");
		bputs(&l, "}\n");
	}
	bputs(&h, "</dl>\n</section>\n");
	bputs(&l, "\\end{lgindex}\n");
	if (!nidents) {
		bputs(&l, "(None yet.)\n");
		bputs(&h, "<p>(None yet.)</p>\n");
	}

	/* Chunks, sorted by name, each with its definitions. */
	bputs(&h, "<section class=\"chunks\" id=\"chunks\">\n<h2>Code chunks</h2>\n<ul class=\"index\">\n");
	bputs(&l, "\\section*{Code chunks}\n\\begin{lgindex}\n");
	struct ref *names = malloc((ndefs + 1) * sizeof *names);
	int nnames = 0;
	if (!names)
		die("out of memory");
	for (int i = 0; i < ndefs; i++)
		if (first_def(defs[i].name) == i) {
			struct ref r = { defs[i].name, i, NULL };
			names[nnames++] = r;
		}
	qsort(names, nnames, sizeof *names, by_name);
	for (int i = 0; i < nnames; i++) {
		int d = names[i].where;
		bputs(&h, "<li>");
		html_chunk_ref(&h, d, "", 0);
		bputs(&l, "\\lgcentry{");
		latex_text(&l, defs[d].name, 1, 0);
		bputs(&l, "}{");
		const char *sep = " ";
		for (int k = d; k < ndefs; k++)
			if (!strcmp(defs[k].name, defs[d].name)) {
				bprintf(&h, "%s<a href=\"%s#%s\">", sep, defs[k].page, defs[k].id);
				html_text(&h, defs[k].label, 0);
				bputs(&h, "</a>");
				bprintf(&l, "\\lgpref{%s}", lid(defs[k].id));
				sep = ", ";
			}
		bputs(&h, "</li>\n");
		bputs(&l, "}\n");
	}
	bputs(&h, "</ul>\n</section>\n");
	bputs(&l, "\\end{lgindex}\n");

	bprintf(&b, "# Index {#index .unnumbered}\n\n~~~~~~~~~~{=html}\n%s~~~~~~~~~~\n\n"
	        "~~~~~~~~~~{=latex}\n%s~~~~~~~~~~\n", h.s, l.s);
	char *path;
	if (asprintf(&path, "%s/identifiers.md", dir) < 0)
		die("out of memory");
	write_if_changed(path, &b);
	free(path);
	free(sorted);
	free(names);
	free(h.s);
	free(l.s);
	free(b.s);
}

/* lgweave index DIR < markup of the whole book */
static void weave_index(const char *dir)
{
	read_markup(stdin);
	build_index();
	struct buf b = {0};
	bputs(&b, "");
	for (int i = 0; i < nchapters; i++)
		bprintf(&b, "%s\t%s\n", chapters[i].page, chapters[i].title);
	char *path;
	if (asprintf(&path, "%s/chapters.tsv", dir) < 0)
		die("out of memory");
	write_if_changed(path, &b);
	for (int i = 0; i < nchapters; i++)
		write_xref(dir, i);
	write_home(dir);
	write_identifiers(dir);
	if (asprintf(&path, "%s/home.yaml", dir) < 0)
		die("out of memory");
	write_nav(path, "Contents", -1);
	if (asprintf(&path, "%s/identifiers.yaml", dir) < 0)
		die("out of memory");
	write_nav(path, "Index", nchapters);
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
