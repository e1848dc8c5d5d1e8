#!/usr/bin/env bash
# The Host's boot (chapter 40), at the edges a normal boot never reaches:
# how much RAM the Guest's window needs (H:305) and how it is rounded, the
# Host's panic when there is too little, which words of its command line are
# the Guest's (H:270), Guest images cut short, not ELF, entered outside RAM,
# or with a .bss beside or into module 0 (H:405 to H:415), the window the
# Launcher is told, and a console message that exactly fills the Host's
# buffer (H:205).  Under QEMU where our Launcher would refuse first (less
# than 32 MiB, Host words before --, a broken image).  Written for
# survivors of make mutate CHAPTER=40.
source "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0
needs_machine host-boot || exit 0
qemu=${QEMU:-qemu-system-x86_64}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# qemu NAME MIB "HOST WORDS" [GUEST]: our Host and Guest under QEMU's microvm;
# the console in $out/NAME, the Host's status in $status (999: no status).
qemu() {
	local name=$1 mib=$2 words=$3 guest=${4:-build/guest.elf} rc
	timeout 60 "$qemu" -M microvm,accel=kvm,acpi=off -cpu host,-arch-capabilities \
		-m "$mib" -nographic -no-reboot -monitor none -serial stdio \
		-device isa-debug-exit,iobase=0x501,iosize=2 \
		-kernel build/host.elf -initrd "$guest" -append "$words" \
		</dev/null >"$out/$name" 2>&1
	rc=$?
	if [ $((rc & 1)) = 1 ]; then status=$((rc >> 1)); else status=999; fi
}

# status_and_line NAME WANT LINE: the last run ended with WANT and said LINE.
status_and_line() {
	if [ "$status" != "$2" ]; then
		fail "$1" "status $status, expected $2: $(tail -n 2 "$out/$1" | tr '\n' '|')"
	elif ! grep -qxF -- "$3" "$out/$1"; then
		fail "$1" "no line '$3': $(tail -n 2 "$out/$1" | tr '\n' '|')"
	else ok "$1"; fi
}

if command -v "$qemu" >/dev/null; then
	# 1 MiB above 16 MiB is too little: the Host panics, naming what it found.
	qemu host-boot-too-little-ram 17 "-- poweroff=3"
	status_and_line host-boot-too-little-ram 126 \
		"lguest: host panic: only 0x100000 bytes of RAM above 16 MiB for the Guest"
	# Two large pages are enough: the smallest window the Host accepts.
	qemu host-boot-smallest-window 20 "-- poweroff=3"
	status_and_line host-boot-smallest-window 3 "Guest running at CPL 3, RAM 0x1000000-0x1400000"
	# The Host's own words before --, even a short one, stay the Host's: the
	# Guest sees poweroff=7 only, never hostile=1.
	qemu host-boot-host-words-stay 64 "xy --x hostile=1 -- poweroff=7"
	status_and_line host-boot-host-words-stay 7 "Guest running at CPL 3, RAM 0x1000000-0x4000000"
	# A Guest image cut short inside its first segment, which our Launcher
	# would refuse before the Host saw it: the Host must refuse it too
	# (H:410), not copy what lies past the module into the Guest.
	read -r off size < <(readelf -lW build/guest.elf |
		awk '$1 == "LOAD" && $5 !~ /^0x0*$/ { print $2, $5; exit }')
	if [ -n "$size" ] && head -c $((off + size - 256)) build/guest.elf >"$out/cut.elf"; then
		qemu host-boot-segment-cut-short 64 "-- poweroff=3" "$out/cut.elf"
		status_and_line host-boot-segment-cut-short 125 \
			"lguest: guest killed: bad Guest image: segment outside the file"
	else fail host-boot-segment-cut-short "no loadable segment in build/guest.elf"; fi
	# Our Guest with its ELF magic spoiled, and with its entry point moved
	# below the window: the Host reads the header itself (H:405, H:415).
	{ printf '\177ELG'; tail -c +5 build/guest.elf; } >"$out/magic.elf"
	qemu host-boot-not-elf 64 "-- poweroff=3" "$out/magic.elf"
	status_and_line host-boot-not-elf 125 \
		"lguest: guest killed: bad Guest image: not a 64-bit x86-64 ELF file"
	{ head -c 24 build/guest.elf; printf '\000\000\200\000\000\000\000\000'
	  tail -c +33 build/guest.elf; } >"$out/entry.elf"
	qemu host-boot-entry-outside 64 "-- poweroff=3" "$out/entry.elf"
	status_and_line host-boot-entry-outside 125 \
		"lguest: guest killed: bad Guest image: entry point 0x800000 outside RAM"
	# Where the module lies decides which segments overlap it (H:410): QEMU
	# puts it at the top of RAM, and the Host names it when a .bss moved to
	# 32 MiB, and 32 MiB long, runs into it.  Moved again, the .bss may end
	# where the module starts, or start where it ends (the boot information
	# then finds no room above, which is the next check's business), but not
	# reach one byte into it.
	bss_at() { python3 tests/hypercalls/bss-at.py build/guest.elf "$out/bss.elf" "$1" "$2"; }
	bss_at 0x2000000 0x1fff000 && qemu host-boot-bss-over-module 64 "-- poweroff=3" "$out/bss.elf"
	module=$(grep -o 'overlaps module 0 (0x[0-9a-f]*+0x[0-9a-f]*)' "$out/host-boot-bss-over-module" | grep -o '0x[0-9a-f]*+0x[0-9a-f]*')
	if [ "$status" != 125 ] || [ -z "$module" ]; then
		fail host-boot-bss-over-module "status $status: $(grep -a -m1 'killed' "$out/host-boot-bss-over-module")"
	else
		ok host-boot-bss-over-module
		start=$((${module%+*})) end=$((${module%+*} + ${module#*+}))
		bss_at $((start - 0x100)) 0x100 && qemu host-boot-bss-below-module 64 "-- poweroff=3" "$out/bss.elf"
		status_and_line host-boot-bss-below-module 3 "Guest running at CPL 3, RAM 0x1000000-0x4000000"
		bss_at $end 0x100 && qemu host-boot-bss-above-module 64 "-- poweroff=3" "$out/bss.elf"
		if grep -aq "overlaps module" "$out/host-boot-bss-above-module"; then
			fail host-boot-bss-above-module "$(grep -a -m1 killed "$out/host-boot-bss-above-module")"
		elif [ "$status" = 3 ] || grep -aq "killed: bad Guest image: the boot information" "$out/host-boot-bss-above-module"
		then ok host-boot-bss-above-module
		else fail host-boot-bss-above-module "status $status: $(tail -n 2 "$out/host-boot-bss-above-module" | tr '\n' '|')"; fi
		bss_at $((end - 1)) 0x100 && qemu host-boot-bss-into-module 64 "-- poweroff=3" "$out/bss.elf"
		status_and_line host-boot-bss-into-module 125 "$(printf 'lguest: guest killed: bad Guest image: segment at 0x%x overlaps module 0 (%s); load the module elsewhere' $((end - 1)) "$module")"
	fi
else
	skip host-boot-qemu "$qemu is not installed (make deps)"
fi

# RAM that ends off a large page: the window ends at the large page below,
# and the Launcher, which checks the devices' addresses against it, is told
# the same window through its ports (H:305; -v shows what it heard).
timeout 20 build/lguest -v --memory=33 -- poweroff=3 </dev/null >"$out/host-boot-window-rounded" 2>&1
status=$?
status_and_line host-boot-window-rounded 3 "Guest running at CPL 3, RAM 0x1000000-0x2000000"
if grep -q "Guest window: \[0x1000000, 0x2000000), 16 MiB$" "$out/host-boot-window-rounded"; then
	ok host-boot-window-told
else fail host-boot-window-told "the Launcher heard: $(grep -m1 'Guest window' "$out/host-boot-window-rounded")"; fi

# A Host message of exactly 256 bytes, its buffer's size, is cut to 255: the
# last byte is the string's end, never sent to the console.  A device word
# that is not <size>@<address>:<line> is echoed back whole, so its length
# sets the message's.
why="is not <size>@<address>:<line>[:<id>]"
word="virtio_mmio.device=1@2:3"
while [ $(( ${#word} + ${#why} + 23 )) -lt 256 ]; do word="${word}z"; done
timeout 20 build/lguest -- "$word" poweroff=4 </dev/null >"$out/full" 2>&1
status=$?
if [ "$status" != 4 ]; then fail host-boot-full-message "status $status, expected 4"
elif ! grep -aqF "lguest: ignoring $word: it $why" "$out/full"; then
	fail host-boot-full-message "the message is not there: $(grep -a ignoring "$out/full" | cut -c1-80)"
elif [ "$(tr -d '\000' <"$out/full" | wc -c)" != "$(wc -c <"$out/full")" ]; then
	fail host-boot-full-message "a NUL byte reached the console"
else ok host-boot-full-message; fi
exit 0
