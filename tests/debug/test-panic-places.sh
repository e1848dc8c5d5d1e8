#!/bin/bash
# A Host panic on the console names its rip's step and chapter line
# (chapter 37, L:792); an ordinary console line that merely mentions a rip
# passes untouched.  The Launcher's UART and places.c alone (panic-test.c):
# a real Host panic needs a Host bug.
cd "$(dirname "$0")/../.." || exit 0
source tests/lib.sh
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
src=$(tangled_src launcher/places.c) || { fail panic-places "launcher/places.c not tangled"; exit 0; }

if [ ! -f build/places ] || [ ! -f build/host.elf ] ||
   ! make --no-print-directory -s build/tools/explain >/dev/null 2>&1; then
	fail panic-places "build/places, build/host.elf or explain missing (run make)"; exit 0
fi
if ! gcc -O2 -Wall -I"$src/include" -I"$src/launcher" -o "$OUT/panic-test" tests/debug/panic-test.c \
	"$src/launcher/io.c" "$src/launcher/serial.c" "$src/launcher/places.c" 2>"$OUT/cc"; then
	fail panic-places "cannot build panic-test.c: $(head -3 "$OUT/cc")"; exit 0
fi
cp build/places "$OUT/places"
addr=0x$(nm build/host.elf | awk '$3 == "host_main" { print $1 }')
want=$(build/tools/explain build/host.elf "$addr" | head -1)
"$OUT/panic-test" build/host.elf build/guest.elf "$addr" >"$OUT/console"
if grep -q "^lguest: host panic: .*at rip $addr, error code 0x0 (H:[0-9]\{3\}, $want)\$" "$OUT/console"; then
	ok panic-places-named
else fail panic-places-named "want '$want' in: $(tail -1 "$OUT/console")"; fi
if grep -qx "an ordinary line at rip $addr" "$OUT/console"; then ok panic-places-other-lines-untouched
else fail panic-places-other-lines-untouched "$(head -1 "$OUT/console")"; fi
exit 0
