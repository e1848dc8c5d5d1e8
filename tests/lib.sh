# Shared helpers for tests/*/test-*.sh.  A test file prints one line per test:
#   ok NAME | FAIL NAME: why | skip NAME: why
# and exits 0; tests/run counts the lines.

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

ok()   { echo "ok $1"; }
fail() { echo "FAIL $1: $2"; }
skip() { echo "skip $1: $2"; }

# expect NAME CONDITION-COMMAND...: ok if the command succeeds.
expect() {
	local name=$1; shift
	if "$@" >/dev/null 2>&1; then ok "$name"; else fail "$name" "$*"; fi
}

# contains NAME FILE TEXT: ok if FILE holds TEXT (fixed string).
contains() {
	if grep -qF -- "$3" "$2"; then ok "$1"; else
		fail "$1" "expected '$3' in $2:"; sed 's/^/    | /' "$2" | head -20; fi
}

# ---- the machine's own network is not ours to change
# A test that makes a tap (or any other interface) does it inside a network
# namespace it makes itself, with only loopback up, so nothing it sends can
# leave.  As root that is `unshare --net`; otherwise a user namespace comes
# too, which lets an ordinary user make a tap there.

# netns_prefix: the unshare command that works here, or nothing.
netns_prefix() {
	if unshare --net true 2>/dev/null; then echo "unshare --net"
	elif unshare --user --map-root-user --net true 2>/dev/null; then
		echo "unshare --user --map-root-user --net"
	fi
}

# in_netns CMD...: runs CMD in a new network namespace of its own, with
# loopback up and LG_NETNS=1 in its environment (a test program may refuse to
# make a tap without it).  Returns 97 when no namespace can be made here.
in_netns() {
	local u
	u=$(netns_prefix)
	[ -n "$u" ] || return 97
	$u -- env LG_NETNS=1 sh -c 'ip link set lo up && exec "$@"' sh "$@"
}

# netwatch_start FILE / netwatch_stop / netwatch_new FILE: watch this
# namespace's links while tests run (ip monitor, line-buffered: a background
# job of a script ignores SIGINT, and ip flushes its output only on exit or
# SIGINT, so we end it with SIGTERM and ask stdbuf for every line), then name every link that
# appeared and was not there at the start.  tests/run uses it to prove that no
# test touched the machine's own network.
netwatch_start() {
	ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' >"$1.before"
	stdbuf -oL ip -o monitor link >"$1" 2>/dev/null &
	netwatch_pid=$!
	sleep 0.2
}
netwatch_stop() {
	kill "$netwatch_pid" 2>/dev/null
	wait "$netwatch_pid" 2>/dev/null
}
netwatch_new() {
	sed -n 's/^\(Deleted \)\{0,1\}[0-9]*: \([^:@ ]*\).*/\2/p' "$1" | sort -u |
		grep -vxF -f "$1.before"
}

# needs_machine NAME [LAUNCHER GUEST]: the built Launcher and Guest (or the
# ones named) and a usable /dev/kvm, or a FAIL line for NAME saying which is
# missing (status 1).
needs_machine() {
	local lg=${2:-build/lguest} guest=${3:-build/guest.elf}
	if [ ! -x "$lg" ] || [ ! -f "$guest" ]; then
		fail "$1" "$lg or $guest missing (run make)"; return 1
	fi
	if [ ! -w /dev/kvm ]; then
		fail "$1" "/dev/kvm is not usable here"; return 1
	fi
}

# tangled_src FILE [DIR]: the tree holding the tangled FILE: DIR when given
# and it holds FILE, else build/src (after make tangle), else generated/.
tangled_src() {
	local d
	for d in ${2:-} build/src generated; do
		if [ -f "$d/$1" ]; then echo "$d"; return 0; fi
	done
	return 1
}

# sanitizer_links FLAG DIR: whether gcc can build and link with FLAG here
# (its runtime library may be missing); DIR takes the probe.
sanitizer_links() {
	echo 'int main(void){return 0;}' | gcc "$1" -x c -o "$2/sanitizer-probe" - 2>/dev/null
}

# refuses NAME MESSAGE ARGS...: the Launcher, started by the caller's
# run WANT ARGS... (status in $rc, standard error in the file $err), exits
# with 1 (a refusal, not a crash) and says MESSAGE on standard error.
refuses() {
	local name=$1 msg=$2; shift 2
	if ! run 1 "$@"; then fail "$name" "status $rc, want 1: $(head -c 300 "$err")"
	elif ! grep -qF -- "$msg" "$err"; then fail "$name" "no '$msg' in: $(head -c 300 "$err")"
	else ok "$name"; fi
}

# ---- host-side C harnesses
# A harness is tests/AREA/PROG.c, built against the tangled sources and run
# on the host; it prints its own ok/FAIL/skip lines and, last, "ok X-done"
# (tests/harness.h).  The three steps every such test takes:

# harness_src NAME FILE [DIR]: $src, the tree holding the tangled FILE (DIR
# first, when given); else a skip line for NAME, and status 1.
harness_src() {
	src=$(tangled_src "$2" "${3:-}") && return 0
	skip "$1" "$2 is not tangled yet: run make tangle"
	return 1
}

# build_harness NAME AREA/PROG SANITIZERS GCC-ARGS...: compiles
# tests/AREA/PROG.c, with GCC-ARGS (flags, and any other sources and
# libraries), into build/tests/AREA/PROG, with -fsanitize=SANITIZERS when
# gcc can link them here ($harness_san keeps what was used; SANITIZERS may be
# "").  When the compiler refuses: its first lines and FAIL NAME-build,
# status 1.
build_harness() {
	local name=$1 prog=$2 work=build/tests/${2%/*} log=build/tests/$2-cc.log
	harness_want=$3 harness_san=
	shift 3
	mkdir -p "$work"
	if [ -n "$harness_want" ] && sanitizer_links "-fsanitize=$harness_want" "$work"; then
		harness_san="-fsanitize=$harness_want -fno-sanitize-recover=all"
	fi
	if ! gcc $harness_san -o "build/tests/$prog" "tests/$prog.c" "$@" >"$log" 2>&1; then
		grep -v 'warning:' "$log" | sed 's/^/    | /' | head -30
		fail "$name-build" "cannot compile tests/$prog.c with $src"
		return 1
	fi
}

# run_harness NAME AREA/PROG SECONDS: runs what build_harness built (ASan's
# leak check off: queues and pools are never torn down; $ASAN_OPTIONS, when
# set, instead), shows its lines, and adds FAIL NAME-runs when it stopped
# with a status other than 0 (a crash, a sanitizer, a time-out), FAIL
# NAME-complete when its "ok X-done" line never came, and skip NAME-sanitizers
# when gcc could not build with the sanitizers asked.
run_harness() {
	local name=$1 bin=build/tests/$2 rc
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0} timeout "$3" "$bin" >"$bin.out" 2>"$bin.err"
	rc=$?
	cat "$bin.out"
	if [ "$rc" -ne 0 ]; then
		fail "$name-runs" "${bin##*/} stopped with status $rc: $(grep -m1 -hE 'ERROR|runtime error|FAIL' "$bin.err" "$bin.out")"
	fi
	grep -qE '^ok [a-z0-9_-]+-done( |$)' "$bin.out" ||
		fail "$name-complete" "${bin##*/} stopped before its last case"
	if [ -n "$harness_want" ] && [ -z "$harness_san" ]; then
		skip "$name-sanitizers" "gcc cannot build with -fsanitize=$harness_want here"
	fi
}
