#!/usr/bin/env bash
# The virtqueue walker reads indirect descriptor tables at any alignment, with
# no undefined behaviour: tests/virtio/vqalign.c, built with UBSan set to stop
# at the first report, puts a table at offsets 0, 1, 2, 4, 8 and 15 from a
# 16-byte boundary and checks each chain (L:846 in chapter 33).
source "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0

harness_src vq-align launcher/virtqueue.c "${VIRTIO_SRC:-}" || exit 0
build_harness vq-align virtio/vqalign undefined -O2 -g -Wall -Wextra -std=gnu11 -pthread -I"$src/include" -I"$src/launcher" \
	"$src/launcher/virtqueue.c" || exit 0
run_harness vq-align virtio/vqalign 30
exit 0
