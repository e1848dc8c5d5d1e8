# Shared by the network tests (tests/net/test-net.sh and tests/net/tap.sh):
# Guests in the background whose consoles are fifos the test writes shell
# commands into.  Source it after tests/lib.sh, from the top of the tree.
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

# start NAME COMMAND...: runs COMMAND in the background with its standard
# input on the fifo $work/NAME.in (held open by the test as fd ${fd[NAME]})
# and its output in $work/NAME.log.
declare -A fd pid
start() {
	local name=$1 f; shift
	mkfifo "$work/$name.in"
	timeout 90 "$@" <"$work/$name.in" >"$work/$name.log" 2>&1 &
	pid[$name]=$!
	pids+=($!)
	exec {f}>"$work/$name.in"
	fd[$name]=$f
}
say() { echo "$2" >&"${fd[$1]}"; }
# wait_for NAME PATTERN SECONDS: until NAME's log has a line matching PATTERN.
wait_for() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -qE -- "$2" "$work/$1.log" && return 0
		sleep 0.1
	done
	return 1
}
# finish NAME: power the Guest off and wait for its exit status in $status.
finish() {
	say "$1" poweroff
	exec {fd[$1]}>&-
	wait "${pid[$1]}"
	status=$?
}
# pinged TEST NAME ADDR N: NAME's log holds N reply lines from ADDR and the summary.
pinged() {
	local n
	n=$(grep -cE "^64 bytes from $3: icmp_seq=[0-9]+ time=[0-9]+\.[0-9]{3} ms" "$work/$2.log")
	if [ "$n" = "$4" ] && grep -qF "$4 packets transmitted, $4 received, 0% packet loss" "$work/$2.log"; then
		ok "$1"
	else
		fail "$1" "$n of $4 replies from $3: $(grep -E 'bytes from|transmitted|ping:' "$work/$2.log" | tail -3 | tr '\n' '|')"
	fi
}
mac_of() { sed -n 's/^net0: MAC \([0-9a-f:]*\),.*/\1/p' "$work/$1.log" | head -1; }

