#!/usr/bin/env bash
# make bench: the Host's hot paths (chapters 40-43, 50).  Two kinds of row:
# exact counts of the ring-0 instructions each operation runs (single-stepped
# with --count-ring0, S:307; the same on every run), and timings of the same
# operations beside their peer, the bare trap (H:900), from the Guest's
# bench=trap, where the three take turns in every round (G:900), and how late
# a sleeping Guest wakes (the wake-up, H:895).  The timed
# rows give the median of the runs' medians and, as the spread, the lowest
# and highest run median.
cd "$(dirname "$0")/../.." || exit 2
LGUEST=${LGUEST:-build/lguest}
runs=${BENCH_HOST_RUNS:-5}

if [ ! -x "$LGUEST" ] || [ ! -f build/host.elf ] || [ ! -f build/guest.elf ] || [ ! -w /dev/kvm ]; then
	echo "host: skipped (needs build/lguest, build/host.elf, build/guest.elf and /dev/kvm)"; exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if counts=$(tests/interrupts/ring0-counts "$LGUEST" build/host.elf build/guest.elf 2>&1); then
	sed 's/^count: \(.*\) \([0-9]*\)$/\1\t\2/' <<<"$counts" | grep -v '^nothing' |
		awk -F'\t' '{ printf "%-38s %8s ring-0 instructions (exact)\n", $1, $2 }'
else
	echo "host counts: $counts"
fi

for ((i = 0; i < runs; i++)); do
	timeout 300 "$LGUEST" build/guest.elf bench=trap 2>&1 | sed -n 's/^measure: \([a-z -]*\) \([0-9]*\) cycles$/\1\t\2/p' >>"$work/t"
done
median() { sort -g | awk '{a[NR] = $1} END {print (NR ? a[int((NR + 1) / 2)] : 0)}'; }
col() { awk -F'\t' -v k="$1" '$1 == k { print $2 }' "$work/t"; }
bare=$(col "bare trap" | median)
for k in "null hypercall" "page-fault fill"; do
	m=$(col "$k" | median) lo=$(col "$k" | sort -g | head -1) hi=$(col "$k" | sort -g | tail -1)
	printf '%-38s %8s cycles   bare trap %s, ratio %s  (runs %s..%s, %d runs)\n' "$k (timed)" "$m" "$bare" \
		"$(awk -v a="$m" -v b="$bare" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }')" "$lo" "$hi" "$runs"
done
m=$(col "wake-up" | median) lo=$(col "wake-up" | sort -g | head -1) hi=$(col "wake-up" | sort -g | tail -1)
printf '%-38s %8s cycles   late after the deadline of a 1 ms sleep (runs %s..%s; no peer: H:895)\n' "wake-up (timed)" "$m" "$lo" "$hi"
