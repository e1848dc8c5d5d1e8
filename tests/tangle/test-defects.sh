#!/usr/bin/env bash
# The tangler's defects of issue 12, each pinned by a test: small books made
# here, tangled into a temporary directory.  (The malformed books that must be
# refused, with their messages, are tests/tangle/bad/*: empty-marked,
# root-nested, root-dot, case-hint, shift-hint, expansion, quoted-use.)
. "$(dirname "$0")/../lib.sh"
cd "$top" || exit 1
make -s build/tools/lgtangle build/tools/tale build/tools/remap >/dev/null || {
	fail defects-tools-build "the tools do not compile"; exit 0; }
T=$top/build/tools
MARKUP="/usr/lib/noweb/markup -t"
work=$(mktemp -d)
trap '[ -n "$KEEP" ] || rm -rf "$work"' EXIT; [ -n "$KEEP" ] && echo "work: $work"

# book NAME: a book in $work/NAME from the chapters given on stdin as
# "=== FILE" sections.
book() {
	local d=$work/$1 f=
	mkdir -p "$d/chapters" "$d/tangle"
	: >"$d/tangle/outside-names"
	while IFS= read -r line; do
		case $line in "=== "*) f=$d/chapters/${line#=== }; : >"$f" ;; *) printf '%s\n' "$line" >>"$f" ;; esac
	done
}
tangle() { (cd "$work/$1" && $MARKUP chapters/*.nw | "$T/lgtangle" --generated gen --build src); }
lint() { (cd "$work/$1" && $MARKUP chapters/*.nw | "$T/lgtangle" --lint); }
talecheck() {
	(cd "$work/$1" && $MARKUP chapters/*.nw | "$T/lgtangle" --tale) >"$work/$1.chapters" &&
	"$T/tale" --prose "$work/$1/gen" >"$work/$1.code" && diff -u "$work/$1.chapters" "$work/$1.code"
}

# ---- an empty marked chunk is an error, in tangle and in lint, not a crash
cp -r tests/tangle/bad/empty-marked "$work/empty"
(cd "$work/empty" && $MARKUP chapters/*.nw | "$T/lgtangle" --lint) >"$work/out" 2>&1
rc=$?
if [ $rc = 1 ] && grep -q 'is empty' "$work/out"; then ok empty-marked-chunk-lint
else fail empty-marked-chunk-lint "exit $rc: $(head -2 "$work/out")"; fi

# ---- [[<<x>>]] in prose quotes a name; nothing is spliced into the code
book quoted <<'EOF'
=== 40-host.nw
# The Host

@ H:100 The file. Its body is [[<<the body>>]], told next.
<<host/a.c>>=
int a;
<<the body>>
@

@ H:110 The body.
<<the body>>=
int b;
@
EOF
if tangle quoted 2>"$work/err"; then
	if grep -q '<<\|the body' "$work/quoted/src/host/a.c"; then
		fail quoted-use-stays-prose "$(cat "$work/quoted/src/host/a.c")"
	elif [ "$(grep -c . "$work/quoted/src/host/a.c")" = 2 ]; then ok quoted-use-stays-prose
	else fail quoted-use-stays-prose "$(cat "$work/quoted/src/host/a.c")"; fi
	contains quoted-use-in-tale "$work/quoted/gen/host/a.c" "/*H:100 The file. Its body is \`<<the body>>\`, told next. :*/"
else fail quoted-use-stays-prose "$(cat "$work/err")"; fi

# ---- unbounded expansion is cut short with a report, in well under a minute
cp -r tests/tangle/bad/expansion "$work/exp"
start=$(date +%s)
(cd "$work/exp" && $MARKUP chapters/*.nw | timeout 60 "$T/lgtangle" --lint) >"$work/out" 2>&1
rc=$?
if [ $rc = 1 ] && grep -q 'expands to more than .* lines' "$work/out"; then ok expansion-bounded
else fail expansion-bounded "exit $rc after $(( $(date +%s) - start ))s: $(head -2 "$work/out")"; fi

# ---- a chunk used twice: each use's lines say which use they came through
book twice <<'EOF'
=== 40-host.nw
# The Host

@ H:100 Two functions with the same body.
<<host/a.c>>=
int f(int x)
{
	<<double it>>
}

int g(int x)
{
	<<double it>>
}
@

@ H:110 The body, used twice.
<<double it>>=
return x + "twice";
@
EOF
tangle twice 2>"$work/err" || fail twice-tangles "$(cat "$work/err")"
uses=$(grep -o 'via chapters/40-host.nw:[0-9]*' "$work/twice/src/host/a.c.lines" | sort -u | wc -l)
expect two-uses-two-maps test "$uses" = 2
(cd "$work/twice" && gcc -fdiagnostics-column-unit=byte -fno-diagnostics-show-line-numbers \
	-c src/host/a.c -o /dev/null 2>&1 | "$T/remap" src) >"$work/cc.out"
if grep -q 'chapters/40-host.nw:18:.*(in the use at chapters/40-host.nw:7)' "$work/cc.out" &&
   grep -q 'chapters/40-host.nw:18:.*(in the use at chapters/40-host.nw:12)' "$work/cc.out"; then
	ok twice-used-diagnostic-names-use
else fail twice-used-diagnostic-names-use "$(grep -v '^ ' "$work/cc.out" | head -4)"; fi

# ---- In function, assembler and linker lines name chapters, not build/src
book link <<'EOF'
=== 40-host.nw
# The Host

@ H:100 A function that calls one nobody defines.
<<host/a.c>>=
int missing(void);

int caller(void)
{
	return missing();
}
@

@ H:110 An assembly file with a bad register.
<<host/b.S>>=
	.text
	movq %rax, %nosuch
@
EOF
tangle link 2>"$work/err" || fail link-tangles "$(cat "$work/err")"
(cd "$work/link" && mkdir -p obj/host/host && {
	gcc -g -Wall -Wextra -Wunused-parameter -c src/host/a.c -o obj/host/host/a.c.o
	gcc -c src/host/b.S -o obj/host/host/b.S.o
	ld -e caller -o a.elf obj/host/host/a.c.o
} 2>&1 | "$T/remap" src) >"$work/ld.out"
contains link-error-at-chapter-line "$work/ld.out" "chapters/40-host.nw:9: undefined reference to \`missing'"
contains link-function-at-chapter-line "$work/ld.out" "ld: chapters/40-host.nw:7: in function \`caller'"
contains assembler-messages-at-chapter "$work/ld.out" "chapters/40-host.nw:15: Assembler messages:"
contains assembler-error-at-chapter-line "$work/ld.out" "chapters/40-host.nw:16: Error:"
if grep -q 'src/\|obj/' "$work/ld.out"; then fail link-names-no-copy "$(grep 'src/\|obj/' "$work/ld.out")"
else ok link-names-no-copy; fi
(cd "$work/link" && printf 'src/host/a.c: In function %s:\n' "'caller'" | "$T/remap" src) >"$work/fn.out"
contains in-function-at-chapter-line "$work/fn.out" "chapters/40-host.nw:7: In function 'caller':"

# ---- a marked chunk used in two files carries its prose in both
book two-files <<'EOF'
=== 40-host.nw
# The Host

@ H:100 One file.
<<host/a.c>>=
<<the shared part>>
int a;
@

@ H:110 Another file.
<<host/b.c>>=
<<the shared part>>
int b;
@

@ H:120 The shared part.
It is told once and stands in both files.
<<the shared part>>=
#include "shared.h"
@
EOF
tangle two-files 2>"$work/err" || fail two-files-tangles "$(cat "$work/err")"
if grep -q '/\*H:120 The shared part.' "$work/two-files/gen/host/a.c" &&
   grep -q '/\*H:120 The shared part.' "$work/two-files/gen/host/b.c"; then ok shared-chunk-prose-in-both
else fail shared-chunk-prose-in-both "$(grep -l H:120 "$work/two-files/gen/host/"*)"; fi
if talecheck two-files >"$work/diff" 2>&1; then ok shared-chunk-told-once
else fail shared-chunk-told-once "$(head -10 "$work/diff")"; fi

# ---- the whole code is in the tale; headers name every chapter
book cover <<'EOF'
=== 40-host.nw
# The Host

Some code comes before the chapter's first step.
<<host/a.c>>=
#include "a.h"
@

@ H:100 The first step.
<<host/a.c>>=
int first;
@

An aside, and then more code with no marker of its own.
<<host/a.c>>=
int after_the_aside;
@
=== 41-host-more.nw
# More of the Host

@ H:200 A second chapter adds to the file.
<<host/a.c>>=
int second;
@
EOF
tangle cover 2>"$work/err" || fail cover-tangles "$(cat "$work/err")"
if "$T/tale" --outside "$work/cover/gen" >"$work/cov"; then ok every-code-line-in-a-step
else fail every-code-line-in-a-step "$(cat "$work/cov")"; fi
contains continued-span "$work/cover/gen/host/a.c" "/*H:100, continued :*/"
contains header-names-every-chapter "$work/cover/gen/host/a.c" \
	"/* Tangled from chapters/40-host.nw and chapters/41-host-more.nw"
"$T/tale" "$work/cover/gen" >"$work/cover.tale"
if awk '/^H:100/{s=1} /^H:200/{s=0} s' "$work/cover.tale" | grep -q after_the_aside; then
	ok tale-tells-continued-code; else fail tale-tells-continued-code "$(head -20 "$work/cover.tale")"; fi
if talecheck cover >"$work/diff" 2>&1; then ok continued-tale-check; else fail continued-tale-check "$(head "$work/diff")"; fi

# ---- code continued after an aside, used inside another step's code, is
# still its own step's (blk_test_read_twice is D:580's, not its file's step)
book nested <<'EOF'
=== 40-host.nw
# The Host

@ H:100 The file.
<<host/a.c>>=
int a;
<<the tests>>
@

@ H:110 The tests.
<<the tests>>=
int test_one(void) { return 1; }
@

An aside between the two halves.
<<the tests>>=
int test_two(void) { return 2; }
@
EOF
tangle nested 2>"$work/err" || fail nested-tangles "$(cat "$work/err")"
"$T/tale" "$work/nested/gen" >"$work/nested.tale"
if awk '/^H:110, continued/{s=1} s' "$work/nested.tale" | grep -q test_two; then
	ok continued-code-is-its-own-steps; else fail continued-code-is-its-own-steps "$(cat "$work/nested.tale")"; fi

# ---- a chapter of prose alone, with an M: note and no code, is accepted
book codeless <<'EOF'
=== 40-host.nw
# The Host

@ H:100 A file.
<<host/a.c>>=
int a;
@
=== 60-mastery.nw
# Mastery

Prose only: what to read next, and why.

@ M:901 An idea for later, with no code yet.
It is the book's alone.
EOF
if lint codeless >"$work/out" 2>&1 && tangle codeless 2>>"$work/out"; then ok codeless-chapter-accepted
else fail codeless-chapter-accepted "$(cat "$work/out")"; fi
if talecheck codeless >"$work/diff" 2>&1; then ok codeless-note-not-in-code-tale
else fail codeless-note-not-in-code-tale "$(head "$work/diff")"; fi

# ---- -MP: every header of the build has a rule of its own, so a header
# root that vanishes from the book does not stop make
d=$(find build/obj -name '*.d' 2>/dev/null | head -1)
if [ -z "$d" ]; then skip header-rules-mp "no build/obj/*.d (run make first)"
elif grep -q '^build/src/include/[a-z_]*\.h:$' "$d"; then ok header-rules-mp
else fail header-rules-mp "$d has no phony header rule (-MP)"; fi

# ---- a header named by an old dependency file (made before -MP) but gone
# from the book leaves make compiling, not asking how to make the header
m=$work/mp
mkdir -p "$m/build/src/host" "$m/build/obj/host/host" "$m/build/tools"
cp Makefile "$m/"
echo 'int x;' >"$m/build/src/host/x.c"
touch "$m/build/obj/host/host/x.c.o"
printf 'build/obj/host/host/x.c.o: build/src/host/x.c build/src/include/gone.h\n' \
	>"$m/build/obj/host/host/x.c.d"
if (cd "$m" && make -n build/obj/host/host/x.c.o) >"$work/out" 2>&1 && grep -q 'x.c.o' "$work/out"; then
	ok vanished-header-no-stop
else fail vanished-header-no-stop "$(grep -m1 'No rule\|rror' "$work/out")"; fi
exit 0
