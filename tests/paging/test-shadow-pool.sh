#!/usr/bin/env bash
# The Host's pool of shadow pages taken dry (H:560): tests/paging/shadow_pool.c,
# built on the host with AddressSanitizer, takes every page, reuses one, and
# checks that taking from the empty pool is a Host panic naming pool_take,
# not a write past the pool's end.  No /dev/kvm needed.
source "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0

if ! src=$(tangled_src host/shadow.c "${HOST_SRC:-}"); then
	skip shadow-pool "host/shadow.c is not tangled yet: run make tangle"; exit 0
fi
work=build/tests/paging
mkdir -p "$work"
asan=-fsanitize=address
sanitizer_links $asan "$work" || asan=
# Only the pool runs: the rest of shadow.c, and what it calls in the Host,
# is dropped by --gc-sections.
if ! gcc -O1 -g -std=gnu11 -w -fno-builtin -ffunction-sections -fdata-sections -Wl,--gc-sections \
	$asan -I"$src/include" -I"$src/host" -o "$work/shadow_pool" \
	tests/paging/shadow_pool.c "$src/lib/format.c" >"$work/shadow_pool-cc.log" 2>&1; then
	sed 's/^/    | /' "$work/shadow_pool-cc.log" | head -30
	fail shadow-pool-build "cannot compile tests/paging/shadow_pool.c with $src/host"; exit 0
fi
timeout 30 "$work/shadow_pool" >"$work/shadow_pool.out" 2>"$work/shadow_pool.err"
rc=$?
cat "$work/shadow_pool.out"
if [ "$rc" -ne 0 ]; then
	fail shadow-pool-asan "shadow_pool stopped with status $rc: $(grep -m1 'ERROR' "$work/shadow_pool.err")"
fi
grep -q '^ok shadow-pool-done' "$work/shadow_pool.out" || fail shadow-pool-complete "shadow_pool stopped before its last case"
[ -n "$asan" ] || skip shadow-pool-asan "gcc cannot build with -fsanitize=address here"
exit 0
