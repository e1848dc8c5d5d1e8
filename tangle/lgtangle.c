/*
 * lgtangle: the back end of our tangler.
 *
 * noweb's `markup` turns the chapters into its pipeline (one token a line:
 * @file, @begin docs, @text, @nl, @defn, @use, ...).  We read that pipeline,
 * check the book, and write every root chunk whose name is a path:
 *
 *   --generated DIR   the tangled files, the tale in comments (committed)
 *   --build DIR       code-only copies and their .lines maps (compiled)
 *   --lint            check only
 *   --tale            print the marked prose, for comparison with the code
 *
 * Errors are "chapters/FILE.nw:LINE: message"; with any error nothing is
 * written.  Output files are replaced atomically and only when their bytes
 * change, so make rebuilds only what a change really touched.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define LETTERS "PGDLHSM"

/* ------------------------------------------------------------ small helpers */

static int nerrors;

static void error_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	nerrors++;
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		perror("lgtangle");
		exit(2);
	}
	return p;
}

static char *xstrdup(const char *s)
{
	return strcpy(xrealloc(NULL, strlen(s) + 1), s);
}

static char *xstrndup(const char *s, size_t n)
{
	char *d = xrealloc(NULL, n + 1);

	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

/* A growable string. */
struct buf {
	char *s;
	size_t len, cap;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = xrealloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void buf_puts(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* ------------------------------------------------------------ the book in memory */

/* One item of a code line: literal text, or a use of another chunk. */
struct item {
	int is_use;
	char *text;     /* the text, or the used chunk's name */
	int chunk;      /* for a use: the chunk it names */
	int col;        /* its byte offset in the chapter's line */
};

struct line {
	const char *file;
	int lineno;
	struct item *items;
	int nitems;
};

/* One definition of a chunk (noweb lets a name be defined many times). */
struct piece {
	int chunk;
	struct line *lines;
	int nlines;
	int marker;     /* the marker whose prose this piece carries, or -1 */
	const char *file;  /* where it is defined */
	int lineno;
	int owner;      /* the step its code belongs to: its marker, or the
			 * chapter's step before it (after it, before the first) */
	int *floating;  /* markers without code of their own, told just before */
	int nfloating;
};

struct chunk {
	char *name;
	int *pieces;
	int npieces;
	int uses;
	const char *file;  /* where it is first defined, or first used */
	int lineno;
	int defined;
	int expanding;     /* set while expanding: catches a chunk that uses itself */
	long expansions;   /* times expanded in the file being tangled */
};

struct marker {
	char letter;
	int number;
	const char *file;
	int lineno;
	struct buf prose;  /* the marked documentation chunk, one \n per line */
	int piece;         /* its first code chunk, or -1 */
	int placed;        /* its comment has been written in this file */
	int reached;       /* its comment has been written in some file */
	int bookonly;      /* an M: note with no code after it in its chapter */
};

static struct piece *pieces;
static int npieces;
static struct chunk *chunks;
static int nchunks;
static struct marker *markers;
static int nmarkers;

static int chunk_lookup(const char *name, const char *file, int lineno)
{
	for (int i = 0; i < nchunks; i++)
		if (strcmp(chunks[i].name, name) == 0)
			return i;
	chunks = xrealloc(chunks, (nchunks + 1) * sizeof(*chunks));
	chunks[nchunks] = (struct chunk){ .name = xstrdup(name), .file = file,
					  .lineno = lineno };
	return nchunks++;
}

/* ------------------------------------------------------------ chapter letters */

static const char *const chapter_words[] = {
	"preparation", "guest", "drivers", "launcher", "host", "switcher", "mastery",
};

/* chapters/NN-word[-more].nw gives the letter of its markers, or 0. */
static char chapter_letter(const char *path)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

	if (!isdigit((unsigned char)base[0]) || !isdigit((unsigned char)base[1]) ||
	    base[2] != '-')
		return 0;
	for (int i = 0; i < 7; i++) {
		size_t n = strlen(chapter_words[i]);
		if (strncmp(base + 3, chapter_words[i], n) == 0 &&
		    (base[3 + n] == '-' || strcmp(base + 3 + n, ".nw") == 0))
			return LETTERS[i];
	}
	return 0;
}

static int letter_rank(char c)
{
	const char *p = strchr(LETTERS, c);
	return p ? (int)(p - LETTERS) : 99;
}

/* ------------------------------------------------------------ reading the pipeline */

static struct {
	const char *file;
	int lineno;
	char letter;          /* this chapter's letter */
	int in_code;
	int skip_nl;          /* the newline that ends a <<name>>= line */
	int piece;            /* the piece being read */
	struct line line;     /* the code line being read */
	int col;              /* bytes of the line read so far */
	int first_text;       /* the next @text is the first of a docs chunk */
	int prose;            /* the marker whose prose we are collecting, or -1 */
	int pending;          /* a marker still waiting for its code, or -1 */
	int *floating;        /* markers that had none: they go before the next code */
	int nfloating;
	int owner;            /* the chapter's last step with code, or -1 */
	int *orphans;         /* pieces before the chapter's first step */
	int norphans;
	int last[128];        /* per letter: the last number in this chapter */
	struct buf docs;      /* the prose line being read, [[...]] as backticks */
	int in_tick;          /* inside a `code span` of the prose */
	int in_fence;         /* inside a ``` block of the prose */
} rd = { .prose = -1, .pending = -1, .owner = -1 };

/* A marker followed by another marker before any code has no code of its
 * own; its prose becomes a plain comment before the next code of its chapter. */
static void float_pending_marker(void)
{
	if (rd.pending >= 0) {
		rd.floating = xrealloc(rd.floating, (rd.nfloating + 1) * sizeof(int));
		rd.floating[rd.nfloating++] = rd.pending;
	}
	rd.pending = -1;
}

/* At the end of a chapter, markers without code have nowhere to go. */
static void check_floating_markers(void)
{
	/* Every code line belongs to a step: a chapter's code needs one. */
	for (int i = 0; rd.owner < 0 && i < rd.norphans; i++)
		if (pieces[rd.orphans[i]].nlines > 0) {
			error_at(pieces[rd.orphans[i]].file, pieces[rd.orphans[i]].lineno,
				 "this code belongs to no step: its chapter has no marked step with code");
			break;
		}
	rd.norphans = 0;
	float_pending_marker();
	for (int i = 0; i < rd.nfloating; i++) {
		struct marker *m = &markers[rd.floating[i]];
		/* An M: note may stand where no code follows (a chapter of prose
		 * alone): it is the book's, and the code's tale does not tell it. */
		if (m->letter == 'M') {
			m->bookonly = 1;
			continue;
		}
		error_at(m->file, m->lineno,
			 "marker %c:%03d explains no code and no code follows it in its chapter",
			 m->letter, m->number);
	}
	rd.nfloating = 0;
}

static void add_item(int is_use, const char *text)
{
	struct line *l = &rd.line;

	l->items = xrealloc(l->items, (l->nitems + 1) * sizeof(*l->items));
	l->items[l->nitems++] = (struct item){ .is_use = is_use, .text = xstrdup(text),
		.chunk = is_use ? chunk_lookup(text, rd.file, rd.lineno) : -1, .col = rd.col };
	rd.col += (int)strlen(text) + (is_use ? 4 : 0);
}

static void end_code_line(void)
{
	struct piece *p;

	if (rd.piece >= npieces) {	/* markup never does this; a damaged pipeline might */
		error_at(rd.file, rd.lineno, "a code line outside any chunk definition");
		rd.line = (struct line){ 0 };
		rd.col = 0;
		return;
	}
	p = &pieces[rd.piece];
	rd.line.file = rd.file;
	rd.line.lineno = rd.lineno;
	p->lines = xrealloc(p->lines, (p->nlines + 1) * sizeof(*p->lines));
	p->lines[p->nlines++] = rd.line;
	rd.line = (struct line){ 0 };
	rd.col = 0;
}

/* A marker is a letter, a colon and three digits at the start of a docs chunk. */
static void new_marker(const char *text)
{
	char letter = text[0];
	int ok = isupper((unsigned char)letter) && isdigit((unsigned char)text[2]) &&
		 isdigit((unsigned char)text[3]) && isdigit((unsigned char)text[4]) &&
		 (text[5] == '\0' || text[5] == ' ');
	int number;

	if (!ok) {
		error_at(rd.file, rd.lineno,
			 "malformed marker '%.*s'; a marker is a capital letter, a colon and three digits, as in D:400",
			 (int)strcspn(text, " "), text);
		return;
	}
	number = atoi(text + 2);
	if (!strchr(LETTERS, letter))
		error_at(rd.file, rd.lineno, "marker %c:%03d has an unknown letter; the letters are %s",
			 letter, number, LETTERS);
	else if (rd.letter && letter != rd.letter && letter != 'M')
		error_at(rd.file, rd.lineno, "marker %c:%03d stands in a chapter whose letter is %c",
			 letter, number, rd.letter);
	for (int i = 0; i < nmarkers; i++)
		if (markers[i].letter == letter && markers[i].number == number)
			error_at(rd.file, rd.lineno, "marker %c:%03d is already used at %s:%d",
				 letter, number, markers[i].file, markers[i].lineno);
	if (number <= rd.last[(int)letter])
		error_at(rd.file, rd.lineno,
			 "marker %c:%03d comes after %c:%03d; numbers must increase through a chapter",
			 letter, number, letter, rd.last[(int)letter]);
	rd.last[(int)letter] = number;

	float_pending_marker();
	markers = xrealloc(markers, (nmarkers + 1) * sizeof(*markers));
	markers[nmarkers] = (struct marker){ .letter = letter, .number = number,
		.file = rd.file, .lineno = rd.lineno, .piece = -1 };
	buf_puts(&markers[nmarkers].prose, text[5] ? text + 6 : "");
	rd.prose = rd.pending = nmarkers++;
}

static void docs_text(const char *text)
{
	if (rd.first_text) {
		rd.first_text = 0;
		if (isalpha((unsigned char)text[0]) && text[1] == ':') {
			new_marker(text);
			return;
		}
	}
	if (rd.prose >= 0)
		buf_puts(&markers[rd.prose].prose, text);
}

static void start_piece(const char *name)
{
	int c = chunk_lookup(name, rd.file, rd.lineno);

	pieces = xrealloc(pieces, (npieces + 1) * sizeof(*pieces));
	if (rd.pending >= 0) {
		/* The chapter's first step also owns the code told before it. */
		if (rd.owner < 0)
			for (int i = 0; i < rd.norphans; i++)
				pieces[rd.orphans[i]].owner = rd.pending;
		rd.norphans = 0;
		rd.owner = rd.pending;
	} else if (rd.owner < 0) {
		rd.orphans = xrealloc(rd.orphans, (rd.norphans + 1) * sizeof(int));
		rd.orphans[rd.norphans++] = npieces;
	}
	pieces[npieces] = (struct piece){ .chunk = c, .marker = rd.pending,
		.owner = rd.owner, .floating = rd.floating, .nfloating = rd.nfloating,
		.file = rd.file, .lineno = rd.lineno };
	if (rd.pending >= 0)
		markers[rd.pending].piece = npieces;
	for (int i = 0; i < rd.nfloating; i++)
		markers[rd.floating[i]].piece = npieces;
	rd.pending = -1;
	rd.floating = NULL;
	rd.nfloating = 0;
	chunks[c].pieces = xrealloc(chunks[c].pieces, (chunks[c].npieces + 1) * sizeof(int));
	chunks[c].pieces[chunks[c].npieces++] = npieces;
	if (!chunks[c].defined) {
		chunks[c].defined = 1;
		chunks[c].file = rd.file;
		chunks[c].lineno = rd.lineno;
	}
	rd.piece = npieces++;
	rd.skip_nl = 1;
	rd.col = 0;
}

static void new_file(const char *name)
{
	check_floating_markers();
	rd.file = xstrdup(name);
	rd.lineno = 1;
	memset(rd.last, 0, sizeof(rd.last));
	rd.owner = -1;
	rd.norphans = 0;
	rd.letter = chapter_letter(name);
	if (!rd.letter)
		error_at(rd.file, 1, "a chapter's file name is NN-word.nw, the word one of "
			 "preparation, guest, drivers, launcher, host, switcher, mastery");
}

/* ------------------------------------------------------------ names the prose gives */

/* A name the prose quotes as code: `lg_run`, [[vq_pop]], `setup()`. */
struct mention {
	char *name;
	const char *file;
	int lineno;
};

static struct mention *mentions;
static int nmentions;

static int is_word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* A name from our C: lower case with an underscore, one of our own LG_ or
 * LHCALL_ constants, or a call, name() (but not a manual page, name(1)).
 * Other capitals are the specs' (VIRTIO_, KVM_, ...), prefixes (pvh_) no name. */
static int names_code(const char *s, size_t len, const char *after)
{
	int lower = 0;

	for (size_t i = 0; i < len; i++)
		lower |= islower((unsigned char)s[i]);
	if (isdigit((unsigned char)s[0]) || s[len - 1] == '_')
		return 0;
	if (after[0] == '(')
		return !(isdigit((unsigned char)after[1]) && after[2] == ')');
	return memchr(s, '_', len) && (lower || !strncmp(s, "LG_", 3) ||
				       !strncmp(s, "LHCALL_", 7));
}

/* The names in a code span; a path (a/b.c) or an option (-DX) names none. */
static void mention_names(const char *s, size_t n)
{
	const char *end = s + n;

	for (const char *w = s, *we; w < end; w = we + 1) {
		for (we = w; we < end && *we != ' '; we++)
			;
		if (*w == '-' || memchr(w, '/', we - w))
			continue;
		for (const char *t = w, *te; t < we; t = te + (te == t)) {
			for (te = t; te < we && is_word_char(*te); te++)
				;
			if (te == t || !names_code(t, te - t, te))
				continue;
			mentions = xrealloc(mentions, (nmentions + 1) * sizeof(*mentions));
			mentions[nmentions++] = (struct mention){ .name = xstrndup(t, te - t),
				.file = rd.file, .lineno = rd.lineno };
		}
	}
}

/* A chunk's name is prose too: the names in its [[...]]. */
static void mention_quoted(const char *name)
{
	for (const char *q = strstr(name, "[["), *e; q; q = strstr(e, "[[")) {
		if (!(e = strstr(q + 2, "]]")))
			break;
		mention_names(q + 2, e - q - 2);
	}
}

/* At the end of a prose line: the names inside its code spans. */
static void end_docs_line(void)
{
	const char *s = rd.docs.len ? rd.docs.s : "";

	if (strncmp(s + strspn(s, " "), "```", 3) == 0)
		rd.in_fence = !rd.in_fence;
	else
		while (!rd.in_fence && *s) {
			size_t n = strcspn(s, "`");
			if (rd.in_tick)
				mention_names(s, n);
			s += n;
			if (*s)
				rd.in_tick = !rd.in_tick;
			s += strspn(s, "`");
		}
	rd.docs.len = 0;
}

/* One line of the pipeline: "@keyword rest". */
static void read_token(char *tok)
{
	char *rest = strchr(tok, ' ');

	if (rest)
		*rest++ = '\0';
	else
		rest = "";
	if (!strcmp(tok, "@file")) {
		new_file(rest);
	} else if (!strcmp(tok, "@begin")) {
		rd.in_code = strncmp(rest, "code", 4) == 0;
		rd.first_text = !rd.in_code;
	} else if (!strcmp(tok, "@end")) {
		rd.in_code = 0;
		rd.prose = -1;
		rd.in_tick = rd.in_fence = 0;
	} else if (!strcmp(tok, "@defn")) {
		start_piece(rest);
		mention_quoted(rest);
	} else if (!strcmp(tok, "@use") && !rd.in_code) {
		/* [[<<x>>]] in the prose quotes a chunk's name; it uses nothing. */
		buf_puts(&rd.docs, "<<");
		buf_puts(&rd.docs, rest);
		buf_puts(&rd.docs, ">>");
		if (rd.prose >= 0) {
			buf_puts(&markers[rd.prose].prose, "<<");
			buf_puts(&markers[rd.prose].prose, rest);
			buf_puts(&markers[rd.prose].prose, ">>");
		}
	} else if (!strcmp(tok, "@use")) {
		add_item(1, rest);
		chunks[rd.line.items[rd.line.nitems - 1].chunk].uses++;
	} else if (!strcmp(tok, "@text")) {
		if (rd.in_code) {
			add_item(0, rest);
		} else {
			buf_puts(&rd.docs, rest);
			docs_text(rest);
		}
	} else if (!strcmp(tok, "@quote") || !strcmp(tok, "@endquote")) {
		buf_puts(&rd.docs, "`");
		if (rd.prose >= 0)
			buf_puts(&markers[rd.prose].prose, "`");
	} else if (!strcmp(tok, "@index") && !strcmp(rest, "nl")) {
		rd.lineno++;            /* an @ %def line: no code, no prose */
	} else if (!strcmp(tok, "@nl")) {
		if (rd.in_code && !rd.skip_nl)
			end_code_line();
		else if (!rd.in_code && rd.prose >= 0)
			buf_puts(&markers[rd.prose].prose, "\n");
		if (!rd.in_code)
			end_docs_line();
		rd.skip_nl = 0;
		rd.first_text = 0;
		rd.lineno++;
	} else if (!strcmp(tok, "@line")) {
		rd.lineno = atoi(rest);
	}
}

static void read_pipeline(FILE *in)
{
	char *tok = NULL;
	size_t cap = 0;
	ssize_t n;

	while ((n = getline(&tok, &cap, in)) > 0) {
		if (tok[n - 1] == '\n')
			tok[n - 1] = '\0';
		read_token(tok);
	}
	check_floating_markers();
	free(tok);
}

/* ------------------------------------------------------------ checking the chunks */

static const char *const root_dirs[] = {
	"include/", "lib/", "launcher/", "host/", "guest/", "drivers/",
};

static int looks_like_path(const char *name)
{
	return name[strcspn(name, " \t")] == '\0' && strpbrk(name, "/.") != NULL;
}

/* A path in normal form: no "..", no "." step, no empty step. */
static int normal_path(const char *name)
{
	size_t n = strlen(name);

	return !strstr(name, "..") && !strstr(name, "//") && !strstr(name, "/./") &&
	       strncmp(name, "./", 2) != 0 && !(n >= 2 && !strcmp(name + n - 2, "/.")) &&
	       name[n - 1] != '/';
}

static int allowed_path(const char *name)
{
	if (!normal_path(name))
		return 0;
	for (size_t i = 0; i < sizeof(root_dirs) / sizeof(root_dirs[0]); i++)
		if (strncmp(name, root_dirs[i], strlen(root_dirs[i])) == 0 &&
		    name[strlen(root_dirs[i])] != '\0')
			return 1;
	return 0;
}

/* Two names that differ only in case or in spacing. */
static int same_but_case(const char *a, const char *b)
{
	for (;;) {
		while (isspace((unsigned char)*a))
			a++;
		while (isspace((unsigned char)*b))
			b++;
		if (!*a || !*b)
			return !*a && !*b;
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return 0;
		a++, b++;
	}
}

/* A hint for a name that is used but not defined, or the reverse. */
static void hint(int c, int want_defined)
{
	struct chunk *ch = &chunks[c];

	for (int i = 0; i < nchunks; i++)
		if (i != c && (want_defined ? chunks[i].defined : chunks[i].uses > 0) &&
		    same_but_case(ch->name, chunks[i].name)) {
			fprintf(stderr, "%s:%d: note: <<%s>> differs from it only in case or spacing\n",
				chunks[i].file, chunks[i].lineno, chunks[i].name);
			return;
		}
	if (!want_defined)
		return;
	/* C's shift operators read as a use: 1 << 3 >> 1 uses <<3>>. */
	int letters = 0;
	size_t n = strlen(ch->name);
	for (const char *s = ch->name; *s; s++)
		letters += isalpha((unsigned char)*s) != 0;
	if (!letters || (n && (isspace((unsigned char)ch->name[0]) ||
			       isspace((unsigned char)ch->name[n - 1]))))
		fprintf(stderr, "%s:%d: note: <<%s>> looks like C's shift operators read as a "
			"chunk; write the first as @<< (noweb's escape)\n",
			ch->file, ch->lineno, ch->name);
}

/* Returns 1 if chunk c is a file to write. */
static int check_chunk(int c)
{
	struct chunk *ch = &chunks[c];

	if (!ch->defined) {
		error_at(ch->file, ch->lineno, "chunk <<%s>> is used but never defined", ch->name);
		hint(c, 1);
		return 0;
	}
	if (ch->uses > 0)
		return 0;
	if (!looks_like_path(ch->name)) {
		error_at(ch->file, ch->lineno, "chunk <<%s>> is defined but never used", ch->name);
		hint(c, 0);
		return 0;
	}
	if (!normal_path(ch->name) && !strstr(ch->name, "..")) {
		error_at(ch->file, ch->lineno,
			 "root <<%s>> is not a plain path (no ., .. or empty step); name the file as it stands",
			 ch->name);
		return 0;
	}
	/* The Makefile compiles host/NAME.c, never host/SUB/NAME.c: only headers nest. */
	if (allowed_path(ch->name) && strncmp(ch->name, "include/", 8) != 0 &&
	    strchr(strchr(ch->name, '/') + 1, '/')) {
		error_at(ch->file, ch->lineno,
			 "root <<%s>> stands in a nested directory, which the build never compiles; "
			 "only include/ may nest", ch->name);
		return 0;
	}
	if (!allowed_path(ch->name)) {
		error_at(ch->file, ch->lineno,
			 "root <<%s>> is outside the allowed directories (include/ lib/ launcher/ host/ guest/ drivers/)",
			 ch->name);
		return 0;
	}
	return 1;
}

/* Adds every word of text s (a C identifier or a number) to the list. */
static char **add_words(char **words, int *nwords, const char *s)
{
	for (const char *e; *s; s = e + (*e && e == s)) {
		for (e = s; is_word_char(*e); e++)
			;
		if (e == s)
			continue;
		words = xrealloc(words, (*nwords + 1) * sizeof(*words));
		words[(*nwords)++] = xstrndup(s, e - s);
	}
	return words;
}

/* The names the prose may quote though no code holds them: the first word of
 * each line of tangle/outside-names; the rest of the line says why. */
static char **outside_names(char **words, int *nwords)
{
	FILE *f = fopen("tangle/outside-names", "r");
	char line[256];

	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, " \t\n")] = '\0';
		if (line[0] != '#')
			words = add_words(words, nwords, line);
	}
	if (f)
		fclose(f);
	return words;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every name the prose quotes must stand, as a whole word, in some code chunk. */
static void check_mentions(void)
{
	char **words = NULL;
	int nwords = 0;

	for (int p = 0; p < npieces; p++)
		for (int j = 0; j < pieces[p].nlines; j++)
			for (int k = 0; k < pieces[p].lines[j].nitems; k++)
				if (!pieces[p].lines[j].items[k].is_use)
					words = add_words(words, &nwords, pieces[p].lines[j].items[k].text);
	words = outside_names(words, &nwords);
	qsort(words, nwords, sizeof(*words), compare_names);
	for (int i = 0; i < nmentions; i++)
		if (!bsearch(&mentions[i].name, words, nwords, sizeof(*words), compare_names))
			error_at(mentions[i].file, mentions[i].lineno,
				 "the prose names '%s', which no code defines or uses", mentions[i].name);
}

/* ------------------------------------------------------------ expanding a root */

struct out {
	int with_tale;       /* carry the marked prose as comments */
	struct buf text;     /* the file */
	struct buf map;      /* one "chapters/FILE.nw:LINE SHIFT..." per line of it */
	struct buf cur;      /* the line being built */
	const char *indent;  /* prefix for every new line of this expansion */
	const char *file;    /* where the current line's code comes from */
	int lineno;
	int shift;           /* its column in the copy less its column there */
	char kind;           /* what the line is: c code, t tale, e a span's end */
	const char *via_file;  /* the use of the innermost chunk used more than */
	int via_line;          /* once on the way to this code, or NULL */
	const char *line_via_file;  /* ... as it was for the current line */
	int line_via_line;
	int depth;           /* tale spans open around the current line */
	int *steps;          /* steps[i]: the marker of the i-th span open */
	long nlines;         /* lines written so far */
	int overflow;        /* the expansion passed its bound */
	const char **chapters;  /* the chapters this file draws from */
	int nchapters;
};

/* The bound on one file's lines: more than the book's code several times
 * over can only come from chunks that multiply as they nest. */
static long expansion_bound;

static int only_blanks(const char *s, size_t n);

/* A line of the copy maps to the chapter line of its first visible text. */
static void out_text(struct out *o, const char *s, const char *file, int lineno, int col)
{
	if (*s == '\0')
		return;
	if (o->cur.len == 0)
		buf_puts(&o->cur, o->indent);
	if (only_blanks(o->cur.s, o->cur.len) && !only_blanks(s, strlen(s))) {
		o->file = file;
		o->lineno = lineno;
		o->shift = (int)o->cur.len - col;
		o->line_via_file = o->via_file;
		o->line_via_line = o->via_line;
	}
	buf_puts(&o->cur, s);
}

static void out_newline(struct out *o)
{
	char loc[512];

	while (o->cur.len > 0 && isspace((unsigned char)o->cur.s[o->cur.len - 1]))
		o->cur.s[--o->cur.len] = '\0';
	if (o->cur.len)
		buf_puts(&o->text, o->cur.s);
	buf_puts(&o->text, "\n");
	if (o->with_tale)
		snprintf(loc, sizeof(loc), "%s:%d %d %c\n", o->file ? o->file : "?", o->lineno,
			 o->shift, o->kind ? o->kind : 'c');
	else if (o->line_via_file)
		snprintf(loc, sizeof(loc), "%s:%d %d via %s:%d\n", o->file ? o->file : "?",
			 o->lineno, o->shift, o->line_via_file, o->line_via_line);
	else
		snprintf(loc, sizeof(loc), "%s:%d %d\n", o->file ? o->file : "?", o->lineno, o->shift);
	buf_puts(&o->map, loc);
	o->cur.len = 0;
	o->kind = 'c';
	o->line_via_file = o->via_file;
	o->line_via_line = o->via_line;
	if (++o->nlines > expansion_bound)
		o->overflow = 1;
}

/* The prose goes into a C comment, so it must not close or open one. */
static void escape_comment(struct buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '*' && i + 1 < n && s[i + 1] == '/')
			buf_puts(b, "*\\");
		else if (s[i] == '/' && i + 1 < n && s[i + 1] == '*')
			buf_puts(b, "/\\");
		else
			buf_add(b, &s[i], 1);
	}
}

/* The prose of a marker, line by line, without trailing blanks. */
static int prose_lines(struct marker *m, const char ***linesp, int **lensp)
{
	static const char *lines[4096];
	static int lens[4096];
	const char *s = m->prose.s ? m->prose.s : "";
	int n = 0;

	while (*s && n < 4096) {
		int len = (int)strcspn(s, "\n");
		int trimmed = len;
		while (trimmed > 0 && isspace((unsigned char)s[trimmed - 1]))
			trimmed--;
		lines[n] = s;
		lens[n++] = trimmed;
		s += len + (s[len] == '\n');
	}
	while (n > 1 && lens[n - 1] == 0)
		n--;
	*linesp = lines;
	*lensp = lens;
	return n ? n : 1;
}

static void write_tale_comment(struct out *o, struct marker *m, int has_code)
{
	const char **lines;
	int *lens, n = prose_lines(m, &lines, &lens);
	struct buf b = { 0 };
	char head[16];

	snprintf(head, sizeof(head), "/*%c:%03d", m->letter, m->number);
	for (int i = 0; i < n; i++) {
		b.len = 0;
		buf_puts(&b, i == 0 ? head : " *");
		if (m->prose.s && lens[i] > 0) {
			buf_puts(&b, " ");
			escape_comment(&b, lines[i], lens[i]);
		}
		if (i == n - 1)
			buf_puts(&b, has_code ? " :*/" : " */");
		out_text(o, b.s, m->file, m->lineno + i, 0);
		o->kind = 't';
		out_newline(o);
	}
	free(b.s);
}

/* The indentation for a chunk used after the text already on this line. */
static char *indent_for_use(struct out *o)
{
	char *s = xstrdup(o->cur.len ? o->cur.s : o->indent);

	for (char *p = s; *p; p++)
		if (*p != '\t')
			*p = ' ';
	return s;
}

static int only_blanks(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isspace((unsigned char)s[i]))
			return 0;
	return 1;
}

static void expand_chunk(struct out *o, int c, const char *file, int lineno);

static void note_chapter(struct out *o, const char *file)
{
	if (!file)      /* a pipeline with no @file: not markup's */
		return;
	for (int i = 0; i < o->nchapters; i++)
		if (strcmp(o->chapters[i], file) == 0)
			return;
	o->chapters = xrealloc(o->chapters, (o->nchapters + 1) * sizeof(char *));
	o->chapters[o->nchapters++] = file;
}

static void expand_line(struct out *o, struct line *l)
{
	if (o->cur.len == 0) {
		o->file = l->file;
		o->lineno = l->lineno;
		o->shift = 0;
	}
	note_chapter(o, l->file);
	for (int i = 0; i < l->nitems; i++) {
		struct item *it = &l->items[i];
		if (!it->is_use) {
			out_text(o, it->text, l->file, l->lineno, it->col);
		} else {
			const char *saved = o->indent, *via_file = o->via_file;
			int via_line = o->via_line;
			char *indent = indent_for_use(o);
			o->indent = indent;
			if (chunks[it->chunk].uses > 1) {
				o->via_file = l->file;
				o->via_line = l->lineno;
			}
			expand_chunk(o, it->chunk, l->file, l->lineno);
			o->indent = saved;
			o->via_file = via_file;
			o->via_line = via_line;
			free(indent);
		}
	}
}

/* Places marker i's comment before this piece; returns 1 if it did. */
static int place_marker(struct out *o, int i, int has_code)
{
	struct marker *m = &markers[i];

	if (m->placed)
		return 0;
	m->placed = m->reached = 1;
	if (!only_blanks(o->cur.s ? o->cur.s : "", o->cur.len)) {
		error_at(m->file, m->lineno,
			 "marker %c:%03d's code is used in the middle of a line; its prose has no place there",
			 m->letter, m->number);
		return 0;
	}
	write_tale_comment(o, m, has_code);
	return 1;
}

/* Code of a step told away from the step's first chunk (after unmarked
 * prose, or a second use) that is not already inside a span of its own
 * step opens a short span, so every code line belongs to its step: the
 * marker and ", continued". */
static int continue_tale(struct out *o, int owner, struct line *first)
{
	struct marker *m = &markers[owner];
	char head[32];

	if ((o->depth > 0 && o->steps[o->depth - 1] == owner) ||
	    !only_blanks(o->cur.s ? o->cur.s : "", o->cur.len))
		return 0;
	snprintf(head, sizeof(head), "/*%c:%03d, continued :*/", m->letter, m->number);
	out_text(o, head, first->file, first->lineno, 0);
	o->kind = 't';
	out_newline(o);
	return 1;
}

/* Opens a marked step's comment if this piece carries one; returns 1 if it did. */
static int open_tale(struct out *o, struct piece *p)
{
	if (!o->with_tale)
		return 0;
	for (int i = 0; i < p->nfloating; i++)
		place_marker(o, p->floating[i], 0);
	if (p->marker >= 0 && place_marker(o, p->marker, 1))
		return 1;
	return p->owner >= 0 && p->owner < nmarkers && continue_tale(o, p->owner, &p->lines[0]);
}

/* noweb's rule: a chunk's last newline belongs to the line that uses it. */
static void expand_chunk(struct out *o, int c, const char *file, int lineno)
{
	struct chunk *ch = &chunks[c];

	if (ch->expanding) {
		error_at(file, lineno, "chunk <<%s>> uses itself", ch->name);
		return;
	}
	ch->expansions++;
	ch->expanding = 1;
	for (int k = 0; k < ch->npieces && !o->overflow; k++) {
		struct piece *p = &pieces[ch->pieces[k]];
		int last_piece = k == ch->npieces - 1;
		/* An empty piece has no line to hang the tale on: its marker is
		 * then reported as never reaching a file. */
		int tale = p->nlines ? open_tale(o, p) : 0;
		if (tale) {
			o->steps = xrealloc(o->steps, (o->depth + 1) * sizeof(int));
			o->steps[o->depth++] = p->owner;   /* a marked piece's own */
		}
		for (int j = 0; j < p->nlines && !o->overflow; j++) {
			expand_line(o, &p->lines[j]);
			if (!(last_piece && j == p->nlines - 1))
				out_newline(o);
		}
		if (tale) {
			o->depth--;
			if (last_piece)
				out_newline(o);
			out_text(o, "/*:*/", p->lines[p->nlines - 1].file,
				 p->lines[p->nlines - 1].lineno, 0);
			o->kind = 'e';
			if (!last_piece)
				out_newline(o);
		}
	}
	ch->expanding = 0;
}

static int by_string(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The header names every chapter the file draws from, in the book's order. */
static void write_header(struct out *o, int c)
{
	struct out h = { .with_tale = 1, .indent = "", .kind = 'h' };
	struct buf line = { 0 };
	const char *tail;

	if (o->nchapters)
		qsort(o->chapters, o->nchapters, sizeof(char *), by_string);
	buf_puts(&line, "/* Tangled from ");
	for (int i = 0; i < o->nchapters; i++) {
		const char *sep = i == 0 ? "" : i == o->nchapters - 1 ? " and " : ", ";
		if (line.len + strlen(sep) + strlen(o->chapters[i]) > 78 && i > 0) {
			buf_puts(&line, i == o->nchapters - 1 ? " and" : ",");
			out_text(&h, line.s, chunks[c].file, chunks[c].lineno, 0);
			h.kind = 'h';
			out_newline(&h);
			line.len = 0;
			buf_puts(&line, " * ");
		} else {
			buf_puts(&line, sep);
		}
		buf_puts(&line, o->chapters[i]);
	}
	tail = o->nchapters > 1 ? "by `make tangle`: edit the chapters, not this file. */"
				: "by `make tangle`: edit the chapter, not this file. */";
	if (o->nchapters > 1 && line.len + 1 + strlen(tail) > 80) {
		out_text(&h, line.s, chunks[c].file, chunks[c].lineno, 0);
		h.kind = 'h';
		out_newline(&h);
		line.len = 0;
		buf_puts(&line, " *");
	}
	buf_puts(&line, " ");
	buf_puts(&line, tail);
	out_text(&h, line.s, chunks[c].file, chunks[c].lineno, 0);
	h.kind = 'h';
	out_newline(&h);
	buf_puts(&h.text, o->text.s ? o->text.s : "");
	buf_puts(&h.map, o->map.s ? o->map.s : "");
	free(o->text.s);
	free(o->map.s);
	o->text = h.text;
	o->map = h.map;
	free(line.s);
	free(h.cur.s);
}

static void tangle_root(struct out *o, int c)
{
	o->indent = "";
	o->kind = 'c';
	for (int i = 0; i < nmarkers; i++)
		markers[i].placed = 0;
	for (int i = 0; i < nchunks; i++)
		chunks[i].expansions = 0;
	note_chapter(o, chunks[c].file);     /* an empty root names its own */
	expand_chunk(o, c, chunks[c].file, chunks[c].lineno);
	if (o->cur.len)
		out_newline(o);
	if (o->overflow) {
		int most = c;
		for (int i = 0; i < nchunks; i++)
			if (chunks[i].expansions > chunks[most].expansions)
				most = i;
		error_at(chunks[c].file, chunks[c].lineno,
			 "<<%s>> expands to more than %ld lines: chunks used more than once multiply "
			 "as they nest (<<%s>>, defined at %s:%d, was expanded %ld times)",
			 chunks[c].name, expansion_bound, chunks[most].name, chunks[most].file,
			 chunks[most].lineno, chunks[most].expansions);
		return;
	}
	if (o->with_tale)
		write_header(o, c);
}

/* ------------------------------------------------------------ writing, atomically */

struct output {
	char *path;        /* relative to its tree */
	struct buf bytes;
};

static struct output *outputs;
static int noutputs;

static void add_output(const char *dir, const char *name, struct buf *bytes)
{
	outputs = xrealloc(outputs, (noutputs + 1) * sizeof(*outputs));
	outputs[noutputs].path = xrealloc(NULL, strlen(dir) + strlen(name) + 2);
	sprintf(outputs[noutputs].path, "%s/%s", dir, name);
	outputs[noutputs++].bytes = *bytes;
	*bytes = (struct buf){ 0 };
}

static int same_bytes(const char *path, struct buf *b)
{
	FILE *f = fopen(path, "rb");
	int same = 0;

	if (f) {
		char *old = xrealloc(NULL, b->len + 1);
		same = fread(old, 1, b->len + 1, f) == b->len &&
		       memcmp(old, b->s ? b->s : "", b->len) == 0;
		free(old);
		fclose(f);
	}
	return same;
}

static void make_parents(const char *path)
{
	char *p = xstrdup(path);

	for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(p, 0777) < 0 && errno != EEXIST) {
			fprintf(stderr, "lgtangle: cannot create %s: %s\n", p, strerror(errno));
			exit(2);
		}
		*s = '/';
	}
	free(p);
}

/* Writes every changed file as NAME.tmp first, then renames them all. */
static void write_outputs(void)
{
	int *changed = calloc(noutputs + 1, sizeof(int));

	for (int i = 0; i < noutputs; i++) {
		char tmp[4096];
		FILE *f;
		if (same_bytes(outputs[i].path, &outputs[i].bytes))
			continue;
		make_parents(outputs[i].path);
		snprintf(tmp, sizeof(tmp), "%s.tmp", outputs[i].path);
		f = fopen(tmp, "wb");
		if (!f || fwrite(outputs[i].bytes.s, 1, outputs[i].bytes.len, f) != outputs[i].bytes.len ||
		    fclose(f) != 0) {
			fprintf(stderr, "lgtangle: cannot write %s: %s\n", tmp, strerror(errno));
			for (int j = 0; j <= i; j++) {
				snprintf(tmp, sizeof(tmp), "%s.tmp", outputs[j].path);
				unlink(tmp);
			}
			exit(2);
		}
		changed[i] = 1;
	}
	for (int i = 0; i < noutputs; i++) {
		char tmp[4096];
		snprintf(tmp, sizeof(tmp), "%s.tmp", outputs[i].path);
		if (changed[i] && rename(tmp, outputs[i].path) < 0) {
			fprintf(stderr, "lgtangle: cannot rename %s: %s\n", tmp, strerror(errno));
			exit(2);
		}
	}
	free(changed);
}

static int is_output(const char *path)
{
	for (int i = 0; i < noutputs; i++)
		if (strcmp(outputs[i].path, path) == 0)
			return 1;
	return 0;
}

/* Walk DIR for the files no root writes any more (stale files), handing
 * each to fn, which returns 1 if it removed the file.  With prune, a
 * directory the walk leaves empty is removed too.  Returns 1 if DIR is
 * now empty.  Both the cleaning below and the hand-edit check use it. */
typedef int stale_fn(const char *gen, const char *path);

static int walk_stale(const char *gen, const char *dir, stale_fn *fn, int prune)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int left = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL) {
		char path[4096];
		struct stat st;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (lstat(path, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (walk_stale(gen, path, fn, prune) && prune && rmdir(path) == 0)
				continue;
		} else if (S_ISREG(st.st_mode) && !is_output(path) && fn(gen, path)) {
			continue;
		}
		left++;
	}
	closedir(d);
	return left == 0;
}

/* A root gone from the chapters takes its file with it. */
static int remove_file(const char *gen, const char *path)
{
	(void)gen;
	return unlink(path) == 0;
}

static int remove_stale(const char *dir)
{
	return walk_stale(NULL, dir, remove_file, 1);
}

/* Only the trees we write are ever cleaned: never a stray directory. */
static void clean_tree(const char *top)
{
	for (size_t i = 0; i < sizeof(root_dirs) / sizeof(root_dirs[0]); i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%.*s", top, (int)strlen(root_dirs[i]) - 1, root_dirs[i]);
		if (remove_stale(path))
			rmdir(path);
	}
}

/* ------------------------------------------------------------ hand edits */

/* With --record DIR, DIR keeps a copy of every file written to generated/
 * (and its line map, for `make untangle`).  A file of generated/ that is
 * neither what we last wrote nor what we would write now was edited by
 * hand, and we stop rather than overwrite it.  Without a record (after
 * `make clean`) git says whether the file is as committed. */
static const char *record;

/* 0 if files a and b are the same, else the first line where they differ. */
static int first_difference(const char *a, const char *b)
{
	FILE *f = fopen(a, "rb"), *g = fopen(b, "rb");
	int line = 1, x = 0, y = 0, differ = !f || !g;

	while (!differ && (x != EOF || y != EOF)) {
		x = getc(f);
		y = getc(g);
		differ = x != y;
		line += !differ && x == '\n';
	}
	if (f)
		fclose(f);
	if (g)
		fclose(g);
	return differ ? line : 0;
}

/* Is the file as git's index has it (checked out, merged, staged), or in
 * a merge's conflict?
 * 1 yes, 0 no (or not tracked), -1 git cannot say. */
static int git_committed(const char *path)
{
	char cmd[12400];
	int status;

	if (strchr(path, '\'') || strlen(path) > 4000)
		return -1;
	/* A path a merge left in conflict is git's too: the tangle resolves it. */
	snprintf(cmd, sizeof(cmd), "git ls-files -u -- '%s' 2>/dev/null | grep -q . || "
		 "{ git ls-files --error-unmatch -- '%s' >/dev/null 2>&1 && "
		 "git diff --quiet -- '%s' 2>/dev/null; }", path, path, path);
	status = system(cmd);
	if (!WIFEXITED(status) || WEXITSTATUS(status) > 1)
		return -1;
	return WEXITSTATUS(status) == 0;
}

/* 0 if the file is as we left it, else the line of the first hand edit.
 * A file as git's index has it is no hand edit either: git wrote it (a
 * checkout, a merge, a conflict resolved and added), and the record is
 * what is out of date.  Without a record (after
 * make clean) git alone decides; where git cannot say, a file is trusted. */
static int hand_edited(const char *gen, const char *path)
{
	char old[8300];
	int line;

	if (access(path, F_OK) != 0)
		return 0;
	snprintf(old, sizeof(old), "%s/%s", record, path + strlen(gen) + 1);
	if (access(old, F_OK) == 0) {
		line = first_difference(old, path);
		return line && git_committed(path) != 1 ? line : 0;
	}
	return git_committed(path) == 0;
}

static void refuse_edit(const char *path, int line, const char *what)
{
	fprintf(stderr, "%s:%d: edited by hand since `make tangle` wrote it; make tangle would %s it.\n"
		"  Carry the edit into the chapters with `make untangle`, or drop it with "
		"`git checkout %s`.\n", path, line, what, path);
	nerrors++;
}

/* A file a tangle would remove is checked for hand edits like any other. */
static int refuse_if_edited(const char *gen, const char *path)
{
	int line = hand_edited(gen, path);

	if (line)
		refuse_edit(path, line, "remove");
	return 0;
}

static void check_stale(const char *gen, const char *dir)
{
	walk_stale(gen, dir, refuse_if_edited, 0);
}

static void check_hand_edits(const char *gen)
{
	size_t n = strlen(gen);

	for (int i = 0; i < noutputs; i++) {
		int line;
		if (!strncmp(outputs[i].path, gen, n) && outputs[i].path[n] == '/' &&
		    !same_bytes(outputs[i].path, &outputs[i].bytes) &&
		    (line = hand_edited(gen, outputs[i].path)) != 0)
			refuse_edit(outputs[i].path, line, "overwrite");
	}
	for (size_t i = 0; i < sizeof(root_dirs) / sizeof(root_dirs[0]); i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%.*s", gen, (int)strlen(root_dirs[i]) - 1, root_dirs[i]);
		check_stale(gen, path);
	}
}

/* ------------------------------------------------------------ the tale */

static int marker_order(const void *a, const void *b)
{
	const struct marker *x = a, *y = b;

	if (letter_rank(x->letter) != letter_rank(y->letter))
		return letter_rank(x->letter) - letter_rank(y->letter);
	return x->number - y->number;
}

static void print_tale(void)
{
	qsort(markers, nmarkers, sizeof(*markers), marker_order);
	for (int i = 0; i < nmarkers; i++) {
		const char **lines;
		int *lens, n = prose_lines(&markers[i], &lines, &lens);
		if (markers[i].bookonly)
			continue;
		printf("=== %c:%03d ===\n", markers[i].letter, markers[i].number);
		for (int j = 0; j < n; j++)
			printf("%.*s\n", lens[j], markers[i].prose.s ? lines[j] : "");
	}
}

/* ------------------------------------------------------------ main */

static void usage(void)
{
	fprintf(stderr, "usage: markup chapters/*.nw | lgtangle [--lint] [--tale] "
		"[--generated DIR] [--build DIR]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *gen = NULL, *build = NULL;
	int tale = 0, *roots;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--generated") && i + 1 < argc)
			gen = argv[++i];
		else if (!strcmp(argv[i], "--build") && i + 1 < argc)
			build = argv[++i];
		else if (!strcmp(argv[i], "--record") && i + 1 < argc)
			record = argv[++i];
		else if (!strcmp(argv[i], "--tale"))
			tale = 1;
		else if (strcmp(argv[i], "--lint"))
			usage();
	}
	read_pipeline(stdin);

	/* The bound on any one file: the book's code eight times over. */
	expansion_bound = 0;
	for (int p = 0; p < npieces; p++)
		expansion_bound += pieces[p].nlines;
	expansion_bound = expansion_bound * 8 + 10000;

	roots = calloc(nchunks + 1, sizeof(int));
	for (int c = 0; c < nchunks; c++)
		roots[c] = check_chunk(c);
	check_mentions();

	/* Tangle every file with its tale, even when only checking: that is how
	 * we learn that every marker's code reaches a file, at a line start. */
	for (int c = 0; c < nchunks; c++) {
		struct out o = { .with_tale = 1 };
		if (!roots[c])
			continue;
		tangle_root(&o, c);
		if (gen && record) {
			char mapname[4096];
			struct buf copy = { 0 };
			snprintf(mapname, sizeof(mapname), "%s.lines", chunks[c].name);
			buf_add(&copy, o.text.s ? o.text.s : "", o.text.len);
			add_output(record, chunks[c].name, &copy);
			add_output(record, mapname, &o.map);
		}
		if (gen)
			add_output(gen, chunks[c].name, &o.text);
		free(o.map.s);
		free(o.chapters);
	}
	if (gen && record && !nerrors)
		check_hand_edits(gen);
	for (int m = 0; m < nmarkers; m++)
		if (!markers[m].reached && markers[m].piece >= 0 &&
		    pieces[markers[m].piece].nlines == 0)
			error_at(markers[m].file, markers[m].lineno,
				 "marker %c:%03d's code chunk <<%s>> is empty: give it code, or end the step's prose with no chunk after it",
				 markers[m].letter, markers[m].number,
				 chunks[pieces[markers[m].piece].chunk].name);
		else if (!markers[m].reached && markers[m].piece >= 0)
			error_at(markers[m].file, markers[m].lineno,
				 "marker %c:%03d's code never reaches a file",
				 markers[m].letter, markers[m].number);
	if (nerrors) {
		fprintf(stderr, "lgtangle: %d error%s; nothing written\n", nerrors,
			nerrors == 1 ? "" : "s");
		return 1;
	}

	/* The compiler's copies: code only, so prose edits change nothing it reads. */
	for (int c = 0; build && c < nchunks; c++) {
		struct out o = { 0 };
		char mapname[4096];
		if (!roots[c])
			continue;
		tangle_root(&o, c);
		snprintf(mapname, sizeof(mapname), "%s.lines", chunks[c].name);
		add_output(build, chunks[c].name, &o.text);
		add_output(build, mapname, &o.map);
	}
	write_outputs();
	if (gen)
		clean_tree(gen);
	if (gen && record)
		clean_tree(record);
	if (build)
		clean_tree(build);
	if (tale)
		print_tale();
	return 0;
}
