#!/bin/bash
# Our own GDB stub, lguest --gdb=PATH (chapter 37), driven by gdb with the
# chapter extension: the same session as against QEMU (a hardware breakpoint
# in the Host by chapter line, bt, list, a register, a Guest variable, one
# step), then Ctrl-C from gdb stops a running machine, then a breakpoint and
# a step in the Guest, at ring 3.
cd "$(dirname "$0")/../.." || exit 0
source tests/lib.sh
source tests/debug/gdb-session.sh
OUT=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$OUT"' EXIT

if ! command -v gdb >/dev/null; then skip gdb-stub "gdb not installed (make deps)"; exit 0; fi
needs_machine gdb-stub || exit 0
if [ ! -f build/host.elf ] || [ ! -f build/src/launcher/lguest-gdb.py ] ||
   ! make --no-print-directory -s build/tools/explain >/dev/null 2>&1; then
	fail gdb-stub "build/host.elf or the gdb extension missing (run make)"; exit 0
fi
if ! session_place; then fail gdb-stub "cannot find the hypercall path's line ('$where')"; exit 0; fi

# launch NAME: the Launcher waiting for gdb on $OUT/NAME.sock; its console
# input stays open (a Guest at end of input powers off) until the test ends.
launch() {
	(sleep 60 | timeout 90 build/lguest --gdb="$OUT/$1.sock" >"$OUT/$1.console" 2>"$OUT/$1.err") &
	for _ in $(seq 50); do [ -S "$OUT/$1.sock" ] && return 0; sleep 0.1; done
	return 1
}

if launch session; then
	session "$OUT/session.sock" "$OUT/gdb"
	session_check gdb-stub "$OUT/gdb"
else fail gdb-stub "no socket after 5 s: $(head -c 300 "$OUT/session.err")"; fi

# Ctrl-C: gdb in the foreground of a continue gets SIGINT, sends 0x03; the
# machine must stop (in the Host: the Guest waits for input, the Host halts)
# and answer questions again.
if launch interrupt; then
	gdb -q -batch -nx -x build/src/launcher/lguest-gdb.py -ex 'file build/host.elf' \
		-ex 'set remotetimeout 60' -ex "target remote $OUT/interrupt.sock" \
		-ex 'continue' -ex 'printf "pc %#lx\n", $pc' -ex 'kill' >"$OUT/int" 2>&1 &
	gdb_pid=$!
	# Once the Guest's shell prompt is out, the machine runs under "continue".
	for _ in $(seq 300); do grep -q 'lguest>' "$OUT/interrupt.console" && break; sleep 0.1; done
	sleep 0.5
	kill -INT "$gdb_pid"
	for _ in $(seq 100); do kill -0 "$gdb_pid" 2>/dev/null || break; sleep 0.1; done
	kill "$gdb_pid" 2>/dev/null
	pc=$(sed -n 's/^pc //p' "$OUT/int")
	if grep -q 'received signal SIGINT' "$OUT/int" && [[ $pc == 0xffffffff8* ]]; then ok gdb-stub-interrupt
	else fail gdb-stub-interrupt "$(tail -n 5 "$OUT/int" | tr '\n' '|')"; fi
else fail gdb-stub-interrupt "no socket: $(head -c 300 "$OUT/interrupt.err")"; fi

# The Guest: a breakpoint on the function the Guest calls right after its
# first hypercall (read from its source), set once the Host has loaded it.
# The stop must be in the Guest at ring 3, a step must stay there, and after
# detaching the Guest must run on to its shell.
after=$(awk '/hcall\(LHCALL_INIT/ { f = 1; next } f && match($0, /^\t[a-z_]+\(/) {
	print substr($0, 2, RLENGTH - 2); exit }' build/src/guest/main.c)
if [ -z "$after" ]; then fail gdb-stub-guest "no call after LHCALL_INIT in build/src/guest/main.c"
elif launch guest; then
	timeout 120 gdb -q -batch -nx -x build/src/launcher/lguest-gdb.py \
		-ex 'file build/host.elf' -ex 'add-symbol-file build/guest.elf' \
		-ex 'set remotetimeout 60' -ex "target remote $OUT/guest.sock" \
		-ex "lhbreak $where" -ex 'continue' -ex 'delete' \
		-ex "break $after" -ex 'continue' \
		-ex 'echo ==bt\n' -ex 'bt 2' \
		-ex 'printf "pc %#lx ring %d\n", $pc, $cs & 3' \
		-ex 'echo ==step\n' -ex 'stepi' -ex 'printf "pc %#lx ring %d\n", $pc, $cs & 3' \
		-ex 'delete' -ex 'detach' >"$OUT/ggdb" 2>&1
	for _ in $(seq 100); do grep -q 'lguest>' "$OUT/guest.console" && break; sleep 0.1; done
	stop=$(sed -n '/^==bt/,/^==step/s/^pc //p' "$OUT/ggdb")
	step=$(sed -n '/^==step/,$s/^pc //p' "$OUT/ggdb")
	if sed -n '/^==bt/,/^==step/p' "$OUT/ggdb" | grep -q "^#0 .*$after .* at chapters/1[0-9]-guest[a-z-]*\.nw:[0-9]*\$" &&
	   [[ $stop == *" ring 3" ]]; then ok gdb-stub-guest-breakpoint
	else fail gdb-stub-guest-breakpoint "$(sed -n '/^==bt/,/^==step/p' "$OUT/ggdb" | tr '\n' '|')"; fi
	if [[ $step == *" ring 3" ]] && [ "${step% ring*}" != "${stop% ring*}" ]; then ok gdb-stub-guest-step
	else fail gdb-stub-guest-step "'$stop' -> '$step'"; fi
	if grep -q 'lguest>' "$OUT/guest.console"; then ok gdb-stub-guest-runs-on
	else fail gdb-stub-guest-runs-on "no shell prompt after detach: $(tail -c 200 "$OUT/guest.console")"; fi
else fail gdb-stub-guest "no socket: $(head -c 300 "$OUT/guest.err")"; fi

# make gdb against a TCP port: in a network namespace of our own, so the port
# is ours alone and nothing leaves the namespace's loopback.
tcp_session() {
	(sleep 20 | timeout 30 build/lguest --gdb=1234 >"$OUT/tcp.console" 2>"$OUT/tcp.err") &
	for _ in $(seq 50); do grep -q 'waiting for gdb' "$OUT/tcp.err" 2>/dev/null && break; sleep 0.1; done
	printf 'printf "pc %%#lx\\n", $pc\nkill\nquit\n' |
		timeout 60 make --no-print-directory -s gdb GDB_TARGET=localhost:1234 >"$OUT/tcp" 2>&1
}
in_netns bash -c "OUT=$OUT; $(declare -f tcp_session); tcp_session"; rc=$?
if [ $rc = 97 ]; then skip make-gdb-tcp "no network namespace can be made here"
elif grep -q '^(gdb) pc 0x[0-9a-f]*$' "$OUT/tcp" && grep -q 'waiting for gdb on 1234' "$OUT/tcp.err"; then
	ok make-gdb-tcp
else fail make-gdb-tcp "$(tail -n 4 "$OUT/tcp" | tr '\n' '|') $(head -c 200 "$OUT/tcp.err")"; fi

# The option's mistakes are the user's, and say so.
build/lguest --gdb= >/dev/null 2>"$OUT/empty"; rc=$?
if [ $rc -ne 0 ] && grep -q 'needs a TCP port or a UNIX socket path' "$OUT/empty"; then ok gdb-stub-option-empty
else fail gdb-stub-option-empty "status $rc: $(head -c 200 "$OUT/empty")"; fi
exit 0
