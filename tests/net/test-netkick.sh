#!/usr/bin/env bash
# The tap card's kick, served on the vCPU (L:969), through tests/net/netkick.c:
# the tangled launcher/virtqueue.c, virtio_mmio.c and virtio_net.c beside a
# Guest and a KVM played on the host, and a real tap, made inside a network
# namespace of this test's own (in_netns), never in the machine's.
source "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0

if [ "${1:-}" != --in-netns ]; then
	if [ ! -c /dev/net/tun ]; then skip netkick "no /dev/net/tun"; exit 0; fi
	if [ -z "$(netns_prefix)" ]; then
		skip netkick "cannot make a network namespace here (unshare --net)"; exit 0
	fi
	in_netns bash "$0" --in-netns
	exit 0
fi
if [ "${LG_NETNS:-}" != 1 ] || [ "$(ip -o link show | awk -F': ' '{ print $2 }' | tr '\n' ' ')" != "lo " ]; then
	fail netkick-own-namespace "not in a fresh network namespace of its own"; exit 0
fi
if ! src=$(tangled_src launcher/virtio_net.c "${VIRTIO_SRC:-}"); then
	skip netkick "launcher/virtio_net.c is not tangled yet: run make tangle"; exit 0
fi
work=build/tests/net
mkdir -p "$work"
san=
sanitizer_links "-fsanitize=address,undefined" "$work" && san="-fsanitize=address,undefined -fno-sanitize-recover=all"
files=(virtqueue.c virtio_mmio.c virtio_net.c)
if ! gcc -O1 -g -Wall -Wextra -std=gnu11 -pthread $san -I"$src/include" -I"$src/launcher" \
	-o "$work/netkick" tests/net/netkick.c "${files[@]/#/$src/launcher/}" \
	>"$work/netkick-cc.log" 2>&1; then
	sed 's/^/    | /' "$work/netkick-cc.log" | head -30
	fail netkick-build "cannot compile tests/net/netkick.c with $src/launcher"; exit 0
fi
ASAN_OPTIONS=detect_leaks=0 timeout 120 "$work/netkick" >"$work/netkick.out" 2>"$work/netkick.err"
rc=$?
cat "$work/netkick.out"
[ "$rc" -eq 0 ] || fail netkick-run "netkick stopped with status $rc: $(head -c 300 "$work/netkick.err")"
grep -q '^ok netkick-done' "$work/netkick.out" || fail netkick-complete "netkick stopped before its last case"
exit 0
