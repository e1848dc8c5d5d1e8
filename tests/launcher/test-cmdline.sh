#!/usr/bin/env bash
# A careless user of the Launcher's command line (issue 10): descriptors 0-2
# closed at start, disks that are empty, ragged, missing, too many or in use
# (OFD locks), --rng twice or with a value, Guest words that are not numbers,
# and Launcher options after the image.  Each mistake is refused (status 1)
# with a message that says what to do; nothing reaches the Guest by accident.
source "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0
lg=${LGUEST:-build/lguest}
guest=${GUEST_ELF:-build/guest.elf}
if [ ! -x "$lg" ] || [ ! -f "$guest" ]; then
	fail cmdline "build/lguest or build/guest.elf missing (run make)"; exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=$work/out err=$work/err

# run WANT ARGS...: the Launcher with `poweroff` on its console; status in $rc.
run() {
	local want=$1; shift
	echo poweroff | timeout -k 1 20 "$lg" "$@" >"$out" 2>"$err"; rc=$?
	[ "$rc" = "$want" ]
}
# says NAME WANT-STATUS FILE TEXT ARGS...: status WANT-STATUS and TEXT in FILE.
says() {
	local name=$1 want=$2 file=$3 text=$4; shift 4
	if ! run "$want" "$@"; then fail "$name" "status $rc, want $want: $(head -c 300 "$err")"
	elif ! grep -qF -- "$text" "$file"; then fail "$name" "no '$text' in: $(head -c 300 "$file")"
	else ok "$name"; fi
}

# ---------------------------------------------------------------- closed 0-2
# A disk full of shell commands: if it ever becomes the console's input, the
# Guest powers off with 42; if it becomes the console's output, it changes.
yes 'poweroff 42' | head -c 65536 >"$work/cmds.img"
cp "$work/cmds.img" "$work/cmds.orig"
# 1 and 2 closed, input given: the disk would be fd 1 and take the output.
printf 'info\npoweroff 7\n' >"$work/in"
(exec 1>&- 2>&-; timeout -k 1 20 "$lg" --block="$work/cmds.img" <"$work/in"); rc=$?
if [ "$rc" = 7 ] && cmp -s "$work/cmds.img" "$work/cmds.orig"; then ok closed-out-err-disk-intact
else fail closed-out-err-disk-intact "status $rc, want 7; image $(cmp "$work/cmds.img" "$work/cmds.orig" 2>&1 | head -c 100)"; fi
# 0, 1 and 2 closed: the disk would be fd 0, and its bytes the shell's input.
# With no input the Guest waits (or ends at end of input): anything but 42.
(exec 0<&- 1>&- 2>&-; timeout -k 1 3 "$lg" --block="$work/cmds.img"); rc=$?
if [ "$rc" != 42 ] && cmp -s "$work/cmds.img" "$work/cmds.orig"; then ok closed-all-disk-not-input "(status $rc)"
else fail closed-all-disk-not-input "status $rc (42: the disk was the input); image $(cmp "$work/cmds.img" "$work/cmds.orig" 2>&1 | head -c 100)"; fi

# ---------------------------------------------------------------- disks
: >"$work/empty.img"
head -c 1000 /dev/zero >"$work/ragged.img"
truncate -s 64K "$work/a.img" "$work/b.img"
refuses disk-missing "no such file; make a disk with e.g. 'truncate -s 1M $work/nope.img'" \
	--block="$work/nope.img"
if grep -qF ',ro' "$err"; then fail disk-missing-no-ro-advice "$(cat "$err")"; else ok disk-missing-no-ro-advice; fi
refuses disk-missing-ro "no such file" --block="$work/nope.img,ro"
refuses disk-empty "is empty; give it a size, e.g. 'truncate -s 1M $work/empty.img'" \
	--block="$work/empty.img"
refuses disk-ragged "1000 bytes is not a whole number of 512-byte sectors" --block="$work/ragged.img"
grep -qF "truncate -s %512 $work/ragged.img" "$err" && ok disk-ragged-says-fix ||
	fail disk-ragged-says-fix "$(cat "$err")"
refuses disk-directory "is a directory" --block="$work"
# The Guest's driver takes eight disks; the Launcher takes as many, no more.
disks=()
for i in 1 2 3 4 5 6 7 8; do truncate -s 4K "$work/d$i.img"; disks+=(--block="$work/d$i.img"); done
says disks-eight 0 "$out" 'virtio-blk: disk 7: 8 sectors, id "d8.img"' "${disks[@]}"
truncate -s 4K "$work/d9.img"
refuses disks-nine "--block=$work/d9.img: too many disks; the Guest sees at most 8" \
	"${disks[@]}" --block="$work/d9.img"

# ---------------------------------------------------------------- locks
refuses lock-twice-rw "--block=$work/a.img: the same image as --block=$work/a.img; one image is two disks only if both are ,ro" \
	--block="$work/a.img" --block="$work/a.img"
refuses lock-rw-and-ro "the same image as" --block="$work/a.img" --block="$work/a.img,ro"
ln -s a.img "$work/link.img"
refuses lock-twice-other-name "--block=$work/link.img: the same image as --block=$work/a.img" \
	--block="$work/a.img,ro" --block="$work/link.img"
says lock-twice-ro 0 "$out" 'virtio-blk: disk 1: 128 sectors, read-only' \
	--block="$work/a.img,ro" --block="$work/a.img,ro"
# Another Launcher holds a.img read-write (and b.img read-only) until we
# close its input.
mkfifo "$work/fifo"
"$lg" --block="$work/a.img" --block="$work/b.img,ro" <"$work/fifo" >"$work/first.out" 2>&1 &
first=$!
exec 3>"$work/fifo"
for _ in $(seq 100); do grep -q 'lguest shell' "$work/first.out" && break; sleep 0.05; done
refuses lock-other-launcher "another Launcher or program holds it" --block="$work/a.img"
refuses lock-other-launcher-ro "$work/a.img is in use" --block="$work/a.img,ro"
refuses lock-other-reader "$work/b.img is in use" --block="$work/b.img"
says lock-other-reader-shared 0 "$out" 'read-only' --block="$work/b.img,ro"
echo poweroff >&3; exec 3>&-
wait "$first"
says lock-released 0 "$out" 'virtio-blk: disk 0: 128 sectors' --block="$work/a.img"

# ---------------------------------------------------------------- --rng
refuses rng-twice "option '--rng' given twice" --rng --rng
refuses rng-value "option '--rng=5' takes no value" --rng=5

# ---------------------------------------------------------------- Guest words
says guest-poweroff-number 3 "$out" "" -- poweroff=3
says guest-poweroff-abc 1 "$out" "Guest: poweroff=abc: not a number; write e.g. poweroff=3" -- poweroff=abc
says guest-poweroff-empty 1 "$out" "Guest: poweroff=: not a number" -- poweroff=
says guest-poweroff-too-long 1 "$out" "Guest: poweroff=99999999999: not a number" -- poweroff=99999999999
says guest-poweroff-too-big 125 "$err" "shutdown with status 200, above the Guest's limit of 124" -- poweroff=200
says guest-hostile-abc 1 "$out" "Guest: hostile=abc: not a number" -- hostile=abc

# ---------------------------------------------------------------- arguments
# Options after the image are the Launcher's; after -- everything is the Guest's.
says args-option-after-image 0 "$out" 'virtio-blk: disk 0: 128 sectors' "$guest" --block="$work/a.img"
grep -qF -- '--block' "$out" && fail args-option-not-to-guest "$(grep -F -- --block "$out")" ||
	ok args-option-not-to-guest
says args-option-after-guest-word 5 "$out" 'virtio-blk: disk 0' "$guest" poweroff=5 --block="$work/a.img"
refuses args-unknown-after-image "unknown option '--frob'" "$guest" --frob
says args-dashdash-builtin 4 "$out" "" -- poweroff=4
says args-dashdash-image 6 "$out" "" "$guest" -- poweroff=6
"$lg" --help >"$out"
grep -qF 'options are the Launcher'"'"'s wherever they stand before --' "$out" &&
	grep -qF 'lguest -- poweroff=7' "$out" && ok args-help-says-so || fail args-help-says-so "$(cat "$out")"
says args-dashdash-dash-word 0 "$out" "Guest: ignoring argument --block=x" "$guest" -- --block=x
exit 0
