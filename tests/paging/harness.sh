# Sourced by test-shadow-unit.sh and test-address-rule.sh: build and run one
# of the host-side harnesses of tests/paging/ (harness.h) against the tangled
# Host, with AddressSanitizer where it links.  No /dev/kvm needed.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
cd "$top" || exit 0

# harness_run PROG: build tests/paging/PROG.c with the Switcher's fast path
# (fastpath.sh), run it, and print its lines (tests/lib.sh's build_harness
# and run_harness: a build failure, a crash or a run that stops early is a
# FAIL).
harness_run() {
	local prog=$1 name=${1//_/-} work=build/tests/paging
	harness_src "$name" host/shadow.c "${HOST_SRC:-}" || return
	mkdir -p "$work"
	if ! why=$(tests/paging/fastpath.sh "$src/host/switcher.S" "$work/fastpath.S"); then
		fail "$name-fastpath" "$why"; return
	fi
	build_harness "$name" "paging/$prog" address -O1 -g -std=gnu11 -w -fno-builtin \
		-ffunction-sections -fdata-sections -Wl,--gc-sections -I"$src/include" -I"$src/host" \
		"$work/fastpath.S" tests/paging/fastpath_glue.S "$src/lib/format.c" || return
	# ASan leaves SIGSEGV to the harness, which steps over the Host's
	# privileged instructions with a handler of its own.
	ASAN_OPTIONS=handle_segv=0:detect_leaks=0 run_harness "$name" "paging/$prog" 60
}
