#!/usr/bin/env bash
# Tests of the tangling tools themselves: lgtangle, tale and remap, on fixture
# books (tests/tangle/good, tests/tangle/bad/*) and on the real one.
. "$(dirname "$0")/../lib.sh"
cd "$top" || exit 1
make -s build/tools/lgtangle build/tools/tale build/tools/remap >/dev/null || {
	fail tangle-tools-build "the tools do not compile"; exit 0; }
T=$top/build/tools
MARKUP="/usr/lib/noweb/markup -t"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# tangle DIR: tangle the fixture book in DIR into DIR/gen and DIR/src.
tangle() { (cd "$1" && $MARKUP chapters/*.nw | "$T/lgtangle" --generated gen --build src); }

# ---- a well-formed book
cp -r tests/tangle/good "$work/good"
g=$work/good
if tangle "$g" 2>"$work/err"; then ok tangle-good-book; else fail tangle-good-book "$(cat "$work/err")"; fi
# ---- the prose names only code the book holds, or names tangle/outside-names lists
lint() { (cd "$1" && $MARKUP chapters/*.nw | "$T/lgtangle" --lint); }
expect prose-names-pass-lint lint "$g"
if lint tests/tangle/bad/stale-name >"$work/out" 2>&1; then
	fail prose-stale-name-fails-lint "accepted"
else contains prose-stale-name-fails-lint "$work/out" "$(cat tests/tangle/bad/stale-name/expect)"; fi
mv "$g/tangle/outside-names" "$work/outside-names"
if lint "$g" >"$work/out" 2>&1; then fail outside-names-exempts "accepted local_irq_save unlisted"
else contains outside-names-exempts "$work/out" \
	"chapters/40-host.nw:19: the prose names 'local_irq_save', which no code defines or uses"; fi
mv "$work/outside-names" "$g/tangle/outside-names"
expect roots-become-files test -f "$g/gen/host/main.c" -a -f "$g/gen/include/fixture.h"
contains tale-comment-opens "$g/gen/host/main.c" "/*H:100 The main function."
contains tale-comment-carries-prose "$g/gen/host/main.c" " * It returns the answer. :*/"
contains tale-comment-closes "$g/gen/host/main.c" "/*:*/"
contains comment-escapes-close "$g/gen/include/fixture.h" 'It mentions *\/ and /\* without'
contains use-keeps-indentation "$g/gen/host/main.c" "$(printf '\t\tx = FIXTURE_TWICE(x);')"
contains nested-tale-indented "$g/gen/host/main.c" "$(printf '\t/*H:110 Computing.')"
contains expression-inline "$g/gen/host/main.c" "return helper(x) + 0;"
if grep -q 'H:1\|Tangled\|\*/' "$g/src/host/main.c"; then
	fail copies-are-code-only "build copy holds comments"; else ok copies-are-code-only; fi
if [ "$(wc -l <"$g/src/host/main.c")" = "$(wc -l <"$g/src/host/main.c.lines")" ]; then
	ok line-map-one-per-line; else fail line-map-one-per-line "map and copy differ in length"; fi
if gcc -fsyntax-only -Wall -Werror -I"$g/gen/include" "$g/gen/host/main.c" 2>"$work/err"; then
	ok generated-compiles; else fail generated-compiles "$(head -3 "$work/err")"; fi

# ---- the tale read back from the code equals the chapters' prose
(cd "$g" && $MARKUP chapters/*.nw | "$T/lgtangle" --tale) >"$work/tale.chapters"
"$T/tale" --prose "$g/gen" >"$work/tale.code"
if diff -u "$work/tale.chapters" "$work/tale.code" >"$work/tale.diff"; then
	ok tale-equals-chapters; else fail tale-equals-chapters "$(head -20 "$work/tale.diff")"; fi
expect tale-has-all-steps test "$(grep -c '^=== ' "$work/tale.code")" = 6
contains floating-marker-comment "$g/gen/host/main.c" " * Its prose stands before the next code of the chapter. */"
"$T/tale" --letter H "$g/gen" >"$work/tale.H"
if grep -q '^H:100' "$work/tale.H" && ! grep -q '^P:' "$work/tale.H"; then
	ok tale-per-letter; else fail tale-per-letter "$(head -5 "$work/tale.H")"; fi
contains tale-shows-code "$work/tale.H" "int helper(int y)"

# ---- unchanged outputs keep their mtime; a prose edit leaves the copies alone
touch -d '2000-01-01' "$g/gen/host/main.c" "$g/src/host/main.c" "$g/src/host/main.c.lines"
tangle "$g"
expect unchanged-keeps-mtime test "$(stat -c %Y "$g/gen/host/main.c")" = "$(date -d 2000-01-01 +%s)"
sed -i 's/^It returns the answer.$/It returns the answer, as ever.\nAnd one more line of prose./' "$g/chapters/40-host.nw"
tangle "$g"
contains prose-edit-reaches-generated "$g/gen/host/main.c" "as ever."
expect prose-edit-spares-copy test "$(stat -c %Y "$g/src/host/main.c")" = "$(date -d 2000-01-01 +%s)"
if [ "$(stat -c %Y "$g/src/host/main.c.lines")" != "$(date -d 2000-01-01 +%s)" ]; then
	ok prose-edit-moves-map; else fail prose-edit-moves-map "the line map did not follow the prose"; fi

# ---- a root gone from the chapters takes its file with it
sed -i 's/^<<include\/fixture.h>>=$/<<include\/renamed.h>>=/' "$g/chapters/00-preparation.nw"
sed -i 's/fixture.h/renamed.h/' "$g/chapters/40-host.nw"
tangle "$g"
if [ -f "$g/gen/include/renamed.h" ] && [ ! -e "$g/gen/include/fixture.h" ] &&
   [ ! -e "$g/src/include/fixture.h.lines" ]; then ok vanished-root-removed
else fail vanished-root-removed "$(find "$g/gen" "$g/src" -type f | tr '\n' ' ')"; fi

# ---- a type error in a chapter is reported at the chapter's line
printf '\tx += "oops" * 2;\n' >"$work/line"
sed -i "/^\tx = FIXTURE_TWICE(x);\$/r $work/line" "$g/chapters/40-host.nw"
want=$(grep -n 'oops' "$g/chapters/40-host.nw" | cut -d: -f1)
tangle "$g"
(cd "$g" && gcc -fdiagnostics-column-unit=byte -fno-diagnostics-show-line-numbers \
	-Isrc/include -c src/host/main.c -o /dev/null 2>&1 | "$T/remap" src) >"$work/cc.out"
contains diagnostic-at-chapter-line "$work/cc.out" "chapters/40-host.nw:$want:14: error"

# ---- every malformed book: file:line: message, non-zero, nothing written
for dir in tests/tangle/bad/*/; do
	name=bad-$(basename "$dir")
	b=$work/$name
	cp -r "$dir" "$b"
	mkdir -p "$b/gen/host" && echo "precious" >"$b/gen/host/a.c"
	if (cd "$b" && $MARKUP chapters/*.nw | "$T/lgtangle" --generated gen --build src) \
		>"$work/out" 2>&1; then
		fail "$name" "accepted"; continue
	fi
	if ! grep -qF -- "$(cat "$b/expect")" "$work/out"; then
		fail "$name" "wanted '$(cat "$b/expect")', got: $(head -3 "$work/out")"
	elif [ "$(cat "$b/gen/host/a.c")" != precious ] || [ -e "$b/src" ]; then
		fail "$name" "output was touched"
	else ok "$name"; fi
done

# ---- the real book
# (lint, tale-check and check-generated themselves run first in tests/run)
make -s Preparation >"$work/prep" 2>&1
contains book-chapter-target "$work/prep" "P:100"
# check-generated sees a hand edit of generated/ and shows it
mkdir -p "$work/repo" && cp -r Makefile chapters tangle generated "$work/repo/"
f=$(cd "$work/repo" && find generated -type f | head -1)
if [ -n "$f" ]; then
	echo "/* edited by hand */" >>"$work/repo/$f"
	if (cd "$work/repo" && make -s check-generated) >"$work/cg" 2>&1; then
		fail check-generated-sees-edit "accepted a hand edit"
	else contains check-generated-sees-edit "$work/cg" "edited by hand"; fi
else skip check-generated-sees-edit "generated/ is empty"; fi
exit 0
