#!/usr/bin/env bash
# The host and a Guest through a tap (--tunnet).  tests/net/test-net.sh runs
# this inside a network namespace of its own (in_netns): the tap, its address
# and every packet stay there.  It refuses to run anywhere else.
source "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0
L=build/lguest G=build/guest.elf
source tests/net/guests.sh

# Only loopback may be here: a namespace made for this test, not the machine's.
links=$(ip -o link show | awk -F': ' '{ print $2 }' | tr '\n' ' ')
if [ "${LG_NETNS:-}" = 1 ] && [ "$links" = "lo " ]; then
	ok net-tap-own-namespace
else
	fail net-tap-own-namespace "not in a fresh network namespace (links: $links); run by test-net.sh"
	exit 0
fi
if ! gcc -O2 -Wall -o "$work/hostnet" tests/net/hostnet.c 2>"$work/cc.log"; then
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
exit 0
