#!/usr/bin/env bash
# `lguest switch PATH` against careless users and hostile neighbours
# (chapter 35, L:985 to L:996), with tests/net/swclient.c playing the
# neighbours:
#  - it refuses a PATH that holds anything but a stale socket, and a PATH
#    where a switch is running, and replaces a stale socket;
#  - its port table cannot be filled for good, by sockets that said hello and
#    went away, or by sockets that said hello and keep quiet;
#  - a MAC address learned on a live port stays there; a port that has gone
#    gives its address up;
#  - runts, oversize datagrams and junk neither stop it nor get passed on;
#  - two Guests on a LAN ping each other again when the switch is restarted.
source "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0
L=build/lguest G=build/guest.elf

if [ ! -x "$L" ] || [ ! -f "$G" ]; then
	fail switch "build/lguest or build/guest.elf missing (run make)"; exit 0
fi
source tests/net/guests.sh
C=$work/swclient
if ! gcc -O2 -Wall -o "$C" tests/net/swclient.c 2>"$work/cc.log"; then
	fail switch-client "cannot compile tests/net/swclient.c: $(head -3 "$work/cc.log")"; exit 0
fi
sw=$work/lan.sock
: >"$work/sw.log"

# run_switch: starts a switch at $sw in the background ($swpid), waits for it.
# The log gathers every switch's lines, so we wait for one more "listening".
run_switch() {
	local n
	n=$(grep -c listening "$work/sw.log")
	"$L" switch "$sw" >>"$work/sw.log" 2>&1 &
	swpid=$!
	pids+=($swpid)
	for ((i = 0; i < 50; i++)); do
		[ "$(grep -c listening "$work/sw.log")" -gt "$n" ] && return 0
		sleep 0.1
	done
	return 1
}
# fresh_switch: the switch at $sw is replaced by a new one, so that each
# part of the test starts with an empty port table.
fresh_switch() {
	kill "$swpid"; wait "$swpid" 2>/dev/null
	run_switch
}
# client NAME MODE ARGS...: ok if swclient says the switch behaved.
client() {
	local name=$1 out; shift
	if out=$(timeout 30 "$C" "$sw" "$@" 2>&1); then ok "$name"; else
		fail "$name" "$(echo "$out" | tr '\n' '|')"; fi
}

# ---- what is at PATH
printf 'precious\n' >"$sw"
timeout 10 "$L" switch "$sw" >"$work/out" 2>&1; rc=$?
if [ "$rc" = 1 ] && grep -q 'is not a socket' "$work/out" && [ "$(cat "$sw")" = precious ]; then
	ok switch-keeps-a-file
else
	fail switch-keeps-a-file "status $rc, file now '$(head -c 20 "$sw" 2>/dev/null)': $(cat "$work/out")"
fi
rm -f "$sw"; mkdir "$sw"
timeout 10 "$L" switch "$sw" >"$work/out" 2>&1; rc=$?
if [ "$rc" = 1 ] && [ -d "$sw" ]; then ok switch-keeps-a-directory; else
	fail switch-keeps-a-directory "status $rc: $(cat "$work/out")"; fi
rmdir "$sw"

run_switch || { fail switch-starts "no switch: $(cat "$work/sw.log")"; exit 0; }
timeout 10 "$L" switch "$sw" >"$work/out" 2>&1; rc=$?
if [ "$rc" = 1 ] && grep -q 'in use by a running switch' "$work/out"; then
	client switch-refuses-a-live-path pair
else
	fail switch-refuses-a-live-path "status $rc: $(cat "$work/out")"
fi
kill -9 "$swpid"; wait "$swpid" 2>/dev/null
if [ -S "$sw" ] && run_switch; then client switch-replaces-a-stale-socket pair; else
	fail switch-replaces-a-stale-socket "$(tail -2 "$work/sw.log")"; fi

# ---- the port table (64 ports)
"$C" "$sw" throwaway 70 >/dev/null
client switch-throwaway-ports-reclaimed pair
fresh_switch
"$C" "$sw" hold 70 30 >"$work/hold.out" 2>&1 &
holder=$!
pids+=($holder)
for ((i = 0; i < 50; i++)); do grep -q wait "$work/hold.out" && break; sleep 0.1; done
sleep 4		# longer than the switch's SWITCH_IDLE
client switch-silent-ports-reclaimed pair
kill "$holder"; wait "$holder" 2>/dev/null

# ---- MAC addresses
fresh_switch
client switch-mac-stays-on-its-live-port steal
if grep -q 'dropped a frame from 02:ee:.*lives on another port (1 such' "$work/sw.log"; then
	ok switch-mac-claim-reported
else
	fail switch-mac-claim-reported "no message on the switch's stderr: $(tail -2 "$work/sw.log" | tr '\n' '|')"
fi
client switch-mac-moves-from-a-gone-port moved

# ---- garbage
fresh_switch
client switch-garbage-not-passed-on garbage
if kill -0 "$swpid" 2>/dev/null; then ok switch-survives-garbage; else
	fail switch-survives-garbage "the switch died: $(tail -2 "$work/sw.log")"; fi

# ---- two Guests, and the switch restarted under them
fresh_switch
start a timeout 60 "$L" --net="$sw" "$G" ip=10.0.0.1
start b timeout 60 "$L" --net="$sw" "$G" ip=10.0.0.2
if ! wait_for a 'lguest> ' 20 || ! wait_for b 'lguest> ' 20; then
	fail switch-restart "the Guests did not reach their shells: $(tail -2 "$work/a.log" | tr '\n' '|')"
	exit 0
fi
say b "ping 10.0.0.1 1"
wait_for b 'packets transmitted' 10
pinged switch-restart-before b 10.0.0.1 1
kill -9 "$swpid"; wait "$swpid" 2>/dev/null
run_switch || { fail switch-restart "the new switch did not start: $(tail -2 "$work/sw.log")"; exit 0; }
sleep 2		# the Guests' cards say hello once a second
say a "ping 10.0.0.2 3"
wait_for a 'packets transmitted' 15
pinged switch-restart-guests-ping-again a 10.0.0.2 3
say b "udp 10.0.0.1 7 after-the-restart"
wait_for b '^udp: ' 5
contains switch-restart-guests-udp-back "$work/b.log" "udp: answer from 10.0.0.1 port 7: after-the-restart"
finish a
finish b
exit 0
