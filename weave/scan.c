/* scan.c: the C scanner.  What each code chunk defines (functions, structs,
 * unions, enums, macros, globals, types, assembler labels) and which known
 * identifiers it uses, found from the code itself, so authors need no
 * "@ %def" lines.  It is a scanner, not a parser: it looks only at
 * declarations that start at column 0 of a file's top level. */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "weave.h"

int is_id0(int c) { return isalpha(c) || c == '_'; }
int is_id(int c) { return isalnum(c) || c == '_'; }

const char *keywords[] = {
	"if", "else", "for", "while", "do", "switch", "case", "default",
	"break", "continue", "return", "goto", "sizeof", "typedef", "struct",
	"union", "enum", "static", "extern", "const", "volatile", "inline",
	"register", "restrict", "asm", "__asm__", "__attribute__", "_Static_assert",
	"__volatile__", "__inline__", "_Noreturn", "_Alignas", "_Alignof", NULL
};
const char *types[] = {
	"void", "char", "short", "int", "long", "unsigned", "signed", "float",
	"double", "_Bool", "bool", "u8", "u16", "u32", "u64", "s8", "s16",
	"s32", "s64", "size_t", "ssize_t", "uintptr_t", "off_t", NULL
};

int in_list(const char **list, const char *s, size_t n)
{
	for (; *list; list++)
		if (strlen(*list) == n && !strncmp(*list, s, n))
			return 1;
	return 0;
}

/* Append s to b with comments and strings blanked out, so that the
 * scanners below see only declarations and names.  *comment carries an
 * open comment from one piece to the next. */
void strip(struct buf *b, const char *s, int *comment)
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

/* ------------------------------------------------ files, languages, programs */

/* What a chunk is written in: the language of the file it tangles into,
 * by the file's suffix.  Chunks in no file are taken for C. */
int lang_of_file(const char *name)
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

const char *prog_name[] = { "", "ABI", "Launcher", "Host", "Guest", "other", "library" };

/* The program a file belongs to, by its first directory. */
int prog_of_file(const char *name)
{
	static const struct { const char *dir; int prog; } dirs[] = {
		{ "include/", PROG_SHARED }, { "launcher/", PROG_LAUNCHER },
		{ "host/", PROG_HOST }, { "guest/", PROG_GUEST },
		{ "drivers/", PROG_GUEST }, { "lib/", PROG_LIB },
	};
	if (!lang_of_file(name))
		return PROG_NONE;
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
		if (!strncmp(name, dirs[i].dir, strlen(dirs[i].dir)))
			return dirs[i].prog;
	return PROG_OTHER;
}

/* A file's language and program, down to every chunk it uses.  A chunk
 * used in two programs' files belongs to the first; used in the ABI's
 * and a program's, to the ABI. */
static void mark_file(const char *name, int lang, int prog, int depth)
{
	if (depth > 100)
		return;
	for (int i = 0; i < book.nchunks; i++) {
		struct chunk *c = &book.chunks[i];
		if (!c->code || strcmp(c->name, name))
			continue;
		int again = c->lang != 0;
		if (!c->lang)
			c->lang = lang;
		if (!c->prog || prog == PROG_SHARED)
			c->prog = prog;
		for (int j = 0; !again && j < c->nlines; j++)
			for (int k = 0; k < c->lines[j].n; k++)
				if (c->lines[j].p[k].use)
					mark_file(c->lines[j].p[k].s, lang, prog, depth + 1);
	}
}

/* Chunks are written from column 0 wherever they are used, so a chunk's
 * column 0 is the top level of its file only if its first use stands
 * outside every brace.  Walk each file as notangle would, counting braces,
 * and note the depth at which each name is first expanded. */
static struct map entry_depth;

static void walk_piece(struct piece *p, int *depth, int level, int *comment);

static void walk_depth(const char *name, int *depth, int level)
{
	for (int i = 0; i < book.nchunks && level < 50; i++) {
		struct chunk *c = &book.chunks[i];
		if (!c->code || strcmp(c->name, name))
			continue;
		int comment = 0;
		for (int j = 0; j < c->nlines; j++)
			for (int k = 0; k < c->lines[j].n; k++)
				walk_piece(&c->lines[j].p[k], depth, level, &comment);
	}
}

static void walk_piece(struct piece *p, int *depth, int level, int *comment)
{
	if (p->use) {
		int *d = map_slot(&entry_depth, p->s, 1);
		if (*d < 0) {
			*d = *depth > 0 ? *depth : 0;
			walk_depth(p->s, depth, level + 1);
		}
		return;
	}
	struct buf b = {0};
	bputs(&b, "");
	strip(&b, p->s, comment);
	*depth += brace_change(b.s);
	free(b.s);
}

/* Each file's language and program, and each chunk's depth in its file. */
void mark_files(void)
{
	for (int i = 0; i < book.nchunks; i++)
		if (book.chunks[i].code && lang_of_file(book.chunks[i].name)) {
			int depth = 0;
			walk_depth(book.chunks[i].name, &depth, 0);
		}
	for (int i = 0; i < book.nchunks; i++) {
		const char *name = book.chunks[i].name;
		if (book.chunks[i].code && lang_of_file(name))
			mark_file(name, lang_of_file(name), prog_of_file(name), 0);
	}
}

/* ------------------------------------------------ definitions */

static void define_ident(const char *name, size_t n, const char *kind, int def)
{
	char *s = strndup(name, n);
	for (int i = 0; i < nidents; i++)   /* once per chunk is enough */
		if (idents[i].where == def && !strcmp(idents[i].what, s)) {
			free(s);
			return;
		}
	struct ref r = { s, def, (char *)kind, -1 };
	PUSH(idents, nidents, capidents, r);
	int *slot = map_slot(&ident_map, s, 1);
	if (*slot < 0)
		*slot = nidents - 1;
}

/* One declaration being scanned by scan_decl(). */
struct decl {
	const char *names[64];  /* the names at the top level, in order */
	size_t lens[64];
	int nnames, depth, brace, typedef_;
	int named;              /* this declarator's name is already recorded */
	const char *fname;      /* the name before the first '(' */
	size_t flen;
	int def, done;
};

static int is_last(struct decl *d, int back, const char **list)
{
	return d->nnames > back &&
	       in_list(list, d->names[d->nnames - 1 - back], d->lens[d->nnames - 1 - back]);
}

static const char *decl_name(struct decl *d, const char *s)
{
	const char *t = s;
	while (is_id(*s))
		s++;
	if (!d->depth && !d->brace && d->nnames < 64) {
		d->names[d->nnames] = t;
		d->lens[d->nnames++] = s - t;
	}
	if (d->depth == 1 && d->typedef_ && t[-1] == '*' && *s == ')') {
		define_ident(t, s - t, "type", d->def);   /* (*name)(...) */
		d->done = 1;
	}
	return s - 1;
}

/* A '(': a function's parameters, an attribute, or a declarator's. */
static void decl_paren(struct decl *d, const char *s)
{
	if (!d->depth && !d->brace && !d->fname && d->nnames && s[-1] != ')') {
		const char *n = d->names[d->nnames - 1];
		int attr = !strncmp(n, "__", 2);
		if (attr && (d->named || d->nnames == 1 || is_last(d, 1, keywords) ||
		             is_last(d, 1, types))) {
			d->nnames--;    /* an attribute before or after the name */
		} else if (attr && d->nnames > 1) {
			/* an attribute: what precedes it is a variable */
			define_ident(d->names[d->nnames - 2], d->lens[d->nnames - 2],
			             "global", d->def);
			d->done = 1;
			return;
		} else if (!d->typedef_) {
			d->fname = n;
			d->flen = d->lens[d->nnames - 1];
		}
	}
	d->depth++;
}

static void decl_brace(struct decl *d)
{
	if (d->fname && !d->brace) {
		if (!in_list(keywords, d->fname, d->flen))
			define_ident(d->fname, d->flen, "function", d->def);
		d->done = 1;
	} else if (!d->typedef_) {
		d->done = 1;    /* struct definitions are found elsewhere */
	} else {
		d->brace++;
	}
}

/* The end of a declarator: '[', '=', ';' or ','. */
static const char *decl_end(struct decl *d, const char *s)
{
	if (d->fname) {
		d->done = 1;    /* a prototype */
		return s;
	}
	if (!d->named && d->nnames >= 2 && (d->typedef_ || !is_last(d, 0, types)) &&
	    !is_last(d, 0, keywords))
		define_ident(d->names[d->nnames - 1], d->lens[d->nnames - 1],
		             d->typedef_ ? "type" : "global", d->def);
	d->named = 1;
	if (*s == ';') {
		d->done = 1;
	} else if (*s == '[') {         /* skip the dimension */
		while (*s && *s != ']')
			s++;
		d->done = !*s;
	} else if (*s == '=') {         /* skip the initializer */
		int depth = 0;
		for (s++; *s && (depth || (*s != ',' && *s != ';')); s++) {
			depth += *s == '(' || *s == '{' || *s == '[';
			depth -= *s == ')' || *s == '}' || *s == ']';
		}
		d->done = !*s || *s == ';';
	}
	if (*s == ',' && !d->done) {
		d->nnames = 1;  /* the type stays for "int a, b;" */
		d->named = 0;
	}
	return *s ? s : s - 1;
}

static const char *decl_step(struct decl *d, const char *s)
{
	if (is_id0((unsigned char)*s))
		return decl_name(d, s);
	if (isdigit((unsigned char)*s)) {
		while (is_id(*s))
			s++;
		return s - 1;
	}
	if (*s == '(')
		decl_paren(d, s);
	else if (*s == ')')
		d->depth -= d->depth > 0;
	else if (d->depth)
		;
	else if (*s == '{')
		decl_brace(d);
	else if (*s == '}')
		d->brace -= d->brace > 0;
	else if (!d->brace && (*s == '[' || *s == '=' || *s == ';' || *s == ','))
		return decl_end(d, s);
	return s;
}

/* One declaration that starts at column 0 of C code: a function if a
 * parenthesis follows a name and a brace follows the parentheses, else
 * a global variable or a typedef.  Prototypes and externs define nothing. */
static void scan_decl(const char *s, int def)
{
	struct decl d = { .def = def, .typedef_ = !strncmp(s, "typedef", 7) };
	const char *first_end = s;
	while (is_id(*first_end))
		first_end++;
	if (in_list(keywords, s, first_end - s) && strncmp(s, "static", 6) &&
	    strncmp(s, "const", 5) && strncmp(s, "struct", 6) &&
	    strncmp(s, "union", 5) && strncmp(s, "enum", 4) && !d.typedef_ &&
	    strncmp(s, "__attribute__", 13))
		return;
	if (*first_end == ':')         /* a goto label */
		return;
	for (; *s && !d.done; s++)
		s = decl_step(&d, s);
}

/* #define NAME, at t (just after the '#'). */
static void scan_define(char *t, int def)
{
	while (*t == ' ' || *t == '\t')
		t++;
	if (strncmp(t, "define", 6) || (t[6] != ' ' && t[6] != '\t'))
		return;
	t += 7;
	while (*t == ' ' || *t == '\t')
		t++;
	char *e = t;
	while (is_id(*e))
		e++;
	if (e > t)
		define_ident(t, e - t, "macro", def);
}

/* One line of code; top: it starts at the top level of its file. */
static void scan_line(struct chunk *c, char *s, int top)
{
	char *t = s;
	while (*t == ' ' || *t == '\t')
		t++;
	if (*t == '#') {
		scan_define(t + 1, c->def);
	} else if (!top) {
		;                       /* inside a function or a struct */
	} else if (c->lang == LANG_ASM) {       /* name: at column 0 */
		char *e = s;
		while (is_id(*e))
			e++;
		if (e > s && *e == ':' && is_id0((unsigned char)*s))
			define_ident(s, e - s, "label", c->def);
	} else if (is_id0((unsigned char)*s)) {
		scan_decl(s, c->def);
	}
}

/* struct NAME {, anywhere. */
static void scan_tags(const char *text, int def)
{
	static const char *tags[] = { "struct", "union", "enum" };
	for (const char *s = text; *s; s++) {
		if (s > text && is_id(s[-1]))
			continue;
		for (int k = 0; k < 3; k++) {
			size_t n = strlen(tags[k]);
			if (strncmp(s, tags[k], n) || is_id(s[n]))
				continue;
			const char *t = s + n;
			while (isspace((unsigned char)*t))
				t++;
			const char *e = t, *b;
			while (is_id(*e))
				e++;
			for (b = e; isspace((unsigned char)*b); b++)
				;
			if (e > t && *b == '{')
				define_ident(t, e - t, tags[k], def);
		}
	}
}

/* Find what a code chunk defines. */
void scan_definitions(struct chunk *c)
{
	if (c->lang == LANG_OTHER)
		return;
	char *text = code_only(c);
	int continued = 0, depth = map_get(&entry_depth, c->name);
	depth = depth < 0 ? 0 : depth;
	for (char *s = text; *s; ) {
		char *eol = strchr(s, '\n');
		int top = depth == 0 && !continued;
		if (eol)
			*eol = 0;
		depth += brace_change(s);
		continued = eol > s && eol[-1] == '\\';
		if (eol)
			*eol = '\n';
		scan_line(c, s, top);
		s = eol ? eol + 1 : s + strlen(s);
	}
	if (c->lang != LANG_ASM)
		scan_tags(text, c->def);
	free(text);
}

/* ------------------------------------------------ uses */

/* Is `name' defined in chunk def? */
static int defined_in(int first, const char *name, int def)
{
	for (int k = first; k >= 0 && k < nidents; k++)
		if (idents[k].where == def && !strcmp(idents[k].what, name))
			return 1;
	return 0;
}

/* Record the use of an identifier in chunk def, once per chunk, against
 * the definition that the use means (see ident_def). */
static void use_ident(const char *name, int def)
{
	int first = map_get(&ident_map, name);
	if (first < 0 || defined_in(first, name, def))
		return;
	for (int k = niuses - 1; k >= 0 && iuses[k].where == def; k--)
		if (!strcmp(iuses[k].what, name))
			return;
	int to = ident_def(name, def);
	if (to < 0)
		return;         /* only another program defines it */
	struct ref r = { idents[first].what, def, NULL, to };
	PUSH(iuses, niuses, capiuses, r);
}

/* Record every use of a known identifier outside the chunks defining it. */
void scan_uses(struct chunk *c)
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
		use_ident(s, c->def);
		*e = save;
		s = e - 1;
	}
	free(text);
}
