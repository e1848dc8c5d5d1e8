#!/usr/bin/env bash
# Hand edits of generated/: make and make tangle stop instead of overwriting
# them, and make untangle carries them back into the chapters.  All on a
# copy of the book in a temporary directory, never on the real tree.
. "$(dirname "$0")/../lib.sh"
cd "$top" || exit 1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
r=$work/repo
mkdir -p "$r" && cp -r Makefile chapters tangle generated "$r/"
[ -f weave/weave.mk ] && mkdir -p "$r/weave" && cp weave/weave.mk "$r/weave/"
cd "$r" || exit 1
mk() { nice make --no-print-directory -s "$@"; }
if ! mk tangle >"$work/out" 2>&1; then fail untangle-setup "$(head -5 "$work/out")"; exit 0; fi
expect record-kept test -f build/tangled/lib/string.c -a -f build/tangled/lib/string.c.lines

# A code line of a generated file, by its record's map: the first line of kind
# c (code) whose chapter line reads exactly as the line does, less its indent.
pick() {  # pick FILE: prints "LINE CHAPTER:CHAPTERLINE"
	awk 'NR == FNR { map[FNR] = $0; next }
	     { split(map[FNR], m, " ") }
	     m[3] == "c" && /;$/ && !/<</ { print FNR, m[1]; exit }' "build/tangled/$1.lines" "generated/$1"
}
f=lib/string.c
read -r n loc < <(pick "$f")
if [ -z "$n" ]; then skip untangle-edit "no plain code line in generated/$f"; exit 0; fi
chap=${loc%:*} cline=${loc##*:}

# ---- the hand edit: one line changed, one line inserted after it
sed -i "${n}s|\$| /* a hand edit */|" "generated/$f"
sed -i "${n}a\\	/* a line added by hand */" "generated/$f"
cp "generated/$f" "$work/edited"
if mk tangle >"$work/out" 2>&1; then fail tangle-refuses-hand-edit "make tangle accepted it"
else contains tangle-refuses-hand-edit "$work/out" "generated/$f:$n: edited by hand"; fi
contains refusal-says-untangle "$work/out" "make untangle"
contains refusal-says-checkout "$work/out" "git checkout generated/$f"
if mk all >"$work/out" 2>&1; then fail make-refuses-hand-edit "make accepted it"
else contains make-refuses-hand-edit "$work/out" "edited by hand"; fi
if cmp -s "generated/$f" "$work/edited"; then ok hand-edit-kept; else fail hand-edit-kept "overwritten"; fi

# ---- make untangle: the chapter changes, and a fresh tangle reproduces the edit
if mk untangle >"$work/out" 2>&1; then ok untangle-runs; else fail untangle-runs "$(head -5 "$work/out")"; fi
if sed -n "${cline}p" "$chap" | grep -qF '/* a hand edit */' &&
   sed -n "$((cline + 1))p" "$chap" | grep -qF '/* a line added by hand */'; then
	ok untangle-edits-chapter
else fail untangle-edits-chapter "$chap:$cline: $(sed -n "${cline},$((cline + 1))p" "$chap")"; fi
rm -rf build/fresh-check && mkdir -p build/fresh-check
/usr/lib/noweb/markup -t chapters/*.nw | build/tools/lgtangle --generated build/fresh-check
if diff -r generated build/fresh-check >"$work/diff"; then ok fresh-tangle-reproduces-edit
else fail fresh-tangle-reproduces-edit "$(head -10 "$work/diff")"; fi
if mk tale-check >"$work/out" 2>&1; then ok tale-check-after-untangle
else fail tale-check-after-untangle "$(tail -5 "$work/out")"; fi
if mk tangle >"$work/out" 2>&1; then ok tangle-after-untangle; else fail tangle-after-untangle "$(head -3 "$work/out")"; fi

# ---- a chapter edited since the last tangle (a line added above): the edit
# is found again where the line now stands
sed -i '1a\\' "$chap"
sed -i "${n}s|\$| /* again */|" "generated/$f"
if mk untangle >"$work/out" 2>&1 &&
   sed -n "$((cline + 1))p" "$chap" | grep -qF '/* a hand edit */ /* again */'; then
	ok untangle-follows-moved-chapter
else fail untangle-follows-moved-chapter "$(head -3 "$work/out")"; fi

# ---- an edit of a step's prose in its comment goes to the chapter's prose;
# removing a line of it is refused with its line, and changes nothing
t=$(awk 'NR == FNR { map[FNR] = $0; next } { split(map[FNR], m, " ") }
	m[3] == "t" && /^[ \t]*\/\*[A-Z]:[0-9][0-9][0-9] / { print FNR; exit }' \
	"build/tangled/$f.lines" "generated/$f")
if [ -n "$t" ]; then
	tloc=$(sed -n "${t}p" "build/tangled/$f.lines" | cut -d' ' -f1)
	sed -i "${t}s|^\([[:space:]]*/\*[A-Z]:[0-9][0-9][0-9]\) |\1 Edited: |" "generated/$f"
	if mk untangle >"$work/out" 2>&1 &&
	   sed -n "${tloc##*:}p" "${tloc%:*}" | grep -q '^@ [A-Z]:[0-9]* Edited: '; then
		ok untangle-carries-prose
	else fail untangle-carries-prose "$(head -3 "$work/out")"; fi
	if mk tale-check >"$work/out" 2>&1; then ok tale-check-after-prose-untangle
	else fail tale-check-after-prose-untangle "$(tail -5 "$work/out")"; fi
	cp -r chapters "$work/before"
	sed -i "${t}d" "generated/$f"
	if mk untangle >"$work/out" 2>&1; then fail untangle-refuses-prose-line "accepted"
	else contains untangle-refuses-prose-line "$work/out" "generated/$f:$t: the edit touches the tale's prose"; fi
	if diff -r "$work/before" chapters >/dev/null; then ok refused-untangle-changes-nothing
	else fail refused-untangle-changes-nothing "a chapter changed"; fi
	git checkout -q -- "generated/$f" 2>/dev/null || mk tangle >/dev/null 2>&1 ||
		cp "build/tangled/$f" "generated/$f"
else skip untangle-carries-prose "generated/$f has no tale comment"; fi

# ---- an edit of one use of a chunk used twice is refused, and changes nothing
read -r uf un < <(cd build/tangled && find . -name '*.lines' | sort | xargs awk '
	{ split($0, m, " ") } m[3] == "c" && !(m[1] in seen) { seen[m[1]] = FILENAME " " FNR; next }
	m[3] == "c" { print seen[m[1]]; exit }')
uf=${uf#./}; uf=${uf%.lines}
if [ -n "$uf" ] && cp -r chapters "$work/before2"; then
	sed -i "${un}s|\$| /* one use only */|" "generated/$uf"
	if mk untangle >"$work/out" 2>&1; then fail untangle-refuses-one-use "accepted"
	else contains untangle-refuses-one-use "$work/out" "the other uses of a chunk used more than once"; fi
	if diff -r "$work/before2" chapters >/dev/null; then ok refused-one-use-changes-nothing
	else fail refused-one-use-changes-nothing "a chapter changed"; fi
	sed -i "${un}s| /\* one use only \*/\$||" "generated/$uf"
else skip untangle-refuses-one-use "no chunk is used twice"; fi

# ---- what git wrote (a merge, a checkout) is no hand edit; a hand edit is one
cp "$work/before/"*.nw chapters/ 2>/dev/null
git() { command git -c user.name=test -c user.email=test@invalid "$@"; }
if command -v git >/dev/null && git init -q . && git add -A . && git commit -qm base; then
	mk tangle >/dev/null 2>&1
	git add -A . && git commit -qm tangled >/dev/null 2>&1
	sed -i "${n}s|\$| /* from a merge */|" "generated/$f"
	git commit -qam "a merge that brought generated/$f"
	if mk tangle >"$work/out" 2>&1; then ok git-written-file-not-hand-edit
	else fail git-written-file-not-hand-edit "$(head -2 "$work/out")"; fi
	# a file no chapter makes, and git does not know, was made by hand: never deleted
	echo '/* made by hand */' >generated/lib/stray.c
	if mk tangle >"$work/out" 2>&1; then fail tangle-keeps-stray-file "make tangle accepted it"
	else contains tangle-keeps-stray-file "$work/out" "generated/lib/stray.c:1: edited by hand since \`make tangle\` wrote it; make tangle would remove it"; fi
	expect stray-file-still-there test -f generated/lib/stray.c
	rm -f generated/lib/stray.c
	sed -i "${n}s|\$| /* by hand */|" "generated/$f"
	rm -rf build/tangled        # as after make clean: git alone decides
	if mk tangle >"$work/out" 2>&1; then fail guard-without-record "accepted a hand edit"
	else contains guard-without-record "$work/out" "generated/$f:1: edited by hand"; fi
	# a merge that leaves generated/ in conflict: the tangle resolves it
	git checkout -q -- . && mk tangle >/dev/null 2>&1 && git add -A . && git commit -qm clean >/dev/null 2>&1
	here=$(git symbolic-ref --short HEAD)
	git checkout -qb other && sed -i "${n}s|\$| /* theirs */|" "generated/$f" && git commit -qam theirs
	git checkout -q "$here" && sed -i "${n}s|\$| /* ours */|" "generated/$f" && git commit -qam ours
	if git merge -q other >/dev/null 2>&1; then skip tangle-resolves-conflict "the merge did not conflict"
	elif mk tangle >"$work/out" 2>&1 && ! grep -q '<<<<<<<\|/\* theirs \*/\|/\* ours \*/' "generated/$f"; then
		ok tangle-resolves-conflict
	else fail tangle-resolves-conflict "$(head -2 "$work/out")"; fi
else skip git-written-file-not-hand-edit "git cannot make a repository here"; fi
exit 0
