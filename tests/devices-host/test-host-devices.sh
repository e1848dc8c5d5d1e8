#!/usr/bin/env bash
# The Host's side of devices (chapter 43): which device words it accepts, and
# three Guests that reach past their devices.  Every run is bounded by timeout.
. "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0
L=build/lguest G=build/guest.elf
needs_machine host-devices || exit 0
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# run NAME ARGS...: boot with Guest arguments, keep the output and the status.
run() {
	local name=$1; shift
	timeout 20 "$L" "$G" "$@" </dev/null >"$out/$name" 2>&1
	echo $? >"$out/$name.status"
}

# killed NAME REASON: the Guest was killed for REASON, the shadows held nothing
# outside the window, and the Host's image is intact.
killed() {
	local name=$1 reason=$2 st
	st=$(cat "$out/$name.status")
	if [ "$st" != 125 ]; then
		fail "$name" "exit status $st, expected 125 (killed)"; sed 's/^/    | /' "$out/$name" | tail -8
	elif ! grep -qF -- "lguest: guest killed: $reason" "$out/$name"; then
		fail "$name" "no 'guest killed: $reason'"; sed 's/^/    | /' "$out/$name" | tail -8
	elif ! grep -q "shadow audit: .*, 0 outside the window" "$out/$name"; then
		fail "$name" "the shadow audit found pages outside the window"
	elif ! grep -q "Host image intact" "$out/$name"; then
		fail "$name" "the Host's image changed"
	else
		ok "$name"
	fi
}

run host-devices-ioapic-refused hostile=20
killed host-devices-ioapic-refused "PTE 0xfec00003 for address 0xfec00000 reaches outside the Guest's window"
run host-devices-unmask-clock-refused hostile=21
killed host-devices-unmask-clock-refused "unmask of interrupt 0, which is not one of its 1 devices'"
run host-devices-page-as-table-refused hostile=22
killed host-devices-page-as-table-refused "PDE 0xd0000007 for address 0x9200000000 reaches outside the Guest's window"

# Device words the Host must refuse, each with its reason; the Guest still runs
# and powers off normally, since a refused device costs only that device.
refused() {
	local name=$1 word=$2 why=$3
	run "$name" "$word" poweroff=4
	if [ "$(cat "$out/$name.status")" != 4 ]; then
		fail "$name" "status $(cat "$out/$name.status"), expected 4"; sed 's/^/    | /' "$out/$name" | tail -5
	else
		contains "$name" "$out/$name" "lguest: ignoring $word: it $why"
	fi
}
refused host-devices-word-ram "virtio_mmio.device=0x200@0x1000e00:9" "shares a page with RAM"
refused host-devices-word-ioapic "virtio_mmio.device=0x200@0xfec00200:9" "shares a page with an interrupt controller"
refused host-devices-word-lapic "virtio_mmio.device=4K@0xfee00000:9" "shares a page with an interrupt controller"
refused host-devices-word-line "virtio_mmio.device=0x200@0xd0001000:2" "names an interrupt line other than 1 and 3 to 23"
refused host-devices-word-line24 "virtio_mmio.device=0x200@0xd0001000:24" "names an interrupt line other than 1 and 3 to 23"
refused host-devices-word-shared "virtio_mmio.device=0x200@0xd0001000:5" "shares its interrupt line with another device"
refused host-devices-word-size "virtio_mmio.device=8K@0xd0001000:9" "has a window that is not 1 to 4096 bytes"
refused host-devices-word-form "virtio_mmio.device=0x200@0xd0001000" "is not <size>@<address>:<line>"
refused host-devices-word-overflow "virtio_mmio.device=0x200@0x1ffffffffffffffff:9" "has a number that does not fit in 64 bits"
refused host-devices-word-overflow-decimal "virtio_mmio.device=0x200@0xd0001000:18446744073709551616" "has a number that does not fit in 64 bits"
refused host-devices-word-overflow-suffix "virtio_mmio.device=17179869184G@0xd0001000:9" "has a number that does not fit in 64 bits"
refused host-devices-word-id-not-number "virtio_mmio.device=0x200@0xd0001000:9:abc" "is not <size>@<address>:<line>[:<id>]"
refused host-devices-word-address-suffix "virtio_mmio.device=0x200@3G:9" "is not <size>@<address>:<line>[:<id>]"
refused host-devices-word-line-suffix "virtio_mmio.device=0x200@0xd0001000:9K" "is not <size>@<address>:<line>[:<id>]"
refused host-devices-word-line-truncated "virtio_mmio.device=0x200@0xd0001000:4294967303" "names an interrupt line other than 1 and 3 to 23"
refused host-devices-word-on-console "virtio_mmio.device=0x200@0xd0000100:9" "has a window on top of another device's window"
refused host-devices-word-wraps "virtio_mmio.device=0x100@0xfffffffffffff000:9" "has a window that reaches past the highest physical address"
refused host-devices-word-past-52-bits "virtio_mmio.device=0x200@0x10000000000000:9" "has a window that reaches past the highest physical address"
# The edges make mutate CHAPTER=43 found untested: line 0, a size with no
# digits, a suffix that fits but makes too big a window, a one-letter value.
refused host-devices-word-line0 "virtio_mmio.device=0x200@0xd0001000:0" "names an interrupt line other than 1 and 3 to 23"
refused host-devices-word-no-digits "virtio_mmio.device=K@0xd0001000:9" "is not <size>@<address>:<line>"
refused host-devices-word-size-1024K "virtio_mmio.device=1024K@0xd0001000:9" "has a window that is not 1 to 4096 bytes"
refused host-devices-word-one-letter "virtio_mmio.device=x" "is not <size>@<address>:<line>"

# A word on top of the console's window is refused, so the console still
# answers: the shell reads our line and powers off with its status.
printf 'poweroff 6\n' | timeout 20 "$L" "$G" "virtio_mmio.device=0x200@0xd0000000:9" >"$out/on-console" 2>&1
st=$?
if [ "$st" = 6 ]; then
	ok host-devices-shell-answers-beside-refused-word
else
	fail host-devices-shell-answers-beside-refused-word "status $st, expected 6 from 'poweroff 6'"; sed 's/^/    | /' "$out/on-console" | tail -5
fi

# A well-formed word is accepted silently, and never reaches the Guest; so is
# one with Linux's fourth field, a device id, and a size with a suffix.
accepted() {
	local name=$1 word=$2; shift 2
	run "$name" "$word" "$@" poweroff=4
	if [ "$(cat "$out/$name.status")" = 4 ] && ! grep -q "ignoring\|virtio_mmio" "$out/$name"; then
		ok "$name"
	else
		fail "$name" "status $(cat "$out/$name.status") or a complaint:"; sed 's/^/    | /' "$out/$name" | tail -5
	fi
}
accepted host-devices-word-accepted "virtio_mmio.device=0x200@0xd0001000:9"
accepted host-devices-word-accepted-id "virtio_mmio.device=0x200@0xd0001000:9:3"
accepted host-devices-word-accepted-suffix "virtio_mmio.device=4K@0xd0001000:9"
accepted host-devices-word-accepted-line1 "virtio_mmio.device=0x200@0xd0001000:1"
accepted host-devices-word-accepted-line23 "virtio_mmio.device=0x200@0xd0001000:23"
# The window's size at both of its ends: 0 bytes is no window, 1 byte is one.
refused host-devices-word-size0 "virtio_mmio.device=0@0xd0001000:9" "has a window that is not 1 to 4096 bytes"
accepted host-devices-word-accepted-size1 "virtio_mmio.device=1@0xd0001000:9"

# A window on the first page past RAM shares no page with it.
accepted host-devices-word-accepted-after-ram "virtio_mmio.device=0x200@0x10000000:9" --memory=256
# A window that starts where the console's ends is beside it, not on top.
accepted host-devices-word-accepted-after-console "virtio_mmio.device=0x200@0xd0000200:9"
# Windows that end where an interrupt controller's page begins share no page with it.
accepted host-devices-word-accepted-below-lapic "virtio_mmio.device=0x200@0xfedffe00:9"
accepted host-devices-word-accepted-below-ioapic "virtio_mmio.device=0x200@0xfebffe00:9"

# A long word that is not a device word is the Guest's: the Host leaves it
# alone (the Guest, which knows no such word, says so itself).
run host-devices-long-word-left-alone "an-argument-longer-than-the-key" poweroff=4
if grep -q "^lguest: ignoring" "$out/host-devices-long-word-left-alone"; then
	fail host-devices-long-word-left-alone "the Host took it for a device word: $(grep -m1 '^lguest: ignoring' "$out/host-devices-long-word-left-alone")"
elif [ "$(cat "$out/host-devices-long-word-left-alone.status")" != 4 ]; then
	fail host-devices-long-word-left-alone "status $(cat "$out/host-devices-long-word-left-alone.status"), expected 4"
else ok host-devices-long-word-left-alone; fi

# A window that ends exactly at the highest physical address, 2^52, fits: the
# Host keeps it, saying nothing.  (Our Guest then maps the device at its own
# address, which is not canonical up there, and is killed for that: the
# Guest's affair, not the Host's check.)
run host-devices-word-ends-at-52-bits "virtio_mmio.device=0x200@0xffffffffffe00:9" poweroff=4
if grep -q "lguest: ignoring" "$out/host-devices-word-ends-at-52-bits"; then
	fail host-devices-word-ends-at-52-bits "refused: $(grep -m1 'lguest: ignoring' "$out/host-devices-word-ends-at-52-bits")"
elif ! grep -q "^Guest running" "$out/host-devices-word-ends-at-52-bits"; then
	fail host-devices-word-ends-at-52-bits "the Guest never ran"
else ok host-devices-word-ends-at-52-bits; fi

# Hostile case 22 needs a device page to name.  Under QEMU with no virtio
# device at all it has none, and must say so (status 2, "no such case"),
# rather than name page 0 and be killed for a rule it never tested.
qemu=${QEMU:-qemu-system-x86_64}
if command -v "$qemu" >/dev/null; then
	timeout 60 "$qemu" -M microvm,accel=kvm,acpi=off -cpu host,-arch-capabilities -m 64 \
		-nographic -no-reboot -monitor none -serial stdio \
		-device isa-debug-exit,iobase=0x501,iosize=2 -kernel build/host.elf \
		-initrd "$G" -append "-- hostile=22" </dev/null >"$out/no-device" 2>&1
	st=$?
	if [ "$st" = $(( (2 << 1) | 1 )) ] && grep -qxF "hostile case 22 needs a device" "$out/no-device"; then
		ok host-devices-hostile-22-without-devices
	else
		fail host-devices-hostile-22-without-devices "QEMU status $st, expected 5 (Guest status 2)"
		sed 's/^/    | /' "$out/no-device" | tail -5
	fi
else
	skip host-devices-hostile-22-without-devices "$qemu is not installed (make deps)"
fi
