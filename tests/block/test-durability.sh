#!/usr/bin/env bash
# Durability (issue 10): a write the Guest's shell has acknowledged is in the
# image, even when the Launcher is killed with SIGKILL right after.  Each
# trial boots the Guest with a writable disk and a read-only one, types
# `blk write N TEXT` lines (each flushed; the shell prints `ok` only once the
# device has said the write and the flush are done), waits for a random
# number of acknowledgements, waits a random moment more, kills the Launcher
# with -9, and checks that every acknowledged sector holds its text.  The
# read-only image must come out byte for byte as it went in.
#   DURABILITY_TRIALS=N   how many trials (20)
source "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0
LGUEST=${LGUEST:-build/lguest}
GUEST=${GUEST_ELF:-build/guest.elf}
trials=${DURABILITY_TRIALS:-20}
writes=12

if [ ! -x "$LGUEST" ] || [ ! -f "$GUEST" ]; then
	fail durability "build/lguest or build/guest.elf missing (run make)"; exit 0
fi
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; rm -rf "$work"' EXIT
truncate -s 1M "$work/disk.img"
head -c 262144 /dev/urandom >"$work/ro.img"
ro_sum=$(md5sum <"$work/ro.img")

# sectors_hold FIRST TEXT...: the disk's sectors from FIRST on hold the
# TEXTs, each padded with zeros to a sector.
sectors_hold() {
	local first=$1; shift
	for text in "$@"; do printf '%s' "$text"; head -c $((512 - ${#text})) /dev/zero; done >"$work/want"
	dd if="$work/disk.img" of="$work/got" bs=512 skip="$first" count=$# 2>/dev/null
	cmp "$work/got" "$work/want"
}

# trial T: one boot, one kill; sets $acked, or $why on failure.  The
# console's output comes through a pipe we read line by line, so we see each
# `ok` as it comes and kill at once; after the kill we read the rest, up to
# the end that the Launcher's death makes, and count every `ok` it had sent.
trial() {
	local t=$1 want i line out=$work/out.$1
	local -a texts
	rm -f "$work/in" "$work/console"; mkfifo "$work/in" "$work/console"
	"$LGUEST" --block="$work/disk.img" --block="$work/ro.img,ro" "$GUEST" \
		<"$work/in" >"$work/console" 2>"$work/err.$t" &
	pid=$!
	exec 3>"$work/in" 4<"$work/console"
	for ((i = 0; i < writes; i++)); do
		texts[i]=trial-$t-write-$i-$RANDOM$RANDOM
		echo "blk write $((t * writes + i)) ${texts[i]}" >&3
	done
	want=$((1 + RANDOM % writes)) acked=0
	while [ $acked -lt $want ] && IFS= read -r -t 5 line <&4; do
		echo "$line" >>"$out"
		[ "$line" = ok ] && acked=$((acked + 1))
	done
	sleep "0.0$((RANDOM % 10))"
	kill -9 $pid 2>/dev/null
	while IFS= read -r -t 5 line <&4; do
		echo "$line" >>"$out"
		[ "$line" = ok ] && acked=$((acked + 1))
	done
	wait $pid 2>/dev/null; pid=
	exec 3>&- 4<&-
	if [ "$acked" -lt "$want" ]; then
		why="only $acked of $want writes acknowledged in 5 s: $(tail -c 300 "$out" "$work/err.$t" | tr -cd '[:print:]\n' | tr '\n' '|')"
		return 1
	fi
	if grep -q '^blk: ' "$out"; then why="$(grep -m1 '^blk: ' "$out")"; return 1; fi
	if ! line=$(sectors_hold $((t * writes)) "${texts[@]:0:acked}"); then
		why="trial $t: $acked writes acknowledged, but the image differs: $line"
		return 1
	fi
}

start=$(date +%s%N)
total=0 failed=
for ((t = 0; t < trials; t++)); do
	if ! trial $t; then failed=$why; break; fi
	total=$((total + acked))
done
ms=$(( ($(date +%s%N) - start) / 1000000 ))
if [ -n "$failed" ]; then fail durability-kill-9 "$failed"
else ok "durability-kill-9 ($trials trials, $total acknowledged writes all in the image, $ms ms)"; fi
expect durability-ro-image-intact test "$(md5sum <"$work/ro.img")" = "$ro_sum"
exit 0
