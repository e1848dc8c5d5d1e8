#!/usr/bin/env bash
# The Guest's virtio-mmio bus (D:140 to D:180) against model devices:
# tests/virtio/guestbus.c includes drivers/virtio_mmio.c whole, with its
# register accesses going to small devices that keep the transport's rules,
# and checks on the host, with AddressSanitizer: which boot entries become
# devices (not virtio, version 1, empty slots, past the count), one mapping
# for a page of windows, reset and ACKNOWLEDGE first, a refused probe left
# FAILED, lookups, feature negotiation in both halves, configuration reads
# that retry when the generation moves, the interrupt's acknowledgement,
# queues, config_changed and unmask, windows that spill over their page,
# and parse_u64.
source "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0

if ! src=$(tangled_src drivers/virtio_mmio.c "${VIRTIO_SRC:-}"); then
	skip guest-bus "drivers/virtio_mmio.c is not tangled yet: run make tangle"; exit 0
fi
work=build/tests/virtio
mkdir -p "$work"
asan=-fsanitize=address
sanitizer_links $asan "$work" || asan=
if ! gcc -O1 -g -std=gnu11 -fno-builtin -ffunction-sections -Wl,--gc-sections $asan \
	-I"$src/include" -I"$src/guest" -I"$src/drivers" -o "$work/guestbus" \
	tests/virtio/guestbus.c >"$work/guestbus-cc.log" 2>&1; then
	sed 's/^/    | /' "$work/guestbus-cc.log" | grep -v warning | head -30
	fail guest-bus-build "cannot compile tests/virtio/guestbus.c with $src/drivers"; exit 0
fi
ASAN_OPTIONS=detect_leaks=0 timeout 20 "$work/guestbus" >"$work/guestbus.out" 2>"$work/guestbus.err"
rc=$?
cat "$work/guestbus.out"
if [ "$rc" -ne 0 ]; then
	fail guest-bus-runs "guestbus stopped with status $rc: $(grep -m1 -E 'ERROR|FAIL' "$work/guestbus.err" "$work/guestbus.out")"
fi
grep -q '^ok guest-bus-done' "$work/guestbus.out" || fail guest-bus-complete "guestbus stopped before its last case"
[ -n "$asan" ] || skip guest-bus-asan "gcc cannot build with -fsanitize=address here"
exit 0
