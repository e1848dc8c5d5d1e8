#!/usr/bin/env bash
# The Guest driver's vq_alloc when memory runs out part-way (D:212):
# tests/virtio/vqalloc.c, built on the host with AddressSanitizer, makes each
# of its allocations fail in turn and checks that the error path gives back
# exactly what was taken, and frees nothing it never allocated.
source "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0

harness_src vq-alloc drivers/virtqueue.c "${VIRTIO_SRC:-}" || exit 0
# Only vq_alloc runs: unused functions (and what they call in the rest of
# the Guest) are dropped by --gc-sections.  ASan's leak check stays on: a
# failed vq_alloc must give back all it took.
build_harness vq-alloc virtio/vqalloc address -O1 -g -std=gnu11 -fno-builtin -ffunction-sections -Wl,--gc-sections \
	-I"$src/include" -I"$src/guest" -I"$src/drivers" || exit 0
ASAN_OPTIONS=detect_leaks=1 run_harness vq-alloc virtio/vqalloc 30
exit 0
