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
		${FRONT+FRONT="$FRONT"} ${BACK+BACK="$BACK"} \
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

# browser_checks NAME DIR TESTS...: load the book's pages in Chromium, in
# an iframe of a page of ours that measures them, and print ok/FAIL lines.
# Each test is "kind:TEST:args" (see the checks in the page below).
browser_checks() {
	local name=$1 dir=$2; shift 2
	local tests=$(printf '"%s",' "$@")
	cat >"$TMP/check-$name.html" <<EOF
<!DOCTYPE html><html><body style="margin:0"><iframe id="f" style="border:0;height:900px"></iframe>
<pre id="out"></pre><script>
var out = document.getElementById('out'), f = document.getElementById('f');
var B = 'file://$dir/', tests = [$tests], i = 0;
function say(s) { out.textContent += s + '\n'; }
function visit(url, width, then) {
  f.style.width = width + 'px';
  f.onload = function () { setTimeout(function () { then(f.contentWindow, f.contentDocument); }, 400); };
  f.src = B + url;
}
function next() {
  if (i >= tests.length) { say('DONE'); return; }
  var t = tests[i++].split(':'), kind = t[0];
  try { checks[kind].apply(null, t.slice(1)); } catch (e) { say('FAIL ' + t[1] + ': ' + e); next(); }
}
function result(test, good, why) { say((good ? 'ok ' : 'FAIL ') + test + (good ? '' : ': ' + why)); next(); }
var checks = {
  // search:TEST:WORDS:PAGE  the results for WORDS link into PAGE
  search: function (test, words, page) {
    visit('index.html?q=' + words, 1280, function (w, d) {
      var tries = 0;
      (function poll() {
        var links = d.querySelectorAll('#results a');
        if (!links.length && tries++ < 200) return setTimeout(poll, 250);
        var hit = Array.prototype.some.call(links, function (a) { return a.getAttribute('href').indexOf(page) === 0; });
        result(test, hit, links.length + ' results for ' + words + ', none in ' + page);
      })();
    });
  },
  // fits:TEST:PAGE:WIDTH  every figure of PAGE is inside the text at WIDTH px
  fits: function (test, page, width) {
    visit(page, +width, function (w, d) {
      var main = d.querySelector('main'), bad = [];
      var figs = d.querySelectorAll('figure.diagram svg');
      figs.forEach(function (svg, k) {
        var r = svg.getBoundingClientRect(), m = main.getBoundingClientRect();
        if (r.left < m.left - 1 || r.right > m.right + 1) bad.push('figure ' + (k + 1) + ' ' + Math.round(r.width) + 'px in ' + Math.round(m.width) + 'px');
      });
      if (d.documentElement.scrollWidth > +width + 1) bad.push('page scrolls sideways: ' + d.documentElement.scrollWidth + 'px');
      result(test, figs.length && !bad.length, figs.length ? bad.join(', ') : 'no figures');
    });
  },
  // lands:TEST:PAGE  the first step reference in PAGE's prose takes the
  // reader to that step, at the top of the window, below the bar
  lands: function (test, page) {
    visit(page, 1280, function (w, d) {
      var a = Array.prototype.filter.call(d.querySelectorAll('main p a.xref'), function (a) {
        return /#[A-Z]:[0-9]{3}$/.test(a.getAttribute('href'));
      })[0];
      if (!a) return result(test, false, 'no step reference in ' + page);
      var href = a.getAttribute('href'), id = decodeURIComponent(href.split('#')[1]);
      // (a query, so that a link within the page loads it afresh)
      visit((href[0] === '#' ? page : href.split('#')[0]) + '?land#' + href.split('#')[1], 1280, function (w, d) {
        var el = d.getElementById(id), top = el ? el.getBoundingClientRect().top : -1;
        var bar = d.querySelector('.bar').getBoundingClientRect().bottom;
        result(test, el && top >= bar - 1 && top < 250, href + ': step at ' + Math.round(top) + 'px, bar ends at ' + Math.round(bar) + 'px');
      });
    });
  },
  // prog:TEST:PAGE:NAME:PREFIX  NAME in PAGE's code links to a page PREFIX*
  prog: function (test, page, name, prefix) {
    visit(page, 1280, function (w, d) {
      var links = Array.prototype.filter.call(d.querySelectorAll('pre a.id'), function (a) { return a.textContent === name; });
      var bad = links.filter(function (a) { var h = a.getAttribute('href'); return h[0] !== '#' && h.indexOf(prefix) !== 0; });
      result(test, links.length && !bad.length, links.length ? bad.length + ' of ' + links.length + ' go to ' + (bad[0] && bad[0].getAttribute('href')) : 'no link on ' + name);
    });
  }
};
next();
</script></body></html>
EOF
	browse --allow-file-access-from-files --virtual-time-budget=400000 --dump-dom \
		"file://$TMP/check-$name.html" | sed -n '/<pre id="out">/,/DONE/p' |
		sed 's/^.*<pre id="out">//; /DONE/d; s/&gt;/>/g; s/&lt;/</g; s/&quot;/"/g; s/&amp;/\&/g' >"$TMP/browser-$name.txt"
	if [ "$(grep -c -E '^(ok|FAIL) ' "$TMP/browser-$name.txt")" -ne $# ]; then
		fail "$name-browser" "Chromium did not finish the checks: $(head -c 300 "$TMP/browser-$name.txt")"
	fi
	grep -E '^(ok|FAIL) ' "$TMP/browser-$name.txt" | sed -E "s/^(ok|FAIL) /\1 $name-/"
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
if t=$(FRONT=$FIX/front/preface.md BACK=$FIX/back/glossary.md weave fix $FIX/*.nw); then
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
check fixture-diagram "$H/00-preparation.html" '<figure class="diagram"' "the dot block did not become a figure"
check fixture-diagram-svg "$H/00-preparation.html" '<svg role="img"' "the dot block did not become an inline SVG"
check fixture-figure-number "$H/00-preparation.html" '<strong>Figure 1.1.</strong>' "the figure is not numbered"
check fixture-figure-ref "$H/10-guest.html" 'href="00-preparation.html#fig:arch" class="xref">Figure.1\.1<' "@fig:arch is not a link to Figure 1.1"
check fixture-step-ref "$H/10-guest.html" '\(<a href="00-preparation.html#P:110" class="xref">P:110</a>\)' "(P:110) in prose is not a link to its step"
check fixture-step-ref-code "$H/10-guest.html" '<code>G:120</code>.*G:1200 and xG:120' "a marker in code, or inside a longer word, became a link"
check fixture-step-ref-code-block "$H/10-guest.html" '<code>\$ explain G:120</code>' "a marker in an indented code block became a link"
check fixture-step-ref-list "$H/10-guest.html" 'names <a href="#G:110" class="xref">G:110</a> as a link' "a marker in a list item's second paragraph is not a link"
check fixture-step-ref-emph "$H/10-guest.html" '<em><a href="#G:100" class="xref">G:100</a></em>' "*G:100* in prose is not a link"
check fixture-title-ref "$H/10-guest.html" 'href="00-preparation.html#ch-00-preparation" class="xref"><em>Preparation</em>' "*Preparation* is not a link to the chapter"
check fixture-chapter-number "$H/10-guest.html" '<span class="chapter-number">2</span> The Guest' "chapter 2 is not numbered"
check fixture-concept-anchor "$H/10-guest.html" 'id="idx-10-guest-1" class="idx"' "the concept span has no anchor"
check fixture-concept-index "$H/identifiers.html" '<a href="10-guest.html#idx-10-guest-1">' "the concept index does not link 'Killing a Guest'"
check fixture-front-matter "$H/preface.html" 'href="10-guest.html#G:110" class="xref"' "the preface is not woven with its links"
check fixture-front-nav "$H/preface.html" 'class="next" href="00-preparation.html"' "the preface does not lead to the first chapter"
check fixture-back-nav "$H/glossary.html" 'class="prev" href="10-guest.html"' "the glossary does not follow the last chapter"
check fixture-search-data "$H/search-data.js" '"p":"10-guest.html","i":"G:110"' "search-data.js has no record of step G:110"
if sed 's/<code>[^<]*<\/code>//g' "$H/index.html" | grep -q '`'; then
	fail fixture-toc-backticks "raw backticks in the contents"
else
	ok fixture-toc-backticks
fi

if [ -z "$CHROMIUM" ]; then
	skip fixture-links "chromium is not installed (make deps installs it)"
	skip fixture-screenshots "chromium is not installed"
else
	check_links fixture "$H"
	browser_checks fixture "$H" search:search-function:window_ok:10-guest.html \
		search:search-concept:purpose:10-guest.html fits:figure-fits-1280:00-preparation.html:1280 \
		fits:figure-fits-390:00-preparation.html:390 lands:step-ref-lands:10-guest.html
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
	            "Identifiers" "kill_guest" "Code chunks" "G:110" "Figure 1.1" \
	            "Concepts" "Preface" "Glossary"; do
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
	if grep -qE '\(P:110 p\. ?[0-9]+\)' "$TMP/fix.txt" && grep -qE 'Figure 1\.1 p\. ?[0-9]+' "$TMP/fix.txt"; then
		ok fixture-pdf-ref-pages
	else
		fail fixture-pdf-ref-pages "no '(P:110 p. N)' or 'Figure 1.1 p. N' in the PDF"
	fi
	if grep -q 'hyperlink{P:110}{P:110}' "$TMP/fix/build/pdf/lguest.tex"; then
		ok fixture-pdf-ref-links
	else
		fail fixture-pdf-ref-links "P:110 is not a hyperlink in the LaTeX"
	fi
	# The pages after the index's first carry the index's header.
	last=$(pdftotext -f "$pages" -l "$pages" "$PDF" - | head -3 | tr '\n' ' ')
	case $last in
	*Index*) ok fixture-pdf-index-header ;;
	*) fail fixture-pdf-index-header "the last page's header is not the index's: $last" ;;
	esac
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
# Figures as wide as the text block at most, in HTML and in the PDF.
wide=$(grep -h -E '^(book.lua|lgweave): .* is too wide' "$TMP/real.log" "$TMP/real/build/pdf/lguest.log" 2>/dev/null |
	sed 's/^book.lua: //; s/^lgweave: /PDF: /')
if [ -n "$wide" ]; then
	echo "$wide" | sed 's/^/  /'
	fail real-figures-fit "$(echo "$wide" | wc -l) figures are wider than the text block"
else
	ok real-figures-fit
fi
# Nothing runs off the printed page: lgweave wraps long code lines at a
# space; weave/tex-width.sh measures what is left in the woven LaTeX, and
# weave/check-width.sh lists the chapter lines that wrap.
if off=$(weave/tex-width.sh "$TMP/real/build/pdf/lguest.tex"); then
	ok real-code-fits-page "$(weave/check-width.sh $CHAPTERS | wc -l) chapter lines wrap"
else
	echo "$off" | head -5 | sed 's/^/  /'
	fail real-code-fits-page "$(echo "$off" | wc -l) code lines still run into the margin"
fi
wrong=$(tests/book/program-links.sh "$TMP/real/build/idx" "$TMP/real/build/md"/*.md)
case $wrong in
0\ of*) ok real-program-links "$wrong links in code go to another program" ;;
*) fail real-program-links "$wrong links in code go to another program's definition" ;;
esac
wrong=$(VERBOSE=1 tests/book/index-programs.sh "$TMP/real/build/idx" "$TMP/real/build/idx/identifiers.md")
case $wrong in
0*) ok real-index-programs ;;
*) fail real-index-programs "index entries with another program's uses: $wrong" ;;
esac
if [ -n "$CHROMIUM" ]; then
	check_links real "$TMP/real/html"
	browser_checks real "$TMP/real/html" search:search-function:vq_alloc:20-drivers.html \
		search:search-concept:shadow+page+tables:41-host-paging.html \
		fits:figure-fits-1280:20-drivers.html:1280 fits:figure-fits-390:20-drivers.html:390 \
		lands:step-ref-lands:20-drivers.html prog:host-ident-in-host:40-host.html:kill_guest:4
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
