#!/usr/bin/env bash
# The Guest driver's split virtqueue (D:200 to D:240) against a model device:
# tests/virtio/guestvq.c includes drivers/virtqueue.c whole and checks, on
# the host with AddressSanitizer, the queue's size and registers, chains and
# indirect tables, the free list after out-of-order returns, a device's bad
# head (a panic), kicks against NO_NOTIFY and avail_event across the 16-bit
# wrap, used_event and vq_arm, the waits (parking, sleeping only with
# interrupts held off) and the interrupt's count and callback.
# Queues are never torn down in the Guest, so leaks are not looked for.
source "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0

if ! src=$(tangled_src drivers/virtqueue.c "${VIRTIO_SRC:-}"); then
	skip guest-vq "drivers/virtqueue.c is not tangled yet: run make tangle"; exit 0
fi
work=build/tests/virtio
mkdir -p "$work"
asan=-fsanitize=address
sanitizer_links $asan "$work" || asan=
if ! gcc -O1 -g -std=gnu11 -fno-builtin -ffunction-sections -Wl,--gc-sections $asan \
	-I"$src/include" -I"$src/guest" -I"$src/drivers" -o "$work/guestvq" \
	tests/virtio/guestvq.c >"$work/guestvq-cc.log" 2>&1; then
	sed 's/^/    | /' "$work/guestvq-cc.log" | grep -v warning | head -30
	fail guest-vq-build "cannot compile tests/virtio/guestvq.c with $src/drivers"; exit 0
fi
ASAN_OPTIONS=detect_leaks=0 timeout 20 "$work/guestvq" >"$work/guestvq.out" 2>"$work/guestvq.err"
rc=$?
cat "$work/guestvq.out"
if [ "$rc" -ne 0 ]; then
	fail guest-vq-runs "guestvq stopped with status $rc: $(grep -m1 -E 'ERROR|FAIL' "$work/guestvq.err" "$work/guestvq.out")"
fi
grep -q '^ok guest-vq-done' "$work/guestvq.out" || fail guest-vq-complete "guestvq stopped before its last case"
[ -n "$asan" ] || skip guest-vq-asan "gcc cannot build with -fsanitize=address here"
exit 0
