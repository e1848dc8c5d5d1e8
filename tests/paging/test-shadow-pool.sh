#!/usr/bin/env bash
# The Host's pool of shadow pages taken dry (H:560): tests/paging/shadow_pool.c,
# built on the host with AddressSanitizer, takes every page, reuses one, and
# checks that taking from the empty pool is a Host panic naming pool_take,
# not a write past the pool's end.  No /dev/kvm needed.
source "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0

harness_src shadow-pool host/shadow.c "${HOST_SRC:-}" || exit 0
build_harness shadow-pool paging/shadow_pool address -O1 -g -std=gnu11 -w -fno-builtin \
	-ffunction-sections -fdata-sections -Wl,--gc-sections -I"$src/include" -I"$src/host" \
	"$src/lib/format.c" || exit 0
ASAN_OPTIONS=detect_leaks=1 run_harness shadow-pool paging/shadow_pool 30
exit 0
