#!/usr/bin/env bash
# The Guest's network, end to end:
#  - two Guests on one switch (lguest switch) ping each other and use each
#    other's UDP echo service, with different MAC addresses;
#  - the host pings a Guest through a tap (--tunnet), and the Guest pings the
#    host, inside a network namespace the test makes (tests/net/tap.sh);
#  - a Guest on QEMU's virtio-net joins the same switch (QEMU's -netdev dgram
#    sends one frame per datagram, as our switch does) and pings an lguest
#    Guest both ways; its self-tests pass on QEMU's card.
# Every Guest's console is a fifo the test writes shell commands into.
source "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0
L=build/lguest G=build/guest.elf H=build/host.elf
qemu=${QEMU:-qemu-system-x86_64}

needs_machine net || exit 0
source tests/net/guests.sh

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

# ---- the host and a Guest, through a tap, in a network namespace of the
# test's own (tests/net/tap.sh): the tap, its address and every packet stay
# there, and go with it.
if [ ! -c /dev/net/tun ]; then
	skip net-tap "no /dev/net/tun here"
elif [ -z "$(netns_prefix)" ]; then
	skip net-tap "cannot make a network namespace here (unshare --net, or -rn as a user)"
else
	in_netns bash tests/net/tap.sh || fail net-tap "no namespace with loopback up (status $?)"
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
# The whole self-test table runs here: 30 s under a load average of 20 on
# two CPUs (2026-12-01), hence the generous timeout.
printf '' | timeout 120 "$qemu" "${qemu_args[@]}" -serial file:"$work/qs.serial" \
	-append "-- ip=10.0.0.4 selftest" >"$work/qs.log" 2>&1
rc=$?
n=$(grep -cE '^selftest: ok   net-(mac|rx): ' "$work/qs.serial")
if [ $((rc >> 1)) = 0 ] && [ "$n" = 2 ] && ! grep -q 'no network card' "$work/qs.serial"; then
	ok net-qemu-selftest
else
	fail net-qemu-selftest "status $rc, $n net tests: $(grep -E 'net|failed' "$work/qs.serial" | tail -3 | tr '\n' '|')"
fi
exit 0
