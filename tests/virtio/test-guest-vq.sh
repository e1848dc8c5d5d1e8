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

harness_src guest-vq drivers/virtqueue.c "${VIRTIO_SRC:-}" || exit 0
build_harness guest-vq virtio/guestvq address -O1 -g -std=gnu11 -pthread -fno-builtin -ffunction-sections -Wl,--gc-sections \
	-I"$src/include" -I"$src/guest" -I"$src/drivers" || exit 0
run_harness guest-vq virtio/guestvq 20
exit 0
