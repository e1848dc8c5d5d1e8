#!/usr/bin/env bash
# The virtqueue walker reads indirect descriptor tables at any alignment, with
# no undefined behaviour: tests/virtio/vqalign.c, built with UBSan set to stop
# at the first report, puts a table at offsets 0, 1, 2, 4, 8 and 15 from a
# 16-byte boundary and checks each chain (L:846 in chapter 33).
source "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0

if ! src=$(tangled_src launcher/virtqueue.c "${VIRTIO_SRC:-}"); then
	skip vq-align "launcher/virtqueue.c is not tangled yet: run make tangle"; exit 0
fi
work=build/tests/virtio
mkdir -p "$work"
if ! sanitizer_links -fsanitize=undefined "$work"; then
	skip vq-align "gcc cannot build with -fsanitize=undefined here (libubsan missing?)"; exit 0
fi
if ! gcc -O2 -g -Wall -Wextra -std=gnu11 -pthread -fsanitize=undefined -fno-sanitize-recover=all \
	-I"$src/include" -I"$src/launcher" -o "$work/vqalign" \
	tests/virtio/vqalign.c "$src/launcher/virtqueue.c" >"$work/vqalign-cc.log" 2>&1; then
	sed 's/^/    | /' "$work/vqalign-cc.log" | head -30
	fail vq-align-build "cannot compile tests/virtio/vqalign.c with $src/launcher"; exit 0
fi
timeout 30 "$work/vqalign" >"$work/vqalign.out" 2>"$work/vqalign.err"
rc=$?
cat "$work/vqalign.out"
if [ "$rc" -ne 0 ]; then
	fail vq-align-ubsan "vqalign stopped with status $rc: $(grep -m1 'runtime error' "$work/vqalign.err")"
fi
grep -q '^ok vq-align-done' "$work/vqalign.out" || fail vq-align-complete "vqalign stopped before its last case"
exit 0
