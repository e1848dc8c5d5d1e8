#!/usr/bin/env bash
# The Guest disk driver's requests (D:520 to D:530) against a model disk:
# tests/virtio/guestblk.c includes drivers/virtio_blk.c and the queue whole
# and checks, on the host with AddressSanitizer, the driver's own checks
# (buffers, whole sectors, the disk's end without overflow, read-only),
# the layout and status of a request, a batch started, kicked once and
# collected in the device's order with blk_wait and blk_poll, and reads,
# writes, errors and flushes one at a time.
source "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0

if ! src=$(tangled_src drivers/virtio_blk.c "${VIRTIO_SRC:-}"); then
	skip guest-blk "drivers/virtio_blk.c is not tangled yet: run make tangle"; exit 0
fi
work=build/tests/virtio
mkdir -p "$work"
asan=-fsanitize=address
sanitizer_links $asan "$work" || asan=
if ! gcc -O1 -g -std=gnu11 -fno-builtin -ffunction-sections -Wl,--gc-sections $asan \
	-I"$src/include" -I"$src/guest" -I"$src/drivers" -Itests/virtio -o "$work/guestblk" \
	tests/virtio/guestblk.c >"$work/guestblk-cc.log" 2>&1; then
	sed 's/^/    | /' "$work/guestblk-cc.log" | grep -v warning | head -30
	fail guest-blk-build "cannot compile tests/virtio/guestblk.c with $src/drivers"; exit 0
fi
ASAN_OPTIONS=detect_leaks=0 timeout 20 "$work/guestblk" >"$work/guestblk.out" 2>"$work/guestblk.err"
rc=$?
cat "$work/guestblk.out"
if [ "$rc" -ne 0 ]; then
	fail guest-blk-runs "guestblk stopped with status $rc: $(grep -m1 -E 'ERROR|FAIL' "$work/guestblk.err" "$work/guestblk.out")"
fi
grep -q '^ok guest-blk-done' "$work/guestblk.out" || fail guest-blk-complete "guestblk stopped before its last case"
[ -n "$asan" ] || skip guest-blk-asan "gcc cannot build with -fsanitize=address here"
exit 0
