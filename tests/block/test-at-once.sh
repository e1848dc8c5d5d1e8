#!/usr/bin/env bash
# Requests served on the vCPU at once, and those that must wait (chapter 34,
# L:928).  The Launcher serves on the spot whatever can be done without
# waiting (a read of cached pages, a write) and sends the rest (a read the
# page cache misses, a flush) to its worker's io_uring.  Here:
#   - a read of a file whose image is not in the host's page cache, so that
#     every read first fails to be done at once, is put back in the queue
#     and is served by the worker: the bytes must still be the file's;
#   - bench=blk, whose queue depths of 8 and 32 mix the two paths: every
#     pass must finish and print its measure: line.
source "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0
LGUEST=${LGUEST:-build/lguest}
GUEST=${GUEST_ELF:-build/guest.elf}

if [ ! -x "$LGUEST" ] || [ ! -f "$GUEST" ]; then
	fail at-once "build/lguest or build/guest.elf missing (run make)"; exit 0
fi
if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
	fail at-once "/dev/kvm is not usable"; exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# cached FILE: how many of FILE's bytes are in the page cache.
cached() { fincore --bytes --noheadings --output RES "$1" 2>/dev/null | tr -d ' '; }

# -- a cold image: nothing of it in the page cache when the Guest reads it
mkdir -p "$work/t"
head -c 300000 /dev/urandom | od -An -tx1 | head -c 400000 >"$work/t/cold.txt"
tar --format=ustar -cf "$work/files.img" -C "$work/t" cold.txt
sync "$work/files.img"
dd if="$work/files.img" iflag=nocache count=0 status=none 2>/dev/null
if ! command -v fincore >/dev/null; then
	skip at-once-cold-read "no fincore (util-linux) to see the page cache"
elif [ "$(cached "$work/files.img")" != 0 ]; then
	skip at-once-cold-read "the kernel kept $(cached "$work/files.img") bytes of the image cached"
else
	printf 'cat cold.txt\npoweroff\n' >"$work/cold.in"
	timeout 120 "$LGUEST" --block="$work/files.img,ro" "$GUEST" \
		<"$work/cold.in" >"$work/cold.out" 2>"$work/cold.err"
	status=$?
	from=$(grep -obUaF -- "lguest> cat cold.txt" "$work/cold.out" | head -n 1 | cut -d: -f1)
	to=$(grep -obUaF -- "lguest> poweroff" "$work/cold.out" | tail -n 1 | cut -d: -f1)
	if [ -n "$from" ] && [ -n "$to" ]; then
		from=$((from + 21))
		tail -c +$((from + 1)) "$work/cold.out" | head -c $((to - from)) >"$work/got"
	fi
	if [ "$status" = 0 ] && cmp -s "$work/got" "$work/t/cold.txt"; then
		ok "at-once-cold-read (400000 bytes from an image not in the page cache)"
	else
		fail at-once-cold-read "status $status, $(wc -c <"$work/got" 2>/dev/null) bytes; $(tail -n 3 "$work/cold.err" | tr '\n' '|')"
	fi
fi

# -- the benchmark's queue depths: batches served at once and by the worker
truncate -s 8M "$work/bench.img"
timeout 300 "$LGUEST" --block="$work/bench.img" "$GUEST" bench=blk >"$work/bench.out" 2>&1
status=$?
n=$(grep -cE '^measure: blk (seq-(write|read)|rand-(read|write)-qd(1|8|32)) ' "$work/bench.out")
if [ "$status" = 0 ] && [ "$n" = 8 ]; then
	ok "at-once-bench-depths (8 passes at queue depths 1, 8 and 32)"
else
	fail at-once-bench-depths "status $status, $n of 8 measure: lines; $(tail -n 3 "$work/bench.out" | tr '\n' '|')"
fi
exit 0
