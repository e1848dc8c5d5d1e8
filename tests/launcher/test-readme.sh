#!/usr/bin/env bash
# The README's examples, run as written (issue 10): the commands are taken
# out of README.md itself, so a README that drifts from the code fails here.
#  - the disk example: the shell lines that make the images, the Launcher's
#    command line, and each `lguest> ` line typed into its shell;
#  - the QEMU command line: it must show the shell's prompt, answer a
#    command, and power off through the debug-exit port.
# Every Guest is bounded by timeout.
source "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0
qemu=${QEMU:-qemu-system-x86_64}
if [ ! -x build/lguest ] || [ ! -f build/guest.elf ] || [ ! -f build/host.elf ]; then
	fail readme "build/lguest, build/host.elf or build/guest.elf missing (run make)"; exit 0
fi
if [ ! -w /dev/kvm ]; then
	fail readme "/dev/kvm is not usable"; exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ln -s "$top/build" "$work/build"

# block FIRST-LINE-PATTERN: the indented code block of README.md whose first
# line matches, its lines without the four spaces of indentation.
block() {
	awk -v pat="$1" '
		!inb && /^    / && $0 ~ pat { inb = 1 }
		inb && !/^    / { exit }
		inb { print substr($0, 5) }' "${2:-README.md}"
}

# ---- the disk example
disk=$(block '^    tar --format=ustar')
if [ -z "$disk" ]; then
	fail readme-disk-example "README.md has no block starting 'tar --format=ustar'"
else
	setup=$(grep -v '^lguest> ' <<<"$disk" | grep -v '^build/lguest')
	launch=$(grep '^build/lguest' <<<"$disk")
	# Each typed line, without the comment after it.
	typed=$(sed -n 's/^lguest> //p' <<<"$disk" | sed 's/  *#.*//')
	(
		cd "$work" && mkdir -p some/dir && echo "a file in the README's example" >some/dir/README &&
		eval "$setup" && cp files.img files.orig &&
		{ printf '%s\n' "$typed"; echo poweroff; } | eval "timeout 30 $launch" >disk.log 2>&1
		echo $? >disk.status
	)
	st=$(cat "$work/disk.status" 2>/dev/null)
	log=$work/disk.log
	if [ "$st" = 0 ]; then ok readme-disk-poweroff; else
		fail readme-disk-poweroff "status $st: $(tail -3 "$log" | tr '\n' '|')"; fi
	contains readme-disk-ls "$log" "README"
	contains readme-disk-cat "$log" "a file in the README's example"
	if grep -qx 'ok' "$log" && grep -qx 'hello' "$log" && ! grep -q '^blk: ' "$log"; then
		ok readme-disk-blk-write-read
	else
		fail readme-disk-blk-write-read "$(grep -A1 'blk' "$log" | head -8 | tr '\n' '|')"
	fi
	if [ "$(dd if="$work/disk.img" bs=512 skip=7 count=1 2>/dev/null | tr -d '\0')" = hello ]; then
		ok readme-disk-image-written
	else
		fail readme-disk-image-written "sector 7 of disk.img does not hold 'hello'"
	fi
	expect readme-disk-ro-image-intact cmp -s "$work/files.img" "$work/files.orig"
fi

# ---- the QEMU command line
if ! command -v "$qemu" >/dev/null; then
	skip readme-qemu "$qemu not installed (make deps)"; exit 0
fi
cmd=$(block '^    qemu-system-x86_64' | sed 's/\\$//' | tr '\n' ' ')
if [ -z "$cmd" ]; then
	fail readme-qemu "README.md has no block starting 'qemu-system-x86_64'"; exit 0
fi
# The book tells the same command (chapter 00): the two must not drift apart.
book=$(block '^    qemu-system-x86_64' chapters/00-preparation.nw | sed 's/\\$//' | tr '\n' ' ')
if [ "$(echo $book)" = "$(echo $cmd)" ]; then ok readme-qemu-same-as-the-book; else
	fail readme-qemu-same-as-the-book "chapters/00-preparation.nw tells another QEMU command: $book"; fi
printf 'info\npoweroff 3\n' | (cd "$work" && eval "timeout 30 $cmd") >"$work/qemu.log" 2>&1
st=$?
contains readme-qemu-prompt "$work/qemu.log" "lguest> "
contains readme-qemu-answers "$work/qemu.log" "virtio-console"
if [ "$st" = 7 ]; then ok readme-qemu-poweroff; else
	fail readme-qemu-poweroff "status $st, expected 7 (poweroff 3): $(tail -3 "$work/qemu.log" | tr '\n' '|')"; fi
