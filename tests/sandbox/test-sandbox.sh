#!/usr/bin/env bash
# The Launcher's confinement (chapter 36): a seccomp filter on every thread
# while a Guest runs, forbidden calls refused with a message naming the call
# and the thread (through a -DLG_TEST_SANDBOX build that misbehaves on
# request), the terminal put back, --user and --chroot in effect, refused
# without root, and the Launcher usable by an ordinary user who can open
# /dev/kvm.  LGUEST=path tests another Launcher; every run is bounded.
source "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0

lg=${LGUEST:-build/lguest}
guest=${GUEST_ELF:-build/guest.elf}
needs_machine sandbox "$lg" "$guest" || exit 0
work=$(mktemp -d)
chmod 755 "$work"
trap 'exec 3>&- 2>/dev/null; kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
dd if=/dev/zero of="$work/disk.img" bs=1k count=64 2>/dev/null

# ---- the test build: the same sources, with the misbehaving paths compiled in
tlg=$work/lguest-test
build_test() {
	local objs=() f o
	for f in build/src/launcher/*.c build/src/launcher/*.S; do
		o=$work/$(basename "$f").o
		gcc -O2 -g -std=gnu11 -DLG_TEST_SANDBOX -Ibuild/src/include -c "$f" -o "$o" || return 1
		objs+=("$o")
	done
	gcc -o "$tlg" "${objs[@]}" -lz -lseccomp -luring
}
if ! build_test >"$work/build.log" 2>&1; then
	fail sandbox-test-build "cannot build the -DLG_TEST_SANDBOX Launcher:"
	sed 's/^/    | /' "$work/build.log" | head -20
	tlg=
fi

# ---- a running Guest with every kind of thread: console, disk, rng, a
# network card on a switch (worker and keep-alive) and the vCPU.  Its shell
# reads from a FIFO, so it runs until we write poweroff.
sock=$work/switch.sock
"$lg" switch "$sock" >"$work/switch.out" 2>&1 &
switch_pid=$!
for _ in $(seq 50); do grep -q listening "$work/switch.out" && break; sleep 0.1; done

# start_guest NAME ARGS...: boot the default Guest in the background; its pid
# in $pid.  stop_guest: power it off and wait; its status in $rc.
start_guest() {
	local name=$1; shift
	rm -f "$work/in"; mkfifo "$work/in"
	timeout 60 "$@" "$guest" <"$work/in" >"$work/$name.out" 2>"$work/$name.err" &
	pid=$!
	# read-write: never blocks, even if the Launcher has already gone
	exec 3<>"$work/in"
	# timeout's child is the Launcher
	lpid=
	for _ in $(seq 50); do
		lpid=$(pgrep -P "$pid" | head -1)
		[ -n "$lpid" ] && grep -q 'lguest>' "$work/$name.out" && break
		sleep 0.1
	done
}
stop_guest() { echo poweroff >&3; exec 3>&-; wait "$pid"; rc=$?; }

# seccomp_of PID: "TID COMM SECCOMP" for each of its threads.
seccomp_of() {
	local t
	[ -n "$1" ] && [ -d /proc/"$1" ] || return 0
	for t in /proc/"$1"/task/*; do
		echo "${t##*/} $(cat "$t/comm") $(awk '/^Seccomp:/ {print $2}' "$t/status")"
	done
}

start_guest all "$lg" --block="$work/disk.img" --rng --net="$sock"
seccomp_of "$lpid" >"$work/all.seccomp"
root=$(readlink /proc/"${lpid:-none}"/root)
stop_guest
# Threads of the Launcher's own (comm lguest); KVM's kernel workers that live
# in the process (kvm-nx-lpage-recovery) make no system calls and are listed
# apart.
n=$(awk '$2 == "lguest"' "$work/all.seccomp" | wc -l)
bad=$(awk '$2 == "lguest" && $3 != 2' "$work/all.seccomp" | wc -l)
if [ "$n" -ge 6 ] && [ "$bad" = 0 ] && [ "$rc" = 0 ]; then ok sandbox-every-thread-filtered
else fail sandbox-every-thread-filtered "$n threads (want 6: vCPU, console, disk, rng, net, keep-alive), $bad without Seccomp 2, status $rc:"
	sed 's/^/    | /' "$work/all.seccomp"; tail -3 "$work/all.err"; fi
if [ "$(awk '/^Seccomp:/ {print $2}' /proc/$switch_pid/status)" = 2 ]; then ok sandbox-switch-filtered
else fail sandbox-switch-filtered "the switch's Seccomp is not 2"; fi
expect sandbox-no-chroot-by-default test "$root" = /

start_guest off "$lg" --sandbox=off --rng
seccomp_of "$lpid" >"$work/off.seccomp"
stop_guest
if [ "$(awk '$2 == "lguest" && $3 != 0' "$work/off.seccomp" | wc -l)" = 0 ] && [ "$rc" = 0 ]; then
	ok sandbox-off-means-off
else fail sandbox-off-means-off "with --sandbox=off: $(tr '\n' '|' <"$work/off.seccomp")"; fi

# the misbehaving paths exist in the test build only
if [ -n "$tlg" ] && grep -qa LG_TEST_SANDBOX_FORBID "$tlg" && ! grep -qa LG_TEST_SANDBOX "$lg"; then
	ok sandbox-test-paths-only-in-test-build
else fail sandbox-test-paths-only-in-test-build "LG_TEST_SANDBOX strings in $lg, or none in $tlg"; fi

"$lg" --help >"$work/help"
contains sandbox-help-says-off "$work/help" "--sandbox=off"
"$lg" --sandbox=maybe >/dev/null 2>"$work/maybe.err"; rc=$?
if [ "$rc" = 1 ] && grep -q "say --sandbox=on or --sandbox=off" "$work/maybe.err"; then
	ok sandbox-bad-value-refused; else fail sandbox-bad-value-refused "status $rc"; fi

# ---- forbidden calls: each thread of the test build, asked to open
# /etc/passwd after entering its filter, is stopped with a message naming the
# call and itself, and status 126.
forbid() {
	local who=$1 want=$2
	echo poweroff | LG_TEST_SANDBOX_FORBID=$who timeout 30 "$tlg" --block="$work/disk.img" \
		--rng --net="$sock" "$guest" >"$work/forbid.out" 2>"$work/forbid.err"
	rc=$?
	if [ "$rc" = 126 ] && grep -q "sandbox: the $want thread made the system call openat (257)" \
		"$work/forbid.err"; then ok "sandbox-forbidden-call-$who"
	else fail "sandbox-forbidden-call-$who" "status $rc: $(tail -2 "$work/forbid.err" | tr '\n' '|')"; fi
}
if [ -n "$tlg" ]; then
	forbid vCPU vCPU
	forbid virtio-console 'virtio-console [0-9]*'
	forbid virtio-blk 'virtio-blk [0-9]*'
	forbid virtio-rng 'virtio-rng [0-9]*'
	forbid virtio-net 'virtio-net [0-9]*'
	forbid keep-alive keep-alive
	# a 32-bit system call (int $0x80) is trapped too, and called so
	echo poweroff | LG_TEST_SANDBOX_I386=1 LG_TEST_SANDBOX_FORBID=vCPU timeout 30 "$tlg" "$guest" \
		>/dev/null 2>"$work/i386.err"
	rc=$?
	if [ "$rc" = 126 ] && grep -q "the vCPU thread made the system call of another architecture (20)" \
		"$work/i386.err"; then ok sandbox-other-architecture-refused
	else fail sandbox-other-architecture-refused "status $rc: $(tr '\n' '|' <"$work/i386.err")"; fi
	# the same build without the request runs to its end
	echo poweroff | timeout 30 "$tlg" --rng "$guest" >/dev/null 2>&1
	expect sandbox-test-build-behaves test $? = 0
	# and with the sandbox off, the forbidden call is made and nothing stops
	echo poweroff | LG_TEST_SANDBOX_FORBID=vCPU timeout 30 "$tlg" --sandbox=off "$guest" >/dev/null 2>&1
	expect sandbox-off-lets-it-through test $? = 0
	LG_TEST_SANDBOX_FORBID=switch timeout 10 "$tlg" switch "$work/sw2.sock" >/dev/null 2>"$work/sw2.err"
	rc=$?
	if [ "$rc" = 126 ] && grep -q "the switch thread made the system call openat" "$work/sw2.err"; then
		ok sandbox-forbidden-call-switch; else fail sandbox-forbidden-call-switch "status $rc"; fi
fi

# ---- the terminal comes back raw-free after a forbidden call
if [ -n "$tlg" ] && command -v script >/dev/null; then
	# (timeout --foreground: a command in a background process group that
	# touches the terminal is stopped by SIGTTOU, and would wait for ever)
	timeout 60 script -qc "stty -g >$work/tty.before; LG_TEST_SANDBOX_FORBID=vCPU timeout --foreground 20 $tlg $guest >/dev/null 2>&1; stty -g >$work/tty.after" /dev/null </dev/null >/dev/null 2>&1
	if [ -s "$work/tty.before" ] && cmp -s "$work/tty.before" "$work/tty.after"; then
		ok sandbox-terminal-restored
	else fail sandbox-terminal-restored "stty before $(cat "$work/tty.before" 2>/dev/null), after $(cat "$work/tty.after" 2>/dev/null)"; fi
else
	skip sandbox-terminal-restored "no test build or no script(1)"
fi

# ---- --user and --chroot (as root), and refused without root
mkdir -p "$work/empty"
if [ "$(id -u)" = 0 ] && getent passwd nobody >/dev/null; then
	nobody_uid=$(id -u nobody) nobody_gid=$(id -g nobody)
	start_guest user "$lg" --user=nobody --chroot="$work/empty" --block="$work/disk.img" --rng
	status=$(cat /proc/"${lpid:-none}"/status 2>/dev/null)
	root=$(readlink /proc/"${lpid:-none}"/root)
	stop_guest
	uids=$(awk '/^Uid:/ {print $2, $3, $4, $5}' <<<"$status")
	gids=$(awk '/^Gid:/ {print $2, $3, $4, $5}' <<<"$status")
	groups=$(awk '/^Groups:/ {print $2}' <<<"$status")
	want_u="$nobody_uid $nobody_uid $nobody_uid $nobody_uid"
	want_g="$nobody_gid $nobody_gid $nobody_gid $nobody_gid"
	if [ "$uids" = "$want_u" ] && [ "$gids" = "$want_g" ] && [ -z "$groups" ] && [ "$rc" = 0 ]; then
		ok sandbox-user-in-effect
	else fail sandbox-user-in-effect "Uid '$uids' Gid '$gids' Groups '$groups' status $rc"; fi
	expect sandbox-chroot-in-effect test "$root" = "$work/empty"
	if [ -n "$tlg" ]; then
		LG_TEST_SANDBOX_OPEN=/etc/passwd timeout 30 "$tlg" --user=nobody --chroot="$work/empty" \
			"$guest" poweroff=0 </dev/null >/dev/null 2>"$work/chroot.err"
		LG_TEST_SANDBOX_OPEN=/etc/passwd timeout 30 "$tlg" --user=nobody \
			"$guest" poweroff=0 </dev/null >/dev/null 2>"$work/nochroot.err"
		if grep -q "open /etc/passwd: No such file or directory" "$work/chroot.err" &&
		   grep -q "open /etc/passwd: ok" "$work/nochroot.err"; then
			ok sandbox-chroot-hides-host-files
		else fail sandbox-chroot-hides-host-files "$(cat "$work/chroot.err" "$work/nochroot.err" | grep lguest-test | tr '\n' '|')"; fi
	fi
	"$lg" --user=no-such-user-here >/dev/null 2>"$work/nouser.err"
	contains sandbox-user-unknown-refused "$work/nouser.err" "no such user"
	# the switch takes the same options
	"$lg" switch --user=nobody --chroot="$work/empty" "$work/sw3.sock" >"$work/sw3.out" 2>&1 &
	sw3=$!
	for _ in $(seq 50); do grep -q listening "$work/sw3.out" && break; sleep 0.1; done
	sleep 0.2
	if [ "$(awk '/^Uid:/ {print $2}' /proc/$sw3/status)" = "$nobody_uid" ] &&
	   [ "$(readlink /proc/$sw3/root)" = "$work/empty" ]; then ok sandbox-switch-user-chroot
	else fail sandbox-switch-user-chroot "$(cat "$work/sw3.out")"; fi
	kill "$sw3" 2>/dev/null; wait "$sw3" 2>/dev/null
else
	skip sandbox-user-in-effect "needs root and a user called nobody"
fi

# as an ordinary user, in a mount namespace of our own where /dev/kvm is a
# node that user may open (the machine's own /dev/kvm is left alone): the
# Launcher boots with its sandbox on, and refuses --user and --chroot.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && unshare --mount true 2>/dev/null; then
	cat >"$work/as-nobody.sh" <<-EOF
	mknod -m 600 "$work/kvm" c 10 232 && chown nobody "$work/kvm" &&
	mount --bind "$work/kvm" /dev/kvm || exit 90
	run() { setpriv --reuid=nobody --regid=$(id -g nobody) --clear-groups "\$@"; }
	run timeout 30 "$(realpath "$lg")" "$(realpath "$guest")" poweroff=7 </dev/null >"$work/nobody.out" 2>&1
	echo "boot \$?"
	run "$(realpath "$lg")" --user=nobody >/dev/null 2>"$work/nobody-user.err"; echo "user \$?"
	run "$(realpath "$lg")" --chroot=/ >/dev/null 2>"$work/nobody-chroot.err"; echo "chroot \$?"
	EOF
	unshare --mount --propagation private sh "$work/as-nobody.sh" >"$work/nobody.rc" 2>&1
	contains sandbox-ordinary-user-boots "$work/nobody.rc" "boot 7"
	if grep -q "user 1" "$work/nobody.rc" && grep -q "only root can" "$work/nobody-user.err" &&
	   grep -q "chroot 1" "$work/nobody.rc" && grep -q "only root can" "$work/nobody-chroot.err"; then
		ok sandbox-user-chroot-need-root
	else fail sandbox-user-chroot-need-root "$(tr '\n' '|' <"$work/nobody.rc")"; fi
else
	skip sandbox-ordinary-user-boots "needs root (to make a private /dev/kvm), setpriv and unshare"
fi
kill "$switch_pid" 2>/dev/null; wait "$switch_pid" 2>/dev/null
exit 0
