#!/bin/bash
# The hypercall path by vector 0x1f (hardware KVM's), which this machine's
# KVM never delivers: the Host's trap dispatch run as a Linux program.
cd "$(dirname "$0")/../.." || exit 0
SRC=${HOST_SRC:-build/src}
BIN=$(mktemp -d)
trap 'rm -rf "$BIN"' EXIT
if [ ! -f "$SRC/host/traps.c" ]; then
	echo "FAIL host-hcall-vector: $SRC/host/traps.c missing (run make tangle)"; exit 0
fi
if ! gcc -O1 -g -w -fno-builtin -I"$SRC/include" -o "$BIN/t" tests/boot/hypercall_vector.c \
	"$SRC/host/traps.c" "$SRC/host/hypercalls.c" "$SRC/host/memory.c" \
	"$SRC/host/page_tables.c" "$SRC/host/shadow.c" "$SRC/host/async.c" \
	"$SRC/lib/format.c" "$SRC/lib/string.c" 2>"$BIN/err"; then
	echo "FAIL host-hcall-vector: does not compile: $(head -n 3 "$BIN/err" | tr '\n' '|')"; exit 0
fi
"$BIN/t" || echo "FAIL host-hcall-vector: the test program crashed"
exit 0
