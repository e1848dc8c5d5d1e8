#!/usr/bin/env bash
# Disk images the Launcher may read but not write, and a disk that is a block
# device (chapter 34's opening of --block): an image on a read-only mount
# (EROFS) or one we lack write permission for (EACCES: root without
# CAP_DAC_OVERRIDE) is refused with the advice to add ,ro, and with ,ro it is
# a disk; a loop device is a disk of its size.  Each case makes what it needs
# in a mount namespace or a loop device of its own, and undoes it.
source "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0
lg=$(realpath "${LGUEST:-build/lguest}")
needs_machine disk-access "$lg" || exit 0
work=$(mktemp -d)
loop=
trap '[ -n "$loop" ] && losetup -d "$loop"; rm -rf "$work"' EXIT
out=$work/out err=$work/err

# says NAME WANT-STATUS TEXT CMD...: CMD (a Launcher, with poweroff on its
# console) ends with WANT-STATUS and says TEXT on standard error.
says() {
	local name=$1 want=$2 text=$3 rc; shift 3
	echo poweroff | timeout -k 1 30 "$@" >"$out" 2>"$err"; rc=$?
	if [ "$rc" != "$want" ]; then fail "$name" "status $rc, want $want: $(head -c 300 "$err")"
	elif ! grep -qF -- "$text" "$err"; then fail "$name" "no '$text' in: $(head -c 300 "$err")"
	else ok "$name"; fi
}

# EROFS: the image on a read-only bind mount, in a mount namespace of our own.
mkdir "$work/ro"
truncate -s 64K "$work/ro/disk.img"
if unshare --mount true 2>/dev/null; then
	inro=(unshare --mount sh -c 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" "$1" &&
		shift && exec "$@"' sh "$work/ro")
	says disk-erofs-refused 1 "cannot open it for writing (add ,ro for a read-only disk)" \
		"${inro[@]}" "$lg" --block="$work/ro/disk.img"
	says disk-erofs-ro-is-a-disk 0 "128 sectors, read-only" \
		"${inro[@]}" "$lg" --verbose --block="$work/ro/disk.img,ro"
else
	skip disk-erofs-refused "no mount namespace here (unshare --mount)"
fi

# EACCES: root without the capabilities that override file permissions.
truncate -s 64K "$work/mine.img"
chmod 0444 "$work/mine.img"
nodac=(setpriv --bounding-set=-dac_override,-dac_read_search --inh-caps=-dac_override,-dac_read_search)
if command -v setpriv >/dev/null && "${nodac[@]}" true 2>/dev/null; then
	says disk-eacces-refused 1 "cannot open it for writing (add ,ro for a read-only disk)" \
		"${nodac[@]}" "$lg" --block="$work/mine.img"
	says disk-eacces-ro-is-a-disk 0 "128 sectors, read-only" \
		"${nodac[@]}" "$lg" --verbose --block="$work/mine.img,ro"
else
	skip disk-eacces-refused "setpriv cannot drop CAP_DAC_OVERRIDE here"
fi

# Any other reason a disk cannot be opened (here a loop of symbolic links)
# is said as it is, without the advice to add ,ro that would not help.
ln -s loop-link.img "$work/loop-link.img"
says disk-eloop-refused 1 "cannot open the disk image" \
	"$lg" --block="$work/loop-link.img"
if grep -qF ',ro' "$err"; then fail disk-eloop-no-ro-advice "$(head -c 300 "$err")"
else ok disk-eloop-no-ro-advice; fi

# A block device: a loop device over a 96 KiB file is a disk of 192 sectors.
truncate -s 96K "$work/loop.img"
if command -v losetup >/dev/null && loop=$(losetup --find --show "$work/loop.img" 2>/dev/null); then
	says disk-block-device-size 0 "$loop, 192 sectors" "$lg" --verbose --block="$loop"
else
	loop=
	skip disk-block-device-size "cannot make a loop device here (losetup)"
fi
exit 0
