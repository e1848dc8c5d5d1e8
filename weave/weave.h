/* weave.h: what the parts of lgweave share.
 *
 *   pipeline.c   noweb's pipeline -> chapters and chunks (pipeline.h)
 *   scan.c       the C scanner: what each chunk defines and uses
 *   xref.c       cross-references: chunk anchors, the book's index of
 *                definitions and uses, PAGE.xref written and read back
 *   code.c       a code chunk, highlighted and linked, in both formats
 *   html.c       the HTML writer        latex.c   the LaTeX writer
 *   prose.c      the prose: step headings, chapter ids and numbers,
 *                figure numbers, concept-index spans; markers.tsv, figures.tsv
 *   refs.c       references in the prose (steps, chapters, figures) as links
 *   search.c     a woven page's text, step by step, for the book's search
 *   index.c      the contents, the concept and identifier indexes, the chunks
 *   nav.c        the pages in reading order and each page's navigation
 *   lgweave.c    main: "lgweave index", "chapter", "matter" and "search"
 */
#ifndef LGWEAVE_WEAVE_H
#define LGWEAVE_WEAVE_H
#include "util.h"
#include "pipeline.h"

/* What a chunk is written in: the language of the file it tangles into,
 * by the file's suffix.  Chunks in no file are taken for C. */
enum { LANG_UNKNOWN, LANG_C, LANG_ASM, LANG_OTHER };

/* Which program a chunk belongs to, by the directory of the file it
 * tangles into.  An identifier in code links to a definition in its own
 * program, or in the ABI they share (include/), never in another; the
 * freestanding library (lib/) serves the Host and the Guest. */
enum { PROG_NONE, PROG_SHARED, PROG_LAUNCHER, PROG_HOST, PROG_GUEST, PROG_OTHER, PROG_LIB };
extern const char *prog_name[];

/* What the whole book knows about a code chunk, whichever chapter it is in:
 * computed from the markup by "index", read from PAGE.xref by "chapter". */
struct def { char *id, *page, *label, *name; int prog; };
/* Chunk or identifier `what' is used in (or defined in) defs[where];
 * for an identifier's use, `to' is the definition (in idents[]) it means. */
struct ref { char *what; int where; char *kind; int to; };

extern struct book book;
extern struct def *defs; extern int ndefs, capdefs;
extern struct ref *uses; extern int nuses, capuses;      /* chunk uses */
extern struct ref *idents; extern int nidents, capidents; /* definitions */
extern struct ref *iuses; extern int niuses, capiuses;   /* identifier uses */
extern struct map ident_map;  /* identifier -> its first entry in idents */
extern const char *book_title;

/* scan.c */
int is_id0(int c);
int is_id(int c);
int in_list(const char **list, const char *s, size_t n);
extern const char *keywords[], *types[];
void strip(struct buf *b, const char *s, int *comment);
int lang_of_file(const char *name);
int prog_of_file(const char *name);
void mark_files(void);
void scan_definitions(struct chunk *c);
void scan_uses(struct chunk *c);

/* xref.c */
char *slug(const char *name);
void build_index(void);
void write_xref(const char *dir, int ch);
void read_xref(const char *path);
int first_def(const char *name);
int ident_def(const char *name, int from);
int prog_fits(int def_prog, int use_prog);

/* code.c */
enum { PLAIN, KEYWORD, TYPE, COMMENT, STRING, NUMBER, PREPROC };
void write_code(FILE *html, FILE *latex, struct chunk *c, const char *here);
void highlight(struct buf *b, int latex, const char *s, int *comment, const char *here);
char *expand_tabs(const char *s, int *col);
extern int cur_def;

/* html.c */
void html_text(struct buf *b, const char *s, int names);
const char *href(const char *page, const char *here, const char *id);
void html_chunk_ref(struct buf *b, int d, const char *here, int with_label);
void html_token(struct buf *b, int kind, const char *t, int ident, const char *here);
void html_code_head(struct buf *h, int d, const char *name, int cont);
void html_use(struct buf *h, const char *name, int u, const char *here);
void html_footer(struct buf *h, int d, const char *here);

/* latex.c */
void latex_text(struct buf *b, const char *s, int names, int verb);
const char *lid(const char *id);
void latex_chunk_ref(struct buf *b, int d);
void latex_line(const char *text);
void latex_token(struct buf *b, int kind, const char *t, int ident);
void latex_code_head(struct buf *l, int d, const char *name, int cont);
void latex_use(struct buf *l, const char *name, int u);
void latex_footer(struct buf *l, int d);

/* prose.c: a concept of the index, [words]{.idx}, and where it is. */
struct concept { char *term, *page, *label, *id; };
extern struct concept *concepts; extern int nconcepts, capconcepts;
void write_docs(FILE *html, FILE *latex, struct chunk *c, const char *page, int number);
void scan_prose(const char *dir);

/* refs.c: references in the prose as links, in either flavour. */
void refs_load(const char *dir);
void link_refs(struct buf *o, const char *s, const char *page, int latex);

/* search.c */
void search_records(const char *path);

/* nav.c: the pages of the book in reading order; number 0: front or back. */
struct navpage { char *page, *title; int number; };
extern struct navpage *nav; extern int nnav, capnav;
void nav_add(const char *page, const char *title, int number);
void nav_add_matter(const char *file);
char *matter_page(const char *file);
void write_chapter_list(const char *dir);
void read_chapter_list(const char *path);
int chapter_number(const char *page);
void write_nav(const char *path, const char *title, const char *page);
void yaml_str(struct buf *b, const char *s);

/* index.c */
void write_home(const char *dir);
void write_identifiers(const char *dir);

#endif
