#!/usr/bin/env bash
# make bench, the network: UDP throughput measured where the data arrives,
# our Launcher's card beside QEMU's virtio-net running the same Guest.
#   Guest to Guest: two Guests on one `lguest switch` (QEMU's Guests join the
#     same switch with -netdev dgram); the sender runs bench=net-send:ADDR:S,
#     the receiver bench=net-recv, which counts port 9 and reports.
#   Guest to host: a Guest sends to the host's end of a tap; tests/net/hostnet.c
#     counts.  The tap lives in a network namespace made for it (unshare).
#     QEMU's tap is vhost=off (its default, said here): its card runs in its
#     own process, as ours runs in the Launcher (chapter 23 tells the rest).
# Rows: the receiver's MB/s, ours and QEMU's run alternately NET_BENCH_RUNS
# (10) times, as median [min-max], and ours / QEMU's of the medians.  Nothing
# asserted.  NET_BENCH_PATHS="switch tap" (both) picks the rows; LGUEST=PATH
# measures another Launcher (an older build, say) against the same QEMU.
cd "$(dirname "$0")/../.." || exit 0
source tests/bench.d/common.bash
L=${LGUEST:-build/lguest} G=build/guest.elf H=build/host.elf
qemu=${QEMU:-qemu-system-x86_64}
secs=${NET_BENCH_SECONDS:-3}

if [ ! -x "$L" ] || [ ! -f "$G" ] || [ ! -w /dev/kvm ]; then
	echo "net: skipped (needs build/lguest, build/guest.elf and /dev/kvm)"; exit 0
fi
have_qemu=1
if ! command -v "$qemu" >/dev/null || ! "$qemu" -netdev help 2>/dev/null | grep -qw dgram; then
	have_qemu=0
fi
work=$(mktemp -d)
pids=()
tap=
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	[ -n "$tap" ] && ip link del "$tap" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

rate_of() { sed -n 's/.*received .* bytes in .* us: \([0-9.]*\) MB\/s.*/\1/p' "$1" | tail -1; }

# qemu_guest NAME NETDEV WORDS: a QEMU Guest with virtio-net on NETDEV.
qemu_guest() {
	timeout 60 "$qemu" -M microvm,accel=kvm,acpi=off -cpu host,-arch-capabilities -m 256 \
		-display none -no-reboot -monitor none -global virtio-mmio.force-legacy=false \
		-device isa-debug-exit,iobase=0x501,iosize=2 \
		-device virtio-serial-device -chardev stdio,id=con0 -device virtconsole,chardev=con0 \
		-netdev "$2" -device virtio-net-device,netdev=n0,mac="$4" \
		-serial file:"$work/$1.serial" -kernel "$H" -initrd "$G" -append "-- $3" </dev/null
}

# measure NAME OURS PEER: $runs runs of each, alternating, and the row.
measure() {
	local i
	: >"$work/ours.rate" && : >"$work/qemu.rate"
	for ((i = 0; i < runs; i++)); do
		$2 >>"$work/ours.rate"
		[ $have_qemu = 1 ] && $3 >>"$work/qemu.rate"
	done
	spread_row "$1" MB/s "$work/ours.rate" "$work/qemu.rate"
}
runs=${NET_BENCH_RUNS:-10}
paths=${NET_BENCH_PATHS:-switch tap}

# ---- Guest to Guest through the switch (not again inside the namespace)
if [ "${1:-}" != --in-netns ]; then
	: >"$work/sw.log"
	"$L" switch "$work/sw" >"$work/sw.log" 2>&1 &
	pids+=($!)
	for ((i = 0; i < 50; i++)); do grep -q listening "$work/sw.log" && break; sleep 0.1; done
fi
sw="dgram,id=n0,remote.type=unix,remote.path=$work/sw,local.type=unix,local.path"

g2g_ours() {
	timeout 60 "$L" --net="$work/sw" "$G" ip=10.0.0.2 bench=net-recv </dev/null >"$work/r.log" 2>&1 &
	local r=$!
	sleep 1
	timeout 60 "$L" --net="$work/sw" "$G" ip=10.0.0.1 bench=net-send:10.0.0.2:$secs \
		</dev/null >"$work/s.log" 2>&1
	wait $r
	rate_of "$work/r.log"
}
g2g_qemu() {
	rm -f "$work"/q?.sock
	qemu_guest qr "$sw=$work/qr.sock" "ip=10.0.0.4 bench=net-recv" 52:54:00:00:00:04 >"$work/qr.log" 2>&1 &
	local r=$!
	sleep 1
	qemu_guest qs "$sw=$work/qs.sock" "ip=10.0.0.3 bench=net-send:10.0.0.4:$secs" 52:54:00:00:00:03 \
		>"$work/qs.log" 2>&1
	wait $r
	rate_of "$work/qr.serial"
}
g2h_ours() {
	"$work/hostnet" sink 9 30 >"$work/h1.log" 2>&1 &
	local h=$!
	sleep 0.2
	timeout 60 "$L" --tunnet=10.79.0.1 "$G" ip=10.79.0.2 bench=net-send:10.79.0.1:$secs \
		</dev/null >"$work/t.log" 2>&1
	wait $h
	rate_of "$work/h1.log"
}
g2h_qemu() {
	"$work/hostnet" sink 9 30 >"$work/h2.log" 2>&1 &
	local h=$!
	sleep 0.2
	qemu_guest qt "tap,id=n0,ifname=$tap,script=no,downscript=no,vhost=off" \
		"ip=10.80.0.2 bench=net-send:10.80.0.1:$secs" 52:54:00:00:00:05 >"$work/qt.log" 2>&1
	wait $h
	rate_of "$work/h2.log"
}
if [ "${1:-}" != --in-netns ]; then
	echo "network, UDP at the receiver (higher)  ours: median [min-max]       QEMU's card           ours / QEMU ($runs runs)"
	[[ " $paths " == *" switch "* ]] && measure "net Guest->Guest UDP (switch)" g2g_ours g2g_qemu
fi

# ---- Guest to host through a tap, in a network namespace of its own: this
# script runs itself again inside one (tests/lib.sh's in_netns), so the tap,
# its address and the traffic never touch the machine's network.
if [ "${1:-}" != --in-netns ]; then
	source tests/lib.sh
	if [[ " $paths " != *" tap "* ]]; then
		:
	elif [ ! -c /dev/net/tun ]; then
		echo "net Guest->host: skipped (no /dev/net/tun)"
	elif [ -z "$(netns_prefix)" ]; then
		echo "net Guest->host: skipped (cannot make a network namespace: unshare --net)"
	else
		in_netns bash "$0" --in-netns
	fi
	exit 0
fi
gcc -O2 -o "$work/hostnet" tests/net/hostnet.c || exit 0
if [ $have_qemu = 1 ]; then
	tap=lgbench0
	ip tuntap add dev $tap mode tap && ip addr add 10.80.0.1/24 dev $tap && ip link set $tap up
fi
measure "net Guest->host UDP (tap)" g2h_ours g2h_qemu
exit 0
