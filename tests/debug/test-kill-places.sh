#!/bin/bash
# Kill reasons in chapter terms (chapter 37, L:782): a hostile Guest killed
# for a fault gets its rip's step and chapter line, the same line explain
# finds through addr2line, and the line of the hostile code's own copy; a
# Guest image the table was not made from gets no name at all.
cd "$(dirname "$0")/../.." || exit 0
source tests/lib.sh
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

needs_machine kill-places || exit 0
if [ ! -f build/places ] || ! make --no-print-directory -s build/tools/explain >/dev/null 2>&1; then
	fail kill-places "build/places or build/tools/explain missing (run make)"; exit 0
fi

# Hostile mode 2 writes to address 0: a page fault, killed at that store.
timeout 60 build/lguest -- hostile=2 </dev/null >/dev/null 2>"$OUT/err"
line=$(grep 'guest killed:' "$OUT/err")
rip=$(echo "$line" | grep -o 'at rip 0x[0-9a-f]*' | cut -d' ' -f3)
place=$(echo "$line" | sed -n 's/.*(\([A-Z]:[0-9]\{3\}, chapters\/[^)]*\))$/\1/p')
if [ -z "$rip" ] || [ -z "$place" ]; then
	fail kill-places-named "no rip or no place in: $line"; exit 0
fi
ok kill-places-named
# The same address through explain (addr2line and the maps): the same line.
if [ "$(build/tools/explain build/guest.elf "$rip" | head -1)" = "${place#*, }" ]; then
	ok kill-places-agree-with-explain
else fail kill-places-agree-with-explain "$place vs $(build/tools/explain build/guest.elf "$rip" | head -1)"; fi
# And it is the chapter line of the hostile store itself, read from the copy.
copy=build/src/guest/hostile.c
n=$(awk '/case 2:/ { getline; print NR; exit }' "$copy")
want=$(sed -n "${n}p" "$copy.lines" | cut -d' ' -f1)
if [ "${place#*, }" = "$want" ]; then ok kill-places-hostile-line
else fail kill-places-hostile-line "named ${place#*, }, the store is at $want"; fi

# An image the table does not describe (one byte longer) is not named.
cp build/guest.elf "$OUT/other.elf" && printf 'x' >>"$OUT/other.elf"
timeout 60 build/lguest "$OUT/other.elf" hostile=2 </dev/null >/dev/null 2>"$OUT/err2"
line=$(grep 'guest killed:' "$OUT/err2")
if [ -n "$line" ] && ! echo "$line" | grep -q 'chapters/'; then ok kill-places-other-image
else fail kill-places-other-image "'$line'"; fi
exit 0
