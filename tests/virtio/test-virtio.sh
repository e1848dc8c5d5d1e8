#!/usr/bin/env bash
# The Launcher's virtio devices, tested on the host without /dev/kvm: the
# virtqueue walker against hostile rings, the block device on a temporary
# image, the network card through a switch (and a tap, in a network namespace
# of its own), and the virtio-mmio transport driven register by register
# (tests/virtio/vqtest.c plays the rest of the Launcher and the Guest).
source "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0

harness_src virtio launcher/virtqueue.c "${VIRTIO_SRC:-}" || exit 0
files=(virtqueue.c virtio_mmio.c virtio_blk.c virtio_rng.c virtio_console.c virtio_devices.c virtio_net.c switch.c sandbox.c)
build_harness virtio virtio/vqtest "" -O2 -g -Wall -Wextra -std=gnu11 -pthread \
	-I"$src/include" -I"$src/launcher" "${files[@]/#/$src/launcher/}" -lseccomp -luring || exit 0
work=build/tests/virtio
# The tap test makes an interface: it runs in a network namespace of its own.
if [ -n "$(netns_prefix)" ]; then
	in_netns timeout 60 "$work/vqtest" </dev/null >"$work/out" 2>&1
else
	timeout 60 "$work/vqtest" </dev/null >"$work/out" 2>&1
fi
rc=$?
cat "$work/out"
[ "$rc" -eq 0 ] || fail virtio-run "vqtest exited with status $rc"
grep -q '^ok vqtest-done' "$work/out" || fail virtio-complete "vqtest stopped before its last test"
exit 0
