# Sourced by test-shadow-unit.sh and test-address-rule.sh: build and run one
# of the host-side harnesses of tests/paging/ (harness.h) against the tangled
# Host, with AddressSanitizer where it links.  No /dev/kvm needed.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
cd "$top" || exit 0

# harness_run NAME: build tests/paging/NAME.c, run it, and print its lines;
# a build failure, a crash or a run that stops early is a FAIL.
harness_run() {
	local name=$1 src work=build/tests/paging asan=-fsanitize=address rc
	if ! src=$(tangled_src host/shadow.c "${HOST_SRC:-}"); then
		skip "$name" "host/shadow.c is not tangled yet: run make tangle"; return
	fi
	mkdir -p "$work"
	if ! why=$(tests/paging/fastpath.sh "$src/host/switcher.S" "$work/fastpath.S"); then
		fail "$name-fastpath" "$why"; return
	fi
	sanitizer_links $asan "$work" || asan=
	if ! gcc -O1 -g -std=gnu11 -w -fno-builtin -ffunction-sections -fdata-sections \
		-Wl,--gc-sections $asan -I"$src/include" -I"$src/host" -o "$work/$name" \
		"tests/paging/$name.c" "$work/fastpath.S" tests/paging/fastpath_glue.S \
		"$src/lib/format.c" >"$work/$name-cc.log" 2>&1; then
		sed 's/^/    | /' "$work/$name-cc.log" | head -30
		fail "$name-build" "cannot compile tests/paging/$name.c with $src/host"; return
	fi
	# ASan leaves SIGSEGV to the harness, which steps over the Host's
	# privileged instructions with a handler of its own.
	ASAN_OPTIONS=handle_segv=0:detect_leaks=0 timeout 60 "$work/$name" \
		>"$work/$name.out" 2>"$work/$name.err"
	rc=$?
	cat "$work/$name.out"
	if [ "$rc" -ne 0 ]; then
		fail "$name-crash" "stopped with status $rc: $(grep -m1 -E 'ERROR|Sanitizer' "$work/$name.err")"
	fi
	grep -q "^ok ${name//_/-}-done" "$work/$name.out" ||
		fail "$name-complete" "stopped before its last case"
	[ -n "$asan" ] || skip "$name-asan" "gcc cannot build with -fsanitize=address here"
}
