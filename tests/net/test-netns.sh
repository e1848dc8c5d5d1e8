#!/usr/bin/env bash
# The guard that keeps tests out of the machine's own network (tests/run
# watches this namespace's links while every test runs; netwatch_* in
# tests/lib.sh) must itself be able to fail.  We prove it in a namespace of
# our own: a tap made there is seen, and a quiet spell reports nothing.
source "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0
if ! command -v ip >/dev/null; then
	skip netwatch "no ip command (Debian's iproute2; make deps)"; exit 0
fi
if [ -z "$(netns_prefix)" ]; then
	skip netwatch "cannot make a network namespace here (unshare --net)"; exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
in_netns bash -c '
	source tests/lib.sh
	netwatch_start "$1/quiet"; netwatch_stop
	netwatch_start "$1/busy"
	ip tuntap add dev lgwatch0 mode tap && ip link del lgwatch0
	netwatch_stop' sh "$work"
new=$(netwatch_new "$work/busy" | tr '\n' ' ')
if [ "$new" = "lgwatch0 " ]; then ok netwatch-sees-a-new-link; else
	fail netwatch-sees-a-new-link "the watch reported '$new' for a tap made and removed"; fi
new=$(netwatch_new "$work/quiet" | tr '\n' ' ')
if [ -z "$new" ] && [ -s "$work/quiet.before" ]; then ok netwatch-quiet; else
	fail netwatch-quiet "the watch reported '$new' when nothing changed"; fi
exit 0
