#!/usr/bin/env bash
# The Launcher's virtio devices, tested on the host without /dev/kvm: the
# virtqueue walker against hostile rings, the block device on a temporary
# image, the network card through a switch (and a tap, in a network namespace
# of its own), and the virtio-mmio transport driven register by register
# (tests/virtio/vqtest.c plays the rest of the Launcher and the Guest).
source "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0

# The tangled sources: build/src after `make tangle`, else generated/, or
# another tangle named by VIRTIO_SRC.
src=${VIRTIO_SRC:-build/src}
[ -f "$src/launcher/virtqueue.c" ] || src=generated
if [ ! -f "$src/launcher/virtqueue.c" ]; then
	skip virtio "launcher/virtqueue.c is not tangled yet: run make tangle"; exit 0
fi
work=build/tests/virtio
mkdir -p "$work"
files=(virtqueue.c virtio_mmio.c virtio_blk.c virtio_rng.c virtio_console.c virtio_devices.c virtio_net.c switch.c sandbox.c)
if ! gcc -O2 -g -Wall -Wextra -std=gnu11 -pthread -I"$src/include" -I"$src/launcher" \
	-o "$work/vqtest" tests/virtio/vqtest.c "${files[@]/#/$src/launcher/}" \
	-lseccomp -luring >"$work/cc.log" 2>&1; then
	sed 's/^/    | /' "$work/cc.log" | head -30
	fail virtio-build "cannot compile tests/virtio/vqtest.c with $src/launcher"; exit 0
fi
# The tap test makes an interface: it runs in a network namespace of its own.
if [ -n "$(netns_prefix)" ]; then
	in_netns timeout 60 "$work/vqtest" </dev/null >"$work/out" 2>&1
else
	timeout 60 "$work/vqtest" </dev/null >"$work/out" 2>&1
fi
rc=$?
cat "$work/out"
[ "$rc" -eq 0 ] || fail virtio-run "vqtest exited with status $rc"
grep -q '^\(ok\|FAIL\) cmdline-devices' "$work/out" || fail virtio-complete "vqtest stopped before its last test"
exit 0
