# The scripted gdb session of chapter 37, shared by test-gdb-qemu.sh (QEMU's
# stub) and test-gdb-stub.sh (ours).  Sourced after tests/lib.sh, from the top.

# session_place: sets $where, the chapter line where the Host's hypercall
# path dispatches a call (its switch on r->rax, with or without the ring
# flag masked off), which every hypercall that reaches C passes (not
# a function's last line: a tail call's code belongs to the closing brace;
# read from the copies and their maps by explain,
# not typed in), $fn, the function that line stands in, and $first, the
# Guest's first shell command as its source spells it.
session_place() {
	local hit copy n
	hit=$(grep -Hn -m1 -E '^	switch \(r->rax[) ]' build/src/host/hypercalls.c | head -1)
	copy=${hit%%:*}; n=$(echo "$hit" | cut -d: -f2)
	fn=$(awk -v n="$n" 'NR < n && /^[a-z].*[a-z_0-9]+\(/ { f = $0 } NR == n { print f; exit }' "$copy" |
		sed 's/(.*//; s/.*[ *]//')
	where=$(build/tools/explain "$copy:$n" 2>/dev/null | head -1)
	first=$(grep -m1 -A1 'commands\[\] = {' build/src/drivers/shell.c | tail -1 | cut -d'"' -f2)
	[ -n "$n" ] && [ -n "$fn" ] && [[ $where == chapters/*.nw:* ]] && [ -n "$first" ]
}

# session SOCKET OUT: gdb with both images and the extension, on SOCKET: a
# hardware breakpoint by chapter line, bt, list, the pc, a Guest variable,
# one stepi.  Everything it prints goes to OUT.
session() {
	timeout 120 gdb -q -batch -nx -x build/src/launcher/lguest-gdb.py \
		-ex 'file build/host.elf' -ex 'add-symbol-file build/guest.elf' \
		-ex 'set remotetimeout 60' -ex "target remote $1" \
		-ex "lhbreak $where" -ex 'continue' \
		-ex 'echo ==bt\n' -ex 'bt' \
		-ex 'echo ==list\n' -ex 'list' \
		-ex 'echo ==pc\n' -ex 'printf "pc %#lx\n", $pc' \
		-ex 'echo ==guest\n' -ex 'printf "guest %s\n", commands[0].name' \
		-ex 'echo ==step\n' -ex 'stepi' -ex 'printf "pc %#lx\n", $pc' \
		-ex 'kill' >"$2" 2>&1
}

# session_check PREFIX OUT: the verdicts on a session's output.
session_check() {
	local p=$1 out=$2 pc pc2
	if grep -q "^  at $where " "$out"; then ok "$p-break-by-chapter-line"
	else fail "$p-break-by-chapter-line" "no stop at $where: $(tail -n 8 "$out" | tr '\n' '|')"; fi
	if sed -n '/^==bt/,/^==list/p' "$out" | grep -q "^#0 .*$fn .* at $where\$" &&
	   ! sed -n '/^==bt/,/^==list/p' "$out" | grep -q 'build/src'; then ok "$p-backtrace-chapter-lines"
	else fail "$p-backtrace-chapter-lines" "$(sed -n '/^==bt/,/^==list/p' "$out" | head -4 | tr '\n' '|')"; fi
	if sed -n '/^==list/,/^==pc/p' "$out" | grep -q "^=> *${where##*:}  "; then ok "$p-list-chapter"
	else fail "$p-list-chapter" "$(sed -n '/^==list/,/^==pc/p' "$out" | head -6 | tr '\n' '|')"; fi
	# The register: the pc gdb read back lies on the chapter line, by addr2line,
	# or, when the line is its function's first (gdb stops at the entry, which
	# the line table gives to the function's opening), in that function.
	pc=$(sed -n '/^==pc/,/^==guest/s/^pc //p' "$out")
	local at
	at=$(build/tools/explain build/host.elf "$pc" 2>/dev/null | head -2)
	if [ -n "$pc" ] && { [ "$(head -1 <<<"$at")" = "$where" ] || grep -q "(function $fn)\$" <<<"$at"; }; then
		ok "$p-read-register"
	else fail "$p-read-register" "pc '$pc' is not on $where"; fi
	if grep -qx "guest $first" "$out"; then ok "$p-read-guest-variable"
	else fail "$p-read-guest-variable" "want 'guest $first': $(sed -n '/^==guest/,/^==step/p' "$out" | tr '\n' '|')"; fi
	pc2=$(sed -n '/^==step/,$s/^pc //p' "$out")
	if [ -n "$pc2" ] && [ "$pc2" != "$pc" ] && sed -n '/^==step/,$p' "$out" | grep -q '^  at chapters/'; then
		ok "$p-single-step"
	else fail "$p-single-step" "pc $pc -> '$pc2'"; fi
}
