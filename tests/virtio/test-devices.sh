#!/usr/bin/env bash
# The device options of a whole Launcher: the Host's command line lists the
# devices, bad options are refused with a message and status 1, the switch
# starts and a Launcher joins it, and a raw terminal is put back, also when
# the Launcher is killed by a signal.  LGUEST=path tests another Launcher.
source "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0

lg=${LGUEST:-build/lguest}
work=build/tests/devices
mkdir -p "$work"
if [ ! -x "$lg" ]; then skip devices "$lg is not built"; exit 0; fi
if ! "$lg" --help | grep -q -- '--block'; then
	skip devices "$lg has no device options yet (the hooks in launcher/main.c are missing)"; exit 0
fi
out=$work/out err=$work/err
img=$work/disk.img
dd if=/dev/zero of="$img" bs=1M count=1 2>/dev/null

# The built-in Guest starts its shell when given no arguments: a scripted
# poweroff ends it.
cp "$img" "$work/disk-ro.img"	# one file is two disks only if both are ,ro
echo poweroff | timeout 60 "$lg" --verbose --block="$img" --rng --block="$work/disk-ro.img",ro >"$out" 2>"$err"; rc=$?
contains devices-cmdline "$err" 'virtio_mmio.device=0x200@0xd0000000:5 virtio_mmio.device=0x200@0xd0000200:6 virtio_mmio.device=0x200@0xd0000400:7 virtio_mmio.device=0x200@0xd0000600:8'
contains devices-blk-capacity "$err" 'virtio-blk 1: '"$img"', 2048 sectors'
contains devices-blk-ro "$err" 'sectors, read-only'
[ "$rc" -ne 125 ] && [ "$rc" -ne 126 ] && ok devices-boot || fail devices-boot "status $rc"

# refuses NAME TEXT ARGS...: status 1 and TEXT on standard error.
refuses() {
	local name=$1 text=$2; shift 2
	${netns:-} timeout 20 "$lg" "$@" </dev/null >"$out" 2>"$err"; rc=$?
	if [ "$rc" = 1 ] && grep -qF -- "$text" "$err"; then ok "$name"; else
		fail "$name" "status $rc, stderr: $(head -c 300 "$err")"; fi
}
refuses devices-block-missing 'no such file' --block="$work/nonexistent"
refuses devices-block-empty "needs a value" --block=
# Refused before any tap is made; but were a change ever to make the tap
# first, it must not be the machine's: this one runs in a namespace of its own.
if [ -n "$(netns_prefix)" ]; then
	netns=in_netns refuses devices-tunnet-bad-ip 'not an IPv4 address' --tunnet=10.0.0
else
	skip devices-tunnet-bad-ip "cannot make a network namespace here (unshare --net)"
fi
refuses devices-net-no-switch "start one with 'lguest switch" --net="$work/no-switch"
refuses devices-switch-usage 'usage: lguest switch PATH' switch

sock=$work/lan.sock
rm -f "$sock"
"$lg" switch "$sock" >"$work/switch.out" 2>&1 &
sw=$!
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
contains devices-switch-starts "$work/switch.out" "listening on $sock"
echo poweroff | timeout 60 "$lg" --verbose --net="$sock" >"$out" 2>"$err"; rc=$?
contains devices-net-joins "$err" 'virtio-net 1: MMIO [0xd0000200, 0xd0000400)'
refuses devices-switch-in-use 'in use by a running switch' switch "$sock"
kill "$sw"; wait "$sw" 2>/dev/null

# A PVH fixture drives the entropy device through KVM itself: MMIO exits,
# the ioeventfd kick, the worker, the used ring, the interrupt status.
fx=$work/pvh-virtio.elf
if ! gcc -c -o "$work/pvh-virtio.o" tests/virtio/fixtures/pvh-virtio.S ||
   ! ld -m elf_x86_64 -nostdlib -static -z max-page-size=0x1000 --no-warn-rwx-segments \
	-T tests/launcher/fixtures/pvh-hello.ld -o "$fx" "$work/pvh-virtio.o"; then
	fail devices-fixture "cannot build tests/virtio/fixtures/pvh-virtio.S"; exit 0
fi
timeout 60 "$lg" --rng --host="$fx" "$fx" good </dev/null >"$out" 2>"$err"; rc=$?
[ "$rc" = 0 ] && ok devices-kvm-rng || fail devices-kvm-rng "status $rc (the fixture's failing step), $(cat "$err")"
timeout 60 "$lg" --rng --host="$fx" "$fx" bad </dev/null >"$out" 2>"$err"; rc=$?
if [ "$rc" = 125 ] && grep -q 'guest killed: .*outside its window' "$err"; then ok devices-kvm-bad-buffer-killed
else fail devices-kvm-bad-buffer-killed "status $rc, $(cat "$err")"; fi

# The terminal: under script(1) the Launcher's standard input is a pty. The
# first run's Guest powers off at once (poweroff=0: no shell); the second run hangs (the fixture halts with interrupts off) until SIGTERM.
if command -v script >/dev/null; then
	script -qc "stty -g >$work/tty.before; $lg build/guest.elf poweroff=0 >/dev/null 2>&1; stty -g >$work/tty.after;
		$lg --host=$fx $fx hang </dev/tty >/dev/null 2>&1 & p=\$!; sleep 0.5;
		stty -g -F /dev/tty >$work/tty.during; kill -TERM \$p; wait \$p;
		stty -g >$work/tty.killed" /dev/null </dev/null >/dev/null 2>&1
	if cmp -s "$work/tty.before" "$work/tty.during"; then
		fail devices-tty-raw "the terminal was not in raw mode while the Launcher ran"
	else ok devices-tty-raw; fi
	if cmp -s "$work/tty.before" "$work/tty.after" && cmp -s "$work/tty.before" "$work/tty.killed" &&
	   [ -s "$work/tty.before" ]; then ok devices-tty-restored; else
		fail devices-tty-restored "terminal settings differ after the Launcher ran"; fi
else
	skip devices-tty-restored "no script(1) to give the Launcher a terminal"
fi
exit 0
