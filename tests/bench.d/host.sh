#!/usr/bin/env bash
# make bench: the Host's hot paths (chapters 40-43, 50).  Three kinds of row:
# exact counts of the ring-0 instructions each operation runs (single-stepped
# with --count-ring0, S:307; the same on every run); timings of the same
# operations beside their peer, the bare trap (H:900), from the Guest's
# bench=trap, where the three take turns in every round (G:900), and how late
# a sleeping Guest wakes (the wake-up, H:895); and what one ring-0
# instruction of each kind adds to a trap, beside a nop, from the Guest's
# bench=ring0 (H:907).  Timed rows give the median of the runs' medians and,
# as the spread, the lowest and highest run median (BENCH_HOST_RUNS runs).
cd "$(dirname "$0")/../.." || exit 2
source tests/bench.d/common.bash
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

# measure FILE MATCH: the numbers of the lines "measure: MATCH N cycles".
measure() { sed -n "s/^measure: $2 \\([0-9]*\\) cycles\$/\\1/p" "$1"; }
# The trap rows and the kind rows alternate, a run of each in turn.
for ((i = 0; i < runs; i++)); do
	timeout 300 "$LGUEST" build/guest.elf bench=trap >"$work/trap" 2>&1
	measure "$work/trap" "null hypercall" >>"$work/null"
	measure "$work/trap" "bare trap" >>"$work/bare"
	measure "$work/trap" "page-fault fill" >>"$work/fill"
	measure "$work/trap" "wake-up" >>"$work/wake"
	timeout 300 "$LGUEST" build/guest.elf bench=ring0 >"$work/ring0" 2>&1
	sed -n 's/^measure: ring-0 \([a-z0-9-]*\) \(-\{0,1\}[0-9]*\) cycles per unit of \([0-9]*\)$/\1 \2 \3/p' \
		"$work/ring0" >>"$work/kinds"
	for t in int3 int-0x1f ud2 int1; do measure "$work/ring0" "trap $t" >>"$work/t-$t"; done
	measure "$work/ring0" "trap null hypercall" >>"$work/t-null"
done
echo "Guest-timed (TSC cycles, lower is better; peer in the same Guest run, $runs runs)"
spread_row "null hypercall, bare trap" cyc "$work/null" "$work/bare"
spread_row "page-fault fill, bare trap" cyc "$work/fill" "$work/bare"
printf '%-36s %s   (late after the deadline of a 1 ms sleep; no peer: H:895)\n' "wake-up" "$(cell "$work/wake" cyc)"
echo "one ring-0 instruction of each kind, added to a trap (H:907), beside a nop"
awk '$1 == "nop" { print $2 }' "$work/kinds" >"$work/k-nop"
for k in $(awk '{ print $1 }' "$work/kinds" | awk '!seen[$0]++'); do
	[ "$k" = nop ] && continue
	n=$(awk -v k="$k" '$1 == k { print $3; exit }' "$work/kinds")
	awk -v k="$k" '$1 == k { print $2 }' "$work/kinds" >"$work/k-$k"
	spread_row "ring-0 $k$([ "$n" != 1 ] && echo " ($n insns)")" cyc "$work/k-$k" "$work/k-nop"
done
echo "the trap itself, each to a bare handler (H:900), beside an int3 in the same rounds"
spread_row "int \$0x1f as #UD (4 insns more)" cyc "$work/t-int-0x1f" "$work/t-int3"
spread_row "ud2 as #UD (4 insns more)" cyc "$work/t-ud2" "$work/t-int3"
spread_row "int1 (icebp)" cyc "$work/t-int1" "$work/t-int3"
spread_row "null hypercall (S:227)" cyc "$work/t-null" "$work/t-int3"
