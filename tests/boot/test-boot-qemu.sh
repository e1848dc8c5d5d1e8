#!/bin/bash
# Boot tests under QEMU, the reference VMM: the same build/host.elf and
# build/guest.elf our Launcher runs, booted by QEMU's PVH loader (microvm).
# Prints ok/FAIL/skip lines and exits 0 (tests/run reads the lines).
#
# QEMU's isa-debug-exit device exits with (status << 1) | 1.  With iosize=2 it
# also claims 0x502, which is why LG_PORT_KILL_REASON is 0x504 (P:120).
cd "$(dirname "$0")/../.." || exit 0
HOST=${HOST_ELF:-build/host.elf}
GUEST=${GUEST_ELF:-build/guest.elf}
QEMU=${QEMU:-qemu-system-x86_64}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

if ! command -v "$QEMU" >/dev/null; then
	echo "skip boot-qemu: $QEMU not installed (make deps)"; exit 0
fi
if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
	echo "FAIL boot-qemu: /dev/kvm is not usable"; exit 0
fi
if [ ! -f "$HOST" ] || [ ! -f "$GUEST" ]; then
	echo "FAIL boot-qemu: $HOST or $GUEST missing (run make)"; exit 0
fi

# boot NAME "GUEST ARGS": runs QEMU, leaves the console in $OUT/NAME and
# sets $status to the Host's exit status (QEMU's, unshifted) or 999.
# The 90 s is a guard against a hang, not a measure: the self-test alone
# took over 30 s with the machine at load 16.
boot() {
	local name=$1 args=$2 rc
	timeout 90 "$QEMU" -M microvm,accel=kvm,acpi=off -cpu host,-arch-capabilities \
		-m 256 -nographic -no-reboot -monitor none -serial stdio \
		-device isa-debug-exit,iobase=0x501,iosize=2 \
		-kernel "$HOST" -initrd "$GUEST" -append "-- $args" \
		</dev/null >"$OUT/$name" 2>&1
	rc=$?
	last=$OUT/$name
	if [ $((rc & 1)) = 1 ]; then status=$((rc >> 1)); else status=999; fi
}

# expect NAME STATUS "TEXT": checks the last boot's status and that TEXT is
# one of its console lines.
expect() {
	local name=$1 want=$2 text=$3
	if [ "$status" != "$want" ]; then
		echo "FAIL $name: status $status, expected $want: $(tail -n 2 "$last" | tr '\n' '|')"
	elif [ -n "$text" ] && ! grep -qxF -- "$text" "$last"; then
		echo "FAIL $name: no line \"$text\": $(tail -n 2 "$last" | tr '\n' '|')"
	else
		echo "ok $name"
	fi
}

# The Guest's rip in a kill reason, which moves as the Guest's code changes;
# it must at least be inside the Guest's image, at 16 MiB.
rip_of() {
	grep -o 'at rip 0x10[0-9a-f]\{5\}[,]*' "$OUT/$1" | head -n 1 | tr -d ',' | cut -d' ' -f3
}

# QEMU's start to its exit in under 2 s (about 0.2 s on this machine when it
# is quiet): a Host that waited on something at boot misses it every time.
# A loaded machine may miss it now and then, so it has three tries, each
# one's time printed.
times=
for try in 1 2 3; do
	start=$(date +%s%N)
	boot banner ""
	end=$(date +%s%N)
	ms=$(( (end - start) / 1000000 ))
	times="$times $ms"
	if [ "$status" != 0 ] || [ "$ms" -lt 2000 ]; then break; fi
done
expect boot-qemu-banner 0 "Guest running at CPL 3, RAM 0x1000000-0x10000000"
if [ "$status" = 0 ] && [ "$ms" -lt 2000 ]; then
	echo "ok boot-qemu-time: QEMU start to exit in$times ms"
else
	echo "FAIL boot-qemu-time:$times ms (status $status), expected under 2000 ms"
fi

for n in 0 7 124; do
	boot poweroff-$n "poweroff=$n"
	expect boot-qemu-poweroff-$n "$n" ""
done

boot selftest "selftest"
passed=$(grep -c '^selftest: ok ' "$last")
skipped=$(grep -c '^selftest: skip ' "$last")
expect boot-qemu-selftest 0 "selftest: $passed passed, 0 failed, $skipped skipped"

boot hostile-1 "hostile=1"
expect boot-qemu-hostile-1 125 "lguest: guest killed: unknown hypercall 999 at rip $(rip_of hostile-1)"
boot hostile-2 "hostile=2"
expect boot-qemu-hostile-2 125 "lguest: guest killed: page fault (vector 14) at rip $(rip_of hostile-2), address 0x0"
boot hostile-3 "hostile=3"
expect boot-qemu-hostile-3 125 "lguest: guest killed: console write of 64 bytes at 0x100000 is outside Guest RAM"
boot hostile-99 "hostile=99"
expect boot-qemu-hostile-unknown 2 "unknown hostile case 99"
boot status-too-big "poweroff=125"
expect boot-qemu-status-reserved 125 "lguest: guest killed: shutdown with status 125, above the Guest's limit of 124"

# QEMU appends its virtio_mmio.device= words after ours: they must not reach the Guest.
boot mmio-words "virtio_mmio.device=512@0xfeb00000:12 poweroff=3"
if grep -q "ignoring argument virtio_mmio" "$OUT/mmio-words"; then
	echo "FAIL boot-qemu-device-words: the Guest saw a virtio_mmio.device= word"
else
	expect boot-qemu-device-words 3 ""
fi
exit 0
