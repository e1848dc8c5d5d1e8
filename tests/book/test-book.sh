#!/bin/bash
# test-book.sh: the woven book, checked in a real browser and as a PDF.
#
# Weaves the fixture book (tests/book/fixtures/) and the real book into
# temporary directories, then checks: every internal link and anchor
# resolves in the DOM Chromium builds; nothing is loaded from the network;
# markers, chunk names, uses, continuations and the identifier index are
# there; diagrams render; screenshots are taken (kept in build/test-book/
# for people to look at); the PDF has its pages, text and index; and a
# prose-only or code-only change rebuilds only what it should.
# Prints ok/FAIL/skip lines and always exits 0.

cd "$(dirname "$0")/../.." || exit 0
ROOT=$PWD
FIX=tests/book/fixtures
OUT=$ROOT/build/test-book
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$OUT"

ok()   { echo "ok $1${2:+ ($2)}"; }
fail() { echo "FAIL $1: $2"; }
skip() { echo "skip $1: $2"; }

have() { command -v "$1" >/dev/null 2>&1; }
for tool in pandoc dot /usr/lib/noweb/markup; do
	if ! have "$tool" && [ ! -x "$tool" ]; then
		skip book "$tool is not installed (make deps installs it)"
		exit 0
	fi
done

# weave NAME CHAPTERS...: make book into $TMP/NAME; prints the seconds taken.
weave() {
	local name=$1; shift
	local t0=$(date +%s.%N)
	make --no-print-directory -s book CHAPTERS="$*" WEAVE_DIR="$TMP/$name/build" \
		BOOK_HTML="$TMP/$name/html" BOOK_PDF="$TMP/$name/lguest.pdf" \
		>"$TMP/$name.log" 2>&1 || return 1
	echo "$(date +%s.%N) $t0" | awk '{ printf "%.1f s", $1 - $2 }'
}

CHROMIUM=$(command -v chromium || command -v chromium-browser)
browse() {       # browse ARGS... URL: headless Chromium, no network, no profile
	"$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$(mktemp -d -p "$TMP")" "$@" 2>/dev/null
}

# check_links NAME DIR: dump each page's DOM with Chromium, then check that
# every href to a page of the book names a page that exists and an id in it.
check_links() {
	local name=$1 dir=$2 bad=0 n=0 page
	mkdir -p "$TMP/dom-$name"
	for page in "$dir"/*.html; do
		browse --dump-dom "file://$page" >"$TMP/dom-$name/$(basename "$page")"
		if ! grep -q '</html>' "$TMP/dom-$name/$(basename "$page")"; then
			fail "$name-links" "Chromium could not render $(basename "$page")"
			return
		fi
	done
	for page in "$TMP/dom-$name"/*.html; do
		grep -o ' id="[^"]*"' "$page" | sed 's/^ id="//; s/"$//' | sort -u >"$page.ids"
	done
	while read -r page link; do
		n=$((n + 1))
		local file=${link%%#*} frag=
		[[ $link == *#* ]] && frag=${link#*#}
		[ -z "$file" ] && file=$(basename "$page")
		if [ ! -f "$dir/$file" ]; then
			echo "  $(basename "$page"): $link: no page $file"; bad=$((bad + 1))
		elif [ -n "$frag" ] && ! grep -qxF -- "$frag" "$TMP/dom-$name/$file.ids"; then
			echo "  $(basename "$page"): $link: no id $frag in $file"; bad=$((bad + 1))
		fi
	done < <(for page in "$TMP/dom-$name"/*.html; do
		grep -o ' href="[^"]*"' "$page" | sed 's/^ href="//; s/"$//' |
		grep -v -E '^[a-z]+:' | sed "s|^|$page |"
	done) >"$TMP/links-$name.txt"
	if [ "$bad" -gt 0 ]; then
		head -20 "$TMP/links-$name.txt"
		fail "$name-links" "$bad of $n internal links do not resolve"
	elif [ "$n" -lt 10 ]; then
		fail "$name-links" "only $n internal links found"
	else
		ok "$name-links" "$n internal links resolve"
	fi
	# Offline: nothing the pages load may come from the network.
	local remote
	remote=$(grep -h -o -E '<(link|script|img|iframe|source)[^>]*(src|href)="(https?:)?//[^"]*"' \
		"$TMP/dom-$name"/*.html "$dir/book.css" | head -3)
	remote+=$(grep -o -E 'url\((https?:)?//[^)]*\)|@import' "$dir/book.css" | head -3)
	if [ -n "$remote" ]; then
		fail "$name-offline" "loads from the network: $remote"
	else
		ok "$name-offline"
	fi
}

# nonblank PNG: at least 1% of the pixels of a page rendering are not white.
pdf_page_nonblank() {
	pdftoppm -f "$2" -l "$2" -r 30 -gray "$1" "$TMP/pg" || return 1
	local pgm=$(ls "$TMP"/pg*.pgm | head -1)
	local dark=$(tail -c +16 "$pgm" | od -An -v -tu1 | tr -s ' ' '\n' | awk '$1 != "" && $1 < 200' | wc -l)
	rm -f "$TMP"/pg*.pgm
	[ "$dark" -gt 100 ]
}

# -------------------------------------------------------------- fixtures
if t=$(weave fix $FIX/*.nw); then
	ok fixture-build "$t"
else
	fail fixture-build "make book failed: $(tail -5 "$TMP/fix.log")"
	exit 0
fi
H=$TMP/fix/html

# Markers are anchors; chunks have names, permalinks, uses and continuations.
check() {        # check NAME FILE PATTERN WHAT
	if grep -q -E -- "$3" "$2"; then ok "$1"; else fail "$1" "$4"; fi
}
check fixture-marker-anchor "$H/10-guest.html" 'id="G:110"' "marker G:110 has no anchor"
check fixture-marker-shown "$H/10-guest.html" 'class="marker">G:110<' "marker G:110 is not shown"
check fixture-chunk-name "$H/10-guest.html" 'id="c-guest-globals".*' "chunk <<Guest globals>> has no anchor"
check fixture-chunk-permalink "$H/10-guest.html" 'class="self" href="#c-guest-globals-2"' "continued chunk has no permalink"
check fixture-use-links "$H/00-preparation.html" 'class="use" href="#c-abi-fixed-width-types"' "a use does not link to its definition"
check fixture-used-in "$H/00-preparation.html" 'Used in <a class="ref" href="#c-include-fixture-h"' "a definition does not say where it is used"
check fixture-continued-in "$H/00-preparation.html" 'Continued in <a href="10-guest.html#c-abi-ports-and-struct-window-2"' "a definition does not say where it continues (across chapters)"
check fixture-continues "$H/10-guest.html" 'Continues <a class="ref" href="00-preparation.html#c-abi-ports-and-struct-window"' "a continuation does not link back"
check fixture-code-ident-link "$H/10-guest.html" 'href="#c-the-function-that-kills-a-guest"[^>]*>kill_guest<' "an identifier in code does not link to its definition"
check fixture-highlight "$H/10-guest.html" '<span class="kw">return</span>' "no C syntax highlighting"
missing=
for id in kill_guest window_ok guest_ticks reasons FX_PORT_EXIT FX_PORT_KILL window u64 main; do
	grep -q "id=\"i-$id\"" "$H/identifiers.html" || missing+=" $id"
done
if [ -z "$missing" ]; then ok fixture-identifier-index; else fail fixture-identifier-index "missing:$missing"; fi
check fixture-identifier-uses "$H/identifiers.html" 'id="i-kill_guest".*' "kill_guest is not in the index"
if grep -A2 'id="i-kill_guest"' "$H/identifiers.html" | grep -q 'used in <a href="10-guest.html#c-guest-main-c"'; then
	ok fixture-identifier-used-in
else
	fail fixture-identifier-used-in "the index does not list where kill_guest is used"
fi
for page in index 00-preparation 10-guest identifiers; do
	grep -q '<nav class="side"' "$H/$page.html" || fail fixture-toc "$page.html has no contents"
done
check fixture-toc "$H/index.html" 'href="10-guest.html#G:120"' "the contents do not list the steps"
check fixture-prev-next "$H/10-guest.html" 'class="prev" href="00-preparation.html"' "no previous/next navigation"
check fixture-diagram "$H/00-preparation.html" '<figure class="diagram">' "the dot block did not become a figure"
check fixture-diagram-svg "$H/00-preparation.html" '<svg role="img"' "the dot block did not become an inline SVG"

if [ -z "$CHROMIUM" ]; then
	skip fixture-links "chromium is not installed (make deps installs it)"
	skip fixture-screenshots "chromium is not installed"
else
	check_links fixture "$H"
	shots=0
	for spec in index:1280,900 10-guest:1280,1100 10-guest-phone:500,900; do
		name=${spec%%:*} page=${name%-phone}
		browse --window-size="${spec#*:}" --hide-scrollbars \
			--screenshot="$OUT/fixture-$name.png" "file://$H/$page.html" >/dev/null
		size=$(stat -c %s "$OUT/fixture-$name.png" 2>/dev/null || echo 0)
		[ "$size" -gt 15000 ] && shots=$((shots + 1))
	done
	if [ "$shots" = 3 ]; then
		ok fixture-screenshots "build/test-book/fixture-*.png"
	else
		fail fixture-screenshots "$((3 - shots)) screenshots are missing or blank"
	fi
fi

PDF=$TMP/fix/lguest.pdf
if ! have xelatex || ! have pdftotext; then
	skip fixture-pdf "xelatex or pdftotext is not installed (make deps installs them)"
elif [ ! -s "$PDF" ]; then
	fail fixture-pdf "no PDF was made"
else
	pages=$(pdfinfo "$PDF" | awk '/^Pages:/ { print $2 }')
	pdftotext -layout "$PDF" "$TMP/fix.txt"
	missing=
	for text in "Contents" "Preparation" "The Guest" "Killing a Guest" "guest/main.c" \
	            "Used in" "Continued on p." "Defines" "as a fixture sees it" \
	            "Identifiers" "kill_guest" "Code chunks" "G:110"; do
		grep -qF "$text" "$TMP/fix.txt" || missing+=" '$text'"
	done
	if [ "$pages" -lt 5 ]; then
		fail fixture-pdf "only $pages pages"
	elif [ -n "$missing" ]; then
		fail fixture-pdf "text missing:$missing"
	else
		ok fixture-pdf "$pages pages"
	fi
	# Page numbers in cross-references: "Used in <include/fixture.h> p. N".
	if grep -qE 'Used in .*fixture\.h. p\. [0-9]+' "$TMP/fix.txt"; then
		ok fixture-pdf-page-refs
	else
		fail fixture-pdf-page-refs "no 'Used in <...> p. N' in the PDF"
	fi
	blank=
	for p in 1 3 $pages; do pdf_page_nonblank "$PDF" $p || blank+=" $p"; done
	pdftoppm -f 3 -l 3 -r 80 -png "$PDF" "$OUT/fixture-pdf"
	if [ -z "$blank" ]; then ok fixture-pdf-pages-render; else fail fixture-pdf-pages-render "blank pages:$blank"; fi
	if pdfimages -list "$PDF" 2>/dev/null | grep -q . || grep -q 'lgdiagram' "$TMP/fix/build/pdf/lguest.tex"; then
		ok fixture-pdf-diagram
	else
		fail fixture-pdf-diagram "the diagram is not in the PDF"
	fi
fi

# -------------------------------------------------------------- incremental builds
# A copy of the fixtures; change prose, then code, and see what make redoes.
cp -r $FIX "$TMP/inc"
weave inc "$TMP"/inc/*.nw >/dev/null
stamp() { stat -c %Y.%y "$TMP/inc/html/$1" 2>/dev/null; }
sleep 1
before=$(stamp 00-preparation.html)
sed -i 's/A global counter and a static table./A global counter, and a table of reasons./' "$TMP/inc/10-guest.nw"
weave inc "$TMP"/inc/*.nw >/dev/null
if [ "$(stamp 00-preparation.html)" = "$before" ] && grep -q 'table of reasons' "$TMP/inc/html/10-guest.html"; then
	ok fixture-prose-change-rebuilds-one-page
else
	fail fixture-prose-change-rebuilds-one-page "a prose change in 10-guest rebuilt 00-preparation.html, or did not rebuild 10-guest.html"
fi
sleep 1
sed -i 's/^\tguest_ticks++;/\tguest_ticks += 1;/' "$TMP/inc/10-guest.nw"
weave inc "$TMP"/inc/*.nw >/dev/null
if [ "$(stamp 00-preparation.html)" = "$before" ] && grep -q 'guest_ticks.*+= <span class="nu">1' "$TMP/inc/html/10-guest.html"; then
	ok fixture-code-change-rebuilds-one-page
else
	fail fixture-code-change-rebuilds-one-page "a code change in 10-guest rebuilt 00-preparation.html, or did not rebuild 10-guest.html"
fi
if make -n book CHAPTERS="$TMP/inc/10-guest.nw" WEAVE_DIR="$TMP/none" 2>&1 | grep -q -E 'lgtangle|build/src|build/lguest'; then
	fail book-needs-no-compile "make book would tangle or compile the program"
else
	ok book-needs-no-compile
fi

# -------------------------------------------------------------- the real book
CHAPTERS=$(ls chapters/*.nw 2>/dev/null | tr '\n' ' ')
if [ -z "$CHAPTERS" ]; then
	skip real-book "no chapters yet"
	exit 0
fi
if t=$(weave real $CHAPTERS); then
	ok real-build "HTML and PDF in $t"
else
	fail real-build "make book failed: $(tail -5 "$TMP/real.log")"
	exit 0
fi
if [ -n "$CHROMIUM" ]; then
	check_links real "$TMP/real/html"
	browse --window-size=1280,900 --hide-scrollbars --screenshot="$OUT/real-index.png" \
		"file://$TMP/real/html/index.html" >/dev/null
	first_code=$(grep -l 'class="chunk"' "$TMP"/real/html/[0-9]*.html | head -1)
	browse --window-size=1280,1400 --hide-scrollbars --screenshot="$OUT/real-chapter.png" \
		"file://$first_code" >/dev/null
	if [ -s "$OUT/real-index.png" ] && [ -s "$OUT/real-chapter.png" ]; then
		ok real-screenshots "build/test-book/real-*.png"
	else
		fail real-screenshots "no screenshot"
	fi
fi
if have pdftotext && [ -s "$TMP/real/lguest.pdf" ]; then
	pdftotext "$TMP/real/lguest.pdf" - | sed "s/’/'/g" >"$TMP/real.txt"
	missing=
	for f in $CHAPTERS; do
		title=$(head -1 "$f" | sed 's/^# *//')
		grep -qF "$title" "$TMP/real.txt" || missing+=" '$title'"
	done
	pages=$(pdfinfo "$TMP/real/lguest.pdf" | awk '/^Pages:/ { print $2 }')
	if [ -z "$missing" ] && pdf_page_nonblank "$TMP/real/lguest.pdf" 3; then
		ok real-pdf "$pages pages, every chapter title present"
	else
		fail real-pdf "chapter titles missing:$missing, or page 3 is blank"
	fi
fi
exit 0
