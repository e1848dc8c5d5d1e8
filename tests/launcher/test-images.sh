#!/usr/bin/env bash
# Bad images get a clean refusal (chapter 31, L:305 to L:475): exit status 1
# and a message naming the image and what is wrong with it, never a crashed
# Host, a killed Guest, a hang, or the host's memory eaten.  The hostile
# images are built here: the PVH fixture with its entry note pointing
# elsewhere, a Guest stub linked where it must not go, truncated copies, a
# gzip bomb (tests/launcher/gzbomb.c) and /dev/zero.  Reads that must stay
# bounded run under `ulimit -v`, so a regression fails instead of eating RAM.
source "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0

lg=${LGUEST:-build/lguest}
if [ ! -x "$lg" ]; then skip images "build/lguest does not exist yet: run make"; exit 0; fi
work=build/tests/images
mkdir -p "$work"
F=tests/launcher/fixtures
LD="ld -m elf_x86_64 -nostdlib -static -z max-page-size=0x1000 --no-warn-rwx-segments"

# ---------------------------------------------------------------- the hostile images
# fixture NAME CC-FLAGS... -- LD-FLAGS...: the PVH fixture as $work/NAME.elf.
fixture() {
	local name=$1 cflags=() ; shift
	while [ "$1" != -- ]; do cflags+=("$1"); shift; done; shift
	gcc -c "${cflags[@]}" -o "$work/$name.o" $F/pvh-hello.S &&
		$LD "$@" -T $F/pvh-hello.ld -o "$work/$name.elf" "$work/$name.o"
}
# stub NAME LD-FLAGS...: the Guest stub as $work/NAME.elf.
stub() {
	local name=$1; shift
	$LD "$@" -T $F/guest-stub.ld -o "$work/$name.elf" "$work/guest-stub.o"
}
if ! fixture hello -- || ! fixture entry-outside -DNOTE_ENTRY=0x300000 -- ||
   ! fixture entry-in-bss -DNOTE_ENTRY=stack_top-16 -- ||
   ! gcc -c -o "$work/guest-stub.o" $F/guest-stub.S || ! stub guest-stub ||
   ! stub over-module --defsym bss_at=0x1ff0000 || ! stub entry-nowhere -e 0x1800000 ||
   ! stub overlapping --defsym bss_at=0x1000000 || ! stub below-window --section-start=.text=0x800000 ||
   ! gcc -O2 -Wall -Wextra -o "$work/gzbomb" tests/launcher/gzbomb.c -lz; then
	fail images-fixtures "cannot build the hostile images from $F"; exit 0
fi
fx=$work/hello.elf
printf 'just some text\n' >"$work/text"
head -c 300 "$fx" >"$work/hello-truncated.elf"

out=$work/out err=$work/err
# refuses NAME MESSAGE ARGS...: exits 1 within 20 s, says MESSAGE on stderr,
# and never mentions a Host image CHANGED (the Host's kill path).
refuses() {
	local name=$1 msg=$2; shift 2
	timeout 20 "$lg" "$@" </dev/null >"$out" 2>"$err"; rc=$?
	if [ "$rc" != 1 ]; then fail "$name" "status $rc, want 1: $(head -c 300 "$err")"
	elif ! grep -qF -- "$msg" "$err"; then fail "$name" "no '$msg' in: $(head -c 300 "$err")"
	elif grep -q CHANGED "$out" "$err"; then fail "$name" "a Host image alarm: $(grep CHANGED "$out" "$err")"
	else ok "$name"; fi
}

# ---------------------------------------------------------------- messages that point at the fix
refuses host-not-elf-says-host "a Host image is a PVH kernel such as build/host.elf" --host="$work/text"
if grep -qF build/guest.elf "$err"; then fail host-not-elf-no-guest-hint "$(cat "$err")"
else ok host-not-elf-no-guest-hint; fi
refuses guest-not-elf-says-guest "a Guest image is an ELF kernel such as build/guest.elf" --host="$fx" "$work/text"
refuses host-truncated "Host image '$work/hello-truncated.elf' is truncated" --host="$work/hello-truncated.elf" "$fx"
refuses guest-truncated-fixture "Guest image '$work/hello-truncated.elf' is truncated" --host="$fx" "$work/hello-truncated.elf"
# The real Guest cut short, under the real Host: the Launcher, not the Host, says so.
if [ -f build/guest.elf ]; then
	head -c 20000 build/guest.elf >"$work/guest-truncated.elf"
	refuses guest-truncated "Guest image '$work/guest-truncated.elf' is truncated" "$work/guest-truncated.elf"
else skip guest-truncated "build/guest.elf does not exist yet"; fi

# ---------------------------------------------------------------- segments and entry points
# Control: the stub is a Guest the Launcher accepts (the fixture Host exits 0).
if timeout 20 "$lg" --host="$fx" "$work/guest-stub.elf" 0 </dev/null >"$out" 2>"$err"
then ok guest-stub-accepted; else fail guest-stub-accepted "status $?: $(head -c 300 "$err")"; fi
# Its .bss where the Launcher puts module 0, under the real Host: once "Host crashed".
refuses guest-over-module "overlaps [" --memory=32 "$work/over-module.elf"
grep -qF "where the Launcher puts the image" "$err" || fail guest-over-module-says-why "$(cat "$err")"
refuses guest-entry-outside "entry point 0x1800000 is outside the code it loads" --host="$fx" "$work/entry-nowhere.elf"
refuses guest-segments-overlap "its segments at 0x1000000 and 0x1000000 overlap" --host="$fx" "$work/overlapping.elf"
# Below 16 MiB is the Host's own rule, not the boot protocol's (L:475): the
# Launcher lets it through, our Host kills the Guest, and its kill path, which
# runs before the Guest ever did, still finds its image intact (H:547).
if [ -f build/guest.elf ]; then
	timeout 20 "$lg" "$work/below-window.elf" </dev/null >"$out" 2>"$err"; rc=$?
	if [ $rc = 125 ] && grep -q 'bad Guest image: segment 0x800000.* outside RAM' "$err" &&
	   grep -q '^lguest: Host image intact' "$out" && ! grep -q CHANGED "$out"
	then ok guest-below-window-killed-host-intact
	else fail guest-below-window-killed-host-intact "status $rc: $(cat "$err" "$out" | head -c 400)"; fi
else skip guest-below-window-killed-host-intact "build/guest.elf does not exist yet"; fi
# A Host whose entry is outside its segments, or in its .bss: once a silent hang.
refuses host-entry-outside "entry point 0x300000 is outside the code it loads" --host="$work/entry-outside.elf" "$fx"
refuses host-entry-in-bss "is outside the code it loads" --host="$work/entry-in-bss.elf" "$fx"

# ---------------------------------------------------------------- sizes: no more than RAM
# bounded NAME MESSAGE KIB ARGS...: refuses, under a virtual memory limit of KIB.
bounded() {
	local name=$1 msg=$2 kib=$3; shift 3
	(ulimit -v "$kib" && exec timeout 30 "$lg" "$@" </dev/null) >"$out" 2>"$err"; rc=$?
	if [ "$rc" != 1 ]; then fail "$name" "status $rc, want 1: $(head -c 300 "$err")"
	elif ! grep -qF -- "$msg" "$err"; then fail "$name" "no '$msg' in: $(head -c 300 "$err")"
	else ok "$name"; fi
}
"$work/gzbomb" 5 >"$work/bomb5.gz"
if [ "$(gzip -dc "$work/bomb5.gz" | wc -c)" = $((5 << 20)) ]; then ok gzbomb-is-valid-gzip
else fail gzbomb-is-valid-gzip "gzip -dc of a 5 MiB bomb does not give 5 MiB"; fi
"$work/gzbomb" 2048 >"$work/bomb.gz"	# about 2 MiB that inflate to 2 GiB
bounded gzip-bomb "inflates to something larger than the machine's RAM (64 MiB)" 262144 \
	--memory=64 "$work/bomb.gz"
bounded gzip-bomb-host "Host image '$work/bomb.gz' inflates to something larger" 262144 \
	--memory=64 --host="$work/bomb.gz" "$fx"
bounded dev-zero "Guest image '/dev/zero' is larger than the machine's RAM (64 MiB)" 262144 \
	--memory=64 /dev/zero
truncate -s 4G "$work/sparse.img"
bounded big-file-refused-unread "is larger than the machine's RAM (32 MiB)" 65536 \
	--memory=32 "$work/sparse.img"
rm -f "$work/sparse.img" "$work/bomb.gz"
exit 0
