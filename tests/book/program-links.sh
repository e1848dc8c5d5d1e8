#!/bin/bash
# program-links.sh IDX MD...: count the links in code that go to another
# program's definition.  IDX is a woven index directory (its .xref files
# give each chunk's program: 1 ABI, 2 Launcher, 3 Host, 4 Guest); MD are
# woven chapters (build/weave/md/*.md), from this weave or an older one.
# Prints "N of M" and, with -v, each wrong link.
verbose=; [ "$1" = -v ] && { verbose=1; shift; }
idx=$1; shift
cat "$idx"/*.xref | awk -F'\t' '$1 == "chunk" { print $2 "\t" $5 }' | sort -u >"${TMPDIR:-/tmp}/progs.$$"
awk -v verbose="$verbose" -F'\t' '
	FNR == NR { prog[$1] = $2; next }
	FNR == 1 { page = FILENAME; sub(/.*\//, "", page); sub(/\.md$/, ".html", page) }
	/^<div class="chunk" id="/ { match($0, /id="[^"]*"/); here = substr($0, RSTART + 4, RLENGTH - 5) }
	/^~~~~~~~~~\{=latex\}/ { here = "" }
	here != "" {
		line = $0
		while (match(line, /<a class="id" href="[^"]*"/)) {
			target = substr(line, RSTART + 20, RLENGTH - 21)
			line = substr(line, RSTART + RLENGTH)
			sub(/^[^#]*#/, "", target)
			p = prog[here]; q = prog[target]; n++
			if (p >= 2 && p <= 4 && q >= 2 && q <= 4 && p != q) {
				bad++
				if (verbose) print page ": " here " (" p ") -> " target " (" q ")"
			}
		}
	}
	END { printf "%d of %d\n", bad, n }' "${TMPDIR:-/tmp}/progs.$$" "$@"
rm -f "${TMPDIR:-/tmp}/progs.$$"
