#!/usr/bin/env bash
# Builds the fuzz targets: tests/fuzz/build.sh [TARGET...] (default: all).
# Each target is build/fuzz/TARGET, a libFuzzer binary compiled by clang with
# the address and undefined-behaviour sanitizers from the tangled sources in
# build/src (FUZZ_SRC names another tangle).  A target is rebuilt only when
# one of its sources or this directory's files is newer than it.
# Prints "built TARGET" or "FAIL TARGET: ..." lines; exit status 1 on a failure.
cd "$(dirname "$0")/../.." || exit 2
src=${FUZZ_SRC:-build/src}
out=${FUZZ_OUT:-build/fuzz}
CC=${FUZZ_CC:-clang}
mkdir -p "$out"

# The targets, and the tangled files each one compiles with its harness.
declare -A SOURCES=(
	[vq]="launcher/virtqueue.c"
	[mmio]="launcher/virtqueue.c launcher/virtio_mmio.c launcher/virtio_blk.c launcher/virtio_rng.c launcher/virtio_console.c launcher/virtio_net.c"
	[image]=""
	[switch]=""
	[hostcmdline]="host/devices.c"
	[hostelf]="host/loader.c host/pvh.c"
	[tarfs]="drivers/tarfs.c"
	[net]="drivers/net.c"
	[tangle]=""
)
TARGETS="vq mmio image switch hostcmdline hostelf tarfs net tangle"
FLAGS=(-O1 -g -std=gnu11 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
       -fno-sanitize-recover=all -Wall -Wno-unused-function $FUZZ_CFLAGS)
LFLAGS=(-I"$src/include" -I"$src/launcher" -Itests/fuzz -include tests/fuzz/launcher_shim.h -pthread)
# The Host and the Guest are freestanding: their own headers, no libc ones.
HFLAGS=(-ffreestanding -nostdinc -fno-builtin -Wno-incompatible-library-redeclaration
        -I"$src/include" -I"$src/host"
        -include tests/fuzz/host_shim.h -Itests/fuzz)
GFLAGS=(-ffreestanding -nostdinc -fno-builtin -Wno-incompatible-library-redeclaration
        -I"$src/include" -I"$src/drivers")

compile_target() {
	local t=$1 o=$out/$1.d f objs=()
	mkdir -p "$o"
	for f in ${SOURCES[$t]}; do
		local obj=$o/$(basename "$f" .c).o flags
		case $f in
		launcher/*) flags=("${LFLAGS[@]}") ;;
		host/*) flags=("${HFLAGS[@]}") ;;
		*) flags=("${GFLAGS[@]}") ;;
		esac
		$CC "${FLAGS[@]}" -fsanitize=fuzzer-no-link "${flags[@]}" -c "$src/$f" -o "$obj" || return 1
		objs+=("$obj")
	done
	case $t in
	vq|mmio|image|switch)
		$CC "${FLAGS[@]}" "${LFLAGS[@]}" -DFUZZ_SRC="\"$src\"" -o "$out/$t" \
			"tests/fuzz/fuzz_$t.c" tests/fuzz/fake_launcher.c "${objs[@]}" -lz -luring ;;
	hostcmdline|hostelf)
		$CC "${FLAGS[@]}" -c tests/fuzz/fake_host.c -o "$o/fake_host.o" &&
		$CC "${FLAGS[@]}" "${HFLAGS[@]}" -c "tests/fuzz/fuzz_$t.c" -o "$o/fuzz_$t.o" &&
		$CC "${FLAGS[@]}" -o "$out/$t" "$o/fuzz_$t.o" "$o/fake_host.o" "${objs[@]}" ;;
	tarfs|net)
		$CC "${FLAGS[@]}" -I"$src/include" -I"$src/drivers" -o "$out/$t" \
			"tests/fuzz/fuzz_$t.c" "${objs[@]}" ;;
	tangle)
		$CC "${FLAGS[@]}" -D_GNU_SOURCE -Itangle -o "$out/$t" tests/fuzz/fuzz_tangle.c ;;
	esac
}

want=("$@")
[ ${#want[@]} -gt 0 ] || want=($TARGETS)
status=0
for t in "${want[@]}"; do
	if [ -z "${SOURCES[$t]+set}" ]; then
		echo "FAIL $t: no such fuzz target (targets: $TARGETS)"; status=1; continue
	fi
	inputs=(tests/fuzz/*.c tests/fuzz/*.h tests/fuzz/build.sh tangle/lgtangle.c "$src"/launcher/*.c "$src"/launcher/*.h)
	for f in ${SOURCES[$t]}; do inputs+=("$src/$f"); done
	if [ -x "$out/$t" ] && [ -z "$(find "${inputs[@]}" -newer "$out/$t" 2>/dev/null | head -1)" ]; then
		continue
	fi
	if compile_target "$t" >"$out/$t.log" 2>&1; then
		echo "built $t"
	else
		sed 's/^/    | /' "$out/$t.log" | head -30
		echo "FAIL $t: cannot compile its harness (log: $out/$t.log)"; status=1
	fi
done
exit $status
