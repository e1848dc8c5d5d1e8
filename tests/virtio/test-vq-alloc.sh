#!/usr/bin/env bash
# The Guest driver's vq_alloc when memory runs out part-way (D:212):
# tests/virtio/vqalloc.c, built on the host with AddressSanitizer, makes each
# of its allocations fail in turn and checks that the error path gives back
# exactly what was taken, and frees nothing it never allocated.
source "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0

if ! src=$(tangled_src drivers/virtqueue.c "${VIRTIO_SRC:-}"); then
	skip vq-alloc "drivers/virtqueue.c is not tangled yet: run make tangle"; exit 0
fi
work=build/tests/virtio
mkdir -p "$work"
asan=-fsanitize=address
sanitizer_links $asan "$work" || asan=	# the allocator's own bookkeeping still catches a bad free
# Only vq_alloc runs: unused functions (and what they call in the rest of
# the Guest) are dropped by --gc-sections.
if ! gcc -O1 -g -std=gnu11 -fno-builtin -ffunction-sections -Wl,--gc-sections $asan \
	-I"$src/include" -I"$src/guest" -I"$src/drivers" -o "$work/vqalloc" \
	tests/virtio/vqalloc.c >"$work/vqalloc-cc.log" 2>&1; then
	sed 's/^/    | /' "$work/vqalloc-cc.log" | grep -v warning | head -30
	fail vq-alloc-build "cannot compile tests/virtio/vqalloc.c with $src/drivers"; exit 0
fi
timeout 30 "$work/vqalloc" >"$work/vqalloc.out" 2>"$work/vqalloc.err"
rc=$?
cat "$work/vqalloc.out"
if [ "$rc" -ne 0 ]; then
	fail vq-alloc-asan "vqalloc stopped with status $rc: $(grep -m1 'ERROR' "$work/vqalloc.err")"
fi
grep -q '^ok vq-alloc-done' "$work/vqalloc.out" || fail vq-alloc-complete "vqalloc stopped before its last case"
[ -n "$asan" ] || skip vq-alloc-asan "gcc cannot build with -fsanitize=address here"
exit 0
