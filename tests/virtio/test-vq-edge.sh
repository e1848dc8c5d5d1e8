#!/usr/bin/env bash
# The virtqueue walker at its edges (tests/virtio/vqedge.c): rings that end on
# RAM's last byte or one step past it or off their alignment, a chain of
# exactly the most buffers or bytes we take and one more, and the iovec
# copies and slices against a flat reference (chapter 33).  Built with UBSan
# and ASan, so a copy one byte too far stops it.
source "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0

harness_src vq-edge launcher/virtqueue.c "${VIRTIO_SRC:-}" || exit 0
build_harness vq-edge virtio/vqedge address,undefined -O1 -g -Wall -Wextra -std=gnu11 -pthread -I"$src/include" -I"$src/launcher" \
	"$src/launcher/virtqueue.c" || exit 0
run_harness vq-edge virtio/vqedge 60
exit 0
