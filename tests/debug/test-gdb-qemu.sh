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

# The chapter line where do_hypercall hands the call on: read from the copy
# and its map, by explain, not typed in.
copy=build/src/host/hypercalls.c
n=$(awk '/^void do_hypercall\(/ { f = 1 } f && /async_run_queue\(/ { print NR; exit }' "$copy")
where=$(build/tools/explain "$copy:$n" | head -1)
# The Guest's first shell command, as the Guest's source spells it.
first=$(grep -m1 -A1 'commands\[\] = {' build/src/drivers/shell.c | tail -1 | cut -d'"' -f2)
if [ -z "$n" ] || [[ $where != chapters/*.nw:* ]] || [ -z "$first" ]; then
	fail gdb-qemu "cannot find do_hypercall's line ($copy:$n -> '$where') or the commands table"; exit 0
fi

"$QEMU" -M microvm,accel=kvm,acpi=off -cpu host,-arch-capabilities -m 256 -nographic \
	-no-reboot -monitor none -serial "file:$OUT/console" \
	-device isa-debug-exit,iobase=0x501,iosize=2 \
	-kernel build/host.elf -initrd build/guest.elf -append "-- " \
	-gdb "unix:$OUT/gdb.sock,server=on,wait=off" -S </dev/null >"$OUT/qemu" 2>&1 &
qemu_pid=$!
for _ in $(seq 50); do [ -S "$OUT/gdb.sock" ] && break; sleep 0.1; done

timeout 120 gdb -q -batch -nx -x build/src/launcher/lguest-gdb.py \
	-ex 'file build/host.elf' -ex 'add-symbol-file build/guest.elf' \
	-ex 'set remotetimeout 60' -ex "target remote $OUT/gdb.sock" \
	-ex "lhbreak $where" -ex 'continue' \
	-ex 'echo ==bt\n' -ex 'bt' \
	-ex 'echo ==list\n' -ex 'list' \
	-ex 'echo ==pc\n' -ex 'printf "pc %#lx\n", $pc' \
	-ex 'echo ==guest\n' -ex 'printf "guest %s\n", commands[0].name' \
	-ex 'echo ==step\n' -ex 'stepi' -ex 'printf "pc %#lx\n", $pc' \
	-ex 'kill' >"$OUT/gdb" 2>&1
sed -n '/^==bt/,/^==list/p' "$OUT/gdb" >"$OUT/bt"
sed -n '/^==list/,/^==pc/p' "$OUT/gdb" >"$OUT/list"

if grep -q "^  at $where " "$OUT/gdb"; then ok gdb-break-by-chapter-line
else fail gdb-break-by-chapter-line "no stop at $where: $(tail -n 8 "$OUT/gdb" | tr '\n' '|')"; fi
if grep -q "^#0 .*do_hypercall .* at $where\$" "$OUT/bt" && ! grep -q 'build/src' "$OUT/bt"; then
	ok gdb-backtrace-chapter-lines
else fail gdb-backtrace-chapter-lines "$(head -6 "$OUT/bt" | tr '\n' '|')"; fi
if grep -q "^=> *${where##*:}  " "$OUT/list"; then ok gdb-list-chapter
else fail gdb-list-chapter "$(head -6 "$OUT/list" | tr '\n' '|')"; fi

# The register: the pc gdb read back lies on the chapter line, by addr2line.
pc=$(sed -n '/^==pc/,/^==guest/s/^pc //p' "$OUT/gdb")
if [ -n "$pc" ] && [ "$(build/tools/explain build/host.elf "$pc" | head -1)" = "$where" ]; then
	ok gdb-read-register
else fail gdb-read-register "pc '$pc' is not on $where"; fi
if grep -qx "guest $first" "$OUT/gdb"; then ok gdb-read-guest-variable
else fail gdb-read-guest-variable "want 'guest $first': $(sed -n '/^==guest/,/^==step/p' "$OUT/gdb" | tr '\n' '|')"; fi
pc2=$(sed -n '/^==step/,$s/^pc //p' "$OUT/gdb")
if [ -n "$pc2" ] && [ "$pc2" != "$pc" ] && sed -n '/^==step/,$p' "$OUT/gdb" | grep -q '^  at chapters/'; then
	ok gdb-single-step
else fail gdb-single-step "pc $pc -> '$pc2'"; fi
exit 0
