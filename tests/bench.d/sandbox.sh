#!/usr/bin/env bash
# make bench: what confinement costs (chapter 36).  The same Launcher, with
# its seccomp filters on (the default) and with --sandbox=off, in one run:
# the boot of the default Guest with every device to its exit, and the disk
# benchmark's random reads (bench=blk), whose every request passes through
# the filtered worker and vCPU.  Runs alternate, so both see the same load.
cd "$(dirname "$0")/../.." || exit 2
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
		awk '/^measure: blk rand-read/ { printf "%.0f\n", $4 / $6 * 1e9 }'
}
for ((i = 0; i < runs; i++)); do
	boot_us >>"$work/boot.on"
	boot_us --sandbox=off >>"$work/boot.off"
done
for ((i = 0; i < blk_runs; i++)); do
	iops >>"$work/iops.on"
	iops --sandbox=off >>"$work/iops.off"
done
median() { sort -g "$1" | awk '{a[NR] = $1} END {print (NR ? a[int((NR + 1) / 2)] : 0)}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }'; }
on=$(median "$work/boot.on") off=$(median "$work/boot.off")
echo "sandbox                              filters on   --sandbox=off   (on / off)"
printf '%-34s %10.2f ms %10.2f ms   ratio %s   (median of %d)\n' "boot with disk and rng to exit" \
	"$(awk -v u="$on" 'BEGIN { print u / 1000 }')" "$(awk -v u="$off" 'BEGIN { print u / 1000 }')" \
	"$(ratio "$on" "$off")" "$runs"
on=$(median "$work/iops.on") off=$(median "$work/iops.off")
printf '%-34s %10s IOPS %8s IOPS   ratio %s   (median of %d)\n' "random 4 KiB disk reads" \
	"$on" "$off" "$(ratio "$on" "$off")" "$blk_runs"
