# Shared by tests/bench and tests/bench.d/*.sh (sourced; not a row file).
# Every row is ours beside a peer, measured alternately in one run (ours,
# peer, ours, peer...) so that both see the same load, and printed with its
# spread: the median, then the smallest and largest of the runs.

# stats FILE: "MEDIAN MIN MAX" of the numbers in FILE, one a line (the lower
# middle of an even count); "? ? ?" for none.
stats() {
	grep -E '^[0-9.]+$' "$1" 2>/dev/null | sort -g |
		awk '{a[NR] = $1} END { if (NR) print a[int((NR + 1) / 2)], a[1], a[NR]; else print "? ? ?" }'
}

# ratio A B: A / B to two places, or "?" when either is missing.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else printf "?" }'; }

# cell FILE UNIT: "median UNIT [min-max]".
cell() {
	local m lo hi
	read -r m lo hi < <(stats "$1")
	printf '%9s %-5s [%s-%s]' "$m" "$2" "$lo" "$hi"
}

# spread_row NAME UNIT OURS PEER [PEER...]: one line, ours and each peer as
# cells, then ours / each peer of the medians.
spread_row() {
	local name=$1 unit=$2 ours=$3 p line r=()
	shift 3
	line=$(printf '%-36s %s' "$name" "$(cell "$ours" "$unit")")
	for p in "$@"; do
		line+=$(printf '   %s' "$(cell "$p" "$unit")")
		r+=("$(ratio "$(stats "$ours" | cut -d' ' -f1)" "$(stats "$p" | cut -d' ' -f1)")")
	done
	printf '%s   ratio %s\n' "$line" "$(IFS=,; echo "${r[*]}" | sed 's/,/, /g')"
}
