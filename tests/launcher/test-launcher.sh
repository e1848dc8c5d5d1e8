#!/usr/bin/env bash
# The Launcher's tests: its errors for bad arguments and images, booting a
# tiny PVH fixture kernel (serial output, exit status, gzip, the kill and
# crash paths), and, once the Host and Guest exist, booting the real thing.
source "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0

work=build/tests/launcher
src=${LAUNCHER_SRC:-build/src}	# another tangle of the chapters, to test one by hand
mkdir -p "$work"
fx=$work/pvh-hello.elf

# ---------------------------------------------------------------- set-up
# The fixture: a few lines of 32-bit assembly with a PVH note.
if ! gcc -c -o "$work/pvh-hello.o" tests/launcher/fixtures/pvh-hello.S ||
   ! ld -m elf_x86_64 -nostdlib -static -z max-page-size=0x1000 --no-warn-rwx-segments \
	-T tests/launcher/fixtures/pvh-hello.ld -o "$fx" "$work/pvh-hello.o"; then
	fail fixture "cannot build tests/launcher/fixtures/pvh-hello.S"; exit 0
fi

# The Launcher under test is build/lguest. While the Host or the Guest cannot
# be built yet, there is none; we then build one from build/src/launcher with
# the fixture as both built-in images, so everything but the real boot is tested.
lg=${LGUEST:-build/lguest}	# LGUEST=path tests another Launcher
standin=
if [ ! -x "$lg" ]; then
	if [ ! -f $src/launcher/main.c ]; then
		skip launcher "$src/launcher is missing: run make tangle"; exit 0
	fi
	mkdir -p "$work/standin/build"
	cp "$fx" "$work/standin/build/host.elf"; cp "$fx" "$work/standin/build/guest.elf"
	objs=()
	for f in $src/launcher/*.c $src/launcher/*.S; do
		o=$work/standin/$(basename "$f").o
		(cd "$work/standin" && gcc -O2 -Wall -I"$(realpath $src/include)" -c "$(realpath "$f")" -o "$top/$o") || {
			fail launcher "cannot compile $f"; exit 0; }
		objs+=("$o")
	done
	gcc -o "$work/lguest" "${objs[@]}" -lz -lseccomp -luring || { fail launcher "cannot link"; exit 0; }
	lg=$work/lguest standin=yes
	echo "# build/lguest does not exist yet: testing $lg (fixture built in)"
fi

out=$work/out err=$work/err
# run EXPECTED-STATUS ARGS...: run the Launcher, status in $rc, output in $out/$err.
run() {
	local want=$1; shift
	timeout 60 "$lg" "$@" >"$out" 2>"$err"; rc=$?
	[ "$rc" = "$want" ]
}
# boots NAME STATUS TEXT ARGS...: exits with STATUS and prints TEXT on stdout.
boots() {
	local name=$1 want=$2 text=$3; shift 3
	if ! run "$want" "$@"; then fail "$name" "status $rc, want $want: $(head -c 400 "$err")"
	elif ! grep -qF -- "$text" "$out"; then fail "$name" "no '$text' in: $(head -c 300 "$out")"
	else ok "$name"; fi
}

# ---------------------------------------------------------------- the one door
# io.c and control.c alone, fed port accesses as KVM would feed them.
if gcc -O2 -Wall -I$src/include -I$src/launcher -o "$work/door-test" \
	tests/launcher/door-test.c $src/launcher/io.c $src/launcher/control.c \
	$src/launcher/serial.c $src/launcher/places.c; then
	"$work/door-test" | tee "$work/door.out" | grep -v '^uart-transmit$'
	if grep -qx 'uart-transmit' "$work/door.out"; then ok uart-transmit
	else fail uart-transmit "the UART printed: $(grep -v '^ok ' "$work/door.out")"; fi
	for c in before-window below above wrap; do
		"$work/door-test" $c >"$work/out" 2>"$work/err"; rc=$?
		if [ $rc = 125 ] && grep -q '^lguest: guest killed: it used ' "$work/err"; then ok door-kills-$c
		else fail door-kills-$c "status $rc: $(cat "$work/err")"; fi
	done
	"$work/door-test" host-kill >"$work/out" 2>"$work/err"; rc=$?
	if [ $rc = 125 ] && grep -qx 'lguest: guest killed: bad?\[31m' "$work/err"; then ok door-host-kill-sanitized
	else fail door-host-kill-sanitized "status $rc: $(cat -v "$work/err")"; fi
else fail door-test "cannot build tests/launcher/door-test.c"; fi

# ---------------------------------------------------------------- usage
if run 0 --help && grep -q '^Usage: lguest' "$out"; then ok help; else fail help "status $rc"; fi
refuses unknown-long "unknown option '--frobnicate'" --frobnicate
refuses unknown-short "unknown option '-x'" -x
refuses no-value-wanted "option '--verbose=yes' takes no value" --verbose=yes
refuses missing-value "option '--memory' needs a value" --memory
refuses memory-not-number "--memory=lots: not a number" --memory=lots
refuses memory-suffix "--memory=256M: not a number" --memory=256M
refuses memory-empty "--memory=: not a number" --memory=
refuses memory-negative "--memory=-5: not a number" --memory=-5
refuses memory-too-small "--memory=16: out of range" --memory=16
refuses memory-too-large "--memory=99999: out of range" --memory=99999
refuses memory-overflow "not a number" --memory=99999999999999999999999
refuses guest-arg-space "has a space" --host="$fx" "$fx" "two words"

# ---------------------------------------------------------------- images
printf 'just some text\n' >"$work/text"
: >"$work/empty"
gzip -c "$fx" >"$work/fx.gz"
head -c 200 "$work/fx.gz" >"$work/truncated.gz"
cp "$work/fx.gz" "$work/corrupt.gz"
printf 'XXXXXXXXXXXXXXXX' | dd of="$work/corrupt.gz" bs=1 seek=60 conv=notrunc 2>/dev/null
refuses guest-missing "cannot open Guest image '$work/nonexistent'" --host="$fx" "$work/nonexistent"
refuses guest-directory "is a directory" --host="$fx" "$work"
refuses guest-empty "is empty" --host="$fx" "$work/empty"
refuses guest-not-elf "is not an ELF file (it starts with 6a 75 73 74)" --host="$fx" "$work/text"
refuses guest-truncated-gzip "truncated gzip file" --host="$fx" "$work/truncated.gz"
refuses guest-corrupt-gzip "corrupt gzip file" --host="$fx" "$work/corrupt.gz"
refuses host-missing "cannot open Host image" --host="$work/nonexistent"
refuses host-not-elf "is not an ELF file" --host="$work/text"
refuses host-no-pvh-note "has no PVH entry note" --host="$(type -P true)"
refuses host-gzip-corrupt "corrupt gzip file" --host="$work/corrupt.gz"

# ---------------------------------------------------------------- the fixture boots
boots fixture-serial 42 hi --host="$fx" "$fx"
boots fixture-status 7 "-- 7" --host="$fx" "$fx" 7
boots fixture-args 3 "-- a -b 3" --host="$fx" "$fx" a -- -b 3
boots fixture-args-after-dashdash 3 "-- a -b 3" --host="$fx" "$fx" -- a -b 3
boots fixture-module 0 ELF --host="$fx" "$fx" 0
boots fixture-gzip-guest 5 ELF --host="$fx" "$work/fx.gz" 5
boots fixture-gzip-host 6 hi --host="$work/fx.gz" "$fx" 6
boots fixture-cmdline-devices-first 7 "virtio_mmio.device=0x200@0xd0000000:5 virtio_mmio.device=0x200@0xd0000200:6 -- 7" \
	--rng --host="$fx" "$fx" 7
boots fixture-small-memory 4 hi --memory=32 --host="$fx" "$fx" 4
if [ "$standin" ]; then boots builtin-images 42 hi; fi
if run 125 --host="$fx" "$fx" kill && grep -qx 'lguest: guest killed: the fixture asked to be killed' "$err"
then ok fixture-kill; else fail fixture-kill "status $rc: $(head -c 300 "$err")"; fi
if run 126 --host="$fx" "$fx" crash && grep -qF 'lguest: the Host crashed (triple fault)' "$err" &&
   grep -q 'RIP ' "$err"; then ok fixture-triple-fault; else fail fixture-triple-fault "status $rc: $(head -c 300 "$err")"; fi
# An `int` at ring 0 is an emulation failure on a nested KVM; on hardware
# KVM, with no IDT set up, it ends in a triple fault. Either way: 126.
if run 126 --host="$fx" "$fx" int && grep -qE 'emulation failure|triple fault' "$err" &&
   grep -qF 'code at RIP (physical 0x' "$err"
then ok fixture-int-at-ring-0; else fail fixture-int-at-ring-0 "status $rc: $(head -c 300 "$err")"; fi
if run 126 --host="$fx" "$fx" window && grep -qF 'Guest window' "$err"
then ok fixture-window-outside-ram; else fail fixture-window-outside-ram "status $rc: $(head -c 300 "$err")"; fi
if run 0 --verbose --host="$fx" "$fx" 0 && grep -qF 'PVH entry 0x100000' "$err" &&
   grep -qF 'module 0 at' "$err" && grep -q 'stopped with status 0 after' "$err"
then ok verbose; else fail verbose "status $rc: $(head -c 300 "$err")"; fi
if (exec 1>&-; timeout 60 "$lg" --host="$fx" "$fx" 0 2>/dev/null); then ok stdout-closed
else fail stdout-closed "status $?"; fi

# ---------------------------------------------------------------- /dev/kvm
if command -v unshare >/dev/null && unshare -m true 2>/dev/null; then
	timeout 60 unshare -m sh -c "mount -t tmpfs none /dev && exec $lg --host=$fx $fx" >"$out" 2>"$err"; rc=$?
	if [ $rc = 1 ] && grep -qF 'cannot open /dev/kvm: it does not exist' "$err"; then ok kvm-missing
	else fail kvm-missing "status $rc: $(cat "$err")"; fi
else skip kvm-missing "cannot make a mount namespace (unshare -m) here"; fi
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && [ "$(stat -c %a /dev/kvm)" = 600 ]; then
	cp "$lg" "$fx" /tmp/ && chmod 755 /tmp/"$(basename "$lg")"
	timeout 60 setpriv --reuid=65534 --regid=65534 --clear-groups \
		/tmp/"$(basename "$lg")" --host=/tmp/pvh-hello.elf /tmp/pvh-hello.elf >"$out" 2>"$err"; rc=$?
	rm -f /tmp/"$(basename "$lg")" /tmp/pvh-hello.elf
	if [ $rc = 1 ] && grep -qF 'Permission denied; add yourself to the kvm group' "$err"; then ok kvm-permission
	else fail kvm-permission "status $rc: $(cat "$err")"; fi
else skip kvm-permission "needs root, setpriv and a /dev/kvm only root may open"; fi

# ---------------------------------------------------------------- the real Host and Guest
if [ ! -f build/guest.elf ] || [ "$standin" ]; then
	for t in boot-default guest-poweroff-status guest-killed; do
		skip $t "build/guest.elf or the Launcher that embeds it does not exist yet"; done
	exit 0
fi
# With no Guest words the built-in Guest starts its shell: a scripted poweroff ends it.
echo poweroff | boots boot-default 0 "lguest> poweroff"
boots guest-poweroff-status 7 "" build/guest.elf poweroff=7
if run 125 build/guest.elf hostile=1 && grep -q '^lguest: guest killed: ' "$err"
then ok guest-killed; else fail guest-killed "status $rc: $(head -c 300 "$err")"; fi
