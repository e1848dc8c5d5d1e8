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

harness_src guest-blk drivers/virtio_blk.c "${VIRTIO_SRC:-}" || exit 0
build_harness guest-blk virtio/guestblk address -O1 -g -std=gnu11 -pthread -fno-builtin -ffunction-sections -Wl,--gc-sections \
	-I"$src/include" -I"$src/guest" -I"$src/drivers" -Itests/virtio || exit 0
run_harness guest-blk virtio/guestblk 20
exit 0
