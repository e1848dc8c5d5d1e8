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

WEAVE_SRC := $(patsubst %/,%,$(dir $(firstword $(CHAPTERS))))
WEAVE_IDX := $(WEAVE_DIR)/idx
LGWEAVE   := $(WEAVE_DIR)/lgweave
WEAVE_NAMES := $(basename $(notdir $(CHAPTERS)))
WEAVE_MDS   := $(WEAVE_NAMES:%=$(WEAVE_DIR)/md/%.md)
WEAVE_PAGES := $(WEAVE_NAMES:%=$(BOOK_HTML)/%.html) $(BOOK_HTML)/index.html \
               $(BOOK_HTML)/identifiers.html
WEAVE_FONTS := $(wildcard \
  /usr/share/texmf/fonts/opentype/public/tex-gyre/texgyrepagella-*.otf \
  /usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf \
  /usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf \
  /usr/share/fonts/truetype/dejavu/DejaVuSansMono-Oblique.ttf)
WEAVE_ENV := WEAVE_DOT_DIR=$(abspath $(WEAVE_DIR)/dot)
PANDOC_HTML := pandoc -f markdown-raw_tex -t html5 --standalone \
  --template weave/page.html --lua-filter weave/book.lua --wrap=none \
  --email-obfuscation=none --metadata-file $(BOOK_META)

.PHONY: book book-html book-pdf
book: book-html book-pdf
book-html: $(WEAVE_PAGES) $(BOOK_HTML)/book.css $(BOOK_HTML)/fonts/.copied
book-pdf: $(BOOK_PDF)

LGWEAVE_SRC := $(wildcard weave/*.c)
$(LGWEAVE): $(LGWEAVE_SRC) $(wildcard weave/*.h)
	@mkdir -p $(@D)
	$(CC) -O2 -Wall -Wextra -Wmissing-prototypes -std=c11 -D_POSIX_C_SOURCE=200809L \
	  -o $@ $(LGWEAVE_SRC)

# One pass over the whole book; lgweave rewrites only the files that change,
# and the rules without recipes below let make notice which did.
$(WEAVE_IDX)/stamp: $(CHAPTERS) $(LGWEAVE)
	@mkdir -p $(@D)
	@{ $(MARKUP) $(CHAPTERS) || :; } | $(LGWEAVE) index $(WEAVE_IDX)
	@touch $@
$(WEAVE_IDX)/chapters.tsv $(WEAVE_IDX)/home.md $(WEAVE_IDX)/home.yaml \
  $(WEAVE_IDX)/identifiers.md $(WEAVE_IDX)/identifiers.yaml \
  $(WEAVE_NAMES:%=$(WEAVE_IDX)/%.xref): $(WEAVE_IDX)/stamp ;

# One chapter: Markdown for pandoc, and its page's navigation (.yaml).
$(WEAVE_DIR)/md/%.md: $(WEAVE_SRC)/%.nw $(WEAVE_IDX)/%.xref $(WEAVE_IDX)/chapters.tsv $(LGWEAVE)
	@mkdir -p $(@D)
	@{ $(MARKUP) $< 2>/dev/null || :; } | $(LGWEAVE) chapter $(WEAVE_IDX) $(WEAVE_DIR)/md/$*.yaml >$@.tmp
	@mv $@.tmp $@
$(WEAVE_DIR)/md/%.yaml: $(WEAVE_DIR)/md/%.md ;

$(BOOK_HTML)/%.html: $(WEAVE_DIR)/md/%.md $(WEAVE_DIR)/md/%.yaml weave/page.html weave/book.lua $(BOOK_META)
	@mkdir -p $(@D)
	@echo "weave: $@"
	@$(WEAVE_ENV) $(PANDOC_HTML) --toc --toc-depth=2 --metadata-file $(WEAVE_DIR)/md/$*.yaml $< -o $@
$(BOOK_HTML)/index.html: $(WEAVE_IDX)/home.md $(WEAVE_IDX)/home.yaml weave/page.html weave/book.lua $(BOOK_META)
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
# run is kept, so one xelatex run is enough unless page numbers moved.
$(WEAVE_DIR)/pdf/lguest.tex: $(WEAVE_MDS) $(WEAVE_IDX)/identifiers.md $(BOOK_META) \
                         weave/book.lua weave/preamble.tex weave/before.tex
	@mkdir -p $(@D) $(WEAVE_DIR)/dot
	@$(WEAVE_ENV) pandoc -f markdown-raw_tex -t latex --standalone \
	  --metadata-file $(BOOK_META) --lua-filter weave/book.lua \
	  --top-level-division=chapter -H weave/preamble.tex -B weave/before.tex \
	  $(WEAVE_MDS) $(WEAVE_IDX)/identifiers.md -o $@.tmp
	@if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi
$(BOOK_PDF): $(WEAVE_DIR)/pdf/lguest.tex
	@echo "weave: $@"
	@cd $(WEAVE_DIR)/pdf && for run in 1 2 3 4; do \
	  cp lguest.aux lguest.aux.old 2>/dev/null || : >lguest.aux.old; \
	  rm -f lguest.pdf; xelatex -interaction=nonstopmode lguest.tex >/dev/null 2>&1; \
	  if [ ! -s lguest.pdf ]; then grep -A3 '^!' lguest.log | head -20; \
	    echo "weave: xelatex failed, see $(WEAVE_DIR)/pdf/lguest.log"; exit 1; fi; \
	  cmp -s lguest.aux lguest.aux.old && break; \
	done; \
	if grep -q '^!' lguest.log; then grep -A3 '^!' lguest.log | head -20; \
	  echo "weave: warning: LaTeX errors, see $(WEAVE_DIR)/pdf/lguest.log"; fi
	@mkdir -p $(dir $(BOOK_PDF))
	@cp $(WEAVE_DIR)/pdf/lguest.pdf $@
