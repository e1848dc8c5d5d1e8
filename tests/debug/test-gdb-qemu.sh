#!/bin/bash
# A scripted gdb session in chapter terms (chapter 37), against QEMU's GDB
# stub on build/host.elf + build/guest.elf: a hardware breakpoint in the Host
# set by chapter line is hit; the backtrace and list show chapter lines; a
# register and a Guest variable are read; one instruction is stepped.
# Hardware breakpoints, because an int3 at ring 0 kills the VM on this
# machine's KVM (tests/debug/guestdbg-probe.c).
cd "$(dirname "$0")/../.." || exit 0
source tests/lib.sh
QEMU=${QEMU:-qemu-system-x86_64}
OUT=$(mktemp -d)
qemu_pid=
trap '[ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null; rm -rf "$OUT"' EXIT

for tool in gdb "$QEMU"; do
	if ! command -v "$tool" >/dev/null; then skip gdb-qemu "$tool not installed (make deps)"; exit 0; fi
done
if [ ! -w /dev/kvm ]; then fail gdb-qemu "/dev/kvm is not usable here"; exit 0; fi
if [ ! -f build/host.elf ] || [ ! -f build/guest.elf ] || [ ! -f build/src/launcher/lguest-gdb.py ] ||
   ! make --no-print-directory -s build/tools/explain >/dev/null 2>&1; then
	fail gdb-qemu "build/host.elf, build/guest.elf or the gdb extension missing (run make)"; exit 0
fi

source tests/debug/gdb-session.sh
if ! session_place; then
	fail gdb-qemu "cannot find the hypercall path's line ('$where') or the commands table"; exit 0
fi

"$QEMU" -M microvm,accel=kvm,acpi=off -cpu host,-arch-capabilities -m 256 -nographic \
	-no-reboot -monitor none -serial "file:$OUT/console" \
	-device isa-debug-exit,iobase=0x501,iosize=2 \
	-kernel build/host.elf -initrd build/guest.elf -append "-- " \
	-gdb "unix:$OUT/gdb.sock,server=on,wait=off" -S </dev/null >"$OUT/qemu" 2>&1 &
qemu_pid=$!
for _ in $(seq 50); do [ -S "$OUT/gdb.sock" ] && break; sleep 0.1; done

session "$OUT/gdb.sock" "$OUT/gdb"
session_check gdb-qemu "$OUT/gdb"
exit 0
