#!/usr/bin/env bash
# `make mutate` must not rot: a fixed sample of mistakes a student could make,
# each built and tested in a private copy (build/mutate/check), must be
# killed by the tests that cover its chapter.  The first two are the
# survivors issue 13 found: an EVENT_IDX off-by-one in the Launcher (L:850)
# and a Host that forgets dirty-bit tracking (H:615).  A mutant is named by
# the text it changes, so a renamed line is reported, not silently skipped.
# The unmutated tree is not tested again here: tests/run runs those tests.
source "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0
if [ ! -f build/src/launcher/virtqueue.c ] || [ ! -x build/lguest ]; then
	fail mutate "build/src or build/lguest missing (run make)"; exit 0
fi

# Every mutant called equivalent must still exist where the list says: a
# chapter line that moved would let the mutant back into the score unexcused.
if out=$(python3 tests/mutate/mutate.py --check-equivalent 2>&1); then ok "equivalent-list-current: $(tail -n 1 <<<"$out")"
else fail equivalent-list-current "$(head -n 3 <<<"$out" | tr '\n' ' ')"; fi

# mutant NAME TESTS FILE OLD NEW: FILE's one line holding OLD gets NEW.
mutant() {
	local name=$1 tests=$2 out
	out=$(nice python3 tests/mutate/mutate.py --tree build/mutate/check --timeout 120 \
		--no-baseline --tests "$tests" --apply "$3" "$4" "$5" 2>&1)
	if grep -q '^killed ' <<<"$out"; then
		ok "mutant-$name: killed by $(grep -o 'FAIL [^ :]*' <<<"$out" | head -1 | cut -c6-)"
	elif grep -q '^survived ' <<<"$out"; then
		fail "mutant-$name" "survived every test of $tests"
	else
		fail "mutant-$name" "$(tail -n 3 <<<"$out" | tr '\n' ' ')"
	fi
}

mutant event-idx-off-by-one tests/virtio/test-virtio.sh launcher/virtqueue.c \
	'(u16)(new - event - 1) < (u16)(new - old)' '(u16)(new - event - 1) <= (u16)(new - old)'
mutant dirty-bit-ignored tests/paging/test-paging.sh host/shadow.c \
	'if (w->writable && (*w->leaf & PTE_D))' 'if (w->writable)'
mutant readable-after-writable tests/virtio/test-virtio.sh launcher/virtqueue.c \
	'if (!writable && c->nr_in)' 'if (0)'
mutant unmask-clock tests/devices-host/test-host-devices.sh host/devices.c \
	'if (irq == 0 || irq > lg->nr_devices)' 'if (irq > lg->nr_devices)'
exit 0
