#!/usr/bin/env bash
# Interrupts and time (chapters 12-guest-interrupts.nw, 42-host-interrupts.nw):
# the Host's interrupt logic as a unit test, the Guest's self-tests under our Launcher and under QEMU (TSC-deadline timer,
# the counting timer, xAPIC), the hostile cases 12..19 under our Launcher
# (each killed with its reason, status 125, and the Host's image checksum
# unchanged), the backtrace of a panic resolved to names, loglevel=, and the
# trap measurements.  LGUEST, HOST_ELF, GUEST_ELF and QEMU name other builds.
source "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0

lg=${LGUEST:-build/lguest}
host=${HOST_ELF:-build/host.elf}
guest=${GUEST_ELF:-build/guest.elf}
qemu=${QEMU:-qemu-system-x86_64}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# ---------------------------------------------------------------- unit
# host/interrupts.c as a Linux program (tests/interrupts/irq_unit.c): no KVM.
src=${HOST_SRC:-build/src}
if [ ! -f "$src/host/interrupts.c" ]; then
	fail irq-unit "$src/host/interrupts.c missing (run make tangle)"
elif ! gcc -O1 -g -w -fno-builtin -I"$src/include" -o "$out/irq_unit" tests/interrupts/irq_unit.c \
	"$src/host/interrupts.c" "$src/lib/format.c" "$src/lib/string.c" 2>"$out/irq_unit.err"; then
	fail irq-unit "does not compile: $(head -n 3 "$out/irq_unit.err" | tr '\n' '|')"
else
	"$out/irq_unit" || echo "FAIL irq-unit: a check failed or the program crashed"
fi

if [ ! -x "$lg" ] || [ ! -f "$host" ] || [ ! -f "$guest" ]; then
	fail interrupts "$lg, $host or $guest missing (run make)"; exit 0
fi
if [ ! -w /dev/kvm ]; then
	fail interrupts "/dev/kvm is not usable"; exit 0
fi

# run NAME ARGS...: our Launcher; console in $out/NAME, stderr in $out/NAME.err,
# status in $status, wall time in $ms.
run() {
	local name=$1 t0 t1; shift
	t0=$(date +%s%N)
	timeout 60 "$lg" "$guest" "$@" >"$out/$name" 2>"$out/$name.err" </dev/null
	status=$?
	t1=$(date +%s%N)
	ms=$(( (t1 - t0) / 1000000 ))
}

# qemu NAME "HOST WORDS" [CPU]: the same images under QEMU's microvm.
qemu() {
	local name=$1 words=$2 cpu=${3:-host,-arch-capabilities} rc
	timeout 60 "$qemu" -M microvm,accel=kvm,acpi=off -cpu "$cpu" -m 256 -nographic \
		-no-reboot -monitor none -serial stdio -device isa-debug-exit,iobase=0x501,iosize=2 \
		-kernel "$host" -initrd "$guest" -append "$words" </dev/null >"$out/$name" 2>&1
	rc=$?
	if [ $((rc & 1)) = 1 ]; then status=$((rc >> 1)); else status=999; fi
}

# The self-tests of this chapter, by name: each must say "ok".
mine=(
	"the Host gives a plausible TSC frequency"
	"a clock event fires after the time asked, within 50 ms"
	"msleep(5) sleeps at least 5 ms"
	"interrupts wait while disabled, arrive on enable"
	"halt sleeps until the clock event and wakes in its handler"
	"an exception inside an interrupt handler reaches the Guest"
	"an exception goes to the handler its vector has in the table"
	"interrupt handlers run on the interrupt stack"
	"printk keeps messages above the loglevel and drops the rest"
	"a backtrace walks the frame pointers"
)

# selftest_ok NAME FILE WHERE: status 0, and every test of ours passed.
selftest_ok() {
	local name=$1 file=$2 t missing=
	for t in "${mine[@]}"; do
		grep -qxF "selftest: ok   $t" "$file" || missing="$missing [$t]"
	done
	if [ "$status" != 0 ]; then
		fail "$name" "status $status: $(grep -E 'FAIL|killed|panic' "$file" | head -3 | tr '\n' '|')"
	elif [ -n "$missing" ]; then
		fail "$name" "not ok:$missing"
	elif ! grep -q '^selftest: the TSC runs at [0-9]* kHz$' "$file"; then
		fail "$name" "no TSC frequency line"
	else
		ok "$name"
	fi
}

# ---------------------------------------------------------------- self-tests
run selftest selftest
selftest_ok interrupts-selftest-lguest "$out/selftest"

if command -v "$qemu" >/dev/null; then
	qemu q-deadline "-- selftest"
	selftest_ok interrupts-selftest-qemu "$out/q-deadline"
	contains interrupts-qemu-deadline-mode "$out/q-deadline" "timer in TSC-deadline mode"
	qemu q-count "lguest.timer=count -- selftest"
	selftest_ok interrupts-selftest-qemu-count-timer "$out/q-count"
	contains interrupts-qemu-count-mode "$out/q-count" "timer in one-shot count mode"
	qemu q-xapic "-- selftest" host,-arch-capabilities,-x2apic,-tsc-deadline
	selftest_ok interrupts-selftest-qemu-xapic "$out/q-xapic"
	contains interrupts-qemu-xapic-mode "$out/q-xapic" "LAPIC xAPIC, timer in one-shot count mode"
else
	skip interrupts-selftest-qemu "$qemu not installed (make deps)"
fi

# The Host's TSC frequency must be the one the Guest reports, under both VMMs.
khz=$(sed -n 's/^lguest: LAPIC .*, TSC \([0-9]*\) kHz$/\1/p' "$out/selftest")
if [ -n "$khz" ] && grep -qxF "selftest: the TSC runs at $khz kHz" "$out/selftest"; then
	ok interrupts-tsc-frequency-passed-on
else
	fail interrupts-tsc-frequency-passed-on "Host said '$khz' kHz; Guest: $(grep 'TSC runs' "$out/selftest")"
fi

# span NAME ARGS...: our Launcher, its console's lines stamped (ns) as they
# come; $whole is the ms from its start to its exit, $after the ms from the
# line the Guest prints just before its clock starts ("Guest running") to the
# exit, and $status its status.
span() {
	local name=$1 t0 t1 line; shift
	t0=$(date +%s%N)
	{ timeout 60 "$lg" "$guest" "$@" </dev/null 2>"$out/$name.err"; echo "lguest-exit $?"; } |
		while IFS= read -r l; do echo "$(date +%s%N) $l"; done >"$out/$name"
	line=$(sed -n 's/^\([0-9]*\) Guest running at CPL.*/\1/p' "$out/$name")
	t1=$(sed -n 's/^\([0-9]*\) lguest-exit [0-9]*$/\1/p' "$out/$name")
	status=$(sed -n 's/^[0-9]* lguest-exit \([0-9]*\)$/\1/p' "$out/$name")
	whole=$(( (t1 - t0) / 1000000 ))
	after=
	[ -n "$line" ] && after=$(( (t1 - line) / 1000000 ))
}

# The Guest's second against the wall clock's: sleep=1000 must hold the Guest
# for one second of ours.  A Host that gave the Guest a wrong TSC frequency
# would shrink or stretch it.  A loaded machine can only add time, never take
# it away, so the lower bound is exact and asked every time: from the
# Launcher's start to its exit at least 1000 ms.  The upper bound needs a
# quiet moment, so it gets three tries: from the line before the sleep to the
# exit, at most 1300 ms more than the same span of a boot without a sleep.
# Every try's figures are printed.
tries= wall=ok
for try in 1 2 3; do
	span plain poweroff=0
	plain_after=$after plain_status=$status
	span sleep sleep=1000 poweroff=0
	tries="$tries [sleep=1000: $whole ms in all, $after ms after the line; without: $plain_after ms]"
	if [ "$status" != 0 ] || [ "$plain_status" != 0 ] || [ -z "$after" ] || [ -z "$plain_after" ]; then
		wall="status $status and $plain_status, or no 'Guest running' line"; break
	elif [ "$whole" -lt 1000 ]; then
		wall="shorter than a second"; break
	elif [ $((after - plain_after)) -le 1300 ]; then
		wall=; break
	fi
	wall="more than 1300 ms longer than a boot without a sleep, three times"
done
if [ -z "$wall" ]; then
	ok "interrupts-sleep-wall-clock:$tries"
else
	fail interrupts-sleep-wall-clock "$wall:$tries"
fi

# ---------------------------------------------------------------- hostile cases
# hostile N REGEX: killed (125), the Launcher names the reason on stderr, the
# console shows the same reason, and the Host's checksum of its own code and
# constants is the one it took at boot.
hostile() {
	local n=$1 want=$2 name=interrupts-hostile-$1
	run hostile-$n hostile=$n
	if [ "$status" != 125 ]; then
		fail "$name" "status $status, expected 125: $(tail -n 2 "$out/hostile-$n" | tr '\n' '|')"
	elif ! grep -qE "^lguest: guest killed: $want\$" "$out/hostile-$n.err"; then
		fail "$name" "stderr: $(cat "$out/hostile-$n.err"), expected /$want/"
	elif ! grep -qE "^lguest: guest killed: $want\$" "$out/hostile-$n"; then
		fail "$name" "the console does not show the reason"
	elif ! grep -q '^lguest: Host image intact (checksum 0x[0-9a-f]*, sealed 0x[0-9a-f]*)$' "$out/hostile-$n"; then
		fail "$name" "the Host's image is not reported intact: $(grep 'Host image' "$out/hostile-$n")"
	else
		ok "$name"
	fi
}

hex='0x[0-9a-f]+'
hostile 12 "interrupt entry 0x1000 is not mapped Guest memory"
hostile 13 "interrupt entry 0xffffffff80100000 is not mapped Guest memory"
hostile 14 "interrupt entry 0x8000000001000000 is not a canonical address"
hostile 15 "cannot deliver interrupt 0: its frame at 0x9000000fc8 is not writable Guest memory"
hostile 16 "interrupt stack overflow: rsp $hex, stack $hex-$hex"
hostile 17 "interrupts disabled for 1000 ms while interrupt 0 waited: a lockup"
if [ "$status" = 125 ] && [ "$ms" -ge 1000 ]; then
	ok "interrupts-hostile-17-waited: killed after $ms ms"
else
	fail interrupts-hostile-17-waited "killed after $ms ms, expected at least 1000"
fi
hostile 18 "clock event 0xffffffffffffffff is [0-9]+ s ahead, more than 3600 s"
# Case 19 halts with nothing that could wake it: no clock event, and before
# any driver has reached a device.  Under our Launcher the console's line is
# routed to the Guest, but the Guest never mapped the console's window, so
# the line cannot come (H:897): killed, and quickly.
why19="halted with no clock event armed and no device interrupt that could come: it would never wake"
hostile 19 "$why19"
if [ "$status" = 125 ] && [ "$ms" -lt 10000 ]; then
	ok "interrupts-hostile-19-bounded: killed after $ms ms"
else
	fail interrupts-hostile-19-bounded "status $status after $ms ms, expected 125 within 10 s"
fi
# The same Guest under QEMU's microvm with no devices at all.
if command -v "$qemu" >/dev/null; then
	qemu q-hostile-19 "-- hostile=19"
	if [ "$status" = 125 ] && grep -q "^lguest: guest killed: $why19" "$out/q-hostile-19"; then
		ok interrupts-hostile-19-qemu
	else
		fail interrupts-hostile-19-qemu "status $status: $(tail -n 2 "$out/q-hostile-19" | tr '\n' '|')"
	fi
else
	skip interrupts-hostile-19-qemu "$qemu not installed (make deps)"
fi

run hostile-past hostile=99
if [ "$status" = 2 ] && grep -qxF "unknown hostile case 99" "$out/hostile-past"; then
	ok interrupts-hostile-unknown
else
	fail interrupts-hostile-unknown "status $status: $(tail -n 1 "$out/hostile-past")"
fi

# ---------------------------------------------------------------- panic, printk
# The backtrace's addresses, less one each (a return address is the byte after
# its call), must resolve to the three functions that led to the panic.
run panic panic
line=$(grep '^Guest backtrace:' "$out/panic")
names=$(for a in ${line#Guest backtrace:}; do printf '0x%x\n' $((a - 1)); done |
	addr2line -f -e "$guest" | sed -n 'p;n' | tr '\n' ' ')
if [ "$status" = 1 ] && grep -qxF "Guest panic: on purpose, as the command line asked" "$out/panic" &&
   [[ "$names" == *"panic_depth_3 panic_depth_2 panic_on_purpose "* ]]; then
	ok interrupts-panic-backtrace
else
	fail interrupts-panic-backtrace "status $status; backtrace resolves to: $names"
fi

# loglevel=5 shows levels below 5 only: the self-tests' summary, a plain
# message (level 4), must come, and the TSC line (KERN_INFO, 6), which the
# run without loglevel= printed (selftest_ok above), must not.  How the
# self-tests fared is not this check's business (some of them time things,
# and the checks above judge them): the Guest must only end by powering off
# with its count of failures, not be killed.
run loglevel loglevel=5 selftest
failed=$(sed -n 's/^selftest: [0-9]* passed, \([0-9]*\) failed, .*/\1/p' "$out/loglevel")
if [ -n "$failed" ] && [ "$status" = $((failed > 0)) ] && grep -q 'TSC runs at' "$out/selftest" &&
   ! grep -q 'TSC runs at' "$out/loglevel"; then
	ok interrupts-loglevel
else
	fail interrupts-loglevel "loglevel=5 should hide KERN_INFO and keep plain messages (status $status, summary: $(grep 'passed, ' "$out/loglevel"))"
fi

# ---------------------------------------------------------------- measured
run bench bench=trap
hc=$(sed -n 's/^measure: null hypercall \([0-9]*\) cycles$/\1/p' "$out/bench")
bt=$(sed -n 's/^measure: bare trap \([0-9]*\) cycles$/\1/p' "$out/bench")
if [ "$status" = 0 ] && [ -n "$hc" ] && [ -n "$bt" ] && [ "$bt" -gt 0 ] && [ "$bt" -lt "$hc" ]; then
	ok "interrupts-measure: null hypercall $hc cycles, bare trap $bt cycles"
else
	fail interrupts-measure "status $status, null hypercall '$hc', bare trap '$bt' (bare must be cheaper)"
fi
exit 0
