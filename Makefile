# lguest, reborn: one Makefile for the book and the program it contains.
#
#   make tangle      chapters/*.nw -> generated/ (committed) and build/src/ (compiled)
#   make             tangle, then build build/lguest, build/host.elf, build/guest.elf
#   make book        weave the chapters into book/html/ and book/lguest.pdf
#   make check       everything above, the checks, and the tests
#   make run         boot the default Guest (ARGS="..." passes Launcher arguments)
#   make tale        the story, in marker order, read from generated/ alone
#   make lint        the chapters' consistency checks, nothing written
#   make untangle    carry hand edits of generated/ back into the chapters
#   make deps        install the Debian packages the project needs
#   make fuzz        run the fuzz targets of tests/fuzz/, FUZZ_SECONDS (60) each
#   make explain WHERE=...   a place in the code (file:line, name, "ELF ADDRESS") to its story
#   make gdb         gdb with both images and chapter lines (GDB_TARGET=localhost:1234)

SHELL       := /bin/bash
.SHELLFLAGS := -o pipefail -c
.DEFAULT_GOAL := all

CHAPTERS := $(sort $(wildcard chapters/*.nw))
MARKUP   := /usr/lib/noweb/markup -t
TOOLS    := build/tools
LGTANGLE := $(TOOLS)/lgtangle
TALE     := $(TOOLS)/tale
REMAP    := $(TOOLS)/remap
UNTANGLE := $(TOOLS)/untangle
TOOL_CFLAGS := -O2 -g -Wall -Wextra -std=c11 -D_POSIX_C_SOURCE=200809L

# ---------------------------------------------------------------- set-up
# Debian packages, by what needs them.
DEPS_BUILD := gcc make binutils noweb zlib1g-dev libseccomp-dev liburing-dev
DEPS_RUN   := qemu-system-x86 iproute2 python3
DEPS_FUZZ  := clang libclang-rt-14-dev
DEPS_DEBUG := gdb
DEPS_BOOK  := pandoc graphviz poppler-utils chromium fonts-dejavu-core fonts-texgyre libjs-lunr \
              texlive-latex-recommended texlive-latex-extra \
              texlive-fonts-recommended texlive-xetex lmodern
DEPS       := $(DEPS_BUILD) $(DEPS_RUN) $(DEPS_FUZZ) $(DEPS_DEBUG) $(DEPS_BOOK)

.PHONY: deps
deps:
	@missing=$$(for p in $(DEPS); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; \
	  done | tr '\n' ' '); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
	  echo "make deps: installing $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else \
	  echo "make deps: missing Debian packages; as root run:"; \
	  echo "  apt-get install --no-install-recommends $$missing"; exit 1; \
	fi

# ---------------------------------------------------------------- the tools
$(TOOLS)/%: tangle/%.c
	@mkdir -p $(TOOLS)
	$(CC) $(TOOL_CFLAGS) -o $@ $<

# ---------------------------------------------------------------- tangling
.PHONY: tangle lint check-generated tale tale-check untangle
# noweb's markup reads the chapters whole before lgtangle writes anything:
# a chapter markup rejects must not leave a half-made generated/.  It runs
# every time (a few milliseconds), since a chapter may also vanish, and the
# pipeline file changes only when its bytes do.
PIPE := build/book.pipe
.PHONY: FORCE
$(PIPE): FORCE
	@mkdir -p build
	@$(MARKUP) $(CHAPTERS) >$@.tmp || { rm -f $@.tmp; exit 1; }
	@cmp -s $@.tmp $@ && rm $@.tmp || mv $@.tmp $@

# build/tangled/ keeps what lgtangle last wrote to generated/, with line maps:
# a generated/ file that differs from it was edited by hand, and lgtangle
# stops rather than overwrite it (make untangle, or git checkout the file).
tangle: $(LGTANGLE) $(PIPE)
	@$(LGTANGLE) --generated generated --build build/src --record build/tangled <$(PIPE)

# Hand edits of code lines in generated/ become edits of the chapters, in a
# copy first; they are kept only if a fresh tangle of the copy reproduces
# generated/ exactly.
UNTANGLE_DIR := build/untangle
untangle: $(UNTANGLE) $(LGTANGLE)
	@rm -rf $(UNTANGLE_DIR) && mkdir -p $(UNTANGLE_DIR)/tangle
	@cp -r chapters $(UNTANGLE_DIR)/ && cp tangle/outside-names $(UNTANGLE_DIR)/tangle/
	@$(UNTANGLE) build/tangled generated $(UNTANGLE_DIR)/chapters
	@cd $(UNTANGLE_DIR) && $(MARKUP) chapters/*.nw | ../../$(LGTANGLE) --generated gen
	@if ! diff -r generated $(UNTANGLE_DIR)/gen >$(UNTANGLE_DIR)/diff; then cat $(UNTANGLE_DIR)/diff; \
	  echo "untangle: the chapters so edited would not tangle to generated/ as it stands (the lines marked > are"; \
	  echo "  the other uses of a chunk used more than once: edit them alike, or edit the chapter); nothing changed"; exit 1; fi
	@for f in $(UNTANGLE_DIR)/chapters/*.nw; do \
	  cmp -s $$f chapters/$${f##*/} || { cp $$f chapters/$${f##*/}; echo "untangle: changed chapters/$${f##*/}"; }; done
	@$(MAKE) --no-print-directory tangle

lint: $(LGTANGLE) $(PIPE)
	@$(LGTANGLE) --lint <$(PIPE)

# generated/ must be byte-identical to a fresh tangle of the chapters.
check-generated: $(LGTANGLE) $(PIPE)
	@rm -rf build/fresh && mkdir -p build/fresh
	@$(LGTANGLE) --generated build/fresh <$(PIPE)
	@if diff -ru generated build/fresh >build/fresh.diff; then \
	  echo "check-generated: generated/ matches the chapters"; \
	else cat build/fresh.diff; \
	  echo "check-generated: generated/ differs from the chapters (run make tangle)"; exit 1; fi

# The tale, lguest's `make Beer': the marked narrative read back out of generated/.
tale: $(TALE)
	@$(TALE) generated

# One target per chapter letter prints that part of the tale.
CHAPTER_TARGETS := Preparation:P Guest:G Drivers:D Launcher:L Host:H Switcher:S Mastery:M
.PHONY: $(foreach t,$(CHAPTER_TARGETS),$(word 1,$(subst :, ,$(t))))
$(foreach t,$(CHAPTER_TARGETS),$(eval $(word 1,$(subst :, ,$(t))): $(TALE) ; @$(TALE) --letter $(word 2,$(subst :, ,$(t))) generated))

# The story told by the code equals the story told by the chapters.
tale-check: $(LGTANGLE) $(TALE) $(PIPE)
	@mkdir -p build
	@$(LGTANGLE) --tale <$(PIPE) >build/tale.chapters
	@$(TALE) --prose generated >build/tale.code
	@if diff -u build/tale.chapters build/tale.code; then \
	  echo "tale-check: the code's tale equals the chapters' narrative"; \
	else echo "tale-check: generated/ tells a different story"; exit 1; fi
	@$(TALE) --outside generated || { \
	  echo "tale-check: these lines of generated/ belong to no step"; exit 1; }

# ---------------------------------------------------------------- the program
# Compiled from the code-only copies in build/src/; $(REMAP) turns their
# line numbers back into chapters/*.nw lines in every diagnostic.
.PHONY: all programs
all: tangle $(REMAP)
	@$(MAKE) --no-print-directory programs

SRC := build/src
OBJ := build/obj

# The Host: ring 0 code, emulated instruction by instruction on this machine's KVM.
HOST_CFLAGS := -O2 -g -Wall -Wextra -Wmissing-prototypes -std=gnu11 -ffreestanding -fno-pie -fno-pic \
  -mno-red-zone -mgeneral-regs-only -mcmodel=kernel -fno-stack-protector \
  -fno-asynchronous-unwind-tables -fcf-protection=none -nostdinc -I$(SRC)/include
HOST_LDFLAGS := -nostdlib -static -z max-page-size=0x1000 --no-warn-rwx-segments
HOST_SRCS := $(wildcard $(SRC)/host/*.c $(SRC)/host/*.S $(SRC)/lib/*.c)
HOST_OBJS := $(patsubst $(SRC)/%,$(OBJ)/host/%.o,$(HOST_SRCS))

# The Guest: ring 3 code, native speed.
GUEST_CFLAGS := -O2 -g -Wall -Wextra -Wmissing-prototypes -std=gnu11 -ffreestanding -fno-pie -fno-pic -fno-omit-frame-pointer \
  -mno-red-zone -mgeneral-regs-only -fno-stack-protector \
  -fno-asynchronous-unwind-tables -fcf-protection=none -nostdinc -I$(SRC)/include \
  -I$(SRC)/guest -I$(SRC)/drivers
GUEST_LDFLAGS := -nostdlib -static -z max-page-size=0x1000 --no-warn-rwx-segments
GUEST_SRCS := $(wildcard $(SRC)/guest/*.c $(SRC)/guest/*.S $(SRC)/drivers/*.c $(SRC)/lib/*.c)
GUEST_OBJS := $(patsubst $(SRC)/%,$(OBJ)/guest/%.o,$(GUEST_SRCS))

# The Launcher: an ordinary Linux program that embeds both images.
LAUNCHER_CFLAGS := -O2 -g -Wall -Wextra -Wmissing-prototypes -std=gnu11 -I$(SRC)/include
LAUNCHER_LIBS := -lz -lseccomp -luring
LAUNCHER_SRCS := $(wildcard $(SRC)/launcher/*.c $(SRC)/launcher/*.S)
LAUNCHER_OBJS := $(patsubst $(SRC)/%,$(OBJ)/launcher/%.o,$(LAUNCHER_SRCS))

programs: $(if $(LAUNCHER_SRCS),build/lguest) $(if $(HOST_SRCS),build/host.elf) \
          $(if $(GUEST_SRCS),build/guest.elf)

# The linker's messages name build/src/ and build/obj/ too: remapped.
build/host.elf: $(HOST_OBJS) $(SRC)/host/host.ld
	$(LD) $(HOST_LDFLAGS) -T $(SRC)/host/host.ld -o $@ $(HOST_OBJS) 2>&1 | $(REMAP)
build/guest.elf: $(GUEST_OBJS) $(SRC)/guest/guest.ld
	$(LD) $(GUEST_LDFLAGS) -T $(SRC)/guest/guest.ld -o $@ $(GUEST_OBJS) 2>&1 | $(REMAP)
build/lguest: $(LAUNCHER_OBJS)
	$(CC) -o $@ $(LAUNCHER_OBJS) $(LAUNCHER_LIBS) 2>&1 | $(REMAP)
# The Launcher's assembly embeds the two images with .incbin.
$(filter %.S.o,$(LAUNCHER_OBJS)): build/host.elf build/guest.elf

# Byte columns, and no excerpt line numbers: remap can then say exactly
# where in the chapter a diagnostic points.  -MP gives every header a rule
# of its own, so a header root that vanishes from the book does not leave
# make asking how to build it.
DIAG_FLAGS := -fdiagnostics-column-unit=byte -fno-diagnostics-show-line-numbers

define compile
$(OBJ)/$(1)/%.c.o: $(SRC)/%.c
	@mkdir -p $$(@D)
	$$(CC) $(2) $(DIAG_FLAGS) -MMD -MP -c $$< -o $$@ 2>&1 | $(REMAP)
$(OBJ)/$(1)/%.S.o: $(SRC)/%.S
	@mkdir -p $$(@D)
	$$(CC) $(2) $(DIAG_FLAGS) -MMD -MP -c $$< -o $$@ 2>&1 | $(REMAP)
endef
$(eval $(call compile,host,$(HOST_CFLAGS)))
$(eval $(call compile,guest,$(GUEST_CFLAGS)))
$(eval $(call compile,launcher,$(LAUNCHER_CFLAGS)))
-include $(shell find $(OBJ) -name '*.d' 2>/dev/null)
# Dependency files made before -MP name headers without a rule of their own;
# a header of build/src/ gone from the book is then simply out of date.
$(SRC)/%.h: ;

# ---------------------------------------------------------------- explaining and debugging
# From a place in the code back to its story (tangle/explain.c, chapter
# Launcher: debugging):
#   make explain WHERE=chapters/F.nw:N | generated/P:N | build/src/P:N | NAME
#   make explain WHERE="build/host.elf 0xffffffff8010..."
#   make gdb [GDB_TARGET=localhost:1234]   gdb with both images' symbols and
#                                          the chapters' lines (lguest-gdb.py);
#                                          the target is `lguest --gdb=1234`
#                                          or QEMU's -gdb tcp::1234
EXPLAIN := $(TOOLS)/explain
GDB_TARGET ?=
.PHONY: explain gdb
explain: $(EXPLAIN) tangle
	@test -n "$$WHERE" || { echo "make explain: say WHERE=FILE:LINE, a name, or \"ELF ADDRESS\""; exit 2; }
	@$(EXPLAIN) $$WHERE

# The Launcher's table of places (chapter 37): kill reasons and Host panics
# name their rip's step and chapter line.  Rebuilt when an image or a line
# map changes; it is read at run time, so it recompiles nothing.
PLACES := build/places
programs: $(PLACES)
$(PLACES): $(EXPLAIN) $(wildcard $(SRC)/*/*.lines) \
           $(if $(HOST_SRCS),build/host.elf) $(if $(GUEST_SRCS),build/guest.elf)
	@$(EXPLAIN) --table build/host.elf build/guest.elf >$@.tmp && mv $@.tmp $@

gdb: all
	gdb -q -x $(SRC)/launcher/lguest-gdb.py -ex 'set confirm off' \
	  -ex 'file build/host.elf' -ex 'add-symbol-file build/guest.elf' -ex 'set confirm on' \
	  $(if $(GDB_TARGET),-ex 'target remote $(GDB_TARGET)')
# ---------------------------------------------------------------- end of explaining and debugging

# ---------------------------------------------------------------- running
.PHONY: run
run: deps all
	build/lguest $(ARGS)

# ---------------------------------------------------------------- the book
-include weave/weave.mk

# ---------------------------------------------------------------- checking
# tests/run runs the book's checks (check-generated first, before anything
# re-tangles), the build, the weave, then every test; it ends "N passed, N failed".
.PHONY: check
check: deps
	@tests/run

.PHONY: bench
bench: all
	@tests/bench

# ---------------------------------------------------------------- fuzzing
# libFuzzer targets (clang, ASan, UBSan) over the tangled sources: the
# Launcher's virtqueue walker, virtio-mmio and devices, image loader and
# switch; the Host's command line and ELF loader; the Guest's tar file system
# and network stack; the tangler's pipeline reader (tests/fuzz/README.md).
#   make fuzz                          every target, FUZZ_SECONDS (60) each
#   make fuzz FUZZ_TARGETS="vq mmio"   just those
#   make fuzz FUZZ_SKIP_KNOWN=1        issue 10's known bugs not reported again
# `make check` replays the committed corpora (tests/fuzz/test-fuzz.sh).
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
FUZZ_SKIP_KNOWN ?= 0
.PHONY: fuzz
fuzz: tangle
	@FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_SKIP_KNOWN=$(FUZZ_SKIP_KNOWN) tests/fuzz/fuzz.sh $(FUZZ_TARGETS)
# ---------------------------------------------------------------- end of fuzzing

.PHONY: clean
clean:
	rm -rf build book/html book/lguest.pdf

# ---------------------------------------------------------------- mutation testing
# Plausible mistakes in one chapter's code, each built and tested in a private
# copy under build/mutate/ (tests/mutate/mutate.py; tests/mutate/tests.map
# says which tests cover which chapter).
#   make mutate CHAPTER=33                  a fixed sample of MUTATE_MAX (60)
#   make mutate CHAPTER=40 MUTATE_FILES=host/hypercalls.c MUTATE_MAX=0   all of them
MUTATE_MAX ?= 60
MUTATE_FILES ?=
.PHONY: mutate
mutate: all
	@test -n "$(CHAPTER)" || { echo "make mutate: name a chapter, e.g. CHAPTER=33"; exit 2; }
	@MUTATE_MAX=$(MUTATE_MAX) MUTATE_FILES=$(MUTATE_FILES) nice python3 tests/mutate/mutate.py $(CHAPTER)
# ---------------------------------------------------------------- end of mutation testing

# ---------------------------------------------------------------- labs
# A lab blanks chunks of a chapter for a student to write again
# (tests/labs/NAME.lab; tests/labs/lab.py list names them).
#   make lab LAB=vq-need-event        the student's tree, build/labs/vq-need-event
#   make check-lab LAB=vq-need-event  build it and run the lab's judges there
.PHONY: lab check-lab labs
lab: all
	@python3 tests/labs/lab.py make $(LAB)
check-lab:
	@nice python3 tests/labs/lab.py check $(LAB)
labs:
	@python3 tests/labs/lab.py list
# ---------------------------------------------------------------- end of labs
