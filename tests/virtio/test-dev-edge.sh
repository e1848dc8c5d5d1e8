#!/usr/bin/env bash
# The Launcher's devices through their worker threads (tests/virtio/devedge.c):
# the transport's worker and ioeventfd, the console's input and end of input
# across a reset, the entropy device's lengths, the disk's GET_ID, io_uring
# and its fallback (chapters 33 and 34).  Host-side, no /dev/kvm; built with
# ASan and UBSan where they link.
source "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0

harness_src dev-edge launcher/virtio_mmio.c "${VIRTIO_SRC:-}" || exit 0
files=(virtqueue.c virtio_mmio.c virtio_console.c virtio_rng.c virtio_blk.c virtio_devices.c)
build_harness dev-edge virtio/devedge address,undefined -O1 -g -Wall -Wextra -std=gnu11 -pthread -I"$src/include" -I"$src/launcher" \
	"${files[@]/#/$src/launcher/}" -luring || exit 0
run_harness dev-edge virtio/devedge 60
exit 0
