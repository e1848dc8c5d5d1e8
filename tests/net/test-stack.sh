#!/usr/bin/env bash
# The Guest's network stack (drivers/net.c) as a host-side unit test: it is
# compiled with the Guest's freestanding flags, linked with tests/net/stacktest.c,
# and fed hand-made frames.  No /dev/kvm needed.
source "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0

src=${NET_SRC:-build/src}
[ -f "$src/drivers/net.c" ] || src=generated
if [ ! -f "$src/drivers/net.c" ]; then
	skip net-stack "drivers/net.c is not tangled yet: run make tangle"; exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
flags=(-O2 -g -Wall -Wextra -Werror -std=gnu11 -I"$src/include" -I"$src/drivers")
# AddressSanitizer watches the stack's writes into its frame buffers, where a
# missing bound would otherwise go unseen.
if echo 'int main(void){return 0;}' | gcc -fsanitize=address,undefined -x c - -o "$work/probe" 2>/dev/null; then
	flags+=(-fsanitize=address,undefined -fno-sanitize-recover=all)
fi
if ! gcc "${flags[@]}" -ffreestanding -nostdinc -fno-builtin -c "$src/drivers/net.c" \
	-o "$work/net.o" >"$work/cc.log" 2>&1 ||
   ! gcc "${flags[@]}" -o "$work/stacktest" tests/net/stacktest.c "$work/net.o" \
	>>"$work/cc.log" 2>&1; then
	sed 's/^/    | /' "$work/cc.log" | head -30
	fail net-stack-build "cannot compile drivers/net.c with tests/net/stacktest.c"; exit 0
fi
timeout 30 "$work/stacktest" >"$work/out" 2>&1
rc=$?
cat "$work/out"
[ "$rc" -eq 0 ] || fail net-stack-run "stacktest exited with status $rc"
grep -q '^ok net-stack-done' "$work/out" || fail net-stack-complete "stacktest stopped early"
exit 0
