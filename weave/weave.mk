# weave.mk: `make book' weaves the chapters into book/html/ and book/lguest.pdf.
# Included by the top Makefile; see weave/README.md for the pipeline.
#
#   markup chapters/*.nw | lgweave index      -> $(WEAVE_DIR)/idx/  shared index, each
#                                                file rewritten only if it changed
#   markup chapters/NN.nw | lgweave chapter   -> $(WEAVE_DIR)/NN.md  one chapter's Markdown
#   pandoc NN.md                              -> book/html/NN.html
#   pandoc *.md -> lguest.tex; xelatex        -> book/lguest.pdf
#
# make book never compiles the program, and a change to one chapter rebuilds
# only that chapter's page, plus the pages whose cross-references it changes.
# Override CHAPTERS, WEAVE_DIR, BOOK_HTML, BOOK_PDF to weave another book (tests do).

CHAPTERS  ?= $(sort $(wildcard chapters/*.nw))
MARKUP    ?= /usr/lib/noweb/markup
WEAVE_DIR ?= build/weave
BOOK_HTML ?= book/html
BOOK_PDF  ?= book/lguest.pdf
BOOK_META ?= book/metadata.yaml
# Front matter before the chapters, back matter after them (Pandoc
# Markdown, first line "# Title"); each is a page of the HTML book.
FRONT ?= $(wildcard book/front/preface.md) \
         $(filter-out book/front/preface.md,$(sort $(wildcard book/front/*.md)))
BACK  ?= $(wildcard book/back/glossary.md) \
         $(filter-out book/back/glossary.md book/back/bibliography.md,$(sort $(wildcard book/back/*.md))) \
         $(wildcard book/back/bibliography.md)
LUNR  ?= /usr/share/javascript/lunr/lunr.min.js

WEAVE_SRC := $(patsubst %/,%,$(dir $(firstword $(CHAPTERS))))
WEAVE_IDX := $(WEAVE_DIR)/idx
LGWEAVE   := $(WEAVE_DIR)/lgweave
WEAVE_NAMES := $(basename $(notdir $(CHAPTERS)))
WEAVE_MDS   := $(WEAVE_NAMES:%=$(WEAVE_DIR)/md/%.md)
MATTER_NAMES := $(basename $(notdir $(FRONT) $(BACK)))
MATTER_PAGES := $(MATTER_NAMES:%=$(BOOK_HTML)/%.html)
WEAVE_PAGES := $(WEAVE_NAMES:%=$(BOOK_HTML)/%.html) $(BOOK_HTML)/index.html \
               $(BOOK_HTML)/identifiers.html $(MATTER_PAGES)
WEAVE_JS    := $(BOOK_HTML)/search-data.js $(BOOK_HTML)/search.js $(BOOK_HTML)/lunr.min.js
WEAVE_FONTS := $(wildcard \
  /usr/share/texmf/fonts/opentype/public/tex-gyre/texgyrepagella-*.otf \
  /usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf \
  /usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf \
  /usr/share/fonts/truetype/dejavu/DejaVuSansMono-Oblique.ttf)
WEAVE_ENV := WEAVE_DOT_DIR=$(abspath $(WEAVE_DIR)/dot) WEAVE_IDX=$(abspath $(WEAVE_IDX)) \
  WEAVE_SEARCH_DIR=$(abspath $(WEAVE_DIR)/search)
# What every page's links need from the index: steps, chapters, figures.
WEAVE_REFS := $(WEAVE_IDX)/markers.tsv $(WEAVE_IDX)/chapters.tsv $(WEAVE_IDX)/figures.tsv
PANDOC_HTML := pandoc -f markdown-raw_tex -t html5 --standalone \
  --template weave/page.html --lua-filter weave/book.lua --wrap=none \
  --email-obfuscation=none --metadata-file $(BOOK_META)

.PHONY: book book-html book-pdf
# The HTML pages and the PDF's xelatex runs go side by side (two jobs):
# the PDF takes three runs from clean, about as long as all the rest.
book:
	@$(MAKE) --no-print-directory -j2 book-html book-pdf
book-html: $(WEAVE_PAGES) $(WEAVE_JS) $(BOOK_HTML)/book.css $(BOOK_HTML)/fonts/.copied
book-pdf: $(BOOK_PDF)

# lgweave's files compile side by side, at -O1: -O2 took a second longer
# to compile than it saved in a whole weave.
LGWEAVE_SRC := $(wildcard weave/*.c)
LGWEAVE_OBJ := $(LGWEAVE_SRC:weave/%.c=$(WEAVE_DIR)/obj/%.o)
$(LGWEAVE): $(LGWEAVE_OBJ)
	$(CC) -o $@ $(LGWEAVE_OBJ)
$(WEAVE_DIR)/obj/%.o: weave/%.c $(wildcard weave/*.h)
	@mkdir -p $(@D)
	$(CC) -O1 -Wall -Wextra -Wmissing-prototypes -std=c11 -D_POSIX_C_SOURCE=200809L -c -o $@ $<

# One pass over the whole book; lgweave rewrites only the files that change,
# and the rules without recipes below let make notice which did.
$(WEAVE_IDX)/stamp: $(CHAPTERS) $(FRONT) $(BACK) $(LGWEAVE)
	@mkdir -p $(@D)
	@{ $(MARKUP) $(CHAPTERS) || :; } | \
	  $(LGWEAVE) index $(WEAVE_IDX) $(FRONT:%=-f %) $(BACK:%=-b %)
	@touch $@
$(WEAVE_IDX)/markers.tsv $(WEAVE_IDX)/figures.tsv $(MATTER_NAMES:%=$(WEAVE_IDX)/%.yaml) \
$(WEAVE_IDX)/chapters.tsv $(WEAVE_IDX)/home.md $(WEAVE_IDX)/home.yaml \
  $(WEAVE_IDX)/identifiers.md $(WEAVE_IDX)/identifiers.yaml \
  $(WEAVE_NAMES:%=$(WEAVE_IDX)/%.xref): $(WEAVE_IDX)/stamp ;

# One chapter: Markdown for pandoc, and its page's navigation (.yaml).
$(WEAVE_DIR)/md/%.md: $(WEAVE_SRC)/%.nw $(WEAVE_IDX)/%.xref $(WEAVE_IDX)/chapters.tsv $(LGWEAVE)
	@mkdir -p $(@D)
	@{ $(MARKUP) $< 2>/dev/null || :; } | $(LGWEAVE) chapter $(WEAVE_IDX) $(WEAVE_DIR)/md/$*.yaml >$@.tmp
	@mv $@.tmp $@
$(WEAVE_DIR)/md/%.yaml: $(WEAVE_DIR)/md/%.md ;
.SECONDARY: $(WEAVE_NAMES:%=$(WEAVE_DIR)/md/%.yaml)

$(BOOK_HTML)/%.html: $(WEAVE_DIR)/md/%.md $(WEAVE_DIR)/md/%.yaml $(WEAVE_REFS) \
                     weave/page.html weave/book.lua $(BOOK_META)
	@mkdir -p $(@D) $(WEAVE_DIR)/search
	@echo "weave: $@"
	@$(WEAVE_ENV) $(PANDOC_HTML) --toc --toc-depth=2 --metadata-file $(WEAVE_DIR)/md/$*.yaml $< -o $@
# Front and back matter: Markdown as written, with the book's links.
$(foreach f,$(FRONT) $(BACK),$(eval $(BOOK_HTML)/$(basename $(notdir $(f))).html: $(f)))
$(MATTER_PAGES): $(BOOK_HTML)/%.html: $(WEAVE_IDX)/%.yaml $(WEAVE_REFS) \
                 weave/page.html weave/book.lua $(BOOK_META)
	@mkdir -p $(@D) $(WEAVE_DIR)/search
	@echo "weave: $@"
	@$(WEAVE_ENV) $(PANDOC_HTML) --toc --toc-depth=2 --metadata-file $(WEAVE_IDX)/$*.yaml \
	  $(filter %.md,$^) -o $@
# Search: every page's text, step by step (written by book.lua beside each
# page), as one script that works from file:// with no server, and lunr.
$(BOOK_HTML)/search-data.js: $(filter-out $(BOOK_HTML)/index.html $(BOOK_HTML)/identifiers.html,$(WEAVE_PAGES))
	@{ echo '/* The text of the book, step by step, for search.js. */'; \
	   echo 'var BOOK_DOCS = ['; \
	   for p in $(basename $(notdir $(FRONT)) $(WEAVE_NAMES) $(basename $(notdir $(BACK)))); do \
	     cat $(WEAVE_DIR)/search/$$p.js 2>/dev/null; done; \
	   echo '];'; } >$@.tmp && mv $@.tmp $@
$(BOOK_HTML)/search.js: weave/search.js
	@mkdir -p $(@D)
	@cp $< $@
$(BOOK_HTML)/lunr.min.js: $(LUNR)
	@mkdir -p $(@D)
	@cp $< $@
$(BOOK_HTML)/index.html: $(WEAVE_IDX)/home.md $(WEAVE_IDX)/home.yaml $(WEAVE_REFS) weave/page.html weave/book.lua $(BOOK_META)
	@mkdir -p $(@D)
	@echo "weave: $@"
	@$(WEAVE_ENV) $(PANDOC_HTML) --metadata-file $(WEAVE_IDX)/home.yaml $< -o $@
$(BOOK_HTML)/identifiers.html: $(WEAVE_IDX)/identifiers.md $(WEAVE_IDX)/identifiers.yaml weave/page.html $(BOOK_META)
	@mkdir -p $(@D)
	@echo "weave: $@"
	@$(PANDOC_HTML) --metadata-file $(WEAVE_IDX)/identifiers.yaml $< -o $@
$(BOOK_HTML)/book.css: weave/book.css
	@mkdir -p $(@D)
	@cp $< $@
# The fonts travel with the book, so it reads the same offline anywhere.
$(BOOK_HTML)/fonts/.copied: $(WEAVE_FONTS)
	@mkdir -p $(@D)
	@$(if $(WEAVE_FONTS),cp $(WEAVE_FONTS) $(@D)/,true)
	@touch $@

# The PDF: all chapters and the index through LaTeX.  The .aux of the last
# run is kept, so one xelatex run is enough unless page numbers moved;
# weave/pdf.sh runs xelatex until they settle, then xdvipdfmx once.
$(WEAVE_DIR)/pdf/lguest.tex: $(WEAVE_MDS) $(WEAVE_IDX)/identifiers.md $(BOOK_META) \
                         $(FRONT) $(BACK) $(WEAVE_REFS) \
                         weave/book.lua weave/book.latex weave/preamble.tex weave/before.tex
	@mkdir -p $(@D) $(WEAVE_DIR)/dot
	@$(WEAVE_ENV) pandoc -f markdown-raw_tex -t latex --standalone --template weave/book.latex \
	  --metadata-file $(BOOK_META) --lua-filter weave/book.lua \
	  --top-level-division=chapter -H weave/preamble.tex -B weave/before.tex \
	  --number-sections $(FRONT) $(WEAVE_MDS) $(BACK) $(WEAVE_IDX)/identifiers.md -o $@.tmp
	@if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi
$(BOOK_PDF): $(WEAVE_DIR)/pdf/lguest.tex weave/pdf.sh
	@echo "weave: $@"
	@weave/pdf.sh $(WEAVE_DIR)/pdf
	@mkdir -p $(dir $(BOOK_PDF))
	@cp $(WEAVE_DIR)/pdf/lguest.pdf $@
