#!/usr/bin/env bash
# The Host's checks of hypercall arguments and traps (chapter 40), where a
# Guest can reach them without a hostile build: LHCALL_SHUTDOWN takes the
# statuses up to 124 and kills a Guest that asks for one of the Host's own
# (H:545), so a Guest cannot pretend to have been killed; an unknown
# hypercall, a fault with no handler to reflect it to or no stack to reflect
# it on, and a console write outside RAM kill the Guest with their reasons;
# a hypercall across two pages is still one, int $0x80 is not one, and port
# 0 is not the Guest's.
# Written for survivors of
# make mutate CHAPTER=40.
source "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0
needs_machine hypercalls || exit 0
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

timeout 20 build/lguest build/guest.elf poweroff=124 </dev/null >"$out/124" 2>&1
st=$?
if [ "$st" = 124 ] && ! grep -q "guest killed" "$out/124"; then ok hcall-shutdown-124
else fail hcall-shutdown-124 "status $st, expected 124: $(tail -n 2 "$out/124" | tr '\n' '|')"; fi

timeout 20 build/lguest build/guest.elf poweroff=125 </dev/null >"$out/125" 2>&1
st=$?
if [ "$st" = 125 ] && grep -qxF "lguest: guest killed: shutdown with status 125, above the Guest's limit of 124" "$out/125"; then
	ok hcall-shutdown-125-killed
else fail hcall-shutdown-125-killed "status $st: $(grep -m1 'killed' "$out/125")"; fi

# hostile=1..3 (the Guest's G:600): an unknown hypercall, a store to address 0
# before the Guest has an exception handler (the Host has nowhere to reflect
# the fault, H:515), and an early-console write of Host memory outside the
# Guest's RAM (H:535).
# hostile=41 (H:551): a fault with a handler but no stack to push its frame on.
for c in "1:unknown hypercall 999 at rip " "2:page fault (vector 14) at rip " \
	 "3:console write of 64 bytes at 0x100000 is outside Guest RAM" \
	 "41:no stack to deliver invalid opcode (vector 6) at rip "; do
	n=${c%%:*} why=${c#*:}
	timeout 20 build/lguest build/guest.elf hostile=$n </dev/null >"$out/h$n" 2>&1
	st=$?
	if [ "$st" = 125 ] && grep -qF "lguest: guest killed: $why" "$out/h$n"; then ok hcall-hostile-$n
	else fail hcall-hostile-$n "status $st: $(grep -m1 'killed' "$out/h$n")"; fi
done
# The Guest's self-tests of H:551: a hypercall whose two bytes straddle a
# page boundary (H:505) is a hypercall, not a #UD, and neither int $0x80 nor
# a ud2 that the Guest's own table has stopped mapping is one, nor one
# written over a place the Switcher learned (S:237), unless the number is
# the one learned there and the place not mapped afresh; a null hypercall
# answered by the Switcher still runs the Guest's queued calls first;
# port 0 faults like any other port (H:220), so the task-state segment ends
# where it should.
timeout 60 build/lguest build/guest.elf selftest </dev/null >"$out/selftest" 2>&1
for c in "across-pages:a hypercall across two pages is still a hypercall" \
	 "port0:port 0 is not the Guest's either" "int80:int \$0x80 is not a hypercall" \
	 "stale-code:code our table no longer maps is not a hypercall" \
	 "learned-place:a learned place holding other code is no hypercall" \
	 "ring-before-null:a null hypercall runs the calls queued before it"; do
	if grep -qxF "selftest: ok   ${c#*:}" "$out/selftest"; then ok "hcall-${c%%:*}"
	else fail "hcall-${c%%:*}" "no 'selftest: ok   ${c#*:}': $(grep -m2 'FAIL\|panic\|killed' "$out/selftest" | tr '\n' '|')"; fi
done
exit 0
