#!/usr/bin/env bash
# blk addresses every disk (D:667): a disk number before the verb picks the
# disk, the default is the first writable disk, and the errors name the disk.
# Every Guest is bounded by timeout.
. "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0
L=build/lguest G=build/guest.elf
needs_machine blk-disks || exit 0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
truncate -s 64K "$work/ro.img" "$work/a.img" "$work/b.img"

# Three disks: read-only, then two writable ones.
printf '%s\n' "blk" "blk write 3 default" "blk 2 write 3 second" "blk 0 write 3 nope" \
	"blk 9 read 0" "blk 2 read 3" "blk 1" "poweroff" |
	timeout 30 "$L" --block="$work/ro.img,ro" --block="$work/a.img" --block="$work/b.img" "$G" \
	>"$work/three.log" 2>&1
st=$?
sector3() { dd if="$1" bs=512 skip=3 count=1 2>/dev/null | tr -d '\0'; }
if [ "$st" = 0 ]; then ok blk-disks-poweroff; else fail blk-disks-poweroff "status $st"; fi
contains blk-disks-default-listed "$work/three.log" 'id "a.img", blk'"'"'s default'
if [ "$(sector3 "$work/a.img")" = default ] && [ "$(sector3 "$work/b.img")" = second ] &&
   [ -z "$(sector3 "$work/ro.img")" ]; then
	ok blk-disks-each-write-lands-on-its-disk
else
	fail blk-disks-each-write-lands-on-its-disk "a: '$(sector3 "$work/a.img")' b: '$(sector3 "$work/b.img")' ro: '$(sector3 "$work/ro.img")'"
fi
contains blk-disks-read-only-named "$work/three.log" "blk: cannot write sector 3 of disk 0: the disk is read-only"
contains blk-disks-no-such-disk "$work/three.log" "blk: there is no disk 9; there are 3 (blk lists them)"
if grep -qx second "$work/three.log"; then ok blk-disks-read-chosen; else
	fail blk-disks-read-chosen "'blk 2 read 3' did not print the line 'second'"; fi
contains blk-disks-number-alone-is-usage "$work/three.log" "usage: blk | blk [DISK] read SECTOR"

# Only a read-only disk: the default is disk 0, and the write is refused.
printf 'blk write 3 x\npoweroff\n' | timeout 30 "$L" --block="$work/ro.img,ro" "$G" >"$work/ro.log" 2>&1
contains blk-disks-all-read-only "$work/ro.log" "blk: cannot write sector 3 of disk 0: the disk is read-only"
