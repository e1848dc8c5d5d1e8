#!/bin/bash
# What this machine's KVM does with KVM_SET_GUEST_DEBUG (guestdbg-probe.c):
# single step, software and hardware breakpoints, at CPL 0 and CPL 3.  A case
# KVM does here is "ok"; a case it does not do is a fact about this KVM, not a
# defect of ours, and is a "skip" that says what happened.  The probe failing
# to make its VM at all is a FAIL.
cd "$(dirname "$0")/../.." || exit 0
source tests/lib.sh
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

if [ ! -w /dev/kvm ]; then skip guestdbg-probe "/dev/kvm is not usable here"; exit 0; fi
if ! gcc -O1 -Wall -o "$OUT/probe" tests/debug/guestdbg-probe.c 2>"$OUT/cc"; then
	fail guestdbg-probe "does not build: $(head -3 "$OUT/cc")"; exit 0
fi
timeout 60 "$OUT/probe" >"$OUT/log" 2>&1
rc=$?
if [ $rc -ne 0 ] && [ $rc -ne 1 ]; then
	fail guestdbg-probe "status $rc: $(tr '\n' '|' <"$OUT/log")"; exit 0
fi
while read -r case cpl verdict rest; do
	name=guestdbg-${case}-${cpl%:}
	case $verdict in
	works) ok "$name" ;;
	fails:) skip "$name" "this KVM: $rest" ;;
	*) fail "$name" "unexpected probe line: $case $cpl $verdict $rest" ;;
	esac
done <"$OUT/log"
[ -s "$OUT/log" ] || fail guestdbg-probe "the probe printed nothing"
exit 0
