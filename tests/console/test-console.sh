#!/usr/bin/env bash
# The Guest's console, shell and rng drivers, end to end: a scripted shell
# session through a pipe, line editing from the bytes a terminal sends, input
# faster than the shell reads it, Guests that lie in their rings (hostile=30..37),
# and the same Guest against QEMU's virtconsole and virtio-rng-device.
# LGUEST=path tests another Launcher; every run is bounded by timeout.
source "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0

lg=${LGUEST:-build/lguest}
guest=${GUEST_ELF:-build/guest.elf}
host=${HOST_ELF:-build/host.elf}
qemu=${QEMU:-qemu-system-x86_64}
needs_machine console "$lg" "$guest" || exit 0
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# session NAME INPUT [LAUNCHER ARGS...]: pipe INPUT (printf format) into the
# shell of the default Guest; output in $out/NAME, status in $rc.
session() {
	local name=$1 input=$2; shift 2
	printf "$input" | timeout 60 "$lg" "$@" "$guest" >"$out/$name" 2>"$out/$name.err"
	rc=$?
}

# status_is NAME WANT: the last run's status.
status_is() {
	if [ "$rc" = "$2" ]; then ok "$1"; else
		fail "$1" "status $rc, want $2: $(tail -n 3 "$out/${3:-x}" 2>/dev/null | tr '\n' '|')"; fi
}

# lines NAME FILE REGEX COUNT: exactly COUNT lines of FILE match REGEX.
lines() {
	local n
	n=$(grep -cE -- "$3" "$2")
	if [ "$n" = "$4" ]; then ok "$1"; else
		fail "$1" "$n lines match '$3' in $2, want $4"; sed 's/^/    | /' "$2" | head -30; fi
}

# ---- a scripted session: every command of the chapter, then poweroff 3
session script 'help\ninfo\nuptime\nrng\nrng\nrng 40\nselftest\nnosuch\npoweroff 3\n' --rng
status_is console-poweroff-status 3 script
contains console-prompt-echo "$out/script" "lguest> help"
contains console-help "$out/script" "poweroff [N]: power off with exit status N (0)"
contains console-info-console "$out/script" "device 0: console at 0xd0000000, interrupt 1, virtio-console"
contains console-info-rng "$out/script" "device 1: rng at 0xd0000200, interrupt 2, virtio-rng"
contains console-info-features "$out/script" "VERSION_1 INDIRECT_DESC EVENT_IDX"
lines console-uptime "$out/script" '^up [0-9]+\.[0-9]{3} s$' 1
lines console-rng-16 "$out/script" '^[0-9a-f]{32}$' 2
lines console-rng-40 "$out/script" '^[0-9a-f]{64}$|^[0-9a-f]{16}$' 2
contains console-selftest "$out/script" "selftest: all passed"
lines console-selftest-bus "$out/script" '^selftest: ok   (virtio|rng): ' 4
contains console-unknown "$out/script" "nosuch: unknown command (try help)"

# Two rng runs must differ (one chance in 2^128 that they do not).
if [ "$(grep -E '^[0-9a-f]{32}$' "$out/script" | sort -u | wc -l)" = 2 ]; then ok console-rng-differs
else fail console-rng-differs "two rng lines are equal"; fi

# ---- line editing, from the bytes a terminal sends
#   helx DEL p        -> help         (DEL, as a terminal's Backspace)
#   junk Ctrl-U info  -> info         (the line erased)
#   poweroff 9 Ctrl-C -> nothing      (the line abandoned)
#   ng 4 Ctrl-A r     -> rng 4        (insert at the start of the line)
#   uptime CR LF      -> one uptime, not an empty line after it
#   ESC[1;5C poweroff 5 Left Delete 6 -> poweroff 6 (Ctrl-Right swallowed whole)
session edit 'helx\x7fp\njunk\x15info\npoweroff 9\x03uptime\r\nng 4\x01r\n\x1b[1;5Cpoweroff 5\x1b[D\x1b[3~6\n' --rng
status_is console-edit-status 6 edit
lines console-edit-backspace "$out/edit" '^  help: list the commands$' 1
lines console-edit-ctrl-u "$out/edit" '^devices: ' 1
contains console-edit-ctrl-c "$out/edit" "poweroff 9^C"
lines console-edit-crlf "$out/edit" '^up [0-9.]+ s$' 1
lines console-edit-empty-lines "$out/edit" '^lguest> $' 0
lines console-edit-ctrl-a "$out/edit" '^[0-9a-f]{8}$' 1
if grep -q $'\x1b' "$out/edit"; then fail console-edit-no-escapes "the echo holds an escape byte"
else ok console-edit-no-escapes; fi

# ---- Ctrl-D on an empty line logs out: poweroff 0
session ctrl-d 'uptime\n\x04'
status_is console-ctrl-d 0 ctrl-d

# ---- input much faster than the shell: 400 commands (about 3 KiB, more than
# the Guest's input ring and every receive buffer) must all run, none lost.
cmds=$(for i in $(seq 400); do printf 'uptime\\n'; done)
t0=$(date +%s%N)
session flood "${cmds}poweroff 5\\n"
t1=$(date +%s%N)
status_is console-flood-status 5 flood
lines console-flood-no-loss "$out/flood" '^up [0-9.]+ s$' 400
echo "# 400 shell commands through a pipe: $(( (t1 - t0) / 1000000 )) ms"

# ---- poweroff=N keeps its meaning: no shell, although there is a console
timeout 30 "$lg" "$guest" poweroff=4 </dev/null >"$out/po" 2>&1; rc=$?
status_is console-poweroff-word 4 po

# ---- hostile=30..37: lies in the console's transmit ring; the Launcher
# kills the Guest with its reason (exit 125) and exits cleanly.
reasons=(
	[30]='it used \[0x[0-9a-f]+, \+0x1\), outside its window \[0x[0-9a-f]+, 0x[0-9a-f]+\)'
	[31]='it used \[0x[0-9a-f]+, \+0x1000\), outside its window \[0x[0-9a-f]+, 0x[0-9a-f]+\)'
	[32]='virtio-console 0: descriptor chain loops \(more than [0-9]+ steps\)'
	[33]='virtio-console 0: chain head [0-9]+ is outside a queue of [0-9]+'
	[34]='virtio-console 0: available index jumped from 0 to [0-9]+ in a queue of [0-9]+'
	[35]='virtio-console 0: indirect descriptor inside an indirect table'
	[36]='virtio-console 0: descriptor chains to [0-9]+, outside a table of [0-9]+'
	[37]='virtio-console 0: chain has a readable buffer after a writable one'
)
for n in 30 31 32 33 34 35 36 37; do
	timeout 30 "$lg" "$guest" hostile=$n </dev/null >"$out/h$n" 2>"$out/h$n.err"; rc=$?
	if [ "$rc" != 125 ]; then
		fail console-hostile-$n "status $rc, want 125: $(tail -n 2 "$out/h$n" "$out/h$n.err" | tr '\n' '|')"
	elif ! grep -qE "^lguest: guest killed: ${reasons[$n]}\$" "$out/h$n.err"; then
		fail console-hostile-$n "no reason matching '${reasons[$n]}': $(tr '\n' '|' <"$out/h$n.err")"
	elif grep -q 'was not stopped' "$out/h$n"; then
		fail console-hostile-$n "the Guest says it was not stopped"
	else
		ok console-hostile-$n
	fi
done

# ---- hostile=38: a disk write whose data runs past the end of RAM.  The
# Launcher refuses the whole request: killed, and not one byte of the image
# (random, so any write would show) has changed.
head -c 1048576 /dev/urandom >"$out/h38.img"
before=$(sha256sum <"$out/h38.img")
timeout 30 "$lg" --block="$out/h38.img" "$guest" hostile=38 </dev/null >"$out/h38" 2>"$out/h38.err"; rc=$?
if [ "$rc" != 125 ]; then
	fail console-hostile-38-disk "status $rc, want 125: $(tail -n 2 "$out/h38" "$out/h38.err" | tr '\n' '|')"
elif ! grep -qE '^lguest: guest killed: it used \[0x[0-9a-f]+, \+0x200\), outside its window' "$out/h38.err"; then
	fail console-hostile-38-disk "no reason: $(tr '\n' '|' <"$out/h38.err")"
elif [ "$(sha256sum <"$out/h38.img")" != "$before" ]; then
	fail console-hostile-38-disk "the disk image changed"
elif ! grep -q '^hostile: case 38, in queue 0 of the disk$' "$out/h38"; then
	fail console-hostile-38-disk "the lie did not go to the disk's queue: $(grep '^hostile:' "$out/h38")"
else
	ok console-hostile-38-disk-image-intact
fi
# The lying driver takes only its own cases, 30 to 38: either side of them
# is nobody's, and the kernel says so with status 2.
for n in 29 39; do
	timeout 30 "$lg" "$guest" hostile=$n </dev/null >"$out/hu$n" 2>&1; rc=$?
	if [ "$rc" = 2 ] && grep -q "^unknown hostile case $n\$" "$out/hu$n"; then
		ok console-hostile-$n-unknown
	else
		fail console-hostile-$n-unknown "status $rc, want 2: $(tail -n 2 "$out/hu$n" | tr '\n' '|')"
	fi
done
# Without a disk there is nobody to lie to: the case says so and stops
# with status 2, neither "killed" (125) nor "not stopped" (1).
timeout 30 "$lg" "$guest" hostile=38 </dev/null >"$out/h38n" 2>&1; rc=$?
if [ "$rc" = 2 ] && grep -q '^hostile: no disk to lie to$' "$out/h38n"; then
	ok console-hostile-38-no-disk
else
	fail console-hostile-38-no-disk "status $rc, want 2: $(tail -n 2 "$out/h38n" | tr '\n' '|')"
fi

# ---- QEMU's devices: virtio-serial-device with a virtconsole on port 0, and
# virtio-rng-device, over virtio-mmio version 2.
if ! command -v "$qemu" >/dev/null || [ ! -f "$host" ]; then
	skip console-qemu "$qemu or $host missing (make deps; make)"; exit 0
fi
# qemu_run NAME INPUT "GUEST WORDS": the console on stdin and stdout, the Host's
# serial in $out/NAME.serial; $rc is the Guest's status (QEMU's, unshifted).
qemu_run() {
	local name=$1 input=$2 words=$3
	printf "$input" | timeout 60 "$qemu" -M microvm,accel=kvm,acpi=off -cpu host,-arch-capabilities \
		-m 256 -display none -no-reboot -monitor none -serial file:"$out/$name.serial" \
		-global virtio-mmio.force-legacy=false \
		-device isa-debug-exit,iobase=0x501,iosize=2 \
		-device virtio-serial-device -chardev stdio,id=con0 -device virtconsole,chardev=con0 \
		-device virtio-rng-device \
		-kernel "$host" -initrd "$guest" -append "-- $words" >"$out/$name" 2>&1
	rc=$?
	if [ $((rc & 1)) = 1 ]; then rc=$((rc >> 1)); else rc=999; fi
}
qemu_run qscript 'help\ninfo\nuptime\nrng 40\nhelx\x7fp\npoweroff 3\n' ""
status_is console-qemu-poweroff-status 3 qscript
contains console-qemu-help "$out/qscript" "poweroff [N]: power off with exit status N (0)"
contains console-qemu-info "$out/qscript" ", virtio-console, features 0x"
contains console-qemu-info-rng "$out/qscript" ", virtio-rng, features 0x"
lines console-qemu-uptime "$out/qscript" '^up [0-9]+\.[0-9]{3} s$' 1
lines console-qemu-rng "$out/qscript" '^[0-9a-f]{16}$' 1
lines console-qemu-backspace "$out/qscript" '^  help: list the commands$' 2

qemu_run qselftest '' "selftest"
cat "$out/qselftest.serial" >>"$out/qselftest"
status_is console-qemu-selftest-status 0 qselftest
lines console-qemu-selftest-drivers "$out/qselftest" '^selftest: ok   (virtio|rng): ' 4
if grep -q '^selftest: skip rng: ' "$out/qselftest"; then
	fail console-qemu-selftest-rng "the Guest found no virtio-rng-device"
else ok console-qemu-selftest-rng; fi
exit 0
