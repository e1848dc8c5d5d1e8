# weave.mk: `make book' weaves the chapters into book/html/ and book/lguest.pdf.
# Included by the top Makefile; see weave/README.md for the pipeline and its cost.
#
#   markup chapters/*.nw | lgweave index      -> $(WEAVE_DIR)/idx/  shared index, each
#                                                file rewritten only if it changed
#   markup chapters/NN.nw | lgweave chapter   -> md/NN.md (for HTML), tex/NN.md (for
#                                                LaTeX): one chapter's Markdown
#   lgweave matter book/*/NAME.md             -> md/NAME.md, tex/NAME.md
#   pandoc md/NN.md; lgweave search           -> book/html/NN.html, search/NN.js
#   pandoc tex/*.md, in four parts; the frame -> pdf/lguest.tex; xelatex -> book/lguest.pdf
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
WEAVE_ENV := WEAVE_DOT_DIR=$(abspath $(WEAVE_DIR)/dot)
# What every page's links need from the index: steps, chapters, figures.
WEAVE_REFS := $(WEAVE_IDX)/markers.tsv $(WEAVE_IDX)/chapters.tsv $(WEAVE_IDX)/figures.tsv
PANDOC_HTML_RAW := pandoc -f markdown-raw_tex -t html5 --standalone \
  --template weave/page.html --wrap=none --email-obfuscation=none --metadata-file $(BOOK_META)
PANDOC_HTML := $(PANDOC_HTML_RAW) --lua-filter weave/book.lua

.PHONY: book book-html book-pdf book-tex
# The PDF is the long path: first the LaTeX, with both cores, and nothing
# else; then its xelatex runs on one core and the HTML pages beside them
# on the other.  A user types `make book', not `make -j2 book'.
book:
	@$(MAKE) --no-print-directory -j2 book-tex
	@$(MAKE) --no-print-directory -j2 book-pdf book-html
book-tex: $(WEAVE_DIR)/pdf/lguest.tex
book-html: $(WEAVE_PAGES) $(WEAVE_JS) $(BOOK_HTML)/book.css $(BOOK_HTML)/fonts/.copied
book-pdf: $(BOOK_PDF)

# lgweave compiles as one unit, every weave/*.c included in one file, at
# -O0: one compiler reads the system headers once, in half the time that
# thirteen compilers side by side took; a whole weave runs lgweave for well
# under a second, no slower at -O0 (weave/README.md, "Cost").  So static
# functions of different files need different names.
LGWEAVE_SRC := $(sort $(wildcard weave/*.c))
$(LGWEAVE): $(LGWEAVE_SRC) $(wildcard weave/*.h)
	@mkdir -p $(@D)
	@printf '#include "%s"\n' $(abspath $(LGWEAVE_SRC)) >$(WEAVE_DIR)/lgweave-all.c
	$(CC) -O0 -Wall -Wextra -Wmissing-prototypes -std=c11 -D_POSIX_C_SOURCE=200809L \
	  -o $@ $(WEAVE_DIR)/lgweave-all.c

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

# One chapter: its Markdown in two flavours, md/ for HTML and tex/ for
# LaTeX (each with its own raw code and its own kind of link), and its
# page's navigation (.yaml).
$(WEAVE_DIR)/md/%.md: $(WEAVE_SRC)/%.nw $(WEAVE_IDX)/%.xref $(WEAVE_REFS) $(LGWEAVE)
	@mkdir -p $(@D) $(WEAVE_DIR)/tex
	@{ $(MARKUP) $< 2>/dev/null || :; } | $(LGWEAVE) chapter $(WEAVE_IDX) $(WEAVE_DIR)/md/$*.yaml \
	  $(WEAVE_DIR)/tex/$*.md >$@.tmp
	@mv $@.tmp $@
$(WEAVE_DIR)/md/%.yaml $(WEAVE_DIR)/tex/%.md: $(WEAVE_DIR)/md/%.md ;
.SECONDARY: $(WEAVE_MDS) $(WEAVE_NAMES:%=$(WEAVE_DIR)/md/%.yaml) $(WEAVE_NAMES:%=$(WEAVE_DIR)/tex/%.md) \
            $(MATTER_NAMES:%=$(WEAVE_DIR)/md/%.md) $(MATTER_NAMES:%=$(WEAVE_DIR)/tex/%.md)
# Front and back matter: Markdown as written, with the book's links.
$(foreach f,$(FRONT) $(BACK),$(eval $(WEAVE_DIR)/md/$(basename $(notdir $(f))).md: $(f)))
$(MATTER_NAMES:%=$(WEAVE_DIR)/md/%.md): $(WEAVE_REFS) $(LGWEAVE)
	@mkdir -p $(@D) $(WEAVE_DIR)/tex
	@$(LGWEAVE) matter $(WEAVE_IDX) $(filter %.md,$^) $@ $(WEAVE_DIR)/tex/$(notdir $@)

# An HTML page, then its text for the search (lgweave search).
$(BOOK_HTML)/%.html: $(WEAVE_DIR)/md/%.md $(WEAVE_DIR)/md/%.yaml \
                     weave/page.html weave/book.lua $(BOOK_META) $(LGWEAVE)
	@mkdir -p $(@D) $(WEAVE_DIR)/search
	@echo "weave: $@"
	@$(WEAVE_ENV) $(PANDOC_HTML) --toc --toc-depth=2 --metadata-file $(WEAVE_DIR)/md/$*.yaml $< -o $@
	@$(LGWEAVE) search $@ >$(WEAVE_DIR)/search/$*.js
$(MATTER_PAGES): $(BOOK_HTML)/%.html: $(WEAVE_DIR)/md/%.md $(WEAVE_IDX)/%.yaml \
                 weave/page.html weave/book.lua $(BOOK_META) $(LGWEAVE)
	@mkdir -p $(@D) $(WEAVE_DIR)/search
	@echo "weave: $@"
	@$(WEAVE_ENV) $(PANDOC_HTML) --toc --toc-depth=2 --metadata-file $(WEAVE_IDX)/$*.yaml $< -o $@
	@$(LGWEAVE) search $@ >$(WEAVE_DIR)/search/$*.js
# Search: every page's text, step by step, as one script that works from
# file:// with no server, and lunr.
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
# The contents and the index are raw HTML that lgweave wrote: no filter.
$(BOOK_HTML)/index.html: $(WEAVE_IDX)/home.md $(WEAVE_IDX)/home.yaml weave/page.html $(BOOK_META)
	@mkdir -p $(@D)
	@echo "weave: $@"
	@$(PANDOC_HTML_RAW) --metadata-file $(WEAVE_IDX)/home.yaml $< -o $@
$(BOOK_HTML)/identifiers.html: $(WEAVE_IDX)/identifiers.md $(WEAVE_IDX)/identifiers.yaml weave/page.html $(BOOK_META)
	@mkdir -p $(@D)
	@echo "weave: $@"
	@$(PANDOC_HTML_RAW) --metadata-file $(WEAVE_IDX)/identifiers.yaml $< -o $@
$(BOOK_HTML)/book.css: weave/book.css
	@mkdir -p $(@D)
	@cp $< $@
# The fonts travel with the book, so it reads the same offline anywhere.
$(BOOK_HTML)/fonts/.copied: $(WEAVE_FONTS)
	@mkdir -p $(@D)
	@$(if $(WEAVE_FONTS),cp $(WEAVE_FONTS) $(@D)/,true)
	@touch $@

# The PDF: all pages and the index through LaTeX, in four parts, each a
# run of pages in reading order made by a pandoc of its own, side by side
# (and a part only when one of its pages changed); then put together
# inside the frame pandoc's template makes around an empty body.  Four:
# a pandoc per page would cost a second more in all, each process
# faulting in its 170 MB of code; two would redo half the book for a
# change to one page.  The .aux of the last run is kept, so one xelatex
# run is enough unless page numbers moved; weave/pdf.sh runs xelatex
# until they settle, then xdvipdfmx once.
PANDOC_LATEX := pandoc -f markdown-raw_tex -t latex --metadata-file $(BOOK_META) \
  --top-level-division=chapter --number-sections
PANDOC_LATEX_VARS := -V tables
WEAVE_TEX_MDS := $(patsubst %,$(WEAVE_DIR)/tex/%.md,$(basename $(notdir $(FRONT))) \
                   $(WEAVE_NAMES) $(basename $(notdir $(BACK)))) $(WEAVE_IDX)/identifiers.md
WEAVE_PART_SIZE := $(shell echo $$(( ($(words $(WEAVE_TEX_MDS)) + 3) / 4 )))
weave_part = $(wordlist $(shell echo $$(( ($(1) - 1) * $(WEAVE_PART_SIZE) + 1 ))),$(shell \
               echo $$(( $(1) * $(WEAVE_PART_SIZE) ))),$(WEAVE_TEX_MDS))
WEAVE_TEXS := $(foreach n,1 2 3 4,$(if $(call weave_part,$(n)),$(WEAVE_DIR)/tex/part$(n).tex))
$(foreach n,1 2 3 4,$(eval $(WEAVE_DIR)/tex/part$(n).tex: $(call weave_part,$(n))))
$(WEAVE_TEXS): weave/book.lua $(BOOK_META)
	@mkdir -p $(WEAVE_DIR)/dot
	@$(WEAVE_ENV) $(PANDOC_LATEX) --lua-filter weave/book.lua $(filter %.md,$^) -o $@
# The frame: pandoc's template (ours, weave/book.latex, if there is one),
# our preamble and before.tex, around a body that marks where the pages go.
# What a single run would have learnt from the body, it is told: that
# there are tables (PANDOC_LATEX_VARS), and a code block in a language
# brings the highlighter's macros.
PANDOC_LATEX_TEMPLATE := $(wildcard weave/book.latex)
$(WEAVE_DIR)/pdf/frame.tex: $(BOOK_META) weave/preamble.tex weave/before.tex $(PANDOC_LATEX_TEMPLATE)
	@mkdir -p $(@D)
	@printf 'LGWEAVE-BODY\n\n```c\nint x;\n```\n\nLGWEAVE-END\n' | \
	  $(PANDOC_LATEX) --standalone $(PANDOC_LATEX_VARS) \
	  $(PANDOC_LATEX_TEMPLATE:%=--template %) -H weave/preamble.tex -B weave/before.tex -o $@
$(WEAVE_DIR)/pdf/lguest.tex: $(WEAVE_DIR)/pdf/frame.tex $(WEAVE_TEXS)
	@sed '/^LGWEAVE-BODY$$/,$$d' $< >$@.tmp
	@for f in $(WEAVE_TEXS); do cat $$f; echo; done >>$@.tmp
	@sed '1,/^LGWEAVE-END$$/d' $< >>$@.tmp
	@if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi
$(BOOK_PDF): $(WEAVE_DIR)/pdf/lguest.tex weave/pdf.sh
	@echo "weave: $@"
	@weave/pdf.sh $(WEAVE_DIR)/pdf
	@mkdir -p $(dir $(BOOK_PDF))
	@cp $(WEAVE_DIR)/pdf/lguest.pdf $@
