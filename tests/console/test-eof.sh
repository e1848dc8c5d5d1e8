#!/usr/bin/env bash
# The end of console input (L:913): input that ends without `poweroff` (a
# pipe, a file, /dev/null) reaches the Guest as a Ctrl-D after the last byte;
# the shell runs every command before it and powers off with status 0. Each
# run is bounded in time and in CPU: a hung-up pipe once spun the Launcher at
# ~90% of a core (poll said POLLHUP, the worker waited for POLLIN), and
# /dev/null waited for ever. Also Ctrl-C bytes from a pipe (D:336): they
# interrupt the running command, and, not being a terminal, never end the
# Launcher.
# LGUEST=path tests another Launcher, GUEST_ELF another Guest.
source "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0

lg=${LGUEST:-build/lguest}
guest=${GUEST_ELF:-build/guest.elf}
needs_machine eof "$lg" "$guest" || exit 0
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# timed NAME INPUT-COMMAND: runs INPUT-COMMAND | Launcher, at most 20 s;
# $rc is the Launcher's status, $wall and $cpu (seconds, user + system, of
# the Launcher and the input command, which is small) what it cost.
# INPUT-COMMAND "<FILE" reads FILE itself, not a pipe.
timed() {
	local name=$1 input=$2 TIMEFORMAT='%R %U %S' t
	last=$name
	if [ "${input:0:1}" = "<" ]; then
		t=$( { time { timeout 20 "$lg" "$guest" <"${input:1}" >"$out/$name" 2>"$out/$name.err"
				echo $? >"$out/$name.rc"; }; } 2>&1 )
	else
		t=$( { time { bash -c "$input" | timeout 20 "$lg" "$guest" >"$out/$name" 2>"$out/$name.err"
				echo "${PIPESTATUS[1]}" >"$out/$name.rc"; }; } 2>&1 )
	fi
	rc=$(cat "$out/$name.rc")
	read -r wall u s <<<"$t"
	cpu=$(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }')
}

# bounded NAME WANT-STATUS MAX-WALL MAX-CPU: the last run ended with the
# status, within the wall-clock and CPU budgets.
bounded() {
	if [ "$rc" != "$2" ]; then
		fail "$1" "status $rc, want $2 (wall ${wall}s, cpu ${cpu}s): $(tail -n 2 "$out/$last" | tr '\n' '|')"
	elif awk -v w="$wall" -v m="$3" 'BEGIN { exit !(w > m) }'; then
		fail "$1" "took ${wall}s, want at most $3 s"
	elif awk -v c="$cpu" -v m="$4" 'BEGIN { exit !(c > m) }'; then
		fail "$1" "used ${cpu}s of CPU in ${wall}s, want at most $4 s"
	else
		ok "$1"
	fi
	echo "# $1: ${wall} s, ${cpu} s of CPU"
}

# ---- /dev/null: no input at all; the shell powers off at once
timed devnull '</dev/null'
bounded eof-devnull 0 10 1

# ---- an empty pipe, hung up from the start
timed empty 'true'
bounded eof-empty-pipe 0 10 1

# ---- a pipe without poweroff: the command runs, then status 0
timed info "printf 'info\\n'"
bounded eof-pipe-info 0 10 1
contains eof-pipe-info-output "$out/info" "devices: "

# ---- a hung-up pipe while the shell is busy: the Guest sleeps 2 s after the
# writer has gone; the Launcher must not spin meanwhile, and the commands
# before the end all run, in order, before the Guest powers off.
timed hungup "printf 'sleep 2\\nuptime\\n'"
bounded eof-hung-up-pipe-no-spin 0 15 1
# The uptime must come, after the sleep: at least 2 s (how much more is the
# boot's time, which a loaded machine stretches, so it is not asked).
up=$(sed -n 's/^up \([0-9]*\)\.[0-9]\{3\} s$/\1/p' "$out/hungup")
if [ -n "$up" ] && [ "$up" -ge 2 ]; then ok "eof-commands-run-first: up $up s after sleep 2"
else fail eof-commands-run-first "no uptime of at least 2 s after sleep 2: $(tail -n 3 "$out/hungup" | tr '\n' '|')"; fi

# ---- a last line without its newline still runs, as sh runs it
timed nonl "printf 'uptime\\npoweroff 7'"
bounded eof-last-line-without-newline 7 10 1

# ---- a file as input
printf 'uptime\nuptime\n' >"$out/script"
timed file "<$out/script"
bounded eof-file 0 10 1
lines=$(grep -cE '^up [0-9.]+ s$' "$out/file")
if [ "$lines" = 2 ]; then ok eof-file-both-commands; else fail eof-file-both-commands "$lines uptime lines, want 2"; fi

# ---- Ctrl-C from a pipe interrupts a long command, and the script goes on
timed ctrlc "printf 'sleep 100\\n\\003uptime\\npoweroff 4\\n'"
bounded eof-pipe-ctrl-c-interrupts 4 10 1
contains eof-pipe-ctrl-c-echo "$out/ctrlc" "^C"
# three of them in a row, from a pipe, are data, not the terminal's escape
timed three "printf 'sleep 1\\n\\003\\003\\003poweroff 5\\n'"
bounded eof-pipe-three-ctrl-c-are-data 5 10 1
exit 0
