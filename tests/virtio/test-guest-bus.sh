#!/usr/bin/env bash
# The Guest's virtio-mmio bus (D:140 to D:180) against model devices:
# tests/virtio/guestbus.c includes drivers/virtio_mmio.c whole, with its
# register accesses going to small devices that keep the transport's rules,
# and checks on the host, with AddressSanitizer: which boot entries become
# devices (not virtio, version 1, empty slots, past the count), one mapping
# for a page of windows, reset and ACKNOWLEDGE first, a refused probe left
# FAILED, lookups, feature negotiation in both halves, configuration reads
# that retry when the generation moves, the interrupt's acknowledgement,
# queues, config_changed and unmask, windows that spill over their page,
# and parse_u64.
source "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0

harness_src guest-bus drivers/virtio_mmio.c "${VIRTIO_SRC:-}" || exit 0
build_harness guest-bus virtio/guestbus address -O1 -g -std=gnu11 -fno-builtin -ffunction-sections -Wl,--gc-sections \
	-I"$src/include" -I"$src/guest" -I"$src/drivers" || exit 0
run_harness guest-bus virtio/guestbus 20
exit 0
