#!/usr/bin/env bash
# The fuzz targets' corpora, replayed (tests/fuzz/README.md): every target is
# built (clang, libFuzzer, ASan and UBSan) and run once on each input of its
# committed corpus, tests/fuzz/corpus/TARGET.  The seeds must all pass:
#   ok fuzz-replay-TARGET
# and each reproducer of a known bug (repro-*) passes once that bug is fixed:
#   ok fuzz-replay-TARGET-REPRO   or   FAIL fuzz-replay-TARGET-REPRO: the cause
# Inputs that `make fuzz` found and we committed (any name) count as seeds.
source "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0
unset FUZZ_SKIP_KNOWN FUZZ_CFLAGS FUZZ_OUT	# the replay reports every bug, known or not

if ! command -v clang >/dev/null; then
	skip fuzz "clang is not installed (make deps installs clang and libclang-rt-14-dev)"; exit 0
fi
probe=build/fuzz/probe
mkdir -p build/fuzz
echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; return n == 0; }' >"$probe.c"
if ! clang -fsanitize=fuzzer,address,undefined -o "$probe" "$probe.c" >"$probe.log" 2>&1; then
	skip fuzz "clang cannot build a libFuzzer target here (libclang-rt-14-dev missing?)"; exit 0
fi
src=${FUZZ_SRC:-build/src}
if [ ! -f "$src/launcher/virtqueue.c" ]; then
	skip fuzz "$src is not tangled yet: run make tangle"; exit 0
fi
targets=(vq mmio image switch hostcmdline hostelf tarfs net tangle)
tests/fuzz/build.sh "${targets[@]}" | grep -v '^built ' 

# run TARGET FILE...: one run over the files; the log in $log.
flags=(-timeout=3 -rss_limit_mb=2048 -runs=1)
run() {
	local t=$1; shift
	ASAN_OPTIONS=${ASAN_OPTIONS:-} timeout 60 "build/fuzz/$t" "${flags[@]}" "$@" >"$log" 2>&1
}
# why: the first line that says what went wrong.
why() {
	grep -m1 -hoE 'runtime error: .*|ERROR: AddressSanitizer: .*|ERROR: libFuzzer: [a-z -]+[0-9]*[a-z ]*|^fuzz[a-z-]*: .*|ERROR: LeakSanitizer: .*' "$log" |
		sed -E 's/0x[0-9a-f]{6,}/0x.../g'
}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for t in "${targets[@]}"; do
	if [ ! -x "build/fuzz/$t" ]; then
		fail "fuzz-replay-$t" "the target did not build"; continue
	fi
	seeds=() repros=()
	for f in tests/fuzz/corpus/"$t"/*; do
		case $(basename "$f") in repro-*) repros+=("$f") ;; *) seeds+=("$f") ;; esac
	done
	if [ ${#seeds[@]} -eq 0 ]; then
		fail "fuzz-replay-$t" "no seeds in tests/fuzz/corpus/$t"
	elif run "$t" "${seeds[@]}"; then
		ok "fuzz-replay-$t (${#seeds[@]} inputs)"
	else
		fail "fuzz-replay-$t" "$(why) ($(grep -m1 -oE 'Running: [^ ]+|Test unit written to [^ ]+' "$log"))"
	fi
	for f in "${repros[@]}"; do
		name=fuzz-replay-$t-$(basename "$f")
		if run "$t" "$f"; then ok "$name"; else fail "$name" "$(why)"; fi
	done
done
exit 0
