#!/usr/bin/env bash
# The Guest's network, end to end:
#  - two Guests on one switch (lguest switch) ping each other and use each
#    other's UDP echo service, with different MAC addresses;
#  - the host pings a Guest through a tap (--tunnet), and the Guest pings the
#    host (needs root and /dev/net/tun);
#  - a Guest on QEMU's virtio-net joins the same switch (QEMU's -netdev dgram
#    sends one frame per datagram, as our switch does) and pings an lguest
#    Guest both ways; its self-tests pass on QEMU's card.
# Every Guest's console is a fifo the test writes shell commands into.
source "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0
L=build/lguest G=build/guest.elf H=build/host.elf
qemu=${QEMU:-qemu-system-x86_64}

if [ ! -x "$L" ] || [ ! -f "$G" ]; then
	fail net "build/lguest or build/guest.elf missing (run make)"; exit 0
fi
if [ ! -w /dev/kvm ]; then
	fail net "/dev/kvm is not usable"; exit 0
fi
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

# start NAME COMMAND...: runs COMMAND in the background with its standard
# input on the fifo $work/NAME.in (held open by the test as fd ${fd[NAME]})
# and its output in $work/NAME.log.
declare -A fd pid
start() {
	local name=$1 f; shift
	mkfifo "$work/$name.in"
	timeout 90 "$@" <"$work/$name.in" >"$work/$name.log" 2>&1 &
	pid[$name]=$!
	pids+=($!)
	exec {f}>"$work/$name.in"
	fd[$name]=$f
}
say() { echo "$2" >&"${fd[$1]}"; }
# wait_for NAME PATTERN SECONDS: until NAME's log has a line matching PATTERN.
wait_for() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -qE -- "$2" "$work/$1.log" && return 0
		sleep 0.1
	done
	return 1
}
# finish NAME: power the Guest off and wait for its exit status in $status.
finish() {
	say "$1" poweroff
	exec {fd[$1]}>&-
	wait "${pid[$1]}"
	status=$?
}
# pinged TEST NAME ADDR N: NAME's log holds N reply lines from ADDR and the summary.
pinged() {
	local n
	n=$(grep -cE "^64 bytes from $3: icmp_seq=[0-9]+ time=[0-9]+\.[0-9]{3} ms" "$work/$2.log")
	if [ "$n" = "$4" ] && grep -qF "$4 packets transmitted, $4 received, 0% packet loss" "$work/$2.log"; then
		ok "$1"
	else
		fail "$1" "$n of $4 replies from $3: $(grep -E 'bytes from|transmitted|ping:' "$work/$2.log" | tail -3 | tr '\n' '|')"
	fi
}
mac_of() { sed -n 's/^net0: MAC \([0-9a-f:]*\),.*/\1/p' "$work/$1.log" | head -1; }

# ---- two Guests on one switch
: >"$work/sw.log"
"$L" switch "$work/sw" >"$work/sw.log" 2>&1 &
pids+=($!)
for ((i = 0; i < 50; i++)); do grep -q listening "$work/sw.log" && break; sleep 0.1; done
start a "$L" --net="$work/sw" "$G" ip=10.0.0.1
start b "$L" --net="$work/sw" "$G" ip=10.0.0.2
if ! wait_for a 'lguest> ' 20 || ! wait_for b 'lguest> ' 20; then
	fail net-switch-boot "the Guests did not reach their shells: $(tail -2 "$work/a.log" | tr '\n' '|')"
	exit 0
fi
ma=$(mac_of a) mb=$(mac_of b)
if [ -n "$ma" ] && [ -n "$mb" ] && [ "$ma" != "$mb" ]; then
	ok net-switch-macs-differ
else
	fail net-switch-macs-differ "MAC addresses '$ma' and '$mb'"
fi

say a "ping 10.0.0.2 3"
wait_for a 'packets transmitted' 15
pinged net-switch-ping-a-to-b a 10.0.0.2 3
say b "ping 10.0.0.1 3"
wait_for b 'packets transmitted' 15
pinged net-switch-ping-b-to-a b 10.0.0.1 3

say a "udp 10.0.0.2 7 hello-from-a"
wait_for a '^udp: ' 5
contains net-switch-udp-echo-a-to-b "$work/a.log" "udp: answer from 10.0.0.2 port 7: hello-from-a"
say b "udp 10.0.0.1 7 hello-from-b"
wait_for b '^udp: ' 5
contains net-switch-udp-echo-b-to-a "$work/b.log" "udp: answer from 10.0.0.1 port 7: hello-from-b"

say b "ip"
wait_for b 'answered: ' 5
if grep -qE "^  answered: [0-9]+ ARP, 3 echo, 1 UDP echo$" "$work/b.log"; then
	ok net-switch-counters
else
	fail net-switch-counters "B's counters: $(grep -E 'answered|dropped' "$work/b.log" | tr '\n' '|')"
fi

# Nobody has 10.0.0.9: ARP goes unanswered, and ping says so.
say a "ping 10.0.0.9 1"
wait_for a 'no answer to ARP' 10
contains net-switch-ping-nobody "$work/a.log" "ping: 10.0.0.9: no answer to ARP"

finish a; sa=$status
finish b; sb=$status
if [ "$sa" = 0 ] && [ "$sb" = 0 ]; then ok net-switch-poweroff; else
	fail net-switch-poweroff "exit statuses $sa and $sb"; fi

# A Guest without ip= refuses to ping, and says why.
printf 'ping 10.0.0.2\npoweroff\n' | timeout 20 "$L" --net="$work/sw" "$G" >"$work/noip.log" 2>&1
contains net-ping-needs-address "$work/noip.log" "ping: this Guest has no address (boot it with ip=ADDR)"

# ---- the host and a Guest, through a tap
if [ "$(id -u)" != 0 ] || [ ! -c /dev/net/tun ]; then
	skip net-tap "needs root and /dev/net/tun"
elif ! gcc -O2 -Wall -o "$work/hostnet" tests/net/hostnet.c 2>"$work/cc.log"; then
	fail net-tap "cannot compile tests/net/hostnet.c: $(head -3 "$work/cc.log")"
else
	start t "$L" --tunnet=10.77.0.1 "$G" ip=10.77.0.2
	if wait_for t 'lguest> ' 20; then
		timeout 20 "$work/hostnet" ping 10.77.0.2 3 >"$work/hostping.log" 2>&1
		pinged net-tap-host-pings-guest hostping 10.77.0.2 3
		timeout 10 "$work/hostnet" udpecho 10.77.0.2 hello-from-host >"$work/hostudp.log" 2>&1
		contains net-tap-udp-echo "$work/hostudp.log" "echo from 10.77.0.2: hello-from-host"
		say t "ping 10.77.0.1 2"
		wait_for t 'packets transmitted' 10
		pinged net-tap-guest-pings-host t 10.77.0.1 2
		finish t
	else
		fail net-tap "the Guest did not start: $(tail -3 "$work/t.log" | tr '\n' '|')"
	fi
fi

# ---- QEMU's virtio-net on our switch
if ! command -v "$qemu" >/dev/null || [ ! -f "$H" ]; then
	skip net-qemu "$qemu or $H missing (make deps; make)"; exit 0
fi
if ! "$qemu" -netdev help 2>/dev/null | grep -qw dgram; then
	skip net-qemu "this QEMU has no -netdev dgram (QEMU 7.2 or later)"; exit 0
fi
qemu_args=(-M microvm,accel=kvm,acpi=off -cpu host,-arch-capabilities -m 256
	-display none -no-reboot -monitor none -global virtio-mmio.force-legacy=false
	-device isa-debug-exit,iobase=0x501,iosize=2
	-device virtio-serial-device -chardev stdio,id=con0 -device virtconsole,chardev=con0
	-netdev dgram,id=n0,local.type=unix,local.path="$work/q.sock",remote.type=unix,remote.path="$work/sw"
	-device virtio-net-device,netdev=n0 -kernel "$H" -initrd "$G")
start c "$L" --net="$work/sw" "$G" ip=10.0.0.2
start q "$qemu" "${qemu_args[@]}" -serial file:"$work/q.serial" -append "-- ip=10.0.0.3"
if ! wait_for c 'lguest> ' 20 || ! wait_for q 'lguest> ' 20; then
	fail net-qemu-boot "no shells: $(tail -2 "$work/q.log" "$work/q.serial" | tr '\n' '|')"; exit 0
fi
say q "ping 10.0.0.2 3"
wait_for q 'packets transmitted' 15
pinged net-qemu-ping-qemu-to-lguest q 10.0.0.2 3
say c "ping 10.0.0.3 3"
wait_for c 'packets transmitted' 15
pinged net-qemu-ping-lguest-to-qemu c 10.0.0.3 3
say c "udp 10.0.0.3 7 hello-qemu"
wait_for c '^udp: ' 5
contains net-qemu-udp-echo "$work/c.log" "udp: answer from 10.0.0.3 port 7: hello-qemu"
finish q
if [ $((status & 1)) = 1 ] && [ $((status >> 1)) = 0 ]; then ok net-qemu-poweroff; else
	fail net-qemu-poweroff "QEMU's status $status"; fi
finish c

rm -f "$work/q.sock"
printf '' | timeout 30 "$qemu" "${qemu_args[@]}" -serial file:"$work/qs.serial" \
	-append "-- ip=10.0.0.4 selftest" >"$work/qs.log" 2>&1
rc=$?
n=$(grep -cE '^selftest: ok   net-(mac|rx): ' "$work/qs.serial")
if [ $((rc >> 1)) = 0 ] && [ "$n" = 2 ] && ! grep -q 'no network card' "$work/qs.serial"; then
	ok net-qemu-selftest
else
	fail net-qemu-selftest "status $rc, $n net tests: $(grep -E 'net|failed' "$work/qs.serial" | tail -3 | tr '\n' '|')"
fi
exit 0
