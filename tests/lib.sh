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
