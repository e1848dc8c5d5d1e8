#!/usr/bin/env bash
# The Host's checks of hypercall arguments (chapter 40), where a Guest can
# reach them without a hostile build: LHCALL_SHUTDOWN takes the statuses up
# to 124 and kills a Guest that asks for one of the Host's own (H:545), so a
# Guest cannot pretend to have been killed.  Written for survivors of
# make mutate CHAPTER=40 MUTATE_FILES=host/hypercalls.c.
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
exit 0
