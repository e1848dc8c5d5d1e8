#!/bin/bash
# make explain / build/tools/explain: from a place in the code to its story.
# Every expectation is read from the chapters, the copies or the ELF images
# themselves, never typed in.
cd "$(dirname "$0")/../.." || exit 0
source tests/lib.sh
EXPLAIN=build/tools/explain
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

if ! make --no-print-directory -s tangle "$EXPLAIN" >"$OUT/make" 2>&1; then
	fail explain-build "$(tail -n 3 "$OUT/make")"; exit 0
fi

# text_at FILE:LINE: that line, without leading and trailing blanks.
text_at() { sed -n "${1##*:}p" "${1%:*}" | sed 's/^[[:space:]]*//; s/[[:space:]]*$//'; }

# A chapter line inside the first code chunk after a marker names that marker.
ch=chapters/41-host-paging.nw
mark=$(grep -n -m1 '^@ H:[0-9]\{3\} ' "$ch")
mline=${mark%%:*}; marker=$(echo "${mark#*:}" | cut -d' ' -f2)
def=$(awk -v m="$mline" 'NR > m && /^<<.*>>=$/ { print NR; exit }' "$ch")
"$EXPLAIN" "$ch:$((def + 1))" >"$OUT/ch" 2>&1
if grep -q "^  step   $marker " "$OUT/ch" && grep -qF "chunk  $(sed -n "${def}p" "$ch" | sed 's/=$//')" "$OUT/ch" &&
   grep -qF "$(sed -n "$((mline + 1))p" "$ch" | cut -c1-40)" "$OUT/ch"; then
	ok explain-chapter-line
else fail explain-chapter-line "$ch:$((def + 1)) should be $marker's: $(head -4 "$OUT/ch" | tr '\n' '|')"; fi

# A line of a compiler's copy leads to a chapter line holding the same text.
copy=build/src/host/main.c
n=$(grep -n -m1 'host_main(' "$copy" | cut -d: -f1)
"$EXPLAIN" "$copy:$n" >"$OUT/copy" 2>&1
where=$(head -1 "$OUT/copy")
if [ -f "${where%:*}" ] && [ "$(text_at "$where")" = "$(text_at "$copy:$n")" ]; then
	ok explain-build-src-line
else fail explain-build-src-line "$copy:$n -> '$where': '$(text_at "$where" 2>/dev/null)'"; fi

# A line of generated/ (between the tale's comments) leads there too.
gen=generated/host/main.c
n=$(grep -n -m1 'host_main(' "$gen" | cut -d: -f1)
"$EXPLAIN" "$gen:$n" >"$OUT/gen" 2>&1
where=$(head -1 "$OUT/gen")
if [ -f "${where%:*}" ] && [ "$(text_at "$where")" = "$(text_at "$gen:$n")" ]; then
	ok explain-generated-line
else fail explain-generated-line "$gen:$n -> '$where'"; fi
# ... and a line of the tale itself is not code, and says so.
n=$(grep -n -m1 '^/\*H:[0-9]' "$gen" | cut -d: -f1)
if "$EXPLAIN" "$gen:$n" >"$OUT/tale" 2>&1; then fail explain-tale-line "exit 0 for a comment line"
else contains explain-tale-line "$OUT/tale" "$gen:$n: not a code line"; fi

# A function's name: its definition's chapter line.
"$EXPLAIN" host_main >"$OUT/fn" 2>&1
where=$(head -1 "$OUT/fn")
if [ -f "${where%:*}" ] && text_at "$where" | grep -q 'host_main('; then ok explain-function
else fail explain-function "host_main -> '$where'"; fi

# A chunk's name, as words (make explain WHERE="a b c").
name=$(grep -h -m1 '^<<[a-z][^/]*>>=$' chapters/42-host-interrupts.nw | sed 's/^<<//; s/>>=$//')
make --no-print-directory -s explain WHERE="$name" >"$OUT/chunk" 2>&1
contains explain-chunk-name "$OUT/chunk" "chunk  <<$name>>"

# An address in an ELF image, through its DWARF line and the copy's map.
if [ -f build/host.elf ] && command -v addr2line >/dev/null; then
	addr=0x$(nm build/host.elf | awk '$3 == "host_main" { print $1 }')
	"$EXPLAIN" build/host.elf "$addr" >"$OUT/addr" 2>&1
	where=$(head -1 "$OUT/addr")
	if [[ $where == chapters/4*.nw:* ]] && grep -q '^  step   .*H:[0-9]' "$OUT/addr" &&
	   grep -q 'function host_main' "$OUT/addr"; then ok explain-address
	else fail explain-address "host.elf $addr -> $(head -3 "$OUT/addr" | tr '\n' '|')"; fi
	# The filter: a line naming a Guest rip gains its chapter place.
	gaddr=0x$(nm build/guest.elf | awk '$3 == "guest_main" || $3 == "main" { print $1; exit }')
	echo "lguest: killed: at rip $gaddr" | "$EXPLAIN" --annotate build/host.elf build/guest.elf >"$OUT/ann"
	if grep -q "at rip $gaddr (G:[0-9]\{3\}, chapters/1[0-9]-guest[a-z-]*.nw:[0-9]*)" "$OUT/ann"; then
		ok explain-annotate
	else fail explain-annotate "$(cat "$OUT/ann")"; fi
else
	skip explain-address "build/host.elf or addr2line missing (make; make deps)"
fi

# Mistakes are reported by place, with a non-zero status.
if "$EXPLAIN" "$ch:999999" >"$OUT/bad" 2>&1; then fail explain-bad-line "exit 0"
else contains explain-bad-line "$OUT/bad" "$ch:999999: no such line"; fi
if "$EXPLAIN" no_such_function_anywhere >"$OUT/none" 2>&1; then fail explain-unknown-name "exit 0"
else contains explain-unknown-name "$OUT/none" "no function or chunk named"; fi
exit 0
