#!/usr/bin/env bash
# The virtqueue walker at its edges (tests/virtio/vqedge.c): rings that end on
# RAM's last byte or one step past it or off their alignment, a chain of
# exactly the most buffers or bytes we take and one more, and the iovec
# copies and slices against a flat reference (chapter 33).  Built with UBSan
# and ASan, so a copy one byte too far stops it.
source "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0

if ! src=$(tangled_src launcher/virtqueue.c "${VIRTIO_SRC:-}"); then
	skip vq-edge "launcher/virtqueue.c is not tangled yet: run make tangle"; exit 0
fi
work=build/tests/virtio
mkdir -p "$work"
san=
sanitizer_links "-fsanitize=address,undefined" "$work" && san="-fsanitize=address,undefined -fno-sanitize-recover=all"
if ! gcc -O1 -g -Wall -Wextra -std=gnu11 -pthread $san \
	-I"$src/include" -I"$src/launcher" -o "$work/vqedge" \
	tests/virtio/vqedge.c "$src/launcher/virtqueue.c" >"$work/vqedge-cc.log" 2>&1; then
	sed 's/^/    | /' "$work/vqedge-cc.log" | head -30
	fail vq-edge-build "cannot compile tests/virtio/vqedge.c with $src/launcher"; exit 0
fi
ASAN_OPTIONS=detect_leaks=0 timeout 60 "$work/vqedge" >"$work/vqedge.out" 2>"$work/vqedge.err"
rc=$?
cat "$work/vqedge.out"
if [ "$rc" -ne 0 ]; then
	fail vq-edge-run "vqedge stopped with status $rc: $(grep -m1 'ERROR\|runtime error' "$work/vqedge.err")"
fi
grep -q '^ok vq-edge-done' "$work/vqedge.out" || fail vq-edge-complete "vqedge stopped before its last case"
exit 0
