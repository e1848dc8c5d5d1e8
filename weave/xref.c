/* xref.c: the cross-references.  "lgweave index" reads the whole book and
 * gives every code chunk an anchor (struct def), notes where each chunk and
 * each identifier is used, and writes for each chapter PAGE.xref: just the
 * records of the book that the chapter needs.  "lgweave chapter" reads its
 * PAGE.xref back into the same arrays. */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "weave.h"

/* A chunk's anchor: its name in lower case, words joined by '-'. */
char *slug(const char *name)
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

static const char *label_of(struct chunk *c)
{
	return c->marker ? c->marker : book.chapters[c->chapter].title;
}

/* The k-th definition of a name is "slug-k"; names whose slugs collide
 * are told apart by a number ("slug-v2"). */
static void assign_ids(void)
{
	struct map names = {0}, slugs = {0}, count = {0};
	for (int i = 0; i < book.nchunks; i++) {
		struct chunk *c = &book.chunks[i];
		if (!c->code)
			continue;
		int *nameno = map_slot(&names, c->name, 1);
		char *base = slug(c->name);
		if (*nameno < 0) {
			int *owner = map_slot(&slugs, base, 1);
			*nameno = *owner = *owner + 1;   /* -1 -> 0, 0 -> 1, ... */
		}
		if (*nameno > 0) {
			char *b2 = xasprintf("%s-v%d", base, *nameno + 1);
			free(base);
			base = b2;
		}
		int *k = map_slot(&count, c->name, 1);
		*k = *k < 0 ? 1 : *k + 1;
		char *id = *k > 1 ? xasprintf("%s-%d", base, *k) : base;
		struct def d = { id, book.chapters[c->chapter].page,
		                 xstrdup(label_of(c)), c->name, 0 };
		c->def = ndefs;
		PUSH(defs, ndefs, capdefs, d);
	}
}

/* Uses of chunks, once per using chunk. */
static void record_uses(struct chunk *c)
{
	for (int j = 0; j < c->nlines; j++)
		for (int k = 0; k < c->lines[j].n; k++) {
			struct piece *p = &c->lines[j].p[k];
			int seen = 0;
			for (int u = nuses - 1; u >= 0 && uses[u].where == c->def; u--)
				seen |= !strcmp(uses[u].what, p->s);
			if (p->use && !seen) {
				struct ref r = { p->s, c->def, NULL, -1 };
				PUSH(uses, nuses, capuses, r);
			}
		}
}

/* Warn about uses of undefined chunks; weave them all the same. */
static void warn_undefined(void)
{
	for (int i = 0; i < nuses; i++)
		if (first_def(uses[i].what) < 0)
			fprintf(stderr, "%s: warning: <<%s>> is used but never defined\n",
			        defs[uses[i].where].page, uses[i].what);
}

void build_index(void)
{
	assign_ids();
	for (int i = 0; i < book.nchunks; i++)
		if (book.chunks[i].code)
			record_uses(&book.chunks[i]);
	mark_files();
	for (int i = 0; i < book.nchunks; i++)
		if (book.chunks[i].code)
			defs[book.chunks[i].def].prog = book.chunks[i].prog;
	for (int i = 0; i < book.nchunks; i++)
		if (book.chunks[i].code)
			scan_definitions(&book.chunks[i]);
	for (int i = 0; i < book.nchunks; i++)
		if (book.chunks[i].code)
			scan_uses(&book.chunks[i]);
	warn_undefined();
}

/* The first definition of a chunk name, or -1. */
int first_def(const char *name)
{
	static struct map first;
	static int known;
	for (; known < ndefs; known++) {
		int *slot = map_slot(&first, defs[known].name, 1);
		if (*slot < 0)
			*slot = known;
	}
	return map_get(&first, name);
}

/* May code of program use_prog mean a definition in program def_prog?
 * Its own program's, the shared ABI's, the library's; chunks in no program (tests,
 * tools, fragments) may mean anything. */
int prog_fits(int def_prog, int use_prog)
{
	if (use_prog == PROG_NONE || use_prog == PROG_OTHER)
		return 1;
	if (def_prog == PROG_LIB)
		return use_prog == PROG_HOST || use_prog == PROG_GUEST || use_prog == PROG_LIB;
	return def_prog == use_prog || def_prog == PROG_SHARED || def_prog == PROG_NONE;
}

/* How well definition k suits a use in chunk `from': its own program's
 * first, then the ABI's; on the same page before elsewhere. */
static int suits(int k, int from)
{
	const struct def *d = &defs[idents[k].where], *u = &defs[from];
	if (!prog_fits(d->prog, u->prog))
		return -1;
	int rank = 0;
	if (u->prog != PROG_NONE && u->prog != PROG_OTHER)
		rank = d->prog == u->prog ? 4 :
		       d->prog == PROG_SHARED || d->prog == PROG_LIB ? 2 : 0;
	return rank + !strcmp(d->page, u->page);
}

/* The definition (in idents[]) an identifier used in defs[from] means:
 * the best suited, the first of equals; -1 if none may be meant. */
int ident_def(const char *name, int from)
{
	int best = -1, best_rank = -1;
	for (int k = map_get(&ident_map, name); k >= 0 && k < nidents; k++) {
		if (strcmp(idents[k].what, name))
			continue;
		int rank = suits(k, from);
		if (rank > best_rank)
			best = k, best_rank = rank;
	}
	return best;
}

/* ------------------------------------------------ PAGE.xref */

/* The names of chunks and identifiers defined or used on a page. */
static void seen_on(const char *page, struct map *names, struct map *ids)
{
	for (int i = 0; i < ndefs; i++)
		if (!strcmp(defs[i].page, page))
			*map_slot(names, defs[i].name, 1) = 1;
	for (int i = 0; i < nuses; i++)
		if (!strcmp(defs[uses[i].where].page, page))
			*map_slot(names, uses[i].what, 1) = 1;
	for (int i = 0; i < nidents; i++)
		if (!strcmp(defs[idents[i].where].page, page))
			*map_slot(ids, idents[i].what, 1) = 1;
	for (int i = 0; i < niuses; i++)
		if (!strcmp(defs[iuses[i].where].page, page))
			*map_slot(ids, iuses[i].what, 1) = 1;
}

/* The use, ident and iuse records about those names; want_def[] notes
 * the chunks they mention. */
static void ref_records(struct buf *rec, struct map *names, struct map *ids, char *want_def)
{
	for (int i = 0; i < nuses; i++)
		if (map_get(names, uses[i].what) == 1) {
			bprintf(rec, "use\t%s\t%s\n", uses[i].what, defs[uses[i].where].id);
			want_def[uses[i].where] = 1;
		}
	for (int i = 0; i < nidents; i++)
		if (map_get(ids, idents[i].what) == 1) {
			bprintf(rec, "ident\t%s\t%s\t%s\n", idents[i].what,
			        defs[idents[i].where].id, idents[i].kind);
			want_def[idents[i].where] = 1;
		}
	for (int i = 0; i < niuses; i++)
		if (map_get(ids, iuses[i].what) == 1) {
			bprintf(rec, "iuse\t%s\t%s\n", iuses[i].what, defs[iuses[i].where].id);
			want_def[iuses[i].where] = 1;
		}
}

/* PAGE.xref: the records of the book that chapter PAGE needs. */
void write_xref(const char *dir, int ch)
{
	const char *page = book.chapters[ch].page;
	char *want_def = calloc(ndefs + 1, 1);
	struct map names = {0}, ids = {0};
	struct buf rec = {0}, b = {0};
	if (!want_def)
		die("out of memory");
	seen_on(page, &names, &ids);
	bputs(&rec, "");
	ref_records(&rec, &names, &ids, want_def);
	bputs(&b, "");
	for (int i = 0; i < ndefs; i++)
		if (want_def[i] || map_get(&names, defs[i].name) == 1)
			bprintf(&b, "chunk\t%s\t%s\t%s\t%d\t%s\n", defs[i].id, defs[i].page,
			        defs[i].label, defs[i].prog, defs[i].name);
	bputs(&b, rec.s);
	char *path = xasprintf("%s/%.*s.xref", dir, (int)strlen(page) - 5, page);
	write_if_changed(path, &b);
	free(path);
	free(b.s);
	free(rec.s);
	free(want_def);
}

static int def_by_id(const char *id)
{
	static struct map by_id;
	int i = map_get(&by_id, id);
	for (int k = i < 0 ? 0 : ndefs; k < ndefs; k++)
		*map_slot(&by_id, defs[k].id, 1) = k;
	return map_get(&by_id, id);
}

/* One record of PAGE.xref, its n fields. */
static void read_record(char **field, int n)
{
	if (!strcmp(field[0], "chunk") && n >= 6) {
		struct def d = { xstrdup(field[1]), xstrdup(field[2]),
		                 xstrdup(field[3]), xstrdup(field[5]), atoi(field[4]) };
		PUSH(defs, ndefs, capdefs, d);
	} else if (!strcmp(field[0], "use") && n >= 3) {
		struct ref r = { xstrdup(field[1]), def_by_id(field[2]), NULL, -1 };
		PUSH(uses, nuses, capuses, r);
	} else if (!strcmp(field[0], "ident") && n >= 4) {
		struct ref r = { xstrdup(field[1]), def_by_id(field[2]),
		                 xstrdup(field[3]), -1 };
		PUSH(idents, nidents, capidents, r);
		int *slot = map_slot(&ident_map, r.what, 1);
		if (*slot < 0)
			*slot = nidents - 1;
	} else if (!strcmp(field[0], "iuse") && n >= 3) {
		struct ref r = { xstrdup(field[1]), def_by_id(field[2]), NULL, -1 };
		PUSH(iuses, niuses, capiuses, r);
	}
}

/* Read PAGE.xref back into defs[], uses[], idents[], iuses[]. */
void read_xref(const char *path)
{
	read_tsv(path, " (run lgweave index first)", read_record);
}
