#!/usr/bin/env bash
# The Launcher's devices through their worker threads (tests/virtio/devedge.c):
# the transport's worker and ioeventfd, the console's input and end of input
# across a reset, the entropy device's lengths, the disk's GET_ID, io_uring
# and its fallback (chapters 33 and 34).  Host-side, no /dev/kvm; built with
# ASan and UBSan where they link.
source "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0

if ! src=$(tangled_src launcher/virtio_mmio.c "${VIRTIO_SRC:-}"); then
	skip dev-edge "launcher/virtio_mmio.c is not tangled yet: run make tangle"; exit 0
fi
work=build/tests/virtio
mkdir -p "$work"
san=
sanitizer_links "-fsanitize=address,undefined" "$work" && san="-fsanitize=address,undefined -fno-sanitize-recover=all"
files=(virtqueue.c virtio_mmio.c virtio_console.c virtio_rng.c virtio_blk.c virtio_devices.c)
if ! gcc -O1 -g -Wall -Wextra -std=gnu11 -pthread $san -I"$src/include" -I"$src/launcher" \
	-o "$work/devedge" tests/virtio/devedge.c "${files[@]/#/$src/launcher/}" \
	-luring >"$work/devedge-cc.log" 2>&1; then
	sed 's/^/    | /' "$work/devedge-cc.log" | head -30
	fail dev-edge-build "cannot compile tests/virtio/devedge.c with $src/launcher"; exit 0
fi
ASAN_OPTIONS=detect_leaks=0 timeout 60 "$work/devedge" >"$work/devedge.out" 2>"$work/devedge.err"
rc=$?
cat "$work/devedge.out"
if [ "$rc" -ne 0 ]; then
	fail dev-edge-run "devedge stopped with status $rc: $(grep -m1 'ERROR\|runtime error\|devedge' "$work/devedge.err")"
fi
grep -q '^ok devedge-done' "$work/devedge.out" || fail dev-edge-complete "devedge stopped before its last case"
exit 0
