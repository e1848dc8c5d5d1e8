/*
 * explain: from a place in the code back to its story.
 *
 *   explain chapters/FILE.nw:LINE        a line of a chapter
 *   explain generated/PATH:LINE          a line of a tangled file
 *   explain build/src/PATH:LINE          a line the compiler saw (or PATH:LINE)
 *   explain NAME                         a function, or a chunk's name
 *   explain ELF ADDRESS                  an address in build/host.elf, ...
 *   explain --annotate ELF...            a filter: "rip 0xADDR" in each input
 *                                        line gains "(H:530, chapters/F.nw:N)"
 *   explain --table ELF...               the Launcher's places table (chapter 37):
 *                                        per image "image HASH SIZE", then one
 *                                        "ADDRESS STEP, CHAPTER:LINE" a change of place
 *
 * For each place found it prints the chapter line, the step (marker and
 * title) that tells it, the chunk it stands in, and that step's prose.  It
 * reads the chapters, build/src/ and its .lines maps, and for an address
 * asks addr2line (binutils) for the DWARF line.  Errors are "explain:
 * message" or "FILE:LINE: message"; the status is 1 when nothing was found.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const char *chapters_dir = "chapters";
static const char *src_dir = "build/src";
static const char *gen_dir = "generated";
static int brief;	/* one line per place, no prose (for --annotate) */
static FILE *out;	/* stdout, or a line being annotated */

/* ------------------------------------------------------------ files as lines */

struct text {
	char *path;
	char **line;	/* line[n - 1] is line n, without its newline */
	int n;
};

static struct text **texts;	/* pointers: a text stays put as more are loaded */
static int ntexts;

static struct text *load(const char *path)
{
	char *s = NULL;
	size_t cap = 0;
	ssize_t len;
	struct text *t;
	FILE *f;

	for (int i = 0; i < ntexts; i++)
		if (strcmp(texts[i]->path, path) == 0)
			return texts[i]->n >= 0 ? texts[i] : NULL;
	texts = realloc(texts, (ntexts + 1) * sizeof(*texts));
	t = texts[ntexts++] = malloc(sizeof(*t));
	*t = (struct text){ .path = strdup(path), .n = -1 };
	f = fopen(path, "r");
	if (!f)
		return NULL;
	t->n = 0;
	while ((len = getline(&s, &cap, f)) >= 0) {
		if (len > 0 && s[len - 1] == '\n')
			s[--len] = '\0';
		t->line = realloc(t->line, (t->n + 1) * sizeof(char *));
		t->line[t->n++] = strdup(s);
	}
	free(s);
	fclose(f);
	return t;
}

/* ------------------------------------------------------------ the chapters */

/* "@ H:530 Title." -> 1, with letter, number and title. */
static int is_marker(const char *s, char *letter, int *number, const char **title)
{
	if (s[0] != '@' || s[1] != ' ' || !isupper((unsigned char)s[2]) || s[3] != ':' ||
	    !isdigit((unsigned char)s[4]) || !isdigit((unsigned char)s[5]) ||
	    !isdigit((unsigned char)s[6]) || (s[7] != ' ' && s[7] != '\0'))
		return 0;
	*letter = s[2];
	*number = atoi(s + 4);
	*title = s[7] ? s + 8 : "";
	return 1;
}

/* "<<name>>=" -> the length of name, else 0. */
static int is_definition(const char *s)
{
	size_t n = strlen(s);

	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n < 6 || strncmp(s, "<<", 2) || strncmp(s + n - 3, ">>=", 3))
		return 0;
	return (int)n - 5;
}

static int is_doc_start(const char *s)
{
	return s[0] == '@' && (s[1] == '\0' || s[1] == ' ' || s[1] == '\t');
}

/* Print the story of chapter line LINE of PATH: chunk, step, prose. */
static int explain_chapter_line(const char *path, int line, const char *from)
{
	struct text *t = load(path);
	int def = 0, mark = 0, docs_between = 0;
	char letter = 0;
	int number = 0;
	const char *title = "";

	if (!t) {
		fprintf(stderr, "explain: cannot read %s\n", path);
		return 0;
	}
	if (line < 1 || line > t->n) {
		fprintf(stderr, "%s:%d: no such line (the chapter has %d)\n", path, line, t->n);
		return 0;
	}
	for (int i = line; i >= 1; i--) {
		const char *s = t->line[i - 1];
		if (!def && is_definition(s) && i <= line)
			def = i;
		else if (!def && is_doc_start(s))
			def = -1;	/* the line is prose, not code */
		if (is_marker(s, &letter, &number, &title)) {
			mark = i;
			break;
		}
		if (def > 0 && i < def && is_doc_start(s))
			docs_between = 1;
	}
	if (brief) {
		if (mark)
			fprintf(out, "%c:%03d, %s:%d", letter, number, path, line);
		else
			fprintf(out, "%s:%d", path, line);
		return 1;
	}
	fprintf(out, "%s:%d\n", path, line);
	if (from)
		fprintf(out, "  from   %s\n", from);
	if (mark && !docs_between)
		fprintf(out, "  step   %c:%03d %s\n", letter, number, title);
	else if (mark)
		fprintf(out, "  step   %c:%03d %s (continued: a later chunk of the step)\n",
			letter, number, title);
	else
		fprintf(out, "  step   none (no marker above it in the chapter)\n");
	if (def > 0)
		fprintf(out, "  chunk  %.*s (defined at %s:%d)\n", is_definition(t->line[def - 1]) + 4,
		       t->line[def - 1], path, def);
	else
		fprintf(out, "  chunk  none: the line is prose\n");
	if (mark) {
		fprintf(out, "  prose  (%s:%d)\n", path, mark);
		for (int i = mark + 1; i <= t->n && !is_definition(t->line[i - 1]) &&
				       !(i > mark && is_doc_start(t->line[i - 1])); i++)
			fprintf(out, "    %s\n", t->line[i - 1]);
	}
	return 1;
}

/* ------------------------------------------------------------ build/src and its maps */

/* Line N of the copy at PATH (build/src/...) -> "chapters/F.nw:L"; 0 if unknown. */
static int copy_to_chapter(const char *path, int n, char *out, size_t size)
{
	char map[4200];
	struct text *t;

	snprintf(map, sizeof(map), "%s.lines", path);
	t = load(map);
	if (!t || n < 1 || n > t->n)
		return 0;
	snprintf(out, size, "%.*s", (int)strcspn(t->line[n - 1], " \t"), t->line[n - 1]);
	return strncmp(out, "?", 1) != 0;
}

static int explain_copy_line(const char *path, int n, const char *function)
{
	char where[4200], from[4400], chapter[4200];
	char *colon;

	if (!copy_to_chapter(path, n, where, sizeof(where))) {
		fprintf(stderr, "%s:%d: no chapter line known (is %s.lines there? run make tangle)\n",
			path, n, path);
		return 0;
	}
	colon = strrchr(where, ':');
	snprintf(chapter, sizeof(chapter), "%.*s", (int)(colon - where), where);
	snprintf(from, sizeof(from), "%s:%d%s%s%s", path, n, function ? " (function " : "",
		 function ? function : "", function ? ")" : "");
	return explain_chapter_line(chapter, atoi(colon + 1), from);
}

/* generated/PATH holds the copy's lines in order, with the tale's comments
 * between them: line N of it is the copy's line that matches it, found by
 * walking both files side by side. */
static int explain_generated_line(const char *path, int n)
{
	const char *rel = path + strlen(gen_dir) + 1;
	char copy[4200];
	struct text *g, *c;
	int j = 0;

	snprintf(copy, sizeof(copy), "%s/%s", src_dir, rel);
	g = load(path);
	c = load(copy);
	if (!g || !c) {
		fprintf(stderr, "explain: cannot read %s and %s (run make tangle)\n", path, copy);
		return 0;
	}
	if (n < 1 || n > g->n) {
		fprintf(stderr, "%s:%d: no such line (the file has %d)\n", path, n, g->n);
		return 0;
	}
	for (int i = 1; i <= n; i++) {
		if (j < c->n && strcmp(g->line[i - 1], c->line[j]) == 0) {
			j++;
			if (i == n)
				return explain_copy_line(copy, j, NULL);
		}
	}
	fprintf(stderr, "%s:%d: not a code line (the header, or the tale in a comment)\n",
		path, n);
	return 0;
}

/* ------------------------------------------------------------ names */

static int found;

/* A function's definition: starts in column 0, names NAME before '(', no ';'. */
static int defines(const char *s, const char *name)
{
	size_t len = strlen(name), n = strlen(s);
	const char *p = s;

	if (!isalpha((unsigned char)s[0]) || (n > 0 && s[n - 1] == ';') || strchr(s, '='))
		return 0;
	while ((p = strstr(p, name)) != NULL) {
		int start = p == s || !(isalnum((unsigned char)p[-1]) || p[-1] == '_');
		if (start && p[len] == '(')
			return 1;
		p += len;
	}
	return 0;
}

static void search_functions(const char *dir, const char *name)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		char path[4200];
		size_t n = strlen(e->d_name);
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (e->d_type == DT_DIR) {
			search_functions(path, name);
			continue;
		}
		if (n < 3 || (strcmp(e->d_name + n - 2, ".c") && strcmp(e->d_name + n - 2, ".h") &&
			      strcmp(e->d_name + n - 2, ".S")))
			continue;
		struct text *t = load(path);
		for (int i = 1; t && i <= t->n; i++)
			if (defines(t->line[i - 1], name)) {
				if (found++ && !brief)
					fprintf(out, "\n");
				explain_copy_line(path, i, name);
			}
	}
	closedir(d);
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every chapter file, in the book's order. */
static int chapter_files(char ***out)
{
	DIR *d = opendir(chapters_dir);
	struct dirent *e;
	char **v = NULL;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		char path[4200];
		if (len < 4 || strcmp(e->d_name + len - 3, ".nw"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", chapters_dir, e->d_name);
		v = realloc(v, (n + 1) * sizeof(char *));
		v[n++] = strdup(path);
	}
	closedir(d);
	qsort(v, n, sizeof(char *), compare_strings);
	*out = v;
	return n;
}

/* A chunk named exactly NAME (or <<NAME>>); else every chunk whose name holds it. */
static void search_chunks(const char *arg)
{
	char name[4200], **files = NULL;
	int nfiles = chapter_files(&files), exact = 0;

	snprintf(name, sizeof(name), "%s", arg);
	if (strncmp(name, "<<", 2) == 0 && strlen(name) > 4 && !strcmp(name + strlen(name) - 2, ">>")) {
		memmove(name, name + 2, strlen(name) - 1);
		name[strlen(name) - 2] = '\0';
	}
	for (int pass = 0; pass < 2 && !exact; pass++)
		for (int f = 0; f < nfiles; f++) {
			struct text *t = load(files[f]);
			for (int i = 1; t && i <= t->n; i++) {
				int len = is_definition(t->line[i - 1]);
				const char *s = t->line[i - 1] + 2;
				int hit = pass == 0 ? len == (int)strlen(name) && !strncmp(s, name, len)
						    : len && strcasestr(t->line[i - 1], name) &&
						      (int)(strcasestr(t->line[i - 1], name) - s) < len;
				if (!hit || i == t->n)
					continue;
				if (found++)
					fprintf(out, "\n");
				exact += pass == 0;
				explain_chapter_line(files[f], i + 1, NULL);
			}
		}
}

/* ------------------------------------------------------------ addresses */

/* Ask addr2line where ADDRESS is in ELF; explain every (inlined) frame. */
static int explain_address(const char *elf, const char *address)
{
	char cmd[8400], fn[4096], loc[4096];
	FILE *p;
	int n = 0;

	for (const char *s = elf; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("/._-+", *s)) {
			fprintf(stderr, "explain: will not pass '%s' to a shell\n", elf);
			return 0;
		}
	for (const char *s = address; *s; s++)
		if (!isxdigit((unsigned char)*s) && *s != 'x' && *s != 'X') {
			fprintf(stderr, "explain: '%s' is not an address\n", address);
			return 0;
		}
	snprintf(cmd, sizeof(cmd), "addr2line -f -i -e '%s' %s 2>&1", elf, address);
	p = popen(cmd, "r");
	if (!p) {
		fprintf(stderr, "explain: cannot run addr2line (Debian package binutils)\n");
		return 0;
	}
	while (fgets(fn, sizeof(fn), p) && fgets(loc, sizeof(loc), p)) {
		char *src, *colon;
		fn[strcspn(fn, "\n")] = '\0';
		loc[strcspn(loc, " \n")] = '\0';
		src = strstr(loc, src_dir);
		colon = strrchr(loc, ':');
		if (!src || !colon || !isdigit((unsigned char)colon[1])) {
			if (!brief)
				fprintf(stderr, "explain: %s %s: %s has no line of %s/ for it\n",
				elf, address, loc, src_dir);
			continue;
		}
		*colon = '\0';
		if (n++ && brief)
			fprintf(out, " inlined in ");
		else if (n > 1)
			fprintf(out, "\n(inlined in)\n");
		n -= !explain_copy_line(src, atoi(colon + 1), fn);
	}
	pclose(p);
	return n;
}

/* ------------------------------------------------------------ the Launcher's table */

/* FNV-1a over the image's bytes: the Launcher computes the same over the
 * image it loaded, and uses the table only for that very image. */
static unsigned long long image_hash(const char *path, long *size)
{
	unsigned long long h = 0xcbf29ce484222325ull;
	FILE *f = fopen(path, "rb");
	int c;

	*size = 0;
	if (!f)
		return 0;
	while ((c = getc(f)) != EOF) {
		h = (h ^ (unsigned char)c) * 0x100000001b3ull;
		(*size)++;
	}
	fclose(f);
	return h;
}

static int compare_addresses(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;

	return x < y ? -1 : x > y;
}

/* Every address that starts a row of ELF's DWARF line table, sorted, unique. */
static int line_addresses(const char *elf, unsigned long long **out)
{
	char cmd[4400], *s = NULL;
	size_t cap = 0;
	unsigned long long *v = NULL, a;
	int n = 0, m = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "objdump --dwarf=decodedline '%s'", elf);
	p = popen(cmd, "r");
	while (p && getline(&s, &cap, p) >= 0) {
		char name[256];
		int line;
		if (sscanf(s, "%255s %d %llx", name, &line, &a) == 3 && strstr(s, " 0x")) {
			v = realloc(v, (n + 1) * sizeof(*v));
			v[n++] = a;
		}
	}
	free(s);
	if (p)
		pclose(p);
	qsort(v, n, sizeof(*v), compare_addresses);
	for (int i = 0; i < n; i++)
		if (!m || v[m - 1] != v[i])
			v[m++] = v[i];
	*out = v;
	return m;
}

/* One block of the table: the image's identity, then each change of place. */
static int write_table(const char *elf)
{
	char tmp[] = "/tmp/explain-XXXXXX", cmd[4400], loc[4400], *place = NULL, last[4400] = "";
	unsigned long long *addr;
	int n = line_addresses(elf, &addr), fd = mkstemp(tmp);
	long size;
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL, *p;

	if (!f || n == 0) {
		fprintf(stderr, "explain: %s: no DWARF line table (objdump, Debian package binutils)\n", elf);
		return 0;
	}
	for (int i = 0; i < n; i++)
		fprintf(f, "%#llx\n", addr[i]);
	fclose(f);
	unsigned long long hash = image_hash(elf, &size);

	printf("image %016llx %ld %s\n", hash, size, elf);
	snprintf(cmd, sizeof(cmd), "addr2line -e '%s' <%s", elf, tmp);
	p = popen(cmd, "r");
	brief = 1;
	for (int i = 0; p && i < n && fgets(loc, sizeof(loc), p); i++) {
		char *src = strstr(loc, src_dir), *colon = strrchr(loc, ':'), where[4200];
		size_t len = 0;

		loc[strcspn(loc, " \n")] = '\0';
		if (!src || !colon || !copy_to_chapter((*colon = 0, src), atoi(colon + 1), where, sizeof(where)))
			continue;
		out = open_memstream(&place, &len);
		*strrchr(where, ':') = '\0';
		explain_chapter_line(where, atoi(where + strlen(where) + 1), NULL);
		fclose(out);
		if (len && strcmp(place, last)) {
			printf("%llx %s\n", addr[i], place);
			snprintf(last, sizeof(last), "%s", place);
		}
		free(place);
	}
	if (p)
		pclose(p);
	out = stdout;
	unlink(tmp);
	free(addr);
	return 1;
}

/* ------------------------------------------------------------ annotating */

/* Copy stdin to stdout; a line with "rip 0xADDR" gains the chapter place,
 * found in the first ELF (of those given) whose DWARF knows the address. */
static void annotate(int nelf, char **elf)
{
	char *s = NULL;
	size_t cap = 0;

	brief = 1;
	while (getline(&s, &cap, stdin) >= 0) {
		char *rip = strstr(s, "rip 0x"), addr[32];
		size_t len = strcspn(s, "\n");

		fwrite(s, 1, len, stdout);
		for (int i = 0; rip && i < nelf; i++) {
			char *place = NULL;
			size_t size = 0;
			int known;

			if (sscanf(rip + 4, "%30[0-9a-fA-Fx]", addr) != 1)
				break;
			out = open_memstream(&place, &size);
			known = explain_address(elf[i], addr);
			fclose(out);
			if (known)
				printf(" (%s)", place);
			free(place);
			if (known)
				break;
		}
		printf("\n");
		fflush(stdout);
	}
	free(s);
}

/* ------------------------------------------------------------ main */

static void usage(void)
{
	fprintf(stderr, "usage: explain chapters/F.nw:LINE | generated/PATH:LINE | "
		"build/src/PATH:LINE | NAME | ELF ADDRESS\n"
		"       explain --annotate ELF... <log\n");
	exit(2);
}

static int is_elf(const char *path)
{
	char magic[4] = { 0 };
	FILE *f = fopen(path, "rb");

	if (!f)
		return 0;
	if (fread(magic, 1, 4, f) != 4)
		magic[0] = 0;
	fclose(f);
	return memcmp(magic, "\177ELF", 4) == 0;
}

/* A chunk's name may come as several words (make explain WHERE="a b c"). */
static char *join(int n, char **v)
{
	size_t len = 1;
	char *s;

	for (int i = 0; i < n; i++)
		len += strlen(v[i]) + 1;
	s = calloc(1, len);
	for (int i = 0; i < n; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, v[i]);
	}
	return s;
}

int main(int argc, char **argv)
{
	char *arg, *colon;
	int line;

	out = stdout;
	if (argc >= 3 && strcmp(argv[1], "--table") == 0) {
		for (int i = 2; i < argc; i++)
			if (!write_table(argv[i]))
				return 1;
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "--annotate") == 0) {
		annotate(argc - 2, argv + 2);
		return 0;
	}
	if (argc == 3 && is_elf(argv[1]))
		return explain_address(argv[1], argv[2]) ? 0 : 1;
	if (argc < 2 || argv[1][0] == '-')
		usage();
	arg = join(argc - 1, argv + 1);
	colon = strrchr(arg, ':');
	if (colon && colon[1] && strspn(colon + 1, "0123456789") == strlen(colon + 1)) {
		char path[4200];
		*colon = '\0';
		line = atoi(colon + 1);
		if (strncmp(arg, chapters_dir, strlen(chapters_dir)) == 0)
			return explain_chapter_line(arg, line, NULL) ? 0 : 1;
		if (strncmp(arg, gen_dir, strlen(gen_dir)) == 0 && arg[strlen(gen_dir)] == '/')
			return explain_generated_line(arg, line) ? 0 : 1;
		if (strncmp(arg, src_dir, strlen(src_dir)) == 0)
			snprintf(path, sizeof(path), "%s", arg);
		else
			snprintf(path, sizeof(path), "%s/%s", src_dir, arg);
		return explain_copy_line(path, line, NULL) ? 0 : 1;
	}
	search_functions(src_dir, arg);
	if (!found)
		search_chunks(arg);
	if (!found) {
		fprintf(stderr, "explain: no function or chunk named '%s' "
			"(a function is looked for in %s/: run make tangle)\n", arg, src_dir);
		return 1;
	}
	return 0;
}
