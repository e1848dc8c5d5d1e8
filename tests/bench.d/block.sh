#!/usr/bin/env bash
# make bench: the disk (chapter 22, D:690 and D:698).  The same Guest runs
# bench=blk under our Launcher and under QEMU's virtio-blk twice, once with
# aio=io_uring and once with aio=threads; each measures, with its own clock,
# sequential writes and reads of 32 MiB in 128 KiB requests, then 2,000
# random 4 KiB reads and 2,000 random 4 KiB writes (and a flush) at queue
# depths 1, 8 and 32, on a 64 MiB image of its own.  The three run in turn,
# $runs times; each row shows median [min-max] and ours / each QEMU
# (higher is better for us).
cd "$(dirname "$0")/../.." || exit 2
source tests/bench.d/common.bash
LGUEST=${LGUEST:-build/lguest}
QEMU=${QEMU:-qemu-system-x86_64}
runs=${BENCH_BLK_RUNS:-5}

if [ ! -x "$LGUEST" ] || [ ! -f build/host.elf ] || [ ! -f build/guest.elf ] || [ ! -w /dev/kvm ]; then
	echo "block: skipped (needs build/lguest, build/host.elf, build/guest.elf and /dev/kvm)"; exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fresh() { truncate -s 0 "$1"; truncate -s 64M "$1"; }
ours() {
	fresh "$work/ours.img"
	timeout 300 "$LGUEST" --block="$work/ours.img" build/guest.elf bench=blk 2>&1
}
qemu() { # AIO
	fresh "$work/qemu.img"
	timeout 300 "$QEMU" -M microvm,accel=kvm,acpi=off -cpu host,-arch-capabilities -m 256 \
		-nographic -no-reboot -monitor none -serial stdio -nic none \
		-device isa-debug-exit,iobase=0x501,iosize=2 -global virtio-mmio.force-legacy=false \
		-drive "file=$work/qemu.img,if=none,format=raw,id=d0,aio=$1" \
		-device virtio-blk-device,drive=d0 \
		-kernel build/host.elf -initrd build/guest.elf -append "-- bench=blk" 2>&1
}

# collect WHO OUTPUT: append each measure: line's rate to $work/WHO.NAME, in
# MB/s for the sequential passes and requests a second for the rest.
collect() { # WHO OUTPUT
	local tmp
	tmp=$(mktemp -d -p "$work")
	awk -v dir="$tmp" '
	/^measure: blk seq-/  { printf "%.1f\n", $4 / $6 * 1000 > (dir "/" $3) }
	/^measure: blk rand-/ { printf "%.0f\n", $4 / $6 * 1e9 > (dir "/" $3) }' <<<"$2"
	for f in "$tmp"/*; do [ -f "$f" ] && cat "$f" >>"$work/$1.$(basename "$f")"; done
	rm -rf "$tmp"
}

have_qemu=0
command -v "$QEMU" >/dev/null && have_qemu=1
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for ((i = 0; i < runs; i++)); do
	collect ours "$(ours)"
	if [ $have_qemu = 1 ]; then
		collect uring "$(qemu io_uring)"
		collect threads "$(qemu threads)"
	fi
done
if ! ls "$work"/ours.* >/dev/null 2>&1; then
	echo "block: bench=blk printed no measure: lines under our Launcher"; exit 0
fi
echo "disk, bench=blk (higher is better)    ours: median [min-max]       QEMU aio=io_uring            QEMU aio=threads        ours / each ($runs runs)"
row() { spread_row "$1" "$2" "$work/ours.$3" "$work/uring.$3" "$work/threads.$3"; }
echo "(load average $load_before at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end, on $(nproc) CPUs)"
row "sequential write, 128 KiB" MB/s seq-write
row "sequential read, 128 KiB" MB/s seq-read
for q in 1 8 32; do
	row "random 4 KiB reads, QD$q" IOPS rand-read-qd$q
	row "random 4 KiB writes+flush, QD$q" IOPS rand-write-qd$q
done
