/*
 * tale: the story of the book, read back out of the tangled code alone.
 *
 * Every marked step of a chapter reaches the code as a comment that opens
 * with its marker, "/ *H:200 ...", and, when code belongs to it, ends in
 * ":* /" with that code running up to a closing "/ *:* /".  (lguest's
 * `make Beer` read its story out of its sources the same way.)
 *
 *   tale [--letter X] [--prose] DIR
 *   tale --coverage DIR   how many code lines lie outside every step
 *   tale --outside DIR    and which (path:line: text); exit 1 if any
 *
 * prints the steps found under DIR in marker order: each step's prose and
 * then its code, or with --prose the prose alone in the form `lgtangle
 * --tale` prints, so the two can be compared line for line.
 */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define LETTERS "PGDLHSM"

static int mode_coverage, list_outside;
static void coverage(const char *path, const char *text, int list);

struct step {
	int seq;
	char letter;
	int number;
	int continued;  /* a span "/ *H:200, continued :* /": more code, no prose */
	char *where;   /* file:line of the comment */
	char *prose;
	char *code;
};

static struct step *steps;
static int nsteps;

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		perror("tale");
		exit(2);
	}
	return p;
}

static void append(char **s, const char *t, size_t n)
{
	size_t len = *s ? strlen(*s) : 0;

	*s = xrealloc(*s, len + n + 1);
	memcpy(*s + len, t, n);
	(*s)[len + n] = '\0';
}

/* Does a tale comment start at p?  It is "/ *" and a marker, as in "/ *H:200". */
static int tale_start(const char *p)
{
	return p[0] == '/' && p[1] == '*' && strchr(LETTERS, p[2]) && p[2] && p[3] == ':' &&
	       isdigit((unsigned char)p[4]) && isdigit((unsigned char)p[5]) &&
	       isdigit((unsigned char)p[6]);
}

/* One line of a comment's body back into prose: drop " * " and undo escapes. */
static void add_prose_line(char **prose, const char *s, size_t n, int first)
{
	size_t i = 0;

	if (!first) {
		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i < n && s[i] == '*')
			i++;
	}
	if (i < n && s[i] == ' ')
		i++;
	for (; i < n; i++) {
		if (i + 2 < n && s[i + 1] == '\\' &&
		    ((s[i] == '*' && s[i + 2] == '/') || (s[i] == '/' && s[i + 2] == '*'))) {
			append(prose, &s[i], 1);
			i++;
			continue;
		}
		append(prose, &s[i], 1);
	}
	append(prose, "\n", 1);
}

/* The prose of the comment whose body is [b, e). */
static char *comment_prose(const char *b, const char *e)
{
	char *prose = NULL;
	int first = 1;

	while (b <= e) {
		const char *nl = memchr(b, '\n', e - b);
		const char *end = nl ? nl : e;
		add_prose_line(&prose, b, end - b, first);
		first = 0;
		if (!nl)
			break;
		b = nl + 1;
	}
	return prose;
}

/* The column at which the line holding p starts its text. */
static size_t column_of(const char *text, const char *p)
{
	const char *line = p;

	while (line > text && line[-1] != '\n')
		line--;
	return (size_t)(p - line);
}

/* The code of a step: from after its comment to the matching "/ *:* /",
 * leaving out the comments (and closers) of steps nested inside it. */
static char *step_code(const char *p, size_t indent)
{
	char *code = NULL;
	int depth = 0;

	if (*p == '\n')
		p++;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		const char *t = p;
		while (t < p + n && (*t == ' ' || *t == '\t'))
			t++;
		if (!strncmp(t, "/*:*/", 5)) {
			if (depth-- == 0)
				break;
		} else if (tale_start(t)) {
			const char *end = strstr(t, "*/");
			if (!end)
				break;
			if (end > t && end[-1] == ':')
				depth++;
			nl = strchr(end, '\n');
			p = nl ? nl + 1 : end + strlen(end);
			continue;
		} else {
			size_t skip = 0;
			while (skip < indent && skip < n && (p[skip] == ' ' || p[skip] == '\t'))
				skip++;
			append(&code, p + skip, n - skip);
			append(&code, "\n", 1);
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	return code;
}

static void read_tales(const char *path, const char *text)
{
	for (const char *p = text; (p = strstr(p, "/*")) != NULL; p += 2) {
		struct step s = { 0 };
		const char *body, *end;
		int has_code, line = 1;
		if (!tale_start(p))
			continue;
		end = strstr(p, "*/");
		if (!end)
			return;
		s.letter = p[2];
		s.number = atoi(p + 4);
		body = p + 7;
		has_code = end > body && end[-1] == ':';
		s.continued = *body == ',';
		if (!s.continued)
			s.prose = comment_prose(body, has_code ? end - 1 - (end[-2] == ' ')
							     : end - (end[-1] == ' '));
		if (has_code)
			s.code = step_code(end + 2, column_of(text, p));
		for (const char *q = text; q < p; q++)
			line += *q == '\n';
		s.where = xrealloc(NULL, strlen(path) + 16);
		sprintf(s.where, "%s:%d", path, line);
		s.seq = nsteps;
		steps = xrealloc(steps, (nsteps + 1) * sizeof(*steps));
		steps[nsteps++] = s;
		p = end;
	}
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *s = NULL;
	size_t n = 0, got;
	char chunk[65536];

	if (!f) {
		perror(path);
		exit(2);
	}
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		s = xrealloc(s, n + got + 1);
		memcpy(s + n, chunk, got);
		n += got;
	}
	fclose(f);
	s = xrealloc(s, n + 1);
	s[n] = '\0';
	return s;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static void walk(const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, by_name);

	if (n < 0) {
		perror(dir);
		exit(2);
	}
	for (int i = 0; i < n; i++) {
		char path[4096];
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (names[i]->d_name[0] != '.' && stat(path, &st) == 0) {
			if (S_ISDIR(st.st_mode)) {
				walk(path);
			} else {
				char *text = slurp(path);
				if (mode_coverage)
					coverage(path, text, list_outside);
				else
					read_tales(path, text);
				free(text);
			}
		}
		free(names[i]);
	}
	free(names);
}

/* Marker order; a step's own comment before its continued spans; then
 * the order the files were read in (each step remembers its index). */
static int step_order(const void *a, const void *b)
{
	const struct step *x = a, *y = b;
	int rx = (int)(strchr(LETTERS, x->letter) - LETTERS);
	int ry = (int)(strchr(LETTERS, y->letter) - LETTERS);

	if (rx != ry)
		return rx - ry;
	if (x->number != y->number)
		return x->number - y->number;
	if (x->continued != y->continued)
		return x->continued - y->continued;
	return x->seq - y->seq;
}

/* Counts the code lines of text that no step's span holds; lists them
 * as path:line when list is set. */
static long total_lines, outside_lines;

static void coverage(const char *path, const char *text, int list)
{
	int depth = 0, in_comment = 0, lineno = 0;

	for (const char *p = text; *p; ) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		const char *t = p;
		lineno++;
		while (t < p + n && (*t == ' ' || *t == '\t'))
			t++;
		if (in_comment) {
			const char *end = strstr(t, "*/");
			if (end && end < p + n) {
				in_comment = 0;
				depth += end > t && end[-1] == ':';
			}
		} else if (tale_start(t) || (lineno == 1 && !strncmp(t, "/* Tangled", 10))) {
			const char *end = strstr(t, "*/");
			if (end && end < p + n)
				depth += end > t && end[-1] == ':';
			else
				in_comment = 1;
		} else if (!strncmp(t, "/*:*/", 5)) {
			depth--;
		} else if (t < p + n) {
			total_lines++;
			if (depth <= 0) {
				outside_lines++;
				if (list)
					printf("%s:%d: %.*s\n", path, lineno, (int)n, p);
			}
		}
		if (!nl)
			break;
		p = nl + 1;
	}
}

/* Trailing blank lines are not part of a step's prose. */
static void trim_end(char *s)
{
	size_t n = s ? strlen(s) : 0;

	while (n > 1 && s[n - 1] == '\n' && s[n - 2] == '\n')
		s[--n] = '\0';
}

int main(int argc, char **argv)
{
	char letter = 0;
	int prose_only = 0;
	const char *dir = NULL;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--letter") && i + 1 < argc)
			letter = argv[++i][0];
		else if (!strcmp(argv[i], "--prose"))
			prose_only = 1;
		else if (!strcmp(argv[i], "--coverage"))
			mode_coverage = 1;
		else if (!strcmp(argv[i], "--outside"))
			mode_coverage = list_outside = 1;
		else
			dir = argv[i];
	}
	if (!dir) {
		fprintf(stderr, "usage: tale [--letter X] [--prose] DIR\n");
		return 2;
	}
	walk(dir);
	if (mode_coverage) {
		printf("tale: %ld of %ld code lines (%.1f%%) lie outside every step\n",
		       outside_lines, total_lines,
		       total_lines ? 100.0 * outside_lines / total_lines : 0.0);
		return outside_lines != 0;
	}
	qsort(steps, nsteps, sizeof(*steps), step_order);
	for (int i = 0; i < nsteps; i++) {
		struct step *s = &steps[i], *first = s;
		int same = 0;
		if (letter && s->letter != letter)
			continue;
		/* A step's first comment tells it; a copy of it in another file
		 * (a chunk used in two files) is told once, unless its prose differs. */
		for (int j = i - 1; j >= 0 && steps[j].letter == s->letter &&
				    steps[j].number == s->number; j--)
			if (!steps[j].continued)
				first = &steps[j];
		trim_end(s->prose);
		if (first != s && !s->continued)
			same = !strcmp(first->prose ? first->prose : "", s->prose ? s->prose : "");
		if (prose_only) {
			if (!s->continued && !same)
				printf("=== %c:%03d ===\n%s", s->letter, s->number, s->prose);
			continue;
		}
		if (s->continued)
			printf("%c:%03d, continued  (%s)\n", s->letter, s->number, s->where);
		else if (same)
			printf("%c:%03d, again  (%s)\n", s->letter, s->number, s->where);
		else
			printf("%c:%03d  (%s)\n%s\n", s->letter, s->number, s->where, s->prose);
		if (s->code)
			printf("%s\n", s->code);
	}
	return 0;
}
