#!/usr/bin/env bash
# Self-tests that cannot run (G:505): with no disk, no card and no entropy
# device, the drivers' tests say "skip" with their reason, and the total
# counts them apart from the passes; with the devices there, the same tests
# run and pass.  Every run is bounded by timeout.
. "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0
L=build/lguest G=build/guest.elf
needs_machine selftest-skip || exit 0
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# total FILE: "P F S" from the total line, or nothing.
total() {
	sed -n 's/^selftest: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p' "$1"
}

# A bare machine: only the console.
timeout 60 "$L" "$G" selftest </dev/null >"$out/bare" 2>&1
st=$?
read -r p f s <<<"$(total "$out/bare")"
oks=$(grep -c '^selftest: ok ' "$out/bare") skips=$(grep -c '^selftest: skip ' "$out/bare")
if [ "$st" != 0 ]; then
	fail selftest-skip-status "status $st, expected 0: a skip is not a failure"
else
	ok selftest-skip-status
fi
if [ -z "$p" ]; then
	fail selftest-skip-total "no 'selftest: P passed, F failed, S skipped' line"; tail -5 "$out/bare" | sed 's/^/    | /'
elif [ "$p" = "$oks" ] && [ "$f" = 0 ] && [ "$s" = "$skips" ] && [ "$s" -ge 7 ]; then
	ok "selftest-skip-total ($p passed, $s skipped)"
else
	fail selftest-skip-total "total says $p/$f/$s, lines say $oks ok and $skips skip (expected at least 7 skips)"
fi
contains selftest-skip-disk-reason "$out/bare" "selftest: skip disk: sector 0 reads the same twice (no disk)"
contains selftest-skip-rng-reason "$out/bare" "selftest: skip rng: 64 bytes that are not all the same (no entropy device)"
contains selftest-skip-net-reason "$out/bare" "selftest: skip net-mac: the network card has a unicast MAC address (no network card)"

# With a disk and an entropy device, their tests run instead of skipping.
head -c 65536 /dev/zero >"$out/disk.img"
timeout 60 "$L" --rng --block="$out/disk.img" "$G" selftest </dev/null >"$out/full" 2>&1
st=$?
if [ "$st" = 0 ] && ! grep -q '^selftest: skip .*(no \(disk\|entropy device\))$' "$out/full" &&
   grep -q '^selftest: ok   disk: sector 0 reads the same twice$' "$out/full" &&
   grep -q '^selftest: ok   rng: 64 bytes that are not all the same$' "$out/full"; then
	ok selftest-skip-devices-run
else
	fail selftest-skip-devices-run "status $st: $(grep '^selftest: \(skip\|FAIL\)' "$out/full" | head -3 | tr '\n' '|')"
fi
