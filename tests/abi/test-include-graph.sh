#!/usr/bin/env bash
# The architecture in one picture, checked (issue 15): the include graph of
# generated/ has only the edges launcher/host/guest/drivers/lib -> include and
# drivers -> guest (through guest.h), and the Guest kernel declares no driver
# function.  A planted forbidden edge and a planted driver declaration must be
# caught, so the check itself is tested too.
source "$(dirname "$0")/../lib.sh"
cd "$top" || exit 1
check=tests/abi/include_graph.py

if out=$(python3 $check generated 2>&1); then ok include-graph
else fail include-graph "$(echo "$out" | head -5 | tr '\n' ' ')"; fi

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cp -r generated "$tmp/"
echo '#include "../host/host.h"' >>"$tmp/generated/launcher/kvm.c"
echo 'void virtio_init(void);' >>"$tmp/generated/guest/guest.h"
out=$(python3 $check "$tmp/generated" 2>&1)
if echo "$out" | grep -q 'kvm.c:[0-9]*: launcher -> host (host.h)'; then ok include-graph-catches-edge
else fail include-graph-catches-edge "a launcher -> host include went unreported: $out"; fi
if echo "$out" | grep -q 'guest declares virtio_init, defined in drivers/'; then ok include-graph-catches-driver-call
else fail include-graph-catches-driver-call "a driver function declared by the kernel went unreported: $out"; fi
