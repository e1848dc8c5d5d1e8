#!/usr/bin/env bash
# make bench: the disk (chapter 22, D:690).  The same Guest runs bench=blk
# under our Launcher and under QEMU's virtio-blk; each measures, with its own
# clock, sequential writes and reads of 32 MiB in 128 KiB requests and 2,000
# random 4 KiB reads, one request in flight, on a 64 MiB image of its own.
# Rates are printed side by side with ours / QEMU's (higher is better for us).
cd "$(dirname "$0")/../.." || exit 2
LGUEST=${LGUEST:-build/lguest}
QEMU=${QEMU:-qemu-system-x86_64}
runs=${BENCH_BLK_RUNS:-3}

if [ ! -x "$LGUEST" ] || [ ! -f build/host.elf ] || [ ! -f build/guest.elf ] || [ ! -w /dev/kvm ]; then
	echo "block: skipped (needs build/lguest, build/host.elf, build/guest.elf and /dev/kvm)"; exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

ours() {
	truncate -s 0 "$work/ours.img"; truncate -s 64M "$work/ours.img"
	timeout 300 "$LGUEST" --block="$work/ours.img" build/guest.elf bench=blk 2>&1
}
qemu() {
	truncate -s 0 "$work/qemu.img"; truncate -s 64M "$work/qemu.img"
	timeout 300 "$QEMU" -M microvm,accel=kvm,acpi=off -cpu host,-arch-capabilities -m 256 \
		-nographic -no-reboot -monitor none -serial stdio \
		-device isa-debug-exit,iobase=0x501,iosize=2 -global virtio-mmio.force-legacy=false \
		-drive "file=$work/qemu.img,if=none,format=raw,id=d0" -device virtio-blk-device,drive=d0 \
		-kernel build/host.elf -initrd build/guest.elf -append "-- bench=blk" 2>&1
}

# rates OUTPUT: "write-MB/s read-MB/s reads-per-second" from the measure: lines.
rates() {
	awk '/^measure: blk seq-write/ { w = $4 / $6 * 1000 }
	     /^measure: blk seq-read/  { r = $4 / $6 * 1000 }
	     /^measure: blk rand-read/ { q = $4 / $6 * 1e9 }
	     END { if (w && r && q) printf "%.1f %.1f %.0f\n", w, r, q }' <<<"$1"
}

# The median of $runs runs of each, run alternately so that both see the
# same load on the machine.
for ((i = 0; i < runs; i++)); do
	rates "$(ours)" >>"$work/ours"
	command -v "$QEMU" >/dev/null && rates "$(qemu)" >>"$work/qemu"
done
median() { # FILE COLUMN
	[ -s "$1" ] || { echo 0; return; }
	cut -d' ' -f"$2" "$1" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }'; }
row() { # NAME COLUMN UNIT
	local a b
	a=$(median "$work/ours" "$2"); b=$(median "$work/qemu" "$2")
	printf '%-34s %10s %-4s %10s %-4s ratio %s\n' "$1" "$a" "$3" "$b" "$3" "$(ratio "$a" "$b")"
}
if [ ! -s "$work/ours" ]; then
	echo "block: bench=blk printed no measure: lines under our Launcher"; exit 0
fi
echo "disk (bench=blk, median of $runs)         ours            QEMU       (ours / QEMU)"
row "sequential write, 128 KiB requests" 1 MB/s
row "sequential read, 128 KiB requests" 2 MB/s
row "random 4 KiB reads, one at a time" 3 IOPS
