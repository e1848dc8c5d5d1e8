#!/usr/bin/env bash
# The shell's network commands (chapter 23, D:868-D:877): udp sends text of
# several words, and every failure of udp and ping names its cause: a bad
# address, a bad port or count, no card, no address, a peer off our /24, no
# answer to ARP.  Two Guests on our UNIX-socket switch: no tap, nothing
# leaves this machine's processes.  Every Guest is bounded by timeout.
source "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0
L=build/lguest G=build/guest.elf
needs_machine shell-net || exit 0
source tests/net/guests.sh

# A Guest with no card, and one with a card but no address.
printf 'udp 10.0.0.2 7 hi\nping 10.0.0.2\npoweroff\n' |
	timeout 20 "$L" "$G" >"$work/nocard.log" 2>&1
contains shell-net-udp-no-card "$work/nocard.log" "udp: no network card"
contains shell-net-ping-no-card "$work/nocard.log" "ping: no network card"

"$L" switch "$work/sw" >"$work/sw.log" 2>&1 &
pids+=($!)
for ((i = 0; i < 50; i++)); do grep -q listening "$work/sw.log" && break; sleep 0.1; done
printf 'udp 10.0.0.2 7 hi\npoweroff\n' |
	timeout 20 "$L" --net="$work/sw" "$G" >"$work/noip.log" 2>&1
contains shell-net-udp-no-address "$work/noip.log" "udp: this Guest has no address (boot it with ip=ADDR)"

# B answers on port 7 (the echo service); A is driven through a pipe.
start b "$L" --net="$work/sw" "$G" ip=10.0.0.2
if ! wait_for b 'lguest> ' 20; then
	fail shell-net-boot "B did not reach its shell: $(tail -2 "$work/b.log" | tr '\n' '|')"; exit 0
fi
cmds=(
	"udp 10.0.0.2 7 hello big   world"
	"udp 10.0.0.2 7"
	"udp 10.0.0.256 7 x"
	"udp 10.0.0.2 70000 x"
	"udp 10.0.0.2 x7 x"
	"udp 10.1.0.2 7 x"
	"udp 10.0.0.9 7 x"
	"ping 10.0.0.2 abc"
	"ping 10.0.0.2 0"
	"ping ten"
	"poweroff 5"
)
printf '%s\n' "${cmds[@]}" | timeout 40 "$L" --net="$work/sw" "$G" ip=10.0.0.1 >"$work/a.log" 2>&1
st=$?
contains shell-net-udp-words "$work/a.log" "udp: answer from 10.0.0.2 port 7: hello big world"
contains shell-net-udp-usage "$work/a.log" "usage: udp ADDR PORT TEXT"
contains shell-net-udp-bad-address "$work/a.log" "udp: 10.0.0.256 is not an IPv4 address"
contains shell-net-udp-port-too-big "$work/a.log" "udp: 70000 is not a port (1 to 65535)"
contains shell-net-udp-port-not-number "$work/a.log" "udp: x7 is not a port (1 to 65535)"
contains shell-net-udp-off-subnet "$work/a.log" "udp: 10.1.0.2 is not on our /24, and we have no router"
contains shell-net-udp-no-arp "$work/a.log" "udp: 10.0.0.9: no answer to ARP"
contains shell-net-ping-bad-count "$work/a.log" "ping: abc is not a count (1 or more)"
contains shell-net-ping-zero-count "$work/a.log" "ping: 0 is not a count (1 or more)"
contains shell-net-ping-bad-address "$work/a.log" "ping: ten is not an IPv4 address"
if [ "$st" = 5 ]; then ok shell-net-a-poweroff; else
	fail shell-net-a-poweroff "status $st, expected 5: $(tail -3 "$work/a.log" | tr '\n' '|')"; fi
finish b
if [ "$status" = 0 ]; then ok shell-net-b-poweroff; else fail shell-net-b-poweroff "status $status"; fi
