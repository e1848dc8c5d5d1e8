#!/bin/bash
# index-programs.sh IDX IDENTIFIERS.md: count the identifiers whose index
# entry lists a use from another program than the definition's (the
# programs of chunks come from IDX/*.xref: 2 Launcher, 3 Host, 4 Guest).
idx=$1 md=$2
cat "$idx"/*.xref | awk -F'\t' '$1 == "chunk" { print $2 "\t" $5 }' | sort -u |
awk -F'\t' '
	FNR == NR { prog[$1] = $2; next }
	/^<dt/ { name = $0; sub(/.*<code>/, "", name); sub(/<\/code>.*/, "", name) }
	/^<dd>defined in/ {
		line = $0; def = ""; bad = 0
		while (match(line, /href="[^"]*#[^"]*"/)) {
			id = substr(line, RSTART + 6, RLENGTH - 7); sub(/^[^#]*#/, "", id)
			line = substr(line, RSTART + RLENGTH)
			if (def == "") { def = id; continue }
			p = prog[def]; q = prog[id]
			if (p >= 2 && p <= 4 && q >= 2 && q <= 4 && p != q) bad = 1
		}
		if (bad) { n++; names = names " " name }
	}
	END { printf "%d%s\n", n, (ENVIRON["VERBOSE"] ? ":" names : "") }' - "$md"
