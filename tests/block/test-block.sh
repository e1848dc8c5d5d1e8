#!/usr/bin/env bash
# The Guest's disk driver (chapter 22) end to end, under our Launcher and
# under QEMU's virtio-blk (microvm, virtio-mmio version 2), with the same
# build/host.elf and build/guest.elf:
#   - the disk's self-tests (selftest), with a writable and a read-only disk;
#   - `blk write` from the shell, flushed, then the image checked byte for
#     byte on the host; read back in a second boot; refusals past the end;
#   - a read-only disk: the write refused with its reason, the image intact;
#   - a tar image (GNU tar --format=ustar) behind a blank disk: `ls` and `cat`,
#     compared with the files that went in, one of them 230 KB.
source "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0
LGUEST=${LGUEST:-build/lguest}
HOST=${HOST_ELF:-build/host.elf}
GUEST=${GUEST_ELF:-build/guest.elf}
QEMU=${QEMU:-qemu-system-x86_64}

if [ ! -x "$LGUEST" ] || [ ! -f "$HOST" ] || [ ! -f "$GUEST" ]; then
	fail block "build/lguest, build/host.elf or build/guest.elf missing (run make)"; exit 0
fi
if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
	fail block "/dev/kvm is not usable"; exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# boot VMM NAME "GUEST ARGS" DISK...: runs the Guest with the disks (FILE or
# FILE,ro) and $work/NAME.in on its console.  The console's output lands in
# $work/NAME.out, the Host's serial (printk) in $work/NAME.log; $status is the
# Guest's exit status, or 999.
boot() {
	local vmm=$1 name=$2 args=$3 rc; shift 3
	local in=$work/$name.in out=$work/$name.out log=$work/$name.log
	[ -f "$in" ] || : >"$in"
	if [ "$vmm" = ours ]; then
		local opts=()
		for d in "$@"; do opts+=("--block=$d"); done
		timeout 60 "$LGUEST" "${opts[@]}" "$GUEST" $args <"$in" >"$out" 2>"$log"
		rc=$?
		status=$rc
		[ $rc -le 125 ] || status=999
	else
		local opts=() k=0
		for d in "$@"; do
			local file=${d%,ro} ro=""
			[ "$file" != "$d" ] && ro=",readonly=on"
			opts+=(-drive "file=$file,if=none,format=raw,id=d$k$ro"
			       -device "virtio-blk-device,drive=d$k,serial=qemu-disk-$k")
			k=$((k + 1))
		done
		timeout 60 "$QEMU" -M microvm,accel=kvm,acpi=off -cpu host,-arch-capabilities \
			-m 256 -display none -no-reboot -monitor none -serial "file:$log" \
			-device isa-debug-exit,iobase=0x501,iosize=2 \
			-global virtio-mmio.force-legacy=false "${opts[@]}" \
			-device virtio-serial-device -chardev stdio,id=c0,signal=off \
			-device virtconsole,chardev=c0 \
			-kernel "$HOST" -initrd "$GUEST" -append "-- $args" <"$in" >"$out" 2>>"$log"
		rc=$?
		if [ $((rc & 1)) = 1 ]; then status=$((rc >> 1)); else status=999; fi
	fi
}

# has NAME FILE TEXT: FILE has the line TEXT exactly.
has() { grep -qxF -- "$3" "$2"; }
why() { echo "status $status: $(tail -n 4 "$work/$1.out" "$work/$1.log" 2>/dev/null | tr -cd '[:print:]\n' | tr '\n' '|' | cut -c1-400)"; }

# ---- the tree for the tar image
t=$work/tree
mkdir -p "$t/docs/sub"
printf 'hello from the disk\n' >"$t/hello.txt"
seq 1 40000 >"$t/docs/big.txt"
printf 'deep\n' >"$t/docs/sub/x"
head -c 20000 /dev/urandom >"$t/bin.dat"
tar --format=ustar -cf "$work/files.tar" -C "$t" hello.txt docs bin.dat

# extract FILE START END: the bytes of FILE after the line START, up to the
# first byte of the last occurrence of END.
extract() {
	local from to
	from=$(grep -obUaF -- "$2" "$1" | head -n 1 | cut -d: -f1)
	to=$(grep -obUaF -- "$3" "$1" | tail -n 1 | cut -d: -f1)
	[ -n "$from" ] && [ -n "$to" ] || return 1
	from=$((from + ${#2} + 1))
	tail -c +$((from + 1)) "$1" | head -c $((to - from))
}

suite() {
	local vmm=$1 n

	if [ "$vmm" = qemu ] && ! command -v "$QEMU" >/dev/null; then
		skip block-qemu "$QEMU not installed (make deps)"; return
	fi
	# -- the self-tests, with a writable disk, then a read-only one beside it
	head -c 1048576 /dev/urandom >"$work/a.img"
	cp "$work/a.img" "$work/ro.img"
	sum=$(md5sum <"$work/ro.img")
	boot "$vmm" selftest-$vmm "selftest" "$work/a.img" "$work/ro.img,ro"
	cat "$work/selftest-$vmm.out" >>"$work/selftest-$vmm.log"
	n=$(grep -c '^selftest: ok   disk: ' "$work/selftest-$vmm.log")
	if [ "$status" = 0 ] && [ "$n" = 5 ] && ! grep -q '^selftest: skip disk: ' "$work/selftest-$vmm.log"; then
		ok "block-$vmm-selftest ($n disk tests, two disks, one read-only)"
	else
		fail "block-$vmm-selftest" "$n of 5 disk tests ok, $(why selftest-$vmm)"
	fi
	expect "block-$vmm-selftest-ro-image-intact" test "$(md5sum <"$work/ro.img")" = "$sum"

	# -- blk write: three sectors (first, 0x10, last), flushed; the host checks
	cp "$work/a.img" "$work/want.img"
	for w in "7 pattern-$vmm one two" "0x10 sixteen" "2047 the last sector"; do
		local text=${w#* }
		printf 'blk write %s\n' "$w" >>"$work/write-$vmm.in"
		{ printf '%s' "$text"; head -c $((512 - ${#text})) /dev/zero; } |
			dd of="$work/want.img" bs=512 seek=$((${w%% *})) conv=notrunc 2>/dev/null
	done
	echo poweroff >>"$work/write-$vmm.in"
	boot "$vmm" write-$vmm "" "$work/a.img"
	n=$(grep -cx 'ok' "$work/write-$vmm.out")
	if [ "$status" = 0 ] && [ "$n" = 3 ] && cmp -s "$work/a.img" "$work/want.img"; then
		ok "block-$vmm-write-flush-image (3 sectors, every other byte unchanged)"
	else
		fail "block-$vmm-write-flush-image" "$n ok lines, $(cmp "$work/a.img" "$work/want.img" 2>&1 | head -c 200); $(why write-$vmm)"
	fi

	# -- a second boot reads them back; past the end is refused, nothing written
	printf 'blk read 7\nblk read 0x10\nblk read 2047\nblk read 2048\nblk write 2048 x\nblk\npoweroff\n' \
		>"$work/read-$vmm.in"
	boot "$vmm" read-$vmm "" "$work/a.img"
	f=$work/read-$vmm.out
	if has x "$f" "pattern-$vmm one two" && has x "$f" "sixteen" && has x "$f" "the last sector"; then
		ok "block-$vmm-read-back"
	else
		fail "block-$vmm-read-back" "$(why read-$vmm)"
	fi
	if has x "$f" "blk: cannot read sector 2048 of disk 0 (2048 sectors): past the end of the disk" &&
	   has x "$f" "blk: cannot write sector 2048 of disk 0: past the end of the disk" &&
	   cmp -s "$work/a.img" "$work/want.img"; then
		ok "block-$vmm-past-the-end-refused"
	else
		fail "block-$vmm-past-the-end-refused" "$(why read-$vmm)"
	fi
	grep -qE '^disk 0: 2048 sectors \(1024 KiB\), read-write, block [0-9]+, id "' "$f" &&
		ok "block-$vmm-list" || fail "block-$vmm-list" "$(grep '^disk' "$f")"

	# -- a read-only disk: the driver refuses with its reason; the image is intact
	printf 'blk write 3 must not land\nblk read 3\npoweroff\n' >"$work/ro-$vmm.in"
	boot "$vmm" ro-$vmm "" "$work/ro.img,ro"
	if [ "$status" = 0 ] && has x "$work/ro-$vmm.out" "blk: cannot write sector 3 of disk 0: the disk is read-only" &&
	   [ "$(md5sum <"$work/ro.img")" = "$sum" ]; then
		ok "block-$vmm-read-only-refused"
	else
		fail "block-$vmm-read-only-refused" "$(why ro-$vmm)"
	fi

	# -- files from a tar image, on the second disk behind a blank one
	head -c 65536 /dev/zero >"$work/blank.img"
	cp "$work/files.tar" "$work/files-$vmm.img"
	printf 'ls\nls docs\nls nowhere\nblk\ncat hello.txt\ncat docs/big.txt\ncat docs\ncat bin.dat\npoweroff\n' \
		>"$work/tar-$vmm.in"
	boot "$vmm" tar-$vmm "" "$work/blank.img" "$work/files-$vmm.img,ro"
	f=$work/tar-$vmm.out
	if has x "$f" "        20  hello.txt" && has x "$f" "     <dir>  docs/" &&
	   has x "$f" "     20000  bin.dat" && has x "$f" "    228894  big.txt" &&
	   has x "$f" "     <dir>  sub/" && has x "$f" "ls: nowhere: no such file or directory"; then
		ok "block-$vmm-tar-ls"
	else
		fail "block-$vmm-tar-ls" "$(why tar-$vmm)"
	fi
	extract "$f" "lguest> cat hello.txt" "lguest> cat docs/big.txt" >"$work/got-hello"
	extract "$f" "lguest> cat docs/big.txt" "lguest> cat docs" >"$work/got-big"
	extract "$f" "lguest> cat bin.dat" "lguest> poweroff" >"$work/got-bin"
	if cmp -s "$work/got-hello" "$t/hello.txt" && cmp -s "$work/got-big" "$t/docs/big.txt" &&
	   cmp -s "$work/got-bin" "$t/bin.dat"; then
		ok "block-$vmm-tar-cat (20 B, 228894 B over 448 sectors, 20000 B binary)"
	else
		fail "block-$vmm-tar-cat" "$(wc -c <"$work/got-hello") $(wc -c <"$work/got-big") $(wc -c <"$work/got-bin") bytes; $(why tar-$vmm)"
	fi
	has x "$f" "cat: docs: not a regular file" && ok "block-$vmm-tar-cat-dir-refused" ||
		fail "block-$vmm-tar-cat-dir-refused" "$(why tar-$vmm)"
}

suite ours
suite qemu

# No tar anywhere: ls says so, naming how many disks it looked at.
printf 'ls\ncat x\npoweroff\n' >"$work/notar.in"
boot ours notar "" "$work/blank.img"
has x "$work/notar.out" "ls: none of the 1 disks holds a tar archive" &&
	has x "$work/notar.out" "cat: none of the 1 disks holds a tar archive" &&
	ok block-no-tar || fail block-no-tar "$(why notar)"
# No disk at all: the commands say so, and the self-tests pass saying why.
printf 'blk\nls\npoweroff\n' >"$work/nodisk.in"
boot ours nodisk ""
has x "$work/nodisk.out" "blk: no disk (start the Launcher with --block=FILE)" &&
	ok block-no-disk || fail block-no-disk "$(why nodisk)"
exit 0
