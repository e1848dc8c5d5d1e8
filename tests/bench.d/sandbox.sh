#!/usr/bin/env bash
# make bench: what confinement costs (chapter 36).  The same Launcher, with
# its seccomp filters on (the default) and with --sandbox=off, in one run:
# the boot of the default Guest with every device to its exit, and the disk
# benchmark's random reads (bench=blk), whose every request passes through
# the filtered worker and vCPU.  Runs alternate, so both see the same load.
cd "$(dirname "$0")/../.." || exit 2
source tests/bench.d/common.bash
LGUEST=${LGUEST:-build/lguest}
runs=${BENCH_SANDBOX_RUNS:-${BENCH_RUNS:-20}}
blk_runs=${BENCH_BLK_RUNS:-3}

if [ ! -x "$LGUEST" ] || [ ! -f build/guest.elf ] || [ ! -w /dev/kvm ]; then
	echo "sandbox: skipped (needs build/lguest, build/guest.elf and /dev/kvm)"; exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
truncate -s 64M "$work/disk.img"

boot_us() { # ARGS...: one boot with every device, in microseconds
	local t0 t1
	t0=$(date +%s%N)
	timeout 60 "$LGUEST" "$@" --block="$work/disk.img" --rng build/guest.elf poweroff=0 >/dev/null 2>&1
	t1=$(date +%s%N)
	echo $(( (t1 - t0) / 1000 ))
}
iops() { # ARGS...: random 4 KiB reads per second, from bench=blk
	timeout 300 "$LGUEST" "$@" --block="$work/disk.img" build/guest.elf bench=blk 2>&1 |
		awk '/^measure: blk rand-read-qd1 / { printf "%.0f\n", $4 / $6 * 1e9 }'
}
for ((i = 0; i < runs; i++)); do
	boot_us >>"$work/boot.on"
	boot_us --sandbox=off >>"$work/boot.off"
done
for ((i = 0; i < blk_runs; i++)); do
	iops >>"$work/iops.on"
	iops --sandbox=off >>"$work/iops.off"
done
for f in on off; do
	awk '{ printf "%.2f\n", $1 / 1000 }' "$work/boot.$f" >"$work/ms.$f"
done
echo "sandbox                              filters on: median [min-max]   --sandbox=off            on / off"
spread_row "boot with disk and rng to exit ($runs)" ms "$work/ms.on" "$work/ms.off"
spread_row "random 4 KiB disk reads, QD1 ($blk_runs)" IOPS "$work/iops.on" "$work/iops.off"
